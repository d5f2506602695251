// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* neigh.c - managed IPv4 neighbour entries over rtnetlink (libmnl). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "neigh.h"

#ifndef NTF_EXT_MANAGED
#define NTF_EXT_MANAGED (1 << 0)
#endif

#define NL_BUF_SIZE 16384

struct ig_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	char buf[NL_BUF_SIZE];
};

struct ig_nl *ig_nl_open(void)
{
	struct ig_nl *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl)
		return NULL;
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock)
		goto fail;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return nl;
fail:
	err = errno;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
	errno = err;
	return NULL;
}

void ig_nl_close(struct ig_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

/* Send one request (NLM_F_ACK is added) and run cb on every reply until the
 * kernel's acknowledgement.  Returns 0 or -errno (the kernel's error). */
static int nl_talk(struct ig_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned int seq = ++nl->seq;
	ssize_t len;
	int ret;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(nl->buf, (size_t)len, seq, nl->portid, cb, data);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return errno ? -errno : -EIO;
	return 0;
}

int ig_nl_dump(struct ig_nl *nl, int type, int family, ig_nl_cb cb, void *data)
{
	char req[64];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	unsigned char *g;

	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_DUMP;
	/* the request's family header, zeroed: its family comes first */
	g = mnl_nlmsg_put_extra_header(nlh, type == RTM_GETLINK	   ? sizeof(struct ifinfomsg)
					    : type == RTM_GETNEIGH ? sizeof(struct ndmsg)
								   : sizeof(struct rtmsg));
	g[0] = (unsigned char)family;
	return nl_talk(nl, nlh, cb, data);
}

/* ---- routes ----------------------------------------------------------- */

struct route_reply {
	bool seen;
	unsigned char type;
	int oif;
	bool has_gw;
	unsigned char gw[16];
	unsigned int gw_len;       /* 4 or 16 */
	bool gw_not_v4;
};

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	struct route_reply *r = data;
	const struct rtvia *via;

	switch (mnl_attr_get_type(attr)) {
	case RTA_OIF:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			r->oif = (int)mnl_attr_get_u32(attr);
		break;
	case RTA_GATEWAY:
		r->gw_len = mnl_attr_get_payload_len(attr);
		if (r->gw_len == 4 || r->gw_len == 16) {
			memcpy(r->gw, mnl_attr_get_payload(attr), r->gw_len);
			r->has_gw = true;
		}
		break;
	case RTA_VIA:
		via = mnl_attr_get_payload(attr);
		if (mnl_attr_get_payload_len(attr) >= sizeof(*via) + 4 &&
		    via->rtvia_family == AF_INET) {
			memcpy(r->gw, via->rtvia_addr, 4);
			r->gw_len = 4;
			r->has_gw = true;
		} else {
			r->gw_not_v4 = true;
		}
		break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_reply *r = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	r->seen = true;
	r->type = rtm->rtm_type;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, r);
	return MNL_CB_OK;
}

/* RTM_GETROUTE for addr (family AF_INET or AF_INET6) into *r: 0, or
 * -ENETUNREACH for no route (unreachable, prohibit, blackhole), -errno. */
static int route_get(struct ig_nl *nl, int family, const void *addr, struct route_reply *r)
{
	char req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	unsigned int len = family == AF_INET ? 4 : 16;
	struct rtmsg *rtm;
	int err;

	memset(r, 0, sizeof(*r));
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)(len * 8);
	mnl_attr_put(nlh, RTA_DST, len, addr);

	err = nl_talk(nl, nlh, route_cb, r);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH || err == -EINVAL ||
	    err == -EACCES)
		return -ENETUNREACH;     /* no route, unreachable, prohibit, blackhole */
	if (err)
		return err;
	return r->seen && r->oif > 0 ? 0 : -ENETUNREACH;
}

int ig_neigh_nexthop(struct ig_nl *nl, const void *v4, int *ifindex, void *nexthop)
{
	struct route_reply r;
	int err = route_get(nl, AF_INET, v4, &r);

	if (err)
		return err;
	if (r.type != RTN_UNICAST || r.gw_not_v4 || (r.has_gw && r.gw_len != 4))
		return -ENETUNREACH;
	*ifindex = r.oif;
	memcpy(nexthop, r.has_gw ? r.gw : (const unsigned char *)v4, 4);
	return 0;
}

