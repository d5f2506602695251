// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_detach.c - `isagate detach`: take XDP off every interface and remove
 * the pins (maps, links) and the pin directory.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "opts.h"
#include "commands.h"
#include "loader.h"

/* clang-format off */
static void usage(FILE *f)
{
	fprintf(f,
"usage: isagate detach [--pin-dir DIR]\n"
"\n"
"Detach the ISATAP router from every interface it is attached to and remove\n"
"its pinned maps and links (membership and counters are lost).\n"
"\n"
"  -v, --verbose      show what is removed\n"
"\n"
"Exit codes: 0 detached, 1 failed, 3 detached but the directory holds other\n"
"files, 4 nothing attached under DIR, 8 another isagate command held the pin\n"
"directory's lock for $ISAGATE_LOCK_WAIT s (nothing changed).\n");
}
/* clang-format on */

int cmd_detach(int argc, char **argv)
{
	static const struct ig_cmd cmd = { "detach", "", NULL, usage, false };
	struct ig_getopt g;
	char pin_dir[PATH_MAX];
	unsigned int n_links = 0;
	int opt, rc;

	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((opt = ig_getopt(&g)) > 0)
		;
	if (opt < 0)
		return g.rc;
	if (ig_getopt_done(&g))
		return IG_EXIT_USAGE;
	snprintf(pin_dir, sizeof(pin_dir), "%s", ig_pin_dir(ig_globals.pin_dir));

	rc = ig_loader_detach(pin_dir, &n_links);
	if (rc == 0 || rc == -ENOTEMPTY)
		printf("detached from %u interface%s, pins under %s removed\n", n_links,
		       n_links == 1 ? "" : "s", pin_dir);
	/* -ENOTEMPTY: all of isagate removed, the directory holds others' files */
	return rc == -ENOTEMPTY ? IG_EXIT_PARTIAL : ig_exit_code(rc);
}
