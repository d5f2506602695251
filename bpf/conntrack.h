/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * conntrack.h - connection state for the manage-out policy.
 *
 * While a policy is loaded every forwarded packet belongs to a connection
 * in the conns table (one entry for both directions, keyed like the flow
 * table) or is refused:
 *  - a known, unexpired connection passes and its state advances (TCP:
 *    SYN sent -> established -> closing on FIN both ways or RST; others:
 *    new -> answered), each state with its own timeout;
 *  - a new connection is classified by the rules (policy.h): TCP only from a
 *    SYN, except that a member's mid-stream packet re-creates the entry of a
 *    connection the rules allow (so sessions survive a first policy load or
 *    an expired entry; a remote host's mid-stream packet never does);
 *  - an ICMPv6 error passes when the packet it quotes belongs to a known
 *    connection (Packet Too Big, unreachable), else the rules decide;
 *  - an echo request and its replies share an entry, keyed by the
 *    identifier and by who asked (flow.h): a reply passes only as part of
 *    the request's connection; one without (unsolicited) is classified by
 *    the rules as an echo reply and never creates an entry;
 *  - after a policy change (gen) a connection is re-evaluated on its next
 *    packet: one the new rules refuse is cut off.
 *  - a new entry takes a token of its opener's quota (quota.h): a member, or
 *    a remote /64 under an in rule, over its share is refused
 *    (drop_conn_quota) and the connections of others stay.
 * Connections under an anchor rule (RPC endpoint mapper, TCP 135) record
 * (member, remote, port) in anchors, which opens the rules marked "after".
 */
#ifndef IG_CONNTRACK_H
#define IG_CONNTRACK_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "isagate.h"
#include "maps.h"
#include "clock.h"
#include "flow.h"
#include "policy.h"
#include "quota.h"

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

static __always_inline __u32 ct_timeout_class(__u8 proto, __u8 state)
{
	if (proto == IPPROTO_TCP)
		return state == IG_CT_SYN_SENT ? IG_CT_T_TCP_SYN :
		       state == IG_CT_CLOSING  ? IG_CT_T_TCP_CLOSE : IG_CT_T_TCP_EST;
	if (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE)
		return state == IG_CT_ESTABLISHED ? IG_CT_T_UDP_STREAM : IG_CT_T_UDP;
	if (proto == IPPROTO_ICMPV6)
		return IG_CT_T_ICMP;
	return IG_CT_T_OTHER;
}

static __always_inline int ct_expired(const struct ig_conn *ct, const struct ig_policy_bank *b,
				      __u8 proto, __u64 now)
{
	__u32 t = ct_timeout_class(proto, ct->state);

	if (t >= IG_CT_T_MAX)
		return 1;
	return now - ct->last_ns > (__u64)b->timeout_s[t] * 1000000000ull;
}

/* Record an anchor connection; k and a are scratch space. */
static __always_inline void anchor_touch(const struct ig_flow_key *key, __u8 dir, __u64 now,
					 struct ig_anchor_key *k, struct ig_anchor *a)
{
	__builtin_memcpy(k->member_addr, key->member_addr, 16);
	__builtin_memcpy(k->remote_addr, key->remote_addr, 16);
	k->port = dir == IG_PD_OUT ? key->remote_port : key->member_port;
	k->proto = key->proto;
	k->pad = 0;
	a->last_ns = now;
	bpf_map_update_elem(&anchors, k, a, BPF_ANY);
}

/* Advance the state of a known connection with a packet from side dir. */
static __always_inline void ct_advance(struct ig_conn *ct, const struct flow_meta *m)
{
	int from_opener = m->dir == ct->dir;

	if (m->key.proto == IPPROTO_TCP) {
		if (m->tcp_flags & TCPF_RST) {
			ct->state = IG_CT_CLOSING;
		} else {
			if (m->tcp_flags & TCPF_FIN)
				ct->flags |= m->dir == IG_FLOW_FROM_MEMBER ? IG_CT_F_FIN_MEMBER :
									  IG_CT_F_FIN_REMOTE;
			if ((ct->flags & (IG_CT_F_FIN_MEMBER | IG_CT_F_FIN_REMOTE)) ==
			    (IG_CT_F_FIN_MEMBER | IG_CT_F_FIN_REMOTE))
				ct->state = IG_CT_CLOSING;
			else if (ct->state == IG_CT_SYN_SENT && !from_opener &&
				 (m->tcp_flags & TCPF_ACK))
				ct->state = IG_CT_ESTABLISHED;
		}
	} else if (!from_opener) {
		ct->state = IG_CT_ESTABLISHED;
	}
}

/*
 * Quoted packet of an ICMPv6 error (type < 128) at l4: the key of the
 * connection it belongs to.  The quote travelled the other way round: an
 * error sent to the member quotes a packet from the member.  0 when found.
 */
static __always_inline int ct_quote_key(const struct flow_meta *m, const void *l4,
					const void *end, struct ig_flow_key *k)
{
	const struct ipv6hdr *q = l4 + 8;
	const __u8 *p = (const void *)(q + 1);

	if ((const void *)(p + 4) > end)
		return -1;
	*k = m->key;
	if (m->dir == IG_FLOW_TO_MEMBER) {     /* the quote came from the member */
		__builtin_memcpy(k->member_addr, &q->saddr, 16);
		__builtin_memcpy(k->remote_addr, &q->daddr, 16);
	} else {
		__builtin_memcpy(k->member_addr, &q->daddr, 16);
		__builtin_memcpy(k->remote_addr, &q->saddr, 16);
	}
	k->proto = q->nexthdr;
	k->member_port = k->remote_port = 0;
	switch (q->nexthdr) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP: {
		__u16 s = (__u16)(p[0] << 8 | p[1]), d = (__u16)(p[2] << 8 | p[3]);

		k->member_port = m->dir == IG_FLOW_TO_MEMBER ? s : d;
		k->remote_port = m->dir == IG_FLOW_TO_MEMBER ? d : s;
		break;
	}
	case IPPROTO_ICMPV6:
		if ((const void *)(p + 8) > end)
			return -1;
		if (p[0] != 128 && p[0] != 129)
			return -1;     /* errors about errors: never related */
		k->member_port = (__u16)(p[4] << 8 | p[5]);
		/* the member asked when it sent the quoted request, or was sent
		 * the quoted reply (as flow_meta_fill keys them) */
		k->remote_port = (p[0] == 128) == (m->dir == IG_FLOW_TO_MEMBER) ?
				 IG_FLOW_ICMP_ECHO_PORT : IG_FLOW_ICMP_ECHO_IN_PORT;
		break;
	}
	return 0;
}

