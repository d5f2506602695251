/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * neigh.h - managed IPv4 neighbour entries for members.
 *
 * The datapath encapsulates towards a member with bpf_fib_lookup; when the
 * next hop's neighbour entry is not resolved the packet is dropped and
 * counted (drop_enc_no_neigh), and the kernel cannot resolve it for us
 * because an encapsulated packet with our own source address handed to the
 * stack is dropped as martian.  So the loader asks the kernel to keep the
 * next hop resolved: a *managed* neighbour entry (NTF_EXT_MANAGED, Linux
 * >= 5.16) is resolved and kept REACHABLE by the kernel on its own.
 *
 * Entries we create carry NDA_PROTOCOL IG_NEIGH_PROTO so that we only ever
 * delete our own ("ip neigh show proto 73").
 */
#ifndef IG_NEIGH_H
#define IG_NEIGH_H

#include <stdbool.h>

#define IG_NEIGH_PROTO 73            /* 'I'; not in /etc/iproute2/rt_protos */

/* NUD states in which bpf_fib_lookup uses an entry (the kernel's NUD_VALID) */
#define IG_NUD_USABLE \
	(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY)

struct ig_nl;                        /* an rtnetlink socket */

/* Open/close an rtnetlink socket in the current network namespace.
 * ig_nl_open returns NULL with errno set. */
struct ig_nl *ig_nl_open(void);
void ig_nl_close(struct ig_nl *nl);

/* Dump rtnetlink table type (RTM_GETLINK, RTM_GETROUTE, ...) of family
 * (AF_UNSPEC for all), calling cb on every message.  0 or -errno. */
struct nlmsghdr;
typedef int (*ig_nl_cb)(const struct nlmsghdr *nlh, void *data);
int ig_nl_dump(struct ig_nl *nl, int type, int family, ig_nl_cb cb, void *data);

/*
 * How the kernel reaches IPv4 address v4 (RTM_GETROUTE): the egress
 * interface and the next hop (the gateway, or v4 itself when on-link).
 * Returns 0; -ENETUNREACH for no route or a route that is not unicast
 * (local, blackhole, ...); other -errno.
 */
int ig_neigh_nexthop(struct ig_nl *nl, const void *v4, int *ifindex, void *nexthop);

/*
 * How the kernel routes IPv6 address v6: the egress interface and the next
 * hop (*via_gw: a gateway, else v6 itself, on-link).  0; -ENETUNREACH for
 * no route or one that is not unicast; -EADDRINUSE when v6 is local.
 */
int ig_route6(struct ig_nl *nl, const void *v6, int *ifindex, void *nexthop, bool *via_gw);

/* The IPv4 neighbour entry of v4 on ifindex: its NUD state and whether it
 * is managed.  0, -ENOENT (no entry), other -errno. */
int ig_neigh_state(struct ig_nl *nl, int ifindex, const void *v4, unsigned int *state,
		   bool *managed);
/* "reachable", "stale", "failed", ... of a NUD_* state. */
const char *ig_nud_name(unsigned int state);

/* Every IPv4 gateway of the routing tables (all tables, multipath
 * included), to keep the managed entries of next hops still in use.
 * *gws is malloc'ed.  0 or -errno. */
int ig_neigh_gateways(struct ig_nl *nl, unsigned char (**gws)[4], size_t *n);

/*
 * add: make the neighbour entry for v4 on ifindex managed (created when
 * absent, converted in place when present, state kept).  Returns 1 when
 * done now, 0 when it was already managed.
 * !add: delete the entry if it is managed and was created by isagate.
 * Returns 1 when deleted, 0 when there was nothing of ours.
 * Both: -errno on failure (-EOPNOTSUPP: kernel without managed neighbours).
 */
int ig_neigh_manage(struct ig_nl *nl, int ifindex, const void *v4, bool add);

/*
 * Start resolving the entry for v4 on ifindex now (NTF_USE: what a packet
 * waiting for it would do), rather than at the kernel's next managed-entry
 * probe, which may be seconds away.  0 or -errno.
 */
int ig_neigh_probe(struct ig_nl *nl, int ifindex, const void *v4);

/* The IPv4 neighbour entries on ifindex that are managed and ours (proto
 * IG_NEIGH_PROTO): *addrs is malloc'ed.  0 or -errno. */
int ig_neigh_ours(struct ig_nl *nl, int ifindex, unsigned char (**addrs)[4], size_t *n);

#endif /* IG_NEIGH_H */
