/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flow.h - per-flow accounting of forwarded packets.
 *
 * The handlers describe the inner packet (flow_meta_fill) at the point where
 * it is about to be forwarded, while its headers are still in place; the
 * entry point accounts it once the verdict is known (flow_account), only for
 * the reasons in IG_FLOW_REASON_MASK.  The table is one LRU hash shared by
 * all CPUs, its values inline: one lookup per packet (bucket, then the
 * entry with its counters: no per-CPU value behind it), one insert per new
 * flow, counters added atomically (two CPUs may carry the same flow).
 * With the flow cache (flowcache.h) the packet goes to its CPU's cache
 * instead, and comes here only when the cache cannot take it.
 */
#ifndef IG_FLOW_H
#define IG_FLOW_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "isagate.h"
#include "maps.h"
#include "clock.h"
#include "forward.h"
#include "stats.h"
#include "quota.h"
#include "flowcache.h"

#define IG_FLOW_FROM_MEMBER 0   /* decapsulated */
#define IG_FLOW_TO_MEMBER   1   /* encapsulated */

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

/* What the entry point needs to account one packet. */
struct flow_meta {
	struct ig_flow_key key;
	__u32 len;                 /* inner IPv6 packet length */
	__u8  valid;               /* key filled */
	__u8  account;             /* account it in the flow table */
	__u8  dir;                 /* IG_FLOW_* */
	__u8  tcp_flags;
	__u8  icmp_type;
};

/*
 * Describe the IPv6 packet ip6 (its L4 header at l4, the frame ending at
 * end) travelling in direction dir for the member member_v4, for the flow
 * table and, when a policy is loaded (policy != NULL), the connection table.
 */
static __always_inline void flow_meta_fill(struct flow_meta *m, const struct ipv6hdr *ip6,
					   const void *l4, const void *end, __u32 member_v4,
					   int dir, __u32 len, const struct ig_config *cfg,
					   const void *policy)
{
	const __u8 *p = l4;
	__u16 sport = 0, dport = 0;

	m->account = !(cfg->flags & IG_CFG_F_NO_FLOWS);
	if (!m->account && !policy)
		return;
	__builtin_memcpy(m->key.member, &member_v4, 4);
	if (dir == IG_FLOW_FROM_MEMBER) {
		__builtin_memcpy(m->key.member_addr, &ip6->saddr, 16);
		__builtin_memcpy(m->key.remote_addr, &ip6->daddr, 16);
	} else {
		__builtin_memcpy(m->key.member_addr, &ip6->daddr, 16);
		__builtin_memcpy(m->key.remote_addr, &ip6->saddr, 16);
	}
	m->key.proto = ip6->nexthdr;
	m->key.pad[0] = m->key.pad[1] = m->key.pad[2] = 0;
	m->tcp_flags = 0;
	m->icmp_type = 0;

	switch (ip6->nexthdr) {
	case IPPROTO_TCP:
		if ((const void *)(p + 14) <= end)
			m->tcp_flags = p[13];
		/* fall through */
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if ((const void *)(p + 4) <= end) {
			sport = (__u16)(p[0] << 8 | p[1]);
			dport = (__u16)(p[2] << 8 | p[3]);
		}
		break;
	case IPPROTO_ICMPV6:
		if ((const void *)(p + 8) > end)
			break;
		m->icmp_type = p[0];
		if (p[0] == 128 || p[0] == 129) {
			/* member side: the identifier; remote side: who sent
			 * the request (a request from the member, or a reply
			 * to the member, belong to the member's request) */
			__u16 who = (p[0] == 128) == (dir == IG_FLOW_FROM_MEMBER) ?
				    IG_FLOW_ICMP_ECHO_PORT : IG_FLOW_ICMP_ECHO_IN_PORT;

			sport = dport = (__u16)(p[4] << 8 | p[5]);
			if (dir == IG_FLOW_FROM_MEMBER)
				dport = who;
			else
				sport = who;
		} else {
			/* from the member: remote_port = type/code; to it: the same */
			if (dir == IG_FLOW_FROM_MEMBER)
				dport = (__u16)(p[0] << 8 | p[1]);
			else
				sport = (__u16)(p[0] << 8 | p[1]);
		}
		break;
	}
	if (dir == IG_FLOW_FROM_MEMBER) {
		m->key.member_port = sport;
		m->key.remote_port = dport;
	} else {
		m->key.member_port = dport;
		m->key.remote_port = sport;
	}
	m->len = len;
	m->dir = (__u8)dir;
	m->valid = 1;
}

/* The first packet of a direction, in an entry no other CPU sees yet. */
static __always_inline void flow_dir_init(struct ig_flow_dir *d, const struct flow_meta *m)
{
	d->packets = 1;
	d->bytes = m->len;
	d->tcp_flags = m->tcp_flags;
	d->icmp_type = m->icmp_type;
}

/*
 * Add a packet to a direction of a shared entry: packets and bytes with
 * atomic adds (exact however many CPUs carry the flow); the TCP flags are
 * written only when the packet brings a new one (a handful of times per
 * flow: two CPUs bringing different new flags at the same instant can lose
 * one), the ICMPv6 type is "the last one seen" by nature.
 */
