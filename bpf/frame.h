/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * frame.h - generic frame primitives, whatever feature uses them: resizing
 * the frame, writing Ethernet, IPv4 and IPv6 headers (checksums: csum.h),
 * and forwarding through the devmap or passing to the kernel.
 */
#ifndef IG_FRAME_H
#define IG_FRAME_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "csum.h"
#include "maps.h"

#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

/* Cut the frame to exactly want bytes when the link padded it. */
static __always_inline int trim_frame(struct xdp_md *ctx, __u32 want)
{
	__u32 have = ctx->data_end - ctx->data;

	if (have > want)
		return bpf_xdp_adjust_tail(ctx, -(int)(have - want));
	return 0;
}

/*
 * Make the frame exactly want bytes long for a reply that the caller then
 * writes from the first byte: grow at the head (XDP guarantees 256 bytes
 * of headroom; tailroom depends on the driver, and a veth has none), at the
 * tail only when the head cannot give enough, shrink at the tail.
 */
static __always_inline int resize_frame(struct xdp_md *ctx, __u32 want)
{
	int delta = (int)want - (int)(ctx->data_end - ctx->data);

	if (delta <= 0)
		return delta ? bpf_xdp_adjust_tail(ctx, delta) : 0;
	if (!bpf_xdp_adjust_head(ctx, -delta))
		return 0;
	return bpf_xdp_adjust_tail(ctx, delta);
}

/* Write an Ethernet header: destination, source, EtherType (host order). */
static __always_inline void eth_write(struct ethhdr *eth, const __u8 *dmac, const __u8 *smac,
				      __u16 proto)
{
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	eth->h_proto = bpf_htons(proto);
}

/* Fill a 20-byte IPv4 header (no options) for a payload of protocol proto. */
static __always_inline void ipv4_build(struct iphdr *ip, __u32 src, __u32 dst, __u8 tos, __u8 ttl,
				       __u16 tot_len, int df, __u8 proto)
{
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = tos;
	ip->tot_len = bpf_htons(tot_len);
	ip->id = (__u16)bpf_get_prandom_u32();
	ip->frag_off = df ? bpf_htons(IP_DF) : 0;
	ip->ttl = ttl;
	ip->protocol = proto;
	ip->check = 0;
	ip->saddr = src;
	ip->daddr = dst;
	ip->check = ipv4_csum20(ip);
}

/* Fill an IPv6 header (no extension headers) for a payload of nexthdr. */
static __always_inline void ip6_build(struct ipv6hdr *ip6, const struct in6_addr *src,
				      const struct in6_addr *dst, __u16 payload_len, __u8 nexthdr,
				      __u8 hops)
{
	*(__be32 *)ip6 = bpf_htonl(0x60000000);
	ip6->payload_len = bpf_htons(payload_len);
	ip6->nexthdr = nexthdr;
	ip6->hop_limit = hops;
	ip6->saddr = *src;
	ip6->daddr = *dst;
}

/* Redirect through the devmap; XDP_PASS when ifindex is not in it. */
static __always_inline int redirect_port(__u32 ifindex)
{
	return bpf_redirect_map(&tx_ports, ifindex, XDP_PASS);
}

#endif /* IG_FRAME_H */
