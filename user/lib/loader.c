// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loader.c - open, load, attach, pin and re-use the XDP datapath.
 *
 * Layout under the pin directory (a bpffs directory):
 *   <map name>        every LIBBPF_PIN_BY_NAME map of the skeleton
 *   link_<ifname>     one BPF_LINK_TYPE_XDP link per interface
 *
 * attach opens the skeleton with pin_root_path = pin dir, so maps that are
 * already pinned are re-used (membership and counters survive a
 * re-attach); a link that is already pinned for an interface is switched
 * to the new program with bpf_link_update(), which is atomic.  Links are
 * created unpinned first and only pinned when every interface attached, so
 * a failure leaves nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "config.h"
#include "flowcache.h"
#include "loader.h"
#include "ra.h"
#include "nexthop.h"
#include "isagate.skel.h"

#define SYS_BPF_DIR "/sys/fs/bpf"

/* ---- libbpf messages: shown with -v, or replayed when something fails ---- */

static char lb_log[64 * 1024];
static size_t lb_len;

static int lb_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (level == LIBBPF_DEBUG && ig_verbose < 2)
		return 0;
	if (ig_verbose) {
		va_copy(cp, ap);
		vfprintf(stderr, fmt, cp);
		va_end(cp);
	}
	if (lb_len < sizeof(lb_log) - 1) {
		n = vsnprintf(lb_log + lb_len, sizeof(lb_log) - lb_len, fmt, ap);
		if (n > 0)
			lb_len += (size_t)n < sizeof(lb_log) - lb_len ? (size_t)n
								     : sizeof(lb_log) - lb_len - 1;
	}
	return 0;
}

static void lb_capture(void)
{
	lb_len = 0;
	lb_log[0] = '\0';
	libbpf_set_print(lb_print);
}

static bool lb_has(const char *what)
{
	return lb_len && strstr(lb_log, what);
}

/* After a failure: replay what libbpf said (unless -v showed it already). */
static void lb_replay(void)
{
	if (ig_verbose || !lb_len)
		return;
	if (lb_has("BEGIN PROG LOAD LOG")) {
		ig_err("run 'isagate -v attach ...' to see the verifier log");
		return;
	}
	fputs(lb_log, stderr);
	if (lb_log[lb_len - 1] != '\n')
		fputc('\n', stderr);
}

/* ---- pin directory ---------------------------------------------------------- */

static int path_join(char *buf, size_t len, const char *dir, const char *a, const char *b)
{
	if (snprintf(buf, len, "%s/%s%s", dir, a, b ? b : "") >= (int)len) {
		ig_err("path too long: %s/%s%s", dir, a, b ? b : "");
		return -ENAMETOOLONG;
	}
	return 0;
}

/* 1 bpffs, 0 other file system, -errno */
static int is_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st))
		return -errno;
	return st.f_type == BPF_FS_MAGIC;
}

static bool under_sys_bpf(const char *dir)
{
	size_t n = strlen(SYS_BPF_DIR);

	return !strncmp(dir, SYS_BPF_DIR, n) && (dir[n] == '\0' || dir[n] == '/');
}

static void err_not_bpffs(const char *dir)
{
	ig_err("%s is not on a bpffs: mount -t bpf bpf /sys/fs/bpf, or choose --pin-dir on a bpffs",
	       dir);
}

static void err_errno(const char *what, int err)
{
	if (err == EPERM || err == EACCES)
		ig_err("%s: %s: run as root", what, strerror(err));
	else
		ig_err("%s: %s", what, strerror(err));
}

struct created_dirs {
	int n;
	char path[8][PATH_MAX];
};

static void created_dirs_remove(struct created_dirs *cd)
{
	while (cd->n > 0) {
		cd->n--;
		if (rmdir(cd->path[cd->n]) == 0)
			ig_dbg("removed %s", cd->path[cd->n]);
	}
}

static int mount_sys_bpf(void)
{
	if (mount("bpf", SYS_BPF_DIR, "bpf", 0, "mode=0700")) {
		err_errno("mounting a bpffs on " SYS_BPF_DIR, errno);
		return -EIO;
	}
	ig_dbg("%s was not a bpffs: mounted one there", SYS_BPF_DIR);
	return 0;
}

#define PREPARE_GO_ON 1 /* prepare_dir()'s steps: not done yet */

/* dir exists (st): on a bpffs, or /sys/fs/bpf gets one.  0 when ready, an
 * -errno, or PREPARE_GO_ON (the bpffs mounted does not hold it yet). */
static int prepare_existing(const char *dir, const struct stat *st, bool create)
{
	int r;

	if (!S_ISDIR(st->st_mode)) {
		ig_err("%s exists and is not a directory", dir);
		return create ? -EINVAL : -ENOENT;
	}
	r = is_bpffs(dir);
	if (r == 1)
		return 0;
	if (r < 0) {
		err_errno(dir, -r);
		return -EIO;
	}
	if (!create) {
		ig_err("nothing attached under %s: it is not on a bpffs", dir);
		return -ENOENT;
	}
	if (!under_sys_bpf(dir) || is_bpffs(SYS_BPF_DIR) == 1) {
		err_not_bpffs(dir);
		return -EINVAL;
	}
	/* /sys/fs/bpf is a plain directory: mount a bpffs over it */
	r = mount_sys_bpf();
	if (r)
		return r;
	return is_bpffs(dir) == 1 ? 0 : PREPARE_GO_ON;
}

/* The nearest existing ancestor of dir into anc, on a bpffs (mounting one
 * on /sys/fs/bpf when dir is below it).  0 or -errno. */
static int prepare_ancestor(const char *dir, char *anc)
{
	struct stat st;
	char *slash;
	int r;

	strcpy(anc, dir);
	for (;;) {
		slash = strrchr(anc, '/');
		if (!slash || slash == anc) {
			strcpy(anc, "/");
			break;
		}
		*slash = '\0';
		if (stat(anc, &st) == 0)
			break;
		if (errno != ENOENT) {
			err_errno(anc, errno);
			return -EIO;
		}
	}
	r = is_bpffs(anc);
	if (r < 0) {
		err_errno(anc, -r);
		return -EIO;
	}
	if (r == 1)
		return 0;
	if (!under_sys_bpf(dir) || stat(SYS_BPF_DIR, &st) || !S_ISDIR(st.st_mode) ||
	    is_bpffs(SYS_BPF_DIR) == 1) {
		err_not_bpffs(dir);
		return -EINVAL;
	}
	r = mount_sys_bpf();
	if (!r)
		strcpy(anc, SYS_BPF_DIR);
	return r;
}

/* mkdir -p of dir below its existing ancestor of length len (recorded in
 * cd, so that a failed attach removes what it made).  0 or -errno. */
