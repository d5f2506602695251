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

#endif /* IG_STATS_H */
