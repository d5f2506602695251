// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * explain.c - the findings of `isagate explain` (see explain.h), one step
 * per function: identity, membership, router discovery, refusals, traffic,
 * neighbour and MTU, then the dry run of a path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/neighbour.h>

#include <bpf/bpf.h>

#include "common.h"
#include "directory.h"
#include "explain.h"
#include "flows.h"
#include "metrics.h"
#include "neigh.h"
#include "policy.h"
#include "syncstate.h"

/* What every step reads once. */
struct ctx {
	const char *pin_dir;
	const struct ig_explain_req *req;
	struct ig_explain *x;
	struct ig_config cfg;
	__u8 prefixes[IG_MAX_PREFIXES][8];
	size_t n_prefixes;
	__u8 routers[IG_MAX_ROUTERS][4];   /* own addresses */
	size_t n_routers;
	char routers_txt[IG_MAX_ROUTERS * 17];
	uint64_t now_ns;
	struct ig_sync_state ss; /* the last members sync */
	bool have_ss;
	bool literal; /* HOST was an address, not a name */
};

void ig_explain_free(struct ig_explain *x)
{
	ig_dir_chain_free(&x->dir);
	x->have_dir = false;
}

const char *ig_find_level_name(enum ig_find_level l)
{
	static const char *const n[] = { "ok", "info", "warn", "bad" };

	return l <= IG_FIND_BAD ? n[l] : "?";
}

