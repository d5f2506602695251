/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* stats.h - per-CPU verdict counters: every packet lands in exactly one. */
#ifndef IG_STATS_H
#define IG_STATS_H

#include "maps.h"

/* Count a packet under reason; returns its counter (for event_candidate). */
static __always_inline struct ig_counter *count(__u32 reason, __u32 bytes)
{
	struct ig_counter *c = bpf_map_lookup_elem(&stats, &reason);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
	return c;
}

/*
 * The event budget beside the counter c (struct ig_counter): 1 when this
 * CPU may still consider a refusal of c's reason for an event this second
 * (one candidate taken), else 0 and the refusal is counted in ev_held.  The
 * second is cfg->jiffies_hz jiffies (an inlined load of jiffies, no clock
 * read), so a flood past its candidates touches this one line.
 */
static __always_inline int event_candidate(struct ig_counter *c, const struct ig_config *cfg)
{
	__u32 j = (__u32)bpf_jiffies64();

	if (j - c->ev_window >= cfg->jiffies_hz) {
		c->ev_window = j;
		c->ev_used = 0;
	}
	if (c->ev_used >= IG_EVENT_CANDIDATES_PER_CPU) {
		c->ev_held++;
		return 0;
	}
	c->ev_used++;
	return 1;
}

/* The visibility counters of this CPU (struct ig_vis_stats). */
static __always_inline struct ig_vis_stats *vis_counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vis_stats, &zero);
}

/*
 * A per-CPU budget of per_s a second, its second starting at *win and
 * *used of it spent: 1 (and one more spent) when this CPU may still spend.
 */
static __always_inline int budget_take(__u64 *win, __u64 *used, __u64 now, __u32 per_s)
{
	if (!*win || now - *win >= 1000000000ull) {
		*win = now;
		*used = 0;
	}
	if (*used >= per_s)
		return 0;
	(*used)++;
	return 1;
}

#endif /* IG_STATS_H */
