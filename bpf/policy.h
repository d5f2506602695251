/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * policy.h - the manage-out rules: which connections members may open
 * towards remote prefixes ("out") and remote hosts towards members ("in").
 *
 * The rules are only consulted when a connection starts (or is re-evaluated
 * after a policy change); every other packet is matched by the connection
 * table (conntrack.h).  policy_match() is a global (non-inlined) function so
 * that the verifier checks the rule loop once, not at every call site.
 */
#ifndef IG_POLICY_H
#define IG_POLICY_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "isagate.h"
#include "maps.h"

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

/* A connection to classify: its key orientation is the flow table's. */
struct policy_query {
	struct ig_flow_key key;
	__u64 now;                 /* coarse ns */
	__u32 bank;                /* 0 or 1 */
	__u32 dir;                 /* enum ig_policy_dir: who opens it */
	__u32 anchor_timeout_s;
	__u32 icmp_type;           /* ICMPv6: the type the rules match (the packet's,
				    * or the opening request's on re-evaluation) */
};

#define POLICY_RESULT(idx, action)  ((int)(((idx) << 8) | (action)))
#define POLICY_RESULT_IDX(r)        ((__u32)(r) >> 8)
#define POLICY_RESULT_ACTION(r)     ((r) & 0xff)

/* The policy state when a policy is loaded, else NULL. */
static __always_inline struct ig_policy_state *policy_state_active(void)
{
	__u32 zero = 0;
	struct ig_policy_state *st = bpf_map_lookup_elem(&policy_state, &zero);

	return st && st->active ? st : NULL;
}

/* The same for the forwarding paths: nothing but the config line until a
 * policy has ever been loaded (config policy_loaded). */
static __always_inline struct ig_policy_state *policy_active(const struct ig_config *cfg)
{
	if (!*(const volatile __u32 *)&cfg->policy_loaded)
		return NULL;
	return policy_state_active();
}

static __always_inline __u32 prefix_mask32(__u32 plen)
{
	return plen >= 32 ? 0xffffffffu : plen ? ~(0xffffffffu >> plen) : 0;
}

static __always_inline int v6_in_prefix(const __u8 *addr, const __u8 *net, __u32 plen)
{
	int w;

	for (w = 0; w < 4; w++) {
		__u32 bits = plen > 32 * w ? plen - 32 * w : 0;
		__u32 a, n, m;

		if (!bits)
			break;
		m = prefix_mask32(bits);
		a = (__u32)addr[4 * w] << 24 | (__u32)addr[4 * w + 1] << 16 |
		    (__u32)addr[4 * w + 2] << 8 | addr[4 * w + 3];
		n = (__u32)net[4 * w] << 24 | (__u32)net[4 * w + 1] << 16 |
		    (__u32)net[4 * w + 2] << 8 | net[4 * w + 3];
		if ((a & m) != (n & m))
			return 0;
	}
	return 1;
}

/* The anchor key is built in this per-CPU map value, not in q->ak: q is a
 * global function's argument, which the 6.1 verifier (Debian 12) refuses as a map key
 * (6.1: "R2 type=mem expected=fp, pkt, pkt_meta, map_key, map_value"), and
 * the stack has no room left (6.1 counts 512 bytes over the call chain). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ig_anchor_key);
} anchor_key_scratch SEC(".maps");

/* The anchor an "after" rule needs: a recent connection from the same member
 * address to the same remote address on (after_proto, after_port). */
static __always_inline int anchor_recent(struct policy_query *q, const struct ig_rule *r)
{
	__u32 zero = 0;
	struct ig_anchor_key *k = bpf_map_lookup_elem(&anchor_key_scratch, &zero);
	struct ig_anchor *a;

	if (!k)
		return 0;
	__builtin_memcpy(k->member_addr, q->key.member_addr, 16);
	__builtin_memcpy(k->remote_addr, q->key.remote_addr, 16);
	k->port = r->after_port;
	k->proto = r->after_proto;
	k->pad = 0;
	a = bpf_map_lookup_elem(&anchors, k);
	return a && q->now - a->last_ns < (__u64)q->anchor_timeout_s * 1000000000ull;
}

static __always_inline int rule_matches(const struct ig_rule *r, struct policy_query *q)
{
	__u32 v4, port;

	if (r->dir != q->dir)
		return 0;
	if (r->proto) {
		if (r->proto != q->key.proto)
			return 0;
		/* ICMPv6: the type (the key's remote_port says "echo" for a
		 * request and its replies alike); others: the port of the side
		 * that was opened */
		if (q->key.proto == IPPROTO_ICMPV6)
			port = q->icmp_type;
		else
			port = q->dir == IG_PD_OUT ? q->key.remote_port : q->key.member_port;
		if (port < r->port_lo || port > r->port_hi)
			return 0;
	}
	if (r->member_plen) {
		__u32 m = prefix_mask32(r->member_plen);

		v4 = (__u32)q->key.member[0] << 24 | (__u32)q->key.member[1] << 16 |
		     (__u32)q->key.member[2] << 8 | q->key.member[3];
		port = (__u32)r->member_net[0] << 24 | (__u32)r->member_net[1] << 16 |
		       (__u32)r->member_net[2] << 8 | r->member_net[3];
		if ((v4 & m) != (port & m))
			return 0;
	}
	if (r->remote_plen && !v6_in_prefix(q->key.remote_addr, r->remote_net, r->remote_plen))
		return 0;
	if ((r->flags & IG_RULE_F_AFTER) && !anchor_recent(q, r))
		return 0;
	return 1;
}

/*
 * First matching rule of the bank: POLICY_RESULT(index, action), or
 * POLICY_RESULT(IG_POLICY_MAX_RULES, default action) when none matches.
 */
__attribute__((noinline)) int policy_match(struct policy_query *q)
{
	__u32 zero = 0, i, n, base, idx;
	struct ig_policy_state *st;
	struct ig_policy_bank *b;
	struct ig_rule *r;

	if (!q)
		return POLICY_RESULT(IG_POLICY_MAX_RULES, IG_PA_DROP);
	st = bpf_map_lookup_elem(&policy_state, &zero);
	if (!st)
		return POLICY_RESULT(IG_POLICY_MAX_RULES, IG_PA_DROP);
	b = &st->bank[q->bank & 1];
	n = b->n_rules;
	base = (q->bank & 1) * IG_POLICY_MAX_RULES;
	for (i = 0; i < IG_POLICY_MAX_RULES; i++) {
		if (i >= n)
			break;
		idx = base + i;
		r = bpf_map_lookup_elem(&policy_rules, &idx);
		if (!r)
			break;
		if (rule_matches(r, q))
			return POLICY_RESULT(i, r->action);
	}
	return POLICY_RESULT(IG_POLICY_MAX_RULES,
			     b->default_action == IG_PA_REJECT ? IG_PA_REJECT : IG_PA_DROP);
}

/* Count one packet (and maybe a new connection) for rule idx of bank. */
static __always_inline void policy_count(__u32 bank, __u32 idx, __u32 len, int new_conn)
{
	__u32 k = (bank & 1) * IG_POLICY_SLOTS + (idx > IG_POLICY_MAX_RULES ? IG_POLICY_MAX_RULES : idx);
	struct ig_rule_counter *c = bpf_map_lookup_elem(&policy_stats, &k);

	if (!c)
		return;
	c->packets++;
	c->bytes += len;
	if (new_conn)
		c->conns++;
}

#endif /* IG_POLICY_H */
