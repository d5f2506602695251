/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ra.h - the Router Advertisement message the datapath sends. */
#ifndef IG_RA_H
#define IG_RA_H

#include <netinet/in.h>

#include "isagate.h"

/*
 * Routes advertised as Route Information options (RFC 4191 §2.3).  RFC 4191
 * §4: routers SHOULD NOT send more than 17 of them per link.  With
 * IG_MAX_PREFIXES PIOs and the MTU option the largest RA is
 * 16 + 16 * 32 + 8 + 17 * 24 = 944 bytes, within IG_RA_MAX (checked at
 * compile time in ra.c).
 */
#define IG_RA_MAX_ROUTES        17
#define IG_RA_DEFAULT_ROUTE_LT  1800   /* s: the default router lifetime, and
					* radvd's 3 x MaxRtrAdvInterval */

/* Route preference, the 2-bit Prf field values (RFC 4191 §2.1). */
enum ig_route_pref {
	IG_ROUTE_PREF_MEDIUM = 0,  /* 00 */
	IG_ROUTE_PREF_HIGH   = 1,  /* 01 */
	IG_ROUTE_PREF_LOW    = 3,  /* 11 (10 is reserved: never sent) */
};

struct ig_ra_route {
	struct in6_addr prefix;    /* bits past plen are zero */
	__u8  plen;                /* 0..128 */
	__u8  pref;                /* enum ig_route_pref */
	__u16 pad;
	__u32 lifetime;            /* s, 0xffffffff = infinity */
};

/*
 * Build the RA ICMPv6 message (RFC 4861 §4.2) from the settings: header
 * with cur hop limit, router lifetime, reachable time and retrans timer
 * from cfg; one Prefix Information option per prefix (/64, A=1, L from
 * IG_PREFIX_F_ONLINK, lifetimes from the entry) in the order given; an MTU
 * option when cfg->ra_mtu is not 0; then one Route Information option per
 * route (RFC 4191 §2.3, the shortest length that holds the prefix) in the
 * order given; no source link-layer address option (RFC 5214 §8.2).
 * Returns 0, -EINVAL for a bad route (prefix length over 128, bits set past
 * it, reserved preference, more than IG_RA_MAX_ROUTES), or -E2BIG when the
 * message does not fit IG_RA_MAX.
 */
int ig_ra_build(const struct ig_config *cfg, const struct ig_prefix_key *keys,
		const struct ig_prefix *vals, unsigned int n,
		const struct ig_ra_route *routes, unsigned int n_routes,
		struct ig_ra_template *out);

/*
 * Read back the Route Information options of a template built by
 * ig_ra_build() (e.g. from the pinned ra_tmpl map): at most max routes into
 * out, in order.  Returns the number of routes found (it may exceed max), or
 * -EINVAL when the message is not a well-formed RA.
 */
int ig_ra_routes(const struct ig_ra_template *t, struct ig_ra_route *out, unsigned int max);

/* "high", "medium", "low" (NULL for the reserved value) and back (-1: unknown). */
const char *ig_route_pref_name(unsigned int pref);
int ig_route_pref_parse(const char *name);

#endif /* IG_RA_H */
