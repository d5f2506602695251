/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ra.h - the Router Advertisement message the datapath sends. */
#ifndef IG_RA_H
#define IG_RA_H

#include "isagate.h"

/*
 * Build the RA ICMPv6 message (RFC 4861 §4.2) from the settings: header
 * with cur hop limit, router lifetime, reachable time and retrans timer
 * from cfg; one Prefix Information option per prefix (/64, A=1, L from
 * IG_PREFIX_F_ONLINK, lifetimes from the entry) in the order given; an MTU
 * option when cfg->ra_mtu is not 0; no source link-layer address option
 * (RFC 5214 §8.2).  Returns 0, or -E2BIG when it does not fit.
 */
int ig_ra_build(const struct ig_config *cfg, const struct ig_prefix_key *keys,
		const struct ig_prefix *vals, unsigned int n, struct ig_ra_template *out);

#endif /* IG_RA_H */
