// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_members.c - `isagate members sync FILE|-` and `isagate members list`.
 *
 * The options and settings, and the presentation of what the sync pipeline
 * (user/lib/msync.c, ig_msync_run()) did: the changes, the warnings, one
 * summary line, the exit code.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <arpa/inet.h>
#include <json-c/json.h>

#include "common.h"
#include "opts.h"
#include "commands.h"
#include "config.h"
#include "directory.h"
#include "loader.h"
#include "members.h"
#include "msync.h"
#include "syncstate.h"

#define MAX_DIR_FLAGS 32
#define FILE_MAX_REMOVAL 50         /* default --max-removal for a file, % */
#define STALE_MAX_LIMIT (366u * 86400u)

struct members_opts {
	const char *pin_dir;
	const char *file;
	bool json;
	bool dry_run;
	bool no_neigh;
	bool syslog;
	bool ldap;                  /* membership from the directory */
	bool force;                 /* past the mass-removal guard */
	int max_removal;            /* -1: default */
	long long stale_max;        /* -1: [members] stale-max, else the default */
	const char *config;         /* --config FILE ([directory], [members], [router] pin-dir) */
	const char *save;           /* --save FILE: the member set after the sync */
	struct {
		char key[32];
		const char *value;
	} dir[MAX_DIR_FLAGS];       /* --uri, --base, ...: [directory] keys */
	unsigned int n_dir;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: isagate members sync FILE|- [--pin-dir DIR] [--config FILE] [-j] [--dry-run]\n"
		"                                   [--no-neigh] [--syslog] [--max-removal PCT] [--force]\n"
		"                                   [--stale-max S] [--save FILE]\n"
		"       isagate members sync --ldap [--config FILE] [--uri URI ...] [--base DN] [--group DN]\n"
		"                                   [--bind simple|gssapi] [--bind-dn DN] [--password-file F]\n"
		"                                   [--keytab F] [--ca-file F] [--starttls yes|no]\n"
		"                                   [--nesting auto|in-chain|client] [--page-size N]\n"
		"                                   [--timeout S] [--extra FILE] [--max-removal PCT]\n"
		"                                   [--force] [--stale-max S] [-j] [--dry-run] [--no-neigh]\n"
		"                                   [--syslog] [--save FILE]\n"
		"       isagate members list [-j] [--pin-dir DIR]\n"
		"\n"
		"sync makes the member set exactly the file's ('-' reads stdin) and prints\n"
		"what changed.  One entry per line: an IPv4 address, an IPv4 CIDR\n"
		"(a.b.c.d/N, host bits clear) or a host name (all its A records); '#'\n"
		"starts a comment.  A malformed line changes nothing (exit 2); so does a name\n"
		"that is a number (0x7f000001, 10.1: the resolver would read it as an\n"
		"address), and an address or CIDR that is or contains one of the router's\n"
		"or its peers' addresses.  An address a name resolves to that is not\n"
		"unicast or is one of the routers' is left out (exit 3).  A name that\n"
		"fails temporarily keeps the addresses it had, for --stale-max at most\n"
		"(exit 3); a name that does not exist (NXDOMAIN, no A record) loses them\n"
		"(exit 3).  Members left without a managed IPv4 neighbour are named\n"
		"(exit 3).\n"
		"  -j, --json   machine-readable output\n"
		"  --dry-run    show the changes without making them\n"
		"  --no-neigh   do not create managed IPv4 neighbour entries for new members\n"
		"  --syslog     also send the summary line to syslog (for cron jobs)\n"
		"  --max-removal PCT  refuse a sync that would remove more than PCT %% of the\n"
		"               entries (default: 20 with --ldap, 50 for a file; a file that\n"
		"               would remove every entry is refused whatever PCT); exit 6,\n"
		"               nothing changed\n"
		"  --force      apply such a sync anyway\n"
		"  --save FILE  after an applied sync, write the member set to FILE (mode\n"
		"               0600) as a membership file: the last known membership that\n"
		"               isagate.service loads at boot while the source is unreachable\n"
		"  --stale-max S  keep the addresses of a name that fails temporarily for at\n"
		"               most S seconds (default 86400, 0: not at all; 'stale-max' in\n"
		"               [members] of --config)\n"
		"  --config FILE  read [members] (stale-max) and [router] pin-dir from FILE;\n"
		"               with --ldap also [directory]\n"
		"\n"
		"--ldap takes the members from the directory instead of a file: the enabled\n"
		"computer objects of a group (nested groups included), each dNSHostName\n"
		"resolved to its A records, plus the entries of the 'extra' file.  Settings\n"
		"come from the [directory] section of --config FILE; each key is also a flag\n"
		"(--uri, --base, --group, ...) that overrides it.  Directory unreachable or\n"
		"bind refused: nothing changes, exit 5.  See docs/directory.md.\n"
		"\n"
		"A sync (not a dry run) reads the members, plans and applies under the pin\n"
		"directory's lock, one writer at a time; it waits up to $ISAGATE_LOCK_WAIT\n"
		"seconds (default %d) while another isagate command holds it, then gives up:\n"
		"exit 8, nothing changed.\n", IG_LOCK_WAIT_DEFAULT);
}

