/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flowcache.h - the collector of the per-CPU flow cache (attach
 * --flow-cache N, bpf/flowcache.h): folds the eviction logs and the live
 * slots into flows_folded, each packet once (the readers add it to
 * "flows": ig_flows_read).  `isagate watch` folds every
 * second; every reader of the flow table (flows, top, stats, explain, the
 * metrics) folds first, so what it shows is current.  One collector at a
 * time: a folding process holds an exclusive flock on
 * IG_FC_LOCK_DIR/<pin dir>.lock while it folds.
 */
#ifndef IG_FLOWCACHE_USER_H
#define IG_FLOWCACHE_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "isagate.h"

#define IG_FC_LOCK_DIR "/run/isagate"
#define IG_FC_FOLD_NS 1000000000ull	     /* isagate watch folds at least this often */
#define IG_FC_CHECK_MS 20		     /* and looks at the logs this often */
#define IG_FC_BUSY_MS 1			     /* or this often while they keep filling */
#define IG_FC_DRAIN_NS 10000000ull	     /* one drain of the logs lasts at most this */
#define IG_FC_BUSY_RECS (IG_FC_LOG_RECS / 8) /* a look folding this many: busy */

struct ig_fc {
	int fd[4];    /* flow_cache, flow_log, flow_log_pos, flow_seen */
	void *mem[4]; /* their mappings */
	size_t len[4];
	unsigned int ncpu;
	unsigned int slots; /* per CPU */
};

/* What one fold did (added to by ig_fc_fold). */
struct ig_fc_stats {
	uint64_t records; /* log records folded */
	uint64_t live;	  /* live slots with new packets folded */
	uint64_t packets; /* packets added to the flow table */
	uint64_t bytes;
	uint64_t inserts;      /* flows the table did not hold yet */
	uint64_t update_fail;  /* flow-table writes that failed (packets lost) */
	uint64_t lost_packets; /* their packets */
};

/* Totals of the per-CPU log positions (struct ig_fc_log_pos). */
struct ig_fc_totals {
	uint64_t fills, evictions, refreshes, records, pending;
	uint64_t spilled_packets, spilled_bytes;
	uint64_t collected_packets, collected_bytes, inserts;
};

/*
 * Map the flow cache pinned under pin_dir.  Returns 1 (fc ready), 0 when
 * the router runs without a flow cache (nothing to fold, fc untouched), or
 * a negative errno (message printed).
 */
int ig_fc_open(struct ig_fc *fc, const char *pin_dir);
/* The same for the maps fd[] (cache, log, positions, seen; duplicated). */
int ig_fc_from_fds(struct ig_fc *fc, const int fd[4]);
void ig_fc_close(struct ig_fc *fc);

/*
 * Fold what the datapath accounted since the last fold into the table
 * flows_fd (flows_folded).  The caller holds the fold lock (ig_fc_lock).  Returns 0 or
 * -errno.
 */
int ig_fc_fold(struct ig_fc *fc, int flows_fd, struct ig_fc_stats *st);

/*
 * Fold the logs only (no live slot), again while a pass finds
 * IG_FC_BUSY_RECS records or more, for at most IG_FC_DRAIN_NS: what a storm
 * of new flows needs between two full folds.  The caller holds the fold
 * lock.  Returns the number of records folded.
 */
uint64_t ig_fc_drain(struct ig_fc *fc, int flows_fd, struct ig_fc_stats *st);

/* The fold lock for pin_dir: a descriptor to close, or -errno (printed). */
int ig_fc_lock(const char *pin_dir);

/* Sum the per-CPU positions. */
void ig_fc_totals(const struct ig_fc *fc, struct ig_fc_totals *t);

/* The same for the flow cache pinned under pin_dir, and its slots per CPU
 * (slots may be NULL): 1, 0 with no flow cache (t untouched), or -errno. */
int ig_fc_totals_pinned(const char *pin_dir, struct ig_fc_totals *t, unsigned int *slots);

/*
 * For readers: when pin_dir's router has a flow cache, take the lock, fold
 * into its flows_folded and let go.  1 (folded), 0 (no flow cache) or
 * -errno (printed).
 */
int ig_fc_fold_pinned(const char *pin_dir);

/*
 * For a long-running folder (isagate watch): fold the logs when a CPU's log
 * is a quarter full (so that a burst of new flows does not fill it between
 * two looks), the logs and the live slots at least every IG_FC_FOLD_NS.
 * While a look finds the logs filling (IG_FC_BUSY_RECS or more folded),
 * it drains them again and again for up to IG_FC_DRAIN_NS and looks again
 * after IG_FC_BUSY_MS instead of IG_FC_CHECK_MS: a storm of new flows costs
 * the folder's CPU before it spills into the shared table (one folder's
 * rate, a kernel look-up and update per record, still bounds what the
 * cache absorbs).  Call it when ig_fc_watch_ms() has passed; the maps are
 * looked up again at each full fold, so a re-attach that replaces them is
 * followed.
 */
struct ig_fc_watch {
	struct ig_fc fc;
	int open;  /* ig_fc_open()'s result */
	bool busy; /* the last look found the logs filling */
	uint64_t next_fold_ns;
};
void ig_fc_watch_tick(struct ig_fc_watch *w, const char *pin_dir);
int ig_fc_watch_ms(const struct ig_fc_watch *w);
void ig_fc_watch_end(struct ig_fc_watch *w);

#endif /* IG_FLOWCACHE_USER_H */
