// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* common.c - messages, pin directory, pinned object access. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

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
	const char *env = getenv("ISAGATE_PIN_DIR");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return IG_DEFAULT_PIN_DIR;
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
