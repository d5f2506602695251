/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * explain.h - `isagate explain`: why a host gets no IPv6 through this
 * router, or why its conversations time out.  Everything is read from the
 * pinned maps and the kernel (routes, neighbours); nothing is sent and
 * nothing changes.  The findings are what the command prints (README,
 * "isagate explain").
 */
#ifndef IG_EXPLAIN_H
#define IG_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory.h"
#include "isagate.h"
#include "members.h"

enum ig_find_level {
	IG_FIND_OK = 0,            /* as it should be */
	IG_FIND_INFO,              /* context */
	IG_FIND_WARN,              /* admitted, but this goes wrong */
	IG_FIND_BAD,               /* this refuses the host or the packet */
};

/* One finding: section and key are stable (JSON), text and fix for people. */
struct ig_finding {
	const char *section;       /* "identity", "membership", "router_discovery",
				    * "refusals", "traffic", "neighbour", "mtu", "path" */
	const char *key;
	enum ig_find_level level;
	char text[320];
	char fix[320];             /* "" = nothing to do */
};

#define IG_EXPLAIN_MAX_FINDINGS 64

enum ig_explain_verdict {
	IG_EXPLAIN_WORKS = 0,      /* exit 0 */
	IG_EXPLAIN_DEGRADED,       /* admitted, something is wrong: exit 3 */
	IG_EXPLAIN_NOT_ADMITTED,   /* exit 7 */
};

#define IG_EXIT_NOT_ADMITTED 7

struct ig_explain_req {
	const char *host;          /* name, IPv4 address or ISATAP IPv6 address */
	bool have_to;              /* dry run towards to (and proto/port) */
	__u8 to[16];
	__u8 proto;                /* 0 = ICMPv6 echo */
	__u16 port;
	const struct ig_dir_settings *dir; /* [directory] to ask when the membership
				    * comes from it (nesting chain); NULL: none */
	ig_resolve_fn resolve;     /* NULL: the system's resolver */
	void *resolve_ctx;
};

struct ig_explain {
	__u8 v4[4];                /* the address explained */
	size_t n_addrs;            /* the name's addresses (1 for a literal) */
	bool member;
	struct ig_v4_lpm_key entry;  /* the member entry that admits it */
	struct ig_member entry_val;
	bool have_dir; /* the directory was asked: dir holds its answer */
	struct ig_dir_chain dir;
	enum ig_explain_verdict verdict;
	char verdict_text[400];
	struct ig_finding f[IG_EXPLAIN_MAX_FINDINGS];
	size_t n;
};

/*
 * Explain req->host using the maps under pin_dir (and the directory, see
 * req->dir).  0 with *out filled, freed with ig_explain_free();
 * -ENOENT nothing attached there; -EINVAL the host is not a name or an
 * address this router could explain (message in out->verdict_text);
 * other -errno (message printed).
 */
int ig_explain_run(const char *pin_dir, const struct ig_explain_req *req,
		   struct ig_explain *out);

void ig_explain_free(struct ig_explain *x);

const char *ig_find_level_name(enum ig_find_level l);

#endif /* IG_EXPLAIN_H */
