// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* routemirror.c - the kernel's routes into the datapath's tries (routemirror.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>

#include "common.h"
#include "neigh.h"
#include "routemirror.h"

#define RM_MIN_GAP_NS (100ull * 1000000) /* rebuilds at most this often */

/* ---- what the kernel has ------------------------------------------------ */

struct rm_link {
	int ifindex;
	unsigned int flags; /* IFF_* */
	unsigned int mtu;
	unsigned int mtu6; /* net.ipv6.conf.<dev>.mtu, 0 unknown */
	bool ether;
	unsigned char mac[6];
	char name[IF_NAMESIZE];
};

struct rm_neigh {
	int ifindex;
	unsigned char family;
	unsigned char addr[16];
	unsigned char mac[6];
	bool usable;
};

struct rm_route {
	unsigned char family, len, type, tos, src_len;
	unsigned int table, prio, flags, oif, mtu;
	unsigned char addr[16], gw[16];
	bool has_gw, complex; /* complex: multipath, nexthop object, encap, IPv6 via */
	bool shadowed;	      /* the same prefix with a lower metric exists */
	bool tie;	      /* the winner of its prefix, tied with another route */
	uint32_t nh;	      /* the next hop chosen, 0: ask the FIB */
};

struct rm_vec {
	void *v;
	size_t n, cap, size;
};

struct rm_tables {
	struct rm_vec links, neighs, routes;
	bool rules_default[2]; /* [0] IPv4, [1] IPv6 */
	int err;	       /* -ENOMEM while parsing */
};

static void *rm_push(struct rm_vec *a)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		void *v = realloc(a->v, cap * a->size);

		if (!v)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	return memset((char *)a->v + a->size * a->n++, 0, a->size);
}

/* A new, zeroed entry of one of t's tables; NULL (t->err set) without memory. */
static void *tables_push(struct rm_tables *t, struct rm_vec *a)
{
	void *e = rm_push(a);

	if (!e)
		t->err = -ENOMEM;
	return e;
}

static int fam_idx(unsigned char family)
{
	return family == AF_INET6;
}

static unsigned int alen(unsigned char family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* ---- links ---- */

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct rm_link *l = data;
	size_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		snprintf(l->name, sizeof(l->name), "%.*s", (int)len,
			 (const char *)mnl_attr_get_payload(a));
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		if (len == 6)
			memcpy(l->mac, mnl_attr_get_payload(a), 6);
		else
			l->ether = false;
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rm_tables *t = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct rm_link *l;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	l = tables_push(t, &t->links);
	if (!l)
		return MNL_CB_ERROR;
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->ether = ifi->ifi_type == ARPHRD_ETHER;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, l);
	return MNL_CB_OK;
}

static const struct rm_link *link_find(const struct rm_tables *t, unsigned int ifindex)
{
	const struct rm_link *l = t->links.v;
	size_t i;

	for (i = 0; i < t->links.n; i++)
		if ((unsigned int)l[i].ifindex == ifindex)
			return &l[i];
	return NULL;
}

/* A sysctl of a device: its value, or -1 (absent, unreadable). */
static long dev_sysctl(const char *family, const char *dev, const char *what)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, dev, what);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Forwarding on for every interface that is up (lo aside): the FIB refuses
 * packets received where it is off (BPF_FIB_LKUP_RET_FWD_DISABLED). */
static bool forwarding_everywhere(const struct rm_tables *t, const char *family)
{
	const struct rm_link *l = t->links.v;
	size_t i;

	for (i = 0; i < t->links.n; i++)
		if ((l[i].flags & IFF_UP) && !(l[i].flags & IFF_LOOPBACK) &&
		    dev_sysctl(family, l[i].name, "forwarding") != 1) {
			ig_dbg("route mirror: %s forwarding off on %s", family, l[i].name);
			return false;
		}
	return true;
}

/* ---- neighbours ---- */

static int neigh_attr_cb(const struct nlattr *a, void *data)
{
	struct rm_neigh *n = data;
	size_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case NDA_DST:
		if (len == alen(n->family))
			memcpy(n->addr, mnl_attr_get_payload(a), len);
		break;
	case NDA_LLADDR:
		if (len == 6)
			memcpy(n->mac, mnl_attr_get_payload(a), 6);
		else
			n->usable = false;
		break;
	}
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rm_tables *t = data;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct rm_neigh *n;

	if (nlh->nlmsg_type != RTM_NEWNEIGH ||
	    (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6))
		return MNL_CB_OK;
	n = tables_push(t, &t->neighs);
	if (!n)
		return MNL_CB_ERROR;
	n->ifindex = ndm->ndm_ifindex;
	n->family = ndm->ndm_family;
	n->usable = !!(ndm->ndm_state & IG_NUD_USABLE);
	mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr_cb, n);
	return MNL_CB_OK;
}

