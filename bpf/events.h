/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * events.h - an audit record for every refused admission (the reasons in
 * IG_EVENT_REASON_MASK), written to the "events" ring buffer and read by
 * 'isagate events'.
 *
 * Refusals leave the frame untouched, so the record is taken from the frame
 * itself: outer IPv4 source/destination when it arrived as protocol 41, the
 * (inner) IPv6 addresses and next header when that header is complete.
 * Rate limits: at most IG_EVENT_CANDIDATES_PER_CPU refusals of each reason
 * per CPU per second are considered (a budget in the reason's counter line,
 * stats.h: past it a refusal costs that one line; held back, ev_held), then
 * at most IG_EVENT_BUDGET_PER_CPU events per CPU per second,
 * then at most one event per source per config.event_min_interval_ms
 * (source: the outer IPv4 source as ::ffff:a.b.c.d, or the IPv6 source of
 * a packet refused on the IPv6 side), kept in a direct-mapped table shared
 * by the CPUs: a source whose slot another took, or two CPUs racing, give
 * an extra event, never a lost one.  A candidate costs a clock read and
 * two array accesses, no hash lookup, and the ring cannot fill; what is
 * held back is counted (ev_held in the counters, events_suppressed in
 * vis_stats: `isagate stats` reports their sum as suppressed), as is what
 * the ring had no room for (events_lost).
 */
#ifndef IG_EVENTS_H
#define IG_EVENTS_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "isagate.h"
#include "maps.h"
#include "clock.h"
#include "addr.h"
#include "icmp6.h"
#include "flow.h"
#include "hostlog.h"

/* Per-source event limit: the last event time of recent sources (not
 * pinned: after a re-attach every source may report again).  Written only
 * when an event is sent, so a flood only reads it. */
#define IG_EV_SOURCE_SLOTS 1024    /* a power of two */

struct ev_source {
	__u32 id;                  /* hash of the source address */
	__u32 pad;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IG_EV_SOURCE_SLOTS);
	__type(key, __u32);
	__type(value, struct ev_source);
} ev_sources SEC(".maps");

/* 1 when src may have an event now (and the time is recorded), else 0. */
static __always_inline int event_source_ok(const struct in6_addr *src, __u64 now, __u32 min_ms)
{
	const __u32 *w = src->in6_u.u6_addr32;
	__u32 id = ((w[0] * 0x9E3779B1u) ^ (w[1] * 0x85EBCA77u) ^ (w[2] * 0xC2B2AE3Du) ^ w[3]) *
		   0x27D4EB2Fu;
	__u32 slot = id >> 22;     /* IG_EV_SOURCE_SLOTS = 1024 */
	struct ev_source *e;

	if (!min_ms)
		return 1;
	e = bpf_map_lookup_elem(&ev_sources, &slot);
	if (!e)
		return 1;
	/* last_ns 0 is an empty slot, not "at boot": with a clock still below
	 * min_ms it would hold back a source whose hash is 0 */
	if (e->id == id && e->last_ns && now - e->last_ns < (__u64)min_ms * 1000000ull)
		return 0;
	e->id = id;
	e->last_ns = now;
	return 1;
}

static __always_inline void event_emit(struct xdp_md *ctx, const struct ig_config *cfg,
				       __u32 reason, __u32 len, __u32 ifindex,
				       struct ig_counter *ctr)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *ip = NULL;
	struct ig_vis_stats *vs;
	struct ig_event *ev;
	struct in6_addr rl;
	__u64 now;
	__u32 hlen;

	if (reason >= 64 || !((IG_EVENT_REASON_MASK >> reason) & 1))
		return;
	/* The candidates beside the counter first: once spent, a refusal
	 * costs nothing more (stats.h). */
	if (!ctr || !event_candidate(ctr, cfg))
		return;
	/* Then the per-CPU budget of events sent. */
	vs = vis_counters();
	if (!vs)
		return;
	now = coarse_now();
	if (!vs->ev_window_ns || now - vs->ev_window_ns >= 1000000000ull) {
		vs->ev_window_ns = now;
		vs->ev_window_used = 0;
	}
	if (vs->ev_window_used >= IG_EVENT_BUDGET_PER_CPU) {
		vs->events_suppressed++;
		return;
	}
	if ((void *)(eth + 1) > end)
		return;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end)
			return;
		hlen = (ip->ihl * 4) & 0x3c;
		if (ip->protocol == IPPROTO_IPV6 && hlen >= sizeof(*ip)) {
			ip6 = (void *)ip + hlen;
			if ((void *)(ip6 + 1) > end)
				ip6 = NULL;
		}
		v4_mapped(ip->saddr, &rl);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > end)
			return;
		rl = ip6->saddr;
	} else {
		return;
	}

	if (!event_source_ok(&rl, now, cfg->event_min_interval_ms)) {
		vs->events_suppressed++;
		return;
	}
	vs->ev_window_used++;
	if (ip) {
		host_log_refusal(ip->saddr, reason, now, ip6, end);
		/* a router solicitation refused before router discovery saw it */
		if (ip6 && ip6->nexthdr == IPPROTO_ICMPV6 &&
		    (reason == IG_DROP_NOT_MEMBER || reason == IG_DROP_SRC_ROUTER ||
		     reason == IG_DROP_NOT_V4_SIDE)) {
			const __u8 *t = (const void *)(ip6 + 1);

			if ((const void *)(t + 1) <= end && *t == 133 /* ND_RS */)
				host_log_rs(ip->saddr, ip->daddr, reason);
		}
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		vs->events_lost++;
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = now;
	ev->reason = reason;
	ev->ifindex = ifindex;
	ev->len = (__u16)len;
	if (ip) {
		__builtin_memcpy(ev->outer_src, &ip->saddr, 4);
		__builtin_memcpy(ev->outer_dst, &ip->daddr, 4);
		ev->flags |= IG_EV_F_OUTER4;
	}
	if (ip6) {
		__builtin_memcpy(ev->inner_src, &ip6->saddr, 16);
		__builtin_memcpy(ev->inner_dst, &ip6->daddr, 16);
		ev->proto = ip6->nexthdr;
		ev->flags |= IG_EV_F_INNER;
	}
	bpf_ringbuf_submit(ev, 0);
	vs->events_sent++;
}

#endif /* IG_EVENTS_H */