/* "S" seconds: 0 to STALE_MAX_LIMIT.  0 or -1 (reason in err). */
static int parse_stale(const char *v, __u32 *out, char *err, size_t errlen)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!*v || *end || *v == '-' || errno || n > STALE_MAX_LIMIT) {
		snprintf(err, errlen, "'%s' is not a number of seconds from 0 to %u", v,
			 STALE_MAX_LIMIT);
		return -1;
	}
	*out = (__u32)n;
	return 0;
}

/* [members] of --config; every other section is someone else's. */
static int members_ini_key(void *ctx, const char *section, const char *key, const char *value,
			   char *err, size_t errlen)
{
	char why[160];

	if (strcmp(section, "members"))
		return 0;
	if (strcmp(key, "stale-max")) {
		snprintf(err, errlen, "unknown key '%s' in [members] (expected stale-max)", key);
		return -1;
	}
	if (parse_stale(value, ctx, why, sizeof(why))) {
		snprintf(err, errlen, "stale-max: %s", why);
		return -1;
	}
	return 0;
}

/* members' own options; a [directory] key's flag is OPT_DIR + its index. */
enum {
	OPT_LDAP = 0x100,
	OPT_FORCE,
	OPT_CONFIG,
	OPT_SAVE,
	OPT_STALE_MAX,
	OPT_MAX_REMOVAL,
	OPT_DRY_RUN,
	OPT_NO_NEIGH,
	OPT_SYSLOG,
	OPT_DIR = 0x200,
};

/* clang-format off */
static const struct option sync_fixed[] = {
	{ "ldap",        no_argument,       NULL, OPT_LDAP },
	{ "force",       no_argument,       NULL, OPT_FORCE },
	{ "config",      required_argument, NULL, OPT_CONFIG },
	{ "save",        required_argument, NULL, OPT_SAVE },
	{ "stale-max",   required_argument, NULL, OPT_STALE_MAX },
	{ "max-removal", required_argument, NULL, OPT_MAX_REMOVAL },
	{ "dry-run",     no_argument,       NULL, OPT_DRY_RUN },
	{ "no-neigh",    no_argument,       NULL, OPT_NO_NEIGH },
	{ "syslog",      no_argument,       NULL, OPT_SYSLOG },
};
/* clang-format on */
#define N_SYNC_FIXED (sizeof(sync_fixed) / sizeof(sync_fixed[0]))

/* sync's options: the fixed ones, then one per [directory] key (the
 * directory's key table, user/lib/directory.c) that is not one of them. */
static const struct option *sync_options(void)
{
	static struct option opts[N_SYNC_FIXED + MAX_DIR_FLAGS + 1];
	const char *key;
	size_t n = 0, i;
	unsigned int k;

	if (opts[0].name)
		return opts;
	for (i = 0; i < N_SYNC_FIXED; i++)
		opts[n++] = sync_fixed[i];
	for (k = 0; (key = ig_dir_key(k)) && n < N_SYNC_FIXED + MAX_DIR_FLAGS; k++) {
		for (i = 0; i < N_SYNC_FIXED && strcmp(sync_fixed[i].name, key); i++)
			;
		if (i == N_SYNC_FIXED)
			opts[n++] =
				(struct option){ key, required_argument, NULL, OPT_DIR + (int)k };
	}
	return opts;
}