static const struct rm_neigh *neigh_find(const struct rm_tables *t, unsigned char family,
					 unsigned int ifindex, const unsigned char *addr)
{
	const struct rm_neigh *n = t->neighs.v;
	size_t i;

	for (i = 0; i < t->neighs.n; i++)
		if (n[i].family == family && (unsigned int)n[i].ifindex == ifindex &&
		    !memcmp(n[i].addr, addr, alen(family)))
			return &n[i];
	return NULL;
}

/* ---- rules ---- */

struct rule_seen {
	bool plain; /* no selector, goes to a table */
	unsigned int prio, table;
};

static int rule_attr_cb(const struct nlattr *a, void *data)
{
	struct rule_seen *r = data;

	switch (mnl_attr_get_type(a)) {
	case FRA_PRIORITY: r->prio = mnl_attr_get_u32(a); break;
	case FRA_TABLE: r->table = mnl_attr_get_u32(a); break;
	case FRA_PROTOCOL: break;
	case FRA_SUPPRESS_PREFIXLEN: /* -1: none (every dump carries it) */
	case FRA_SUPPRESS_IFGROUP:
		if (mnl_attr_validate(a, MNL_TYPE_U32) || mnl_attr_get_u32(a) != UINT32_MAX)
			r->plain = false;
		break;
	case FRA_UID_RANGE: { /* every uid */
		const struct fib_rule_uid_range *u = mnl_attr_get_payload(a);

		if (mnl_attr_get_payload_len(a) < sizeof(*u) || u->start || u->end != UINT32_MAX)
			r->plain = false;
		break;
	}
	default: /* iif, oif, fwmark, l3mdev, ports, ... */
		ig_dbg("route mirror: a rule with selector %u", mnl_attr_get_type(a));
		r->plain = false;
	}
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rm_tables *t = data;
	const struct fib_rule_hdr *h = mnl_nlmsg_get_payload(nlh);
	struct rule_seen r = { .plain = true };
	int f;

	if (nlh->nlmsg_type != RTM_NEWRULE || (h->family != AF_INET && h->family != AF_INET6))
		return MNL_CB_OK;
	f = fam_idx(h->family);
	r.table = h->table;
	if (h->dst_len || h->src_len || h->tos || h->flags || h->action != FR_ACT_TO_TBL)
		r.plain = false;
	mnl_attr_parse(nlh, sizeof(*h), rule_attr_cb, &r);
	/* the kernel's own: 0 local, 32766 main, 32767 default (IPv4) */
	if (!r.plain || !((r.prio == 0 && r.table == RT_TABLE_LOCAL) ||
			  (r.prio == 32766 && r.table == RT_TABLE_MAIN) ||
			  (r.prio == 32767 && r.table == RT_TABLE_DEFAULT && f == 0)))
		t->rules_default[f] = false;
	return MNL_CB_OK;
}

/* ---- routes ---- */

static int metrics_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == RTAX_MTU && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		((struct rm_route *)data)->mtu = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int route_attr_cb(const struct nlattr *a, void *data)
{
	struct rm_route *r = data;
	size_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case RTA_DST:
		if (len == alen(r->family))
			memcpy(r->addr, mnl_attr_get_payload(a), len);
		break;
	case RTA_GATEWAY:
		if (len == alen(r->family)) {
			memcpy(r->gw, mnl_attr_get_payload(a), len);
			r->has_gw = true;
		}
		break;
	case RTA_OIF: r->oif = mnl_attr_get_u32(a); break;
	case RTA_PRIORITY: r->prio = mnl_attr_get_u32(a); break;
	case RTA_TABLE: r->table = mnl_attr_get_u32(a); break;
	case RTA_METRICS: mnl_attr_parse_nested(a, metrics_cb, r); break;
	case RTA_SRC:
		if (!r->src_len)
			r->src_len = 1;
		break;
	case RTA_MULTIPATH:
	case RTA_VIA:
	case RTA_NH_ID:
	case RTA_ENCAP: r->complex = true; break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rm_tables *t = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct rm_route *r;

	if (nlh->nlmsg_type != RTM_NEWROUTE || (rtm->rtm_flags & RTM_F_CLONED) ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return MNL_CB_OK;
	r = tables_push(t, &t->routes);
	if (!r)
		return MNL_CB_ERROR;
	r->family = rtm->rtm_family;
	r->len = rtm->rtm_dst_len;
	r->type = rtm->rtm_type;
	r->tos = rtm->rtm_tos;
	r->src_len = rtm->rtm_src_len;
	r->table = rtm->rtm_table;
	r->flags = rtm->rtm_flags;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, r);
	return MNL_CB_OK;
}

