/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * forward.h - the forwarding decision: a kernel FIB lookup (routes and
 * neighbours as the kernel sees them) and what stands in front of it, the
 * per-destination cache and the route mirror (route.h); the redirect itself
 * and the Ethernet write are frame.h's.
 */
#ifndef IG_FORWARD_H
#define IG_FORWARD_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "maps.h"
#include "clock.h"
#include "route.h"

#ifndef AF_INET
#define AF_INET  2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

#define IPV6_FLOWINFO_MASK bpf_htonl(0x0FFFFFFF)

/* The forwarding cache's generation (config fwd_gen, bumped by user space). */
static __always_inline __u32 fwd_generation(const struct ig_config *cfg)
{
	return *(const volatile __u32 *)&cfg->fwd_gen;
}

/* The slot of k: a multiplicative hash of its words. */
static __always_inline struct ig_fwd_slot *fwd_slot(const struct ig_fwd_key *k)
{
	const __u32 *w = (const __u32 *)k->addr;
	__u32 h = (k->ifindex ^ w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9E3779B1u;
	__u32 idx = h >> 18;       /* top 14 bits: IG_FWD_SLOTS = 16384 */

	return bpf_map_lookup_elem(&fwd_cache, &idx);
}

static __always_inline int fwd_key_eq(const struct ig_fwd_key *a, const struct ig_fwd_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

/*
 * A flow's decisions live in the flow table, which all CPUs share, so one CPU
 * may refresh an entry while another reads it.  expires_ns works as the
 * entry's sequence: the writer sets it to 0 (expired) before it changes the
 * decision and to the new expiry after; a reader copies the decision between
 * two reads of it and takes the copy only if both reads agree.  The empty
 * asm keeps the compiler from moving the accesses across it; x86 keeps
 * stores in order and loads in order, so the CPU does not either (README,
 * "Forwarding", on weaker memory models).  Two CPUs refreshing the
 * same entry in the same instant with different FIB answers can leave a mix
 * of both; the FIB only answers differently across a route or neighbour
 * change, after which user space bumps fwd_gen and every entry is dropped.
 */
#define fwd_barrier() asm volatile("" ::: "memory")

/* A cached decision e, valid for a packet of tot_len bytes: fill the egress
 * ifindex and MACs of p and return 1; else 0. */
static __always_inline int fwd_entry_get(const struct ig_fwd_entry *e, __u16 tot_len, __u64 now,
					 __u64 gen, struct bpf_fib_lookup *p)
{
	__u64 exp = *(const volatile __u64 *)&e->expires_ns;

	if (e->gen != (__u32)gen || now >= exp || tot_len > e->max_len)
		return 0;
	p->ifindex = e->ifindex;
	__builtin_memcpy(p->dmac, e->dmac, ETH_ALEN);
	__builtin_memcpy(p->smac, e->smac, ETH_ALEN);
	fwd_barrier();
	return *(const volatile __u64 *)&e->expires_ns == exp;
}

/* Record the decision p in e (published last: see fwd_barrier). */
static __always_inline void fwd_entry_put(struct ig_fwd_entry *e, const struct bpf_fib_lookup *p,
					  __u16 tot_len, __u64 now, __u64 gen,
					  const struct ig_config *cfg)
{
	__u16 max_len = tot_len;

	/* Still valid for the same egress: keep the longest length seen. */
	if (e->gen == (__u32)gen && now < e->expires_ns && e->ifindex == p->ifindex &&
	    e->max_len > max_len)
		max_len = e->max_len;
	*(volatile __u64 *)&e->expires_ns = 0;
	fwd_barrier();
	e->gen = (__u32)gen;
	e->ifindex = p->ifindex;
	e->max_len = max_len;
	__builtin_memcpy(e->dmac, p->dmac, ETH_ALEN);
	__builtin_memcpy(e->smac, p->smac, ETH_ALEN);
	fwd_barrier();
	*(volatile __u64 *)&e->expires_ns = now + (__u64)cfg->fwd_cache_ms * 1000000ull;
}

/* Where a lookup's result goes: the flow's own entry, or a cache slot. */
struct fwd_state {
	struct ig_fwd_entry *fe;
	struct ig_fwd_slot *slot;
	__u64 now;
	__u64 gen;
};

/*
 * The cached decision for k, when a fresh one exists: fills p's egress
 * ifindex and MACs and returns 1.  Else 0, with st telling fwd_cache_store()
 * where the FIB's answer goes.  fe, when not NULL, is the flow's own entry
 * (the flow table's, flow.h): it replaces the shared cache for that flow.
 */
static __always_inline int fwd_cache_try(struct fwd_state *st, const struct ig_fwd_key *k,
					 __u16 tot_len, const struct ig_config *cfg,
					 struct bpf_fib_lookup *p, struct ig_fwd_entry *fe)
{
	st->fe = NULL;
	st->slot = NULL;
	if (!cfg->fwd_cache_ms)
		return 0;
	st->now = coarse_now();
	st->gen = fwd_generation(cfg);
	if (fe) {
		st->fe = fe;
		return fwd_entry_get(fe, tot_len, st->now, st->gen, p);
	}
	st->slot = fwd_slot(k);
	if (!st->slot || !fwd_key_eq(&st->slot->key, k))
		return 0;
	return fwd_entry_get(&st->slot->e, tot_len, st->now, st->gen, p);
}

static __always_inline int fwd_cache_store(const struct fwd_state *st, const struct ig_fwd_key *k,
					   const struct bpf_fib_lookup *p, int rc, __u16 tot_len,
					   const struct ig_config *cfg)
{
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return rc;
	if (st->fe) {
		fwd_entry_put(st->fe, p, tot_len, st->now, st->gen, cfg);
	} else if (st->slot) {
		if (!fwd_key_eq(&st->slot->key, k)) {
			st->slot->key = *k;
			st->slot->e.expires_ns = 0;   /* another destination's */
		}
		fwd_entry_put(&st->slot->e, p, tot_len, st->now, st->gen, cfg);
	}
	return rc;
}

/*
 * The forwarding decision for an IPv6 packet (decapsulated) or an IPv4
 * destination (encapsulated): from the cache when a fresh entry exists, else
 * from the route mirror when it answers, else from the kernel FIB, as
 * received on the (logical) interface ifindex; fe: the flow's own cache
 * entry, or NULL (the shared cache).
 * Returns a BPF_FIB_LKUP_RET_* code; on success p holds the egress ifindex
 * and MACs (and only those, from a cache or the mirror).
 */
static __always_inline int fib_lookup6(struct xdp_md *ctx, __u32 ifindex, struct bpf_fib_lookup *p,
				       const struct ipv6hdr *ip6, __u16 tot_len,
				       const struct ig_config *cfg, struct ig_fwd_entry *fe)
{
	struct ig_fwd_key k = { .ifindex = ifindex };
	struct fwd_state st;

	__builtin_memcpy(k.addr, &ip6->daddr, 16);
	if (fwd_cache_try(&st, &k, tot_len, cfg, p, fe))
		return BPF_FIB_LKUP_RET_SUCCESS;
	if (cfg->fwd_cache_ms &&
	    route_lookup6(&ip6->saddr, &ip6->daddr, tot_len, st.gen, st.now, p))
		return fwd_cache_store(&st, &k, p, BPF_FIB_LKUP_RET_SUCCESS, tot_len, cfg);
	__builtin_memset(p, 0, sizeof(*p));
	p->family = AF_INET6;
	p->l4_protocol = ip6->nexthdr;
	p->tot_len = tot_len;
	p->ifindex = ifindex;
	p->flowinfo = *(const __be32 *)ip6 & IPV6_FLOWINFO_MASK;
	__builtin_memcpy(p->ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(p->ipv6_dst, &ip6->daddr, 16);
	route_count(0);
	return fwd_cache_store(&st, &k, p, bpf_fib_lookup(ctx, p, sizeof(*p), 0), tot_len, cfg);
}

static __always_inline int fib_lookup4(struct xdp_md *ctx, __u32 ifindex, struct bpf_fib_lookup *p,
				       __u32 src, __u32 dst, __u8 tos, __u16 tot_len,
				       const struct ig_config *cfg, struct ig_fwd_entry *fe)
{
	struct ig_fwd_key k = { .ifindex = ifindex };
	struct fwd_state st;

	k.addr[10] = 0xff;
	k.addr[11] = 0xff;
	__builtin_memcpy(&k.addr[12], &dst, 4);
	if (fwd_cache_try(&st, &k, tot_len, cfg, p, fe))
		return BPF_FIB_LKUP_RET_SUCCESS;
	if (cfg->fwd_cache_ms && route_lookup4(dst, tot_len, st.gen, st.now, p))
		return fwd_cache_store(&st, &k, p, BPF_FIB_LKUP_RET_SUCCESS, tot_len, cfg);
	__builtin_memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->l4_protocol = IPPROTO_IPV6;
	p->tot_len = tot_len;
	p->ifindex = ifindex;
	p->tos = tos;
	p->ipv4_src = src;
	p->ipv4_dst = dst;
	route_count(0);
	return fwd_cache_store(&st, &k, p, bpf_fib_lookup(ctx, p, sizeof(*p), 0), tot_len, cfg);
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

#endif /* IG_FORWARD_H */