/* One of sync's own options (not a global one). */
static int sync_opt(struct members_opts *o, int opt, const char *v)
{
	char why[160], *end;
	__u32 secs;
	long pct;

	switch (opt) {
	case OPT_LDAP: o->ldap = true; break;
	case OPT_FORCE: o->force = true; break;
	case OPT_CONFIG: o->config = v; break;
	case OPT_SAVE: o->save = v; break;
	case OPT_DRY_RUN: o->dry_run = true; break;
	case OPT_NO_NEIGH: o->no_neigh = true; break;
	case OPT_SYSLOG: o->syslog = true; break;
	case OPT_STALE_MAX:
		if (parse_stale(v, &secs, why, sizeof(why))) {
			ig_err("--stale-max: %s", why);
			return IG_EXIT_USAGE;
		}
		o->stale_max = secs;
		break;
	case OPT_MAX_REMOVAL:
		pct = strtol(v, &end, 10);
		if (!*v || *end || pct < 0 || pct > 100) {
			ig_err("--max-removal: '%s' is not a percentage from 0 to 100", v);
			return IG_EXIT_USAGE;
		}
		o->max_removal = (int)pct;
		break;
	default: /* a [directory] key */
		if (o->n_dir == MAX_DIR_FLAGS) {
			ig_err("too many directory flags");
			return IG_EXIT_USAGE;
		}
		snprintf(o->dir[o->n_dir].key, sizeof(o->dir[o->n_dir].key), "%s",
			 ig_dir_key((unsigned int)(opt - OPT_DIR)));
		o->dir[o->n_dir].value = v;
		o->n_dir++;
		break;
	}
	return 0;
}

/* argv[0] is "sync" or "list". */
static int parse_opts(int argc, char **argv, bool is_sync, struct members_opts *o)
{
	const struct ig_cmd cmd = { is_sync ? "members sync" : "members list", "",
				    is_sync ? sync_options() : NULL, usage, true };
	struct ig_getopt g;
	int opt, rc;

	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((opt = ig_getopt(&g)) > 0) {
		rc = sync_opt(o, opt, optarg);
		if (rc)
			return rc;
	}
	if (opt < 0)
		return g.rc ? g.rc : -1;
	o->json = ig_globals.json;
	o->pin_dir = ig_globals.pin_dir;
	if (is_sync && optind < argc)
		o->file = argv[optind++];
	if (ig_getopt_done(&g))
		return IG_EXIT_USAGE;
	if (is_sync && o->ldap && o->file) {
		ig_err("members sync --ldap: unexpected file '%s' (merge fixed entries with "
		       "--extra FILE or 'extra' in [directory])", o->file);
		return IG_EXIT_USAGE;
	}
	if (is_sync && !o->ldap && o->n_dir) {
		ig_err("members sync: --%s is a directory setting: add --ldap", o->dir[0].key);
		return IG_EXIT_USAGE;
	}
	if (is_sync && !o->file && !o->ldap) {
		ig_err("members sync: which file? ('-' for stdin, or --ldap for the directory)");
		return IG_EXIT_USAGE;
	}
	return 0;
}

static const char *iso_time(__u32 t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
	return buf;
}

static json_object *entry_json(const struct ig_mentry *e)
{
	char pfx[IG_PREFIX_STRLEN];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "prefix",
			       json_object_new_string(ig_prefix_fmt(&e->key, pfx, sizeof(pfx))));
	json_object_object_add(o, "name", json_object_new_string(e->val.name));
	return o;
}

static json_object *entries_json(const struct ig_mset *s)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < s->n; i++)
		json_object_array_add(a, entry_json(&s->e[i]));
	return a;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* extra: added to the JSON object as "directory" (taken), or NULL; rejected:
 * as "rejected" (taken); neigh_failed: new members without a managed
 * neighbour. */
