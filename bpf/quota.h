/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * quota.h - what one source may hold of the shared flows and conns tables
 * (include/isagate.h, "Per-source quotas"): a token bucket per source and
 * table, taken from only when an entry is about to be created, so a packet
 * of a known flow or connection never reads it.
 */
#ifndef IG_QUOTA_H
#define IG_QUOTA_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "isagate.h"
#include "maps.h"
#include "clock.h"
#include "stats.h"

#define IG_Q_FLOWS 0
#define IG_Q_CONNS 1

#define IG_QUOTA_PERIOD_NS ((__u64)IG_QUOTA_REFILL_S * 1000000000ull)

/* Refill b (quota tokens per IG_QUOTA_REFILL_S, never more than quota held)
 * up to now, then take a token: 1 when there was one. */
static __always_inline int bucket_take(struct ig_quota_bucket *b, __u32 quota, __u64 now)
{
	__u64 add;

	if (now > b->last_ns) {
		add = now - b->last_ns >= IG_QUOTA_PERIOD_NS ? quota :
		      (now - b->last_ns) * quota / IG_QUOTA_PERIOD_NS;
		if ((__u64)b->tokens + add >= quota) {
			b->tokens = quota;
			b->last_ns = now;
		} else if (add) {
			/* the time those tokens took, not now: no refill lost */
			b->tokens += (__u32)add;
			b->last_ns += add * IG_QUOTA_PERIOD_NS / quota;
		}
	}
	if (!b->tokens) {
		b->refused++;
		return 0;
	}
	b->tokens--;
	return 1;
}

/* A zeroed bucket pair, never written: a new entry's value without a stack
 * copy (the 6.1 verifier counts every inlined local of the entry point). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ig_quota);
} quota_empty SEC(".maps");

/*
 * The quota entry of key in map (member_quota or remote_quota), created
 * with full buckets when missing; NULL when it cannot be.
 */
static __always_inline struct ig_quota *quota_entry(void *map, const void *key,
						    const struct ig_config *cfg, __u64 now)
{
	struct ig_quota *q = bpf_map_lookup_elem(map, key);
	__u32 zero = 0;
	void *empty;

	if (q)
		return q;
	empty = bpf_map_lookup_elem(&quota_empty, &zero);
	if (!empty)
		return NULL;
	if (bpf_map_update_elem(map, key, empty, BPF_NOEXIST))
		return bpf_map_lookup_elem(map, key); /* another CPU's, just made */
	q = bpf_map_lookup_elem(map, key);
	if (q) {
		q->flows.tokens = cfg->quota_flows;
		q->conns.tokens = cfg->quota_conns;
		q->flows.last_ns = now;
		q->conns.last_ns = now;
	}
	return q;
}

/*
 * May a new entry of table (IG_Q_*) be created for its opener: the member
 * member_v4 (remote16 == NULL) or the remote host whose address is at
 * remote16 (its /64)?  1 = yes (a token taken), 0 = no.  Two CPUs taking
 * from one bucket at once may both succeed: a source gets at most one
 * extra entry per CPU.
 */
static __always_inline int quota_take(int table, __u32 member_v4, const void *remote16,
				      const struct ig_config *cfg)
{
	__u32 quota = table == IG_Q_FLOWS ? cfg->quota_flows : cfg->quota_conns;
	struct ig_remote_key rk;
	struct ig_v4_key mk4;
	struct ig_vis_stats *vs;
	struct ig_quota *q;
	__u64 now;

	if (!quota)
		return 1;
	now = coarse_now();
	if (remote16) {
		__builtin_memcpy(rk.prefix, remote16, 8);
		q = bpf_map_lookup_elem(&remote_quota, &rk);
		/* remote /64s are as many as an attacker picks: each new one
		 * costs a per-CPU budget (members are as many as the membership) */
		if (!q) {
			vs = vis_counters();
			if (!vs || !budget_take(&vs->q_window_ns, &vs->q_window_used, now,
						IG_QUOTA_NEW_PER_CPU)) {
				if (vs)
					vs->quota_new_refused++;
				return 0;
			}
			q = quota_entry(&remote_quota, &rk, cfg, now);
		}
	} else {
		__builtin_memcpy(mk4.addr, &member_v4, 4);
		q = quota_entry(&member_quota, &mk4, cfg, now);
	}
	if (!q)
		return 1; /* no entry can be made: as without a quota */
	return bucket_take(table == IG_Q_FLOWS ? &q->flows : &q->conns, quota, now);
}

#endif /* IG_QUOTA_H */
