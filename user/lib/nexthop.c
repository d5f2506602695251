// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* nexthop.c - rtnetlink watcher that keeps the forwarding cache coherent. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "isagate.h"
#include "neigh.h"
#include "nexthop.h"
#include "flowcache.h"
#include "flows.h"
#include "routemirror.h"

/*
 * Neighbours change state all the time (REACHABLE -> STALE -> DELAY ->
 * REACHABLE) without any effect on forwarding.  Remember each entry's
 * link-layer address and whether it is usable, and report only changes
 * of those.
 */
struct nb {
	int ifindex;
	unsigned char family;
	unsigned char addr[16];
	unsigned char lladdr[8];
	unsigned char lllen;
	bool usable;
};

struct nb_table {
	struct nb *v;
	size_t n, cap;
};

static struct nb *nb_find(struct nb_table *t, const struct nb *k)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].ifindex == k->ifindex && t->v[i].family == k->family &&
		    !memcmp(t->v[i].addr, k->addr, sizeof(k->addr)))
			return &t->v[i];
	return NULL;
}

/* 1 when the forwarding decision may change, 0 when not, -1 on ENOMEM. */
static int nb_update(struct nb_table *t, const struct nb *k, bool deleted)
{
	struct nb *e = nb_find(t, k);

	if (deleted) {
		if (!e)
			return 1;
		*e = t->v[--t->n];
		return 1;
	}
	if (e) {
		int changed = e->usable != k->usable || e->lllen != k->lllen ||
			      memcmp(e->lladdr, k->lladdr, k->lllen);
		*e = *k;
		return changed;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct nb *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *k;
	return 1;
}

struct nb_parse {
	struct nb *nb;
};

static int neigh_attr_cb(const struct nlattr *attr, void *data)
{
	struct nb *nb = ((struct nb_parse *)data)->nb;
	size_t len = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case NDA_DST:
		if (len <= sizeof(nb->addr))
			memcpy(nb->addr, mnl_attr_get_payload(attr), len);
		break;
	case NDA_LLADDR:
		if (len <= sizeof(nb->lladdr)) {
			memcpy(nb->lladdr, mnl_attr_get_payload(attr), len);
			nb->lllen = (unsigned char)len;
		}
		break;
	}
	return MNL_CB_OK;
}

struct watch {
	struct nb_table nbs;
	unsigned long pending;      /* changes seen since the last invalidation */
	const char *why;
};

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct watch *w = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH: {
		const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
		struct nb nb = { .ifindex = ndm->ndm_ifindex, .family = ndm->ndm_family };
		struct nb_parse p = { .nb = &nb };
		int r;

		nb.usable = !!(ndm->ndm_state & IG_NUD_USABLE);
		mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr_cb, &p);
		r = nb_update(&w->nbs, &nb, nlh->nlmsg_type == RTM_DELNEIGH);
		if (r < 0)
			return MNL_CB_ERROR;
		if (r) {
			w->pending++;
			w->why = "neighbour";
		}
		break;
	}
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		w->pending++;
		w->why = "route";
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		w->pending++;
		w->why = "link";
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		w->pending++;
		w->why = "address";
		break;
	case RTM_NEWRULE:
	case RTM_DELRULE:
		w->pending++;
		w->why = "routing rule";
		break;
	case RTM_NEWNETCONF:
	case RTM_DELNETCONF:
		w->pending++;
		w->why = "forwarding setting";
		break;
	}
	return MNL_CB_OK;
}

/*
 * Neighbour requests from the datapath (bpf/neigh_req.h): an encapsulation
 * found its next hop unresolved.  Make it a managed neighbour entry (ours,
 * NDA_PROTOCOL IG_NEIGH_PROTO, as `members sync` makes them for /32
 * members): the kernel resolves it now and keeps it resolved.  The route
 * is looked up again here, as members sync does, rather than trusting the
 * request's next hop (a route with an IPv6 gateway leaves it unchanged).
 */
struct nreq {
	struct ig_nl *nl;
	unsigned long created, seen;
	bool capped;
};

