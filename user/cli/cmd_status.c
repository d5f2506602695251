// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_status.c - `isagate status [-j]`: what is attached where, the running
 * settings (read back from the pinned maps), the member count and the
 * counters by reason, summed over CPUs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "common.h"
#include "flowcache.h"
#include "opts.h"
#include "commands.h"
#include "loader.h"
#include "metrics.h"
#include "policy.h"
#include "ra.h"
#include "routemirror.h"

static const struct {
	const char *key, *text;
} reasons[IG_REASON_MAX] = {
#define IG_X_ROW(name, key, text) [IG_##name] = { key, text },
	IG_REASONS(IG_X_ROW)
#undef IG_X_ROW
};

struct router_row {
	struct ig_v4_key k;
	struct ig_router v;
};

struct prefix_row {
	struct ig_prefix_key k;
	struct ig_prefix v;
};

/* A learned member tunnel MTU (bpf/icmp4.h) still in force. */
struct mtu_row {
	struct ig_v4_key k;
	struct ig_member_mtu v;
	__u64 age_s;
};

struct status {
	char pin_dir[PATH_MAX];
	struct ig_link_state links[IG_MAX_LINK_PINS];
	int n_links;
	bool have_cfg;
	struct ig_config cfg;
	char v4dev[IF_NAMESIZE], v6dev[IF_NAMESIZE];
	struct router_row routers[IG_MAX_ROUTERS * 2];
	int n_routers;
	struct prefix_row prefixes[IG_MAX_PREFIXES * 2];
	int n_prefixes;
	int n_routes;               /* advertised routes (RFC 4191), -1 unknown */
	struct ig_ra_route routes[IG_RA_MAX_ROUTES];
	__u32 ra_len;               /* bytes of the RA template, 0 = none */
	long long members;          /* -1 unknown */
	bool have_stats;
	struct ig_counter counters[IG_REASON_MAX];
	bool have_neigh;            /* false: no neigh_req_stats map (older pins) */
	struct ig_neigh_req_stats neigh;
	struct mtu_row *mtus;       /* learned member MTUs, by address */
	int n_mtus;                 /* -1: no member_mtu map under the pin directory */
	__u32 v4_lower, v6_lower;   /* real device under a VLAN side, 0 = none */
	struct ig_policy_view policy;
	unsigned int fc_slots; /* flow cache slots per CPU, 0 = off */
	struct ig_fc_totals fc;
	bool have_rm; /* false: no route_state map (older pins) */
	struct ig_route_state rm;
	char warnings[8][256];
	int n_warnings;
};

/* clang-format off */
static void usage(FILE *f)
{
	fprintf(f,
"usage: isagate status [-j] [--all] [--pin-dir DIR]\n"
"\n"
"Show where the ISATAP router is attached, its settings, the number of\n"
"members and the packet counters by reason (summed over CPUs).\n"
"\n"
"  -j, --json         JSON output (stable snake_case keys)\n"
"  -a, --all          text output: also show counters that are zero\n"
"\n"
"Exit codes: 0 ok, 1 failed, 4 nothing attached under DIR.\n");
}
/* clang-format on */

static void warn(struct status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct status *st, const char *fmt, ...)
{
	va_list ap;

	if (st->n_warnings >= 8)
		return;
	va_start(ap, fmt);
	vsnprintf(st->warnings[st->n_warnings++], sizeof(st->warnings[0]), fmt, ap);
	va_end(ap);
}

static int cmp_router(const void *a, const void *b)
{
	const struct router_row *x = a, *y = b;

	return (x->v.index > y->v.index) - (x->v.index < y->v.index);
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct prefix_row *x = a, *y = b;

	return (x->v.index > y->v.index) - (x->v.index < y->v.index);
}

/* A link of ours is on a device of this namespace (so the config's
 * ifindexes name devices here too). */
static bool links_here(const struct status *st)
{
	int i;

	for (i = 0; i < st->n_links; i++)
		if (st->links[i].here)
			return true;
	return false;
}

/* IPv4 side first, then the IPv6 side, then anything else by name */
static const struct status *sort_st;

static int side_rank(unsigned int ifindex)
{
	if (sort_st->have_cfg && ifindex == sort_st->cfg.v4_ifindex)
		return 0;
	if (sort_st->have_cfg && ifindex == sort_st->cfg.v6_ifindex)
		return 1;
	return 2;
}

