/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * vlan.h - VLAN sub-interfaces as router sides: find the real device under
 * a VLAN stack (802.1Q, 802.1ad QinQ) and the tags it adds, so that XDP runs
 * on that device and bpf/vlan.h maps tags <-> logical interface.
 */
#ifndef IG_USER_VLAN_H
#define IG_USER_VLAN_H

#include <net/if.h>
#include "isagate.h"

struct ig_vlan_chain {
	unsigned int ifindex;          /* the logical interface (the device named) */
	unsigned int lower_ifindex;    /* the real device XDP runs on (== ifindex: no VLAN) */
	char lower_name[IF_NAMESIZE];
	unsigned int ntags;            /* 0, 1 or 2 */
	struct ig_vlan_tag tags[2];    /* outermost first, host order */
};

/*
 * Follow the VLAN stack of the device ifindex (named name, for messages)
 * down to a device that is not a VLAN.  0 on success; -EINVAL (with a
 * message) for more than two tags, -EIO when netlink fails.
 */
int ig_vlan_resolve(unsigned int ifindex, const char *name, struct ig_vlan_chain *out);

/* "eth0.100 = eth0 802.1Q 100" style text, for messages. */
void ig_vlan_describe(const struct ig_vlan_chain *c, const char *name, char *buf, size_t len);

#endif /* IG_USER_VLAN_H */
