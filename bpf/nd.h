/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nd.h - neighbour discovery addressed to the router over the ISATAP link:
 * router solicitation -> router advertisement, NUD.
 */
#ifndef IG_ND_H
#define IG_ND_H

#include "isatap.h"
#include "verdict.h"

/* Inner ICMPv6 to a link-local or multicast destination, from a member. */
static __always_inline struct verdict nd_handle(struct xdp_md *ctx, struct hdr_cursor *c,
						struct iphdr *ip, struct ipv6hdr *ip6,
						const struct ig_config *cfg)
{
	int reason = isatap_check_src(&ip6->saddr, ip->saddr);

	if (reason)
		return mk(XDP_DROP, reason);
	return mk(XDP_DROP, IG_DROP_DST_LOCAL);
}

#endif /* IG_ND_H */
