/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * policy.h - the manage-out policy file, its canonical text form, and the
 * maps it is loaded into (policy_state, policy_rules, policy_stats).
 *
 * File format, one statement per line, '#' starts a comment:
 *   ACTION DIR PROTO [PORTS] [member V4PREFIX] [remote V6PREFIX]
 *                            [after PROTO/PORT] [name LABEL]
 *   default drop|reject
 *   timeout CLASS SECONDS
 * ACTION allow|drop|reject, DIR out (a member opens) | in (a remote host
 * opens), PROTO tcp|udp|udplite|sctp|icmpv6|any|0-255, PORTS N, N-M or a
 * comma list of those (tcp/udp/udplite/sctp: the opened side's port;
 * icmpv6: message types, by number or name), "any" or omitted = all.
 */
#ifndef IG_POLICY_USER_H
#define IG_POLICY_USER_H

#include <stdbool.h>
#include <stddef.h>
#include "isagate.h"

struct ig_policy {
	struct ig_rule rules[IG_POLICY_MAX_RULES];
	unsigned int line[IG_POLICY_MAX_RULES];  /* source line, 0 = unknown */
	unsigned int n;
	__u8 default_action;                     /* IG_PA_DROP or IG_PA_REJECT */
	__u32 timeout_s[IG_CT_T_MAX];
};

/* Defaults: no rule, default drop, the default timeouts. */
void ig_policy_init(struct ig_policy *p);

/*
 * Parse a whole policy (buf need not be NUL-terminated).  fname names it in
 * messages.  Returns 0, or -1 with "FNAME:LINE: reason" in err and *p in an
 * unspecified state.
 */
int ig_policy_parse_buf(const char *buf, size_t len, const char *fname, struct ig_policy *p,
			char *err, size_t errlen);
/* The same for a file ("-" = stdin): 0, -1 (bad input) or -2 (read error). */
int ig_policy_parse_file(const char *path, struct ig_policy *p, char *err, size_t errlen);

/* A rule as a policy-file line (canonical form). */
const char *ig_rule_fmt(const struct ig_rule *r, char *buf, size_t len);
const char *ig_policy_action_name(unsigned int action);
const char *ig_ct_timeout_name(unsigned int cls);
const char *ig_ct_state_name(unsigned int state);
bool ig_rule_equal(const struct ig_rule *a, const struct ig_rule *b);

/* The pinned policy maps. */
struct ig_pmaps {
	int state, rules, stats;
	int config; /* its policy_loaded is set by ig_policy_apply */
};

int ig_pmaps_open(const char *pin_dir, struct ig_pmaps *m);
void ig_pmaps_close(struct ig_pmaps *m);

/* The loaded policy (p->n == 0 and *active false when none) and its
 * generation. 0 or -errno. */
int ig_policy_read(const struct ig_pmaps *m, struct ig_policy *p, bool *active, __u32 *gen);

/*
 * Make p the running policy: write the inactive bank (counters of rules
 * that stay are carried over), then switch to it in one map update.  0 or
 * -errno (the running policy is then unchanged).
 */
int ig_policy_apply(const struct ig_pmaps *m, const struct ig_policy *p);

/* Same rules in the same order, same default and timeouts? */
bool ig_policy_equal(const struct ig_policy *a, const struct ig_policy *b);

/* Where `policy sync` stopped (IG_PSYNC_DONE when it went through). */
enum ig_psync_stage {
	IG_PSYNC_DONE = 0,
	IG_PSYNC_LOCK,	/* the pin directory's lock (ig_pin_dir_lock()) */
	IG_PSYNC_OPEN,	/* the policy maps (-ENOENT: not attached) */
	IG_PSYNC_READ,	/* reading the running policy */
	IG_PSYNC_APPLY, /* loading want (the running policy is unchanged) */
};

/* What a policy sync found and did. */
struct ig_psync {
	enum ig_psync_stage stage;
	struct ig_policy cur; /* the policy that was running */
	bool active;	      /* a policy was loaded */
	bool changed;	      /* want differs from it (applied unless dry_run) */
	__u32 gen;	      /* the generation now running */
};

/*
 * The `policy sync` pipeline: under the pin directory's lock (not for a
 * dry run: it writes nothing) read the running policy and its bank, and
 * load want when it differs.  The bank state is read under the lock: two
 * syncs at once would write the same inactive bank and both publish
 * gen+1.  0, or the -errno of the stage in res->stage.
 */
int ig_policy_sync(const char *pin_dir, const struct ig_policy *want, bool dry_run,
		   struct ig_psync *res);

/* Unload the policy (members may do anything again).  0 or -errno. */
int ig_policy_clear(const struct ig_pmaps *m);

/* Per-rule counters of the running bank, summed over CPUs; slot
 * IG_POLICY_MAX_RULES is the default action.  0 or -errno. */
int ig_policy_counters(const struct ig_pmaps *m, struct ig_rule_counter out[IG_POLICY_SLOTS]);

/* What the tools show of the policy under a pin directory. */
struct ig_policy_view {
	bool present;               /* false: pins of a version without a policy */
	bool active;                /* a policy is loaded */
	__u32 gen;
	long conns;                 /* connection-table entries, -1 unknown */
	struct ig_policy pol;       /* the loaded rules (n = 0 when none) */
	struct ig_rule_counter cnt[IG_POLICY_SLOTS];  /* [IG_POLICY_MAX_RULES]: default */
};

/*
 * The rule a new connection would be classified by, as bpf/policy.h's
 * policy_match() does: the first rule of p matching direction dir
 * (IG_PD_*), protocol proto, port (the server port; ICMPv6: the type),
 * the member's IPv4 address and the remote IPv6 address; p->n when none
 * does (the default action).  "after" rules depend on a recent anchor
 * connection the caller cannot see: they match only with anchors_ok.
 */
unsigned int ig_policy_match(const struct ig_policy *p, unsigned int dir, __u8 proto,
			     __u16 port, const __u8 member[4], const __u8 remote[16],
			     bool anchors_ok);

/* Fill v (everything zero and conns -1 when not present).  0, or -errno
 * with the message printed. */
int ig_policy_view_read(const char *pin_dir, struct ig_policy_view *v);

#endif /* IG_POLICY_USER_H */
