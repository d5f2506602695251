// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * isagate.bpf.c - the XDP entry point: parse, decide, act, count.
 *
 * One program serves both sides of the router (and a one-armed router):
 *  - IPv4 protocol 41 to a router address: admission, source checks,
 *    decapsulation, forwarding to the IPv6 side;
 *  - IPv6 to <ISATAP prefix>::[200:]5efe:a.b.c.d: admission of a.b.c.d,
 *    encapsulation, forwarding to the IPv4 side;
 *  - ICMPv4 errors about packets we tunnelled: relayed as ICMPv6 to the
 *    inner source, fragmentation needed also lowers the member's tunnel
 *    MTU (icmp4.h);
 *  - everything else goes to the kernel untouched.
 * Every packet is counted under exactly one enum ig_reason; forwarded
 * packets are also accounted in their flow (flow.h), refusals reported as
 * events (events.h).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "isagate.h"
#include "verdict.h"
#include "parse.h"
#include "maps.h"
#include "stats.h"
#include "isatap.h"
#include "addr.h"
#include "frame.h"
#include "tunnel.h"
#include "forward.h"
#include "icmp6.h"
#include "icmp4.h"
#include "nd.h"
#include "flow.h"
#include "conntrack.h"
#include "events.h"
#include "hostlog.h"
#include "neigh_req.h"
#include "vlan.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Per-packet working space, per CPU (not pinned).  Kept off the stack: the
 * verifier allows 512 bytes for the whole call chain, and policy_check()
 * (conntrack.h) runs below the handlers.
 */
struct pkt_scratch {
	struct flow_meta fm;
	struct bpf_fib_lookup fib;
	struct icmp6_err_req err;
	struct ig_flow nf;         /* a new flow's entry, before it is inserted */
	__u32 rs_src, rs_dst;      /* a router solicitation from rs_src (0: none) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pkt_scratch);
} scratch SEC(".maps");

/* This CPU's scratch, made ready for a packet, also in *psp for the entry
 * point.  Taken only once the packet is admitted: a refusal never touches
 * it. */
static __always_inline struct pkt_scratch *scratch_get(struct pkt_scratch **psp)
{
	__u32 zero = 0;
	struct pkt_scratch *ps = bpf_map_lookup_elem(&scratch, &zero);

	if (ps) {
		ps->fm.valid = 0;
		ps->rs_src = 0;
	}
	*psp = ps;
	return ps;
}

/* Answer the IPv6 packet in the frame with an ICMPv6 error from ps->err.src
 * (tunnelled: it arrived in protocol 41 with an outer header of hlen). */
static __always_inline struct verdict send_error(struct xdp_md *ctx, struct pkt_scratch *ps,
						 int tunnelled, __u32 hlen, __u32 inner_len,
						 __u8 type, __u8 code, __u32 info, int reason)
{
	struct icmp6_err_req *r = &ps->err;

	r->tunnelled = tunnelled;
	r->hlen = hlen;
	r->inner_len = inner_len;
	r->type = type;
	r->code = code;
	r->info = info;
	r->reason = reason;
	return verdict_unpack(icmp6_error_send(ctx, r));
}

/* Decapsulated packet: forward it, or hand it to the kernel deliberately. */
static __always_inline struct verdict decap_forward(struct xdp_md *ctx, __u32 ifindex,
						     struct ethhdr *eth, struct ipv6hdr *ip6,
						     __u32 hlen, __u16 inner_len,
						     const struct ig_config *cfg,
						     struct bpf_fib_lookup *fib, struct ig_flow *fl)
{
	__u8 our_mac[ETH_ALEN], peer_mac[ETH_ALEN];
	int rc, act;

	__builtin_memcpy(our_mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(peer_mac, eth->h_source, ETH_ALEN);

	/* NOT_FWDED (no route, or the router's own address) is dropped: a
	 * reply from the router's own stack could not be tunnelled back. */
	rc = fib_lookup6(ctx, ifindex, fib, ip6, inner_len, cfg, flow_fwd(fl, IG_FLOW_FROM_MEMBER));
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return mk(XDP_DROP, fib_fail_reason(rc));

	if (trim_frame(ctx, sizeof(struct ethhdr) + hlen + inner_len))
		return mk(XDP_DROP, IG_DROP_INTERNAL);

	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		/* The kernel resolves the neighbour and forwards: keep the
		 * frame addressed to us. */
		if (!tunnel_decap(ctx, hlen, our_mac, peer_mac))
			return mk(XDP_DROP, IG_DROP_INTERNAL);
		return mk(XDP_PASS, IG_KERNEL_DECAP_NEIGH);
	}
	eth = tunnel_decap(ctx, hlen, fib->dmac, fib->smac);
	if (!eth)
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	act = redirect_port(fib->ifindex);
	if (act != XDP_REDIRECT) {
		eth_write(eth, our_mac, peer_mac, ETH_P_IPV6);
		return mk(XDP_PASS, IG_KERNEL_DECAP_DEV);
	}
	if (vlan_egress(ctx, cfg, fib->ifindex))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	return mk(act, IG_FWD_DECAP);
}

/* IPv4 side: protocol 41 to one of our addresses. */
static __always_inline struct verdict handle_ipv4(struct xdp_md *ctx, __u32 ifindex,
						  struct hdr_cursor *c, struct ethhdr *eth,
						  const struct ig_config *cfg,
						  struct pkt_scratch **psp, struct ig_flow **flp)
{
	struct pkt_scratch *ps;
	struct flow_meta *fm;
	struct iphdr *ip = c->pos;
	struct ig_policy_state *pol;
	struct ipv6hdr *ip6;
	struct ig_router *rtr;
	__u32 hlen, tot_len, inner_len;
	int reason, dst_local;