/* On-demand entries one watch creates at most: a subnet member of a /16
 * must not turn a scan of its addresses into 65536 entries the kernel
 * keeps probing.  Entries are removed with their subnet (members sync). */
#define IG_NEIGH_ON_DEMAND_MAX 4096

static int nreq_cb(void *ctx, void *data, size_t len)
{
	struct nreq *q = ctx;
	const struct ig_neigh_req *r = data;
	char m[INET_ADDRSTRLEN], nh[INET_ADDRSTRLEN];
	unsigned char gw[4];
	int oif, ret;

	if (len < sizeof(*r))
		return 0;
	q->seen++;
	inet_ntop(AF_INET, r->member, m, sizeof(m));
	ret = ig_neigh_nexthop(q->nl, r->member, &oif, gw);
	if (ret) {
		ig_dbg("neighbour request for member %s: no unicast route (%s)", m,
		       strerror(-ret));
		return 0;
	}
	inet_ntop(AF_INET, gw, nh, sizeof(nh));
	if (q->created >= IG_NEIGH_ON_DEMAND_MAX) {
		if (!q->capped)
			ig_err("warning: %lu neighbour entries created on demand: no more "
			       "(member %s, next hop %s left unresolved)", q->created, m, nh);
		q->capped = true;
		return 0;
	}
	ret = ig_neigh_manage(q->nl, oif, gw, true);
	if (ret < 0) {
		ig_err("warning: member %s: cannot make its next hop %s a managed neighbour: "
		       "%s", m, nh, strerror(-ret));
	} else if (ret) {
		q->created++;
		ig_err("member %s: next hop %s unresolved: now a managed neighbour", m, nh);
	} else {
		ig_dbg("member %s: next hop %s already managed (resolving)", m, nh);
	}
	if (ret >= 0) {
		ret = ig_neigh_probe(q->nl, oif, gw);
		if (ret)
			ig_dbg("member %s: probing %s: %s", m, nh, strerror(-ret));
	}
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The datapath's neighbour requests, as a ring buffer; NULL without them
 * (attached by an isagate without neighbour requests: watch anyway). */
static struct ring_buffer *requests_open(const char *pin_dir, struct nreq *q)
{
	struct ring_buffer *rb = NULL;
	int req_fd;

	req_fd = ig_map_open(pin_dir, IG_MAP_NEIGH_REQ);
	if (req_fd < 0) {
		ig_err("warning: no %s map under %s (re-attach with this isagate): hosts "
		       "inside subnet members get no neighbour entry on demand",
		       IG_MAP_NEIGH_REQ, pin_dir);
		return NULL;
	}
	q->nl = ig_nl_open();
	if (q->nl)
		rb = ring_buffer__new(req_fd, nreq_cb, q, NULL);
	if (!rb)
		ig_err("warning: neighbour requests: %s: hosts inside subnet members "
		       "get no neighbour entry on demand",
		       strerror(errno));
	close(req_fd);
	return rb;
}

/* An rtnetlink socket subscribed to the changes that move next hops
 * (routing rules too: they choose the table). */
static struct mnl_socket *subscribe(void)
{
	static const unsigned int groups[] = {
		RTNLGRP_IPV4_ROUTE,   RTNLGRP_IPV6_ROUTE,   RTNLGRP_NEIGH,
		RTNLGRP_LINK,	      RTNLGRP_IPV4_IFADDR,  RTNLGRP_IPV6_IFADDR,
		RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV6_NETCONF, RTNLGRP_IPV4_RULE,
		RTNLGRP_IPV6_RULE,
	};
	struct mnl_socket *nl;
	size_t i;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl) {
		ig_err("opening rtnetlink: %s", strerror(errno));
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ig_err("binding rtnetlink: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, (void *)&groups[i],
					  sizeof(groups[i])) < 0) {
			ig_err("subscribing to rtnetlink group %u: %s", groups[i],
			       strerror(errno));
			goto fail;
		}
	}
	return nl;
fail:
	mnl_socket_close(nl);
	return NULL;
}

/* Read what rtnetlink has into w (w->pending when something changed).
 * 0, or -errno after saying what failed. */
