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

/* Verify an IPv4 header of ihl words (5..15), already bounds checked by
 * parse_iphdr().  Returns 1 when the checksum is right. */
static __always_inline int ipv4_csum_ok(const struct iphdr *ip, const void *end)
{
	const __u32 *w = (const __u32 *)ip;
	const __u32 *opt = (const __u32 *)(ip + 1);
	__u32 nopt = ip->ihl - 5;
	__u64 sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];
	int i;

	for (i = 0; i < 10; i++) {
		if (i >= nopt)
			break;
		ig_barrier_var(opt);
		if ((const void *)(opt + 1) > end)
			return 0;
		sum += *opt;
		opt++;
	}
	return csum_fold(sum) == 0xffff;
}

#endif /* IG_CSUM_H */
