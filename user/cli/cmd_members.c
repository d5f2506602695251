// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_members.c - `isagate members sync FILE|-` and `isagate members list`.
 *
 * sync: parse and resolve the whole source first (nothing touched on a bad
 * line), read the map, compute the plan, apply adds/updates then removes,
 * then make the new members' IPv4 next hops managed neighbours (a member
 * left without one is a warning, exit 3).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "common.h"
#include "opts.h"
#include "commands.h"
#include "config.h"
#include "directory.h"
#include "loader.h"
#include "members.h"
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

/* The IPv4 side's ifindex from the pinned config map, 0 when unknown. */
static int v4_ifindex(const char *pin_dir)
{
	char path[512];
	struct ig_config cfg;
	__u32 key = 0;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, IG_MAP_CONFIG);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ig_err("warning: %s: %s: managed neighbours not updated", path, strerror(errno));
		return 0;
	}
	if (bpf_map_lookup_elem(fd, &key, &cfg))
		ig_err("warning: %s: %s: managed neighbours not updated", path, strerror(errno));
	else if (cfg.abi_version != ISAGATE_ABI_VERSION || !cfg.v4_ifindex)
		ig_err("warning: %s has no IPv4 side configured (attach not finished?): "
		       "managed neighbours not updated", path);
	else
		ret = (int)cfg.v4_ifindex;
	close(fd);
	return ret;
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
			return rc;
		/* The router's pin-dir from the same file, unless --pin-dir. */
		ig_settings_init(&rs);
		rc = ig_settings_load_ini(&rs, o->config);
		if (rc)
			return rc;
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
	return ig_dir_check(ds);
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
		return rc;
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
			return rc;
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

/* Append the entries of a membership file to src.  0 or an exit code. */
static int read_file(const char *path, struct ig_msrc *src)
{
	bool is_stdin = !strcmp(path, "-");
	const char *fname = is_stdin ? "<stdin>" : path;
	char err[1024];
	FILE *f;
	int ret;

	f = is_stdin ? stdin : fopen(path, "r");
	if (!f) {
		ig_err("%s: %s", path, strerror(errno));
		return IG_EXIT_USAGE;
	}
	ret = ig_msrc_parse_stream(src, f, fname, err, sizeof(err));
	if (f != stdin)
		fclose(f);
	if (ret) {
		fprintf(stderr, "%s\n", err);
		if (ret == -EINVAL)
			fprintf(stderr, "isagate: nothing changed\n");
		return ret == -EINVAL ? IG_EXIT_USAGE : IG_EXIT_FAIL;
	}
	return 0;
}

/*
 * Issue 15 (3): a literal entry that is or covers an address of this router
 * or of a peer router is refused, like a malformed line: the router would
 * take its own (or a peer's) encapsulated traffic as a member's.  Literals
 * only come from files (the directory's are skipped as bad entries), so
 * fname names the file they were read from.  Every such line is reported;
 * 0 or IG_EXIT_USAGE.
 */
