/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* common.h - what every part of the loader shares: exit codes, messages,
 * opening pinned objects. */
#ifndef IG_COMMON_H
#define IG_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "isagate.h"

/* Exit codes scripts can act on (documented in the README). */
enum ig_exit {
	IG_EXIT_OK = 0,           /* done */
	IG_EXIT_FAIL = 1,         /* system/kernel error: nothing or part applied, see message */
	IG_EXIT_USAGE = 2,        /* bad command line or bad input: nothing changed */
	IG_EXIT_PARTIAL = 3,      /* applied, with warnings (e.g. names kept fail-static) */
	IG_EXIT_NOT_ATTACHED = 4, /* no isagate pins under the pin directory */
	IG_EXIT_DIRECTORY = 5,    /* members sync --ldap: directory unreachable, TLS, bind or
				   * search failed: nothing changed */
	IG_EXIT_REFUSED = 6,      /* members sync: mass-removal guard refused: nothing changed */
	IG_EXIT_LOCKED = 8,       /* another isagate command held the pin-directory lock for
				   * longer than the wait: nothing changed */
};

extern int ig_verbose;

/* "isagate: <message>\n" on stderr. */
void ig_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "isagate: <message>\n" on stderr when -v was given. */
void ig_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The pin directory: --pin-dir, else $ISAGATE_PIN_DIR, else the default,
 * without trailing slashes (a static buffer: copy it to keep it). */
const char *ig_pin_dir(const char *opt);

/*
 * Open the map pinned as <pin_dir>/<name>.  On failure prints what to do
 * and returns a negative value: -ENOENT when isagate is not attached there
 * (callers map that to IG_EXIT_NOT_ATTACHED).
 */
int ig_map_open(const char *pin_dir, const char *name);

/*
 * Read an INI file with inih.  on_key is called for every key; it returns 0,
 * or -1 with a message in err (the first such message is reported as
 * FILE:LINE: message).  Over-long lines and syntax errors are reported the
 * same way.  Returns 0, -EINVAL (a bad file: nothing used), or the -errno
 * of opening it (-ENOENT: no such file), message printed.
 */
typedef int (*ig_ini_key_fn)(void *ctx, const char *section, const char *key,
			     const char *value, char *err, size_t errlen);
int ig_ini_load(const char *path, ig_ini_key_fn on_key, void *ctx);

/*
 * Replace a file atomically and safely in a directory other users may
 * write (the Prometheus textfile directory):
 *
 *   struct ig_atomic a;
 *   err = ig_atomic_open(&a, path, 0644);     // then write to a.f
 *   err = ig_atomic_commit(&a, err);
 *
 * ig_atomic_open() opens path's directory once and creates a temporary
 * ".<name>.<random>.tmp" in it with O_CREAT|O_EXCL|O_NOFOLLOW (a link
 * planted at that name fails the open instead of being written through) and
 * gives it mode with fchmod (whatever the umask).  ig_atomic_commit()
 * flushes, fsyncs and closes it and renames it over path in the same
 * directory (a symlink at path is replaced, never followed); when anything
 * failed (err: an error the caller already had, or 0, or a write error on
 * a.f) it removes the temporary and path keeps its old content.  Commit
 * must follow every successful open.  Both return 0 or -errno and print
 * nothing, except a warning (once per process) when the directory is
 * writable by group or others without the sticky bit: there anyone who may
 * write it may replace the file.
 */
struct ig_atomic {
	FILE *f;                  /* the new content goes here */
	int dirfd;
	char name[256];           /* path's last component */
	char tmp[256];            /* the temporary's name in dirfd */
};
int ig_atomic_open(struct ig_atomic *a, const char *path, unsigned int mode);
int ig_atomic_commit(struct ig_atomic *a, int err);

/*
 * Open a file that holds a secret (LDAP password file, Kerberos keytab) for
 * reading, after checking it on the descriptor: a regular file, owned by
 * root or by the user running isagate, that neither its group nor others
 * may read or write.  Returns the descriptor, or -errno (-EACCES: unsafe
 * mode, -EPERM: wrong owner, -EINVAL: not a regular file) with the reason
 * and the chmod/chown that fixes it in err, starting "<what> <path>".
 */
int ig_secret_open(const char *path, const char *what, char *err, size_t errlen);

/* Entries in a map (hash maps by batches, others by walking the keys;
 * key_size at most 64 bytes). */
long ig_map_count(int fd);

/*
 * Every entry of a (non-per-CPU) hash map, by batch lookups
 * (BPF_MAP_LOOKUP_BATCH): a few hundred system calls for a million entries,
 * where walking the keys takes two per entry.  fn gets each batch's n keys
 * and values, packed at key_size and value_size, and returns 0 or -errno
 * (which stops the walk).  Each entry is seen once; one inserted meanwhile
 * may be missed.  Returns the entries seen, -EOPNOTSUPP when the kernel has
 * no batch lookup for the map (walk it key by key), or -errno.
 */
typedef int (*ig_batch_fn)(const void *keys, const void *values, uint32_t n, void *ctx);
long ig_map_batch(int fd, size_t key_size, size_t value_size, ig_batch_fn fn, void *ctx);

/* Add one to a generation of the config map (fd; which: IG_GEN_MEMBERS or
 * IG_GEN_FWD), atomically, through its memory mapping: what the datapath
 * cached under the old one is stale.  0, or -1 with errno set. */
int ig_gen_bump(int fd, size_t which);

/* Store v in a runtime word of the config map (fd; which:
 * IG_CFG_POLICY_LOADED), atomically, through its mapping.  0, or -1 with
 * errno set. */
int ig_config_set(int fd, size_t which, __u32 v);

/* Write cfg into the config map (fd) through its mapping, all but the
 * runtime words (generations, policy_loaded), which keep their values;
 * abi_version last, so the datapath
 * never acts on a half-written record of a new version.  0, or -1 with
 * errno set. */
int ig_config_store(int fd, const struct ig_config *cfg);

/* p without leading and trailing white space (trailing removed in place). */
char *ig_str_trim(char *p);

/* Format helpers: IPv4 bytes -> "a.b.c.d", IPv6 bytes -> text. */
const char *ig_fmt_v4(const void *addr, char *buf, size_t len);
const char *ig_fmt_v6(const void *addr, char *buf, size_t len);

#endif /* IG_COMMON_H */
