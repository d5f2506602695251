/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * route.h - the route mirror: forwarding decisions by route prefix, for a
 * destination the forwarding cache does not hold, without a FIB lookup.
 * `isagate watch` fills the maps (layouts and rules in include/isagate.h);
 * an answer is taken only while route_state says the family is mirrored
 * under the current fwd_gen, and only for a packet the next hop's MTU
 * takes.  Anything else, and every nh 0, goes to bpf_fib_lookup as before.
 */
#ifndef IG_ROUTE_H
#define IG_ROUTE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include "isagate.h"
#include "addr.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IG_ROUTES_MAX);
	__type(key, struct ig_route4_key);
	__type(value, struct ig_route);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} routes4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IG_ROUTES_MAX);
	__type(key, struct ig_route6_key);
	__type(value, struct ig_route);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} routes6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IG_NEXTHOPS_MAX);
	__type(key, __u32);
	__type(value, struct ig_nexthop);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} nexthops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ig_route_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} route_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ig_route_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} route_stats SEC(".maps");

/* Count a decision the cache did not hold: by the mirror, or a FIB lookup. */
static __always_inline void route_count(int mirror)
{
	__u32 zero = 0;
	struct ig_route_stats *s = bpf_map_lookup_elem(&route_stats, &zero);

	if (!s)
		return;
	if (mirror)
		s->mirror++;
	else
		s->fib++;
}

/* 1 when the mirror answers for family (IG_ROUTE_F_*) under gen at now. */
static __always_inline int route_mirrored(__u32 family, __u32 gen, __u64 now)
{
	__u32 zero = 0;
	const struct ig_route_state *rs = bpf_map_lookup_elem(&route_state, &zero);

	if (!rs)
		return 0;
	return (*(const volatile __u32 *)&rs->families & family) &&
	       *(const volatile __u32 *)&rs->gen == gen &&
	       now < *(const volatile __u64 *)&rs->valid_until_ns;
}

/* The next hop of route r for a packet of tot_len bytes into p: 1, or 0
 * (ask the FIB). */
static __always_inline int route_nexthop(const struct ig_route *r, __u16 tot_len,
					 struct bpf_fib_lookup *p)
{
	const struct ig_nexthop *nh;
	__u32 id;

	if (!r || !r->nh)
		return 0;
	id = r->nh;
	nh = bpf_map_lookup_elem(&nexthops, &id);
	if (!nh || !nh->ifindex || tot_len > nh->mtu)
		return 0;
	p->ifindex = nh->ifindex;
	__builtin_memcpy(p->dmac, nh->dmac, ETH_ALEN);
	__builtin_memcpy(p->smac, nh->smac, ETH_ALEN);
	route_count(1);
	return 1;
}

/*
 * IPv6: the FIB never forwards from or to link-local, multicast or loopback
 * addresses (BPF_FIB_LKUP_RET_NOT_FWDED), whatever the routes say; leave
 * those to it.
 */
static __always_inline int route_v6_strict(const struct in6_addr *a)
{
	return ipv6_is_multicast(a) || ipv6_is_linklocal(a) || ipv6_is_loopback(a);
}

static __always_inline int route_lookup6(const struct in6_addr *src, const struct in6_addr *dst,
					 __u16 tot_len, __u32 gen, __u64 now,
					 struct bpf_fib_lookup *p)
{
	struct ig_route6_key k = { .prefixlen = 128 };

	if (!route_mirrored(IG_ROUTE_F_V6, gen, now) || route_v6_strict(src) ||
	    route_v6_strict(dst))
		return 0;
	__builtin_memcpy(k.addr, dst, 16);
	return route_nexthop(bpf_map_lookup_elem(&routes6, &k), tot_len, p);
}

static __always_inline int route_lookup4(__u32 dst, __u16 tot_len, __u32 gen, __u64 now,
					 struct bpf_fib_lookup *p)
{
	struct ig_route4_key k = { .prefixlen = 32 };

	if (!route_mirrored(IG_ROUTE_F_V4, gen, now))
		return 0;
	__builtin_memcpy(k.addr, &dst, 4);
	return route_nexthop(bpf_map_lookup_elem(&routes4, &k), tot_len, p);
}

#endif /* IG_ROUTE_H */
