/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* commands.h - one entry point per subcommand (user/cmd_*.c).
 * Each gets argv starting at the subcommand name and returns an exit code
 * (enum ig_exit). */
#ifndef IG_COMMANDS_H
#define IG_COMMANDS_H

#include "members.h"

int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_members(int argc, char **argv);

/* What `members sync` takes from the world, for tests: the resolver (and its
 * ctx) and the time (0: the clock).  cmd_members uses the system's. */
struct ig_members_env {
	ig_resolve_fn resolve;
	void *ctx;
	__u32 now;
};
int cmd_members_env(int argc, char **argv, const struct ig_members_env *env);
int cmd_status(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_explain(int argc, char **argv);

#endif /* IG_COMMANDS_H */