static void tables_free(struct rm_tables *t)
{
	free(t->links.v);
	free(t->neighs.v);
	free(t->routes.v);
}

static int tables_read(struct ig_nl *nl, struct rm_tables *t)
{
	static const struct {
		int type, family;
		ig_nl_cb cb;
	} dumps[] = {
		{ RTM_GETLINK, AF_UNSPEC, link_cb },  { RTM_GETNEIGH, AF_INET, neigh_cb },
		{ RTM_GETNEIGH, AF_INET6, neigh_cb }, { RTM_GETRULE, AF_INET, rule_cb },
		{ RTM_GETRULE, AF_INET6, rule_cb },   { RTM_GETROUTE, AF_INET, route_cb },
		{ RTM_GETROUTE, AF_INET6, route_cb },
	};
	struct rm_link *l;
	size_t i;
	int err;

	t->links.size = sizeof(struct rm_link);
	t->neighs.size = sizeof(struct rm_neigh);
	t->routes.size = sizeof(struct rm_route);
	t->rules_default[0] = t->rules_default[1] = true;
	for (i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		err = ig_nl_dump(nl, dumps[i].type, dumps[i].family, dumps[i].cb, t);
		if (t->err || err) {
			ig_err("route mirror: reading the kernel's tables: %s",
			       strerror(-(t->err ?: err)));
			return t->err ?: err;
		}
	}
	l = t->links.v;
	for (i = 0; i < t->links.n; i++) {
		long v = dev_sysctl("ipv6", l[i].name, "mtu");

		l[i].mtu6 = v > 0 ? (unsigned int)v : 0;
	}
	return 0;
}

/* ---- the mirror, per family ---- */

/* The first bits of address a, the rest zero, into out (16 bytes). */
static void prefix_of(unsigned char *out, const unsigned char *a, unsigned int bits)
{
	memset(out, 0, 16);
	memcpy(out, a, bits / 8);
	if (bits % 8)
		out[bits / 8] = a[bits / 8] & (unsigned char)(0xff00 >> (bits % 8));
}

/* Is r a longer prefix inside wide? */
static bool covers(const struct rm_route *wide, const struct rm_route *r)
{
	unsigned char p[16];

	if (r->len <= wide->len)
		return false;
	prefix_of(p, r->addr, wide->len);
	return !memcmp(p, wide->addr, sizeof(p));
}

#define RM_NH_SLOTS (2 * IG_NEXTHOPS_MAX) /* open addressing, at most half full */

struct rm_nh {
	struct ig_nexthop v[IG_NEXTHOPS_MAX];
	uint32_t n;		    /* used, from 1 */
	uint32_t slot[RM_NH_SLOTS]; /* ids by a hash of their content, 0: empty */
};

/* The id of next hop want (a new one if none has its content), 0 when the
 * array is full (the FIB decides for those). */
static uint32_t nh_id(struct rm_nh *nhs, const struct ig_nexthop *want)
{
	const unsigned char *b = (const unsigned char *)want;
	uint32_t h = 2166136261u, i;

	for (i = 0; i < sizeof(*want); i++)
		h = (h ^ b[i]) * 16777619u;
	for (i = h % RM_NH_SLOTS; nhs->slot[i]; i = (i + 1) % RM_NH_SLOTS)
		if (!memcmp(&nhs->v[nhs->slot[i]], want, sizeof(*want)))
			return nhs->slot[i];
	if (nhs->n >= IG_NEXTHOPS_MAX)
		return 0;
	nhs->v[nhs->n] = *want;
	nhs->slot[i] = nhs->n;
	return nhs->n++;
}

/* Route r as the FIB uses it: one next hop, up, on an Ethernet link. */
static const struct rm_link *route_usable(const struct rm_tables *t, const struct rm_route *r)
{
	const struct rm_link *l = link_find(t, r->oif);

	if (r->type != RTN_UNICAST || r->complex || r->tie ||
	    (r->flags & (RTNH_F_DEAD | RTNH_F_LINKDOWN)) || !l || !l->ether || !(l->flags & IFF_UP))
		return NULL;
	return l;
}

