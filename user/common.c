// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* common.c - messages, pin directory, pinned object access. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int ig_no_more_args(int argc, char **argv, const char *cmd)
{
	if (optind >= argc)
		return IG_EXIT_OK;
	ig_err("unexpected argument '%s' (see 'isagate %s --help')", argv[optind], cmd);
	return IG_EXIT_USAGE;
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
		ig_err("%s: %s", path, strerror(errno));
		return errno == ENOENT ? IG_EXIT_USAGE : IG_EXIT_FAIL;
	}
	rc = ini_parse_stream(ini_read_line, &c, ini_key, &c);
	fclose(c.f);
	if (rc == 0 && !c.err_line)
		return IG_EXIT_OK;
	if (c.err_line && (rc <= 0 || c.err_line <= rc)) {
		ig_err("%s:%d: %s", path, c.err_line, c.err);
		return IG_EXIT_USAGE;
	}
	if (rc > 0) {
		ig_err("%s:%d: syntax error (expected [section] or key = value)", path, rc);
		return IG_EXIT_USAGE;
	}
	ig_err("%s: cannot parse (%d)", path, rc);
	return IG_EXIT_FAIL;
}

FILE *ig_atomic_open(const char *path, char *tmp, size_t len)
{
	if (snprintf(tmp, len, "%s.tmp.%d", path, (int)getpid()) >= (int)len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return fopen(tmp, "w");
}

int ig_atomic_commit(FILE *f, const char *tmp, const char *path, unsigned int mode, int err)
{
	if (!err && (fflush(f) || fsync(fileno(f))))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && mode && chmod(tmp, mode))
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
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

int ig_gen_bump(int fd)
{
	__u32 zero = 0;
	__u64 gen = 0;

	if (bpf_map_lookup_elem(fd, &zero, &gen))
		return -1;
	gen++;
	return bpf_map_update_elem(fd, &zero, &gen, BPF_ANY);
}

long ig_map_count(int fd)
{
	unsigned char k[2][64];
	void *prev = NULL;
	long n = 0;
	int cur = 0;

	while (bpf_map_get_next_key(fd, prev, k[cur]) == 0) {
		n++;
		prev = k[cur];
		cur ^= 1;
	}
	return n;
}