static void print_plan(const struct ig_plan *p, bool dry_run, bool json, json_object *extra,
		       json_object *rejected, size_t neigh_failed)
{
	char pfx[IG_PREFIX_STRLEN];
	size_t i;

	if (json) {
		json_object *o = json_object_new_object();
		json_object *un = json_object_new_array();

		json_object_object_add(o, "added", entries_json(&p->add));
		json_object_object_add(o, "updated", entries_json(&p->update));
		json_object_object_add(o, "removed", entries_json(&p->remove));
		json_object_object_add(o, "kept",
				       json_object_new_int64((int64_t)(p->keep.n + p->update.n)));
		for (i = 0; i < p->n_unres; i++)
			json_object_array_add(un, json_object_new_string(p->unres[i].name));
		json_object_object_add(o, "unresolved", un);
		json_object_object_add(o, "rejected", rejected ? rejected : json_object_new_array());
		json_object_object_add(o, "neighbour_failures",
				       json_object_new_int64((int64_t)neigh_failed));
		json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
		if (extra)
			json_object_object_add(o, "directory", extra);
		print_json(o);
		return;
	}
	json_object_put(extra);
	json_object_put(rejected);
	for (i = 0; i < p->add.n; i++)
		printf("+ %s%s%s\n", ig_prefix_fmt(&p->add.e[i].key, pfx, sizeof(pfx)),
		       p->add.e[i].val.name[0] ? " " : "", p->add.e[i].val.name);
	for (i = 0; i < p->update.n; i++) {
		const struct ig_member *v = &p->update.e[i].val, *w = &p->was.e[i].val;
		bool stale = v->flags & IG_MEMBER_F_STALE, was = w->flags & IG_MEMBER_F_STALE;

		ig_prefix_fmt(&p->update.e[i].key, pfx, sizeof(pfx));
		if (stale && !was)
			printf("~ %s %s (stale: the name did not resolve)\n", pfx, v->name);
		else if (!stale && was && v->name_hash == w->name_hash)
			printf("~ %s %s (resolves again)\n", pfx, v->name);
		else
			printf("~ %s %s (was %s)\n", pfx, v->name[0] ? v->name : "literal",
			       w->name[0] ? w->name : "literal");
	}
	for (i = 0; i < p->remove.n; i++)
		printf("- %s%s%s\n", ig_prefix_fmt(&p->remove.e[i].key, pfx, sizeof(pfx)),
		       p->remove.e[i].val.name[0] ? " " : "", p->remove.e[i].val.name);
}

/* Directory settings: [directory] of --config, then the flags over it. */
static int dir_settings(const struct members_opts *o, struct ig_dir_settings *ds,
			char *cfg_pin, size_t cfg_pin_len)
{
	char err[512];
	unsigned int i;
	int rc;

	if (o->config) {
		struct ig_settings rs;

		rc = ig_dir_load_ini(ds, o->config);
		if (rc)
			return ig_exit_input(rc);
		/* The router's pin-dir from the same file, unless --pin-dir. */
		ig_settings_init(&rs);
		rc = ig_settings_load_ini(&rs, o->config);
		if (rc)
			return ig_exit_input(rc);
		snprintf(cfg_pin, cfg_pin_len, "%s", rs.pin_dir);
	}
	for (i = 0; i < o->n_dir; i++) {
		if (ig_dir_set(ds, o->dir[i].key, o->dir[i].value, true, err, sizeof(err))) {
			ig_err("--%s", err);
			return IG_EXIT_USAGE;
		}
	}
	if (o->max_removal >= 0)
		ds->max_removal = (unsigned int)o->max_removal;
	return ig_exit_input(ig_dir_check(ds));
}

/* --config of a file sync: [router] pin-dir. */
static int file_settings(const struct members_opts *o, char *cfg_pin, size_t cfg_pin_len)
{
	struct ig_settings rs;
	int rc;

	if (!o->config)
		return 0;
	ig_settings_init(&rs);
	rc = ig_settings_load_ini(&rs, o->config);
	if (rc)
		return ig_exit_input(rc);
	snprintf(cfg_pin, cfg_pin_len, "%s", rs.pin_dir);
	return 0;
}

