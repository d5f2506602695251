/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * members.h - membership: sources, name resolution, the sync plan and its
 * application to the pinned maps (`members`, a hash of hosts, and
 * `member_nets`, an LPM trie of subnets).
 *
 * The steps, which every source (a membership file, the directory through
 * user/lib/directory.c) feeds; user/lib/msync.c runs them as `members sync`:
 *
 *   source  -> struct ig_msrc      (literal prefixes and host names)
 *   resolve -> struct ig_desired   (the wanted map content + names that
 *                                   did not resolve)
 *   read    -> struct ig_mset      (what the map holds now)
 *   plan    -> struct ig_plan      (pure: current + desired -> changes)
 *   apply   -> the map             (adds and updates first, then removes)
 *
 * Nothing before "apply" touches the kernel, so a bad source changes nothing.
 */
#ifndef IG_MEMBERS_H
#define IG_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "isagate.h"

#define IG_PREFIX_STRLEN 20          /* "255.255.255.255/32" + NUL */
#define IG_HOSTNAME_MAX  253

/* ---- sources ---------------------------------------------------------- */

enum ig_msrc_kind {
	IG_MSRC_PREFIX,              /* literal address (/32) or CIDR */
	IG_MSRC_NAME,                /* host name, resolved to its A records */
};

struct ig_msrc_item {
	enum ig_msrc_kind kind;
	struct ig_v4_lpm_key key;    /* IG_MSRC_PREFIX: host bits clear */
	char *name;                  /* IG_MSRC_NAME: lowercase, no trailing dot */
	__u32 flags;                 /* extra IG_MEMBER_F_* (e.g. DIRECTORY) */
	unsigned int line;           /* line in the source, 0 when none */
};

struct ig_msrc {
	struct ig_msrc_item *items;
	size_t n, cap;
};

void ig_msrc_free(struct ig_msrc *src);

/*
 * Parse one entry (comment and surrounding whitespace already removed):
 * an IPv4 address, an IPv4 CIDR or a host name.  Fills *item (item->name is
 * allocated for names).  Returns 0, or -EINVAL with the reason in err, or
 * -ENOMEM.
 */
int ig_member_parse_entry(const char *text, struct ig_msrc_item *item,
			  char *err, size_t errlen);

/* Append entries to a source (for sources other than files).  The name is
 * validated like a file entry; 0, -EINVAL (reason in err) or -ENOMEM. */
int ig_msrc_add_prefix(struct ig_msrc *src, const struct ig_v4_lpm_key *key,
		       __u32 flags, unsigned int line);
int ig_msrc_add_name(struct ig_msrc *src, const char *name, __u32 flags,
		     unsigned int line, char *err, size_t errlen);

/*
 * Parse a whole membership file: one entry per line, '#' comments, blank
 * lines.  fname is used in messages.  On a malformed line returns -EINVAL
 * with "FNAME:LINE: reason" in err; -errno on a read error.  src is only
 * appended to; the caller frees it in every case.
 */
int ig_msrc_parse_stream(struct ig_msrc *src, FILE *f, const char *fname,
			 char *err, size_t errlen);

/* ---- resolution ------------------------------------------------------- */

struct ig_addrs {
	__u8 (*a)[4];
	size_t n, cap;
	int sys_err;                 /* errno behind an EAI_SYSTEM answer */
};

/* Resolve name into out->a (appending).  Returns 0 or a non-zero code for
 * ig_resolve_strerror() (EAI_* for getaddrinfo); with EAI_SYSTEM, the
 * errno in out->sys_err. */
typedef int (*ig_resolve_fn)(void *ctx, const char *name, struct ig_addrs *out);

/* The system resolver: getaddrinfo(AF_INET), every A record. */
int ig_resolve_system(void *ctx, const char *name, struct ig_addrs *out);
const char *ig_resolve_strerror(int code);

/*
 * Is a resolver failure temporary (the name may well exist: EAI_AGAIN,
 * EAI_FAIL, EAI_MEMORY, EAI_SYSTEM with a timeout or another transient
 * errno), or an answer that the name has no address (EAI_NONAME,
 * EAI_NODATA, EAI_ADDRFAMILY, EAI_SYSTEM with any other errno)?  Only
 * temporary failures keep a name's addresses (fail-static).
 */
bool ig_resolve_transient(int code, int sys_err);

