// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * msync.c - the `members sync` pipeline (msync.h): source, literal check,
 * resolution, then under the lock read, plan, guard, apply, neighbours,
 * save.  Each step is one function over the shared struct ig_msync.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "common.h"
#include "loader.h"
#include "msync.h"

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
		       "managed neighbours not updated",
		       path);
	else
		ret = (int)cfg.v4_ifindex;
	close(fd);
	return ret;
}

/* Append the entries of a membership file to src.  0, -EINVAL (missing,
 * unreadable or malformed: said), or another -errno. */
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
		return -EINVAL;
	}
	ret = ig_msrc_parse_stream(src, f, fname, err, sizeof(err));
	if (f != stdin)
		fclose(f);
	if (ret) {
		fprintf(stderr, "%s\n", err);
		if (ret == -EINVAL)
			fprintf(stderr, "isagate: nothing changed\n");
	}
	return ret;
}

/*
 * A literal entry that is or covers an address of this router or of a
 * peer router is refused, like a malformed line: the router would take its
 * own (or a peer's) encapsulated traffic as a member's.  Literals only come
 * from files (the directory's are skipped as bad entries), so fname names
 * the file they were read from.  Every such line is reported; 0 or -EINVAL.
 */
static int check_literals(const struct ig_msrc *src, const struct ig_addrs *deny, const char *fname)
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
			fprintf(stderr,
				"%s%s is an address of this router or of a peer "
				"router: a router is never a member\n",
				where, p);
		else
			fprintf(stderr,
				"%s%s/%u covers router address %s: a member subnet must "
				"not contain the router's or a peer's addresses; list the hosts "
				"or a smaller subnet\n",
				where, p, it->key.prefixlen, r);
		bad++;
	}
	if (!bad)
		return 0;
	fprintf(stderr, "isagate: nothing changed\n");
	return -EINVAL;
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
	fprintf(a.f,
		"# isagate: the member set after the last applied sync (members sync --save);\n"
		"# loaded at boot while the source is unreachable.  Written by isagate: do not "
		"edit.\n");
	save_set(a.f, &p->keep);
	save_set(a.f, &p->update);
	save_set(a.f, &p->add);
	return ig_atomic_commit(&a, 0);
}

static int stop(struct ig_msync *r, enum ig_msync_stage stage, int err)
{
	r->stage = stage;
	r->err = err;
	return err;
}

/* The directory's computers plus its extra file (a file sync read its
 * file before anything else, in ig_msync_run()). */
static int read_directory(const struct ig_msync_req *q, struct ig_msync *r)
{
	int ret;

	r->dir_err = ig_dir_fetch(q->dir, &r->dr, r->why, sizeof(r->why));
	if (r->dir_err != IG_DIR_OK)
		return stop(r, IG_MSYNC_DIRECTORY, r->dir_err == IG_DIR_ERR_NOMEM ? -ENOMEM : -EIO);
	r->skipped = ig_dir_to_source(&r->dr, &r->src);
	if (r->skipped < 0) {
		ig_err("out of memory");
		return stop(r, IG_MSYNC_INPUT, -ENOMEM);
	}
	if (q->dir->extra) {
		ret = read_file(q->dir->extra, &r->src);
		if (ret)
			return stop(r, IG_MSYNC_INPUT, ret);
	}
	return 0;
}

/* Literals checked against the routers, then every name once, in parallel. */
static int resolve(const struct ig_msync_req *q, struct ig_msync *r, const struct ig_addrs *deny)
{
	struct ig_rcache rcache = { 0 };
	const char *fname = q->dir		   ? (q->dir->extra ? q->dir->extra : "")
			    : strcmp(q->file, "-") ? q->file
						   : "<stdin>";
	int ret;

	ret = check_literals(&r->src, deny, fname);
	if (ret)
		return stop(r, IG_MSYNC_INPUT, ret);
	ret = -ENOMEM;
	if (!ig_rcache_fill(&rcache, &r->src, q->resolve, q->ctx, 16) &&
	    !ig_members_resolve_deny(&r->src, ig_resolve_cached, &rcache, deny, &r->want))
		ret = 0;
	ig_rcache_free(&rcache);
	if (ret) {
		ig_err("out of memory");
		return stop(r, IG_MSYNC_RESOLVE, ret);
	}
	return 0;
}

/*
 * From the read of the current set to the last write, one writer at a time
 * (the members timer and an operator): a plan computed from a read another
 * sync then changes would undo that sync's work.  Names and the directory
 * are resolved before, so the lock is not held for a slow server.  The maps
 * are opened again under it: a detach (and attach) meanwhile replaced them.
 */
