// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_watch.c - `isagate watch`: keep the forwarding cache coherent. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "commands.h"
#include "nexthop.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: isagate watch [--pin-dir DIR] [-v]\n\n"
		"Listen to the kernel's route, address, link and neighbour changes and\n"
		"invalidate isagate's forwarding cache on each, so changes take effect on\n"
		"the next packet (without it, within config fwd_cache_ms, 500 ms by default).\n"
		"Also makes the IPv4 next hops the datapath reports unresolved (hosts inside\n"
		"subnet members) managed neighbour entries, so encapsulation to them works.\n"
		"Runs until SIGTERM; meant for isagate-watch.service.\n");
}

int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-events", required_argument, NULL, 'n' },
		{ 0 },
	};
	const char *pin = NULL;
	unsigned long max_events = 0;
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pin = optarg;
			break;
		case 'v': ig_verbose++; break;
		case 'n':
			max_events = strtoul(optarg, &end, 10);
			if (*end || !*optarg) {
				ig_err("--max-events: not a number: '%s'", optarg);
				return IG_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return IG_EXIT_OK;
		default:
			usage(stderr);
			return IG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		ig_err("watch: unexpected argument '%s'", argv[optind]);
		return IG_EXIT_USAGE;
	}
	return ig_nexthop_watch(ig_pin_dir(pin), max_events);
}
