// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* main.c - subcommand dispatch only. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "commands.h"
#include "opts.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} commands[] = {
	/* clang-format off */
	{ "attach",  cmd_attach,  "attach --ipv4-dev DEV --ipv6-dev DEV --router A.B.C.D ... --prefix P/64 ... | --config FILE" },
	{ "detach",  cmd_detach,  "detach [--pin-dir DIR]" },
	{ "members", cmd_members, "members sync FILE|- | members list [-j]" },
	{ "status",  cmd_status,  "status [-j]" },
	{ "watch",   cmd_watch,   "watch            # keep the forwarding cache coherent (daemon)" },
	{ "flows",   cmd_flows,   "flows [-j] [--follow [--interval S]] [--member A.B.C.D] [--top N] [--ipfix HOST:PORT] [--idle-timeout S]" },
	{ "stats",   cmd_stats,   "stats [-j] [--follow [--interval S]] [--prometheus FILE]" },
	{ "events",  cmd_events,  "events [-j] [--follow]   # refused admissions" },
	{ "top",     cmd_top,     "top [--interval S]   # live view: members and conversations by rate" },
	{ "explain", cmd_explain, "explain HOST [--to ADDR [--port tcp/PORT]] [--config FILE] [-j]   # why no IPv6 or no answer" },
	{ "policy",  cmd_policy,  "policy sync FILE|- [--dry-run] | policy list|clear|conns [-j]   # manage-out rules" },
	/* clang-format on */
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: isagate [GLOBAL OPTIONS] COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  isagate %s\n", commands[i].usage);
	fprintf(f,
		"  isagate version\n\n"
		"'isagate COMMAND --help' describes each.  Exit codes: 0 ok, 1 failed,\n"
		"2 bad usage or input (nothing changed), 3 applied with warnings, 4 not attached,\n"
		"5 directory unreachable (nothing changed), 6 mass removal refused (nothing "
		"changed),\n"
		"7 explain: the host is not admitted,\n"
		"8 another isagate command holds the pin directory's lock (nothing changed).\n");
}

int main(int argc, char **argv)
{
	/* the global options may also come before the command */
	static const struct ig_cmd cmd = { "", "", NULL, usage, true };
	struct ig_getopt g;
	int opt;
	size_t i;

	ig_getopt_init(&g, &cmd, argc, argv, true);
	while ((opt = ig_getopt(&g)) > 0)
		;
	if (opt < 0)
		return g.rc;
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 2) {
		usage(stderr);
		return IG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "version")) {
		printf("isagate %s (abi %d)\n", ISAGATE_VERSION, ISAGATE_ABI_VERSION);
		return IG_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		usage(stdout);
		ig_usage_globals(stdout);
		return IG_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	ig_err("unknown command '%s' (see 'isagate --help')", argv[1]);
	return IG_EXIT_USAGE;
}