/* The next hop of route r through neighbour n (usable, on r's link). */
static uint32_t nh_of(const struct rm_route *r, const struct rm_link *l, const struct rm_neigh *n,
		      struct rm_nh *nhs)
{
	struct ig_nexthop want = { 0 };
	unsigned int mtu;

	mtu = r->mtu ?: (r->family == AF_INET6 && l->mtu6 ? l->mtu6 : l->mtu);
	want.ifindex = r->oif;
	want.mtu = mtu > 0xffff ? 0xffff : (uint16_t)mtu;
	memcpy(want.dmac, n->mac, 6);
	memcpy(want.smac, l->mac, 6);
	return nh_id(nhs, &want);
}

/* The next hop a gateway route r leads to, when the FIB would answer with it. */
static uint32_t route_nh(const struct rm_tables *t, const struct rm_route *r, struct rm_nh *nhs)
{
	const struct rm_link *l = route_usable(t, r);
	const struct rm_neigh *n;

	if (!l || !r->has_gw)
		return 0;
	n = neigh_find(t, r->family, r->oif, r->gw);
	return n && n->usable ? nh_of(r, l, n, nhs) : 0;
}

static int route_cmp(const void *a, const void *b)
{
	const struct rm_route *x = *(const struct rm_route *const *)a;
	const struct rm_route *y = *(const struct rm_route *const *)b;
	int c = (int)x->len - (int)y->len;

	if (!c)
		c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (!c)
		c = x->prio < y->prio ? -1 : x->prio > y->prio;
	return c;
}

/* Of the main routes of family with one prefix, the FIB takes the lowest
 * metric: mark the others shadowed, and a tie for the lowest (the FIB's
 * to break: multipath, or whichever came first). */
static int same_prefix_marks(struct rm_tables *t, unsigned char family)
{
	struct rm_route *r = t->routes.v, **v;
	size_t i, n = 0;

	v = calloc(t->routes.n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < t->routes.n; i++) {
		if (r[i].family != family)
			continue;
		r[i].shadowed = r[i].tie = false;
		r[i].nh = 0;
		if (r[i].table == RT_TABLE_MAIN)
			v[n++] = &r[i];
	}
	qsort(v, n, sizeof(*v), route_cmp);
	for (i = 1; i < n; i++) {
		if (v[i]->len != v[i - 1]->len || memcmp(v[i]->addr, v[i - 1]->addr, 16))
			continue;
		v[i]->shadowed = true;
		if (v[i]->prio == v[i - 1]->prio && !v[i - 1]->shadowed)
			v[i - 1]->tie = true;
	}
	free(v);
	return 0;
}

/* ---- on-link neighbours as host routes ---- */

struct rm_key {
	unsigned char len;
	unsigned char addr[16];
	bool local;
	const struct rm_route *r;
};

