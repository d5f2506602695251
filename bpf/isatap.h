/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * isatap.h - ISATAP address rules (RFC 5214 §6, §7.3), invalid source
 * rules (RFC 4213 §3.6) and routing-loop rules (RFC 6324).
 */
#ifndef IG_ISATAP_H
#define IG_ISATAP_H

#include <linux/types.h>
#include <linux/in6.h>
#include <bpf/bpf_endian.h>
#include "maps.h"
#include "addr.h"

/* Interface identifier 0000:5efe:a.b.c.d or 0200:5efe:a.b.c.d */
static __always_inline int ipv6_is_isatap(const struct in6_addr *a)
{
	return (a->in6_u.u6_addr32[2] | bpf_htonl(IG_ISATAP_UBIT)) == bpf_htonl(IG_ISATAP_IID_HI);
}

static __always_inline __u32 ipv6_isatap_v4(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[3];
}

/* The prefix entry for the upper 64 bits of a, or NULL. */
static __always_inline struct ig_prefix *isatap_prefix(const struct in6_addr *a)
{
	struct ig_prefix_key k;

	__builtin_memcpy(k.prefix, a->in6_u.u6_addr8, sizeof(k.prefix));
	return bpf_map_lookup_elem(&prefixes, &k);
}

static __always_inline struct ig_router *router_lookup(__u32 v4)
{
	struct ig_v4_key k;

	__builtin_memcpy(k.addr, &v4, sizeof(k.addr));
	return bpf_map_lookup_elem(&routers, &k);
}

/* Under one of the configured ISATAP prefixes?  (The forwarding paths'
 * test: two compares when the prefixes are in the config.) */
static __always_inline int isatap_prefix_ok(const struct ig_config *cfg, const struct in6_addr *a)
{
	__u64 hi;

	if (!(cfg->flags & IG_CFG_F_PREFIX_FAST))
		return isatap_prefix(a) != NULL;
	__builtin_memcpy(&hi, a->in6_u.u6_addr8, 8);
	return hi == *(const __u64 *)cfg->prefix64[0] || hi == *(const __u64 *)cfg->prefix64[1];
}

/* One of the router's own addresses? */
static __always_inline int router_is_self(const struct ig_config *cfg, __u32 v4)
{
	struct ig_router *r;

	if (cfg->flags & IG_CFG_F_SELF_FAST)
		return v4 == *(const __u32 *)cfg->self_v4[0] || v4 == *(const __u32 *)cfg->self_v4[1];
	r = router_lookup(v4);
	return r && (r->flags & IG_ROUTER_F_SELF);
}

/* One of the router's own addresses or a peer router's (RFC 6324)? */
static __always_inline int router_known(const struct ig_config *cfg, __u32 v4)
{
	if ((cfg->flags & IG_CFG_F_SELF_FAST) && !(cfg->flags & IG_CFG_F_HAS_PEERS))
		return router_is_self(cfg, v4);
	return router_lookup(v4) != NULL;
}

/* A host entry, else the longest matching subnet entry, else NULL. */
static __always_inline struct ig_member *member_lookup(__u32 v4)
{
	struct ig_v4_lpm_key nk = { .prefixlen = 32 };
	struct ig_member *m;
	struct ig_v4_key hk;

	__builtin_memcpy(hk.addr, &v4, sizeof(hk.addr));
	m = bpf_map_lookup_elem(&members, &hk);
	if (m)
		return m;
	__builtin_memcpy(nk.addr, &v4, sizeof(nk.addr));
	return bpf_map_lookup_elem(&member_nets, &nk);
}

/*
 * The member cache: per CPU, direct-mapped, the answer of member_lookup()
 * for recently seen IPv4 addresses (members and non-members alike), tagged
 * with the member maps' generation (config member_gen, bumped by user space
 * after each change of the maps), so a change takes effect with the next
 * packet.
 * A hit costs two array accesses instead of a hash walk (and, for a
 * non-member, a trie lookup); a flood from many sources only evicts slots.
 * Not pinned: a re-attach starts empty.
 */
#define IG_MEMBER_CACHE_BITS 12    /* 4096 slots of 8 bytes per CPU */

struct member_slot {
	__u32 addr;                /* IPv4 address, network order */
	__u32 tag;                 /* (generation + 1) << 1 | is a member; 0 = empty */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1u << IG_MEMBER_CACHE_BITS);
	__type(key, __u32);
	__type(value, struct member_slot);
} member_cache SEC(".maps");