static __always_inline void flow_dir_add(struct ig_flow_dir *d, const struct flow_meta *m)
{
	__sync_fetch_and_add(&d->packets, 1);
	__sync_fetch_and_add(&d->bytes, m->len);
	if ((d->tcp_flags | m->tcp_flags) != d->tcp_flags)
		d->tcp_flags |= m->tcp_flags;
	if (m->icmp_type && d->icmp_type != m->icmp_type)
		d->icmp_type = m->icmp_type;
}

/* The entry for the flow m describes, if it exists (and accounting is on):
 * its forwarding decisions save the shared cache's lookup, and
 * flow_account() updates it without a second lookup. */
static __always_inline struct ig_flow *flow_lookup(const struct flow_meta *m)
{
	if (!m->valid || !m->account || fc_enabled())
		return NULL; /* with the flow cache: the shared forwarding cache */
	return bpf_map_lookup_elem(&flows, &m->key);
}

/* The forwarding decision of direction dir in f, or NULL.  The empty asm
 * keeps clang from computing the address before the NULL check (the
 * verifier refuses arithmetic on a pointer that may be NULL). */
static __always_inline struct ig_fwd_entry *flow_fwd(struct ig_flow *f, int dir)
{
	if (!f)
		return NULL;
	asm volatile("" : "+r"(f));
	return dir == IG_FLOW_FROM_MEMBER ? &f->fwd_from_member : &f->fwd_to_member;
}

/* Turn k into the key under which a flow whose opener is over its quota is
 * accounted: the member's aggregate entry (include/isagate.h, "Per-source
 * quotas"). */
static __always_inline void flow_aggregate_key(struct ig_flow_key *k)
{
	__builtin_memset(k->remote_addr, 0, sizeof(k->remote_addr));
	k->member_port = 0;
	k->remote_port = 0;
	k->proto = IG_FLOW_PROTO_AGGREGATE;
}

/*
 * Account the packet described by m, whose verdict is reason, in f (from
 * flow_lookup(), NULL when the flow is new: then an entry is created, in
 * nf, scratch space, first).  A new flow's entry starts with the decision
 * this packet was forwarded by (fib), if any.  A new flow whose opener (the
 * member, or the remote host's /64) has no quota token left goes to the
 * member's aggregate entry instead.
 */
static __always_inline void flow_account(struct flow_meta *m, __u32 reason, struct ig_flow *f,
					 struct ig_flow *nf, const struct bpf_fib_lookup *fib,
					 const struct ig_config *cfg)
{
	struct ig_vis_stats *vs = NULL;
	int aggregate = 0;
	__u64 now;

	if (!m->account || reason >= 64 || !((IG_FLOW_REASON_MASK >> reason) & 1))
		return;
	if (fc_enabled()) {
		if (fc_account(&m->key,
			       m->dir == IG_FLOW_FROM_MEMBER ? IG_FC_FROM_MEMBER : IG_FC_TO_MEMBER,
			       m->tcp_flags, reason, m->len))
			return;
		/* the CPU's log is full: into the table, as without the cache */
		f = bpf_map_lookup_elem(&flows, &m->key);
	}
	now = coarse_now();
	if (!f)     /* a known flow's packet reads no counter and no quota */
		vs = vis_counters();
	if (!f && !quota_take(IG_Q_FLOWS, *(const __u32 *)m->key.member,
			      m->dir == IG_FLOW_FROM_MEMBER ? NULL : m->key.remote_addr, cfg)) {
		if (vs)
			vs->flow_quota_refused++;
		/* in place (m is this packet's scratch, its last use): no
		 * second key on the entry point's stack */
		flow_aggregate_key(&m->key);
		aggregate = 1;
		f = bpf_map_lookup_elem(&flows, &m->key);
	}
	if (!f) {
		__builtin_memset(nf, 0, sizeof(*nf));
		nf->first_ns = now;
		nf->last_ns = now;
		nf->last_verdict = reason;
		if (m->dir == IG_FLOW_FROM_MEMBER)
			flow_dir_init(&nf->from_member, m);
		else
			flow_dir_init(&nf->to_member, m);
		if ((reason == IG_FWD_DECAP || reason == IG_FWD_ENCAP) && cfg->fwd_cache_ms &&
		    !aggregate)
			fwd_entry_put(m->dir == IG_FLOW_FROM_MEMBER ? &nf->fwd_from_member
								    : &nf->fwd_to_member,
				      fib, m->len + (m->dir == IG_FLOW_TO_MEMBER ? 20 : 0), now,
				      fwd_generation(cfg), cfg);
		if (!bpf_map_update_elem(&flows, &m->key, nf, BPF_NOEXIST)) {
			if (vs)
				vs->flow_inserts++;
			return;
		}
		/* another CPU created it first: add to it */
		f = bpf_map_lookup_elem(&flows, &m->key);
		if (!f) {
			if (vs)
				vs->flow_insert_fail++;
			return;
		}
	}
	if (m->dir == IG_FLOW_FROM_MEMBER)
		flow_dir_add(&f->from_member, m);
	else
		flow_dir_add(&f->to_member, m);
	f->last_ns = now;
	f->last_verdict = reason;
}

#endif /* IG_FLOW_H */
