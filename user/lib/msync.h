/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * msync.h - the `members sync` pipeline, as a library call: read the source
 * (a membership file, or the directory plus its 'extra' file), refuse
 * literals that are routers' addresses, resolve every name, then under the
 * pin directory's lock read the member maps, plan, pass the mass-removal
 * guard, apply, make the new members' next hops managed neighbours and
 * save the result.  The front-end (user/cli/cmd_members.c) presents the
 * outcome and maps it to an exit code.
 */
#ifndef IG_MSYNC_H
#define IG_MSYNC_H

#include <limits.h>
#include <stdbool.h>

#include "directory.h"
#include "members.h"

/* What one sync is asked to do. */
struct ig_msync_req {
	const char *pin_dir;
	const char *file;		   /* a membership file, "-": stdin; NULL: dir */
	const struct ig_dir_settings *dir; /* checked directory settings, or NULL */
	unsigned int max_removal;	   /* % of the entries one sync may remove */
	__u32 stale_max;		   /* s a failing name keeps its addresses */
	__u32 now;			   /* 0: the clock */
	bool dry_run, force, no_neigh;
	const char *save; /* write the result here, or NULL */
	ig_resolve_fn resolve;
	void *ctx;
};

/* Where a sync stopped; IG_MSYNC_DONE when it went through. */
enum ig_msync_stage {
	IG_MSYNC_DONE = 0,
	IG_MSYNC_OPEN,	    /* the pinned maps (err -ENOENT: not attached) */
	IG_MSYNC_DIRECTORY, /* the directory's answer: dir_err, why */
	IG_MSYNC_INPUT,	    /* a file: unreadable or malformed, or a router's
				 * address listed (-EINVAL, lines printed) */
	IG_MSYNC_RESOLVE,   /* resolving the names (-ENOMEM) */
	IG_MSYNC_LOCK,	    /* the pin directory's lock (ig_pin_dir_lock()) */
	IG_MSYNC_READ,	    /* reading the current members */
	IG_MSYNC_PLAN,	    /* computing the changes */
	IG_MSYNC_GUARD,	    /* refused by the mass-removal guard (wipe tells why) */
	IG_MSYNC_APPLY,	    /* writing the maps: why */
};

/* What a sync did (or where it stopped), for presenting. */
struct ig_msync {
	enum ig_msync_stage stage;
	int err;		 /* the stage's -errno (0 when DONE) */
	enum ig_dir_err dir_err; /* IG_MSYNC_DIRECTORY */
	char why[1024];		 /* DIRECTORY, APPLY: the reason */
	bool wipe;		 /* GUARD: it would remove every entry */
	struct ig_msrc src;	 /* the entries read */
	struct ig_desired want;	 /* resolved; want.rej: addresses refused */
	struct ig_mset cur;	 /* the members before */
	struct ig_plan plan;	 /* the changes (applied unless dry_run) */
	struct ig_dir_result dr; /* the directory's answer */
	long skipped;		 /* directory entries skipped */
	size_t neigh_warn;	 /* neighbour warnings */
	size_t neigh_failed;	 /* new members without a managed neighbour */
	int save_err;		 /* -errno of --save (the sync itself applied) */
	char src_path[PATH_MAX]; /* the file read, absolute; "" for stdin/none */
	int lockfd;		 /* held until ig_msync_free() */
};

/*
 * Run one sync.  0 when it went through (res->stage IG_MSYNC_DONE), else
 * the -errno of the stage in res->stage (-EPERM for the guard, -EIO for a
 * directory failure).  Messages for the operator that only the stage
 * knows (a file's bad lines, a map that cannot be read) are printed; the
 * rest is the caller's to present.  The pin directory's lock, when taken,
 * is held until ig_msync_free(), so that the caller records the outcome
 * under it.  Call ig_msync_free() in every case.
 */
int ig_msync_run(const struct ig_msync_req *req, struct ig_msync *res);
void ig_msync_free(struct ig_msync *res);

#endif /* IG_MSYNC_H */
