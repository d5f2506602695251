/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fuzz_user.h - what the libFuzzer harnesses of the userspace parsers
 * (tests/fuzz/fuzz_*.c but fuzz_datapath.c) share: quiet messages, an input
 * as a file path, a fake resolver, and the invariant checks of the
 * membership pipeline (source -> desired -> plan).
 *
 * Nothing here touches the network or writes a file: inputs that need a
 * path go through a memfd (/proc/self/fd/N), names resolve by a hash.
 * A broken invariant prints what and aborts: libFuzzer saves the input.
 * FUZZ_VERBOSE=1 in the environment keeps isagate's own messages on stderr.
 */
#ifndef IG_FUZZ_USER_H
#define IG_FUZZ_USER_H

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "members.h"

#define FZ_CHECK(cond, ...)                                                     \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(fz_out, "INVARIANT %s:%d: %s: ", __FILE__, __LINE__, \
				#cond);                                         \
			fprintf(fz_out, __VA_ARGS__);                           \
			fputc('\n', fz_out);                                    \
			fflush(fz_out);                                         \
			abort();                                                \
		}                                                               \
	} while (0)

/* The real stderr, for invariant reports; isagate's messages (ig_err) go to
 * /dev/null unless FUZZ_VERBOSE is set.  Sanitizer reports write to fd 2
 * directly and are not affected. */
static FILE *fz_out;

static inline void fz_quiet(void)
{
	FILE *null;

	fz_out = stderr;
	if (getenv("FUZZ_VERBOSE"))
		return;
	null = fopen("/dev/null", "w");
	if (null)
		stderr = null;
}

/* Every harness: isagate's messages quiet (see fz_quiet). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_quiet();
	return 0;
}

/* ---- an input as a file: one memfd, rewritten for each input ---------- */

static int fz_memfd = -1;
static char fz_path[64];

static inline const char *fz_as_file(const uint8_t *data, size_t size)
{
	size_t off = 0;
	ssize_t n;

	if (fz_memfd < 0) {
		fz_memfd = memfd_create("isagate-fuzz", MFD_CLOEXEC);
		FZ_CHECK(fz_memfd >= 0, "memfd_create failed");
		snprintf(fz_path, sizeof(fz_path), "/proc/self/fd/%d", fz_memfd);
	}
	FZ_CHECK(!ftruncate(fz_memfd, 0), "ftruncate failed");
	while (off < size) {
		n = pwrite(fz_memfd, data + off, size - off, (off_t)off);
		FZ_CHECK(n > 0, "pwrite to the memfd failed");
		off += (size_t)n;
	}
	return fz_path;
}

/* A NUL-terminated copy of the input (malloc'd). */
static inline char *fz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FZ_CHECK(s, "out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* ---- fake resolver ------------------------------------------------------ */

/*
 * Deterministic and thread-safe: "hN.x" (0 <= N <= 255) -> 192.0.2.N, so a
 * seed can make a name collide with a literal (or, h1.x, with the router
 * address FZ_ROUTER); anything else by its hash: one in 7 does not exist,
 * one in 11 fails temporarily (one in 3 of those as EAI_SYSTEM with a
 * timeout), one in 13 has no A record, one in 17 answers with an address
 * that can never be a member next to a good one, the rest 1 to 3 addresses
 * in the documentation ranges.
 */
static inline int fz_push(struct ig_addrs *out, __u8 a, __u8 b, __u8 c, __u8 d)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 4;
		__u8 (*n)[4] = realloc(out->a, cap * sizeof(*n));

		if (!n)
			return EAI_MEMORY;
		out->a = n;
		out->cap = cap;
	}
	out->a[out->n][0] = a;
	out->a[out->n][1] = b;
	out->a[out->n][2] = c;
	out->a[out->n][3] = d;
	out->n++;
	return 0;
}

static inline int fz_resolve(void *ctx, const char *name, struct ig_addrs *out)
{
	unsigned int n, i, count;
	char tail;
	__u64 h;

	(void)ctx;
	if (sscanf(name, "h%u.x%c", &n, &tail) == 1 && n <= 255)
		return fz_push(out, 192, 0, 2, (__u8)n);
	h = ig_name_hash(name);
	if (h % 7 == 0)
		return EAI_NONAME;
	if (h % 11 == 0) {
		if (h % 3)
			return EAI_AGAIN;
		out->sys_err = ETIMEDOUT;
		return EAI_SYSTEM;
	}
	if (h % 13 == 0)
		return 0;
	if (h % 17 == 0) {
		static const __u8 bad[][4] = {
			{ 127, 0, 0, 1 }, { 0, 0, 0, 0 }, { 224, 0, 0, 251 },
			{ 255, 255, 255, 255 }, { 240, 1, 2, 3 }, { 192, 0, 2, 1 },
		};
		const __u8 *b = bad[(h >> 8) % (sizeof(bad) / sizeof(bad[0]))];

		if (fz_push(out, b[0], b[1], b[2], b[3]))
			return EAI_MEMORY;
		return fz_push(out, 203, 0, 113, (__u8)(h >> 16));
	}
	count = 1 + (unsigned int)(h >> 8) % 3;
	for (i = 0; i < count; i++) {
		__u8 last = (__u8)(h >> (16 + 8 * i));

		if (fz_push(out, i == 1 ? 198 : 203, i == 1 ? 51 : 0, i == 1 ? 100 : 113,
			    last))
			return EAI_MEMORY;
	}
	return 0;
}

