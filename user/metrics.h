/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics.h - one snapshot of the router's counters (reasons summed over
 * CPUs, members, flows, evictions, events) and its Prometheus text form
 * (node_exporter textfile collector), written atomically.
 */
#ifndef IG_METRICS_H
#define IG_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "isagate.h"

struct ig_metrics {
	struct ig_counter counters[IG_REASON_MAX];
	long members;              /* host + subnet entries */
	long flows;                /* entries in the flow table, -1 unknown */
	uint64_t flow_evictions;
	struct ig_vis_stats vis;
	bool have_vis;
	int policy_rules;          /* rules of the loaded policy, -1: none loaded */
	__u8 policy_default;       /* its default action */
	long conns;                /* connection-table entries, -1 unknown */
	struct ig_rule policy_rule[IG_POLICY_MAX_RULES];
	struct ig_rule_counter policy_cnt[IG_POLICY_SLOTS];  /* [IG_POLICY_MAX_RULES]: default */
};

extern const char *const ig_reason_key[IG_REASON_MAX];
extern const char *const ig_reason_text[IG_REASON_MAX];

/*
 * Read everything from the maps under pin_dir.  0, IG_EXIT_NOT_ATTACHED or
 * IG_EXIT_FAIL (message printed).  Maps of older versions without a flow
 * table leave flows at -1.
 */
int ig_metrics_read(const char *pin_dir, struct ig_metrics *m);

/* Entries in a map (walks the keys; key_size at most 64 bytes). */
long ig_map_count(int fd);

/* Write the Prometheus text file: PATH.tmp.PID, then rename.  0 or -errno. */
int ig_metrics_write_prometheus(const struct ig_metrics *m, const char *path);

#endif /* IG_METRICS_H */
