// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* common.c - messages, pin directory, pinned object access, safe file writes. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <ini.h>

#include "common.h"

int ig_verbose;

static void vmsg(const char *fmt, va_list ap)
{
	fputs("isagate: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ig_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void ig_dbg(const char *fmt, ...)
{
	va_list ap;

	if (!ig_verbose)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

const char *ig_pin_dir(const char *opt)
{
	static char dir[PATH_MAX];
	const char *env = getenv("ISAGATE_PIN_DIR");
	const char *d = IG_DEFAULT_PIN_DIR;
	size_t n;

	if (opt && *opt)
		d = opt;
	else if (env && *env)
		d = env;
	snprintf(dir, sizeof(dir), "%s", d);
	/* "/sys/fs/bpf/isagate/" and "/sys/fs/bpf/isagate" are the same pins */
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	return dir;
}

int ig_map_open(const char *pin_dir, const char *name)
{
	char path[512];
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path)) {
		ig_err("pin directory path too long: %s", pin_dir);
		return -ENAMETOOLONG;
	}
	fd = bpf_obj_get(path);
	if (fd >= 0)
		return fd;
	err = -errno;
	if (err == -ENOENT)
		ig_err("%s: not found: isagate is not attached with --pin-dir %s "
		       "(run 'isagate attach' first)", path, pin_dir);
	else if (err == -EPERM || err == -EACCES)
		ig_err("%s: %s: run as root (needs CAP_BPF and CAP_NET_ADMIN)", path,
		       strerror(-err));
	else
		ig_err("%s: %s", path, strerror(-err));
	return err;
}

const char *ig_fmt_v4(const void *addr, char *buf, size_t len)
{
	if (!inet_ntop(AF_INET, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *ig_fmt_v6(const void *addr, char *buf, size_t len)
{
	if (!inet_ntop(AF_INET6, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

struct ini_ctx {
	FILE *f;
	ig_ini_key_fn on_key;
	void *user;
	int line;          /* line being parsed (counted by ini_read_line) */
	int err_line;      /* first line with an error, 0 = none */
	char err[320];
};

static char *ini_read_line(char *str, int num, void *stream)
{
	struct ini_ctx *c = stream;
	char *r = fgets(str, num, c->f);
	size_t n;

	if (!r)
		return NULL;
	c->line++;
	n = strlen(r);
	if (n && r[n - 1] != '\n' && !feof(c->f) && !c->err_line) {
		c->err_line = c->line;
		snprintf(c->err, sizeof(c->err), "line too long (at most %d characters)", num - 3);
		/* skip the rest of the physical line */
		for (int ch = fgetc(c->f); ch != EOF && ch != '\n'; ch = fgetc(c->f))
			;
	}
	return r;
}

static int ini_key(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *c = user;
	char err[sizeof(c->err)];

	if (c->on_key(c->user, section, name, value, err, sizeof(err)) && !c->err_line) {
		c->err_line = c->line;
		snprintf(c->err, sizeof(c->err), "%s", err);
	}
	return 1;
}

int ig_ini_load(const char *path, ig_ini_key_fn on_key, void *ctx)
{
	struct ini_ctx c = { .on_key = on_key, .user = ctx };
	int rc;

	c.f = fopen(path, "r");
	if (!c.f) {
		rc = -errno;
		ig_err("%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = ini_parse_stream(ini_read_line, &c, ini_key, &c);
	fclose(c.f);
	if (rc == 0 && !c.err_line)
		return 0;
	if (c.err_line && (rc <= 0 || c.err_line <= rc)) {
		ig_err("%s:%d: %s", path, c.err_line, c.err);
		return -EINVAL;
	}
	if (rc > 0) {
		ig_err("%s:%d: syntax error (expected [section] or key = value)", path, rc);
		return -EINVAL;
	}
	ig_err("%s: cannot parse (%d)", path, rc);
	return -ENOMEM; /* inih: -2 is its allocation failing */
}

/* ---- atomic replace ---------------------------------------------------------------- */

static bool atomic_dir_warned;

/* Once per process: a directory others may write and not sticky. */
static void atomic_warn_dir(int dirfd, const char *dir, const char *path)
{
	bool all;
	struct stat st;

	if (atomic_dir_warned || fstat(dirfd, &st) || (st.st_mode & S_ISVTX) ||
	    !(st.st_mode & (S_IWGRP | S_IWOTH)))
		return;
	atomic_dir_warned = true;
	all = st.st_mode & S_IWOTH;
	ig_err("warning: %s is writable by %s and not sticky: they can replace or remove %s; "
	       "run 'chmod %s %s' (or 'chmod +t %s')", dir, all ? "everyone" : "its group", path,
	       all ? "go-w" : "g-w", dir, dir);
}

/* path -> its directory (".", "/", or everything before the last '/') and name. */
static int atomic_split(const char *path, char *dir, size_t dlen, char *name, size_t nlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dl = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);

	if (!*path)
		return -ENOENT;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EISDIR;
	/* the temporary is ".<name>.<12 random>.tmp" */
	if (strlen(base) + 18 >= nlen || dl >= dlen)
		return -ENAMETOOLONG;
	memcpy(dir, slash ? path : ".", dl);
	dir[dl] = '\0';
	snprintf(name, nlen, "%s", base);
	return 0;
}

int ig_atomic_open(struct ig_atomic *a, const char *path, unsigned int mode)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[12];
	char dir[PATH_MAX], r[sizeof(rnd) + 1];
	bool created = false;
	int fd = -1, err, tries;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->dirfd = -1;
	err = atomic_split(path, dir, sizeof(dir), a->name, sizeof(a->name));
	if (err)
		return err;
	/* Everything below is relative to this one directory: a directory
	 * renamed or replaced meanwhile cannot redirect the writes. */
	a->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->dirfd < 0) {
		err = -errno;
		goto cleanup;
	}
	atomic_warn_dir(a->dirfd, dir, path);
	/* A random name nobody can plant a link at in advance; O_EXCL and
	 * O_NOFOLLOW make a name someone did plant fail instead of opening
	 * (and truncating) what it points to. */
	for (tries = 0; tries < 16; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			err = errno ? -errno : -EIO;
			goto cleanup;
		}
		for (i = 0; i < sizeof(rnd); i++)
			r[i] = alnum[rnd[i] % (sizeof(alnum) - 1)];
		r[sizeof(rnd)] = '\0';
		if (snprintf(a->tmp, sizeof(a->tmp), ".%s.%s.tmp", a->name, r) >=
		    (int)sizeof(a->tmp)) {
			err = -ENAMETOOLONG;    /* atomic_split checked: cannot happen */
			goto cleanup;
		}
		fd = openat(a->dirfd, a->tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	created = true;
	/* on the descriptor: the mode is the file's whatever the umask, and
	 * never a name's that someone swapped in */
	if (fchmod(fd, mode & 07777)) {
		err = -errno;
		goto cleanup;
	}
	a->f = fdopen(fd, "w");
	if (!a->f) {
		err = -errno;
		goto cleanup;
	}
	fd = -1;
	err = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	if (err && created)
		unlinkat(a->dirfd, a->tmp, 0);
	if (err && a->dirfd >= 0) {
		close(a->dirfd);
		a->dirfd = -1;
	}
	return err;
}

int ig_atomic_commit(struct ig_atomic *a, int err)
{
	if (!a->f)
		return err ? err : -EBADF;
	if (!err && fflush(a->f))
		err = -errno;
	if (!err && ferror(a->f))
		err = -EIO;             /* an earlier write of the stream failed */
	if (!err && fsync(fileno(a->f)))
		err = -errno;
	if (fclose(a->f) && !err)
		err = -errno;
	a->f = NULL;
	if (!err && renameat(a->dirfd, a->tmp, a->dirfd, a->name))
		err = -errno;
	if (err)
		unlinkat(a->dirfd, a->tmp, 0);
	else
		fsync(a->dirfd);        /* the rename on disk too; in place either way */
	close(a->dirfd);
	a->dirfd = -1;
	return err;
}

/* ---- secrets ----------------------------------------------------------------------- */

int ig_secret_open(const char *path, const char *what, char *err, size_t errlen)
{
	uid_t me = geteuid();
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s %s is not a regular file", what, path);
		goto cleanup;
	}
	if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
		ret = -EACCES;
		snprintf(err, errlen, "%s %s is accessible to %s (mode %04o): refusing to use it; "
			 "run 'chmod 600 %s'", what, path,
			 (st.st_mode & (S_IROTH | S_IWOTH)) ? "everyone" : "its group",
			 (unsigned int)(st.st_mode & 07777), path);
		goto cleanup;
	}
	if (st.st_uid != 0 && st.st_uid != me) {
		/* its owner may make it readable to anyone at any time */
		ret = -EPERM;
		snprintf(err, errlen, "%s %s belongs to uid %u, not to root or to the user running "
			 "isagate (uid %u): refusing to use it; run 'chown %u %s'", what, path,
			 (unsigned int)st.st_uid, (unsigned int)me, (unsigned int)me, path);
		goto cleanup;
	}
	return fd;
cleanup:
	close(fd);
	return ret;
}

char *ig_str_trim(char *p)
{
	char *e;

	while (isspace((unsigned char)*p))
		p++;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return p;
}

/* The config map's one entry, mapped writable (NULL, errno set, on failure). */
static struct ig_config *config_map(int fd)
{
	void *p = mmap(NULL, sizeof(struct ig_config), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int ig_gen_bump(int fd, size_t which)
{
	struct ig_config *cfg = config_map(fd);

	if (!cfg)
		return -1;
	__atomic_fetch_add((__u32 *)((char *)cfg + which), 1, __ATOMIC_SEQ_CST);
	munmap(cfg, sizeof(*cfg));
	return 0;
}

int ig_config_set(int fd, size_t which, __u32 v)
{
	struct ig_config *cfg = config_map(fd);

	if (!cfg)
		return -1;
	__atomic_store_n((__u32 *)((char *)cfg + which), v, __ATOMIC_SEQ_CST);
	munmap(cfg, sizeof(*cfg));
	return 0;
}

int ig_config_store(int fd, const struct ig_config *cfg)
{
	struct ig_config *m = config_map(fd);
	size_t end = IG_CFG_RUNTIME_END;

	if (!m)
		return -1;
	_Static_assert(IG_GEN_MEMBERS == sizeof(cfg->abi_version) &&
			       IG_CFG_RUNTIME_END == IG_CFG_POLICY_LOADED + sizeof(__u32),
		       "ig_config_store copies around abi_version and the runtime words");
	memcpy((char *)m + end, (const char *)cfg + end, sizeof(*cfg) - end);
	__atomic_store_n(&m->abi_version, cfg->abi_version, __ATOMIC_SEQ_CST);
	munmap(m, sizeof(*m));
	return 0;
}

#define IG_BATCH_ENTRIES 4096u /* entries per batch lookup */
#define IG_KERNEL_ENOTSUPP 524 /* the kernel's internal ENOTSUPP, which leaks out */
#define IG_BATCH_ENTRIES_MAX (1u << 20)

long ig_map_batch(int fd, size_t key_size, size_t value_size, ig_batch_fn fn, void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t chunk = IG_BATCH_ENTRIES, n, in = 0, out = 0;
	void *keys = NULL, *values = NULL, *inp = NULL;
	long total = 0, rc;
	int err;

	for (;;) {
		if (!keys) {
			keys = malloc((size_t)chunk * key_size);
			values = malloc((size_t)chunk * value_size);
			if (!keys || !values) {
				rc = -ENOMEM;
				goto cleanup;
			}
		}
		n = chunk;
		/* the token of a hash map's batch is a bucket index (a u32) */
		err = bpf_map_lookup_batch(fd, inp, &out, keys, values, &n, &opts) ? -errno : 0;
		if (err == -ENOSPC && !n && chunk < IG_BATCH_ENTRIES_MAX) {
			chunk *= 2; /* one bucket holds more than a batch */
			free(keys);
			free(values);
			keys = values = NULL;
			continue;
		}
		if (err && err != -ENOENT) {
			/* no batch ops for this map type or kernel */
			rc = !inp && (err == -EINVAL || err == -EOPNOTSUPP ||
				      err == -IG_KERNEL_ENOTSUPP)
				     ? -EOPNOTSUPP
				     : err;
			goto cleanup;
		}
		if (n) {
			rc = fn(keys, values, n, ctx);
			if (rc)
				goto cleanup;
			total += n;
		}
		if (err == -ENOENT) /* past the last bucket */
			break;
		in = out;
		inp = &in;
	}
	rc = total;
cleanup:
	free(keys);
	free(values);
	return rc;
}

static int count_batch(const void *keys, const void *values, uint32_t n, void *ctx)
{
	(void)keys;
	(void)values;
	*(long *)ctx += n;
	return 0;
}

long ig_map_count(int fd)
{
	struct bpf_map_info info;
	uint32_t ilen = sizeof(info);
	unsigned char k[2][64];
	void *prev = NULL;
	long n = 0, seen = 0;
	int cur = 0;

	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen) &&
	    (info.type == BPF_MAP_TYPE_HASH || info.type == BPF_MAP_TYPE_LRU_HASH)) {
		n = ig_map_batch(fd, info.key_size, info.value_size, count_batch, &seen);
		if (n >= 0)
			return n;
		n = 0;
	}
	while (bpf_map_get_next_key(fd, prev, k[cur]) == 0) {
		n++;
		prev = k[cur];
		cur ^= 1;
	}
	return n;
}
