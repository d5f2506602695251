/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * opts.h - the command-line layer: the global options, parsed the same way
 * for every command (before or after its name), around each command's own
 * option table; and the usage helpers the commands print their help with.
 */
#ifndef IG_OPTS_H
#define IG_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* What the global options set (ig_verbose, in lib/common.h, counts -v). */
struct ig_globals {
	const char *pin_dir; /* -p, --pin-dir DIR; NULL: $ISAGATE_PIN_DIR or the default */
	bool json;	     /* -j, --json */
};
extern struct ig_globals ig_globals;

/* A command, as the option layer sees it. */
struct ig_cmd {
	const char *name;	       /* "flows", "members sync": for messages */
	const char *shortopts;	       /* its own short options (not the globals') */
	const struct option *longopts; /* its own long options, { NULL } ended; or NULL */
	void (*usage)(FILE *f);	       /* its help, before the global options' */
	bool json;		       /* it has a -j output (else -j is refused) */
};

#define IG_OPTS_MAX 96

/* One parse of a command's arguments (argv[0] is the command's name). */
struct ig_getopt {
	const struct ig_cmd *cmd;
	int argc;
	char **argv;
	int index;     /* longopts index of the last long option, or -1 */
	int rc;	       /* the exit code once ig_getopt() returned -1 */
	bool in_order; /* main's parse, before the command */
	struct option all[IG_OPTS_MAX];
	char shortopts[64];
};

/* Prepare; in_order: stop at the first operand (main, before the command). */
void ig_getopt_init(struct ig_getopt *g, const struct ig_cmd *cmd, int argc, char **argv,
		    bool in_order);

/*
 * The next of the command's own options: its `val`, with optarg set (and
 * g->index for long ones).  0 when the options end (operands from optind).
 * -1 to stop with g->rc: IG_EXIT_OK after --help or --version (printed),
 * IG_EXIT_USAGE after an unknown option, a missing value or -j on a command
 * without JSON output (the message names it).  The global options are
 * handled here and never returned.
 */
int ig_getopt(struct ig_getopt *g);

/* The end of a command's options: IG_EXIT_OK when no operand is left, else
 * IG_EXIT_USAGE after naming it. */
int ig_getopt_done(struct ig_getopt *g);

/*
 * The one mapping of a library error (-errno) to an exit code, for the
 * errors whose command gives them no meaning of its own: 0 -> 0, -ENOENT
 * (no pins) -> IG_EXIT_NOT_ATTACHED, -EWOULDBLOCK (the pin directory's
 * lock) -> IG_EXIT_LOCKED, -EINVAL -> IG_EXIT_USAGE, else IG_EXIT_FAIL.
 */
int ig_exit_code(int err);
/* The same for reading the operator's input (settings, INI files): -EINVAL
 * (wrong) and -ENOENT (no such file) are IG_EXIT_USAGE, else IG_EXIT_FAIL. */
int ig_exit_input(int err);
/* The same for opening the pins (ig_map_open() and the like): -ENOENT
 * (nothing attached) is IG_EXIT_NOT_ATTACHED, any other error IG_EXIT_FAIL
 * (pins that are there but cannot be read are a failure, not a usage error). */
int ig_exit_pins(int err);

/* "  --opt ARG    help..." with help wrapped at 80 columns from column 26. */
void ig_usage_opt(FILE *f, const char *opt, const char *help);
/* The global options' help (printed after every command's own). */
void ig_usage_globals(FILE *f);

#endif /* IG_OPTS_H */
