/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * icmp4.h - ICMPv4 errors about packets the router tunnelled, relayed as
 * ICMPv6 errors (RFC 4213 3.4), and the per-member tunnel MTU they teach
 * (RFC 4213 3.2).  What is relayed, what is refused and why: README.md,
 * "ICMPv4 error relay and per-member MTU" (the one description).
 *
 * The ICMPv6 error is built in place: the quoted IPv6 packet sits at offset
 * 14 + IHL*4 + 8 + 20 >= 62 of the frame, exactly where it must be behind
 * the new Ethernet, IPv6 and ICMPv6 headers once the head moves forward by
 * IHL*4 - 20.
 */
#ifndef IG_ICMP4_H
#define IG_ICMP4_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "isagate.h"
#include "csum.h"
#include "parse.h"
#include "maps.h"
#include "clock.h"
#include "isatap.h"

/*
 * The ICMPv4 header and the codes used here (RFC 792, RFC 1191, RFC 1812
 * §5.2.7.1), written out rather than taken from <linux/icmp.h>: that header
 * includes <linux/if.h>, which includes glibc's <sys/socket.h>, and for a
 * BPF target glibc's headers ask for gnu/stubs-32.h (libc6-dev-i386).  The
 * BPF build reaches no glibc header (the Makefile checks).
 */
struct ig_icmp4hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 unused;
	__be16 mtu;		/* next-hop MTU of "fragmentation needed" */
};

#define IG_ICMP4_DEST_UNREACH	3
#define IG_ICMP4_TIME_EXCEEDED	11
#define IG_ICMP4_FRAG_NEEDED	4
#define IG_ICMP4_NET_ANO	9
#define IG_ICMP4_HOST_ANO	10
#define IG_ICMP4_PKT_FILTERED	13
#include "frame.h"
#include "tunnel.h"
#include "forward.h"
#include "vlan.h"
#include "icmp6.h"
#include "verdict.h"
#include "flow.h"
#include "policy.h"
#include "conntrack.h"

#define ICMPV6_DEST_UNREACH_T    1
#define ICMPV6_ADDR_UNREACH_C    3
#define ICMPV6_ADM_PROHIBITED_C  1

/* Longest ICMPv4 message whose checksum is verified (RFC 1812 §4.3.2.3
 * errors are at most 576 bytes with their IPv4 header). */
#define IG_ICMP4_MAX_LEN (IG_SUM_MAX_WORDS * 4)
/* ICMPv6 error header + quote in an IPv6 packet of 1280 bytes. */
#define IG_ICMP6_QUOTE_MAX (IG_ICMP6_MIN_MTU - sizeof(struct ipv6hdr) - 8)
#define IG_MTU_EXPIRE_NS ((__u64)IG_MEMBER_MTU_EXPIRE_S * 1000000000ull)

/*
 * The tunnel MTU and DF bit for packets to member v4: *mtu and *df stay as
 * given (the configured values) unless a fresh learned entry lowers the MTU
 * or clears DF.  An expired entry is removed.
 */
static __always_inline void member_mtu_apply(__u32 v4, __u16 *mtu, int *df)
{
	struct ig_member_mtu *e;
	struct ig_v4_key k;

	__builtin_memcpy(k.addr, &v4, sizeof(k.addr));
	e = bpf_map_lookup_elem(&member_mtu, &k);
	if (!e)
		return;
	if (coarse_now() - e->learned_ns >= IG_MTU_EXPIRE_NS) {
		bpf_map_delete_elem(&member_mtu, &k);
		return;
	}
	if (e->mtu < *mtu)
		*mtu = e->mtu;
	if (e->flags & IG_MTU_F_NO_DF)
		*df = 0;
}

/* Record what a fragmentation-needed report taught about member v4: a lower
 * (or equal: refreshed) path MTU replaces a fresh entry, anything replaces an
 * expired one. */
static __always_inline void member_mtu_learn(__u32 v4, __u16 mtu, __u16 path_mtu, __u32 flags)
{
	struct ig_member_mtu *e, n = { .mtu = mtu, .path_mtu = path_mtu, .flags = flags };
	__u64 now = coarse_now();
	struct ig_v4_key k;

	__builtin_memcpy(k.addr, &v4, sizeof(k.addr));
	e = bpf_map_lookup_elem(&member_mtu, &k);
	if (e && now - e->learned_ns < IG_MTU_EXPIRE_NS && e->path_mtu < path_mtu)
		return;
	n.learned_ns = now;
	bpf_map_update_elem(&member_mtu, &k, &n, BPF_ANY);
}

