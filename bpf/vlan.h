/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * vlan.h - 802.1Q and 802.1ad (QinQ) sub-interfaces as router sides.
 *
 * A VLAN device cannot run XDP, so the program runs on the lowest real
 * device and the loader describes each configured VLAN interface in two
 * maps (layouts in include/isagate.h):
 *
 *  - entry: a frame with one or two tags (0x8100/0x88a8) whose tags map to a
 *    logical interface in vlan_in loses its tags (vlan_ingress) and is then
 *    handled exactly like an untagged frame received on that interface: the
 *    FIB lookups, the forwarding-cache key and events use the logical
 *    ifindex.  Unknown tags, or more than two, leave the frame untouched
 *    (counted pass_vlan by the caller).
 *  - exit: a frame going back where it came from (XDP_PASS to the kernel,
 *    XDP_TX) gets its original tags back, PCP and DEI included
 *    (vlan_restore); a frame redirected to a logical interface listed in
 *    vlan_out gets that interface's tags (vlan_egress, PCP 0 DEI 0, as a
 *    Linux VLAN device without an egress-qos-map sends) and leaves through
 *    its lower device (tx_ports maps the logical ifindex to it).
 *
 * Untagged traffic pays one EtherType compare at entry and, when VLANs are
 * configured (IG_CFG_F_VLAN), one hash lookup per redirected frame.
 */
#ifndef IG_VLAN_H
#define IG_VLAN_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "isagate.h"
#include "parse.h"

/* (lower ifindex, tags) -> logical interface. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IG_MAX_VLANS);
	__type(key, struct ig_vlan_key);
	__type(value, struct ig_vlan_if);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vlan_in SEC(".maps");

/* logical interface -> (lower ifindex, tags). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IG_MAX_VLANS);
	__type(key, __u32);
	__type(value, struct ig_vlan_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vlan_out SEC(".maps");

struct ig_vlan_hdr {
	__be16 tci;
	__be16 proto;              /* the next TPID or the EtherType */
};

/* What entry did, for the exit. */
struct vlan_state {
	__u32 ifindex;             /* logical ingress interface */
	__u32 ntags;               /* tags removed at entry, 0 = untagged */
	__be16 tpid[2];            /* as they were on the wire */
	__be16 tci[2];
};

static __always_inline void vlan_state_init(struct vlan_state *vs, struct xdp_md *ctx)
{
	vs->ifindex = ctx->ingress_ifindex;
	vs->ntags = 0;
}

/*
 * Insert n (1 or 2) tags after the MAC addresses.  Returns 0, or -1 when
 * the frame is too short or there is no headroom.
 */
static __always_inline int vlan_push(struct xdp_md *ctx, __u32 n, const __be16 *tpid,
				     const __be16 *tci)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ig_vlan_hdr *t;
	__u8 macs[2 * ETH_ALEN];
	__be16 *p;

	if (data + sizeof(macs) > end)
		return -1;
	__builtin_memcpy(macs, data, sizeof(macs));
	if (bpf_xdp_adjust_head(ctx, n == 2 ? -8 : -4))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + sizeof(macs) + (n == 2 ? 8 : 4) > end)
		return -1;
	__builtin_memcpy(data, macs, sizeof(macs));
	/* TPID, TCI[, TPID, TCI]; the EtherType after them is already there */
	p = data + sizeof(macs);
	t = (void *)(p + 1);
	p[0] = tpid[0];
	t->tci = tci[0];
	if (n == 2) {
		if ((void *)(t + 2) > end)
			return -1;
		t->proto = tpid[1];
		t++;
		t->tci = tci[1];
	}
	return 0;
}

/*
 * Entry, for a frame whose EtherType (eth->h_proto) is a VLAN TPID: when its
 * tags (one or two) belong to a configured interface, remove them, point c
 * and *eth at the untagged frame, record them in vs and return the
 * EtherType behind them (network order).  Otherwise -1, frame untouched.
 */
static __always_inline int vlan_ingress(struct xdp_md *ctx, struct hdr_cursor *c,
					struct ethhdr **eth, struct vlan_state *vs)
{
	struct ig_vlan_hdr *v = c->pos;
	struct ig_vlan_key k;
	const struct ig_vlan_if *d;
	__u8 macs[2 * ETH_ALEN];
	__be16 proto;
	__u32 n = 1;
	void *data;

	if ((void *)(v + 1) > c->end)
		return -1;
	__builtin_memset(&k, 0, sizeof(k));
	k.ifindex = ctx->ingress_ifindex;
	k.outer.proto = bpf_ntohs((*eth)->h_proto);
	k.outer.vid = bpf_ntohs(v->tci) & IG_VLAN_VID_MASK;
	vs->tpid[0] = (*eth)->h_proto;
	vs->tci[0] = v->tci;
	proto = v->proto;
	if (is_vlan_proto(proto)) {
		struct ig_vlan_hdr *v2 = (void *)(v + 1);

		if ((void *)(v2 + 1) > c->end || is_vlan_proto(v2->proto))
			return -1;      /* truncated, or more than two tags */
		k.inner.proto = bpf_ntohs(proto);
		k.inner.vid = bpf_ntohs(v2->tci) & IG_VLAN_VID_MASK;
		vs->tpid[1] = proto;
		vs->tci[1] = v2->tci;
		proto = v2->proto;
		n = 2;
	}
	d = bpf_map_lookup_elem(&vlan_in, &k);
	if (!d)
		return -1;

	__builtin_memcpy(macs, *eth, sizeof(macs));
	if (bpf_xdp_adjust_head(ctx, (int)(n * 4)))
		return -1;
	cursor_init(c, ctx);
	data = c->pos;
	if (data + sizeof(struct ethhdr) > c->end)
		return -1;          /* cannot happen: the tags were in the frame */
	__builtin_memcpy(data, macs, sizeof(macs));
	*eth = data;
	c->pos = data + sizeof(struct ethhdr);
	vs->ifindex = d->ifindex;
	vs->ntags = n;
	return proto;
}

/* Exit, XDP_PASS or XDP_TX: put the tags removed at entry back. */
static __always_inline int vlan_restore(struct xdp_md *ctx, const struct vlan_state *vs)
{
	return vlan_push(ctx, vs->ntags, vs->tpid, vs->tci);
}

/*
 * A frame about to be redirected to the logical interface oif: when oif is
 * a VLAN interface, add its tags.  Returns 0, or -1 when they could not be
 * added.
 */
static __always_inline int vlan_egress(struct xdp_md *ctx, const struct ig_config *cfg, __u32 oif)
{
	const struct ig_vlan_port *p;
	__be16 tpid[2], tci[2];

	if (!(cfg->flags & IG_CFG_F_VLAN))
		return 0;
	p = bpf_map_lookup_elem(&vlan_out, &oif);
	if (!p)
		return 0;
	tpid[0] = bpf_htons(p->outer.proto);
	tci[0] = bpf_htons(p->outer.vid & IG_VLAN_VID_MASK);
	tpid[1] = bpf_htons(p->inner.proto);
	tci[1] = bpf_htons(p->inner.vid & IG_VLAN_VID_MASK);
	return vlan_push(ctx, p->ntags == 2 ? 2 : 1, tpid, tci);
}

#endif /* IG_VLAN_H */
