/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tunnel.h - protocol-41 decapsulation and encapsulation (RFC 4213 §3):
 * the outer header off or on, ECN (RFC 6040).  The frame primitives are
 * frame.h's.
 */
#ifndef IG_TUNNEL_H
#define IG_TUNNEL_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "frame.h"

#define ECN_MASK    3
#define ECN_NOT_ECT 0
#define ECN_CE      3

static __always_inline __u8 ipv6_tclass(const struct ipv6hdr *ip6)
{
	return (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
}

/*
 * RFC 6040 §4.2 decapsulation (normal mode): outer CE marks an ECT inner
 * packet CE; outer CE over a not-ECT inner packet must be dropped.
 * Returns 0 or IG_DROP_ECN.
 */
static __always_inline int ecn_decap(const struct iphdr *ip, struct ipv6hdr *ip6)
{
	__u8 inner;

	if ((ip->tos & ECN_MASK) != ECN_CE)
		return 0;
	inner = (ip6->flow_lbl[0] >> 4) & ECN_MASK;
	if (inner == ECN_NOT_ECT)
		return IG_DROP_ECN;
	ip6->flow_lbl[0] |= ECN_CE << 4;
	return 0;
}

/*
 * Remove the Ethernet + outer IPv4 header (hlen bytes of IPv4) and write a
 * new Ethernet header for IPv6.  Returns the new Ethernet header or NULL.
 */
static __always_inline struct ethhdr *tunnel_decap(struct xdp_md *ctx, __u32 hlen,
						   const __u8 *dmac, const __u8 *smac)
{
	struct ethhdr *eth;
	void *data, *end;

	if (bpf_xdp_adjust_head(ctx, (int)hlen))
		return NULL;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end)
		return NULL;
	eth_write(eth, dmac, smac, ETH_P_IPV6);
	return eth;
}

/*
 * Put an Ethernet + IPv4 (protocol 41) header in front of the IPv6 packet
 * that starts after the current Ethernet header.  inner_len is the IPv6
 * packet's length.  Returns the new IPv4 header or NULL.
 */
static __always_inline struct iphdr *tunnel_encap(struct xdp_md *ctx, __u32 inner_len,
						  __u32 src, __u32 dst, __u8 tos, __u8 ttl, int df,
						  const __u8 *dmac, const __u8 *smac)
{
	struct ethhdr *eth;
	struct iphdr *ip;
	void *data, *end;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return NULL;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return NULL;
	eth_write(eth, dmac, smac, ETH_P_IP);
	ipv4_build(ip, src, dst, tos, ttl, inner_len + sizeof(*ip), df, IPPROTO_IPV6);
	return ip;
}

#endif /* IG_TUNNEL_H */