/* RFC 1191 §7 plateau below an IPv4 packet of tot_len bytes. */
static __always_inline __u16 pmtu_plateau(__u16 tot_len)
{
	if (tot_len > 32000)
		return 32000;
	if (tot_len > 17914)
		return 17914;
	if (tot_len > 8166)
		return 8166;
	if (tot_len > 4352)
		return 4352;
	if (tot_len > 2002)
		return 2002;
	if (tot_len > 1492)
		return 1492;
	if (tot_len > 1006)
		return 1006;
	return 576;
}

/* A destination an error may be relayed to: routable unicast, not ours. */
static __always_inline int relay_dst_ok(const struct in6_addr *a)
{
	if (ipv6_src_invalid(a) || ipv6_is_linklocal(a))
		return 0;
	if (ipv6_is_isatap(a) && isatap_prefix(a))
		return 0;
	return 1;
}

/* Working space of icmp4_relay(), per CPU (not pinned): kept off the stack
 * (and map keys the 6.1 verifier accepts: a map value, not a global
 * function's argument). */
struct icmp4_scratch {
	struct bpf_fib_lookup fib;
	struct ipv6hdr h6;
	struct ig_flow_key key;    /* the quoted packet's flow (and connection) */
	__u32 fc_idx;		   /* fc_cached()'s map key */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct icmp4_scratch);
} icmp4_scratch SEC(".maps");

/*
 * The flow-table key (flow.h, flow_meta_fill()) of the quoted packet q6, a
 * packet towards member: remote -> member, IG_FLOW_TO_MEMBER.  The caller
 * has checked that q6 and 8 bytes after it are in the frame.  The
 * connection table uses the same key.
 */
static __always_inline void icmp4_quote_key(struct ig_flow_key *k, const struct ipv6hdr *q6,
					    __u32 member)
{
	const __u8 *p = (const void *)(q6 + 1);
	__u16 sport = 0, dport = 0;

	__builtin_memcpy(k->member, &member, 4);
	__builtin_memcpy(k->member_addr, &q6->daddr, 16);
	__builtin_memcpy(k->remote_addr, &q6->saddr, 16);
	k->proto = q6->nexthdr;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
	switch (q6->nexthdr) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		sport = (__u16)(p[0] << 8 | p[1]);
		dport = (__u16)(p[2] << 8 | p[3]);
		break;
	case IPPROTO_ICMPV6:
		if (p[0] == 128 || p[0] == 129) {
			/* keyed as flow_meta_fill keys a packet to the member: a
			 * reply belongs to the member's request, a request to
			 * the remote host's */
			sport = p[0] == 129 ? IG_FLOW_ICMP_ECHO_PORT : IG_FLOW_ICMP_ECHO_IN_PORT;
			dport = (__u16)(p[4] << 8 | p[5]);
		} else {
			sport = (__u16)(p[0] << 8 | p[1]);
		}
		break;
	}
	k->member_port = dport;
	k->remote_port = sport;
}

/*
 * With a policy loaded (st): does the quoted connection (sc->key) pass?  A
 * relayed error is only ever a related one (conntrack.h): unlike an ICMPv6
 * error arriving on the IPv6 side it is never classified by the rules on
 * its own, so the connection must be in the connection table, unexpired,
 * and admitted under the current policy (gen).  The packet the error is
 * about passed ct_check() a moment ago, which re-evaluated its connection
 * against the current rules; a connection still marked with an older
 * generation has carried nothing since the policy changed, so nothing the
 * error could be about (re-evaluating it here would need policy_match(),
 * whose stack frame does not fit below this one).  Without a flow table
 * (flows_off) the connection is also the proof that the router tunnelled
 * something to the member on it: the remote side opened it or answered.
 * 0, or the refusal's reason.
 */
static __always_inline int icmp4_conn_ok(struct ig_policy_state *st, struct icmp4_scratch *sc,
					 int flows_off, __u32 len)
{
	__u32 bank = (st->active - 1) & 1;
	struct ig_conn *ct;

	ct = bpf_map_lookup_elem(&conns, &sc->key);
	if (!ct)
		return flows_off ? IG_ICMP4_NO_FLOW : IG_ICMP4_POLICY;
	if (flows_off && ct->dir != IG_PD_IN &&
	    (ct->state == IG_CT_NEW || ct->state == IG_CT_SYN_SENT))
		return IG_ICMP4_NO_FLOW;     /* nothing came back to the member yet */
	if (ct->gen != st->gen || ct_expired(ct, &st->bank[bank], sc->key.proto, coarse_now()))
		return IG_ICMP4_POLICY;
	policy_count(bank, ct->rule, len, 0);
	return 0;
}

