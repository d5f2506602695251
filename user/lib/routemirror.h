/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * routemirror.h - the route mirror: the kernel's routes and resolved
 * gateways copied into the datapath's tries (bpf/route.h), so that a
 * forwarding decision costs a trie walk instead of a FIB lookup.
 *
 * `isagate watch` owns it.  A family is mirrored only when the kernel's
 * answer depends on nothing but the destination: the default rules (ip
 * rule: local, main, default), no routes in the default table, no
 * source-specific or TOS routes, forwarding on for every interface that is
 * up, no local-table prefix covering longer main routes, at most
 * IG_ROUTES_MAX routes.  Otherwise it says why (enum ig_route_off) and the
 * datapath asks the FIB, as without the mirror.
 *
 * Coherence: on any change watch switches the mirror off (one atomic
 * store), bumps fwd_gen, rebuilds, and only then switches it on under the
 * new fwd_gen.  The mirror is used only while watch keeps pushing
 * valid_until forward (every quarter of fwd_cache_ms), so a watch that dies
 * leaves a mirror the datapath stops using within fwd_cache_ms.  One case
 * the mirror does not see: a path MTU exception the kernel learnt for one
 * destination (ip route show cache); the route's or interface's MTU holds.
 */
#ifndef IG_ROUTEMIRROR_H
#define IG_ROUTEMIRROR_H

#include <stdbool.h>
#include <stdint.h>
#include "isagate.h"

struct ig_nl;
struct ig_rmirror {
	struct ig_nl *nl; /* for the dumps */
	int r4_fd, r6_fd, nh_fd, state_fd;
	struct ig_route_state *st;   /* route_state, mapped */
	const struct ig_config *cfg; /* config, mapped read-only */
	uint32_t prev_nh;	     /* nexthops written by the last build */
	uint64_t next_build_ns;	     /* pending: rebuild at this time (0: none) */
	uint64_t last_build_ns;
	uint64_t next_refresh_ns;
};

/* Open the mirror's maps under pin_dir and an rtnetlink socket: 0,
 * -ENOENT when the attachment has none (an older isagate: said), other
 * -errno (said).  Every call below is a no-op on a mirror not open. */
int ig_rmirror_open(const char *pin_dir, struct ig_rmirror *m);
/* Switch it off (reason NO_WATCH) and close. */
void ig_rmirror_close(struct ig_rmirror *m);

/* Switch the mirror off now and schedule a rebuild (at most one every
 * 100 ms; the datapath asks the FIB meanwhile). */
void ig_rmirror_invalidate(struct ig_rmirror *m);

/* What watch calls every time round its loop: rebuild when one is due or
 * when another process bumped fwd_gen, else push valid_until forward.
 * Returns the milliseconds until it needs calling again. */
int ig_rmirror_tick(struct ig_rmirror *m);

/* Read the kernel's tables and rebuild the mirror (off meanwhile), then
 * switch on the families that can be mirrored under the current fwd_gen.
 * 0 or -errno (said; the mirror stays off). */
int ig_rmirror_build(struct ig_rmirror *m);

/* The name of an enum ig_route_off ("rules", "no-watch", ...). */
const char *ig_route_off_name(unsigned int off);

/* route_state of the attachment under pin_dir: 0, -ENOENT without one. */
int ig_rmirror_state(const char *pin_dir, struct ig_route_state *out);

#endif /* IG_ROUTEMIRROR_H */