/*
 * The policy's verdict on the packet described by m (its IPv6 header at
 * ip6, the frame ending at end): 0 = admitted, else IG_DROP_POLICY,
 * IG_DROP_POLICY_STATE or IG_POLICY_REJECT (the caller answers with an
 * ICMPv6 administratively prohibited).
 */
/* Per-CPU scratch space: the verifier's 512-byte stack is shared by the
 * whole call chain. */
struct ct_scratch {
	struct policy_query q;
	struct ig_conn nc;
	struct ig_anchor_key ak;
	struct ig_anchor av;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_scratch);
} ct_scratch SEC(".maps");

static __always_inline int ct_check(struct ig_policy_state *st, const struct flow_meta *m,
				    const struct ipv6hdr *ip6, const void *end)
{
	__u32 zero = 0;
	struct ct_scratch *sc = bpf_map_lookup_elem(&ct_scratch, &zero);
	struct policy_query *qp;
	const struct ig_config *cfg;
	struct ig_policy_bank *b;
	struct ig_conn *ct, *ncp;
	__u32 bank = (st->active - 1) & 1;
	__u64 now = coarse_now();
	int res, act, pickup = 0, echo = 0;
	const void *l4 = ip6 + 1;

	if (!sc)
		return IG_DROP_INTERNAL;
	qp = &sc->q;
	ncp = &sc->nc;
	b = &st->bank[bank];
	qp->key = m->key;
	qp->now = now;
	qp->bank = bank;
	qp->anchor_timeout_s = b->timeout_s[IG_CT_T_ANCHOR];

	/* Echo: the key says who asked (flow.h), so a request comes from the
	 * side that opened the entry and a reply from the other. */
	if (m->key.proto == IPPROTO_ICMPV6 && (m->icmp_type == 128 || m->icmp_type == 129))
		echo = m->icmp_type == 128 ? 1 : 2;
	/* ICMPv6: the rules match the packet's own type (a new connection
	 * starts with this packet); on re-evaluation the opening request's. */
	qp->icmp_type = m->icmp_type;
	/* Map helpers get qp->key (== m->key here), not m->key: m is a global
	 * function's argument, which the 6.1 verifier (Debian 12) refuses as a map key
	 * (6.1: "R2 type=mem expected=fp, pkt, pkt_meta, map_key, map_value"). */
	ct = bpf_map_lookup_elem(&conns, &qp->key);
	/* An entry opened from the wrong side (none is, since replies never
	 * create one; an entry from an older datapath keyed echo without
	 * "who asked" could be): as if there were none, so that the request
	 * replaces it. */
	if (ct && echo && (echo == 1) != (m->dir == ct->dir))
		ct = NULL;
	if (ct && !ct_expired(ct, b, m->key.proto, now) &&
	    !(m->key.proto == IPPROTO_TCP && ct->state == IG_CT_CLOSING &&
	      (m->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)) {
		if (ct->gen != st->gen) {
			/* the policy changed: does the connection still pass? */
			qp->dir = ct->dir;
			if (echo)
				qp->icmp_type = 128;   /* opened by its request */
			res = policy_match(qp);
			if (POLICY_RESULT_ACTION(res) != IG_PA_ALLOW) {
				bpf_map_delete_elem(&conns, &qp->key);
				policy_count(bank, POLICY_RESULT_IDX(res), m->len, 0);
				return IG_DROP_POLICY;
			}
			ct->gen = st->gen;
			ct->rule = POLICY_RESULT_IDX(res);
		}
		ct_advance(ct, m);
		ct->last_ns = now;
		if (ct->flags & IG_CT_F_ANCHOR)
			anchor_touch(&m->key, ct->dir, now, &sc->ak, &sc->av);
		policy_count(bank, ct->rule, m->len, 0);
		return 0;
	}

	/* An ICMPv6 error about a known connection is part of it. */
	if (m->key.proto == IPPROTO_ICMPV6 && m->icmp_type < 128 &&
	    (const void *)l4 + 8 <= end && !ct_quote_key(m, l4, end, &qp->key)) {
		ct = bpf_map_lookup_elem(&conns, &qp->key);
		if (ct && !ct_expired(ct, b, qp->key.proto, now)) {
			policy_count(bank, ct->rule, m->len, 0);
			return 0;
		}
	}
	qp->key = m->key;   /* ct_quote_key() may have written it, even when it failed */

	qp->dir = m->dir;   /* IG_FLOW_FROM_MEMBER == IG_PD_OUT */
	if (m->key.proto == IPPROTO_TCP && (m->tcp_flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) != TCPF_SYN) {
		/* mid-stream: only a member's packet may re-create its entry */
		if (m->dir != IG_FLOW_FROM_MEMBER || (m->tcp_flags & TCPF_RST))
			return IG_DROP_POLICY_STATE;
		pickup = 1;
	}
	res = policy_match(qp);
	if (pickup && POLICY_RESULT_ACTION(res) != IG_PA_ALLOW) {
		/* or the member answers a connection a remote host opened */
		qp->dir = IG_PD_IN;
		res = policy_match(qp);
		if (POLICY_RESULT_ACTION(res) != IG_PA_ALLOW)
			return IG_DROP_POLICY_STATE;
	}
	act = POLICY_RESULT_ACTION(res);
	if (act != IG_PA_ALLOW) {
		policy_count(bank, POLICY_RESULT_IDX(res), m->len, 0);
		return act == IG_PA_REJECT ? IG_POLICY_REJECT : IG_DROP_POLICY;
	}
	/* ICMPv6 errors and echo replies the rules allow pass without creating
	 * a connection (a reply's entry would admit nothing: its request
	 * never came). */
	if (echo == 2 || (m->key.proto == IPPROTO_ICMPV6 && m->icmp_type < 128)) {
		policy_count(bank, POLICY_RESULT_IDX(res), m->len, 0);
		return 0;
	}

	/* A new entry: its opener must have a token left (quota.h). */
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (cfg && !quota_take(IG_Q_CONNS, *(const __u32 *)qp->key.member,
			       qp->dir == IG_PD_OUT ? NULL : qp->key.remote_addr, cfg)) {
		struct ig_vis_stats *vs = vis_counters();

		if (vs)
			vs->conn_quota_refused++;
		return IG_DROP_CONN_QUOTA;
	}
	__builtin_memset(ncp, 0, sizeof(*ncp));
	ncp->first_ns = now;
	ncp->last_ns = now;
	ncp->gen = st->gen;
	ncp->rule = POLICY_RESULT_IDX(res);
	ncp->dir = qp->dir;
	ncp->state = m->key.proto != IPPROTO_TCP ? IG_CT_NEW :
		   pickup ? IG_CT_ESTABLISHED : IG_CT_SYN_SENT;
	if (ncp->rule < IG_POLICY_MAX_RULES) {
		__u32 idx = bank * IG_POLICY_MAX_RULES + ncp->rule;
		struct ig_rule *r = bpf_map_lookup_elem(&policy_rules, &idx);

		if (r && (r->flags & IG_RULE_F_ANCHOR)) {
			ncp->flags |= IG_CT_F_ANCHOR;
			anchor_touch(&m->key, ncp->dir, now, &sc->ak, &sc->av);
		}
	}
	/* not an ICMPv6 error (returned above): qp->key is still m->key */
	bpf_map_update_elem(&conns, &qp->key, ncp, BPF_ANY);
	policy_count(bank, ncp->rule, m->len, 1);
	return 0;
}

/*
 * The same as a global function, so that the verifier checks the connection
 * logic once instead of on every path that reaches it: the packet described
 * by m, its IPv6 header l3off bytes into the frame.
 */
__attribute__((noinline)) int policy_check(struct xdp_md *ctx, const struct flow_meta *m,
					   __u32 l3off)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ig_policy_state *st = policy_state_active();
	const struct ipv6hdr *ip6;

	if (!st || !m)
		return 0;
	if (l3off > 256)
		return IG_DROP_INTERNAL;
	ip6 = data + l3off;
	if ((const void *)(ip6 + 1) > end)
		return IG_DROP_INTERNAL;
	return ct_check(st, m, ip6, end);
}

#endif /* IG_CONNTRACK_H */