static int cmp_link(const void *a, const void *b)
{
	const struct ig_link_state *x = a, *y = b;
	int rx = side_rank(x->ifindex), ry = side_rank(y->ifindex);

	return rx != ry ? rx - ry : strcmp(x->ifname, y->ifname);
}

static int read_routers(struct status *st)
{
	struct ig_v4_key k, *prev = NULL;
	int fd = ig_map_open(st->pin_dir, IG_MAP_ROUTERS);
	int max = (int)(sizeof(st->routers) / sizeof(st->routers[0]));

	if (fd < 0)
		return -1;
	while (st->n_routers < max && bpf_map_get_next_key(fd, prev, &k) == 0) {
		struct router_row *r = &st->routers[st->n_routers];

		r->k = k;
		if (bpf_map_lookup_elem(fd, &k, &r->v) == 0)
			st->n_routers++;
		prev = &r->k;
	}
	close(fd);
	qsort(st->routers, (size_t)st->n_routers, sizeof(st->routers[0]), cmp_router);
	return 0;
}

static int read_prefixes(struct status *st)
{
	struct ig_prefix_key k, *prev = NULL;
	int fd = ig_map_open(st->pin_dir, IG_MAP_PREFIXES);
	int max = (int)(sizeof(st->prefixes) / sizeof(st->prefixes[0]));

	if (fd < 0)
		return -1;
	while (st->n_prefixes < max && bpf_map_get_next_key(fd, prev, &k) == 0) {
		struct prefix_row *r = &st->prefixes[st->n_prefixes];

		r->k = k;
		if (bpf_map_lookup_elem(fd, &k, &r->v) == 0)
			st->n_prefixes++;
		prev = &r->k;
	}
	close(fd);
	qsort(st->prefixes, (size_t)st->n_prefixes, sizeof(st->prefixes[0]), cmp_prefix);
	return 0;
}

/* The routes really advertised: decoded from the RA template the datapath sends. */
static int read_routes(struct status *st)
{
	struct ig_ra_template *t;
	__u32 zero = 0;
	int fd, n;

	st->n_routes = -1;
	fd = ig_map_open(st->pin_dir, IG_MAP_RA);
	if (fd < 0)
		return -1;
	t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		return -1;
	}
	if (bpf_map_lookup_elem(fd, &zero, t) == 0) {
		st->ra_len = t->len;
		n = t->len ? ig_ra_routes(t, st->routes, IG_RA_MAX_ROUTES) : 0;
		if (n < 0)
			warn(st, "the router advertisement template in %s/%s is malformed: "
			     "run 'isagate attach' again", st->pin_dir, IG_MAP_RA);
		else
			st->n_routes = n > IG_RA_MAX_ROUTES ? IG_RA_MAX_ROUTES : n;
	}
	free(t);
	close(fd);
	return 0;
}

/* Entries in one map (keys are at most an ig_v4_lpm_key). */
static int count_members(struct status *st)
{
	int hfd = ig_map_open(st->pin_dir, IG_MAP_MEMBERS), nfd;

	st->members = -1;
	if (hfd < 0)
		return -1;
	nfd = ig_map_open(st->pin_dir, IG_MAP_MEMBER_NETS);
	if (nfd < 0) {
		close(hfd);
		return -1;
	}
	st->members = (int)(ig_map_count(hfd) + ig_map_count(nfd));
	close(hfd);
	close(nfd);
	return 0;
}

static int cmp_mtu(const void *a, const void *b)
{
	const struct mtu_row *x = a, *y = b;

	return memcmp(x->k.addr, y->k.addr, sizeof(x->k.addr));
}

