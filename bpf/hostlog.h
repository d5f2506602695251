/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hostlog.h - the per-host record of rare events `isagate explain` reads
 * (include/isagate.h, host_log): router solicitations and refusals.
 * Callers are off the fast path only: the entry point after a router
 * solicitation's verdict, and the refusal-event path (events.h).
 */
#ifndef IG_HOSTLOG_H
#define IG_HOSTLOG_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include "isagate.h"
#include "maps.h"
#include "clock.h"

/* An empty record, never written: a new entry's value without a stack
 * copy (the entry point's stack is nearly full). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ig_host_log);
} host_log_empty SEC(".maps");

/* The entry of src, created empty when missing; NULL when it cannot be. */
static __always_inline struct ig_host_log *host_log_get(__u32 src)
{
	struct ig_host_log *h, *empty;
	struct ig_v4_key k;
	__u32 zero = 0;

	__builtin_memcpy(k.addr, &src, 4);
	h = bpf_map_lookup_elem(&host_log, &k);
	if (h)
		return h;
	empty = bpf_map_lookup_elem(&host_log_empty, &zero);
	if (!empty)
		return NULL;
	bpf_map_update_elem(&host_log, &k, empty, BPF_NOEXIST);
	return bpf_map_lookup_elem(&host_log, &k);
}

/* src solicited the router address dst; reason is the verdict. */
static __always_inline void host_log_rs(__u32 src, __u32 dst, __u32 reason)
{
	struct ig_host_log *h = host_log_get(src);

	if (!h)
		return;
	h->rs_ns = coarse_now();
	__builtin_memcpy(h->rs_router, &dst, 4);
	h->rs_reason = reason;
	h->rs_count++;
}

/* A packet from src was refused for reason (and made an event); ip6, when
 * not NULL, is its complete inner IPv6 header in a frame ending at end. */
static __always_inline void host_log_refusal(__u32 src, __u32 reason, __u64 now,
					     const struct ipv6hdr *ip6, const void *end)
{
	struct ig_host_log *h = host_log_get(src);
	const __u8 *l4;

	if (!h)
		return;
	h->refusal_ns = now;
	h->refusal_reason = reason;
	h->refusals++;
	h->refusal_proto = 0;
	h->refusal_port = 0;
	if (!ip6)
		return;
	__builtin_memcpy(h->refusal_dst, &ip6->daddr, 16);
	h->refusal_proto = ip6->nexthdr;
	l4 = (const void *)(ip6 + 1);
	if (ip6->nexthdr == IPPROTO_ICMPV6 && (const void *)(l4 + 1) <= end)
		h->refusal_port = l4[0];
	else if ((ip6->nexthdr == IPPROTO_TCP || ip6->nexthdr == IPPROTO_UDP) &&
		 (const void *)(l4 + 4) <= end)
		h->refusal_port = (__u16)(l4[2] << 8 | l4[3]);
}

#endif /* IG_HOSTLOG_H */
