/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* csum.h - Internet checksums: IPv4 header, ICMPv6 pseudo-header sums. */
#ifndef IG_CSUM_H
#define IG_CSUM_H

#include <linux/types.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Checksum of a 20-byte IPv4 header we built (check field must be 0). */
static __always_inline __u16 ipv4_csum20(const struct iphdr *ip)
{
	const __u32 *w = (const __u32 *)ip;
	__u64 sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];

	return ~csum_fold(sum);
}

/* Keep the compiler from rewriting a packet-pointer bounds check into an
 * index comparison the verifier cannot follow. */
#define ig_barrier_var(var) asm volatile("" : "+r"(var))

/* The longest run pkt_sum_words() adds: an ICMPv6 message in 1280 bytes. */
#define IG_SUM_MAX_WORDS ((1280 - 40) / 4)

/* Sum nwords 4-byte words of packet data starting at p (bounded loop). */
static __always_inline int pkt_sum_words(const void *p, const void *end, __u32 nwords,
					 __u64 *sum)
{
	const __u32 *w = p;
	int i;

	for (i = 0; i < IG_SUM_MAX_WORDS; i++) {
		if (i >= nwords)
			break;
		ig_barrier_var(w);
		if ((const void *)(w + 1) > end)
			return -1;
		*sum += *w;
		w++;
	}
	return 0;
}

/* Add the last len (0..3) bytes at p, zero padded to a word. */
static __always_inline int pkt_sum_tail(const __u8 *p, const void *end, __u32 len, __u64 *sum)
{
	__u8 b[4] = {};

	if (len > 0) {
		if ((const void *)(p + 1) > end)
			return -1;
		b[0] = p[0];
	}
	if (len > 1) {
		if ((const void *)(p + 2) > end)
			return -1;
		b[1] = p[1];
	}
	if (len > 2) {
		if ((const void *)(p + 3) > end)
			return -1;
		b[2] = p[2];
	}
	*sum += *(__u32 *)b;
	return 0;
}

/* Verify an IPv4 header of ihl words (5..15), already bounds checked by
 * parse_iphdr().  Returns 1 when the checksum is right. */
static __always_inline int ipv4_csum_ok(const struct iphdr *ip, const void *end)
{
	const __u32 *w = (const __u32 *)ip;
	__u64 sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];

	if (ip->ihl > 5 && pkt_sum_words(ip + 1, end, ip->ihl - 5, &sum))
		return 0;
	return csum_fold(sum) == 0xffff;
}

#endif /* IG_CSUM_H */
