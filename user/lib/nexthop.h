/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nexthop.h - keeping the datapath's forwarding cache coherent with the
 * kernel's routes and neighbours.
 *
 * The datapath caches bpf_fib_lookup results per CPU (map fwd_cache) for at
 * most config.fwd_cache_ms (500 ms by default), so a route or neighbour
 * change always takes effect within that time.  `isagate watch` makes it
 * immediate: it listens to rtnetlink and bumps fwd_gen, which invalidates
 * every cached entry, on each change that can alter a forwarding decision.
 * It also keeps the route mirror (routemirror.h), under the same rules.
 */
#ifndef IG_NEXTHOP_H
#define IG_NEXTHOP_H

#include <stdbool.h>

/*
 * Watch rtnetlink in the current network namespace and invalidate the
 * forwarding cache of the isagate pinned under pin_dir on every change
 * of routes, addresses, links, forwarding settings, or a neighbour's
 * link-layer address or reachability.  Runs until SIGINT/SIGTERM (or,
 * with max_events > 0, until that many invalidations).  With mirror, keep
 * the route mirror too (routemirror.h).  Returns 0, -ENOENT when nothing is
 * attached under pin_dir, or another -errno (said).
 */
int ig_nexthop_watch(const char *pin_dir, unsigned long max_events, bool mirror);

#endif /* IG_NEXTHOP_H */