/* The unexpired entries of member_mtu (the datapath ignores the others). */
static int read_member_mtus(struct status *st)
{
	char path[PATH_MAX + 64];
	struct ig_v4_key k, *prev = NULL;
	struct timespec ts;
	__u64 now;
	int fd;

	st->n_mtus = -1;
	snprintf(path, sizeof(path), "%s/%s", st->pin_dir, IG_MAP_MEMBER_MTU);
	if (access(path, F_OK)) {
		warn(st, "no %s map under %s (pinned by an older isagate): run 'isagate attach' "
		     "again to learn member MTUs", IG_MAP_MEMBER_MTU, st->pin_dir);
		return 0;
	}
	fd = ig_map_open(st->pin_dir, IG_MAP_MEMBER_MTU);
	if (fd < 0)
		return -1;
	st->mtus = calloc(IG_MAX_MEMBER_MTU, sizeof(*st->mtus));
	if (!st->mtus) {
		ig_err("out of memory");
		close(fd);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	st->n_mtus = 0;
	while (st->n_mtus < IG_MAX_MEMBER_MTU && bpf_map_get_next_key(fd, prev, &k) == 0) {
		struct mtu_row *r = &st->mtus[st->n_mtus];

		r->k = k;
		prev = &r->k;
		if (bpf_map_lookup_elem(fd, &k, &r->v))
			continue;
		r->age_s = now > r->v.learned_ns ? (now - r->v.learned_ns) / 1000000000ull : 0;
		if (r->age_s < IG_MEMBER_MTU_EXPIRE_S)
			st->n_mtus++;
	}
	close(fd);
	qsort(st->mtus, (size_t)st->n_mtus, sizeof(st->mtus[0]), cmp_mtu);
	return 0;
}

static int read_counters(struct status *st)
{
	int fd = ig_map_open(st->pin_dir, IG_MAP_STATS), rc;

	if (fd < 0)
		return -1;
	rc = ig_stats_sum(fd, st->counters);
	close(fd);
	if (rc)
		return -1;
	st->have_stats = true;
	st->have_neigh = ig_neigh_req_read(st->pin_dir, &st->neigh) == 0;
	return 0;
}

/* The flow cache's size and totals; a spill means the folding fell behind. */
static void read_flow_cache(struct status *st)
{
	if (ig_fc_totals_pinned(st->pin_dir, &st->fc, &st->fc_slots) <= 0)
		return;
	if (st->fc.spilled_packets)
		warn(st,
		     "flow cache: %llu packets spilled into the flow table for a full log "
		     "(exact, at the table's cost): is isagate watch running and keeping up?",
		     (unsigned long long)st->fc.spilled_packets);
}

static void check_sysctls(struct status *st)
{
	struct ig_sysctl sc[4];
	int n, i;

	if (!st->v4dev[0] && !st->v6dev[0])
		return;
	n = ig_forwarding_sysctls(st->v4dev, st->v6dev, sc);
	for (i = 0; i < n; i++)
		if (sc[i].value != 1)
			warn(st, "%s is %d: the datapath cannot forward (counted as drop_fwd_disabled); "
			     "set it to 1 or run 'isagate attach' without --no-sysctl",
			     sc[i].name, sc[i].value);
}

static int gather(struct status *st)
{
	__u32 key = 0;
	int fd, i;

	st->n_links = ig_loader_links(st->pin_dir, st->links, IG_MAX_LINK_PINS);
	if (st->n_links < 0)
		return ig_exit_code(st->n_links);

	fd = ig_map_open(st->pin_dir, IG_MAP_CONFIG);
	if (fd < 0)
		return ig_exit_pins(fd);
	if (bpf_map_lookup_elem(fd, &key, &st->cfg) == 0 && st->cfg.abi_version)
		st->have_cfg = true;
	close(fd);
	if (st->have_cfg && st->cfg.abi_version != ISAGATE_ABI_VERSION)
		warn(st, "config abi_version %u differs from this isagate's %d: run 'isagate detach' "
		     "and attach again", st->cfg.abi_version, ISAGATE_ABI_VERSION);
	if (!st->have_cfg)
		warn(st, "no settings written yet: run 'isagate attach'");
	/* a VLAN side's XDP link is on the real device under it */
	fd = st->have_cfg && (st->cfg.flags & IG_CFG_F_VLAN) ?
	     ig_map_open(st->pin_dir, IG_MAP_VLAN_OUT) : -1;
	if (fd >= 0) {
		struct ig_vlan_port vp;

		if (!bpf_map_lookup_elem(fd, &st->cfg.v4_ifindex, &vp))
			st->v4_lower = vp.lower_ifindex;
		if (!bpf_map_lookup_elem(fd, &st->cfg.v6_ifindex, &vp))
			st->v6_lower = vp.lower_ifindex;
		close(fd);
	}
	if (!st->n_links)
		warn(st, "not attached to any interface: the maps are pinned but no XDP link is; "
		     "run 'isagate attach'");
	for (i = 0; i < st->n_links; i++) {
		if (!st->links[i].ifindex)
			warn(st, "%s: the device is gone, its XDP link is defunct: run 'isagate attach'",
			     st->links[i].ifname);
		else if (!st->links[i].here)
			warn(st, "%s: ifindex %u is not in this network namespace "
			     "(run status in the router's namespace)",
			     st->links[i].ifname, st->links[i].ifindex);
		else if (strcmp(st->links[i].curname, st->links[i].ifname))
			warn(st, "%s was renamed to %s: run 'isagate attach' with the new name",
			     st->links[i].ifname, st->links[i].curname);
	}
	/* device names (and their sysctls) only from links running here: from
	 * another namespace the config's ifindexes name unrelated devices */
	for (i = 0; st->have_cfg && i < st->n_links; i++) {
		const struct ig_link_state *l = &st->links[i];

		if (!l->here)
			continue;
		if (l->ifindex == st->cfg.v4_ifindex)
			memcpy(st->v4dev, l->curname, sizeof(st->v4dev));
		if (l->ifindex == st->cfg.v6_ifindex)
			memcpy(st->v6dev, l->curname, sizeof(st->v6dev));
	}
	/* a VLAN side has no link of its own (XDP runs on the device under it) */
	if (st->have_cfg && links_here(st)) {
		if (!st->v4dev[0] && !if_indextoname(st->cfg.v4_ifindex, st->v4dev))
			st->v4dev[0] = '\0';
		if (!st->v6dev[0] && !if_indextoname(st->cfg.v6_ifindex, st->v6dev))
			st->v6dev[0] = '\0';
	}
	check_sysctls(st);
	read_flow_cache(st);
	st->have_rm = ig_rmirror_state(st->pin_dir, &st->rm) == 0;
	sort_st = st;
	qsort(st->links, (size_t)st->n_links, sizeof(st->links[0]), cmp_link);
	if (read_routers(st) || read_prefixes(st) || read_routes(st) || count_members(st) ||
	    read_counters(st) || read_member_mtus(st) || ig_policy_view_read(st->pin_dir, &st->policy))
		return IG_EXIT_FAIL;
	return 0;
}

/* ---- output ------------------------------------------------------------------ */

static const char *side_of(const struct status *st, unsigned int ifindex)
{
	bool v4 = st->have_cfg && (ifindex == st->cfg.v4_ifindex || ifindex == st->v4_lower);
	bool v6 = st->have_cfg && (ifindex == st->cfg.v6_ifindex || ifindex == st->v6_lower);

	return v4 && v6 ? "ipv4+ipv6" : v4 ? "ipv4" : v6 ? "ipv6" : "unused";
}

static const char *fmt_prefix(const struct ig_prefix_key *k, char *buf, size_t len)
{
	unsigned char a[16] = { 0 };
	size_t n;

	memcpy(a, k->prefix, 8);
	ig_fmt_v6(a, buf, len - 4);
	n = strlen(buf);
	snprintf(buf + n, len - n, "/64");
	return buf;
}

static const char *fmt_route(const struct ig_ra_route *r, char *buf, size_t len)
{
	size_t n;

	ig_fmt_v6(&r->prefix, buf, len - 5);
	n = strlen(buf);
	snprintf(buf + n, len - n, "/%u", r->plen);
	return buf;
}

static const char *pref_name(const struct ig_ra_route *r)
{
	const char *n = ig_route_pref_name(r->pref);

	return n ? n : "reserved";
}

static const char *fmt_lifetime(__u32 v, char *buf, size_t len)
{
	if (v == 0xffffffffu)
		snprintf(buf, len, "infinity");
	else
		snprintf(buf, len, "%u s", v);
	return buf;
}

static void text_links(const struct status *st)
{
	int i;

	printf("interfaces:\n");
	if (!st->n_links)
		printf("  (none)\n");
	for (i = 0; i < st->n_links; i++) {
		const struct ig_link_state *l = &st->links[i];

		printf("  %-15s ifindex %-4u %-8s prog %-6u link %-6u side %s\n", l->ifname,
		       l->ifindex, l->mode, l->prog_id, l->link_id,
		       l->here ? side_of(st, l->ifindex) : "?");
	}
}

/* The routers, prefixes and routes the router advertises. */
static void text_addresses(const struct status *st)
{
	const struct ig_config *c = &st->cfg;
	char a[INET6_ADDRSTRLEN + 8], b[32], d[32];
	int i;

	for (i = 0; i < st->n_routers; i++) {
		const struct router_row *r = &st->routers[i];
		bool self = r->v.flags & IG_ROUTER_F_SELF;

		printf("  %-15s %s%s\n", self ? "router" : "peer-router",
		       ig_fmt_v4(r->k.addr, a, sizeof(a)),
		       self && st->have_cfg && !memcmp(r->k.addr, c->encap_src, 4) ? " (encap source)"
										   : "");
	}
	for (i = 0; i < st->n_prefixes; i++) {
		const struct prefix_row *p = &st->prefixes[i];

		printf("  prefix          %s (valid %s, preferred %s%s)\n",
		       fmt_prefix(&p->k, a, sizeof(a)), fmt_lifetime(p->v.valid_lifetime, b, sizeof(b)),
		       fmt_lifetime(p->v.preferred_lifetime, d, sizeof(d)),
		       p->v.flags & IG_PREFIX_F_ONLINK ? ", on-link" : "");
	}
	for (i = 0; i < st->n_routes; i++) {
		const struct ig_ra_route *r = &st->routes[i];

		printf("  route           %s (preference %s, lifetime %s)\n",
		       fmt_route(r, a, sizeof(a)), pref_name(r), fmt_lifetime(r->lifetime, b, sizeof(b)));
	}
}

/* The tunnel, RA, ICMP, forwarding and quota settings of the config map. */
static void text_config(const struct ig_config *c, unsigned int fc_slots)
{
	printf("  tunnel          ttl %u, mtu %u (%s)\n", c->ttl, c->tunnel_mtu,
	       c->flags & IG_CFG_F_DYNAMIC_MTU ? "dynamic, DF set" : "static, DF clear");
	printf("  ra              router lifetime %u s, hop limit %u, mtu %u, reachable %u ms, "
	       "retrans %u ms, min interval %u ms%s\n",
	       c->ra_router_lifetime, c->ra_hop_limit, c->ra_mtu, c->ra_reachable_ms,
	       c->ra_retrans_ms, c->ra_min_interval_ms,
	       c->flags & IG_CFG_F_NO_RD ? " (router discovery off)" : "");
	if (!c->ra_router_lifetime)
		printf("                  not a default router (lifetime 0): hosts use it for "
		       "the routes above only\n");
	printf("  icmp            min interval %u ms\n", c->icmp_min_interval_ms);
	printf("  forwarding      cache %u ms%s\n", c->fwd_cache_ms,
	       c->fwd_cache_ms ? "" : " (off: a FIB lookup per packet)");
	if (fc_slots)
		printf("  flow cache      %u slots per CPU\n", fc_slots);
	else
		printf("  flow cache      off (accounting in the flow table)\n");
	if (c->quota_flows || c->quota_conns)
		printf("  source quota    %u flows, %u connections per source and minute\n",
		       c->quota_flows, c->quota_conns);
	else
		printf("  source quota    off\n");
}

/* One family of the route mirror: "on (N routes)" or "off (why)". */
static void text_rm_family(const char *name, bool on, unsigned int off, __u32 routes)
{
	if (on)
		printf("%s on (%u routes)", name, routes);
	else
		printf("%s off (%s)", name, ig_route_off_name(off));
}

static void text_route_mirror(const struct status *st)
{
	const struct ig_route_state *r = &st->rm;

	if (!st->have_rm)
		return;
	printf("  route mirror    ");
	text_rm_family("ipv4", r->families & IG_ROUTE_F_V4, r->off4, r->routes4);
	text_rm_family(", ipv6", r->families & IG_ROUTE_F_V6, r->off6, r->routes6);
	printf(", %u next hops\n", r->families ? r->nexthops : 0);
}

static void text_settings(const struct status *st)
{
	printf("settings:\n");
	if (st->have_cfg) {
		printf("  ipv4-dev        %s (ifindex %u)\n", st->v4dev[0] ? st->v4dev : "?",
		       st->cfg.v4_ifindex);
		printf("  ipv6-dev        %s (ifindex %u)\n", st->v6dev[0] ? st->v6dev : "?",
		       st->cfg.v6_ifindex);
	}
	text_addresses(st);
	if (st->have_cfg)
		text_config(&st->cfg, st->fc_slots);
	text_route_mirror(st);
}

/* Members, the policy, learned tunnel MTUs and neighbour requests. */
static void text_state(const struct status *st)
{
	char a[INET_ADDRSTRLEN];
	int i;

	printf("members: %lld\n", st->members);
	if (st->policy.active)
		printf("policy: %u rules, default %s, generation %u; %ld connections tracked "
		       "('isagate policy list')\n", st->policy.pol.n,
		       ig_policy_action_name(st->policy.pol.default_action), st->policy.gen,
		       st->policy.conns);
	else if (st->policy.present)
		printf("policy: none loaded (members may open anything)\n");
	if (st->n_mtus > 0 || (st->have_cfg && (st->cfg.flags & IG_CFG_F_DYNAMIC_MTU))) {
		printf("member tunnel MTUs (learned from ICMPv4 fragmentation needed, kept %d s):\n",
		       IG_MEMBER_MTU_EXPIRE_S);
		if (st->n_mtus <= 0)
			printf("  (none)\n");
	}
	for (i = 0; i < st->n_mtus; i++) {
		const struct mtu_row *m = &st->mtus[i];

		printf("  %-15s mtu %u (IPv4 path %u%s%s), learned %llu s ago\n",
		       ig_fmt_v4(m->k.addr, a, sizeof(a)), m->v.mtu, m->v.path_mtu,
		       m->v.flags & IG_MTU_F_PLATEAU ? ", estimated" : "",
		       m->v.flags & IG_MTU_F_NO_DF ? ", DF clear" : "",
		       (unsigned long long)m->age_s);
	}
	if (st->have_neigh)
		printf("neighbour requests: sent %llu, suppressed %llu, lost %llu%s\n",
		       (unsigned long long)st->neigh.requests,
		       (unsigned long long)st->neigh.suppressed, (unsigned long long)st->neigh.lost,
		       st->neigh.lost ? " (lost: is 'isagate watch' running?)" : "");
}

static void text_counters(const struct status *st, bool all)
{
	int i, shown = 0;

	printf("counters:%s\n", all ? "" : " (non-zero; --all shows every reason)");
	for (i = 0; i < IG_REASON_MAX; i++) {
		if (!all && !st->counters[i].packets)
			continue;
		printf("  %-20s %12llu pkts %14llu bytes  %s\n", reasons[i].key,
		       (unsigned long long)st->counters[i].packets,
		       (unsigned long long)st->counters[i].bytes, reasons[i].text);
		shown++;
	}
	if (!shown)
		printf("  (all zero)\n");
}

static void print_text(const struct status *st, bool all)
{
	int i;

	printf("isagate %s, pins under %s\n", ISAGATE_VERSION, st->pin_dir);
	text_links(st);
	text_settings(st);
	text_state(st);
	text_counters(st, all);
	for (i = 0; i < st->n_warnings; i++)
		ig_err("warning: %s", st->warnings[i]);
}

static void jadd(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static json_object *jint(int64_t v)
{
	return json_object_new_int64(v);
}

static json_object *links_json(const struct status *st)
{
	json_object *arr = json_object_new_array(), *o;
	int i;

	for (i = 0; i < st->n_links; i++) {
		const struct ig_link_state *l = &st->links[i];

		o = json_object_new_object();
		jadd(o, "ifname", jstr(l->ifname));
		jadd(o, "ifindex", jint(l->ifindex));
		jadd(o, "mode", jstr(l->mode));
		jadd(o, "prog_id", jint(l->prog_id));
		jadd(o, "link_id", jint(l->link_id));
		jadd(o, "side", jstr(l->here ? side_of(st, l->ifindex) : "unknown"));
		jadd(o, "in_netns", json_object_new_boolean(l->here));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *routers_json(const struct status *st)
{
	json_object *arr = json_object_new_array(), *o;
	char a[INET_ADDRSTRLEN];
	int i;

	for (i = 0; i < st->n_routers; i++) {
		const struct router_row *r = &st->routers[i];

		o = json_object_new_object();
		jadd(o, "address", jstr(ig_fmt_v4(r->k.addr, a, sizeof(a))));
		jadd(o, "role", jstr(r->v.flags & IG_ROUTER_F_SELF ? "self" :
				     r->v.flags & IG_ROUTER_F_PEER ? "peer" : "unknown"));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *prefixes_json(const struct status *st)
{
	json_object *arr = json_object_new_array(), *o;
	char a[INET6_ADDRSTRLEN + 8];
	int i;

	for (i = 0; i < st->n_prefixes; i++) {
		const struct prefix_row *p = &st->prefixes[i];

		o = json_object_new_object();
		jadd(o, "prefix", jstr(fmt_prefix(&p->k, a, sizeof(a))));
		jadd(o, "valid_lifetime", jint(p->v.valid_lifetime));
		jadd(o, "preferred_lifetime", jint(p->v.preferred_lifetime));
		jadd(o, "onlink", json_object_new_boolean(p->v.flags & IG_PREFIX_F_ONLINK));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *ra_json(const struct status *st)
{
	const struct ig_config *c = &st->cfg;
	json_object *ra = json_object_new_object(), *arr, *o;
	char a[INET6_ADDRSTRLEN + 8];
	int i;

	jadd(ra, "enabled", json_object_new_boolean(!(c->flags & IG_CFG_F_NO_RD)));
	jadd(ra, "router_lifetime", jint(c->ra_router_lifetime));
	jadd(ra, "hop_limit", jint(c->ra_hop_limit));
	jadd(ra, "mtu", jint(c->ra_mtu));
	jadd(ra, "reachable_ms", jint(c->ra_reachable_ms));
	jadd(ra, "retrans_ms", jint(c->ra_retrans_ms));
	jadd(ra, "min_interval_ms", jint(c->ra_min_interval_ms));
	jadd(ra, "default_router", json_object_new_boolean(c->ra_router_lifetime != 0));
	jadd(ra, "length", jint(st->ra_len));
	if (st->n_routes < 0)
		return ra;
	arr = json_object_new_array();
	for (i = 0; i < st->n_routes; i++) {
		const struct ig_ra_route *r = &st->routes[i];

		o = json_object_new_object();
		jadd(o, "prefix", jstr(fmt_route(r, a, sizeof(a))));
		jadd(o, "preference", jstr(pref_name(r)));
		jadd(o, "lifetime", jint(r->lifetime));
		json_object_array_add(arr, o);
	}
	jadd(ra, "routes", arr);
	return ra;
}

/* "settings": what the datapath runs with (the config map and its tables). */
static json_object *settings_json(const struct status *st)
{
	const struct ig_config *c = &st->cfg;
	json_object *set = json_object_new_object();
	char a[INET_ADDRSTRLEN];

	if (st->have_cfg) {
		jadd(set, "ipv4_dev", st->v4dev[0] ? jstr(st->v4dev) : NULL);
		jadd(set, "ipv4_ifindex", jint(c->v4_ifindex));
		jadd(set, "ipv6_dev", st->v6dev[0] ? jstr(st->v6dev) : NULL);
		jadd(set, "ipv6_ifindex", jint(c->v6_ifindex));
		jadd(set, "encap_src", jstr(ig_fmt_v4(c->encap_src, a, sizeof(a))));
	}
	jadd(set, "routers", routers_json(st));
	jadd(set, "prefixes", prefixes_json(st));
	if (!st->have_cfg)
		return set;
	jadd(set, "ttl", jint(c->ttl));
	jadd(set, "tunnel_mtu", jint(c->tunnel_mtu));
	jadd(set, "dynamic_mtu", json_object_new_boolean(c->flags & IG_CFG_F_DYNAMIC_MTU));
	jadd(set, "allow_6to4", json_object_new_boolean(c->flags & IG_CFG_F_ALLOW_6TO4));
	jadd(set, "icmp_min_interval_ms", jint(c->icmp_min_interval_ms));
	jadd(set, "fwd_cache_ms", jint(c->fwd_cache_ms));
	jadd(set, "flow_cache", jint(st->fc_slots));
	jadd(set, "quota_flows", jint(c->quota_flows));
	jadd(set, "quota_conns", jint(c->quota_conns));
	jadd(set, "ra", ra_json(st));
	return set;
}

static json_object *policy_json(const struct status *st)
{
	json_object *o = json_object_new_object();

	jadd(o, "active", json_object_new_boolean(st->policy.active));
	jadd(o, "rules", jint(st->policy.pol.n));
	jadd(o, "default", jstr(st->policy.active ?
				ig_policy_action_name(st->policy.pol.default_action) : "allow"));
	jadd(o, "generation", jint(st->policy.gen));
	jadd(o, "connections", jint(st->policy.conns));
	return o;
}

static json_object *mtus_json(const struct status *st)
{
	json_object *arr = json_object_new_array(), *o;
	char a[INET_ADDRSTRLEN];
	int i;

	for (i = 0; i < st->n_mtus; i++) {
		const struct mtu_row *m = &st->mtus[i];

		o = json_object_new_object();
		jadd(o, "member", jstr(ig_fmt_v4(m->k.addr, a, sizeof(a))));
		jadd(o, "mtu", jint(m->v.mtu));
		jadd(o, "path_mtu", jint(m->v.path_mtu));
		jadd(o, "path_mtu_estimated", json_object_new_boolean(m->v.flags & IG_MTU_F_PLATEAU));
		jadd(o, "df", json_object_new_boolean(!(m->v.flags & IG_MTU_F_NO_DF)));
		jadd(o, "age_s", jint((int64_t)m->age_s));
		jadd(o, "expires_in_s", jint((int64_t)(IG_MEMBER_MTU_EXPIRE_S - m->age_s)));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *counters_json(const struct status *st)
{
	json_object *cnt = json_object_new_object(), *o;
	int i;

	for (i = 0; i < IG_REASON_MAX; i++) {
		o = json_object_new_object();
		jadd(o, "packets", jint((int64_t)st->counters[i].packets));
		jadd(o, "bytes", jint((int64_t)st->counters[i].bytes));
		jadd(cnt, reasons[i].key, o);
	}
	return cnt;
}

static json_object *rm_family_json(bool on, unsigned int off, __u32 routes)
{
	json_object *o = json_object_new_object();

	jadd(o, "on", json_object_new_boolean(on));
	jadd(o, "off_reason", on ? NULL : jstr(ig_route_off_name(off)));
	jadd(o, "routes", jint(on ? routes : 0));
	return o;
}

/* "route_mirror": what `isagate watch` mirrors of the kernel's routes. */
static json_object *route_mirror_json(const struct status *st)
{
	const struct ig_route_state *r = &st->rm;
	json_object *o;

	if (!st->have_rm)
		return NULL;
	o = json_object_new_object();
	jadd(o, "ipv4", rm_family_json(r->families & IG_ROUTE_F_V4, r->off4, r->routes4));
	jadd(o, "ipv6", rm_family_json(r->families & IG_ROUTE_F_V6, r->off6, r->routes6));
	jadd(o, "nexthops", jint(r->families ? r->nexthops : 0));
	jadd(o, "builds", jint((int64_t)r->builds));
	return o;
}

static int print_json(const struct status *st)
{
	json_object *root, *arr;
	int i;

	root = json_object_new_object();
	if (!root)
		return IG_EXIT_FAIL;
	jadd(root, "version", jstr(ISAGATE_VERSION));
	jadd(root, "abi_version", jint(ISAGATE_ABI_VERSION));
	jadd(root, "pin_dir", jstr(st->pin_dir));
	jadd(root, "interfaces", links_json(st));
	jadd(root, "settings", settings_json(st));
	jadd(root, "route_mirror", route_mirror_json(st));
	jadd(root, "members", jint(st->members));
	jadd(root, "policy", policy_json(st));
	jadd(root, "member_mtu", mtus_json(st));
	jadd(root, "counters", counters_json(st));
	if (st->have_neigh) {
		jadd(root, "neigh_requests", jint((int64_t)st->neigh.requests));
		jadd(root, "neigh_requests_suppressed", jint((int64_t)st->neigh.suppressed));
		jadd(root, "neigh_requests_lost", jint((int64_t)st->neigh.lost));
	}
	arr = json_object_new_array();
	for (i = 0; i < st->n_warnings; i++)
		json_object_array_add(arr, jstr(st->warnings[i]));
	jadd(root, "warnings", arr);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return IG_EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct ig_cmd cmd = { "status", "a", options, usage, true };
	struct ig_getopt g;
	bool all = false;
	struct status *st;
	int opt, rc;

	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((opt = ig_getopt(&g)) > 0) {
		switch (opt) {
		case 'a': all = true; break;
		}
	}
	if (opt < 0)
		return g.rc;
	if (ig_getopt_done(&g))
		return IG_EXIT_USAGE;
	st = calloc(1, sizeof(*st));
	if (!st) {
		ig_err("out of memory");
		return IG_EXIT_FAIL;
	}
	snprintf(st->pin_dir, sizeof(st->pin_dir), "%s", ig_pin_dir(ig_globals.pin_dir));

	rc = ig_exit_code(ig_pin_dir_prepare(st->pin_dir, false));
	if (!rc)
		rc = gather(st);
	if (!rc)
		rc = ig_globals.json ? print_json(st) : (print_text(st, all), IG_EXIT_OK);
	free(st->mtus);
	free(st);
	return rc;
}