static int lock_and_read(const struct ig_msync_req *q, struct ig_msync *r, struct ig_mmaps *maps)
{
	int ret;

	if (!q->dry_run) {
		r->lockfd = ig_pin_dir_lock(q->pin_dir);
		if (r->lockfd < 0)
			return stop(r, IG_MSYNC_LOCK, r->lockfd);
		ig_mmaps_close(maps);
		ret = ig_mmaps_open(q->pin_dir, maps);
		if (ret)
			return stop(r, IG_MSYNC_OPEN, ret);
	}
	ret = ig_members_read(maps, &r->cur);
	if (ret) {
		ig_err("%s: reading the members: %s", q->pin_dir, strerror(-ret));
		return stop(r, IG_MSYNC_READ, ret);
	}
	ret = ig_members_plan(&r->cur, &r->want, q->now ? q->now : (__u32)time(NULL), q->stale_max,
			      &r->plan);
	if (ret) {
		ig_err("computing the changes: %s", strerror(-ret));
		return stop(r, IG_MSYNC_PLAN, ret);
	}
	return 0;
}

/* A truncated or emptied file must not lock everyone out. */
static int guard(const struct ig_msync_req *q, struct ig_msync *r)
{
	r->wipe = !q->dir && r->cur.n && r->plan.remove.n == r->cur.n && !r->plan.add.n;
	if (q->force || (!r->wipe && !ig_plan_exceeds(&r->plan, r->cur.n, q->max_removal)))
		return 0;
	return stop(r, IG_MSYNC_GUARD, -EPERM);
}

/* The new members' IPv4 next hops as managed neighbours (a warning each). */
static void neighbours(const struct ig_msync_req *q, struct ig_msync *r,
		       const struct ig_mmaps *maps)
{
	int ifindex;
	size_t i;

	if (q->dry_run || q->no_neigh || (!r->plan.add.n && !r->plan.remove.n))
		return;
	ifindex = v4_ifindex(q->pin_dir);
	if (ifindex > 0) {
		r->neigh_warn = ig_members_neigh(&r->plan, maps, ifindex, &r->neigh_failed);
		return;
	}
	for (i = 0; i < r->plan.add.n; i++)
		r->neigh_failed += r->plan.add.e[i].key.prefixlen == 32;
	r->neigh_warn = 1;
	if (r->neigh_failed)
		ig_err("warning: %zu new member(s) without a managed neighbour: encapsulated "
		       "packets to them are dropped while their next hop is unresolved",
		       r->neigh_failed);
}

int ig_msync_run(const struct ig_msync_req *q, struct ig_msync *r)
{
	struct ig_mmaps maps = { -1, -1, -1 };
	struct ig_addrs deny = { 0 };
	const char *src_file;
	int ret;

	memset(r, 0, sizeof(*r));
	r->lockfd = -1;
	/* a bad file is named whether or not the router is attached */
	if (!q->dir) {
		ret = read_file(q->file, &r->src);
		if (ret)
			return stop(r, IG_MSYNC_INPUT, ret);
	}
	ret = ig_mmaps_open(q->pin_dir, &maps);
	if (!ret)
		ret = ig_routers_read(q->pin_dir, &deny); /* no name may resolve to them */
	if (ret) {
		stop(r, IG_MSYNC_OPEN, ret);
		goto cleanup;
	}
	if (q->dir)
		ret = read_directory(q, r);
	if (!ret)
		ret = resolve(q, r, &deny);
	if (!ret)
		ret = lock_and_read(q, r, &maps);
	if (!ret)
		ret = guard(q, r);
	if (ret)
		goto cleanup;
	if (!q->dry_run && ig_plan_changes(&r->plan)) {
		ret = ig_members_apply(&maps, &r->plan, r->why, sizeof(r->why));
		if (ret) {
			stop(r, IG_MSYNC_APPLY, ret);
			goto cleanup;
		}
	}
	neighbours(q, r, &maps);
	if (q->save && !q->dry_run)
		r->save_err = save_members(q->save, &r->plan);
	/* where `explain` finds an entry's line: the file read, absolute */
	src_file = q->dir ? q->dir->extra : strcmp(q->file, "-") ? q->file : NULL;
	if (!src_file || !realpath(src_file, r->src_path))
		r->src_path[0] = '\0';
cleanup:
	free(deny.a);
	ig_mmaps_close(&maps);
	return ret;
}

void ig_msync_free(struct ig_msync *r)
{
	if (r->lockfd >= 0)
		close(r->lockfd);
	r->lockfd = -1;
	ig_plan_free(&r->plan);
	ig_mset_free(&r->cur);
	ig_desired_free(&r->want);
	ig_msrc_free(&r->src);
	ig_dir_result_free(&r->dr);
}
