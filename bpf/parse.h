/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parse.h - a bounds-checked header cursor.  Each step checks the pointer
 * it makes against data_end right where it makes it, advances the cursor
 * and returns the next protocol (or -1 when the header is not all there).
 */
#ifndef IG_PARSE_H
#define IG_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

struct hdr_cursor {
	void *pos;
	void *end;
};

static __always_inline void cursor_init(struct hdr_cursor *c, struct xdp_md *ctx)
{
	c->pos = (void *)(long)ctx->data;
	c->end = (void *)(long)ctx->data_end;
}

/* Returns the EtherType (network order) or -1.  VLAN tags are not skipped:
 * the caller decides what to do with them. */
static __always_inline int parse_ethhdr(struct hdr_cursor *c, struct ethhdr **eth)
{
	struct ethhdr *h = c->pos;

	if ((void *)(h + 1) > c->end)
		return -1;
	c->pos = h + 1;
	*eth = h;
	return h->h_proto;
}

static __always_inline int is_vlan_proto(__u16 proto_be)
{
	return proto_be == bpf_htons(ETH_P_8021Q) || proto_be == bpf_htons(ETH_P_8021AD);
}

/*
 * IPv4 header.  Checks version, IHL (5..15) and that the whole header,
 * options included, is in the frame.  Returns the protocol or -1.
 */
static __always_inline int parse_iphdr(struct hdr_cursor *c, struct iphdr **iph)
{
	struct iphdr *h = c->pos;
	__u32 hlen;

	if ((void *)(h + 1) > c->end)
		return -1;
	if (h->version != 4 || h->ihl < 5)
		return -1;
	hlen = h->ihl * 4;
	if (c->pos + hlen > c->end)
		return -1;
	c->pos += hlen;
	*iph = h;
	return h->protocol;
}

/* Fixed IPv6 header (extension headers are left to the caller). */
static __always_inline int parse_ip6hdr(struct hdr_cursor *c, struct ipv6hdr **ip6h)
{
	struct ipv6hdr *h = c->pos;

	if ((void *)(h + 1) > c->end)
		return -1;
	if (h->version != 6)
		return -1;
	c->pos = h + 1;
	*ip6h = h;
	return h->nexthdr;
}

static __always_inline int parse_icmp6hdr(struct hdr_cursor *c, struct icmp6hdr **icmp6h)
{
	struct icmp6hdr *h = c->pos;

	if ((void *)(h + 1) > c->end)
		return -1;
	c->pos = h + 1;
	*icmp6h = h;
	return h->icmp6_type;
}

#endif /* IG_PARSE_H */