static int prepare_mkdirs(const char *dir, size_t len, struct created_dirs *cd)
{
	char path[PATH_MAX], *slash;

	strcpy(path, dir);
	for (slash = path + len + 1; slash && *slash;) {
		slash = strchr(slash, '/');
		if (slash)
			*slash = '\0';
		if (mkdir(path, 0700) == 0) {
			if (cd && cd->n < 8)
				strcpy(cd->path[cd->n++], path);
			ig_dbg("created %s", path);
		} else if (errno != EEXIST) {
			err_errno(path, errno);
			return errno == EACCES || errno == EPERM ? -EIO : -EINVAL;
		}
		if (slash)
			*slash++ = '/';
	}
	return 0;
}

static int prepare_dir(const char *dir, bool create, struct created_dirs *cd)
{
	char anc[PATH_MAX];
	struct stat st;
	int r;

	if (strlen(dir) >= sizeof(anc)) {
		ig_err("pin directory path too long");
		return -EINVAL;
	}
	if (stat(dir, &st) == 0) {
		r = prepare_existing(dir, &st, create);
		if (r != PREPARE_GO_ON)
			return r;
	} else if (errno != ENOENT) {
		err_errno(dir, errno);
		return -EIO;
	} else if (!create) {
		ig_err("nothing attached under %s", dir);
		return -ENOENT;
	}
	r = prepare_ancestor(dir, anc);
	if (r)
		return r;
	return prepare_mkdirs(dir, strlen(anc), cd);
}

int ig_pin_dir_prepare(const char *dir, bool create)
{
	return prepare_dir(dir, create, NULL);
}

/*
 * The pin-directory lock: every command that writes the maps (attach,
 * detach, members sync, policy sync/clear) holds an exclusive flock on the
 * directory itself for as long as it reads, plans and writes, so that two
 * of them (the members timer and an operator, two policy syncs) never
 * compute from stale reads or write the same inactive bank.
 */

/* The pid /proc/locks gives for the flock on (dev, ino), or 0. */
static long lock_holder(dev_t dev, ino_t ino)
{
	char line[256], kind[16], arrow[16];
	unsigned int maj, min;
	unsigned long long i;
	long pid, found = 0;
	FILE *f = fopen("/proc/locks", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 00:1f:5678 0 EOF"; waiters: "1: -> FLOCK ..." */
		if (sscanf(line, "%*d: %15s %15s", arrow, kind) != 2 || !strcmp(arrow, "->") ||
		    strcmp(arrow, "FLOCK"))
			continue;
		if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%llu", &pid, &maj, &min, &i) == 4 &&
		    maj == major(dev) && min == minor(dev) && i == (unsigned long long)ino)
			found = pid;
	}
	fclose(f);
	return found;
}

/* $ISAGATE_LOCK_WAIT seconds (0-3600), else IG_LOCK_WAIT_DEFAULT. */
static long lock_wait_s(void)
{
	const char *e = getenv("ISAGATE_LOCK_WAIT");
	char *end;
	long v;

	if (!e || !*e)
		return IG_LOCK_WAIT_DEFAULT;
	errno = 0;
	v = strtol(e, &end, 10);
	if (errno || *end || v < 0 || v > 3600) {
		ig_err("ignoring ISAGATE_LOCK_WAIT=%s (seconds, 0-3600): waiting %d s", e,
		       IG_LOCK_WAIT_DEFAULT);
		return IG_LOCK_WAIT_DEFAULT;
	}
	return v;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int ig_pin_dir_lock(const char *dir)
{
	long wait_s = lock_wait_s(), pid = 0;
	double deadline = mono_s() + (double)wait_s;
	bool said = false;
	struct stat a, b;
	int fd;

	for (;;) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT) {
				ig_err("nothing attached under %s", dir);
				return -ENOENT;
			}
			err_errno(dir, errno);
			return -EIO;
		}
		while (flock(fd, LOCK_EX | LOCK_NB)) {
			if (errno != EWOULDBLOCK && errno != EINTR) {
				int err = errno;

				err_errno(dir, err);
				close(fd);
				return -EIO;
			}
			if (!fstat(fd, &a))
				pid = lock_holder(a.st_dev, a.st_ino);
			if (mono_s() >= deadline) {
				ig_err("another isagate command holds the lock on %s (pid %s%ld) "
				       "after %ld s: nothing changed; run it again once that one has "
				       "finished (ISAGATE_LOCK_WAIT sets the wait)", dir,
				       pid ? "" : "unknown: ", pid, wait_s);
				close(fd);
				return -EWOULDBLOCK;
			}
			if (!said) {
				/* an operator at a terminal sees why nothing happens */
				if (isatty(STDERR_FILENO) || ig_verbose)
					ig_err("another isagate command holds the lock on %s (pid %ld): "
					       "waiting up to %ld s", dir, pid, wait_s);
				said = true;
			}
			usleep(50 * 1000);
		}
		/* Locked the directory we opened: is it still the one at dir?
		 * (detach removes it, and an attach after that makes a new one) */
		if (fstat(fd, &a) || stat(dir, &b)) {
			int err = errno;

			close(fd);
			if (err == ENOENT) {
				ig_err("nothing attached under %s (detached meanwhile)", dir);
				return -ENOENT;
			}
			err_errno(dir, err);
			return -EIO;
		}
		if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
}

/* ---- pinned objects --------------------------------------------------------- */

/* "bpf-map", "bpf-link", "bpf-prog" (from the anon inode name), or "" */
static const char *obj_kind(int fd, char *buf, size_t len)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, len - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (!strncmp(buf, "anon_inode:", 11))
		return buf + 11;
	return buf;
}

static void err_incompatible(const char *pin_dir, const char *why)
{
	ig_err("pins under %s are from an incompatible isagate version (%s): "
	       "run 'isagate detach --pin-dir %s' and attach again", pin_dir, why, pin_dir);
}

struct link_pin {
	struct ig_link_state st;
	int fd;
	char path[PATH_MAX];
	bool matched;
};

/*
 * The XDP mode of the link, from the device with this ifindex in our
 * network namespace; NULL when that device does not run the link's
 * program (the link's device is gone or lives in another namespace).
 */
static const char *xdp_mode_of(unsigned int ifindex, unsigned int prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (!ifindex || !prog_id || bpf_xdp_query((int)ifindex, 0, &q))
		return NULL;
	if (q.skb_prog_id == prog_id)
		return "generic";
	if (q.drv_prog_id == prog_id)
		return "native";
	if (q.hw_prog_id == prog_id)
		return "offload";
	return NULL;
}

static int link_fill(int fd, const char *ifname, struct ig_link_state *st)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	char name[IF_NAMESIZE];

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_LINK_TYPE_XDP)
		return -EPROTO;
	memset(st, 0, sizeof(*st));
	snprintf(st->ifname, sizeof(st->ifname), "%s", ifname);
	st->ifindex = info.xdp.ifindex;
	st->link_id = info.id;
	st->prog_id = info.prog_id;
	st->mode = xdp_mode_of(st->ifindex, st->prog_id);
	st->here = st->mode != NULL;
	if (!st->mode)
		st->mode = "unknown";
	if (st->here && if_indextoname(st->ifindex, name))
		snprintf(st->curname, sizeof(st->curname), "%s", name);
	return 0;
}

