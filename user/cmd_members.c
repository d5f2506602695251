// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_members.c - `isagate members sync FILE|-` and `isagate members list`.
 *
 * sync: parse and resolve the whole source first (nothing touched on a bad
 * line), read the map, compute the plan, apply adds/updates then removes,
 * then make the new members' IPv4 next hops managed neighbours.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "common.h"
#include "commands.h"
#include "members.h"

struct members_opts {
	const char *pin_dir;
	const char *file;
	bool json;
	bool dry_run;
	bool no_neigh;
	bool syslog;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: isagate members sync FILE|- [--pin-dir DIR] [-j] [--dry-run] [--no-neigh] [--syslog]\n"
		"       isagate members list [-j] [--pin-dir DIR]\n"
		"\n"
		"sync makes the member set exactly the file's ('-' reads stdin) and prints\n"
		"what changed.  One entry per line: an IPv4 address, an IPv4 CIDR\n"
		"(a.b.c.d/N, host bits clear) or a host name (all its A records); '#'\n"
		"starts a comment.  A malformed line changes nothing (exit 2).  A name that\n"
		"does not resolve keeps the addresses it had (exit 3).\n"
		"  -j, --json   machine-readable output\n"
		"  --dry-run    show the changes without making them\n"
		"  --no-neigh   do not create managed IPv4 neighbour entries for new members\n"
		"  --syslog     also send the summary line to syslog (for cron jobs)\n");
}

static int parse_opts(int argc, char **argv, bool is_sync, struct members_opts *o)
{
	int i;
	bool opts_done = false;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || !strcmp(a, "-")) {
			if (!is_sync || o->file) {
				ig_err("members %s: unexpected argument '%s'", argv[1], a);
				return IG_EXIT_USAGE;
			}
			o->file = a;
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "--pin-dir")) {
			if (++i >= argc) {
				ig_err("--pin-dir needs a directory");
				return IG_EXIT_USAGE;
			}
			o->pin_dir = argv[i];
		} else if (!strncmp(a, "--pin-dir=", 10)) {
			o->pin_dir = a + 10;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			o->json = true;
		} else if (is_sync && !strcmp(a, "--dry-run")) {
			o->dry_run = true;
		} else if (is_sync && !strcmp(a, "--no-neigh")) {
			o->no_neigh = true;
		} else if (is_sync && !strcmp(a, "--syslog")) {
			o->syslog = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return -1;
		} else {
			ig_err("members %s: unknown option '%s' (see 'isagate members --help')",
			       argv[1], a);
			return IG_EXIT_USAGE;
		}
	}
	if (is_sync && !o->file) {
		ig_err("members sync: which file? ('-' for stdin)");
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

static void print_plan(const struct ig_plan *p, bool dry_run, bool json)
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
		json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
		print_json(o);
		return;
	}
	for (i = 0; i < p->add.n; i++)
		printf("+ %s%s%s\n", ig_prefix_fmt(&p->add.e[i].key, pfx, sizeof(pfx)),
		       p->add.e[i].val.name[0] ? " " : "", p->add.e[i].val.name);
	for (i = 0; i < p->update.n; i++)
		printf("~ %s %s (was %s)\n", ig_prefix_fmt(&p->update.e[i].key, pfx, sizeof(pfx)),
		       p->update.e[i].val.name[0] ? p->update.e[i].val.name : "literal",
		       p->was.e[i].val.name[0] ? p->was.e[i].val.name : "literal");
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

static int members_sync(const struct members_opts *o)
{
	const char *pin_dir = ig_pin_dir(o->pin_dir);
	bool is_stdin = !strcmp(o->file, "-");
	const char *fname = is_stdin ? "<stdin>" : o->file;
	struct ig_msrc src = { 0 };
	struct ig_desired want = { 0 };
	struct ig_mset cur = { 0 };
	struct ig_plan plan = { 0 };
	char err[1024], summary[256];
	struct ig_mmaps maps = { -1, -1 };
	int rc = IG_EXIT_FAIL, ret, ifindex;
	FILE *f = NULL;
	size_t i;

	f = is_stdin ? stdin : fopen(o->file, "r");
	if (!f) {
		ig_err("%s: %s", o->file, strerror(errno));
		rc = IG_EXIT_USAGE;
		goto cleanup;
	}
	ret = ig_msrc_parse_stream(&src, f, fname, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		if (ret == -EINVAL)
			fprintf(stderr, "isagate: nothing changed\n");
		rc = ret == -EINVAL ? IG_EXIT_USAGE : IG_EXIT_FAIL;
		goto cleanup;
	}

	ret = ig_mmaps_open(pin_dir, &maps);
	if (ret) {
		rc = ret == -ENOENT ? IG_EXIT_NOT_ATTACHED : IG_EXIT_FAIL;
		goto cleanup;
	}
	if (ig_members_resolve(&src, ig_resolve_system, NULL, &want)) {
		ig_err("out of memory");
		goto cleanup;
	}
	ret = ig_members_read(&maps, &cur);
	if (ret) {
		ig_err("%s: reading the members: %s", pin_dir, strerror(-ret));
		goto cleanup;
	}
	ret = ig_members_plan(&cur, &want, (__u32)time(NULL), &plan);
	if (ret) {
		ig_err("computing the changes: %s", strerror(-ret));
		goto cleanup;
	}

	if (!o->dry_run && ig_plan_changes(&plan)) {
		ret = ig_members_apply(&maps, &plan, err, sizeof(err));
		if (ret) {
			ig_err("%s", err);
			ig_err("members: sync failed; run it again once the cause is fixed");
			if (o->syslog)
				syslog(LOG_ERR, "members: sync failed: %s", err);
			goto cleanup;
		}
	}

	print_plan(&plan, o->dry_run, o->json);
	fflush(stdout);
	for (i = 0; i < plan.n_unres; i++)
		ig_err("warning: name %s did not resolve (%s): keeping %zu address(es)",
		       plan.unres[i].name, ig_resolve_strerror(plan.unres[i].code),
		       plan.unres[i].kept);
	snprintf(summary, sizeof(summary), "members: %zu added, %zu removed, %zu kept, "
		 "%zu unresolved%s", plan.add.n, plan.remove.n, plan.keep.n + plan.update.n,
		 plan.n_unres, o->dry_run ? " (dry run, nothing changed)" : "");
	fprintf(o->json ? stderr : stdout, "%s\n", summary);
	fflush(stdout);
	if (o->syslog) {
		openlog("isagate", LOG_PID, LOG_DAEMON);
		syslog(plan.n_unres ? LOG_WARNING : LOG_INFO, "%s", summary);
		closelog();
	}

	if (!o->dry_run && !o->no_neigh && (plan.add.n || plan.remove.n)) {
		ifindex = v4_ifindex(pin_dir);
		if (ifindex > 0)
			ig_members_neigh(&plan, &maps, ifindex);
	}
	rc = plan.n_unres ? IG_EXIT_PARTIAL : IG_EXIT_OK;
cleanup:
	if (f && f != stdin)
		fclose(f);
	ig_mmaps_close(&maps);
	ig_plan_free(&plan);
	ig_mset_free(&cur);
	ig_desired_free(&want);
	ig_msrc_free(&src);
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
			printf("%-18s  %-30s  %s\n", pfx, name[0] ? name : "-", when);
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
	struct members_opts o = { 0 };
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
	ret = parse_opts(argc, argv, is_sync, &o);
	if (ret)
		return ret < 0 ? IG_EXIT_OK : ret;
	return is_sync ? members_sync(&o) : members_list(&o);
}
