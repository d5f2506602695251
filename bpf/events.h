/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * events.h - an audit record for every refused admission (the reasons in
 * IG_EVENT_REASON_MASK), written to the "events" ring buffer and read by
 * 'isagate events'.
 *
 * Refusals leave the frame untouched, so the record is taken from the frame
 * itself: outer IPv4 source/destination when it arrived as protocol 41, the
 * (inner) IPv6 addresses and next header when that header is complete.
 * Rate limits: at most IG_EVENT_BUDGET_PER_CPU events per CPU per second
 * (once it is spent the clock is read every IG_EVENT_CLOCK_EVERY refusals,
 * so the next second's budget opens within that many refusals),
 * then at most one event per source per config.event_min_interval_ms
 * (key: the outer IPv4 source as ::ffff:a.b.c.d, or the IPv6 source of a
 * packet refused on the IPv6 side), so a flood costs a per-CPU counter per
 * packet once the budget is spent and cannot fill the ring; what is held back is counted in
 * vis_stats (events_suppressed), as is what the ring had no room for
 * (events_lost).
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
#include "icmp6.h"
#include "flow.h"

static __always_inline void event_emit(struct xdp_md *ctx, const struct ig_config *cfg,
				       __u32 reason, __u32 len, __u32 ifindex)
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
	/* The per-CPU budget first: once spent, a refusal costs a counter, and
	 * a look at the clock (is the second over?) only every 16th time. */
	vs = vis_counters();
	if (!vs)
		return;
	if (vs->ev_window_used >= IG_EVENT_BUDGET_PER_CPU &&
	    (++vs->events_suppressed & (IG_EVENT_CLOCK_EVERY - 1)))
		return;
	now = bpf_ktime_get_coarse_ns();
	if (now - vs->ev_window_ns >= 1000000000ull) {
		if (vs->ev_window_used >= IG_EVENT_BUDGET_PER_CPU)
			vs->events_suppressed--;   /* counted above, sent after all */
		vs->ev_window_ns = now;
		vs->ev_window_used = 0;
	} else if (vs->ev_window_used >= IG_EVENT_BUDGET_PER_CPU) {
		return;                            /* counted above */
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

	if (!ratelimit_ok(&rl, IG_RL_EVENT, cfg->event_min_interval_ms)) {
		vs->events_suppressed++;
		return;
	}
	vs->ev_window_used++;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		vs->events_lost++;
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_coarse_ns();
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
