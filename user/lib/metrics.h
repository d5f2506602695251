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
#include "policy.h"

struct ig_metrics {
	struct ig_counter counters[IG_REASON_MAX];
	long members;              /* host + subnet entries */
	long flows;                /* entries in the flow table, -1 unknown */
	uint64_t flow_evictions;
	struct ig_vis_stats vis;
	bool have_vis;
	struct ig_neigh_req_stats neigh;  /* neighbour requests, summed over CPUs */
	bool have_neigh;           /* false: no neigh_req_stats map (older pins) */
	struct ig_policy_view policy;
};

extern const char *const ig_reason_key[IG_REASON_MAX];
extern const char *const ig_reason_text[IG_REASON_MAX];

/*
 * Read everything from the maps under pin_dir.  0, IG_EXIT_NOT_ATTACHED or
 * IG_EXIT_FAIL (message printed).  Maps of older versions without a flow
 * table leave flows at -1.
 */
int ig_metrics_read(const char *pin_dir, struct ig_metrics *m);

/* The stats map (fd) summed over CPUs into out; 0 or -errno. */
int ig_stats_sum(int fd, struct ig_counter out[IG_REASON_MAX]);

/* The neigh_req_stats map under pin_dir summed over CPUs into out: 0,
 * -ENOENT when it is not pinned (older pins), else -errno; only a failed
 * read of an opened map is printed. */
int ig_neigh_req_read(const char *pin_dir, struct ig_neigh_req_stats *out);

/* Write the Prometheus text file, mode 0644, atomically (ig_atomic_open: a
 * random temporary in its directory, then rename).  0 or -errno. */
int ig_metrics_write_prometheus(const struct ig_metrics *m, const char *path);

#endif /* IG_METRICS_H */