	if ((void *)(ip + 1) > c->end)
		return mk(XDP_PASS, IG_PASS_NOT_ISATAP4);
	/* The ISATAP link is the IPv4 side only (config v4_ifindex; ifindex
	 * is the logical, VLAN, interface; one-armed: both sides are one
	 * interface).  Errors about our tunnel come from there too. */
	if (ip->protocol == IPPROTO_ICMP) {
		if (ifindex != cfg->v4_ifindex)
			return mk(XDP_PASS, IG_PASS_NOT_ISATAP4);
		return icmp4_relay_cached(ctx, ifindex); /* errors about our tunnel */
	}
	if (ip->protocol != IPPROTO_IPV6)
		return mk(XDP_PASS, IG_PASS_NOT_ISATAP4);
	if (!router_is_self(cfg, ip->daddr))
		return mk(XDP_PASS, IG_PASS_NOT_ISATAP4);
	/* Protocol 41 for us anywhere else is refused, not passed: the kernel
	 * would answer it (protocol unreachable) or, with a sit device of its
	 * own, decapsulate it without admission. */
	if (ifindex != cfg->v4_ifindex)
		return mk(XDP_DROP, IG_DROP_NOT_V4_SIDE);

	/* Admission first: a non-member flood costs the config line, a
	 * member cache lookup (isatap.h; the member maps only when the source
	 * is not cached) and its counter, nothing else. */
	if (!member_known(cfg, ip->saddr)) {
		if (!(cfg->flags & IG_CFG_F_HAS_PEERS))
			return mk(XDP_DROP, IG_DROP_NOT_MEMBER);
		rtr = router_lookup(ip->saddr);
		if (!rtr || !(rtr->flags & IG_ROUTER_F_PEER))
			return mk(XDP_DROP, IG_DROP_NOT_MEMBER);
	} else if (router_is_self(cfg, ip->saddr)) {
		/* A member subnet may hold the router's own addresses: a packet
		 * "from" one of them is spoofed (its inner source would pass
		 * as the router's ISATAP address).  Peers are never SELF. */
		return mk(XDP_DROP, IG_DROP_SRC_ROUTER);
	}
	ps = scratch_get(psp);
	if (!ps)
		return mk(XDP_DROP, IG_DROP_INTERNAL); /* cannot happen: a one-entry array */
	fm = &ps->fm;