static int read_events(struct mnl_socket *nl, char *buf, struct watch *w)
{
	ssize_t len;

	len = mnl_socket_recvfrom(nl, buf, MNL_SOCKET_BUFFER_SIZE);
	if (len < 0) {
		if (errno == EINTR)
			return 0;
		if (errno != ENOBUFS) {
			ig_err("reading rtnetlink: %s", strerror(errno));
			return -errno;
		}
		/* Events were lost: assume anything changed. */
		w->pending++;
		w->why = "lost events (ENOBUFS)";
	} else if (mnl_cb_run(buf, (size_t)len, 0, 0, event_cb, w) == MNL_CB_ERROR) {
		ig_err("handling rtnetlink events: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Every cached decision and the route mirror out of use (the mirror first:
 * the tick rebuilds it).  0, or -1 after saying what failed. */
static int invalidate(int gen_fd, struct ig_rmirror *rm)
{
	ig_rmirror_invalidate(rm);
	if (!ig_gen_bump(gen_fd, IG_GEN_FWD))
		return 0;
	ig_err("invalidating the forwarding cache: %s (is isagate still attached?)",
	       strerror(errno));
	return -1;
}

/* What rides along with the watch: the flow cache's folding and the route
 * mirror's upkeep.  Returns how long to wait for events, in ms. */
static int ticks(struct ig_fc_watch *fw, struct ig_rmirror *rm, const char *pin_dir)
{
	int ms, rms;

	ig_fc_watch_tick(fw, pin_dir);
	ms = ig_fc_watch_ms(fw);
	rms = ig_rmirror_tick(rm);
	return rms < ms ? rms : ms;
}

int ig_nexthop_watch(const char *pin_dir, unsigned long max_events, bool mirror)
{
	struct watch w = { 0 };
	struct nreq q = { 0 };
	struct ring_buffer *rb;
	struct mnl_socket *nl = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	char *buf = NULL;
	unsigned long done = 0;
	struct ig_fc_watch fw = { 0 };
	struct ig_rmirror rm = { 0 };
	int gen_fd, rc = -ENOMEM;

	gen_fd = ig_map_open(pin_dir, IG_MAP_CONFIG);
	if (gen_fd < 0)
		return gen_fd == -ENOENT ? -ENOENT : -EIO;
	rb = requests_open(pin_dir, &q);
	buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!buf) {
		ig_err("out of memory");
		goto cleanup;
	}
	nl = subscribe();
	rc = -EIO;
	if (!nl)
		goto cleanup;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (mirror)
		ig_rmirror_open(pin_dir, &rm); /* without its maps: no mirror, said */
	else
		ig_dbg("route mirror: off (--no-route-mirror)");

	/* Whatever happened before we listened: start from a clean cache. */
	if (invalidate(gen_fd, &rm))
		goto cleanup;
	ig_rmirror_build(&rm);
	ig_err("watching routes and neighbours for %s", pin_dir);

	while (!stop) {
		struct pollfd pfd[2] = {
			{ .fd = mnl_socket_get_fd(nl), .events = POLLIN },
			{ .fd = rb ? ring_buffer__epoll_fd(rb) : -1, .events = POLLIN },
		};

		if (poll(pfd, 2, ticks(&fw, &rm, pin_dir)) < 0) {
			if (errno == EINTR)
				continue;
			ig_err("poll: %s", strerror(errno));
			goto cleanup;
		}
		if (pfd[1].revents && ring_buffer__consume(rb) < 0)
			ig_err("warning: reading neighbour requests: %s", strerror(errno));
		if (!(pfd[0].revents & POLLIN))
			continue;
		if (read_events(nl, buf, &w))
			goto cleanup;
		if (!w.pending)
			continue;
		if (invalidate(gen_fd, &rm))
			goto cleanup;
		ig_dbg("%s changed: forwarding cache invalidated", w.why);
		w.pending = 0;
		if (max_events && ++done >= max_events)
			break;
	}
	rc = 0;
cleanup:
	ring_buffer__free(rb);
	ig_rmirror_close(&rm);
	ig_nl_close(q.nl);
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	free(w.nbs.v);
	ig_fc_watch_end(&fw);
	close(gen_fd);
	return rc;
}