/* ---- invariants of the membership pipeline ------------------------------ */

#define FZ_NOW 200000u               /* the plan's "now" */

static inline __u32 fz_v4(const __u8 a[4])
{
	return (__u32)a[0] << 24 | (__u32)a[1] << 16 | (__u32)a[2] << 8 | a[3];
}

static inline void fz_check_prefix(const struct ig_v4_lpm_key *k)
{
	__u32 mask = k->prefixlen ? ~0u << (32 - k->prefixlen) : 0;

	FZ_CHECK(k->prefixlen >= 1 && k->prefixlen <= 32, "prefix length %u", k->prefixlen);
	FZ_CHECK((fz_v4(k->addr) & ~mask) == 0, "host bits set in %u.%u.%u.%u/%u",
		 k->addr[0], k->addr[1], k->addr[2], k->addr[3], k->prefixlen);
}

/* A source item as the parser promises it. */
static inline void fz_check_item(const struct ig_msrc_item *it)
{
	char pfx[IG_PREFIX_STRLEN];
	size_t len, i, label = 0;

	if (it->kind == IG_MSRC_PREFIX) {
		fz_check_prefix(&it->key);
		FZ_CHECK(!it->name, "a prefix item with a name");
		/* no network wholly inside 0/8, 127/8 or 224/3 (a shorter one
		 * that covers one of them also holds unicast hosts) */
		FZ_CHECK((it->key.prefixlen < 8 || (it->key.addr[0] != 0 && it->key.addr[0] != 127)) &&
			 (it->key.prefixlen < 3 || it->key.addr[0] < 224),
			 "not unicast: %s", ig_prefix_fmt(&it->key, pfx, sizeof(pfx)));
		FZ_CHECK(strlen(ig_prefix_fmt(&it->key, pfx, sizeof(pfx))) < IG_PREFIX_STRLEN - 1,
			 "formatted prefix too long");
		return;
	}
	FZ_CHECK(it->kind == IG_MSRC_NAME && it->name, "item kind %d", it->kind);
	{
		struct in_addr in;

		/* getaddrinfo would answer a number itself (0x7f000001) */
		FZ_CHECK(!inet_aton(it->name, &in), "a number taken as a name: %s", it->name);
	}
	len = strlen(it->name);
	FZ_CHECK(len >= 1 && len <= IG_HOSTNAME_MAX, "name length %zu", len);
	FZ_CHECK(it->name[len - 1] != '.', "trailing dot kept: %s", it->name);
	for (i = 0; i <= len; i++) {
		char c = it->name[i];

		if (c == '.' || !c) {
			FZ_CHECK(label >= 1 && label <= 63, "label length %zu in %s", label,
				 it->name);
			FZ_CHECK(it->name[i - 1] != '-' && it->name[i - label] != '-',
				 "label starts or ends with '-': %s", it->name);
			label = 0;
			continue;
		}
		FZ_CHECK(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-' ||
			 c == '_', "byte 0x%02x in name %s", (unsigned char)c, it->name);
		label++;
	}
}

static inline void fz_check_sorted(const struct ig_mset *s, const char *what)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		fz_check_prefix(&s->e[i].key);
		FZ_CHECK(!i || ig_mentry_cmp(&s->e[i - 1], &s->e[i]) < 0,
			 "%s: entry %zu out of order or duplicate", what, i);
	}
}

/* The router's address as the harness's deny list: no name may resolve to it. */
static __u8 fz_router[1][4] = { { 192, 0, 2, 1 } };
static const struct ig_addrs fz_deny = { .a = fz_router, .n = 1, .cap = 1 };