/*
 * Why a resolved address can never be a member, or NULL: not unicast
 * (0.0.0.0/8, 127.0.0.0/8, 224.0.0.0/4, 240.0.0.0/4 with the broadcast
 * address) or one of deny's addresses (the router's own and its peers').
 */
const char *ig_addr_rejected(const __u8 a[4], const struct ig_addrs *deny);

/*
 * A literal entry (an address or a CIDR) that is or covers one of deny's
 * addresses (the router's own and its peers'): the index of the first such
 * address, or -1.  deny may be NULL.
 */
long ig_prefix_denied(const struct ig_v4_lpm_key *key, const struct ig_addrs *deny);

/*
 * Resolve every name of a source once, `threads` lookups at a time (a
 * directory group of thousands of computers), before the pipeline runs;
 * ig_resolve_cached (ctx = the cache) then answers from it.  The cache
 * points at the source's names: free it before the source.  0 or -ENOMEM.
 */
struct ig_rcache_ent {
	const char *name;
	int code;
	struct ig_addrs addrs;
};

struct ig_rcache {
	struct ig_rcache_ent *e;     /* sorted by name */
	size_t n;
	ig_resolve_fn fn;            /* for names not in the cache */
	void *ctx;
};

int ig_rcache_fill(struct ig_rcache *c, const struct ig_msrc *src, ig_resolve_fn fn,
		   void *ctx, unsigned int threads);
int ig_resolve_cached(void *ctx, const char *name, struct ig_addrs *out);
void ig_rcache_free(struct ig_rcache *c);

/* FNV-1a 64 of a (lowercase) name: ig_member.name_hash. */
__u64 ig_name_hash(const char *name);

/* One map entry. */
struct ig_mentry {
	struct ig_v4_lpm_key key;
	struct ig_member val;
};

/* A set of entries; "sorted" means by address, then prefix length, no
 * duplicate keys (what ig_mset_sort() produces). */
struct ig_mset {
	struct ig_mentry *e;
	size_t n, cap;
};

int ig_mset_add(struct ig_mset *s, const struct ig_v4_lpm_key *key,
		const struct ig_member *val);
void ig_mset_sort(struct ig_mset *s);     /* sort; later duplicates dropped */
void ig_mset_free(struct ig_mset *s);
int ig_mentry_cmp(const void *a, const void *b);   /* key order */
const struct ig_mentry *ig_mset_find(const struct ig_mset *s,
				     const struct ig_v4_lpm_key *key);

struct ig_unres {
	char *name;
	__u64 hash;
	int code;                    /* resolver error */
	int sys_err;                 /* errno with EAI_SYSTEM */
	/* filled by ig_members_plan(): */
	size_t kept;                 /* addresses kept (fail-static, stale) */
	size_t removed;              /* addresses removed: no such name */
	size_t expired;              /* addresses removed: stale for too long */
	__u32 stale_since;           /* earliest stale time of the kept ones */
};

/* A resolved address that was refused (see ig_addr_rejected). */
struct ig_rejected {
	char *name;
	__u8 addr[4];
	const char *why;
};

struct ig_desired {
	struct ig_mset set;          /* sorted, since = 0 */
	struct ig_unres *unres;      /* names that did not resolve */
	size_t n_unres;
	struct ig_rejected *rej;     /* addresses refused, sorted by name and address */
	size_t n_rej;
};

/*
 * Turn a source into the wanted map content.  Literals win over names for
 * the same prefix; among names the first in the source wins.  Names that do
 * not resolve are listed in out->unres (fail-static is the plan's job).
 * Every address a name resolves to is checked with ig_addr_rejected(deny):
 * refused ones are left out and listed in out->rej (a name left with no
 * address is no member).  deny may be NULL.  Returns 0 or -ENOMEM.
 */
int ig_members_resolve_deny(const struct ig_msrc *src, ig_resolve_fn fn, void *ctx,
			    const struct ig_addrs *deny, struct ig_desired *out);
int ig_members_resolve(const struct ig_msrc *src, ig_resolve_fn fn, void *ctx,
		       struct ig_desired *out);
void ig_desired_free(struct ig_desired *d);

/* ---- plan ------------------------------------------------------------- */

