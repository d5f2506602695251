// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_detach.c - `isagate detach`: take XDP off every interface and remove
 * the pins (maps, links) and the pin directory.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "commands.h"
#include "loader.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: isagate detach [--pin-dir DIR]\n"
"\n"
"Detach the ISATAP router from every interface it is attached to and remove\n"
"its pinned maps and links (membership and counters are lost).\n"
"\n"
"  --pin-dir DIR      pin directory (default $ISAGATE_PIN_DIR, else %s)\n"
"  -v, --verbose      show what is removed\n"
"\n"
"Exit codes: 0 detached, 1 failed, 3 detached but the directory holds other\n"
"files, 4 nothing attached under DIR, 8 another isagate command held the pin\n"
"directory's lock for $ISAGATE_LOCK_WAIT s (nothing changed).\n", IG_DEFAULT_PIN_DIR);
}

int cmd_detach(int argc, char **argv)
{
	static const struct option options[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *opt_dir = NULL;
	char pin_dir[PATH_MAX];
	unsigned int n_links = 0;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			opt_dir = optarg;
			break;
		case 'v': ig_verbose++; break;
		case 'h':
			usage(stdout);
			return IG_EXIT_OK;
		default:
			fprintf(stderr, "see 'isagate detach --help'\n");
			return IG_EXIT_USAGE;
		}
	}
	if (ig_no_more_args(argc, argv, "detach"))
		return IG_EXIT_USAGE;
	snprintf(pin_dir, sizeof(pin_dir), "%s", ig_pin_dir(opt_dir));

	rc = ig_loader_detach(pin_dir, &n_links);
	if (rc == IG_EXIT_OK || rc == IG_EXIT_PARTIAL)
		printf("detached from %u interface%s, pins under %s removed\n", n_links,
		       n_links == 1 ? "" : "s", pin_dir);
	return rc;
}