/*
 * An IPv4 ICMP packet (protocol 1) at c->pos, on either side.  Relays it
 * as described above, or passes it on untouched.
 */
static __always_inline struct verdict icmp4_relay(struct xdp_md *ctx, __u32 ifindex,
						  struct hdr_cursor *c, const struct ig_config *cfg,
						  int flow_known)
{
	const struct verdict pass = mk(XDP_PASS, IG_PASS_NOT_ISATAP4);
	const struct verdict no = mk(XDP_PASS, IG_ICMP4_NOT_RELAYED);
	const __u32 head = sizeof(struct ethhdr) + sizeof(struct ipv6hdr) + 8;
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct icmp4_scratch *sc;
	struct bpf_fib_lookup *fib;
	struct in6_addr src, dst;
	struct ipv6hdr *q6, *h6;
	struct icmp6hdr *icmp6;
	struct ig_icmp4hdr *icmp;
	struct ig_router *rtr;
	struct ig_policy_state *pol;
	struct ig_flow *f;
	struct iphdr *ip, *q;
	__u8 our_mac[ETH_ALEN], peer_mac[ETH_ALEN];
	__u32 hlen, tot_len, icmp_len, qlen, q6_total, info = 0, member;
	__u8 type, code, l4_type, learn = 0;
	__u16 mtu = 0, pmtu = 0;
	__u32 mtu_flags = 0;
	void *data, *end = c->end;
	__u64 sum = 0;
	__u16 csum;
	__u32 zero = 0;
	int rc, act;

	if (parse_iphdr(c, &ip) < 0 || (ip->frag_off & bpf_htons(IP_MF | IP_OFFMASK)))
		return pass;
	rtr = router_lookup(ip->daddr);
	if (!rtr || !(rtr->flags & IG_ROUTER_F_SELF))
		return pass;
	hlen = ip->ihl * 4;
	tot_len = bpf_ntohs(ip->tot_len);
	/* The 6.1 verifier (Debian 12) knows nothing of a byte swap's result
	 * (6.1 rejects ip + tot_len: "unbounded min value"): bound it. */
	ig_barrier_var(tot_len);
	tot_len &= 0xffff;
	if (tot_len < hlen + sizeof(*icmp) + sizeof(*q) || (void *)ip + tot_len > end)
		return pass;
	icmp = c->pos;
	if ((void *)(icmp + 1) > end ||
	    (icmp->type != IG_ICMP4_DEST_UNREACH && icmp->type != IG_ICMP4_TIME_EXCEEDED))
		return pass;
	/* About a packet we encapsulated: protocol 41, IHL 5, from one of our
	 * addresses to a member. */
	q = (void *)(icmp + 1);
	if ((void *)(q + 1) > end || q->version != 4 || q->ihl != 5 ||
	    q->protocol != IPPROTO_IPV6)
		return pass;
	rtr = router_lookup(q->saddr);
	if (!rtr || !(rtr->flags & IG_ROUTER_F_SELF))
		return pass;
	member = q->daddr;
	if (!member_known(cfg, member))
		return pass;

	/* Ours: from here on a refusal is icmp4_not_relayed. */
	if (!ipv4_csum_ok(ip, end))
		return no;
	icmp_len = tot_len - hlen;
	if (icmp_len > IG_ICMP4_MAX_LEN)
		return no;
	if (pkt_sum_words(icmp, end, icmp_len / 4, &sum) ||
	    pkt_sum_tail((const __u8 *)icmp + (icmp_len & 0x7fc), end, icmp_len & 3, &sum) ||
	    csum_fold(sum) != 0xffff)
		return no;

	/* The quote: the original datagram is the RFC 4884 length when the
	 * error carries one, else everything after the ICMPv4 header. */
	qlen = icmp_len - sizeof(*icmp);
	if (((__u8 *)icmp)[5] && ((__u8 *)icmp)[5] * 4u < qlen)
		qlen = ((__u8 *)icmp)[5] * 4u;
	if (q->frag_off & bpf_htons(IP_OFFMASK) || qlen < sizeof(*q) + sizeof(*q6) + 8)
		return no;
	qlen -= sizeof(*q);
	q6 = (void *)(q + 1);
	if ((void *)(q6 + 1) + 8 > end || q6->version != 6)
		return no;
	q6_total = sizeof(*q6) + bpf_ntohs(q6->payload_len);
	if (qlen > q6_total)
		qlen = q6_total;
	if (qlen > IG_ICMP6_QUOTE_MAX)
		qlen = IG_ICMP6_QUOTE_MAX;
	l4_type = *(__u8 *)(q6 + 1);
	if (q6->nexthdr == IPPROTO_ICMPV6 && l4_type < 128)
		return no;
	dst = q6->saddr;
	if (!relay_dst_ok(&dst) || !ipv6_is_isatap(&q6->daddr) || !isatap_prefix(&q6->daddr))
		return no;

	type = ICMPV6_DEST_UNREACH_T;
	code = ICMPV6_ADDR_UNREACH_C;
	if (icmp->type == IG_ICMP4_TIME_EXCEEDED) {
		type = ICMPV6_TIME_EXCEED_T;
		code = 0;
	} else if (icmp->code == IG_ICMP4_FRAG_NEEDED) {
		__u16 qtot = bpf_ntohs(q->tot_len), tmtu = cfg->tunnel_mtu;

		/* Only dynamic mode sets DF: in static mode, or about a
		 * packet without DF, the report is not genuine. */
		if (!(q->frag_off & bpf_htons(IP_DF)) || !(cfg->flags & IG_CFG_F_DYNAMIC_MTU))
			return no;
		pmtu = bpf_ntohs(icmp->mtu);
		mtu = IG_ICMP6_MIN_MTU;
		if (pmtu < 68 || pmtu >= qtot) {
			pmtu = pmtu_plateau(qtot);
			mtu_flags |= IG_MTU_F_PLATEAU;
		}
		if (pmtu >= IG_ICMP6_MIN_MTU + sizeof(struct iphdr))
			mtu = pmtu - sizeof(struct iphdr);
		else
			mtu_flags |= IG_MTU_F_NO_DF;
		learn = 1;
		type = ICMPV6_PKT_TOOBIG_T;
		code = 0;
		info = mtu < tmtu ? mtu : tmtu;
	} else if (icmp->code == IG_ICMP4_NET_ANO || icmp->code == IG_ICMP4_HOST_ANO ||
		   icmp->code == IG_ICMP4_PKT_FILTERED) {
		code = ICMPV6_ADM_PROHIBITED_C;
	}

	/* Is the quote true?  Anyone can send the router an ICMPv4 error, so
	 * before the router speaks for itself (an ICMPv6 error from its own
	 * address) or learns an MTU: the quoted packet must be one it really
	 * tunnelled to that member.  First, its inner destination is the
	 * member's own ISATAP address (either u-bit form) ... */
	if (ipv6_isatap_v4(&q6->daddr) != member)
		return mk(XDP_PASS, IG_ICMP4_QUOTE_MISMATCH);
	sc = bpf_map_lookup_elem(&icmp4_scratch, &zero);
	if (!sc)
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	/* ... then it belongs to a flow with packets tunnelled to the member
	 * (the flow table, flow.h) ... */
	icmp4_quote_key(&sc->key, q6, member);
	pol = policy_active(cfg);
	if (!(cfg->flags & IG_CFG_F_NO_FLOWS)) {
		f = bpf_map_lookup_elem(&flows, &sc->key);
		/* flow_known: not in the table yet, in a CPU's flow cache
		 * (icmp4_relay_cached) */
		if (!flow_known && (!f || !f->to_member.packets))
			return mk(XDP_PASS, IG_ICMP4_NO_FLOW);
	} else if (!pol) {
		/* --flows 0 and no policy: nothing to check the quote
		 * against, and believing it is what this guards against. */
		return mk(XDP_PASS, IG_ICMP4_UNTRACKED);
	}
	/* ... and, with a policy, to a connection the policy admits. */
	if (pol) {
		int r = icmp4_conn_ok(pol, sc, cfg->flags & IG_CFG_F_NO_FLOWS,
				      sizeof(struct ipv6hdr) + 8 + qlen);

		if (r)
			return mk(XDP_PASS, r);
	}

	/* A verified report: learn what it teaches, even if the relay itself
	 * is rate-limited or has no route. */
	if (learn)
		member_mtu_learn(member, mtu, pmtu, mtu_flags);
	isatap_addr(&q6->daddr, q->saddr, &src);

	if (!ratelimit_icmp_ok(0, &dst, cfg->icmp_min_interval_ms))
		return mk(XDP_DROP, IG_ICMP4_RELAY_RATE_LIMITED);

	/* The way back to the inner source, before the frame changes. */
	fib = &sc->fib;
	h6 = &sc->h6;
	__builtin_memset(h6, 0, sizeof(*h6));
	h6->version = 6;
	h6->nexthdr = IPPROTO_ICMPV6;
	h6->saddr = src;
	h6->daddr = dst;
	rc = fib_lookup6(ctx, ifindex, fib, h6, sizeof(*h6) + 8 + qlen, cfg, NULL);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return no;
	if ((void *)(eth + 1) > end)
		return no;
	__builtin_memcpy(our_mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(peer_mac, eth->h_source, ETH_ALEN);

	/* In place: the quoted IPv6 packet stays where it is. */
	if (bpf_xdp_adjust_head(ctx, (int)(hlen - sizeof(struct iphdr))))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	if (trim_frame(ctx, head + qlen))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if (data + head > end)
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	q6 = data + sizeof(struct ethhdr);
	icmp6 = (void *)(q6 + 1);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		eth_write(eth, our_mac, peer_mac, ETH_P_IPV6);
	else
		eth_write(eth, fib->dmac, fib->smac, ETH_P_IPV6);
	ip6_build(q6, &src, &dst, 8 + qlen, IPPROTO_ICMPV6, IG_ICMP6_HOPLIMIT);
	icmp6->icmp6_type = type;
	icmp6->icmp6_code = code;
	icmp6->icmp6_cksum = 0;
	icmp6->icmp6_dataun.un_data32[0] = bpf_htonl(info);

	sum = icmp6_pseudo_sum(&src, &dst, 8 + qlen);
	if (pkt_sum_words(icmp6, end, (8 + qlen) / 4, &sum) ||
	    pkt_sum_tail(data + head + (qlen & ~3u), end, qlen & 3, &sum))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	csum = ~csum_fold(sum);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	icmp6 = data + sizeof(struct ethhdr) + sizeof(struct ipv6hdr);
	if ((void *)(icmp6 + 1) > end)
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	icmp6->icmp6_cksum = csum;

	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return mk(XDP_PASS, IG_ICMP4_RELAY_KERNEL);
	act = redirect_port(fib->ifindex);
	if (act != XDP_REDIRECT) {
		eth = data;
		if ((void *)(eth + 1) > end)
			return mk(XDP_DROP, IG_DROP_INTERNAL);
		eth_write(eth, our_mac, peer_mac, ETH_P_IPV6);
		return mk(XDP_PASS, IG_ICMP4_RELAY_KERNEL);
	}
	if (vlan_egress(ctx, cfg, fib->ifindex))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	return mk(act, IG_ICMP4_RELAYED);
}

/*
 * icmp4_relay() as a global function (checked once by the verifier, its
 * stack frame apart from the entry point's): the frame holds an untagged
 * IPv4 packet (VLAN tags already removed) that arrived on logical
 * interface ifindex.  Returns verdict_pack() of the verdict.
 */
__attribute__((noinline)) int icmp4_relay_send(struct xdp_md *ctx, __u32 ifindex, int flow_known)
{
	const struct ig_config *cfg;
	struct hdr_cursor c;
	struct ethhdr *eth;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return verdict_pack(mk(XDP_DROP, IG_DROP_INTERNAL));
	cursor_init(&c, ctx);
	if (parse_ethhdr(&c, &eth) != bpf_htons(ETH_P_IP))
		return verdict_pack(mk(XDP_DROP, IG_DROP_INTERNAL));
	return verdict_pack(icmp4_relay(ctx, ifindex, &c, cfg, flow_known));
}

/* Is the flow of the quote icmp4_relay() last keyed on this CPU, with
 * packets tunnelled to the member, in what the collector folded or in a
 * CPU's flow cache?  A function of its own: the relay's frame and the entry
 * point's leave no room for its stack inside the relay. */
static __noinline int icmp4_quote_cached(void)
{
	struct icmp4_scratch *sc;
	struct ig_flow *f;
	__u32 zero = 0;

	sc = bpf_map_lookup_elem(&icmp4_scratch, &zero);
	if (!sc)
		return 0;
	f = bpf_map_lookup_elem(&flows_folded, &sc->key);
	return (f && f->to_member.packets) || fc_cached(&sc->key, IG_FC_TO_MEMBER, &sc->fc_idx);
}

/*
 * Relay an ICMPv4 error about the tunnel (icmp4_relay_send).  With the flow
 * cache, the quoted flow is in "flows" only if it spilled there: else in
 * what the collector folded or still in a CPU's cache.  When the relay
 * found no flow and one of those has it, relay again knowing it (nothing
 * was changed or sent before that check).
 */
static __always_inline struct verdict icmp4_relay_cached(struct xdp_md *ctx, __u32 ifindex)
{
	struct verdict v = verdict_unpack(icmp4_relay_send(ctx, ifindex, 0));

	if (fc_enabled() && v.reason == IG_ICMP4_NO_FLOW && icmp4_quote_cached())
		v = verdict_unpack(icmp4_relay_send(ctx, ifindex, 1));
	return v;
}

#endif /* IG_ICMP4_H */