static void links_close(struct link_pin *l, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (l[i].fd >= 0)
			close(l[i].fd);
}

/* Open every link_* pin under dir; count or -errno. */
static int links_read(const char *dir, struct link_pin *out, int max)
{
	char kind[64];
	struct dirent *de;
	DIR *d;
	int n = 0, rc = 0, err;
	size_t plen = strlen(IG_LINK_PREFIX);

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		err_errno(dir, errno);
		return -EIO;
	}
	while ((de = readdir(d))) {
		struct link_pin *l;

		if (strncmp(de->d_name, IG_LINK_PREFIX, plen) || !de->d_name[plen])
			continue;
		if (n >= max) {
			ig_err("%s: more than %d link pins", dir, max);
			rc = -EIO;
			break;
		}
		l = &out[n];
		memset(l, 0, sizeof(*l));
		if (path_join(l->path, sizeof(l->path), dir, de->d_name, NULL)) {
			rc = -EIO;
			break;
		}
		l->fd = bpf_obj_get(l->path);
		if (l->fd < 0) {
			err_errno(l->path, errno);
			rc = -EIO;
			break;
		}
		n++;
		if (strcmp(obj_kind(l->fd, kind, sizeof(kind)), "bpf-link")) {
			char why[PATH_MAX + 128];

			snprintf(why, sizeof(why), "%s is a %.63s, not an XDP link", l->path, kind);
			err_incompatible(dir, why);
			rc = -EIO;
			break;
		}
		err = link_fill(l->fd, de->d_name + plen, &l->st);
		if (err == -EPROTO) {
			char why[PATH_MAX + 64];

			snprintf(why, sizeof(why), "%s is not an XDP link", l->path);
			err_incompatible(dir, why);
			rc = -EIO;
			break;
		} else if (err) {
			err_errno(l->path, -err);
			rc = -EIO;
			break;
		}
	}
	closedir(d);
	if (rc) {
		links_close(out, n);
		return rc;
	}
	return n;
}

int ig_loader_links(const char *pin_dir, struct ig_link_state *out, int max)
{
	struct link_pin *l;
	int n, i;

	l = calloc(IG_MAX_LINK_PINS, sizeof(*l));
	if (!l) {
		ig_err("out of memory");
		return -EIO;
	}
	n = links_read(pin_dir, l, IG_MAX_LINK_PINS);
	for (i = 0; i < n && i < max; i++)
		out[i] = l[i].st;
	if (n > 0)
		links_close(l, n);
	free(l);
	return n > max ? max : n;
}

static bool map_layout_ok(const struct bpf_map_info *info, const struct bpf_map *map)
{
	__u32 flags = info->map_flags;

	/* the kernel adds BPF_F_RDONLY_PROG to devmaps by itself */
	if (info->type == BPF_MAP_TYPE_DEVMAP || info->type == BPF_MAP_TYPE_DEVMAP_HASH)
		flags &= ~(__u32)BPF_F_RDONLY_PROG;
	return info->type == bpf_map__type(map) && info->key_size == bpf_map__key_size(map) &&
	       info->value_size == bpf_map__value_size(map) &&
	       info->max_entries == bpf_map__max_entries(map) && flags == bpf_map__map_flags(map);
}

/* The flow cache's maps (attach --flow-cache N): sized, and replaced, together. */
static bool is_fc_map(const struct isagate_bpf *skel, const struct bpf_map *map)
{
	return map == skel->maps.flow_cache || map == skel->maps.flow_log ||
	       map == skel->maps.flow_log_pos || map == skel->maps.flow_seen;
}

/* Does the pinned flow cache (if any) differ in size from the one to load? */
static bool fc_resized(struct isagate_bpf *skel)
{
	const char *path = bpf_map__pin_path(skel->maps.flow_cache);
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	bool differs = false;
	int fd;

	if (!path || access(path, F_OK))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false; /* the check below names the failure */
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		differs = info.max_entries != bpf_map__max_entries(skel->maps.flow_cache);
	close(fd);
	return differs;
}

/*
 * Is the pinned map (info) one a new one of another size replaces, once
 * everything else worked (tables_replace)?  attach --flows N / --conns N
 * changed the table's size (its entries start again; flows_folded goes with
 * "flows"), or --flow-cache N the cache's (fc_new: the cache, its log and
 * the collector's memory go together; what was not folded yet is lost).
 */
static bool resized(const struct isagate_bpf *skel, const struct bpf_map *map,
		    const struct bpf_map_info *info, bool fc_new)
{
	if ((map == skel->maps.flows || map == skel->maps.flows_folded ||
	     map == skel->maps.conns) &&
	    info->type == bpf_map__type(map) && info->key_size == bpf_map__key_size(map) &&
	    info->value_size == bpf_map__value_size(map) &&
	    info->max_entries != bpf_map__max_entries(map)) {
		ig_dbg("%s: %u -> %u entries (its entries start again)", bpf_map__name(map),
		       info->max_entries, bpf_map__max_entries(map));
		return true;
	}
	if (fc_new && is_fc_map(skel, map)) {
		ig_dbg("%s: replaced with the flow cache", bpf_map__name(map));
		return true;
	}
	return false;
}

/*
 * Existing pins of the skeleton's maps must match what this version
 * creates, and an existing config must carry our ABI version.
 */
static int maps_check_pinned(struct isagate_bpf *skel, const char *pin_dir, bool *any)
{
	struct bpf_map_info info;
	struct bpf_map *map;
	struct ig_config cfg;
	char kind[64], why[PATH_MAX + 128];
	__u32 len, key = 0;
	int fd, rc = 0;

	bool fc_new = fc_resized(skel);

	*any = false;
	bpf_object__for_each_map(map, skel->obj) {
		const char *path = bpf_map__pin_path(map);

		if (!path)
			continue;
		if (access(path, F_OK))
			continue;
		*any = true;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err_errno(path, errno);
			return -EIO;
		}
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (strcmp(obj_kind(fd, kind, sizeof(kind)), "bpf-map")) {
			snprintf(why, sizeof(why), "%s is a %.63s, not a map", path, kind);
			rc = -EIO;
		} else if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
			rc = -EIO;
		} else if (resized(skel, map, &info, fc_new)) {
			close(fd);
			if (bpf_map__set_pin_path(map, NULL)) {
				ig_err("%s: %s", bpf_map__name(map), strerror(errno));
				return -EIO;
			}
			continue;
		} else if (!map_layout_ok(&info, map)) {
			snprintf(why, sizeof(why), "map '%s' has a different layout", bpf_map__name(map));
			rc = -EIO;
		} else if (map == skel->maps.config) {
			if (bpf_map_lookup_elem(fd, &key, &cfg) == 0 && cfg.abi_version &&
			    cfg.abi_version != ISAGATE_ABI_VERSION) {
				snprintf(why, sizeof(why), "config abi_version %u, this isagate uses %d",
					 cfg.abi_version, ISAGATE_ABI_VERSION);
				rc = -EIO;
			}
		}
		/*
		 * Hand the pinned map to libbpf ourselves: its own check in
		 * libbpf 1.1 trips over the BPF_F_RDONLY_PROG the kernel adds
		 * to devmaps, ours above does not.
		 */
		if (!rc && bpf_map__reuse_fd(map, fd)) {
			snprintf(why, sizeof(why), "re-using %s: %s", path, strerror(errno));
			close(fd);
			ig_err("%s", why);
			return -EIO;
		}
		close(fd);
		if (rc) {
			err_incompatible(pin_dir, why);
			return rc;
		}
		ig_dbg("re-using pinned map %s", path);
	}
	return 0;
}