/* --stale-max, else [members] stale-max of --config, else the default. */
static int stale_setting(const struct members_opts *o, __u32 *stale_max)
{
	*stale_max = IG_STALE_MAX_DEFAULT;
	if (o->config) {
		int rc = ig_ini_load(o->config, members_ini_key, stale_max);

		if (rc)
			return ig_exit_input(rc);
	}
	if (o->stale_max >= 0)
		*stale_max = (__u32)o->stale_max;
	return 0;
}

static const char *resolve_why(const struct ig_unres *u, char *buf, size_t len)
{
	if (u->code == EAI_SYSTEM && u->sys_err)
		snprintf(buf, len, "%s", strerror(u->sys_err));
	else
		snprintf(buf, len, "%s", ig_resolve_strerror(u->code));
	return buf;
}

/* One warning per name that did not resolve: what happened to its addresses. */
static void warn_unresolved(const struct ig_plan *p, __u32 stale_max)
{
	char why[128], t0[32], t1[32];
	size_t i;

	for (i = 0; i < p->n_unres; i++) {
		const struct ig_unres *u = &p->unres[i];

		resolve_why(u, why, sizeof(why));
		if (!ig_resolve_transient(u->code, u->sys_err)) {
			if (u->removed)
				ig_err("warning: name %s did not resolve (%s: no such address): "
				       "its %zu address(es) removed", u->name, why, u->removed);
			else
				ig_err("warning: name %s did not resolve (%s: no such address): "
				       "not a member", u->name, why);
			continue;
		}
		if (u->expired)
			ig_err("warning: name %s did not resolve (%s) for --stale-max %us: "
			       "its %zu stale address(es) removed", u->name, why, stale_max,
			       u->expired);
		if (u->kept)
			ig_err("warning: name %s did not resolve (%s): keeping %zu address(es), "
			       "stale since %s, removed from %s unless it resolves again "
			       "(--stale-max %us)", u->name, why, u->kept,
			       iso_time(u->stale_since, t0, sizeof(t0)),
			       iso_time(u->stale_since + stale_max, t1, sizeof(t1)), stale_max);
		if (!u->kept && !u->expired)
			ig_err("warning: name %s did not resolve (%s): no address to keep",
			       u->name, why);
	}
}

static json_object *rejected_json(const struct ig_desired *want)
{
	json_object *a = json_object_new_array();
	char addr[INET_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < want->n_rej; i++) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "name", json_object_new_string(want->rej[i].name));
		json_object_object_add(r, "address", json_object_new_string(
			ig_fmt_v4(want->rej[i].addr, addr, sizeof(addr))));
		json_object_object_add(r, "reason", json_object_new_string(want->rej[i].why));
		json_object_array_add(a, r);
	}
	return a;
}

static void log_line(const struct members_opts *o, int prio, const char *line)
{
	if (!o->syslog)
		return;
	openlog("isagate", LOG_PID, LOG_DAEMON);
	syslog(prio, "%s", line);
	closelog();
}

static json_object *dir_json(const struct ig_dir_result *r, long skipped)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "server", json_object_new_string(r->server));
	json_object_object_add(o, "nesting", json_object_new_string(r->nesting ? r->nesting : ""));
	json_object_object_add(o, "computers", json_object_new_int64((int64_t)r->n));
	json_object_object_add(o, "disabled", json_object_new_int64((int64_t)r->n_disabled));
	json_object_object_add(o, "skipped", json_object_new_int64(skipped));
	json_object_object_add(o, "pages", json_object_new_int64(r->pages));
	json_object_object_add(o, "groups", json_object_new_int64((int64_t)r->groups));
	json_object_object_add(o, "max_page", json_object_new_int64((int64_t)r->max_page));
	return o;
}

