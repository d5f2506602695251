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

/* The forwarding cache's generation (bumped by the loader). */
static __always_inline __u64 fwd_generation(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&fwd_gen, &zero);

	return g ? *g : 0;
}

/* A cached decision for k, valid for a packet of tot_len bytes: fill the
 * egress ifindex and MACs of p and return 1; else 0. */
static __always_inline int fwd_cache_get(const struct ig_fwd_key *k, __u16 tot_len, __u64 now,
					 __u64 gen, struct bpf_fib_lookup *p)
{
	struct ig_fwd_entry *e = bpf_map_lookup_elem(&fwd_cache, k);

	if (!e || e->gen != gen || now >= e->expires_ns || tot_len > e->max_len)
		return 0;
	p->ifindex = e->ifindex;
	__builtin_memcpy(p->dmac, e->dmac, ETH_ALEN);
	__builtin_memcpy(p->smac, e->smac, ETH_ALEN);
	return 1;
}

static __always_inline void fwd_cache_put(const struct ig_fwd_key *k, const struct bpf_fib_lookup *p,
					  __u16 tot_len, __u64 now, __u64 gen,
					  const struct ig_config *cfg)
{
	struct ig_fwd_entry e = {
		.expires_ns = now + (__u64)cfg->fwd_cache_ms * 1000000ull,
		.gen = gen,
		.ifindex = p->ifindex,
		.max_len = tot_len,
	};

	__builtin_memcpy(e.dmac, p->dmac, ETH_ALEN);
	__builtin_memcpy(e.smac, p->smac, ETH_ALEN);
	bpf_map_update_elem(&fwd_cache, k, &e, BPF_ANY);
}

/*
 * The forwarding decision for dst (key k): from the cache when a fresh
 * entry exists, else from the kernel FIB (filled in by fill_fib), cached
 * when it succeeded.  Returns a BPF_FIB_LKUP_RET_* code; on success p holds
 * the egress ifindex and MACs.
 */
static __always_inline int fwd_decide(struct xdp_md *ctx, struct bpf_fib_lookup *p,
				      const struct ig_fwd_key *k, __u16 tot_len,
				      const struct ig_config *cfg)
{
	__u64 now = 0, gen = 0;
	int rc;

	if (cfg->fwd_cache_ms) {
		now = bpf_ktime_get_coarse_ns();
		gen = fwd_generation();
		if (fwd_cache_get(k, tot_len, now, gen, p))
			return BPF_FIB_LKUP_RET_SUCCESS;
	}
	rc = bpf_fib_lookup(ctx, p, sizeof(*p), 0);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS && cfg->fwd_cache_ms)
		fwd_cache_put(k, p, tot_len, now, gen, cfg);
	return rc;
}

static __always_inline int fib_lookup6(struct xdp_md *ctx, struct bpf_fib_lookup *p,
				       const struct ipv6hdr *ip6, __u16 tot_len,
				       const struct ig_config *cfg)
{
	struct ig_fwd_key k = { .ifindex = ctx->ingress_ifindex };

	__builtin_memcpy(k.addr, &ip6->daddr, 16);
	__builtin_memset(p, 0, sizeof(*p));
	p->family = AF_INET6;
	p->l4_protocol = ip6->nexthdr;
	p->tot_len = tot_len;
	p->ifindex = ctx->ingress_ifindex;
	p->flowinfo = *(const __be32 *)ip6 & IPV6_FLOWINFO_MASK;
	__builtin_memcpy(p->ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(p->ipv6_dst, &ip6->daddr, 16);
	return fwd_decide(ctx, p, &k, tot_len, cfg);
}

static __always_inline int fib_lookup4(struct xdp_md *ctx, struct bpf_fib_lookup *p,
				       __u32 src, __u32 dst, __u8 tos, __u16 tot_len,
				       const struct ig_config *cfg)
{
	struct ig_fwd_key k = { .ifindex = ctx->ingress_ifindex };

	k.addr[10] = 0xff;
	k.addr[11] = 0xff;
	__builtin_memcpy(&k.addr[12], &dst, 4);
	__builtin_memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->l4_protocol = IPPROTO_IPV6;
	p->tot_len = tot_len;
	p->ifindex = ctx->ingress_ifindex;
	p->tos = tos;
	p->ipv4_src = src;
	p->ipv4_dst = dst;
	return fwd_decide(ctx, p, &k, tot_len, cfg);
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