static int load_skel(struct isagate_bpf *skel, const char *pin_dir)
{
	int err = isagate_bpf__load(skel);

	if (!err)
		return 0;
	if (err == -EPERM || err == -EACCES) {
		if (lb_has("BEGIN PROG LOAD LOG")) {
			ig_err("the kernel verifier rejected the XDP program");
		} else {
			ig_err("loading the XDP program: %s: run as root (needs CAP_BPF, CAP_NET_ADMIN "
			       "and CAP_SYS_ADMIN)", strerror(-err));
			return -EIO;
		}
	} else if (lb_has("couldn't reuse pinned map")) {
		err_incompatible(pin_dir, "a pinned map does not match");
		lb_replay();
		return -EIO;
	} else if (lb_has("BEGIN PROG LOAD LOG") || lb_has("failed to load program")) {
		ig_err("the kernel verifier rejected the XDP program");
	} else {
		ig_err("loading the XDP program failed: %s", strerror(-err));
	}
	lb_replay();
	return -EIO;
}

/* ---- links -------------------------------------------------------------------- */

static __u32 mode_flags(enum ig_xdp_mode m)
{
	return m == IG_MODE_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

static int link_create(int prog_fd, const char *ifname, unsigned int ifindex,
		       enum ig_xdp_mode mode, const char *pin_dir)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode_flags(mode));
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int fd, err;

	fd = bpf_link_create(prog_fd, (int)ifindex, BPF_XDP, &opts);
	if (fd >= 0)
		return fd;
	err = errno;
	if (err == EPERM || err == EACCES) {
		ig_err("%s: attaching XDP: %s: run as root", ifname, strerror(err));
	} else if (mode == IG_MODE_NATIVE && (err == EOPNOTSUPP || err == EINVAL)) {
		ig_err("%s: the driver does not support native XDP (%s): use --mode generic",
		       ifname, strerror(err));
	} else if (err == EBUSY || err == EEXIST) {
		__u32 other = 0;

		if (!bpf_xdp_query((int)ifindex, 0, &q))
			other = q.prog_id ? q.prog_id : (q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id);
		ig_err("%s already has an XDP program (id %u) that isagate under %s does not "
		       "manage: remove it ('ip link set dev %s xdp off', or 'isagate detach "
		       "--pin-dir' of the other instance) and attach again",
		       ifname, other, pin_dir, ifname);
	} else {
		ig_err("%s: attaching XDP in %s mode: %s", ifname, ig_mode_name(mode), strerror(err));
	}
	return -1;
}

/* ---- map contents ------------------------------------------------------------- */

/* Delete every key of fd for which keep(key) is false. */
static int map_prune(int fd, __u32 key_size, bool (*keep)(const void *key, const void *arg),
		     const void *arg, const char *name)
{
	unsigned char cur[64], next[64], stale[64][64];
	int n = 0, i, err;
	void *prev = NULL;

	if (key_size > sizeof(cur))
		return -EINVAL;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		if (!keep(next, arg) && n < 64)
			memcpy(stale[n++], next, key_size);
		memcpy(cur, next, key_size);
		prev = cur;
	}
	for (i = 0; i < n; i++) {
		if (bpf_map_delete_elem(fd, stale[i]) && errno != ENOENT) {
			err = -errno;
			ig_err("removing a stale entry from '%s': %s", name, strerror(-err));
			return err;
		}
	}
	return 0;
}

static bool keep_router(const void *key, const void *arg)
{
	const struct ig_settings *s = arg;
	const struct ig_v4_key *k = key;
	unsigned int i;

	for (i = 0; i < s->n_routers; i++)
		if (!memcmp(k->addr, &s->routers[i], 4))
			return true;
	for (i = 0; i < s->n_peers; i++)
		if (!memcmp(k->addr, &s->peers[i], 4))
			return true;
	return false;
}

static bool keep_prefix(const void *key, const void *arg)
{
	const struct ig_settings *s = arg;
	const struct ig_prefix_key *k = key;
	unsigned int i;

	for (i = 0; i < s->n_prefixes; i++)
		if (!memcmp(k->prefix, &s->prefixes[i], 8))
			return true;
	return false;
}

static bool keep_port(const void *key, const void *arg)
{
	const struct ig_settings *s = arg;
	__u32 k = *(const __u32 *)key;

	return k == s->ipv4_ifindex || k == s->ipv6_ifindex;
}