/* The desired set the resolution made of a source. */
static inline void fz_check_desired(const struct ig_msrc *src, const struct ig_desired *want)
{
	size_t i, j;

	fz_check_sorted(&want->set, "desired");
	for (i = 0; i < want->n_rej; i++) {
		FZ_CHECK(want->rej[i].name && want->rej[i].why, "refused entry %zu", i);
		FZ_CHECK(ig_addr_rejected(want->rej[i].addr, &fz_deny), "refused for nothing");
		FZ_CHECK(!i || strcmp(want->rej[i - 1].name, want->rej[i].name) < 0 ||
			 (!strcmp(want->rej[i - 1].name, want->rej[i].name) &&
			  memcmp(want->rej[i - 1].addr, want->rej[i].addr, 4) < 0),
			 "refused entries out of order or twice");
	}
	for (i = 0; i < want->set.n; i++) {
		const struct ig_member *v = &want->set.e[i].val;

		if (v->flags & IG_MEMBER_F_NAME)
			FZ_CHECK(!ig_addr_rejected(want->set.e[i].key.addr, &fz_deny),
				 "a name admitted %u.%u.%u.%u", want->set.e[i].key.addr[0],
				 want->set.e[i].key.addr[1], want->set.e[i].key.addr[2],
				 want->set.e[i].key.addr[3]);

		FZ_CHECK(v->since == 0, "desired entry with a time");
		FZ_CHECK(!!(v->flags & IG_MEMBER_F_SUBNET) == (want->set.e[i].key.prefixlen < 32),
			 "subnet flag of entry %zu", i);
		if (v->flags & IG_MEMBER_F_NAME)
			FZ_CHECK(v->name_hash && memchr(v->name, '\0', sizeof(v->name)),
				 "named entry without hash or unterminated name");
		else
			FZ_CHECK(!v->name_hash && !v->name[0], "literal entry with a name");
	}
	/* every literal is there, as a literal (literals win over names) */
	for (i = 0; i < src->n; i++) {
		const struct ig_mentry *e;

		if (src->items[i].kind != IG_MSRC_PREFIX)
			continue;
		e = ig_mset_find(&want->set, &src->items[i].key);
		FZ_CHECK(e && !(e->val.flags & IG_MEMBER_F_NAME), "literal %zu missing or named", i);
	}
	for (i = 0; i < want->n_unres; i++) {
		FZ_CHECK(want->unres[i].name && want->unres[i].code, "unresolved entry %zu", i);
		FZ_CHECK(want->unres[i].hash == ig_name_hash(want->unres[i].name),
			 "unresolved hash of %s", want->unres[i].name);
		for (j = 0; j < i; j++)
			FZ_CHECK(want->unres[j].hash != want->unres[i].hash,
				 "%s listed twice as unresolved", want->unres[i].name);
	}
}

/*
 * A "current" map content derived from the desired one so that the plan
 * sees every case: kept entries, changed values, entries to remove, and
 * named entries whose name did not resolve this time (fail-static).
 */
static inline int fz_make_current(const struct ig_desired *want, const uint8_t *data,
				  size_t size, struct ig_mset *cur)
{
	static const struct ig_v4_lpm_key fixed[] = {
		{ .prefixlen = 32, .addr = { 192, 0, 2, 77 } },
		{ .prefixlen = 24, .addr = { 198, 51, 100, 0 } },
		{ .prefixlen = 32, .addr = { 203, 0, 113, 9 } },
	};
	struct ig_member v;
	size_t i;
	__u8 sel;

	memset(cur, 0, sizeof(*cur));
	for (i = 0; i < want->set.n; i++) {
		sel = size ? data[i % size] : 0;
		v = want->set.e[i].val;
		v.since = 1000 + (__u32)i;
		if (sel % 4 == 0)
			continue;                       /* not there yet: an add */
		if (sel % 4 == 1)
			v.flags ^= IG_MEMBER_F_DIRECTORY; /* changed: an update */
		if (ig_mset_add(cur, &want->set.e[i].key, &v))
			return -1;
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		memset(&v, 0, sizeof(v));
		v.since = 500;
		v.flags = fixed[i].prefixlen < 32 ? IG_MEMBER_F_SUBNET : 0;
		if (i < want->n_unres) {              /* held by a name that failed */
			sel = size ? data[(i * 7) % size] : 0;
			if (sel % 3) {                  /* already stale: kept or expired */
				v.flags |= IG_MEMBER_F_STALE;
				v.since = sel % 3 == 1 ? FZ_NOW - 10 : FZ_NOW - IG_STALE_MAX_DEFAULT;
			}
			v.flags |= IG_MEMBER_F_NAME;
			v.name_hash = want->unres[i].hash;
			snprintf(v.name, sizeof(v.name), "%s", want->unres[i].name);
		}
		if (ig_mset_add(cur, &fixed[i], &v))
			return -1;
	}
	ig_mset_sort(cur);
	return 0;
}

static inline const struct ig_unres *fz_unresolved(const struct ig_desired *want, __u64 h)
{
	size_t i;

	for (i = 0; h && i < want->n_unres; i++)
		if (want->unres[i].hash == h)
			return &want->unres[i];
	return NULL;
}

