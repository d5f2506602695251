// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * opts.c - the command-line layer: every command's options go through
 * ig_getopt(), which adds the global ones (-p, -j, -v, -h, --version) to the
 * command's table, so they mean the same everywhere and fail the same way.
 */
#include <errno.h>
#include <string.h>

#include "common.h"
#include "opts.h"

struct ig_globals ig_globals;

/* What main() parsed before the command: each command's parse starts from
 * it, so a command run twice in one process (the unit tests) starts clean. */
static struct ig_globals base;
static int base_verbose;

/* clang-format off */
static const struct option global_opts[] = {
	{ "pin-dir", required_argument, NULL, 'p' },
	{ "json",    no_argument,       NULL, 'j' },
	{ "verbose", no_argument,       NULL, 'v' },
	{ "help",    no_argument,       NULL, 'h' },
	{ "version", no_argument,       NULL, 'V' },
};
/* clang-format on */
#define N_GLOBAL (sizeof(global_opts) / sizeof(global_opts[0]))

void ig_getopt_init(struct ig_getopt *g, const struct ig_cmd *cmd, int argc, char **argv,
		    bool in_order)
{
	size_t n = 0, i;

	memset(g, 0, sizeof(*g));
	g->cmd = cmd;
	g->argc = argc;
	g->argv = argv;
	g->index = -1;
	g->in_order = in_order;
	if (!in_order) {
		ig_globals = base;
		ig_verbose = base_verbose;
	}
	/* the command's own first, so that g->index is an index into them */
	for (i = 0; cmd->longopts && cmd->longopts[i].name && n < IG_OPTS_MAX - N_GLOBAL - 1; i++)
		g->all[n++] = cmd->longopts[i];
	for (i = 0; i < N_GLOBAL; i++)
		g->all[n++] = global_opts[i];
	snprintf(g->shortopts, sizeof(g->shortopts), "%s:p:jvhV%s", in_order ? "+" : "",
		 cmd->shortopts ? cmd->shortopts : "");
	optind = 0; /* glibc: 0 re-initialises, so each parse reads its own '+' */
	opterr = 0;
}

/* The option getopt stopped at, as the operator wrote it. */
static const char *opt_name(const struct ig_getopt *g, char *buf, size_t len)
{
	const char *a = optind > 0 && optind <= g->argc ? g->argv[optind - 1] : "?";
	const char *eq = strchr(a, '=');

	if (!strncmp(a, "--", 2))
		snprintf(buf, len, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
	else if (optopt > ' ' && optopt < 0x7f)
		snprintf(buf, len, "-%c", optopt);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

int ig_getopt(struct ig_getopt *g)
{
	char name[64];
	int opt, idx;

	for (;;) {
		idx = -1;
		optopt = 0;
		opt = getopt_long(g->argc, g->argv, g->shortopts, g->all, &idx);
		g->index = -1;
		switch (opt) {
		case -1:
			if (g->in_order) {
				base = ig_globals;
				base_verbose = ig_verbose;
			}
			return 0;
		case 'p': ig_globals.pin_dir = optarg; continue;
		case 'j':
			if (!g->cmd->json) {
				ig_err("isagate %s has no JSON output (-j)", g->cmd->name);
				g->rc = IG_EXIT_USAGE;
				return -1;
			}
			ig_globals.json = true;
			continue;
		case 'v': ig_verbose++; continue;
		case 'h':
			g->cmd->usage(stdout);
			ig_usage_globals(stdout);
			g->rc = IG_EXIT_OK;
			return -1;
		case 'V':
			printf("isagate %s (abi %d)\n", ISAGATE_VERSION, ISAGATE_ABI_VERSION);
			g->rc = IG_EXIT_OK;
			return -1;
		case ':':
			ig_err("%s needs a value (see 'isagate %s%s--help')",
			       opt_name(g, name, sizeof(name)), g->cmd->name,
			       *g->cmd->name ? " " : "");
			g->rc = IG_EXIT_USAGE;
			return -1;
		case '?':
			ig_err("unknown option %s (see 'isagate %s%s--help')",
			       opt_name(g, name, sizeof(name)), g->cmd->name,
			       *g->cmd->name ? " " : "");
			g->rc = IG_EXIT_USAGE;
			return -1;
		default: g->index = idx; return opt;
		}
	}
}

int ig_getopt_done(struct ig_getopt *g)
{
	if (optind >= g->argc)
		return IG_EXIT_OK;
	ig_err("unexpected argument '%s' (see 'isagate %s --help')", g->argv[optind], g->cmd->name);
	return IG_EXIT_USAGE;
}

int ig_exit_code(int err)
{
	switch (err) {
	case 0: return IG_EXIT_OK;
	case -ENOENT: return IG_EXIT_NOT_ATTACHED;
	case -EWOULDBLOCK: return IG_EXIT_LOCKED;
	case -EINVAL: return IG_EXIT_USAGE;
	default: return IG_EXIT_FAIL;
	}
}

int ig_exit_input(int err)
{
	if (!err)
		return IG_EXIT_OK;
	return err == -EINVAL || err == -ENOENT ? IG_EXIT_USAGE : IG_EXIT_FAIL;
}

int ig_exit_pins(int err)
{
	if (!err)
		return IG_EXIT_OK;
	return err == -ENOENT ? IG_EXIT_NOT_ATTACHED : IG_EXIT_FAIL;
}

void ig_usage_opt(FILE *f, const char *opt, const char *help)
{
	const int col = 26, width = 80;
	const char *p = help;
	int at;

	at = fprintf(f, "  %s", opt);
	if (at > col - 2) {
		fputc('\n', f);
		at = 0;
	}
	while (*p) {
		const char *end = p, *brk = NULL;

		/* the longest run of words that fits in width - col */
		while (*end && end - p <= width - col) {
			if (*end == ' ')
				brk = end;
			end++;
		}
		if (*end && brk)
			end = brk;
		fprintf(f, "%*s%.*s\n", col - at, "", (int)(end - p), p);
		at = 0;
		p = *end == ' ' ? end + 1 : end;
	}
	if (!*help)
		fputc('\n', f);
}

void ig_usage_globals(FILE *f)
{
	fprintf(f, "\nglobal options (every command, before or after its name):\n");
	ig_usage_opt(
		f, "-p, --pin-dir DIR",
		"bpffs directory of the pins (default $ISAGATE_PIN_DIR, else " IG_DEFAULT_PIN_DIR
		")");
	ig_usage_opt(f, "-j, --json", "machine-readable output, where the command has one");
	ig_usage_opt(f, "-v, --verbose",
		     "show what is done; twice (-vv): also libbpf's "
		     "debug messages");
	ig_usage_opt(f, "-h, --help", "this help");
	ig_usage_opt(f, "-V, --version", "the version and the maps' ABI version");
}