	if (parse_iphdr(c, &ip) < 0)
		return mk(XDP_DROP, IG_DROP_TRUNC_OUTER);
	hlen = ip->ihl * 4;
	tot_len = bpf_ntohs(ip->tot_len);
	/* The 6.1 verifier (Debian 12) knows nothing of a byte swap's result
	 * (6.1 rejects ip + tot_len: "unbounded min value"): bound it. */
	ig_barrier_var(tot_len);
	tot_len &= 0xffff;
	if (tot_len < hlen || (void *)ip + tot_len > c->end)
		return mk(XDP_DROP, IG_DROP_TRUNC_OUTER);
	if (!ipv4_csum_ok(ip, c->end))
		return mk(XDP_DROP, IG_DROP_BAD_CSUM4);
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFMASK))
		return mk(XDP_DROP, IG_DROP_FRAGMENT);

	inner_len = tot_len - hlen;
	if (parse_ip6hdr(c, &ip6) < 0 ||
	    inner_len != sizeof(*ip6) + bpf_ntohs(ip6->payload_len))
		return mk(XDP_DROP, IG_DROP_TRUNC_INNER);

	/* Router discovery and NUD for the router itself (nd.h). */
	dst_local = ipv6_is_linklocal(&ip6->daddr) || ipv6_is_multicast(&ip6->daddr);
	if (dst_local && ip6->nexthdr == IPPROTO_ICMPV6) {
		/* a solicitation: the entry point records its verdict (the
		 * frame may be rewritten into the answer) */
		if ((void *)c->pos + 1 <= c->end && *(__u8 *)c->pos == ND_RS) {
			ps->rs_src = ip->saddr;
			ps->rs_dst = ip->daddr;
		}
		return nd_handle(ctx, c, ip, ip6, cfg);
	}

	reason = isatap_check_src(&ip6->saddr, ip->saddr, cfg);
	if (reason)
		return mk(XDP_DROP, reason);
	if (dst_local)
		return mk(XDP_DROP, IG_DROP_DST_LOCAL);
	if (ipv6_is_linklocal(&ip6->saddr))
		return mk(XDP_DROP, IG_DROP_SCOPE);
	reason = isatap_check_dst_loop(&ip6->daddr, cfg);
	if (reason)
		return mk(XDP_DROP, reason);
	pol = policy_active(cfg);
	flow_meta_fill(fm, ip6, c->pos, c->end, ip->saddr, IG_FLOW_FROM_MEMBER, inner_len, cfg,
		       pol);
	*flp = flow_lookup(fm);
	if (pol) {
		reason = policy_check(ctx, fm, (void *)ip6 - (void *)(long)ctx->data);
		if (reason == IG_POLICY_REJECT) {
			isatap_addr(&ip6->saddr, ip->daddr, &ps->err.src);
			return send_error(ctx, ps, 1, hlen, inner_len, ICMPV6_DEST_UNREACH_T,
					  ICMPV6_ADM_PROHIBITED, 0, IG_POLICY_REJECT);
		}
		if (reason)
			return mk(XDP_DROP, reason);
	}
	if (ip6->hop_limit <= 1) {
		isatap_addr(&ip6->saddr, ip->daddr, &ps->err.src);
		return send_error(ctx, ps, 1, hlen, inner_len, ICMPV6_TIME_EXCEED_T, 0, 0,
				  IG_ICMP_TIME_EXCEEDED);
	}
	reason = ecn_decap(ip, ip6);
	if (reason)
		return mk(XDP_DROP, reason);
	ip6->hop_limit--;

	return decap_forward(ctx, ifindex, eth, ip6, hlen, inner_len, cfg, &ps->fib, *flp);
}

/* IPv6 side: to <prefix>::[200:]5efe:a.b.c.d, a member. */
static __always_inline struct verdict handle_ipv6(struct xdp_md *ctx, __u32 ifindex,
						  struct hdr_cursor *c, const struct ig_config *cfg,
						  struct pkt_scratch **psp, struct ig_flow **flp)
{
	struct bpf_fib_lookup *fib;
	struct pkt_scratch *ps;
	struct flow_meta *fm;
	struct ig_policy_state *pol;
	struct ipv6hdr *ip6;
	__u32 v4, inner_len;
	__u16 mtu = cfg->tunnel_mtu;
	int df = cfg->flags & IG_CFG_F_DYNAMIC_MTU;
	__u8 tos;
	int rc, act;

	if (parse_ip6hdr(c, &ip6) < 0)
		return mk(XDP_PASS, IG_PASS_NOT_ISATAP6);
	if (!ipv6_is_isatap(&ip6->daddr) || !isatap_prefix_ok(cfg, &ip6->daddr))
		return mk(XDP_PASS, IG_PASS_NOT_ISATAP6);
	rc = encap_check_src(&ip6->saddr, cfg);
	if (rc)
		return mk(XDP_DROP, rc);
	v4 = ipv6_isatap_v4(&ip6->daddr);
	if (router_known(cfg, v4))
		return mk(XDP_DROP, IG_DROP_ENC_LOOP);
	if (!member_known(cfg, v4))
		return mk(XDP_DROP, IG_DROP_ENC_NOT_MEMBER);
	ps = scratch_get(psp);
	if (!ps)
		return mk(XDP_DROP, IG_DROP_INTERNAL); /* cannot happen: a one-entry array */
	fib = &ps->fib;
	fm = &ps->fm;