/* Is v4 a member (a host entry or inside a subnet entry)? */
static __always_inline int member_known(const struct ig_config *cfg, __u32 v4)
{
	__u32 idx = (v4 * 0x9E3779B1u) >> (32 - IG_MEMBER_CACHE_BITS), tag;
	struct member_slot *s;
	int is;

	/* The generation is read before the maps: an answer read from maps
	 * older than the generation it is stored under would never expire. */
	tag = (*(const volatile __u32 *)&cfg->member_gen + 1) << 1;
	s = bpf_map_lookup_elem(&member_cache, &idx);
	if (!s)
		return member_lookup(v4) != NULL;
	if (s->addr == v4 && (s->tag & ~1u) == tag)
		return s->tag & 1;
	is = member_lookup(v4) != NULL;
	s->addr = v4;
	s->tag = tag | is;
	return is;
}

/* RFC 4213 §3.6: never accept these as an inner source. */
static __always_inline int ipv6_src_invalid(const struct in6_addr *a)
{
	const __u32 *w = a->in6_u.u6_addr32;

	if (ipv6_is_multicast(a))
		return 1;
	if (w[0] == 0 && w[1] == 0 &&
	    (w[2] == 0 ||                        /* ::/96, ::1 included */
	     w[2] == bpf_htonl(0x0000ffff)))     /* ::ffff:0:0/96 */
		return 1;
	return 0;
}

/*
 * Encapsulation: the source of an IPv6 packet from the IPv6 side must be one
 * a remote host can have, by the rules decapsulation applies to inner
 * sources: not multicast, ::/96 (:: and ::1 included) or ::ffff:0:0/96
 * (RFC 4213 §3.6), not link-local (RFC 4291 §2.5.6: never forwarded off its
 * link), not under one of our ISATAP prefixes (that /64 is the ISATAP link:
 * only members and the router live there, and they arrive tunnelled; a
 * native packet from it poses as one of them, RFC 6324).  A few compares
 * on the source's words, the prefixes' two with IG_CFG_F_PREFIX_FAST.
 * Returns 0 or the drop reason.
 */
static __always_inline int encap_check_src(const struct in6_addr *src,
					   const struct ig_config *cfg)
{
	if (ipv6_src_invalid(src))
		return IG_DROP_ENC_BAD_SRC;
	if (ipv6_is_linklocal(src))
		return IG_DROP_ENC_SCOPE;
	if (isatap_prefix_ok(cfg, src))
		return IG_DROP_ENC_SPOOF;
	return 0;
}

/*
 * RFC 5214 §7.3: the inner source must be an ISATAP address embedding the
 * outer source, under fe80::/64 or a configured prefix.  Configured peer
 * routers may forward anything.  Returns 0 or the drop reason.
 */
static __always_inline int isatap_check_src(const struct in6_addr *src, __u32 outer_src,
					    const struct ig_config *cfg)
{
	struct ig_router *rtr;

	if (ipv6_src_invalid(src))
		return IG_DROP_BAD_SRC;
	if (ipv6_is_isatap(src) && ipv6_isatap_v4(src) == outer_src &&
	    (ipv6_is_linklocal64(src) || isatap_prefix_ok(cfg, src)))
		return 0;
	if (!(cfg->flags & IG_CFG_F_HAS_PEERS))
		return IG_DROP_SPOOF;
	rtr = router_lookup(outer_src);
	if (rtr && (rtr->flags & IG_ROUTER_F_PEER))
		return 0;
	return IG_DROP_SPOOF;
}

/*
 * RFC 6324 for a decapsulated packet's destination: never towards an
 * ISATAP address of ours or of a known router, never back onto the ISATAP
 * link (that would re-encapsulate), no 6to4 unless allowed.
 */
static __always_inline int isatap_check_dst_loop(const struct in6_addr *dst,
						 const struct ig_config *cfg)
{
	if (ipv6_is_isatap(dst)) {
		if (router_known(cfg, ipv6_isatap_v4(dst)))
			return IG_DROP_LOOP;
		if (isatap_prefix_ok(cfg, dst))
			return IG_DROP_LOOP;
	}
	if (!(cfg->flags & IG_CFG_F_ALLOW_6TO4) &&
	    dst->in6_u.u6_addr16[0] == bpf_htons(0x2002))
		return IG_DROP_LOOP;
	return 0;
}

#endif /* IG_ISATAP_H */