static int map_put(int fd, const void *k, const void *v, const char *name)
{
	if (bpf_map_update_elem(fd, k, v, BPF_ANY)) {
		ig_err("writing map '%s': %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- VLAN sides (bpf/vlan.h) ---- */

/* The vlan_in key of a side: the tags of a VLAN side, or a priority tag
 * (802.1Q VID 0) on a real device, which Linux also treats as untagged. */
static struct ig_vlan_key vlan_key(const struct ig_vlan_chain *c)
{
	struct ig_vlan_key k;

	memset(&k, 0, sizeof(k));
	k.ifindex = c->lower_ifindex;
	if (c->ntags) {
		k.outer = c->tags[0];
		if (c->ntags == 2)
			k.inner = c->tags[1];
	} else {
		k.outer.proto = 0x8100;
	}
	return k;
}

static bool keep_vlan_in(const void *key, const void *arg)
{
	const struct ig_settings *s = arg;
	struct ig_vlan_key a = vlan_key(&s->ipv4_vlan), b = vlan_key(&s->ipv6_vlan);

	return !memcmp(key, &a, sizeof(a)) || !memcmp(key, &b, sizeof(b));
}

static bool keep_vlan_out(const void *key, const void *arg)
{
	const struct ig_settings *s = arg;
	__u32 k = *(const __u32 *)key;

	return (k == s->ipv4_ifindex && s->ipv4_vlan.ntags) ||
	       (k == s->ipv6_ifindex && s->ipv6_vlan.ntags);
}

static int vlan_side_write(int ifd, int ofd, const struct ig_vlan_chain *c)
{
	struct ig_vlan_key k = vlan_key(c);
	struct ig_vlan_if d = { .ifindex = c->ifindex };
	struct ig_vlan_port p;
	__u32 ifx = c->ifindex;

	if (map_put(ifd, &k, &d, IG_MAP_VLAN_IN))
		return -1;
	if (!c->ntags)
		return 0;
	memset(&p, 0, sizeof(p));
	p.lower_ifindex = c->lower_ifindex;
	p.ntags = c->ntags;
	p.outer = k.outer;
	p.inner = k.inner;
	return map_put(ofd, &ifx, &p, IG_MAP_VLAN_OUT);
}

/* vlan_in/vlan_out for the two sides; entries of sides no longer
 * configured are removed. */
static int vlan_maps_write(struct isagate_bpf *skel, const struct ig_settings *s)
{
	int ifd = bpf_map__fd(skel->maps.vlan_in), ofd = bpf_map__fd(skel->maps.vlan_out);

	if (vlan_side_write(ifd, ofd, &s->ipv4_vlan) || vlan_side_write(ifd, ofd, &s->ipv6_vlan))
		return -1;
	if (map_prune(ifd, sizeof(struct ig_vlan_key), keep_vlan_in, s, IG_MAP_VLAN_IN) ||
	    map_prune(ofd, sizeof(__u32), keep_vlan_out, s, IG_MAP_VLAN_OUT))
		return -1;
	return 0;
}

static int maps_write(struct isagate_bpf *skel, const struct ig_settings *s)
{
	int rfd = bpf_map__fd(skel->maps.routers), pfd = bpf_map__fd(skel->maps.prefixes);
	int tfd = bpf_map__fd(skel->maps.tx_ports), cfd = bpf_map__fd(skel->maps.config);
	struct ig_prefix_key pkeys[IG_MAX_PREFIXES];
	struct ig_prefix pvals[IG_MAX_PREFIXES];
	struct ig_ra_template ra;
	struct ig_config cfg;
	unsigned int i;
	__u32 zero = 0, ifx;
	int err;

	/* add/replace first, then remove what is no longer configured */
	for (i = 0; i < s->n_routers; i++) {
		struct ig_v4_key k;
		struct ig_router v = { .flags = IG_ROUTER_F_SELF, .index = i };

		memcpy(k.addr, &s->routers[i], 4);
		if (map_put(rfd, &k, &v, IG_MAP_ROUTERS))
			return -1;
	}
	for (i = 0; i < s->n_peers; i++) {
		struct ig_v4_key k;
		struct ig_router v = { .flags = IG_ROUTER_F_PEER, .index = s->n_routers + i };

		memcpy(k.addr, &s->peers[i], 4);
		if (map_put(rfd, &k, &v, IG_MAP_ROUTERS))
			return -1;
	}
	if (map_prune(rfd, sizeof(struct ig_v4_key), keep_router, s, IG_MAP_ROUTERS))
		return -1;

	ig_prefixes_build(s, pkeys, pvals);
	for (i = 0; i < s->n_prefixes; i++)
		if (map_put(pfd, &pkeys[i], &pvals[i], IG_MAP_PREFIXES))
			return -1;
	if (map_prune(pfd, sizeof(struct ig_prefix_key), keep_prefix, s, IG_MAP_PREFIXES))
		return -1;

	/* a side's ifindex -> the device its frames leave through (itself, or
	 * the real device under a VLAN side) */
	ifx = s->ipv4_ifindex;
	if (map_put(tfd, &ifx, &s->ipv4_vlan.lower_ifindex, IG_MAP_TX_PORTS))
		return -1;
	ifx = s->ipv6_ifindex;
	if (map_put(tfd, &ifx, &s->ipv6_vlan.lower_ifindex, IG_MAP_TX_PORTS))
		return -1;
	if (map_prune(tfd, sizeof(__u32), keep_port, s, IG_MAP_TX_PORTS))
		return -1;
	if (vlan_maps_write(skel, s))
		return -1;

	ig_config_build(s, &cfg);

	/* the router advertisement the datapath answers members with */
	err = ig_ra_build(&cfg, pkeys, pvals, s->n_prefixes, s->routes, s->n_routes, &ra);
	if (err) {
		ig_err("building the router advertisement: %s (%u prefixes, %u routes)",
		       strerror(-err), s->n_prefixes, s->n_routes);
		return -1;
	}
	if (cfg.flags & IG_CFG_F_NO_RD)
		ra.len = 0;
	if (map_put(bpf_map__fd(skel->maps.ra_tmpl), &zero, &ra, IG_MAP_RA))
		return -1;

	/* last: the datapath acts only once abi_version is set */
	if (ig_config_store(cfd, &cfg)) {
		ig_err("writing map '%s': %s", IG_MAP_CONFIG, strerror(errno));
		return -1;
	}
	/* new interfaces or settings: forget cached forwarding decisions */
	if (ig_gen_bump(cfd, IG_GEN_FWD))
		ig_err("warning: could not invalidate the forwarding cache: %s "
		       "(entries expire within %u ms)", strerror(errno), cfg.fwd_cache_ms);
	return 0;
}

/* A table of a new size, loaded unpinned, takes the pinned one's place. */
static int table_replace(struct bpf_map *map, const char *pin_dir, const char *name)
{
	char path[PATH_MAX];

	if (path_join(path, sizeof(path), pin_dir, "", name))
		return -1;
	if (unlink(path) && errno != ENOENT) {
		err_errno(path, errno);
		return -1;
	}
	if (bpf_map__pin(map, path)) {
		err_errno(path, errno);
		return -1;
	}
	ig_dbg("%s replaced (%u entries)", name, bpf_map__max_entries(map));
	return 0;
}

/*
 * A flow table or a connection table of a new size (attach --flows N,
 * --conns N) is loaded unpinned; once the new program runs, it takes the
 * pinned one's place.  The flow insert counter restarts with its table
 * (evictions = inserts - entries).
 */
/*
 * A new flows_folded starts empty, and so does the collector's count of the
 * entries it inserted there (flow_log_pos, the collector's line, which a
 * flow cache of the same size keeps): else the old table's flows would read
 * as the new one's evictions.  Under the fold lock, so that no folder
 * counts meanwhile; only that word, through the mapping (the datapath
 * writes the line beside it).
 */
static void fc_inserts_reset(const char *pin_dir)
{
	struct ig_fc_log_pos *pos;
	struct ig_fc fc;
	int lock;

	if (ig_fc_open(&fc, pin_dir) <= 0)
		return;
	lock = ig_fc_lock(pin_dir);
	pos = fc.mem[2];
	for (unsigned int c = 0; c < fc.ncpu; c++)
		__atomic_store_n(&pos[c].inserts, 0, __ATOMIC_RELAXED);
	if (lock >= 0)
		close(lock);
	ig_fc_close(&fc);
}

static int tables_replace(struct isagate_bpf *skel, const char *pin_dir)
{
	struct ig_vis_stats *pc = NULL;
	struct bpf_map *map;
	int ncpu = libbpf_num_possible_cpus(), i, vfd = bpf_map__fd(skel->maps.vis_stats);
	bool folded_new = !bpf_map__is_pinned(skel->maps.flows_folded);
	__u32 zero = 0;

	if (!bpf_map__is_pinned(skel->maps.conns) &&
	    table_replace(skel->maps.conns, pin_dir, IG_MAP_CONNS))
		return -1;
	if (folded_new && table_replace(skel->maps.flows_folded, pin_dir, IG_MAP_FLOWS_FOLDED))
		return -1;
	bpf_object__for_each_map(map, skel->obj)
	{
		if (is_fc_map(skel, map) && !bpf_map__is_pinned(map) &&
		    table_replace(map, pin_dir, bpf_map__name(map)))
			return -1;
	}
	if (folded_new)
		fc_inserts_reset(pin_dir);
	if (bpf_map__is_pinned(skel->maps.flows))
		return 0;
	if (table_replace(skel->maps.flows, pin_dir, IG_MAP_FLOWS))
		return -1;
	if (ncpu > 0 && (pc = calloc((size_t)ncpu, sizeof(*pc))) &&
	    !bpf_map_lookup_elem(vfd, &zero, pc)) {
		for (i = 0; i < ncpu; i++)
			pc[i].flow_inserts = pc[i].flow_insert_fail = 0;
		bpf_map_update_elem(vfd, &zero, pc, BPF_ANY);
	}
	free(pc);
	return 0;
}

/* ---- attach --------------------------------------------------------------------- */

enum plan { P_CREATE, P_UPDATE, P_REPLACE };

struct want {
	const char *ifname;
	unsigned int ifindex;
	enum plan plan;
	int old;                    /* index into the old links, -1 none */
	int fd;                     /* new link (P_CREATE, P_REPLACE) */
	bool pinned;
	char path[PATH_MAX];
};

static void unpin_link(struct link_pin *o)
{
	bpf_link_detach(o->fd);
	if (unlink(o->path) && errno != ENOENT)
		ig_err("removing %s: %s", o->path, strerror(errno));
}

/* One attach, shared by its steps (each returns 0 or -errno). */
struct attach {
	const struct ig_settings *s;
	const char *pin_dir;
	struct ig_attach_report *rep;
	struct isagate_bpf *skel;
	struct link_pin *old; /* the links pinned before */
	int n_old;
	struct want want[2]; /* the devices configured now */
	int n_want;
	int prog_fd;
	bool maps_existed;
	bool fresh;   /* nothing was there: a failure leaves nothing */
	bool altered; /* a failure leaves a partly applied router */
};

int ig_loader_fc_size(struct isagate_bpf *skel, uint32_t slots, uint32_t flows)
{
	int ncpu = libbpf_num_possible_cpus();
	uint32_t bits = 0;

	if (ncpu <= 0) {
		ig_err("counting the possible CPUs: %s", strerror(ncpu ? -ncpu : EINVAL));
		return -1;
	}
	if (slots && ncpu > IG_FC_MAX_CPUS) {
		ig_err("--flow-cache: this machine has %d possible CPUs, the flow cache supports "
		       "at most %d (use --flow-cache 0)",
		       ncpu, IG_FC_MAX_CPUS);
		return -1;
	}
	while (slots && ((uint32_t)IG_FC_WAYS << bits) < slots)
		bits++;
	skel->rodata->fc_set_bits = bits;
	skel->rodata->fc_nr_cpus = (uint32_t)ncpu;
	if (bpf_map__set_max_entries(skel->maps.flow_cache, slots ? (uint32_t)ncpu << bits : 1) ||
	    bpf_map__set_max_entries(skel->maps.flow_log,
				     slots ? (uint32_t)ncpu * IG_FC_LOG_RECS : 1) ||
	    bpf_map__set_max_entries(skel->maps.flow_log_pos, slots ? (uint32_t)ncpu : 1) ||
	    bpf_map__set_max_entries(skel->maps.flow_seen, slots ? (uint32_t)ncpu * slots : 1) ||
	    bpf_map__set_max_entries(skel->maps.flows_folded, slots && flows ? flows : 1)) {
		ig_err("flow cache of %u slots per CPU: %s", slots, strerror(errno));
		return -1;
	}
	return 0;
}

/* Open the object, size the tables, check the pinned maps, load. */
static int attach_load(struct attach *a)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .pin_root_path = a->pin_dir);
	const struct ig_settings *s = a->s;
	int rc;

	a->skel = isagate_bpf__open_opts(&oopts);
	if (!a->skel) {
		ig_err("opening the BPF object: %s", strerror(errno));
		lb_replay();
		return -EIO;
	}
	/* the flow table's size is a setting (0: accounting off, a minimal table) */
	if (bpf_map__set_max_entries(a->skel->maps.flows, s->flows ? s->flows : 1)) {
		ig_err("flow table size %u: %s", s->flows, strerror(errno));
		return -EIO;
	}
	if (bpf_map__set_max_entries(a->skel->maps.conns, s->conns)) {
		ig_err("connection table size %u: %s", s->conns, strerror(errno));
		return -EIO;
	}
	if (ig_loader_fc_size(a->skel, s->flow_cache, s->flows))
		return -EIO;
	rc = maps_check_pinned(a->skel, a->pin_dir, &a->maps_existed);
	if (rc)
		return rc;
	a->fresh = !a->maps_existed && a->n_old == 0;
	rc = load_skel(a->skel, a->pin_dir);
	if (rc)
		return rc;
	a->prog_fd = bpf_program__fd(a->skel->progs.xdp_isagate);
	a->rep->reused_maps = a->maps_existed;
	return 0;
}

/* Plan: an existing link on the same device is kept (a pin of the same
 * name on another device is stale and replaced by attach_pin()).  XDP runs
 * on the real devices (under a VLAN side: bpf/vlan.h). */
static int attach_plan(struct attach *a)
{
	const struct ig_settings *s = a->s;
	int i, j;

	a->want[0].ifname = s->ipv4_vlan.lower_name;
	a->want[0].ifindex = s->ipv4_vlan.lower_ifindex;
	a->n_want = 1;
	if (s->ipv6_vlan.lower_ifindex != s->ipv4_vlan.lower_ifindex) {
		a->want[1].ifname = s->ipv6_vlan.lower_name;
		a->want[1].ifindex = s->ipv6_vlan.lower_ifindex;
		a->n_want = 2;
	}
	for (i = 0; i < a->n_want; i++) {
		struct want *w = &a->want[i];

		if (path_join(w->path, sizeof(w->path), a->pin_dir, IG_LINK_PREFIX, w->ifname))
			return -EIO;
		w->old = -1;
		w->plan = P_CREATE;
		for (j = 0; j < a->n_old; j++) {
			struct link_pin *o = &a->old[j];

			if (!o->matched && o->st.here && o->st.ifindex == w->ifindex) {
				w->old = j;
				o->matched = true;
				w->plan = strcmp(o->st.mode, ig_mode_name(s->mode)) ? P_REPLACE
										    : P_UPDATE;
				break;
			}
		}
	}
	return 0;
}

/* 1. new links, unpinned: a failure here changes nothing */
static int attach_create(struct attach *a)
{
	int i;

	for (i = 0; i < a->n_want; i++) {
		struct want *w = &a->want[i];

		if (w->plan != P_CREATE)
			continue;
		w->fd = link_create(a->prog_fd, w->ifname, w->ifindex, a->s->mode, a->pin_dir);
		if (w->fd < 0)
			return -EIO;
		ig_dbg("%s: XDP attached (%s)", w->ifname, ig_mode_name(a->s->mode));
	}
	return 0;
}

/* 2. mode change: native and generic cannot be attached at once */
static int attach_switch_mode(struct attach *a)
{
	enum ig_xdp_mode mode = a->s->mode, prev;
	struct link_pin *o;
	int i;

	for (i = 0; i < a->n_want; i++) {
		struct want *w = &a->want[i];

		if (w->plan != P_REPLACE)
			continue;
		o = &a->old[w->old];
		prev = strcmp(o->st.mode, "generic") ? IG_MODE_NATIVE : IG_MODE_GENERIC;
		ig_dbg("%s: switching from %s to %s XDP", w->ifname, o->st.mode,
		       ig_mode_name(mode));
		a->altered = true;
		unpin_link(o);
		w->fd = link_create(a->prog_fd, w->ifname, w->ifindex, mode, a->pin_dir);
		if (w->fd >= 0)
			continue;
		w->fd = link_create(a->prog_fd, w->ifname, w->ifindex, prev, a->pin_dir);
		if (w->fd >= 0 && bpf_obj_pin(w->fd, w->path) == 0) {
			ig_err("%s: kept %s mode", w->ifname, o->st.mode);
			w->pinned = true;
		} else {
			ig_err("%s: XDP is now detached from this interface", w->ifname);
		}
		return -EIO;
	}
	return 0;
}

/* 3. atomic program replacement on the links we keep */
static int attach_update(struct attach *a)
{
	int i;

	for (i = 0; i < a->n_want; i++) {
		struct want *w = &a->want[i];

		if (w->plan != P_UPDATE)
			continue;
		if (bpf_link_update(a->old[w->old].fd, a->prog_fd, NULL)) {
			err_errno(w->ifname, errno);
			return -EIO;
		}
		a->altered = true;
		ig_dbg("%s: link %u now runs the new program", w->ifname,
		       a->old[w->old].st.link_id);
	}
	return 0;
}

/* 4. pin the new links (and re-pin a link whose device was renamed) */
static int attach_pin(struct attach *a)
{
	int i, j;

	for (i = 0; i < a->n_want; i++) {
		struct want *w = &a->want[i];

		if (w->plan == P_UPDATE) {
			struct link_pin *o = &a->old[w->old];

			if (!strcmp(o->path, w->path))
				continue;
			if (bpf_obj_pin(o->fd, w->path)) {
				err_errno(w->path, errno);
				return -EIO;
			}
			unlink(o->path);
			continue;
		}
		/* a stale pin of the same name (device re-created): drop it */
		for (j = 0; j < a->n_old; j++)
			if (!a->old[j].matched && !strcmp(a->old[j].path, w->path)) {
				unpin_link(&a->old[j]);
				a->old[j].matched = true;
			}
		if (bpf_obj_pin(w->fd, w->path)) {
			err_errno(w->path, errno);
			return -EIO;
		}
		w->pinned = true;
	}
	a->altered = true;
	return 0;
}

/* 6. interfaces no longer configured; then what each link is now */
static void attach_prune_report(struct attach *a)
{
	struct ig_attach_report *rep = a->rep;
	int i, j;

	for (j = 0; j < a->n_old; j++) {
		if (a->old[j].matched)
			continue;
		unpin_link(&a->old[j]);
		rep->ifs[rep->n].link = a->old[j].st;
		rep->ifs[rep->n++].action = IG_LINK_REMOVED;
	}
	for (i = 0; i < a->n_want; i++) {
		struct want *w = &a->want[i];
		int fd = w->plan == P_UPDATE ? a->old[w->old].fd : w->fd;
		struct ig_link_state *st = &rep->ifs[rep->n].link;

		if (link_fill(fd, w->ifname, st))
			snprintf(st->ifname, sizeof(st->ifname), "%s", w->ifname);
		rep->ifs[rep->n++].action = w->plan == P_CREATE ? IG_LINK_CREATED :
					    w->plan == P_UPDATE ? IG_LINK_UPDATED : IG_LINK_REPLACED;
		rep->prog_id = st->prog_id;
	}
}

/* After a failure: a fresh router leaves nothing behind (links whose pin
 * is gone are released when their fd is closed); a changed one says so. */
static void attach_undo(struct attach *a)
{
	struct bpf_map *map;
	int i;

	if (a->fresh) {
		for (i = 0; i < 2; i++)
			if (a->want[i].pinned)
				unlink(a->want[i].path);
		bpf_object__for_each_map(map, a->skel->obj) if (bpf_map__is_pinned(map))
			bpf_map__unpin(map, NULL);
	} else if (a->altered) {
		ig_err("settings were only partly applied under %s: fix the problem and run "
		       "'isagate attach' again",
		       a->pin_dir);
	}
}

int ig_loader_attach(const struct ig_settings *s, const char *pin_dir, struct ig_attach_report *rep)
{
	struct attach a = { .s = s, .pin_dir = pin_dir, .rep = rep };
	struct created_dirs cd = { 0 };
	int i, rc, lockfd = -1;

	memset(rep, 0, sizeof(*rep));
	for (i = 0; i < 2; i++)
		a.want[i].fd = -1;
	rc = prepare_dir(pin_dir, true, &cd);
	if (rc)
		return rc;
	lb_capture();
	rc = -EIO;
	/* a detach that held the lock removes the directory: make it again */
	for (i = 0; (lockfd = ig_pin_dir_lock(pin_dir)) == -ENOENT && i < 3; i++)
		if (prepare_dir(pin_dir, true, &cd))
			break;
	if (lockfd < 0) {
		rc = lockfd;
		goto cleanup;
	}
	a.old = calloc(IG_MAX_LINK_PINS, sizeof(*a.old));
	if (!a.old) {
		ig_err("out of memory");
		goto cleanup;
	}
	a.n_old = links_read(pin_dir, a.old, IG_MAX_LINK_PINS);
	if (a.n_old < 0) {
		rc = a.n_old;
		a.n_old = 0;
		goto cleanup;
	}
	rc = attach_load(&a);
	if (!rc)
		rc = attach_plan(&a);
	if (!rc)
		rc = attach_create(&a);
	if (!rc)
		rc = attach_switch_mode(&a);
	if (!rc)
		rc = attach_update(&a);
	if (!rc)
		rc = attach_pin(&a);
	/* 5. settings */
	if (!rc && (maps_write(a.skel, s) || tables_replace(a.skel, pin_dir)))
		rc = -EIO;
	if (!rc)
		attach_prune_report(&a);
cleanup:
	if (rc && a.skel)
		attach_undo(&a);
	if (rc)
		created_dirs_remove(&cd);  /* only empty directories we made */
	for (i = 0; i < 2; i++)
		if (a.want[i].fd >= 0)
			close(a.want[i].fd);
	if (a.old)
		links_close(a.old, a.n_old);
	free(a.old);
	isagate_bpf__destroy(a.skel);
	if (lockfd >= 0)
		close(lockfd);
	libbpf_set_print(NULL);
	return rc;
}

/* ---- detach ----------------------------------------------------------------------- */

/* What a detach removed, shared by its steps. */
struct detach {
	const char *pin_dir;
	unsigned int *n_links; /* links detached */
	int found;	       /* pins removed */
	bool failed;	       /* something could not be removed */
};

/* One link pin: detach the link (XDP off the interface), remove the pin.
 * 0, or -EIO when the pins cannot be read at all. */
static int detach_link(struct detach *x, const char *name)
{
	size_t plen = strlen(IG_LINK_PREFIX);
	struct ig_link_state st;
	char path[PATH_MAX], kind[64];
	int fd;

	if (path_join(path, sizeof(path), x->pin_dir, name, NULL))
		return -EIO;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err_errno(path, errno);
		if (errno == EPERM || errno == EACCES)
			return -EIO;
		x->failed = true;
		return 0;
	}
	if (!strcmp(obj_kind(fd, kind, sizeof(kind)), "bpf-link")) {
		if (link_fill(fd, name + plen, &st))
			memset(&st, 0, sizeof(st));
		if (bpf_link_detach(fd) && errno != ENOLINK) {
			err_errno(path, errno);
			close(fd);
			x->failed = true;
			return 0;
		}
		ig_dbg("%s: XDP detached (link %u, ifindex %u)", name + plen, st.link_id,
		       st.ifindex);
		(*x->n_links)++;
	}
	close(fd);
	if (unlink(path)) {
		err_errno(path, errno);
		x->failed = true;
		return 0;
	}
	x->found++;
	return 0;
}