static int rm_key_cmp(const void *a, const void *b)
{
	const struct rm_key *x = a, *y = b;
	int c = (int)x->len - (int)y->len;

	return c ?: memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* Local first among equal keys: it wins a prefix both tables hold. */
static int rm_key_cmp_local(const void *a, const void *b)
{
	const struct rm_key *x = a, *y = b;

	return rm_key_cmp(a, b) ?: (int)y->local - (int)x->local;
}

static bool trie_takes(const struct rm_route *r, unsigned char family);

/* The route the trie answers for address a: its longest prefix holding a. */
static const struct rm_key *trie_match(const struct rm_key *keys, size_t n, const bool *lens,
				       unsigned int maxlen, const unsigned char *a)
{
	struct rm_key k;
	int len;

	for (len = (int)maxlen; len >= 0; len--) {
		const struct rm_key *hit;

		if (!lens[len])
			continue;
		k.len = (unsigned char)len;
		prefix_of(k.addr, a, (unsigned int)len);
		hit = bsearch(&k, keys, n, sizeof(*keys), rm_key_cmp);
		if (hit)
			return hit;
	}
	return NULL;
}

/* What the FIB never forwards to (bpf/route.h's route_v6_strict). */
static bool v6_strict(const unsigned char *a)
{
	struct in6_addr in;

	memcpy(&in, a, sizeof(in));
	return IN6_IS_ADDR_MULTICAST(&in) || IN6_IS_ADDR_LINKLOCAL(&in) ||
	       IN6_IS_ADDR_LOOPBACK(&in);
}

/*
 * Each usable neighbour of family whose address the trie gives to a
 * connected route on the neighbour's own link becomes a host route through
 * it: what the FIB does for an on-link destination (the route, then the
 * destination's neighbour entry), in one trie walk.  Added to t->routes, at
 * most up to IG_ROUTES_MAX entries in all (*count); the rest stay with the
 * FIB.  0 or -ENOMEM.
 */
static int neigh_hosts(struct rm_tables *t, unsigned char family, struct rm_nh *nhs,
		       uint32_t *count)
{
	const struct rm_route *r = t->routes.v;
	const struct rm_neigh *nb = t->neighs.v;
	unsigned int maxlen = family == AF_INET6 ? 128 : 32;
	struct rm_vec add = { .size = sizeof(struct rm_route) };
	struct rm_key *keys = calloc(t->routes.n + 1, sizeof(*keys));
	bool lens[129] = { false };
	size_t i, n = 0, m;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (i = 0; i < t->routes.n; i++) {
		if (!trie_takes(&r[i], family))
			continue;
		keys[n].len = r[i].len;
		memcpy(keys[n].addr, r[i].addr, sizeof(keys[n].addr));
		keys[n].local = r[i].table == RT_TABLE_LOCAL;
		keys[n++].r = &r[i];
		lens[r[i].len] = true;
	}
	qsort(keys, n, sizeof(*keys), rm_key_cmp_local);
	for (i = m = 0; i < n; i++) /* one key per prefix: the local one */
		if (!m || rm_key_cmp(&keys[m - 1], &keys[i]))
			keys[m++] = keys[i];
	for (i = 0; i < t->neighs.n && *count < IG_ROUTES_MAX; i++) {
		const struct rm_key *k;
		const struct rm_link *l;
		struct rm_route *h;
		uint32_t id;

		if (nb[i].family != family || !nb[i].usable ||
		    (family == AF_INET6 && v6_strict(nb[i].addr)))
			continue;
		k = trie_match(keys, m, lens, maxlen, nb[i].addr);
		if (!k || k->local || k->r->has_gw || k->r->len == maxlen ||
		    k->r->oif != (unsigned int)nb[i].ifindex)
			continue;
		l = route_usable(t, k->r);
		id = l ? nh_of(k->r, l, &nb[i], nhs) : 0;
		if (!id)
			continue;
		h = rm_push(&add);
		if (!h) {
			err = -ENOMEM;
			goto cleanup;
		}
		*h = *k->r;
		h->len = (unsigned char)maxlen;
		memcpy(h->addr, nb[i].addr, sizeof(h->addr));
		h->nh = id;
		(*count)++;
	}
	for (i = 0; i < add.n; i++) { /* t->routes may move: after the walk */
		struct rm_route *h = rm_push(&t->routes);

		if (!h) {
			err = -ENOMEM;
			goto cleanup;
		}
		*h = ((struct rm_route *)add.v)[i];
	}
cleanup:
	free(add.v);
	free(keys);
	return err;
}

/* Why family cannot be mirrored, IG_ROUTE_OFF_NONE when it can; marks
 * what goes into its trie (main and local routes) with r->nh. */
static unsigned int family_plan(struct rm_tables *t, unsigned char family, struct rm_nh *nhs,
				uint32_t *count)
{
	struct rm_route *r = t->routes.v;
	size_t i, j, n = t->routes.n;
	uint32_t in = 0;
	int err;

	*count = 0;
	if (!t->rules_default[fam_idx(family)])
		return IG_ROUTE_OFF_RULES;
	if (!forwarding_everywhere(t, family == AF_INET ? "ipv4" : "ipv6"))
		return IG_ROUTE_OFF_FORWARDING;
	for (i = 0; i < n; i++) {
		if (r[i].family != family)
			continue;
		if (r[i].table == RT_TABLE_DEFAULT && family == AF_INET)
			return IG_ROUTE_OFF_DEFAULT_TABLE;
		if (r[i].table != RT_TABLE_MAIN && r[i].table != RT_TABLE_LOCAL)
			continue;
		if (r[i].src_len || r[i].tos)
			return IG_ROUTE_OFF_SOURCE;
		in++;
	}
	if (in > IG_ROUTES_MAX)
		return IG_ROUTE_OFF_TOO_MANY;
	for (i = 0; i < n; i++) {
		if (r[i].family != family || r[i].table != RT_TABLE_LOCAL)
			continue;
		for (j = 0; j < n; j++)
			if (r[j].family == family && r[j].table == RT_TABLE_MAIN &&
			    covers(&r[i], &r[j]))
				return IG_ROUTE_OFF_SHADOWED;
	}
	err = same_prefix_marks(t, family);
	if (err)
		return IG_ROUTE_OFF_ERROR;
	for (i = 0; i < n; i++) {
		if (r[i].family != family)
			continue; /* the other family's plan stays */
		if (r[i].table == RT_TABLE_MAIN && !r[i].shadowed)
			r[i].nh = route_nh(t, &r[i], nhs);
		else
			r[i].nh = 0;
	}
	*count = in;
	return neigh_hosts(t, family, nhs, count) ? IG_ROUTE_OFF_ERROR : IG_ROUTE_OFF_NONE;
}

/* ---- into the maps ---- */

static void route_key(const struct rm_route *r, void *key)
{
	struct ig_route6_key *k6 = key;
	struct ig_route4_key *k4 = key;

	if (r->family == AF_INET6) {
		k6->prefixlen = r->len;
		memcpy(k6->addr, r->addr, 16);
	} else {
		k4->prefixlen = r->len;
		memcpy(k4->addr, r->addr, 4);
	}
}

static int key_cmp6(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ig_route6_key));
}