int ig_route6(struct ig_nl *nl, const void *v6, int *ifindex, void *nexthop, bool *via_gw)
{
	struct route_reply r;
	int err = route_get(nl, AF_INET6, v6, &r);

	if (err)
		return err;
	if (r.type == RTN_LOCAL)
		return -EADDRINUSE;
	if (r.type != RTN_UNICAST)
		return -ENETUNREACH;
	*ifindex = r.oif;
	*via_gw = r.has_gw && r.gw_len == 16;
	memcpy(nexthop, *via_gw ? r.gw : (const unsigned char *)v6, 16);
	return 0;
}

struct gw_list {
	unsigned char (*a)[4];
	size_t n, cap;
	int err;
};

static void gw_push(struct gw_list *g, const void *a)
{
	if (g->err)
		return;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		unsigned char (*n)[4] = realloc(g->a, cap * sizeof(*n));

		if (!n) {
			g->err = -ENOMEM;
			return;
		}
		g->a = n;
		g->cap = cap;
	}
	memcpy(g->a[g->n++], a, 4);
}

static int gw_attr_cb(const struct nlattr *attr, void *data)
{
	struct gw_list *g = data;
	const struct rtvia *via;
	const struct rtnexthop *nh;
	int left;

	switch (mnl_attr_get_type(attr)) {
	case RTA_GATEWAY:
		if (mnl_attr_get_payload_len(attr) == 4)
			gw_push(g, mnl_attr_get_payload(attr));
		break;
	case RTA_VIA:
		via = mnl_attr_get_payload(attr);
		if (mnl_attr_get_payload_len(attr) >= sizeof(*via) + 4 &&
		    via->rtvia_family == AF_INET)
			gw_push(g, via->rtvia_addr);
		break;
	case RTA_MULTIPATH:
		nh = mnl_attr_get_payload(attr);
		left = (int)mnl_attr_get_payload_len(attr);
		while (left >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) &&
		       nh->rtnh_len <= left) {
			const struct nlattr *a = (const void *)RTNH_DATA(nh);
			const char *end = (const char *)nh + nh->rtnh_len;

			while (mnl_attr_ok(a, (int)(end - (const char *)a))) {
				if (mnl_attr_get_type(a) == RTA_GATEWAY)
					gw_attr_cb(a, g);
				a = mnl_attr_next(a);
			}
			left -= RTNH_ALIGN(nh->rtnh_len);
			nh = RTNH_NEXT(nh);
		}
		break;
	}
	return MNL_CB_OK;
}

static int gw_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWROUTE)
		mnl_attr_parse(nlh, sizeof(struct rtmsg), gw_attr_cb, data);
	return MNL_CB_OK;
}

/* The end of a dump into a gw_list: the list to the caller, or freed. */
static int gw_list_take(struct gw_list *g, int err, unsigned char (**out)[4], size_t *n)
{
	if (!err)
		err = g->err;
	if (err) {
		free(g->a);
		return err;
	}
	*out = g->a;
	*n = g->n;
	return 0;
}

int ig_neigh_gateways(struct ig_nl *nl, unsigned char (**gws)[4], size_t *n)
{
	struct gw_list g = { 0 };

	return gw_list_take(&g, ig_nl_dump(nl, RTM_GETROUTE, AF_INET, gw_cb, &g), gws, n);
}

/* ---- neighbours ------------------------------------------------------- */

struct neigh_reply {
	bool seen;
	__u16 state;               /* NUD_* */
	__u32 flags_ext;
	__u8 protocol;
};

static int neigh_attr_cb(const struct nlattr *attr, void *data)
{
	struct neigh_reply *n = data;

	switch (mnl_attr_get_type(attr)) {
	case NDA_FLAGS_EXT:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			n->flags_ext = mnl_attr_get_u32(attr);
		break;
	case NDA_PROTOCOL:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
			n->protocol = mnl_attr_get_u8(attr);
		break;
	}
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_reply *n = data;

	if (nlh->nlmsg_type != RTM_NEWNEIGH)
		return MNL_CB_OK;
	n->seen = true;
	n->state = ((const struct ndmsg *)mnl_nlmsg_get_payload(nlh))->ndm_state;
	mnl_attr_parse(nlh, sizeof(struct ndmsg), neigh_attr_cb, n);
	return MNL_CB_OK;
}

static struct nlmsghdr *neigh_req(char *buf, int type, int ifindex, const void *v4)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = type;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	mnl_attr_put(nlh, NDA_DST, 4, v4);
	return nlh;
}