/* Would the plan keep this entry of a failed name (fail-static)? */
static inline bool fz_held(const struct ig_desired *want, const struct ig_member *v)
{
	const struct ig_unres *u = fz_unresolved(want, v->name_hash);

	if (!u || !ig_resolve_transient(u->code, u->sys_err))
		return false;
	return !(v->flags & IG_MEMBER_F_STALE) || FZ_NOW - v->since < IG_STALE_MAX_DEFAULT;
}

/* Every desired key in exactly one of add/update/keep, every current key in
 * exactly one of update/keep/remove, removals never held by a failed name. */
static inline void fz_check_plan(const struct ig_mset *cur, const struct ig_desired *want,
			  const struct ig_plan *p)
{
	size_t i, kept = 0;

	fz_check_sorted(&p->add, "add");
	fz_check_sorted(&p->update, "update");
	fz_check_sorted(&p->remove, "remove");
	fz_check_sorted(&p->keep, "keep");
	FZ_CHECK(p->was.n == p->update.n, "was %zu, update %zu", p->was.n, p->update.n);
	FZ_CHECK(p->n_unres == want->n_unres, "unresolved %zu vs %zu", p->n_unres,
		 want->n_unres);
	for (i = 0; i < want->set.n; i++) {
		const struct ig_v4_lpm_key *k = &want->set.e[i].key;
		int in = !!ig_mset_find(&p->add, k) + !!ig_mset_find(&p->update, k) +
			 !!ig_mset_find(&p->keep, k);

		FZ_CHECK(in == 1, "desired entry %zu in %d plan sets", i, in);
		FZ_CHECK(!ig_mset_find(&p->add, k) || !ig_mset_find(cur, k), "added but present");
	}
	for (i = 0; i < cur->n; i++) {
		const struct ig_v4_lpm_key *k = &cur->e[i].key;
		int in = !!ig_mset_find(&p->update, k) + !!ig_mset_find(&p->keep, k) +
			 !!ig_mset_find(&p->remove, k);

		FZ_CHECK(in == 1, "current entry %zu in %d plan sets", i, in);
		if (ig_mset_find(&p->remove, k))
			FZ_CHECK(!ig_mset_find(&want->set, k) && !fz_held(want, &cur->e[i].val),
				 "removing a wanted or fail-static entry");
		if (!ig_mset_find(&want->set, k)) {
			const struct ig_mentry *up = ig_mset_find(&p->update, k);

			FZ_CHECK(!!ig_mset_find(&p->remove, k) == !fz_held(want, &cur->e[i].val),
				 "entry %zu of a failed name: wrongly kept or removed", i);
			if (ig_mset_find(&p->keep, k))
				kept++;
			if (up) {                       /* marked stale now */
				FZ_CHECK((up->val.flags & IG_MEMBER_F_STALE) &&
					 !(cur->e[i].val.flags & IG_MEMBER_F_STALE) &&
					 up->val.since == FZ_NOW, "stale mark of entry %zu", i);
				kept++;
			}
		}
	}
	FZ_CHECK(p->add.n + p->update.n + p->keep.n - kept == want->set.n,
		 "plan sizes: add %zu update %zu keep %zu (held %zu) vs desired %zu", p->add.n,
		 p->update.n, p->keep.n, kept, want->set.n);
	for (i = 0; i < p->add.n; i++)
		FZ_CHECK(p->add.e[i].val.since == FZ_NOW, "added entry without the time");
	(void)ig_plan_exceeds(p, cur->n, 20);
}

/*
 * The membership pipeline after a source: resolve through the parallel
 * cache with the fake resolver, derive a current set, plan, check.
 */
static inline void fz_pipeline(const struct ig_msrc *src, const uint8_t *data, size_t size)
{
	struct ig_rcache rc;
	struct ig_desired want;
	struct ig_mset cur = { 0 };
	struct ig_plan plan;
	size_t i;

	for (i = 0; i < src->n; i++)
		fz_check_item(&src->items[i]);
	FZ_CHECK(!ig_rcache_fill(&rc, src, fz_resolve, NULL, 2), "ig_rcache_fill: out of memory");
	FZ_CHECK(!ig_members_resolve_deny(src, ig_resolve_cached, &rc, &fz_deny, &want),
		 "ig_members_resolve: out of memory");
	fz_check_desired(src, &want);
	FZ_CHECK(!fz_make_current(&want, data, size, &cur), "out of memory");
	FZ_CHECK(!ig_members_plan(&cur, &want, FZ_NOW, IG_STALE_MAX_DEFAULT, &plan), "ig_members_plan failed");
	fz_check_plan(&cur, &want, &plan);
	ig_plan_free(&plan);
	ig_mset_free(&cur);
	ig_desired_free(&want);
	ig_rcache_free(&rc);
}

#endif /* IG_FUZZ_USER_H */
