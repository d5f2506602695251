// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_watch.c - `isagate watch`: keep the forwarding cache coherent. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "opts.h"
#include "commands.h"
#include "nexthop.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: isagate watch [--pin-dir DIR] [--no-route-mirror] [-v]\n\n"
		   "Listen to the kernel's route, address, link and neighbour changes and\n"
		   "invalidate isagate's forwarding cache on each, so changes take effect on\n"
		   "the next packet (without it, within config fwd_cache_ms, 500 ms by default).\n"
		   "Keeps the route mirror: the kernel's routes and resolved gateways copied\n"
		   "into the datapath, so that a decision not cached costs a trie walk instead\n"
		   "of a FIB lookup (only where the kernel's answer depends on the destination\n"
		   "alone: `isagate status` says per family; --no-route-mirror: not at all).\n"
		   "Also makes the IPv4 next hops the datapath reports unresolved (hosts inside\n"
		   "subnet members) managed neighbour entries, so encapsulation to them works.\n"
		   "Runs until SIGTERM; meant for isagate-watch.service.\n");
}

int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-events", required_argument, NULL, 'n' }, /* for tests: stop after N */
		{ "no-route-mirror", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct ig_cmd cmd = { "watch", "", opts, usage, false };
	unsigned long max_events = 0;
	bool mirror = true;
	struct ig_getopt g;
	char *end;
	int c;

	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((c = ig_getopt(&g)) > 0) {
		if (c == 'M')
			mirror = false;
		if (c == 'n') {
			max_events = strtoul(optarg, &end, 10);
			if (*end || !*optarg) {
				ig_err("--max-events: not a number: '%s'", optarg);
				return IG_EXIT_USAGE;
			}
		}
	}
	if (c < 0)
		return g.rc;
	if (ig_getopt_done(&g))
		return IG_EXIT_USAGE;
	return ig_exit_code(ig_nexthop_watch(ig_pin_dir(ig_globals.pin_dir), max_events, mirror));
}
