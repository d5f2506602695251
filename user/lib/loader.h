/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * loader.h - open/load/attach/pin/re-use of the XDP datapath.  The only
 * part of the tool that knows how the skeleton, the pins and the XDP links
 * fit together; the commands call these and print.
 *
 * Every function returns 0 or -errno and has already told the operator
 * what went wrong: -ENOENT nothing attached, -EINVAL a setting or path
 * that cannot work, -EWOULDBLOCK the pin directory's lock is held, -EIO
 * anything else (the front-ends map these to exit codes, user/cli/opts.c).
 */
#ifndef IG_LOADER_H
#define IG_LOADER_H

#include <net/if.h>
#include <stdbool.h>

#include "config.h"

#define IG_MAX_LINK_PINS 64

/* One XDP link pinned as <pin-dir>/link_<ifname>. */
struct ig_link_state {
	char ifname[IF_NAMESIZE];   /* from the pin name */
	unsigned int ifindex;       /* from the link; 0 = device gone (link defunct) */
	unsigned int link_id;
	unsigned int prog_id;
	const char *mode;           /* "native", "generic" or "unknown" */
	bool here;                  /* the device with ifindex in this network namespace
				     * runs the link's program */
	char curname[IF_NAMESIZE];  /* that device's name now ("" when not here) */
};

enum ig_link_action {
	IG_LINK_CREATED,            /* new XDP link */
	IG_LINK_UPDATED,            /* bpf_link_update(): program replaced atomically */
	IG_LINK_REPLACED,           /* mode changed or device re-created: old link detached, new one made */
	IG_LINK_REMOVED,            /* interface no longer configured: detached */
};

struct ig_attach_report {
	unsigned int n;
	struct {
		struct ig_link_state link;
		enum ig_link_action action;
	} ifs[IG_MAX_LINK_PINS + 2];
	bool reused_maps;           /* maps were already pinned (membership/counters kept) */
	unsigned int prog_id;       /* the program now running */
};

/*
 * Make sure `dir` is (or can become) a directory on a bpffs.  With create,
 * mounts a bpffs on /sys/fs/bpf when dir is below it and none is mounted,
 * and creates missing directories.  Without create, -ENOENT
 * (after saying "nothing attached under DIR") when dir does not exist or
 * is not on a bpffs.
 */
int ig_pin_dir_prepare(const char *dir, bool create);

/*
 * The lock every command that writes the maps holds while it reads, plans
 * and writes (attach, detach, members sync, policy sync and clear): an
 * exclusive flock on the pin directory.  Waits up to $ISAGATE_LOCK_WAIT
 * seconds (default IG_LOCK_WAIT_DEFAULT, 0: do not wait) while another
 * command holds it.  Returns the descriptor (close it to release), or
 * -EWOULDBLOCK ("another isagate command holds the lock on DIR (pid N)"),
 * -ENOENT (no directory: not attached) or -EIO (any other failure, named in
 * the message printed).
 * Not re-entrant: one process takes it once.
 */
#define IG_LOCK_WAIT_DEFAULT 30
int ig_pin_dir_lock(const char *dir);

/*
 * Before load: size the flow cache of skel (opened, not loaded) for slots
 * per CPU (0: off, every map minimal), flows_folded for flows entries, and
 * give the datapath its geometry (bpf/flowcache.h).  0, or -1 (message printed).
 */
struct isagate_bpf;
int ig_loader_fc_size(struct isagate_bpf *skel, uint32_t slots, uint32_t flows);

/* Load the datapath and attach/update it per *s under pin_dir. */
int ig_loader_attach(const struct ig_settings *s, const char *pin_dir,
		     struct ig_attach_report *rep);

/*
 * Detach every link pinned under pin_dir and remove the pins and the
 * directory.  -ENOENT when nothing of isagate is there, -ENOTEMPTY when
 * everything was removed but the directory holds files of others.
 * *n_links receives the number of XDP links detached.
 */
int ig_loader_detach(const char *pin_dir, unsigned int *n_links);

/* The links pinned under pin_dir (at most max); count >= 0 or -errno. */
int ig_loader_links(const char *pin_dir, struct ig_link_state *out, int max);

/* ---- forwarding sysctls the FIB lookups need --------------------------- */
struct ig_sysctl {
	char path[128];             /* /proc/sys/net/ipv6/conf/all/forwarding */
	char name[128];             /* net.ipv6.conf.all.forwarding */
	int value;                  /* current value, -1 unreadable */
};

/* The forwarding sysctls for these devices (deduplicated); returns count. */
int ig_forwarding_sysctls(const char *v4dev, const char *v6dev, struct ig_sysctl out[4]);
/* Write "1"; returns 0 or -errno. */
int ig_sysctl_enable(const struct ig_sysctl *sc);

#endif /* IG_LOADER_H */