/* A sync that stopped: what the operator and the log are told; the exit code. */
static int present_stop(const struct members_opts *o, const struct ig_msync *r,
			unsigned int max_removal, const char *dirsum)
{
	const char *hint;
	char summary[1800];
	int rc = IG_EXIT_FAIL;

	summary[0] = '\0';
	switch (r->stage) {
	case IG_MSYNC_OPEN: return ig_exit_pins(r->err);
	case IG_MSYNC_INPUT: return r->err == -EINVAL ? IG_EXIT_USAGE : IG_EXIT_FAIL;
	case IG_MSYNC_DIRECTORY:
		ig_err("directory: %s", r->why);
		snprintf(summary, sizeof(summary),
			 "members: directory sync failed, nothing changed: %s", r->why);
		rc = r->dir_err == IG_DIR_ERR_CONFIG  ? IG_EXIT_USAGE
		     : r->dir_err == IG_DIR_ERR_NOMEM ? IG_EXIT_FAIL
						      : IG_EXIT_DIRECTORY;
		break;
	case IG_MSYNC_LOCK:
		rc = ig_exit_code(r->err);
		snprintf(summary, sizeof(summary), "members: %s, nothing changed%s",
			 rc == IG_EXIT_LOCKED	      ? "another isagate command holds the lock"
			 : rc == IG_EXIT_NOT_ATTACHED ? "detached meanwhile"
						      : "cannot lock the pin directory",
			 dirsum);
		break;
	case IG_MSYNC_GUARD:
		hint = o->ldap ? "check the group and the directory"
			       : "check the file (truncated?)";
		if (r->wipe)
			ig_err("refusing: this sync would remove all %zu entries (%s); check the "
			       "file, then run it again with --force if the removal is intended",
			       r->cur.n,
			       r->src.n ? "none of the file's entries stays"
					: "the file has no entry");
		else
			ig_err("refusing: this sync would remove %zu of the %zu entries (%zu%%), "
			       "more than max-removal %u%%; %s, then run it again with --force "
			       "if the removal is intended",
			       r->plan.remove.n, r->cur.n, r->plan.remove.n * 100 / r->cur.n,
			       max_removal, hint);
		if (ig_verbose)
			print_plan(&r->plan, true, false, NULL, NULL, 0);
		snprintf(summary, sizeof(summary),
			 "members: refused, nothing changed: would remove %zu of %zu entries "
			 "(max-removal %u%%)%s",
			 r->plan.remove.n, r->cur.n, max_removal, dirsum);
		rc = IG_EXIT_REFUSED;
		break;
	case IG_MSYNC_APPLY:
		ig_err("%s", r->why);
		ig_err("members: sync failed; run it again once the cause is fixed");
		snprintf(summary, sizeof(summary), "members: sync failed: %s", r->why);
		log_line(o, LOG_ERR, summary);
		return IG_EXIT_FAIL;
	/* RESOLVE, READ, PLAN: the library said where it failed */
	default: return IG_EXIT_FAIL;
	}
	fprintf(o->json ? stderr : stdout, "%s\n", summary);
	log_line(o, LOG_ERR, summary);
	return rc;
}

