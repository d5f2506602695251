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
#include "flows.h"
#include "policy.h"
#include "syncstate.h"
#include "flowcache.h"

/* Members named in isagate_flows_unanswered (bounded cardinality: the rest
 * are summed under member="other"). */
#define IG_METRICS_UNANSWERED_MAX 50

struct ig_metrics {
	struct ig_counter counters[IG_REASON_MAX];
	long members;              /* host + subnet entries */
	long flows;                /* entries in the flow table, -1 unknown */
	struct ig_flow_tables tables; /* what each of its tables held */
	uint64_t flow_evictions;
	/* unanswered conversations (flows.h): the members with the most, the
	 * flows of the rest, all of them; have_unans false without a flow table */
	struct ig_unanswered_member unans[IG_METRICS_UNANSWERED_MAX];
	size_t n_unans;
	long unans_other, unans_total;
	bool have_unans;
	struct ig_vis_stats vis;
	bool have_vis;
	struct ig_fc_totals fc; /* the flow cache (attach --flow-cache), after a fold */
	bool have_fc;
	struct ig_neigh_req_stats neigh;  /* neighbour requests, summed over CPUs */
	bool have_neigh;           /* false: no neigh_req_stats map (older pins) */
	struct ig_policy_view policy;
	/* members by where they came from (IG_MEMBERS_BY_*), and how many are
	 * kept fail-static (a name failing temporarily) */
	long by_source[4];
	long stale;
	/* forwarding decisions the cache did not hold, and the route mirror's
	 * state; have_route false without them (older pins) */
	struct ig_route_stats route;
	struct ig_route_state route_state;
	bool have_route;
	struct ig_sync_state sync;  /* the last members syncs' outcome */
	bool have_sync;            /* false: no sync_state map (older pins) */
	/* the router's XDP links: pinned ones on a device, and defunct ones
	 * (the device is gone) */
	int links_up, links_down;
	bool attached;             /* pins found, and every link running */
	bool detached;             /* nothing attached under the pin directory: the
				    * textfile says only isagate_attached 0 */
};

/* isagate_members_by_source{source=...}, in this order */
enum { IG_MEMBERS_BY_ADDRESS, IG_MEMBERS_BY_SUBNET, IG_MEMBERS_BY_NAME, IG_MEMBERS_BY_DIRECTORY };
extern const char *const ig_members_source_key[4];

extern const char *const ig_reason_key[IG_REASON_MAX];
extern const char *const ig_reason_text[IG_REASON_MAX];

/*
 * Read everything from the maps under pin_dir.  0, -ENOENT (not attached)
 * or -EIO (message printed).  Maps of older versions without a flow
 * table leave flows at -1.
 */
int ig_metrics_read(const char *pin_dir, struct ig_metrics *m);

/* The stats map (fd) summed over CPUs into out; 0 or -errno. */
int ig_stats_sum(int fd, struct ig_counter out[IG_REASON_MAX]);

/* The neigh_req_stats map under pin_dir summed over CPUs into out: 0,
 * -ENOENT when it is not pinned (older pins), else -errno; only a failed
 * read of an opened map is printed. */
int ig_neigh_req_read(const char *pin_dir, struct ig_neigh_req_stats *out);

/* The one entry of the per-CPU array pinned as <pin_dir>/<name>, whose value
 * (size bytes) is all __u64 counters, summed over the CPUs into out: 0;
 * -ENOENT, quietly, without such a map (older pins); other -errno. */
int ig_percpu_sum(const char *pin_dir, const char *name, void *out, size_t size);

/* Write the Prometheus text file, mode 0644, atomically (ig_atomic_open: a
 * random temporary in its directory, then rename).  0 or -errno.  With
 * m->detached (isagate not attached under the pin directory), only
 * isagate_attached 0 is written: counters of a router that is gone are not
 * kept exported as if it ran. */
int ig_metrics_write_prometheus(const struct ig_metrics *m, const char *path);

#endif /* IG_METRICS_H */
