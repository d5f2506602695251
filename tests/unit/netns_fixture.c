// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* netns_fixture.c - see netns_fixture.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "netns_fixture.h"

int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "fixture: '%s' failed (status %d)\n", cmd, rc);
	return rc;
}

int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f) {
		fprintf(stderr, "fixture: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fputs(val, f) < 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc)
		fprintf(stderr, "fixture: writing %s failed\n", path);
	return rc;
}

int fx_netns_up(int *ifindex4, int *ifindex6)
{
	static const char *const cmds[] = {
		"ip link set lo up",
		"ip link add " DEV4 " address " MAC_DEV4 " type veth peer name " DEV4_PEER
		" address " MAC_DEV4P,
		"ip link add " DEV6 " address " MAC_DEV6 " type veth peer name " DEV6_PEER
		" address " MAC_DEV6P,
		"ip link set " DEV4 " up",
		"ip link set " DEV4_PEER " up",
		"ip link set " DEV6 " up",
		"ip link set " DEV6_PEER " up",
		"ip addr add " R1 "/24 dev " DEV4,
		"ip addr add " R2 "/24 dev " DEV4,
		"ip -6 addr add " R6 "/64 dev " DEV6 " nodad",
		"ip -6 route add 2001:db8:dac::/64 via 2001:db8:ff::2 dev " DEV6,
		"ip -6 route add 2001:db8:dac:1::/64 via 2001:db8:ff::2 dev " DEV6 " mtu lock 1280",
		"ip -6 route add 2001:db8:dad::/64 via 2001:db8:ff::3 dev " DEV6,
		"ip -6 route add blackhole 2001:db8:b1ac::/48",
		"ip -6 route add 2002::/16 via 2001:db8:ff::2 dev " DEV6,
		"ip neigh add " H " lladdr " MAC_H " dev " DEV4 " nud permanent",
		"ip -6 neigh add 2001:db8:ff::2 lladdr " MAC_NH6 " dev " DEV6 " nud permanent",
	};
	static const char *const sysctls[] = {
		"/proc/sys/net/ipv6/conf/all/forwarding",
		"/proc/sys/net/ipv4/conf/all/forwarding",
		"/proc/sys/net/ipv6/conf/" DEV4 "/forwarding",
		"/proc/sys/net/ipv6/conf/" DEV6 "/forwarding",
		"/proc/sys/net/ipv4/conf/" DEV4 "/forwarding",
		"/proc/sys/net/ipv4/conf/" DEV6 "/forwarding",
	};
	size_t i;

	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "fixture: unshare(CLONE_NEWNET): %s (run as root)\n",
			strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (sh("%s", cmds[i]))
			return -1;
	for (i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++)
		if (write_file(sysctls[i], "1"))
			return -1;
	*ifindex4 = (int)if_nametoindex(DEV4);
	*ifindex6 = (int)if_nametoindex(DEV6);
	if (!*ifindex4 || !*ifindex6) {
		fprintf(stderr, "fixture: test interfaces missing\n");
		return -1;
	}
	return 0;
}

int fx_settings(struct ig_settings *s, int ifindex4, int ifindex6)
{
	static const char *const kv[][2] = {
		{ "ipv4-dev", DEV4 }, { "ipv6-dev", DEV6 },
		{ "router", R1 },     { "router", R2 },
		{ "peer-router", PEER }, { "prefix", P_PFX "/64" },
	};
	char err[256];
	size_t i;

	ig_settings_init(s);
	for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (ig_settings_set(s, kv[i][0], kv[i][1], err, sizeof(err))) {
			fprintf(stderr, "fixture: %s %s: %s\n", kv[i][0], kv[i][1], err);
			return -1;
		}
	s->ipv4_ifindex = (unsigned int)ifindex4;
	s->ipv6_ifindex = (unsigned int)ifindex6;
	s->ipv4_vlan.lower_ifindex = (unsigned int)ifindex4;
	s->ipv6_vlan.lower_ifindex = (unsigned int)ifindex6;
	if (ig_settings_check(s)) {
		fprintf(stderr, "fixture: the settings do not check\n");
		return -1;
	}
	return 0;
}