/* Look the entry up: 0 (found, *out filled), -ENOENT, other -errno. */
static int neigh_get(struct ig_nl *nl, int ifindex, const void *v4, struct neigh_reply *out)
{
	char req[256];
	struct nlmsghdr *nlh = neigh_req(req, RTM_GETNEIGH, ifindex, v4);
	int err;

	memset(out, 0, sizeof(*out));
	err = nl_talk(nl, nlh, neigh_cb, out);
	if (err)
		return err;
	return out->seen ? 0 : -ENOENT;
}

int ig_neigh_state(struct ig_nl *nl, int ifindex, const void *v4, unsigned int *state,
		   bool *managed)
{
	struct neigh_reply n;
	int err = neigh_get(nl, ifindex, v4, &n);

	if (err)
		return err;
	*state = n.state;
	*managed = n.flags_ext & NTF_EXT_MANAGED;
	return 0;
}

const char *ig_nud_name(unsigned int state)
{
	if (state & NUD_PERMANENT)
		return "permanent";
	if (state & NUD_REACHABLE)
		return "reachable";
	if (state & NUD_STALE)
		return "stale";
	if (state & NUD_DELAY)
		return "delay";
	if (state & NUD_PROBE)
		return "probe";
	if (state & NUD_INCOMPLETE)
		return "incomplete";
	if (state & NUD_FAILED)
		return "failed";
	if (state & NUD_NOARP)
		return "noarp";
	return "none";
}

int ig_neigh_manage(struct ig_nl *nl, int ifindex, const void *v4, bool add)
{
	char req[256];
	struct neigh_reply cur;
	struct nlmsghdr *nlh;
	int err;

	err = neigh_get(nl, ifindex, v4, &cur);
	if (err && err != -ENOENT)
		return err;

	if (!add) {
		if (err == -ENOENT || !(cur.flags_ext & NTF_EXT_MANAGED) ||
		    cur.protocol != IG_NEIGH_PROTO)
			return 0;
		nlh = neigh_req(req, RTM_DELNEIGH, ifindex, v4);
		err = nl_talk(nl, nlh, NULL, NULL);
		if (err == -ENOENT)
			return 0;
		return err ? err : 1;
	}

	if (!err && (cur.flags_ext & NTF_EXT_MANAGED))
		return 0;
	/* No lladdr: the kernel resolves it, and keeps it resolved.  On an
	 * existing entry the state (and link-layer address) is kept. */
	nlh = neigh_req(req, RTM_NEWNEIGH, ifindex, v4);
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	mnl_attr_put_u32(nlh, NDA_FLAGS_EXT, NTF_EXT_MANAGED);
	mnl_attr_put_u8(nlh, NDA_PROTOCOL, IG_NEIGH_PROTO);
	err = nl_talk(nl, nlh, NULL, NULL);
	if (err)
		return err;
	/* Kernels before 5.16 ignore NDA_FLAGS_EXT: check it took. */
	err = neigh_get(nl, ifindex, v4, &cur);
	if (err)
		return err == -ENOENT ? -EOPNOTSUPP : err;
	if (!(cur.flags_ext & NTF_EXT_MANAGED))
		return -EOPNOTSUPP;
	return 1;
}

int ig_neigh_probe(struct ig_nl *nl, int ifindex, const void *v4)
{
	char req[256];
	struct nlmsghdr *nlh = neigh_req(req, RTM_NEWNEIGH, ifindex, v4);
	struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);

	/* NTF_USE: neigh_event_send() on the entry, as a packet would; its
	 * state and flags (managed) are left alone. */
	ndm->ndm_flags = NTF_USE;
	nlh->nlmsg_flags |= NLM_F_REPLACE;
	return nl_talk(nl, nlh, NULL, NULL);
}

struct ours_ctx {
	struct gw_list *g;
	int ifindex;
};

static int ours_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ours_ctx *c = data;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct neigh_reply r = { 0 };
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || ndm->ndm_family != AF_INET ||
	    ndm->ndm_ifindex != c->ifindex)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr_cb, &r);
	if (!(r.flags_ext & NTF_EXT_MANAGED) || r.protocol != IG_NEIGH_PROTO)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ndm))
		if (mnl_attr_get_type(a) == NDA_DST && mnl_attr_get_payload_len(a) == 4)
			gw_push(c->g, mnl_attr_get_payload(a));
	return MNL_CB_OK;
}

int ig_neigh_ours(struct ig_nl *nl, int ifindex, unsigned char (**addrs)[4], size_t *n)
{
	char req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct gw_list g = { 0 };
	struct ours_ctx c = { .g = &g, .ifindex = ifindex };
	struct ndmsg *ndm;
	int err;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	err = nl_talk(nl, nlh, ours_cb, &c);
	return gw_list_take(&g, err, addrs, n);
}