static void __attribute__((format(printf, 5, 6)))
add(struct ctx *c, const char *section, const char *key, enum ig_find_level level,
    const char *fmt, ...)
{
	struct ig_finding *f;
	va_list ap;

	if (c->x->n >= IG_EXPLAIN_MAX_FINDINGS)
		return;
	f = &c->x->f[c->x->n++];
	f->section = section;
	f->key = key;
	f->level = level;
	f->fix[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

/* The fix of the last finding. */
static void __attribute__((format(printf, 2, 3))) fix(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->x->n)
		return;
	va_start(ap, fmt);
	vsnprintf(c->x->f[c->x->n - 1].fix, sizeof(c->x->f[0].fix), fmt, ap);
	va_end(ap);
}

static const char *ago(const struct ctx *c, uint64_t ts_ns, char *buf, size_t len)
{
	uint64_t s = c->now_ns > ts_ns ? (c->now_ns - ts_ns) / 1000000000ull : 0;

	if (s < 120)
		snprintf(buf, len, "%llu s ago", (unsigned long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%llu min ago", (unsigned long long)(s / 60));
	else
		snprintf(buf, len, "%llu h ago", (unsigned long long)(s / 3600));
	return buf;
}

static int lookup_one(const char *pin_dir, const char *map, const void *key, void *val)
{
	int fd = ig_map_open(pin_dir, map), err = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, key, val))
		err = -errno;
	close(fd);
	return err;
}

/* config, prefixes and the router's own addresses. */
static int read_router(struct ctx *c)
{
	struct ig_prefix_key pk, pn;
	struct ig_v4_key rk, rn;
	struct ig_router rv;
	__u32 zero = 0;
	int fd, err;
	size_t i;

	err = lookup_one(c->pin_dir, IG_MAP_CONFIG, &zero, &c->cfg);
	if (err)
		return err;
	fd = ig_map_open(c->pin_dir, IG_MAP_PREFIXES);
	if (fd < 0)
		return fd;
	for (err = bpf_map_get_next_key(fd, NULL, &pn); !err && c->n_prefixes < IG_MAX_PREFIXES;
	     err = bpf_map_get_next_key(fd, &pk, &pn)) {
		memcpy(c->prefixes[c->n_prefixes++], pn.prefix, 8);
		pk = pn;
	}
	close(fd);
	fd = ig_map_open(c->pin_dir, IG_MAP_ROUTERS);
	if (fd < 0)
		return fd;
	for (err = bpf_map_get_next_key(fd, NULL, &rn); !err && c->n_routers < IG_MAX_ROUTERS;
	     err = bpf_map_get_next_key(fd, &rk, &rn)) {
		if (!bpf_map_lookup_elem(fd, &rn, &rv) && (rv.flags & IG_ROUTER_F_SELF))
			memcpy(c->routers[c->n_routers++], rn.addr, 4);
		rk = rn;
	}
	close(fd);
	for (i = 0; i < c->n_routers; i++) {
		char a[16];
		size_t l = strlen(c->routers_txt);

		snprintf(c->routers_txt + l, sizeof(c->routers_txt) - l, "%s%s", i ? ", " : "",
			 ig_fmt_v4(c->routers[i], a, sizeof(a)));
	}
	return 0;
}

/* HOST -> the IPv4 address to explain. */
static int identity(struct ctx *c)
{
	const char *h = c->req->host;
	struct in6_addr a6;
	struct in_addr a4;
	struct ig_addrs addrs = { 0 };
	char buf[INET6_ADDRSTRLEN], v4s[16];
	size_t i;
	int rc;

	c->literal = true;
	if (inet_pton(AF_INET, h, &a4) == 1) {
		memcpy(c->x->v4, &a4, 4);
		c->x->n_addrs = 1;
	} else if (inet_pton(AF_INET6, h, &a6) == 1) {
		if ((a6.s6_addr[8] & ~0x02) != 0 || a6.s6_addr[9] || a6.s6_addr[10] != 0x5e ||
		    a6.s6_addr[11] != 0xfe) {
			snprintf(c->x->verdict_text, sizeof(c->x->verdict_text),
				 "%s is not an ISATAP address (interface identifier "
				 "[0|200]:5efe:a.b.c.d)", h);
			return -EINVAL;
		}
		memcpy(c->x->v4, &a6.s6_addr[12], 4);
		c->x->n_addrs = 1;
	} else {
		c->literal = false;
		/* resolved as `members sync` resolves a name */
		rc = c->req->resolve ? c->req->resolve(c->req->resolve_ctx, h, &addrs)
				     : ig_resolve_system(NULL, h, &addrs);
		if (rc || !addrs.n) {
			snprintf(c->x->verdict_text, sizeof(c->x->verdict_text),
				 "%s does not resolve to an IPv4 address (%s): members sync "
				 "could not admit it either", h,
				 rc ? ig_resolve_strerror(rc) : "no address");
			free(addrs.a);
			return -EINVAL;
		}
		memcpy(c->x->v4, addrs.a[0], 4);
		c->x->n_addrs = addrs.n;
		for (i = 1; i < addrs.n; i++)
			add(c, "identity", "other_address", IG_FIND_INFO,
			    "%s also resolves to %s (explained: the first)", h,
			    ig_fmt_v4(addrs.a[i], v4s, sizeof(v4s)));
		free(addrs.a);
	}
	ig_fmt_v4(c->x->v4, v4s, sizeof(v4s));
	if (strcmp(h, v4s))
		add(c, "identity", "address", IG_FIND_INFO, "%s is %s", h, v4s);
	for (i = 0; i < c->n_prefixes; i++) {
		memset(&a6, 0, sizeof(a6));
		memcpy(a6.s6_addr, c->prefixes[i], 8);
		a6.s6_addr[10] = 0x5e;
		a6.s6_addr[11] = 0xfe;
		memcpy(&a6.s6_addr[12], c->x->v4, 4);
		add(c, "identity", "isatap_address", IG_FIND_INFO,
		    "its ISATAP address: %s (or with the u bit, ::200:5efe:%s)",
		    inet_ntop(AF_INET6, &a6, buf, sizeof(buf)), v4s);
	}
	return 0;
}

/* The line of the membership file that made entry e: "" when the last
 * applied sync read no file, or the file changed since. */
static void entry_line(const char *file, const struct ig_mentry *e, char *out, size_t len)
{
	struct ig_msrc src = { 0 };
	char err[256];
	FILE *f;
	size_t i;

	out[0] = '\0';
	if (!file[0] || !(f = fopen(file, "r")))
		return;
	if (!ig_msrc_parse_stream(&src, f, file, err, sizeof(err)))
		for (i = 0; i < src.n && !out[0]; i++) {
			const struct ig_msrc_item *it = &src.items[i];

			if (it->kind == IG_MSRC_NAME ? e->val.name_hash &&
						       ig_name_hash(it->name) == e->val.name_hash :
			    !e->val.name_hash && it->key.prefixlen == e->key.prefixlen &&
			    !memcmp(it->key.addr, e->key.addr, 4))
				snprintf(out, len, "%s:%u", file, it->line);
		}
	fclose(f);
	ig_msrc_free(&src);
}

/* Does the membership come from the directory (the last sync's source)? */
static bool from_directory(const struct ctx *c)
{
	return c->have_ss && c->ss.last_source == IG_SYNC_SRC_DIRECTORY;
}

/* The entry that admits v4: the host entry, else the longest subnet. */
static int membership(struct ctx *c)
{
	struct ig_mmaps mm;
	struct ig_mset set = { 0 };
	const struct ig_mentry *best = NULL;
	char p[32], when[64], line[IG_SYNC_FILE_LEN + 16] = "";
	uint32_t v = ntohl(*(uint32_t *)c->x->v4);
	size_t i;
	int err;

	err = ig_mmaps_open(c->pin_dir, &mm);
	if (err)
		return err;
	err = ig_members_read(&mm, &set);
	ig_mmaps_close(&mm);
	if (err)
		return err;
	c->have_ss = !ig_sync_state_read(c->pin_dir, &c->ss);
	for (i = 0; i < set.n; i++) {
		const struct ig_mentry *e = &set.e[i];
		uint32_t net = ntohl(*(const uint32_t *)e->key.addr);
		uint32_t mask = e->key.prefixlen ? ~0u << (32 - e->key.prefixlen) : 0;

		if ((v & mask) == (net & mask) && (!best || e->key.prefixlen > best->key.prefixlen))
			best = e;
	}
	if (best) {
		time_t t = (time_t)best->val.since;

		c->x->member = true;
		c->x->entry = best->key;
		c->x->entry_val = best->val;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
		if (c->have_ss && !(best->val.flags & IG_MEMBER_F_DIRECTORY))
			entry_line(c->ss.file, best, line, sizeof(line));
		add(c, "membership", "member", IG_FIND_OK, "member through the entry %s%s%s%s%s%s%s, "
		    "since %s", ig_prefix_fmt(&best->key, p, sizeof(p)),
		    best->val.name[0] ? " (name " : "", best->val.name,
		    best->val.name[0] ? ")" : "",
		    best->val.flags & IG_MEMBER_F_DIRECTORY ? " from the directory group" :
		    best->val.flags & IG_MEMBER_F_SUBNET ? " (a subnet entry)" : "",
		    line[0] ? " at " : "", line, when);
		if (best->val.flags & IG_MEMBER_F_STALE) {
			add(c, "membership", "stale", IG_FIND_WARN,
			    "its name stopped resolving: kept fail-static");
			fix(c, "check the host's DNS record; the entry goes when the name is gone");
		}
	} else {
		add(c, "membership", "not_member", IG_FIND_BAD,
		    "not a member: no entry of the membership covers %s",
		    ig_fmt_v4(c->x->v4, p, sizeof(p)));
		if (c->req->dir && c->req->dir->group && from_directory(c))
			fix(c,
			    "add the computer to the group '%s' (or a group nested in it) "
			    "and run 'isagate members sync --ldap'",
			    c->req->dir->group);
		else
			fix(c, "add the computer to the ISATAP security group (or the membership "
			       "file) and run 'isagate members sync'");
	}
	ig_mset_free(&set);
	if (c->have_ss && c->ss.last_run && c->ss.last_exit && c->ss.last_exit != IG_EXIT_PARTIAL)
		add(c, "membership", "sync_failing", IG_FIND_WARN,
		    "the last 'members sync' failed (exit %u): the membership may be out of date",
		    c->ss.last_exit);
	return 0;
}

/* "CN=inner,OU=Lab,..." -> "inner": the first RDN's value, for the chain
 * line (the JSON has the DNs in full). */
static const char *rdn_value(const char *dn, char *buf, size_t len)
{
	const char *v = strchr(dn, '=');
	size_t n;

	v = v ? v + 1 : dn;
	for (n = 0; v[n] && v[n] != ',' && n + 1 < len; n++)
		if (v[n] == '\\' && v[n + 1])
			n++;
	snprintf(buf, len, "%.*s", (int)n, v);
	return buf;
}

/* The verdict of the directory on the computer: the nesting chain that makes
 * it a member, or why it is not one. */
static void directory_findings(struct ctx *c, const char *host)
{
	const struct ig_dir_chain *d = &c->x->dir;
	const char *group = c->req->dir->group;
	char chain[256] = "", b[96];
	size_t i, l;

	for (i = 0; i < d->n_chain; i++) {
		l = strlen(chain);
		snprintf(chain + l, sizeof(chain) - l, "%s%s", i ? " > " : "",
			 rdn_value(d->chain[i], b, sizeof(b)));
	}
	if (!d->computer) {
		add(c, "membership", "directory_no_computer",
		    c->x->member ? IG_FIND_WARN : IG_FIND_INFO,
		    "the directory (%s) has no computer object with dNSHostName %s", d->server,
		    host);
		fix(c,
		    "join the computer to the domain (its dNSHostName must be %s) and add it to "
		    "the group '%s'",
		    host, group);
	} else if (d->n_chain && !d->disabled) {
		add(c, "membership", "directory_chain", c->x->member ? IG_FIND_OK : IG_FIND_WARN,
		    "in the directory group through %s (%zu level%s of nesting; %s)", chain,
		    d->n_chain - 2, d->n_chain == 3 ? "" : "s", d->server);
		if (!c->x->member)
			fix(c,
			    "the last sync has not admitted it: run 'isagate members sync --ldap' "
			    "and read its report (a name that does not resolve is not admitted)");
	} else if (d->n_chain) {
		add(c, "membership", "directory_disabled", IG_FIND_WARN,
		    "the computer account %s is disabled (in the group through %s): syncs skip "
		    "it",
		    d->computer, chain);
		fix(c, "enable the computer account, then 'isagate members sync --ldap'");
	} else {
		add(c, "membership", "directory_not_in_group",
		    c->x->member ? IG_FIND_WARN : IG_FIND_INFO,
		    "the computer %s is not in the group '%s', directly or nested", d->computer,
		    group);
		fix(c, c->x->member ? "the next 'isagate members sync --ldap' removes it"
				    : "add it to the group (or a group nested in it) and run "
				      "'isagate members "
				      "sync --ldap'");
	}
	if (d->n_computers > 1)
		add(c, "membership", "directory_duplicate", IG_FIND_INFO,
		    "%zu computer objects claim dNSHostName %s (explained: %s)", d->n_computers,
		    host, d->computer);
}

/* Ask the directory about the computer, when the membership comes from it. */
static void directory(struct ctx *c)
{
	const struct ig_member *m = &c->x->entry_val;
	const char *host = NULL;
	char err[512];

	if (!from_directory(c) || (c->x->member && !(m->flags & IG_MEMBER_F_DIRECTORY)))
		return;
	if (!c->literal)
		host = c->req->host;
	else if (c->x->member && m->name[0])
		host = m->name;
	if (!host) {
		if (!c->x->member)
			add(c, "membership", "directory_not_asked", IG_FIND_INFO,
			    "the membership comes from the directory: explain the host by its "
			    "name to see what the directory says about it");
		return;
	}
	if (!c->req->dir) {
		add(c, "membership", "directory_not_asked", IG_FIND_INFO,
		    "the membership comes from the directory: give --config FILE (its "
		    "[directory] section) to see the group nesting that admits %s",
		    host);
		return;
	}
	if (ig_dir_chain(c->req->dir, host, &c->x->dir, err, sizeof(err))) {
		add(c, "membership", "directory_error", IG_FIND_INFO,
		    "could not ask the directory: %s", err);
		return;
	}
	c->x->have_dir = true;
	directory_findings(c, host);
}

static void router_discovery(struct ctx *c, const struct ig_host_log *hl, bool have)
{
	char r[16], a[32];

	if (!have || !hl->rs_ns) {
		add(c, "router_discovery", "rs_never", c->x->member ? IG_FIND_WARN : IG_FIND_INFO,
		    "no router solicitation from it was seen: the host is not using this router");
		fix(c, "check the ISATAP router name: group policy 'ISATAP Router Name' must "
		       "resolve to one of: %s, and 'ISATAP State = Enabled'", c->routers_txt);
		return;
	}
	ig_fmt_v4(hl->rs_router, r, sizeof(r));
	ago(c, hl->rs_ns, a, sizeof(a));
	switch (hl->rs_reason) {
	case IG_RD_RA_SENT:
		add(c, "router_discovery", "rs_answered", IG_FIND_OK,
		    "last solicited %s (to %s), answered with a router advertisement "
		    "(%u solicitations seen)", a, r, hl->rs_count);
		break;
	case IG_RD_RATE_LIMITED:
		add(c, "router_discovery", "rs_rate_limited", IG_FIND_OK,
		    "last solicited %s (to %s): within the per-host rate limit, not answered "
		    "again (an earlier one was)", a, r);
		break;
	default:
		add(c, "router_discovery", "rs_refused", IG_FIND_BAD,
		    "last solicited %s (to %s), not answered: %s", a, r,
		    hl->rs_reason < IG_REASON_MAX ? ig_reason_text[hl->rs_reason] : "?");
		if (hl->rs_reason == IG_DROP_NOT_MEMBER)
			fix(c, "make it a member (above)");
		else if (hl->rs_reason == IG_DROP_SPOOF)
			fix(c, "its ISATAP address does not embed its IPv4 address: NAT between "
			       "the host and the router?");
	}
}

/* The policy rule that refused what hl recorded ("" when not the policy's). */
static void refused_by(struct ctx *c, const struct ig_host_log *hl, char *out, size_t len)
{
	struct ig_policy_view *pv;
	char rb[160];
	unsigned int i;

	out[0] = '\0';
	if (hl->refusal_reason != IG_DROP_POLICY && hl->refusal_reason != IG_POLICY_REJECT)
		return;
	pv = calloc(1, sizeof(*pv));
	if (pv && !ig_policy_view_read(c->pin_dir, pv) && pv->active) {
		i = ig_policy_match(&pv->pol, IG_PD_OUT, hl->refusal_proto, hl->refusal_port,
				    c->x->v4, hl->refusal_dst, false);
		if (i < pv->pol.n)
			snprintf(out, len, "; by rule %u '%s' (line %u)", i + 1,
				 ig_rule_fmt(&pv->pol.rules[i], rb, sizeof(rb)), pv->pol.line[i]);
		else
			snprintf(out, len, "; by the default (%s): no rule allows it",
				 ig_policy_action_name(pv->pol.default_action));
	}
	free(pv);
}

static void refusals(struct ctx *c, const struct ig_host_log *hl, bool have)
{
	char a[32], what[96] = "", rule[224], d[INET6_ADDRSTRLEN], pn[16];
	bool recent;

	if (!have || !hl->refusal_ns) {
		add(c, "refusals", "none", IG_FIND_OK, "no refusal recorded");
		return;
	}
	ago(c, hl->refusal_ns, a, sizeof(a));
	if (hl->refusal_proto)
		snprintf(what, sizeof(what), " (%s to %s %s %u)",
			 ig_proto_name(hl->refusal_proto, pn, sizeof(pn)),
			 ig_fmt_v6(hl->refusal_dst, d, sizeof(d)),
			 hl->refusal_proto == 58 ? "type" : "port", hl->refusal_port);
	refused_by(c, hl, rule, sizeof(rule));
	recent = c->now_ns - hl->refusal_ns < 600000000000ull;
	add(c, "refusals", ig_reason_key[hl->refusal_reason < IG_REASON_MAX ? hl->refusal_reason :
					 IG_DROP_INTERNAL],
	    c->x->member && recent ? IG_FIND_WARN : IG_FIND_INFO,
	    "last refusal %s%s: %s%s (%u recorded; 'isagate events' has each one)", a, what,
	    hl->refusal_reason < IG_REASON_MAX ? ig_reason_text[hl->refusal_reason] : "?", rule,
	    hl->refusals);
	if (rule[0])
		fix(c, "if the member should reach it: an 'allow out' rule in the policy file, "
		       "then 'isagate policy sync'");
}

/* Its conversations now; unanswered ones flagged. */
static void traffic(struct ctx *c)
{
	struct ig_flow_rec *recs = NULL;
	long n, i, mine = 0, unans = 0;
	char ra[INET6_ADDRSTRLEN], pn[16];
	int fd = ig_map_open(c->pin_dir, IG_MAP_FLOWS);

	if (fd < 0) {
		add(c, "traffic", "no_flow_table", IG_FIND_INFO,
		    "no flow table (attach --flows 0): conversations are not shown");
		return;
	}
	n = ig_flows_read(c->pin_dir, fd, &recs);
	close(fd);
	for (i = 0; i < n; i++) {
		const struct ig_flow_rec *r = &recs[i];

		if (memcmp(r->key.member, c->x->v4, 4))
			continue;
		mine++;
		if (!ig_flow_unanswered(r, IG_UNANSWERED_NS) || unans++ >= 8)
			continue;
		add(c, "traffic", "unanswered", IG_FIND_WARN,
		    "unanswered: %s %s port %u, %llu packets sent over %llu s, nothing came back",
		    ig_proto_name(r->key.proto, pn, sizeof(pn)),
		    ig_fmt_v6(r->key.remote_addr, ra, sizeof(ra)),
		    r->key.proto == 58 ? r->key.remote_port >> 8 : r->key.remote_port,
		    (unsigned long long)r->v.from_member.packets,
		    (unsigned long long)((r->v.last_ns - r->v.first_ns) / 1000000000ull));
		fix(c, "the remote host does not answer - on DirectAccess clients allow inbound "
		       "ICMPv6 echo, TCP 3389, 5985/5986 ... from the ISATAP prefix in Windows "
		       "Firewall");
	}
	free(recs);
	add(c, "traffic", "conversations", IG_FIND_INFO,
	    "%ld conversation(s) in the flow table, %ld unanswered", mine, unans);
}

/* The IPv4 neighbour the router reaches it through, and its tunnel MTU. */
static void neighbour_mtu(struct ctx *c)
{
	struct ig_member_mtu mt;
	struct ig_v4_key k;
	struct ig_nl *nl = ig_nl_open();
	unsigned char nh[4];
	unsigned int state;
	bool managed;
	char a[16], ifn[IF_NAMESIZE] = "?";
	int ifindex, err;

	if (!nl) {
		add(c, "neighbour", "unknown", IG_FIND_INFO, "cannot open rtnetlink: %s",
		    strerror(errno));
	} else if ((err = ig_neigh_nexthop(nl, c->x->v4, &ifindex, nh))) {
		add(c, "neighbour", "no_route", IG_FIND_BAD, "no IPv4 route to it: %s",
		    strerror(-err));
		fix(c, "add an IPv4 route to the host's network on the router");
	} else {
		if_indextoname((unsigned int)ifindex, ifn);
		ig_fmt_v4(nh, a, sizeof(a));
		err = ig_neigh_state(nl, ifindex, nh, &state, &managed);
		if (err || (state & (NUD_FAILED | NUD_INCOMPLETE)) || state == NUD_NONE) {
			add(c, "neighbour", "unresolved", c->x->member ? IG_FIND_WARN : IG_FIND_INFO,
			    "IPv4 next hop %s on %s %s%s: encapsulated packets to it are dropped "
			    "(drop_enc_no_neigh)", a, ifn, err ? "has no neighbour entry" : "is ",
			    err ? "" : ig_nud_name(state));
			fix(c, "is the host up? 'isagate members sync' makes members' entries "
			       "managed, 'isagate watch' those of hosts inside subnet members");
		} else {
			add(c, "neighbour", "resolved", IG_FIND_OK, "IPv4 next hop %s on %s: %s%s",
			    a, ifn, ig_nud_name(state), managed ? ", managed" : "");
		}
	}
	ig_nl_close(nl);
	memcpy(k.addr, c->x->v4, 4);
	if (!lookup_one(c->pin_dir, IG_MAP_MEMBER_MTU, &k, &mt))
		add(c, "mtu", "learned", IG_FIND_INFO, "tunnel MTU %u, learned from an IPv4 path "
		    "MTU of %u", mt.mtu, mt.path_mtu);
	else
		add(c, "mtu", "configured", IG_FIND_INFO, "tunnel MTU %u (%s)", c->cfg.tunnel_mtu,
		    c->cfg.flags & IG_CFG_F_DYNAMIC_MTU ? "dynamic, nothing learned" : "static");
}

static bool is_our_prefix(const struct ctx *c, const __u8 *a)
{
	size_t i;

	for (i = 0; i < c->n_prefixes; i++)
		if (!memcmp(a, c->prefixes[i], 8))
			return true;
	return false;
}

/* The destination rules of decapsulation (bpf/isatap.h), first refusal. */
static const char *dst_refusal(const struct ctx *c, const __u8 *d)
{
	bool isatap = (d[8] & ~0x02) == 0 && !d[9] && d[10] == 0x5e && d[11] == 0xfe;

	if (d[0] == 0xff || (d[0] == 0xfe && (d[1] & 0xc0) == 0x80))
		return "drop_dst_local";
	if (isatap && is_our_prefix(c, d))
		return "drop_loop";
	if (!(c->cfg.flags & IG_CFG_F_ALLOW_6TO4) && d[0] == 0x20 && d[1] == 0x02)
		return "drop_loop";
	return NULL;
}

/* The policy's verdict on a new connection from the member to "to". */
static bool path_policy(struct ctx *c, const __u8 *member_addr)
{
	struct ig_policy_view *pv = calloc(1, sizeof(*pv));
	const struct ig_rule *r;
	char rb[160], pp[32];
	__u8 proto = c->req->proto ? c->req->proto : 58;
	__u16 port = c->req->proto ? c->req->port : 128;
	unsigned int i;
	bool ok = true;

	(void)member_addr;
	snprintf(pp, sizeof(pp), c->req->proto ? "%s/%u" : "icmpv6 echo", c->req->proto == 6 ?
		 "tcp" : "udp", c->req->port);
	if (!pv || ig_policy_view_read(c->pin_dir, pv) || !pv->active) {
		add(c, "path", "policy", IG_FIND_OK, "policy: none loaded, %s is not filtered", pp);
		free(pv);
		return true;
	}
	i = ig_policy_match(&pv->pol, IG_PD_OUT, proto, port, c->x->v4, c->req->to, false);
	if (i < pv->pol.n) {
		r = &pv->pol.rules[i];
		ok = r->action == IG_PA_ALLOW;
		add(c, "path", "policy", ok ? IG_FIND_OK : IG_FIND_BAD,
		    "policy: %s matches rule %u '%s' (line %u): %s", pp, i + 1,
		    ig_rule_fmt(r, rb, sizeof(rb)), pv->pol.line[i], ig_policy_action_name(r->action));
	} else {
		ok = false;
		add(c, "path", "policy", IG_FIND_BAD, "policy: no rule matches %s: the default, %s",
		    pp, ig_policy_action_name(pv->pol.default_action));
	}
	if (!ok)
		fix(c, "add an 'allow out' rule for it to the policy file and run "
		       "'isagate policy sync'");
	free(pv);
	return ok;
}

/* A dry run of a member's packet to req->to, as the datapath takes it. */
static void path(struct ctx *c)
{
	struct ig_nl *nl;
	char to[INET6_ADDRSTRLEN], nh[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE] = "?";
	unsigned char gw[16];
	const char *why;
	bool via_gw;
	int ifindex, err;

	inet_ntop(AF_INET6, c->req->to, to, sizeof(to));
	if (!c->x->member) {
		add(c, "path", "admission", IG_FIND_BAD, "to %s: refused at admission "
		    "(drop_not_member)", to);
		return;
	}
	add(c, "path", "admission", IG_FIND_OK, "admission: member; inner source its ISATAP "
	    "address (RFC 5214 source check passes)");
	why = dst_refusal(c, c->req->to);
	if (why) {
		add(c, "path", "destination", IG_FIND_BAD, "to %s: refused (%s): link-local, "
		    "multicast, our own ISATAP link or 6to4", to, why);
		return;
	}
	if (!path_policy(c, NULL))
		return;
	nl = ig_nl_open();
	err = nl ? ig_route6(nl, c->req->to, &ifindex, gw, &via_gw) : -errno;
	ig_nl_close(nl);
	if (err) {
		add(c, "path", "route", IG_FIND_BAD, "route to %s: %s (%s)", to,
		    err == -EADDRINUSE ? "the router's own address" : strerror(-err),
		    "drop_no_route");
		fix(c, "add an IPv6 route to the remote prefix on the router "
		       "(for DirectAccess: the clients' prefixes via the DirectAccess server)");
		return;
	}
	if_indextoname((unsigned int)ifindex, ifn);
	add(c, "path", "route", IG_FIND_OK, "route to %s: via %s on %s%s", to,
	    inet_ntop(AF_INET6, gw, nh, sizeof(nh)), ifn, via_gw ? "" : " (on-link)");
	add(c, "path", "result", IG_FIND_OK, "would be forwarded (decapsulated to %s); the "
	    "answers come back encapsulated through the neighbour below", ifn);
}

/* The verdict names the first refusing finding, else the warning of the
 * most pressing section: what goes wrong now before what went wrong once. */
static void conclude(struct ctx *c)
{
	static const char *const order[] = { "path", "traffic", "neighbour", "router_discovery",
					     "membership", "refusals" };
	struct ig_explain *x = c->x;
	const struct ig_finding *bad = NULL, *warn = NULL;
	size_t i, k;

	for (i = 0; i < x->n && !bad; i++)
		if (x->f[i].level == IG_FIND_BAD)
			bad = &x->f[i];
	for (k = 0; k < sizeof(order) / sizeof(order[0]) && !warn; k++)
		for (i = 0; i < x->n && !warn; i++)
			if (x->f[i].level == IG_FIND_WARN && !strcmp(x->f[i].section, order[k]))
				warn = &x->f[i];
	if (!x->member) {
		x->verdict = IG_EXPLAIN_NOT_ADMITTED;
		snprintf(x->verdict_text, sizeof(x->verdict_text), "not admitted: %s",
			 bad ? bad->text : "not a member");
	} else if (bad || warn) {
		x->verdict = IG_EXPLAIN_DEGRADED;
		snprintf(x->verdict_text, sizeof(x->verdict_text), "admitted, but %s",
			 (bad ? bad : warn)->text);
	} else {
		x->verdict = IG_EXPLAIN_WORKS;
		snprintf(x->verdict_text, sizeof(x->verdict_text),
			 "works through this router");
	}
}

int ig_explain_run(const char *pin_dir, const struct ig_explain_req *req,
		   struct ig_explain *out)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct ig_host_log hl;
	struct ig_v4_key k;
	bool have_hl;
	int err;

	memset(out, 0, sizeof(*out));
	if (!c)
		return -ENOMEM;
	c->pin_dir = pin_dir;
	c->req = req;
	c->x = out;
	c->now_ns = ig_mono_now_ns();
	err = read_router(c);
	if (!err)
		err = identity(c);
	if (!err)
		err = membership(c);
	if (err)
		goto cleanup;
	directory(c);
	memcpy(k.addr, out->v4, 4);
	have_hl = lookup_one(pin_dir, IG_MAP_HOST_LOG, &k, &hl) == 0;
	router_discovery(c, &hl, have_hl);
	refusals(c, &hl, have_hl);
	if (out->member) {
		traffic(c);
		neighbour_mtu(c);
	}
	if (req->have_to)
		path(c);
	conclude(c);
cleanup:
	free(c);
	return err;
}