/* A sync that went through: the changes, the warnings, the summary line. */
static int present_done(const struct members_opts *o, const struct ig_msync *r, __u32 stale_max,
			const char *dirsum)
{
	char summary[1800], more[200] = "", a[INET_ADDRSTRLEN];
	size_t i, n_stale = 0;
	bool partial;

	print_plan(&r->plan, o->dry_run, o->json, o->ldap ? dir_json(&r->dr, r->skipped) : NULL,
		   o->json ? rejected_json(&r->want) : NULL, r->neigh_failed);
	fflush(stdout);
	for (i = 0; i < r->want.n_rej; i++)
		ig_err("warning: name %s resolves to %s, which %s: left out", r->want.rej[i].name,
		       ig_fmt_v4(r->want.rej[i].addr, a, sizeof(a)), r->want.rej[i].why);
	warn_unresolved(&r->plan, stale_max);
	for (i = 0; i < r->plan.n_unres; i++)
		n_stale += r->plan.unres[i].kept;
	/* After the fixed part, which scripts match: the warnings' counts. */
	if (n_stale)
		snprintf(more + strlen(more), sizeof(more) - strlen(more), "; %zu stale", n_stale);
	if (r->want.n_rej)
		snprintf(more + strlen(more), sizeof(more) - strlen(more),
			 "; %zu resolved address(es) refused", r->want.n_rej);
	if (r->neigh_warn)
		snprintf(more + strlen(more), sizeof(more) - strlen(more),
			 "; %zu new member(s) without a managed neighbour (%zu neighbour "
			 "warning(s))",
			 r->neigh_failed, r->neigh_warn);
	snprintf(summary, sizeof(summary),
		 "members: %zu added, %zu removed, %zu kept, "
		 "%zu unresolved%s%s%s",
		 r->plan.add.n, r->plan.remove.n, r->plan.keep.n + r->plan.update.n,
		 r->plan.n_unres, o->dry_run ? " (dry run, nothing changed)" : "", dirsum, more);
	fprintf(o->json ? stderr : stdout, "%s\n", summary);
	fflush(stdout);
	partial = r->plan.n_unres || r->skipped || r->want.n_rej || r->neigh_warn;
	if (r->save_err) {
		ig_err("warning: --save %s: %s (the sync itself was applied)", o->save,
		       strerror(-r->save_err));
		partial = true;
	}
	log_line(o, partial ? LOG_WARNING : LOG_INFO, summary);
	return partial ? IG_EXIT_PARTIAL : IG_EXIT_OK;
}

/* "; directory SERVER: N computers, ..." for the summary line. */
static void dir_summary(const struct ig_dir_result *dr, long skipped, char *buf, size_t len)
{
	char unit[32];

	if (dr->groups) /* client-side nesting: groups read one by one */
		snprintf(unit, sizeof(unit), "%zu group%s", dr->groups, dr->groups == 1 ? "" : "s");
	else
		snprintf(unit, sizeof(unit), "%u page%s", dr->pages, dr->pages == 1 ? "" : "s");
	snprintf(buf, len,
		 "; directory %s: %zu computers, %zu disabled, %ld skipped, %s "
		 "nesting, %s",
		 dr->server, dr->n, dr->n_disabled, skipped, dr->nesting, unit);
}

/* `members sync`: settings, the library's pipeline (msync.c), its outcome. */
static int members_sync(const struct members_opts *o, const struct ig_members_env *env)
{
	struct ig_msync_req req = { .file = o->file,
				    .dry_run = o->dry_run,
				    .force = o->force,
				    .no_neigh = o->no_neigh,
				    .save = o->save,
				    .now = env->now,
				    .resolve = env->resolve,
				    .ctx = env->ctx };
	struct ig_msync *r = NULL;
	struct ig_dir_settings ds;
	char cfg_pin[PATH_MAX] = "", dirsum[384] = "";
	const char *pin_dir;
	int rc, ret;

	ig_dir_settings_init(&ds);
	rc = stale_setting(o, &req.stale_max);
	if (!rc && o->ldap) {
		rc = dir_settings(o, &ds, cfg_pin, sizeof(cfg_pin));
		req.dir = &ds;
		req.max_removal = ds.max_removal;
	} else if (!rc) {
		rc = file_settings(o, cfg_pin, sizeof(cfg_pin));
		req.max_removal = o->max_removal >= 0 ? (unsigned int)o->max_removal
						      : FILE_MAX_REMOVAL;
	}
	pin_dir = ig_pin_dir(o->pin_dir ? o->pin_dir : cfg_pin[0] ? cfg_pin : NULL);
	req.pin_dir = pin_dir;
	if (rc)
		goto record;
	r = malloc(sizeof(*r));
	if (!r) {
		ig_err("out of memory");
		rc = IG_EXIT_FAIL;
		goto record;
	}
	ret = ig_msync_run(&req, r);
	/* the directory answered: say what it said, whatever came after */
	if (o->ldap && r->stage != IG_MSYNC_OPEN && r->stage != IG_MSYNC_DIRECTORY)
		dir_summary(&r->dr, r->skipped, dirsum, sizeof(dirsum));
	rc = ret ? present_stop(o, r, req.max_removal, dirsum)
		 : present_done(o, r, req.stale_max, dirsum);
record:
	/* Every sync's outcome, for `stats` and the alerts on a sync that fails
	 * or stopped running; under the lock when this sync got it. */
	if (!o->dry_run) {
		ret = ig_sync_state_record(
			pin_dir, rc, o->ldap ? IG_SYNC_SRC_DIRECTORY : IG_SYNC_SRC_FILE,
			env->now ? env->now : (unsigned long long)time(NULL), r ? r->src_path : "");
		if (ret && ret != -ENOENT)
			ig_dbg("recording the sync's outcome in %s/%s: %s", pin_dir,
			       IG_MAP_SYNC_STATE, strerror(-ret));
	}
	if (r)
		ig_msync_free(r);
	free(r);
	ig_dir_settings_free(&ds);
	return rc;
}

