// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vlan.c - the real device and tags under a VLAN device (rtnetlink, libmnl). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "common.h"
#include "vlan.h"

struct link_info {
	unsigned int link;             /* IFLA_LINK: the device under this one */
	char name[IF_NAMESIZE];
	int is_vlan;
	unsigned int vid;
	unsigned int proto;            /* host order */
};

static int vlan_data_cb(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_VLAN_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			li->vid = mnl_attr_get_u16(a);
		break;
	case IFLA_VLAN_PROTOCOL:
		if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			li->proto = ntohs(mnl_attr_get_u16(a));
		break;
	}
	return MNL_CB_OK;
}

static int linkinfo_cb(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_INFO_KIND:
		if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0 &&
		    !strcmp(mnl_attr_get_str(a), "vlan"))
			li->is_vlan = 1;
		break;
	case IFLA_INFO_DATA:
		mnl_attr_parse_nested(a, vlan_data_cb, li);
		break;
	}
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_LINK:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			li->link = mnl_attr_get_u32(a);
		break;
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
			snprintf(li->name, sizeof(li->name), "%s", mnl_attr_get_str(a));
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(a, linkinfo_cb, li);
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, data);
}

/* One RTM_GETLINK for ifindex. */
static int link_get(struct mnl_socket *nl, unsigned int ifindex, struct link_info *li)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	unsigned int seq = (unsigned int)time(NULL), portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int rc;

	memset(li, 0, sizeof(*li));
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	rc = mnl_cb_run(buf, (size_t)n, seq, portid, link_cb, li);
	return rc < 0 ? -errno : 0;
}

int ig_vlan_resolve(unsigned int ifindex, const char *name, struct ig_vlan_chain *out)
{
	struct ig_vlan_tag up[3];      /* innermost (the device named) first */
	struct mnl_socket *nl = NULL;
	struct link_info li;
	unsigned int cur = ifindex, n = 0, i;
	int rc = -EIO, err;

	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ig_err("%s: rtnetlink socket: %s", name, strerror(errno));
		goto cleanup;
	}
	for (;;) {
		err = link_get(nl, cur, &li);
		if (err) {
			ig_err("%s: reading link %u over rtnetlink: %s", name, cur, strerror(-err));
			goto cleanup;
		}
		if (!li.is_vlan)
			break;
		if (n == 2) {
			ig_err("%s sits on more than two VLAN tags: isagate handles 802.1Q and "
			       "802.1ad QinQ (at most two tags); attach to a device with fewer",
			       name);
			rc = -EINVAL;
			goto cleanup;
		}
		if (!li.link || (li.proto != 0x8100 && li.proto != 0x88a8)) {
			ig_err("%s: VLAN device %s has no lower device or an unknown protocol "
			       "0x%04x", name, li.name, li.proto);
			rc = -EINVAL;
			goto cleanup;
		}
		up[n].proto = (__u16)li.proto;
		up[n].vid = (__u16)li.vid;
		n++;
		cur = li.link;
	}
	out->lower_ifindex = cur;
	snprintf(out->lower_name, sizeof(out->lower_name), "%s", li.name);
	out->ntags = n;
	for (i = 0; i < n; i++)
		out->tags[i] = up[n - 1 - i];
	rc = 0;

cleanup:
	if (nl)
		mnl_socket_close(nl);
	return rc;
}

void ig_vlan_describe(const struct ig_vlan_chain *c, const char *name, char *buf, size_t len)
{
	unsigned int i;
	int off;

	off = snprintf(buf, len, "%s = %s", name, c->lower_name);
	for (i = 0; i < c->ntags && off >= 0 && (size_t)off < len; i++)
		off += snprintf(buf + off, len - (size_t)off, " %s %u",
				c->tags[i].proto == 0x88a8 ? "802.1ad" : "802.1Q", c->tags[i].vid);
}