	inner_len = bpf_ntohs(ip6->payload_len);
	ig_barrier_var(inner_len);     /* bounded for 6.1, as tot_len above */
	inner_len = sizeof(*ip6) + (inner_len & 0xffff);
	if ((void *)ip6 + inner_len > c->end)
		return mk(XDP_DROP, IG_DROP_TRUNC_INNER);
	pol = policy_active(cfg);
	flow_meta_fill(fm, ip6, c->pos, c->end, v4, IG_FLOW_TO_MEMBER, inner_len, cfg, pol);
	*flp = flow_lookup(fm);
	if (pol) {
		int reason = policy_check(ctx, fm, (void *)ip6 - (void *)(long)ctx->data);

		if (reason == IG_POLICY_REJECT) {
			isatap_addr(&ip6->daddr, *(__u32 *)cfg->encap_src, &ps->err.src);
			return send_error(ctx, ps, 0, 0, inner_len, ICMPV6_DEST_UNREACH_T,
					  ICMPV6_ADM_PROHIBITED, 0, IG_POLICY_REJECT);
		}
		if (reason)
			return mk(XDP_DROP, reason);
	}
	/* Learned per-member MTUs exist only in dynamic mode (icmp4.h). */
	if (df)
		member_mtu_apply(v4, &mtu, &df);
	if (ip6->hop_limit <= 1 || inner_len > mtu) {
		isatap_addr(&ip6->daddr, *(__u32 *)cfg->encap_src, &ps->err.src);
		if (ip6->hop_limit <= 1)
			return send_error(ctx, ps, 0, 0, inner_len, ICMPV6_TIME_EXCEED_T, 0, 0,
					  IG_ICMP_TIME_EXCEEDED);
		return send_error(ctx, ps, 0, 0, inner_len, ICMPV6_PKT_TOOBIG_T, 0, mtu,
				  IG_ICMP_TOO_BIG);
	}

	tos = ipv6_tclass(ip6);
	rc = fib_lookup4(ctx, ifindex, fib, *(__u32 *)cfg->encap_src, v4, tos & ~ECN_MASK,
			 inner_len + sizeof(struct iphdr), cfg, flow_fwd(*flp, IG_FLOW_TO_MEMBER));
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		/* A host inside a subnet member has no managed entry yet:
		 * ask `isagate watch` for one (neigh_req.h). */
		neigh_request(v4, fib->ipv4_dst, fib->ifindex);
		return mk(XDP_DROP, IG_DROP_ENC_NO_NEIGH);
	}
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return mk(XDP_DROP, fib_fail_reason(rc));

	ip6->hop_limit--;
	if (trim_frame(ctx, sizeof(struct ethhdr) + inner_len))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	if (!tunnel_encap(ctx, inner_len, *(__u32 *)cfg->encap_src, v4, tos, cfg->ttl,
			  df, fib->dmac, fib->smac))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	act = redirect_port(fib->ifindex);
	if (act != XDP_REDIRECT)
		return mk(XDP_DROP, IG_DROP_ENC_NO_DEV);
	if (vlan_egress(ctx, cfg, fib->ifindex))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	return mk(act, IG_FWD_ENCAP);
}

SEC("xdp")
int xdp_isagate(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	struct pkt_scratch *ps = NULL; /* set once a packet is admitted */
	const struct ig_config *cfg;
	struct ig_counter *ctr;
	struct vlan_state vs;
	struct ig_flow *fl = NULL;
	struct hdr_cursor c;
	struct ethhdr *eth;
	struct verdict v;
	__u32 zero = 0;
	int proto;

	vlan_state_init(&vs, ctx);
	cursor_init(&c, ctx);
	proto = parse_ethhdr(&c, &eth);
	cfg = bpf_map_lookup_elem(&config, &zero);

	if (proto < 0 || !cfg || cfg->abi_version != ISAGATE_ABI_VERSION)
		v = mk(XDP_PASS, IG_PASS_NOT_IP);
	else if (is_vlan_proto(proto) && (proto = vlan_ingress(ctx, &c, &eth, &vs)) < 0)
		v = mk(XDP_PASS, IG_PASS_VLAN);   /* unknown tags, or more than two */
	else if (proto == bpf_htons(ETH_P_IP))
		v = handle_ipv4(ctx, vs.ifindex, &c, eth, cfg, &ps, &fl);
	else if (proto == bpf_htons(ETH_P_IPV6))
		v = handle_ipv6(ctx, vs.ifindex, &c, cfg, &ps, &fl);
	else
		v = mk(XDP_PASS, IG_PASS_NOT_IP);

	/* back where it came from: with the tags it came with */
	if (vs.ntags && (v.action == XDP_PASS || v.action == XDP_TX) && vlan_restore(ctx, &vs))
		v = mk(XDP_DROP, IG_DROP_INTERNAL);
	ctr = count(v.reason, len);
	if (cfg)
		event_emit(ctx, cfg, v.reason, len, vs.ifindex, ctr);
	/* last: little is live across the flow cache's call (flowcache.h) */
	if (ps) {
		if (ps->rs_src)
			host_log_rs(ps->rs_src, ps->rs_dst, v.reason);
		if (ps->fm.valid)
			flow_account(&ps->fm, v.reason, fl, &ps->nf, &ps->fib, cfg);
	}
	return v.action;
}