static int key_cmp4(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ig_route4_key));
}

/* Does the trie of family take r (a main route that wins its prefix, or
 * any local one)? */
static bool trie_takes(const struct rm_route *r, unsigned char family)
{
	return r->family == family &&
	       (r->table == RT_TABLE_LOCAL || (r->table == RT_TABLE_MAIN && !r->shadowed));
}

/* Delete the keys of the trie fd that the plan (sorted keys want, n of
 * them) does not hold. */
static int trie_prune(int fd, const void *want, size_t n, size_t ksize,
		      int (*cmp)(const void *, const void *))
{
	struct ig_route6_key k, next;
	unsigned char *old = NULL;
	size_t i, cnt = 0, cap = 0;
	void *prev = NULL;
	int err = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (cnt == cap) {
			unsigned char *o = realloc(old, (cap = cap ? cap * 2 : 256) * ksize);

			if (!o) {
				err = -ENOMEM;
				goto cleanup;
			}
			old = o;
		}
		memcpy(old + cnt++ * ksize, &next, ksize);
		k = next;
		prev = &k;
	}
	for (i = 0; i < cnt; i++)
		if (!bsearch(old + i * ksize, want, n, ksize, cmp) &&
		    bpf_map_delete_elem(fd, old + i * ksize) && errno != ENOENT) {
			err = -errno;
			goto cleanup;
		}
cleanup:
	free(old);
	return err;
}

