/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * neigh_req.h - ask user space to resolve an IPv4 next hop (issue 15).
 *
 * Encapsulated packets cannot be handed to the kernel to resolve their
 * next hop (our own source: martian), so /32 members get managed
 * neighbour entries from `members sync`.  Hosts inside subnet members
 * have none until they are used: when the encapsulation's FIB lookup says
 * BPF_FIB_LKUP_RET_NO_NEIGH the datapath writes a request to the
 * "neigh_req" ring buffer and `isagate watch` makes the next hop a managed
 * neighbour entry over rtnetlink; the kernel then resolves it (ARP) and
 * keeps it resolved, and the next packets go through.
 *
 * Rate limit: one request per next hop per IG_NEIGH_REQ_INTERVAL_MS, kept
 * in a direct-mapped table shared by the CPUs (a slot taken by another next
 * hop or two CPUs racing give an extra request, never a lost one), so a
 * burst to an unresolved host costs one ring write.  The packet itself is
 * still dropped and counted drop_enc_no_neigh.
 */
#ifndef IG_NEIGH_REQ_H
#define IG_NEIGH_REQ_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "isagate.h"
#include "clock.h"

#define IG_NEIGH_REQ_SLOTS 1024    /* a power of two */

struct neigh_req_slot {
	__u32 addr;                /* next hop, network order; 0 = empty */
	__u32 pad;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IG_NEIGH_REQ_SLOTS);
	__type(key, __u32);
	__type(value, struct neigh_req_slot);
} neigh_req_slots SEC(".maps");

/* Requests for `isagate watch` (struct ig_neigh_req). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, IG_NEIGH_REQ_RING_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} neigh_req SEC(".maps");

/* struct ig_neigh_req_stats, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ig_neigh_req_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} neigh_req_stats SEC(".maps");

/*
 * Ask for a neighbour entry for nexthop on ifindex (what the FIB lookup
 * left in its parameters on NO_NEIGH), for a packet to member.  Global
 * function: verified once, not on every path that reaches it.  Returns 1
 * when a request was written, 0 otherwise.
 */
__attribute__((noinline)) int neigh_request(__u32 member, __u32 nexthop, __u32 ifindex)
{
	__u32 zero = 0, slot = ((nexthop * 0x9E3779B1u) >> 22) & (IG_NEIGH_REQ_SLOTS - 1);
	struct ig_neigh_req_stats *st = bpf_map_lookup_elem(&neigh_req_stats, &zero);
	struct neigh_req_slot *s = bpf_map_lookup_elem(&neigh_req_slots, &slot);
	struct ig_neigh_req *r;
	__u64 now = coarse_now();

	if (!st || !s)
		return 0;
	if (s->addr == nexthop && s->last_ns &&
	    now - s->last_ns < IG_NEIGH_REQ_INTERVAL_MS * 1000000ull) {
		st->suppressed++;
		return 0;
	}
	r = bpf_ringbuf_reserve(&neigh_req, sizeof(*r), 0);
	if (!r) {
		/* not recorded in the slot: the next packet tries again */
		st->lost++;
		return 0;
	}
	s->addr = nexthop;
	s->last_ns = now ? now : 1;
	r->ts_ns = now;
	__builtin_memcpy(r->member, &member, 4);
	__builtin_memcpy(r->nexthop, &nexthop, 4);
	r->ifindex = ifindex;
	r->pad = 0;
	bpf_ringbuf_submit(r, 0);
	st->requests++;
	return 1;
}

#endif /* IG_NEIGH_REQ_H */
