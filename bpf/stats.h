/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* stats.h - per-CPU verdict counters: every packet lands in exactly one. */
#ifndef IG_STATS_H
#define IG_STATS_H

#include "maps.h"

static __always_inline void count(__u32 reason, __u32 bytes)
{
	struct ig_counter *c = bpf_map_lookup_elem(&stats, &reason);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
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