/* Links first: detaching them takes XDP off the interfaces even if some
 * other process still holds a reference. */
static int detach_links(struct detach *x)
{
	size_t plen = strlen(IG_LINK_PREFIX);
	struct dirent *de;
	int rc = 0;
	DIR *d;

	d = opendir(x->pin_dir);
	if (!d) {
		err_errno(x->pin_dir, errno);
		return -EIO;
	}
	while (!rc && (de = readdir(d)))
		if (!strncmp(de->d_name, IG_LINK_PREFIX, plen) && de->d_name[plen])
			rc = detach_link(x, de->d_name);
	closedir(d);
	return rc;
}

/* The maps this version pins (the skeleton, opened, not loaded, names them). */
static int detach_maps(struct detach *x)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .pin_root_path = x->pin_dir);
	struct isagate_bpf *skel;
	struct bpf_map *map;

	skel = isagate_bpf__open_opts(&oopts);
	if (!skel) {
		ig_err("opening the BPF object: %s", strerror(errno));
		lb_replay();
		return -EIO;
	}
	bpf_object__for_each_map(map, skel->obj) {
		const char *mpath = bpf_map__pin_path(map);

		if (!mpath)
			continue;
		if (unlink(mpath)) {
			if (errno != ENOENT) {
				err_errno(mpath, errno);
				x->failed = true;
			}
			continue;
		}
		ig_dbg("removed %s", mpath);
		x->found++;
	}
	isagate_bpf__destroy(skel);
	return 0;
}