static json_object *flags_json(__u32 flags)
{
	json_object *a = json_object_new_array();

	if (flags & IG_MEMBER_F_NAME)
		json_object_array_add(a, json_object_new_string("name"));
	if (flags & IG_MEMBER_F_SUBNET)
		json_object_array_add(a, json_object_new_string("subnet"));
	if (flags & IG_MEMBER_F_DIRECTORY)
		json_object_array_add(a, json_object_new_string("directory"));
	if (flags & IG_MEMBER_F_STALE)
		json_object_array_add(a, json_object_new_string("stale"));
	return a;
}

static int members_list(const struct members_opts *o)
{
	const char *pin_dir = ig_pin_dir(o->pin_dir);
	struct ig_mset cur = { 0 };
	char pfx[IG_PREFIX_STRLEN], when[32], name[IG_NAME_LEN];
	struct ig_mmaps maps;
	int ret, rc = IG_EXIT_FAIL;
	json_object *arr = NULL;
	size_t i;

	ret = ig_mmaps_open(pin_dir, &maps);
	if (ret)
		return ig_exit_pins(ret);
	ret = ig_members_read(&maps, &cur);
	if (ret) {
		ig_err("%s: reading the members: %s", pin_dir, strerror(-ret));
		goto cleanup;
	}
	if (o->json)
		arr = json_object_new_array();
	for (i = 0; i < cur.n; i++) {
		const struct ig_mentry *e = &cur.e[i];

		snprintf(name, sizeof(name), "%s", e->val.name);   /* NUL-terminated */
		ig_prefix_fmt(&e->key, pfx, sizeof(pfx));
		iso_time(e->val.since, when, sizeof(when));
		if (arr) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "prefix", json_object_new_string(pfx));
			json_object_object_add(j, "name", json_object_new_string(name));
			json_object_object_add(j, "flags", flags_json(e->val.flags));
			json_object_object_add(j, "since", e->val.since ?
					       json_object_new_string(when) : NULL);
			json_object_array_add(arr, j);
		} else {
			printf("%-18s  %-30s  %s%s\n", pfx, name[0] ? name : "-", when,
			       (e->val.flags & IG_MEMBER_F_STALE) ? " (stale: not resolving since)" : "");
		}
	}
	if (arr) {
		print_json(arr);
		arr = NULL;
	}
	rc = IG_EXIT_OK;
cleanup:
	ig_mmaps_close(&maps);
	ig_mset_free(&cur);
	return rc;
}

int cmd_members(int argc, char **argv)
{
	static const struct ig_members_env sys = { .resolve = ig_resolve_system };

	return cmd_members_env(argc, argv, &sys);
}

int cmd_members_env(int argc, char **argv, const struct ig_members_env *env)
{
	struct members_opts o = { .max_removal = -1, .stale_max = -1 };
	bool is_sync;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? IG_EXIT_USAGE : IG_EXIT_OK;
	}
	if (strcmp(argv[1], "sync") && strcmp(argv[1], "list")) {
		ig_err("members: unknown subcommand '%s' (sync or list)", argv[1]);
		return IG_EXIT_USAGE;
	}
	is_sync = !strcmp(argv[1], "sync");
	ret = parse_opts(argc - 1, argv + 1, is_sync, &o);
	if (ret)
		return ret < 0 ? IG_EXIT_OK : ret;
	return is_sync ? members_sync(&o, env) : members_list(&o);
}
