/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * forward.h - the forwarding decision: a kernel FIB lookup (routes and
 * neighbours as the kernel sees them) and a devmap redirect.
 */
#ifndef IG_FORWARD_H
#define IG_FORWARD_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "maps.h"

#ifndef AF_INET
#define AF_INET  2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

#define IPV6_FLOWINFO_MASK bpf_htonl(0x0FFFFFFF)

static __always_inline int fib_lookup6(struct xdp_md *ctx, struct bpf_fib_lookup *p,
				       const struct ipv6hdr *ip6, __u16 tot_len)
{
	__builtin_memset(p, 0, sizeof(*p));
	p->family = AF_INET6;
	p->l4_protocol = ip6->nexthdr;
	p->tot_len = tot_len;
	p->ifindex = ctx->ingress_ifindex;
	p->flowinfo = *(const __be32 *)ip6 & IPV6_FLOWINFO_MASK;
	__builtin_memcpy(p->ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(p->ipv6_dst, &ip6->daddr, 16);
	return bpf_fib_lookup(ctx, p, sizeof(*p), 0);
}

static __always_inline int fib_lookup4(struct xdp_md *ctx, struct bpf_fib_lookup *p,
				       __u32 src, __u32 dst, __u8 tos, __u16 tot_len)
{
	__builtin_memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->l4_protocol = IPPROTO_IPV6;
	p->tot_len = tot_len;
	p->ifindex = ctx->ingress_ifindex;
	p->tos = tos;
	p->ipv4_src = src;
	p->ipv4_dst = dst;
	return bpf_fib_lookup(ctx, p, sizeof(*p), 0);
}

/* The reason for a failed FIB lookup that is not handled specially. */
static __always_inline int fib_fail_reason(int rc)
{
	switch (rc) {
	case BPF_FIB_LKUP_RET_FWD_DISABLED:
		return IG_DROP_FWD_DISABLED;
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return IG_DROP_TOO_BIG;
	default:
		return IG_DROP_NO_ROUTE;
	}
}

static __always_inline void eth_write(struct ethhdr *eth, const __u8 *dmac, const __u8 *smac,
				      __u16 proto)
{
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	eth->h_proto = bpf_htons(proto);
}

/* Redirect through the devmap; XDP_PASS when ifindex is not in it. */
static __always_inline int redirect_port(__u32 ifindex)
{
	return bpf_redirect_map(&tx_ports, ifindex, XDP_PASS);
}

#endif /* IG_FORWARD_H */