struct ig_plan {
	struct ig_mset add;          /* new keys, since = now */
	struct ig_mset update;       /* existing keys whose value changes (since kept) */
	struct ig_mset remove;       /* keys to delete (old values, for reports) */
	struct ig_mset keep;         /* unchanged, including fail-static ones */
	struct ig_mset was;          /* old values of `update`, same order */
	struct ig_unres *unres;      /* copy of desired->unres with `kept` set */
	size_t n_unres;
};

/* How long a name may fail temporarily before its addresses go (s). */
#define IG_STALE_MAX_DEFAULT 86400u

/*
 * The pure diff: current map content (sorted) + desired -> plan, at time
 * now (unix seconds; injected, never read here).  Entries of the current
 * map whose name_hash belongs to a name that did not resolve are:
 *   - removed when the failure says the name has no address
 *     (!ig_resolve_transient): a scavenged DNS record ends the membership;
 *   - otherwise kept (fail-static) for at most stale_max seconds: the first
 *     time, the entry is updated to IG_MEMBER_F_STALE with since = now
 *     (while stale, `since` is when the name stopped resolving); once
 *     now - since >= stale_max it is removed.
 * A stale entry whose name resolves again is updated (flag cleared, since =
 * now).  Returns 0, -EINVAL when an input is not sorted, -ENOMEM.
 */
int ig_members_plan(const struct ig_mset *cur, const struct ig_desired *want,
		    __u32 now, __u32 stale_max, struct ig_plan *plan);
void ig_plan_free(struct ig_plan *plan);
static inline size_t ig_plan_changes(const struct ig_plan *p)
{
	return p->add.n + p->update.n + p->remove.n;
}

/*
 * The mass-removal guard: would the plan remove more than max_pct percent
 * of the cur_n entries the map holds now?  (Never with an empty map.)
 */
static inline bool ig_plan_exceeds(const struct ig_plan *p, size_t cur_n,
				   unsigned int max_pct)
{
	return cur_n && p->remove.n * 100 > (size_t)max_pct * cur_n;
}


/* ---- kernel ----------------------------------------------------------- */

/*
 * The two member maps (see include/isagate.h): host (/32) entries in the
 * "members" hash, subnet entries in the "member_nets" LPM trie.  Entries
 * everywhere else in this file are struct ig_v4_lpm_key (prefixlen 32 for
 * hosts); which map an entry lives in follows from its prefix length.
 */
struct ig_mmaps {
	int hosts;                  /* fd of "members" */
	int nets;                   /* fd of "member_nets" */
	int config;		    /* fd of "config": its member_gen is bumped after each change */
};

/* Open both maps (and config, their generation's home) pinned under pin_dir.  0, or -errno after printing what
 * to do (-ENOENT: isagate is not attached there). */
int ig_mmaps_open(const char *pin_dir, struct ig_mmaps *m);
void ig_mmaps_close(struct ig_mmaps *m);

/* The addresses of the pinned "routers" map (the router's own and its
 * peers'), appended to out: what no name may resolve to.  0 or -errno after
 * printing what to do. */
int ig_routers_read(const char *pin_dir, struct ig_addrs *out);

/* Read both member maps into out (sorted; host bits beyond the prefix length
 * cleared).  0 or -errno. */
int ig_members_read(const struct ig_mmaps *m, struct ig_mset *out);

/*
 * Apply a plan: adds and updates first, then removes, so entries present
 * before and after never disappear; then bump the maps' generation (each
 * CPU's member cache in the datapath starts over), also after a failure
 * that left some changes applied.  On failure returns -errno with what
 * happened (and how much was applied) in err.
 */
int ig_members_apply(const struct ig_mmaps *m, const struct ig_plan *plan, char *err,
		     size_t errlen);

/*
 * Managed neighbour entries for /32 members (see neigh.h): after a
 * successful apply, create them for the plan's added /32 entries whose route
 * leaves through v4_ifindex, and delete ours for removed /32 entries that
 * no remaining subnet member covers (m->nets is looked up for that).  Each
 * problem is printed as a warning naming the member and the cause; returns
 * how many there were.  *n_failed (when not NULL) gets how many added
 * members were left without a usable neighbour entry (encapsulation to
 * them is dropped).
 */
size_t ig_members_neigh(const struct ig_plan *plan, const struct ig_mmaps *m, int v4_ifindex,
			size_t *n_failed);

/* ---- formatting ------------------------------------------------------- */

const char *ig_prefix_fmt(const struct ig_v4_lpm_key *key, char *buf, size_t len);

#endif /* IG_MEMBERS_H */