/* Make family's trie hold exactly the plan (on) or nothing (off). */
static int trie_write(int fd, const struct rm_tables *t, unsigned char family, bool on)
{
	size_t ksize = family == AF_INET6 ? sizeof(struct ig_route6_key)
					  : sizeof(struct ig_route4_key);
	const struct rm_route *r = t->routes.v;
	unsigned char *want = calloc(t->routes.n + 1, ksize);
	size_t i, n = 0;
	int pass, err;

	if (!want)
		return -ENOMEM;
	for (i = 0; on && i < t->routes.n; i++)
		if (trie_takes(&r[i], family))
			route_key(&r[i], want + n++ * ksize);
	qsort(want, n, ksize, family == AF_INET6 ? key_cmp6 : key_cmp4);
	err = trie_prune(fd, want, n, ksize, family == AF_INET6 ? key_cmp6 : key_cmp4);
	/* main first, local last: a local route wins a prefix both hold */
	for (pass = 0; !err && on && pass < 2; pass++)
		for (i = 0; !err && i < t->routes.n; i++) {
			struct ig_route6_key k = { 0 };
			struct ig_route v = { .nh = pass ? 0 : r[i].nh };

			if (!trie_takes(&r[i], family) ||
			    (r[i].table == RT_TABLE_LOCAL) != (pass == 1))
				continue;
			route_key(&r[i], &k);
			if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
				err = -errno;
		}
	free(want);
	return err;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t lifetime_ns(const struct ig_rmirror *m)
{
	return (uint64_t)__atomic_load_n(&m->cfg->fwd_cache_ms, __ATOMIC_RELAXED) * 1000000ull;
}

/* The datapath stops using the mirror with the next packet. */
static void mirror_off(struct ig_rmirror *m)
{
	__atomic_store_n(&m->st->families, 0, __ATOMIC_SEQ_CST);
}

void ig_rmirror_invalidate(struct ig_rmirror *m)
{
	uint64_t now = mono_ns(), at = m->last_build_ns + RM_MIN_GAP_NS;

	if (!m->st)
		return;
	mirror_off(m);
	if (!m->next_build_ns)
		m->next_build_ns = at > now ? at : now;
}

/* The nexthops array: entries 1..nhs->n-1, the rest of the last build's
 * cleared. */
static int nexthops_write(struct ig_rmirror *m, const struct rm_nh *nhs)
{
	struct ig_nexthop zero = { 0 };
	uint32_t i;

	for (i = 1; i < nhs->n || i < m->prev_nh; i++)
		if (bpf_map_update_elem(m->nh_fd, &i, i < nhs->n ? &nhs->v[i] : &zero, BPF_ANY))
			return -errno;
	m->prev_nh = nhs->n;
	return 0;
}

int ig_rmirror_build(struct ig_rmirror *m)
{
	struct rm_tables t;
	struct rm_nh *nhs = calloc(1, sizeof(*nhs));
	unsigned int off4 = IG_ROUTE_OFF_ERROR, off6 = IG_ROUTE_OFF_ERROR;
	uint32_t n4 = 0, n6 = 0, fam = 0, gen;
	int err;

	if (!m->st) {
		free(nhs);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	mirror_off(m);
	m->next_build_ns = 0;
	m->last_build_ns = mono_ns();
	/* the generation before the tables are read: a change after this
	 * point bumps it, and the mirror built from older tables goes unused */
	gen = __atomic_load_n(&m->cfg->fwd_gen, __ATOMIC_SEQ_CST);
	err = nhs ? tables_read(m->nl, &t) : -ENOMEM;
	if (err)
		goto cleanup;
	nhs->n = 1;
	off4 = family_plan(&t, AF_INET, nhs, &n4);
	off6 = family_plan(&t, AF_INET6, nhs, &n6);
	err = trie_write(m->r4_fd, &t, AF_INET, off4 == IG_ROUTE_OFF_NONE);
	err = err ?: trie_write(m->r6_fd, &t, AF_INET6, off6 == IG_ROUTE_OFF_NONE);
	err = err ?: nexthops_write(m, nhs);
	if (err) {
		ig_err("route mirror: writing the tries: %s (the FIB decides meanwhile)",
		       strerror(-err));
		off4 = off6 = IG_ROUTE_OFF_ERROR;
		goto cleanup;
	}
	fam = (off4 ? 0 : IG_ROUTE_F_V4) | (off6 ? 0 : IG_ROUTE_F_V6);
	m->st->routes4 = off4 ? 0 : n4;
	m->st->routes6 = off6 ? 0 : n6;
	m->st->nexthops = nhs->n - 1;
	m->st->builds++;
	ig_dbg("route mirror: IPv4 %s (%u routes), IPv6 %s (%u routes), %u next hops",
	       ig_route_off_name(off4), n4, ig_route_off_name(off6), n6, nhs->n - 1);
cleanup:
	tables_free(&t);
	free(nhs);
	m->st->off4 = (uint8_t)off4;
	m->st->off6 = (uint8_t)off6;
	__atomic_store_n(&m->st->gen, gen, __ATOMIC_SEQ_CST);
	__atomic_store_n(&m->st->valid_until_ns, mono_ns() + lifetime_ns(m), __ATOMIC_SEQ_CST);
	__atomic_store_n(&m->st->families, fam, __ATOMIC_SEQ_CST);
	m->next_refresh_ns = mono_ns() + lifetime_ns(m) / 4;
	return err;
}

int ig_rmirror_tick(struct ig_rmirror *m)
{
	uint64_t now, life, wake;

	if (!m->st)
		return 1000;
	now = mono_ns();
	life = lifetime_ns(m);
	if (!m->next_build_ns && m->st->families &&
	    __atomic_load_n(&m->cfg->fwd_gen, __ATOMIC_SEQ_CST) != m->st->gen)
		m->next_build_ns = now; /* fwd_gen bumped by someone else */
	if (m->next_build_ns && now >= m->next_build_ns) {
		ig_rmirror_build(m);
		now = mono_ns();
	} else if (now >= m->next_refresh_ns) {
		__atomic_store_n(&m->st->valid_until_ns, now + life, __ATOMIC_SEQ_CST);
		m->next_refresh_ns = now + life / 4;
	}
	wake = m->next_build_ns && m->next_build_ns < m->next_refresh_ns ? m->next_build_ns
									 : m->next_refresh_ns;
	if (!life && !m->next_build_ns)
		return 1000; /* no forwarding cache, no mirror: idle */
	return wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
}

int ig_rmirror_open(const char *pin_dir, struct ig_rmirror *m)
{
	static const char *const names[] = { IG_MAP_ROUTES4, IG_MAP_ROUTES6, IG_MAP_NEXTHOPS,
					     IG_MAP_ROUTE_STATE, IG_MAP_CONFIG };
	int fds[5] = { -1, -1, -1, -1, -1 }, err = 0;
	char path[512];
	void *st = MAP_FAILED, *cfg = MAP_FAILED;
	size_t i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < 5 && !err; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, names[i]);
		fds[i] = bpf_obj_get(path);
		if (fds[i] < 0)
			err = -errno;
	}
	if (err == -ENOENT) {
		ig_err("warning: no %s under %s (re-attach with this isagate): no route mirror, "
		       "every uncached forwarding decision is a FIB lookup",
		       names[i - 1], pin_dir);
		goto cleanup;
	}
	if (err) {
		ig_err("route mirror: %s: %s", path, strerror(-err));
		goto cleanup;
	}
	st = mmap(NULL, sizeof(struct ig_route_state), PROT_READ | PROT_WRITE, MAP_SHARED, fds[3],
		  0);
	cfg = mmap(NULL, sizeof(struct ig_config), PROT_READ, MAP_SHARED, fds[4], 0);
	if (st == MAP_FAILED || cfg == MAP_FAILED) {
		err = -errno;
		ig_err("route mirror: mapping %s: %s", IG_MAP_ROUTE_STATE, strerror(-err));
		goto cleanup;
	}
	m->nl = ig_nl_open();
	if (!m->nl) {
		err = -errno;
		ig_err("route mirror: rtnetlink: %s: no route mirror", strerror(-err));
		goto cleanup;
	}
	m->r4_fd = fds[0];
	m->r6_fd = fds[1];
	m->nh_fd = fds[2];
	m->state_fd = fds[3];
	m->st = st;
	m->cfg = cfg;
	/* clear whatever an earlier watch left */
	m->prev_nh = m->st->nexthops < IG_NEXTHOPS_MAX ? m->st->nexthops + 1 : IG_NEXTHOPS_MAX;
	close(fds[4]);
	return 0;
cleanup:
	if (st != MAP_FAILED)
		munmap(st, sizeof(struct ig_route_state));
	if (cfg != MAP_FAILED)
		munmap(cfg, sizeof(struct ig_config));
	for (i = 0; i < 5; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	m->st = NULL;
	return err;
}

void ig_rmirror_close(struct ig_rmirror *m)
{
	if (!m->st)
		return;
	mirror_off(m);
	m->st->off4 = m->st->off6 = IG_ROUTE_OFF_NO_WATCH;
	munmap(m->st, sizeof(*m->st));
	munmap((void *)m->cfg, sizeof(*m->cfg));
	close(m->r4_fd);
	close(m->r6_fd);
	close(m->nh_fd);
	close(m->state_fd);
	ig_nl_close(m->nl);
	m->st = NULL;
}

const char *ig_route_off_name(unsigned int off)
{
	static const char *const names[IG_ROUTE_OFF__MAX] = {
		[IG_ROUTE_OFF_NONE] = "on",
		[IG_ROUTE_OFF_NO_WATCH] = "no-watch",
		[IG_ROUTE_OFF_RULES] = "rules",
		[IG_ROUTE_OFF_FORWARDING] = "forwarding-off",
		[IG_ROUTE_OFF_TOO_MANY] = "too-many-routes",
		[IG_ROUTE_OFF_SHADOWED] = "local-table-prefix",
		[IG_ROUTE_OFF_SOURCE] = "source-routes",
		[IG_ROUTE_OFF_DEFAULT_TABLE] = "default-table",
		[IG_ROUTE_OFF_ERROR] = "error",
		[IG_ROUTE_OFF_PENDING] = "pending",
	};

	return off < IG_ROUTE_OFF__MAX ? names[off] : "unknown";
}

int ig_rmirror_state(const char *pin_dir, struct ig_route_state *out)
{
	char path[512];
	__u32 zero = 0;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, IG_MAP_ROUTE_STATE);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &zero, out))
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (mono_ns() >= out->valid_until_ns) {
		out->families = 0; /* no watch renews it (stopped, or killed) */
		out->off4 = out->off6 = IG_ROUTE_OFF_NO_WATCH;
	}
	/* off with no reason: never built, or switched off for a rebuild */
	if (!(out->families & IG_ROUTE_F_V4) && !out->off4)
		out->off4 = out->builds ? IG_ROUTE_OFF_PENDING : IG_ROUTE_OFF_NO_WATCH;
	if (!(out->families & IG_ROUTE_F_V6) && !out->off6)
		out->off6 = out->builds ? IG_ROUTE_OFF_PENDING : IG_ROUTE_OFF_NO_WATCH;
	return 0;
}