int ig_loader_detach(const char *pin_dir, unsigned int *n_links)
{
	struct detach x = { .pin_dir = pin_dir, .n_links = n_links };
	int rc, lockfd;

	*n_links = 0;
	rc = prepare_dir(pin_dir, false, NULL);
	if (rc)
		return rc;
	lb_capture();
	lockfd = ig_pin_dir_lock(pin_dir);
	if (lockfd < 0) {
		rc = lockfd;
		goto cleanup;
	}
	rc = detach_links(&x);
	if (!rc)
		rc = detach_maps(&x);
	if (rc)
		goto cleanup;
	if (!x.found && !x.failed) {
		ig_err("nothing attached under %s", pin_dir);
		rc = -ENOENT;
	} else if (rmdir(pin_dir)) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			ig_err("%s still holds files isagate did not create: left it in place", pin_dir);
		else
			err_errno(pin_dir, errno);
		rc = x.failed ? -EIO : -ENOTEMPTY;
	} else {
		rc = x.failed ? -EIO : 0;
	}
cleanup:
	if (lockfd >= 0)
		close(lockfd);
	libbpf_set_print(NULL);
	return rc;
}

/* ---- forwarding sysctls --------------------------------------------------------- */

static int sysctl_read(const char *path)
{
	char buf[16];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

static void sysctl_add(struct ig_sysctl *out, int *n, const char *fam, const char *dev)
{
	char path[sizeof(out->path)];
	int i;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/forwarding", fam, dev);
	for (i = 0; i < *n; i++)
		if (!strcmp(out[i].path, path))
			return;
	memcpy(out[*n].path, path, sizeof(path));
	snprintf(out[*n].name, sizeof(out[*n].name), "net.%s.conf.%s.forwarding", fam, dev);
	out[*n].value = sysctl_read(path);
	(*n)++;
}

int ig_forwarding_sysctls(const char *v4dev, const char *v6dev, struct ig_sysctl out[4])
{
	int n = 0;

	/* decap: the IPv6 FIB lookup checks forwarding on the ingress (IPv4-side) device;
	 * writing conf/all propagates to every device */
	sysctl_add(out, &n, "ipv6", "all");
	if (v4dev && *v4dev && strcmp(v4dev, "all"))
		sysctl_add(out, &n, "ipv6", v4dev);
	/* encap: the IPv4 FIB lookup checks forwarding on the ingress (IPv6-side) device */
	if (v6dev && *v6dev)
		sysctl_add(out, &n, "ipv4", v6dev);
	if (v4dev && *v4dev)
		sysctl_add(out, &n, "ipv4", v4dev);
	return n;
}

int ig_sysctl_enable(const struct ig_sysctl *sc)
{
	int fd = open(sc->path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1\n", 2) != 2)
		err = -errno;
	close(fd);
	return err;
}
