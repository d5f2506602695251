/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flows.h - reading the datapath's flow table ("flows", a shared LRU hash)
 * and turning successive reads into per-interval deltas (flows --follow,
 * IPFIX).  Everything here only reads the maps: a reader can be killed and
 * restarted at any time without the datapath losing anything.
 */
#ifndef IG_FLOWS_H
#define IG_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isagate.h"

/* One flow: its key and value. */
struct ig_flow_rec {
	struct ig_flow_key key;
	struct ig_flow v;          /* the entry's value, as read */
};

/*
 * Read every entry of the flow table (fd) into *out (malloc'd, sorted by
 * key), after folding the router's flow cache into it when pin_dir (not
 * NULL) has one (flowcache.h).  Returns the number of flows or -errno
 * (message printed).
 */
long ig_flows_read(const char *pin_dir, int fd, struct ig_flow_rec **out);

/* The entries each table held when it was read. */
struct ig_flow_tables {
	long table;  /* "flows" (the datapath's), -1 unknown */
	long folded; /* "flows_folded" (the collector's), -1 without a flow cache */
};

/* ig_flows_read(), also saying what each table held (t may be NULL). */
long ig_flows_read_tables(const char *pin_dir, int fd, struct ig_flow_rec **out,
			  struct ig_flow_tables *t);

/* Sum of vis_stats over CPUs; 0 or -errno. */
int ig_vis_read(int fd, struct ig_vis_stats *out);

/* Evictions so far: per table, the entries inserted (by the datapath into
 * "flows", vis_stats; by the collector into "flows_folded", flow_log_pos)
 * minus those present, never negative.  Per table: a flow in both (folded,
 * then spilled by a full log) is two inserts and one flow, not an eviction. */
uint64_t ig_flow_evictions(uint64_t table_inserts, uint64_t folded_inserts,
			   const struct ig_flow_tables *t);

/* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) -> wall-clock ms since the epoch. */
uint64_t ig_mono_to_wall_ms(uint64_t mono_ns);
uint64_t ig_mono_now_ns(void);

/* "tcp", "udp", "icmpv6", ... or the number. */
const char *ig_proto_name(uint8_t proto, char *buf, size_t len);
/* TCP flags as letters "FSRPAUEC" (those set), "" when none. */
const char *ig_tcp_flags_str(uint8_t flags, char *buf, size_t len);

int ig_flow_key_cmp(const struct ig_flow_key *a, const struct ig_flow_key *b);

/*
 * Unanswered: the member has sent on this conversation for at least
 * threshold_ns and nothing came back (the remote host, or a firewall in
 * front of it, drops what the member sends).  The one definition used by
 * top, flows, explain and the metrics; IG_UNANSWERED_NS is the default.
 */
#define IG_UNANSWERED_NS (3ull * 1000000000ull)
bool ig_flow_unanswered(const struct ig_flow_rec *r, uint64_t threshold_ns);

/* Unanswered conversations of one member. */
struct ig_unanswered_member {
	uint8_t member[4];
	long flows;
};

/*
 * Count the unanswered conversations of recs[0..n) (sorted by key, as
 * ig_flows_read() returns them) per member: the max members with the most
 * into out (most first, then by address), the flows of the others into
 * *other, all of them into *total.  Returns the members written to out.
 */
size_t ig_flows_unanswered_by_member(const struct ig_flow_rec *recs, size_t n,
				     uint64_t threshold_ns, struct ig_unanswered_member *out,
				     size_t max, long *other, long *total);

/* ---- deltas between reads --------------------------------------------------- */

enum ig_flow_end {
	IG_FLOW_ACTIVE = 0,        /* record of an interval, flow goes on */
	IG_FLOW_END_IDLE,          /* no packet for the idle timeout: final record */
	IG_FLOW_END_EVICTED,       /* the entry left the table (LRU) or the table was replaced */
};

/* One record of an interval: the deltas since the flow's previous record. */
struct ig_flow_delta {
	struct ig_flow_key key;
	uint64_t packets[2], bytes[2];   /* [0] from the member, [1] to the member */
	uint64_t tot_packets[2], tot_bytes[2];
	uint8_t tcp_flags[2], icmp_type[2];
	uint64_t first_ns, last_ns;      /* monotonic, of the flow */
	uint32_t last_verdict;
	enum ig_flow_end end;
	bool unanswered;                 /* ig_flow_unanswered() at this read */
	bool became_unanswered;          /* ... and not at the previous one: a record
					  * is made for it even if nothing moved */
};

/* Per-flow memory of what was already reported. */
struct ig_flow_seen {
	struct ig_flow_key key;
	uint64_t first_ns;               /* identifies this incarnation of the entry */
	uint64_t packets[2], bytes[2];   /* totals already reported */
	uint64_t last_ns;
	uint8_t ended;                   /* a final (idle) record was sent */
	uint8_t unanswered;              /* it was unanswered at the last read */
	uint8_t pad[6];
};

struct ig_flow_tracker {
	struct ig_flow_seen *seen;       /* sorted by key */
	size_t n, cap;
	uint64_t idle_ns;                /* idle timeout */
};

void ig_tracker_init(struct ig_flow_tracker *t, uint64_t idle_ns);
void ig_tracker_free(struct ig_flow_tracker *t);

/*
 * Compare a fresh read (cur, n sorted) with what was reported before and
 * produce the records of this interval into *out (malloc'd): one per flow
 * that moved or became unanswered, one final record per flow idle longer
 * than the timeout or gone from the table.  now_ns is the monotonic time of the read.  A flow
 * whose entry was evicted and re-created (its first_ns changed, or its
 * counters went down) starts again from zero: deltas are never negative.
 * Returns the number of records or -ENOMEM.
 */
long ig_tracker_step(struct ig_flow_tracker *t, const struct ig_flow_rec *cur, size_t n,
		     uint64_t now_ns, struct ig_flow_delta **out);

/*
 * Keep what was reported across restarts: save writes FILE atomically, mode
 * 0600 (ig_atomic_open: a random temporary, then rename); load reads it (a
 * missing file is not an error).  0 or -errno (message printed).
 */
int ig_tracker_save(const struct ig_flow_tracker *t, const char *path);
int ig_tracker_load(struct ig_flow_tracker *t, const char *path);

/* ---- --follow loops --------------------------------------------------------------- */

#include <signal.h>

/* Set by SIGINT/SIGTERM/SIGHUP once ig_stop_on_signals() ran. */
extern volatile sig_atomic_t ig_stop;
void ig_stop_on_signals(void);
/* Sleep until the monotonic time deadline_ns (or a signal): 0, or 1 when
 * asked to stop. */
int ig_sleep_until(uint64_t deadline_ns);
/* Parse a positive number of seconds (fractions allowed) into ns; -1 if bad. */
int ig_parse_seconds(const char *s, uint64_t *ns);

#endif /* IG_FLOWS_H */