static int check_literals(const struct ig_msrc *src, const struct ig_addrs *deny,
			  const char *fname)
{
	char p[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN], where[PATH_MAX + 16] = "";
	size_t i, bad = 0;
	long k;

	for (i = 0; i < src->n; i++) {
		const struct ig_msrc_item *it = &src->items[i];

		if (it->kind != IG_MSRC_PREFIX)
			continue;
		k = ig_prefix_denied(&it->key, deny);
		if (k < 0)
			continue;
		if (it->line)
			snprintf(where, sizeof(where), "%s:%u: ", fname, it->line);
		ig_fmt_v4(it->key.addr, p, sizeof(p));
		ig_fmt_v4(deny->a[k], r, sizeof(r));
		if (it->key.prefixlen == 32)
			fprintf(stderr, "%s%s is an address of this router or of a peer "
				"router: a router is never a member\n", where, p);
		else
			fprintf(stderr, "%s%s/%u covers router address %s: a member subnet must "
				"not contain the router's or a peer's addresses; list the hosts "
				"or a smaller subnet\n", where, p, it->key.prefixlen, r);
		bad++;
	}
	if (!bad)
		return 0;
	fprintf(stderr, "isagate: nothing changed\n");
	return IG_EXIT_USAGE;
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

/* One set's entries as membership-file lines (literals; the name a comment). */
static void save_set(FILE *f, const struct ig_mset *s)
{
	char a[INET_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct ig_mentry *e = &s->e[i];

		fprintf(f, "%s/%u", ig_fmt_v4(e->key.addr, a, sizeof(a)), e->key.prefixlen);
		if (e->val.name[0])
			fprintf(f, "\t# %.*s", (int)sizeof(e->val.name), e->val.name);
		fputc('\n', f);
	}
}

/*
 * --save FILE: the member set as it stands after an applied sync, as a
 * membership file of literals (mode 0600: it says who may use the router).
 * isagate.service loads it at boot, so a router whose directory is down
 * starts with the last known membership instead of none.
 */
static int save_members(const char *path, const struct ig_plan *p)
{
	struct ig_atomic a;
	int ret;

	ret = ig_atomic_open(&a, path, 0600);
	if (ret)
		return ret;
	fprintf(a.f, "# isagate: the member set after the last applied sync (members sync --save);\n"
		"# loaded at boot while the source is unreachable.  Written by isagate: do not edit.\n");
	save_set(a.f, &p->keep);
	save_set(a.f, &p->update);
	save_set(a.f, &p->add);
	return ig_atomic_commit(&a, 0);
}

static int members_sync(const struct members_opts *o, const struct ig_members_env *env)
{
	struct ig_msrc src = { 0 };
	struct ig_desired want = { 0 };
	struct ig_mset cur = { 0 };
	struct ig_plan plan = { 0 };
	struct ig_dir_settings ds;
	struct ig_dir_result dr = { 0 };
	struct ig_rcache rcache = { 0 };
	struct ig_addrs deny = { 0 };
	char err[1024], summary[1800], dirsum[384] = "", cfg_pin[PATH_MAX] = "", unit[32];
	char more[160];
	struct ig_mmaps maps = { -1, -1, -1 };
	int rc = IG_EXIT_FAIL, ret, ifindex, lockfd = -1;
	unsigned int max_removal = 100;
	size_t i, n_stale = 0, neigh_warn = 0, neigh_failed = 0;
	__u32 now, stale_max;
	bool wipe, partial;
	const char *pin_dir = NULL, *src_file;
	char src_path[PATH_MAX] = "";
	enum ig_dir_err dret;
	long skipped = 0;

	ig_dir_settings_init(&ds);
	rc = stale_setting(o, &stale_max);
	if (rc)
		goto cleanup;
	if (o->ldap) {
		rc = dir_settings(o, &ds, cfg_pin, sizeof(cfg_pin));
		if (rc)
			goto cleanup;
		max_removal = ds.max_removal;
	} else {
		rc = file_settings(o, cfg_pin, sizeof(cfg_pin));
		if (rc)
			goto cleanup;
		max_removal = o->max_removal >= 0 ? (unsigned int)o->max_removal : FILE_MAX_REMOVAL;
		rc = read_file(o->file, &src);
		if (rc)
			goto cleanup;
	}
	rc = IG_EXIT_FAIL;
	pin_dir = ig_pin_dir(o->pin_dir ? o->pin_dir : cfg_pin[0] ? cfg_pin : NULL);

	ret = ig_mmaps_open(pin_dir, &maps);
	if (!ret)
		ret = ig_routers_read(pin_dir, &deny);  /* no name may resolve to them */
	if (ret) {
		rc = ret == -ENOENT ? IG_EXIT_NOT_ATTACHED : IG_EXIT_FAIL;
		goto cleanup;
	}

	if (o->ldap) {
		dret = ig_dir_fetch(&ds, &dr, err, sizeof(err));
		if (dret != IG_DIR_OK) {
			ig_err("directory: %s", err);
			snprintf(summary, sizeof(summary), "members: directory sync failed, nothing "
				 "changed: %s", err);
			fprintf(o->json ? stderr : stdout, "%s\n", summary);
			log_line(o, LOG_ERR, summary);
			rc = dret == IG_DIR_ERR_CONFIG ? IG_EXIT_USAGE :
			     dret == IG_DIR_ERR_NOMEM ? IG_EXIT_FAIL : IG_EXIT_DIRECTORY;
			goto cleanup;
		}
		skipped = ig_dir_to_source(&dr, &src);
		if (skipped < 0) {
			ig_err("out of memory");
			goto cleanup;
		}
		if (dr.groups)          /* client-side nesting: groups read one by one */
			snprintf(unit, sizeof(unit), "%zu group%s", dr.groups,
				 dr.groups == 1 ? "" : "s");
		else
			snprintf(unit, sizeof(unit), "%u page%s", dr.pages,
				 dr.pages == 1 ? "" : "s");
		snprintf(dirsum, sizeof(dirsum), "; directory %s: %zu computers, %zu disabled, "
			 "%ld skipped, %s nesting, %s", dr.server, dr.n, dr.n_disabled,
			 skipped, dr.nesting, unit);
		if (ds.extra) {
			ret = read_file(ds.extra, &src);
			if (ret) {
				rc = ret;
				goto cleanup;
			}
		}
	}

	rc = check_literals(&src, &deny, o->ldap ? (ds.extra ? ds.extra : "") :
			    strcmp(o->file, "-") ? o->file : "<stdin>");
	if (rc)
		goto cleanup;
	rc = IG_EXIT_FAIL;
	/* Every name once, in parallel, then the pipeline reads the answers. */
	if (ig_rcache_fill(&rcache, &src, env->resolve, env->ctx, 16)) {
		ig_err("out of memory");
		goto cleanup;
	}
	if (ig_members_resolve_deny(&src, ig_resolve_cached, &rcache, &deny, &want)) {
		ig_err("out of memory");
		goto cleanup;
	}
	/*
	 * From the read of the current set to the last write, one writer at a
	 * time (the members timer and an operator): a plan computed from a
	 * read another sync then changes would undo that sync's work.  Names
	 * and the directory are resolved before, so the lock is not held for
	 * a slow server.  The maps are opened again under it: a detach (and
	 * attach) meanwhile replaced them.
	 */
	if (!o->dry_run) {
		lockfd = ig_pin_dir_lock(pin_dir);
		if (lockfd < 0) {
			rc = -lockfd;
			snprintf(summary, sizeof(summary), "members: %s, nothing changed%s",
				 rc == IG_EXIT_LOCKED ? "another isagate command holds the lock" :
				 rc == IG_EXIT_NOT_ATTACHED ? "detached meanwhile" :
				 "cannot lock the pin directory", dirsum);
			fprintf(o->json ? stderr : stdout, "%s\n", summary);
			log_line(o, LOG_ERR, summary);
			goto cleanup;
		}
		ig_mmaps_close(&maps);
		ret = ig_mmaps_open(pin_dir, &maps);
		if (ret) {
			rc = ret == -ENOENT ? IG_EXIT_NOT_ATTACHED : IG_EXIT_FAIL;
			goto cleanup;
		}
	}
	ret = ig_members_read(&maps, &cur);
	if (ret) {
		ig_err("%s: reading the members: %s", pin_dir, strerror(-ret));
		goto cleanup;
	}
	now = env->now ? env->now : (__u32)time(NULL);
	ret = ig_members_plan(&cur, &want, now, stale_max, &plan);
	if (ret) {
		ig_err("computing the changes: %s", strerror(-ret));
		goto cleanup;
	}

	/* A truncated or emptied file must not lock everyone out. */
	wipe = !o->ldap && cur.n && plan.remove.n == cur.n && !plan.add.n;
	if (!o->force && (wipe || ig_plan_exceeds(&plan, cur.n, max_removal))) {
		if (wipe)
			ig_err("refusing: this sync would remove all %zu entries (%s); check the "
			       "file, then run it again with --force if the removal is intended",
			       cur.n, src.n ? "none of the file's entries stays" : "the file has no entry");
		else
			ig_err("refusing: this sync would remove %zu of the %zu entries (%zu%%), more "
			       "than max-removal %u%%%s", plan.remove.n, cur.n,
			       plan.remove.n * 100 / cur.n, max_removal,
			       o->ldap ? "; check the group and the directory, then run it again "
			       "with --force if the removal is intended" :
			       "; check the file (truncated?), then run it again with --force if "
			       "the removal is intended");
		if (ig_verbose)
			print_plan(&plan, true, false, NULL, NULL, 0);
		snprintf(summary, sizeof(summary), "members: refused, nothing changed: would "
			 "remove %zu of %zu entries (max-removal %u%%)%s", plan.remove.n, cur.n,
			 max_removal, dirsum);
		fprintf(o->json ? stderr : stdout, "%s\n", summary);
		log_line(o, LOG_ERR, summary);
		rc = IG_EXIT_REFUSED;
		goto cleanup;
	}

	if (!o->dry_run && ig_plan_changes(&plan)) {
		ret = ig_members_apply(&maps, &plan, err, sizeof(err));
		if (ret) {
			ig_err("%s", err);
			ig_err("members: sync failed; run it again once the cause is fixed");
			snprintf(summary, sizeof(summary), "members: sync failed: %s", err);
			log_line(o, LOG_ERR, summary);
			goto cleanup;
		}
	}

	/* Before the summary: a member without a neighbour entry is a warning. */
	if (!o->dry_run && !o->no_neigh && (plan.add.n || plan.remove.n)) {
		ifindex = v4_ifindex(pin_dir);
		if (ifindex > 0) {
			neigh_warn = ig_members_neigh(&plan, &maps, ifindex, &neigh_failed);
		} else {
			for (i = 0; i < plan.add.n; i++)
				neigh_failed += plan.add.e[i].key.prefixlen == 32;
			neigh_warn = 1;
			if (neigh_failed)
				ig_err("warning: %zu new member(s) without a managed neighbour: "
				       "encapsulated packets to them are dropped while their next "
				       "hop is unresolved", neigh_failed);
		}
	}

	print_plan(&plan, o->dry_run, o->json, o->ldap ? dir_json(&dr, skipped) : NULL,
		   o->json ? rejected_json(&want) : NULL, neigh_failed);
	fflush(stdout);
	for (i = 0; i < want.n_rej; i++) {
		char a[INET_ADDRSTRLEN];

		ig_err("warning: name %s resolves to %s, which %s: left out", want.rej[i].name,
		       ig_fmt_v4(want.rej[i].addr, a, sizeof(a)), want.rej[i].why);
	}
	warn_unresolved(&plan, stale_max);
	for (i = 0; i < plan.n_unres; i++)
		n_stale += plan.unres[i].kept;
	/* After the fixed part, which scripts match: the warnings' counts. */
	more[0] = '\0';
	if (n_stale)
		snprintf(more + strlen(more), sizeof(more) - strlen(more), "; %zu stale", n_stale);
	if (want.n_rej)
		snprintf(more + strlen(more), sizeof(more) - strlen(more),
			 "; %zu resolved address(es) refused", want.n_rej);
	if (neigh_warn)
		snprintf(more + strlen(more), sizeof(more) - strlen(more),
			 "; %zu new member(s) without a managed neighbour (%zu neighbour "
			 "warning(s))", neigh_failed, neigh_warn);
	snprintf(summary, sizeof(summary), "members: %zu added, %zu removed, %zu kept, "
		 "%zu unresolved%s%s%s", plan.add.n, plan.remove.n, plan.keep.n + plan.update.n,
		 plan.n_unres, o->dry_run ? " (dry run, nothing changed)" : "", dirsum, more);
	fprintf(o->json ? stderr : stdout, "%s\n", summary);
	fflush(stdout);
	partial = plan.n_unres || skipped || want.n_rej || neigh_warn;
	if (o->save && !o->dry_run) {
		ret = save_members(o->save, &plan);
		if (ret) {
			ig_err("warning: --save %s: %s (the sync itself was applied)", o->save,
			       strerror(-ret));
			partial = true;
		}
	}
	log_line(o, partial ? LOG_WARNING : LOG_INFO, summary);
	rc = partial ? IG_EXIT_PARTIAL : IG_EXIT_OK;
	/* where `explain` finds an entry's line: the file read, absolute */
	src_file = o->ldap ? ds.extra : strcmp(o->file, "-") ? o->file : NULL;
	if (!src_file || !realpath(src_file, src_path))
		src_path[0] = '\0';
cleanup:
	/* Every sync's outcome, for `stats` and the alerts on a sync that fails
	 * or stopped running; under the lock when this sync got it. */
	if (!o->dry_run) {
		if (!pin_dir)
			pin_dir = ig_pin_dir(o->pin_dir ? o->pin_dir : cfg_pin[0] ? cfg_pin : NULL);
		ret = ig_sync_state_record(pin_dir, rc, o->ldap ? IG_SYNC_SRC_DIRECTORY :
					   IG_SYNC_SRC_FILE, env->now ? env->now :
					   (unsigned long long)time(NULL), src_path);
		if (ret && ret != -ENOENT)
			ig_dbg("recording the sync's outcome in %s/%s: %s", pin_dir,
			       IG_MAP_SYNC_STATE, strerror(-ret));
	}
	if (lockfd >= 0)
		close(lockfd);
	free(deny.a);
	ig_mmaps_close(&maps);
	ig_plan_free(&plan);
	ig_mset_free(&cur);
	ig_desired_free(&want);
	ig_rcache_free(&rcache);
	ig_msrc_free(&src);
	ig_dir_result_free(&dr);
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
		return ret == -ENOENT ? IG_EXIT_NOT_ATTACHED : IG_EXIT_FAIL;
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
