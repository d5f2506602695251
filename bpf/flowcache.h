/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flowcache.h - per-CPU flow accounting (attach --flow-cache N): a
 * set-associative cache of one-line slots with plain adds, and a per-CPU
 * log of the slots it replaces, which user space folds into "flows_folded"
 * (layouts and rules: include/isagate.h, "The flow cache").  Off (the
 * loader leaves fc_set_bits 0), the verifier drops all of it and flow.h
 * accounts in "flows" directly.
 */
#ifndef IG_FLOWCACHE_H
#define IG_FLOWCACHE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "isagate.h"
#include "clock.h"

/* Set by the loader before load: log2 of the sets per CPU (0 = no cache). */
const volatile __u32 fc_set_bits = 0;

/* Slots: CPU c's sets are [c << fc_set_bits, (c + 1) << fc_set_bits).  The
 * loader sizes the per-CPU maps by the possible CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ig_fc_set);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flow_cache SEC(".maps");

/* Eviction records: CPU c's ring is [c * IG_FC_LOG_RECS, ...). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ig_fc_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flow_log SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ig_fc_log_pos);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flow_log_pos SEC(".maps");

/* What the collector folded (written by user space only; the ICMPv4 relay
 * reads it).  Sized like "flows" by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, struct ig_flow_key);
	__type(value, struct ig_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flows_folded SEC(".maps");

/* The collector's memory (never touched here): pinned with the cache so
 * it lives and goes with it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ig_fc_seen);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flow_seen SEC(".maps");

#define fc_barrier() asm volatile("" ::: "memory")

static __always_inline int fc_enabled(void)
{
	return fc_set_bits != 0;
}

/* The key's words (ig_flow_key: ten words, then proto and padding). */
static __always_inline __u32 fc_hash(const __u32 *w, __u32 w10)
{
	__u32 a = w[0] ^ w[3] ^ w[6] ^ w[9];
	__u32 b = w[1] ^ w[4] ^ w[7] ^ w10;
	__u32 c = w[2] ^ w[5] ^ w[8];
	__u32 h = a * 0x9E3779B1u ^ b * 0x85EBCA77u ^ c * 0xC2B2AE3Du;

	return (h ^ (h >> 15)) * 0x27D4EB2Fu;
}

/* The set of a flow: the hash's top bits (a multiplicative hash mixes
 * upwards). */
static __always_inline __u32 fc_set_of(const __u32 *w, __u32 w10)
{
	return fc_hash(w, w10) >> (32 - fc_set_bits);
}

/* Does slot s hold the flow whose words are w (w10: proto | dir << 8)? */
static __always_inline int fc_match(const struct ig_fc_slot *s, const __u32 *w, __u32 w10)
{
	const __u32 *x = (const __u32 *)s;
	__u32 d = (x[10] & 0xffff) ^ w10;

#pragma unroll
	for (int i = 0; i < 10; i++)
		d |= x[i] ^ w[i];
	return !d;
}

/* Copy the occupant of s to its CPU's log; 0 when the log is full. */
static __always_inline int fc_log(struct ig_fc_log_pos *pos, __u32 cpu, const struct ig_fc_slot *s)
{
	__u64 head = pos->head;
	__u32 idx;
	struct ig_fc_slot *r;

	if (head - *(const volatile __u64 *)&pos->tail >= IG_FC_LOG_RECS)
		return 0;
	idx = cpu * IG_FC_LOG_RECS + (__u32)(head & (IG_FC_LOG_RECS - 1));
	r = bpf_map_lookup_elem(&flow_log, &idx);
	if (!r)
		return 0;
	__builtin_memcpy(r, s, sizeof(*r));
	fc_barrier(); /* the record before the head that publishes it */
	*(volatile __u64 *)&pos->head = head + 1;
	return 1;
}

/* Give slot s (index si of its CPU's slots) to the flow whose words are w. */
static __always_inline void fc_fill(struct ig_fc_slot *s, struct ig_fc_log_pos *pos, __u32 si,
				    const __u32 *w, __u32 w10, __u8 tcp_flags, __u32 reason,
				    __u32 len, __u32 t)
{
	__u32 *x = (__u32 *)s;
	__u32 n = (__u32)(pos->fills % IG_FC_FILL_IDS) + 1;

	*(volatile __u32 *)&s->fill_id = 0; /* being written: readers skip it */
	fc_barrier();
#pragma unroll
	for (int i = 0; i < 10; i++)
		x[i] = w[i];
	x[10] = w10 | (__u32)tcp_flags << 16 | (reason & 0xff) << 24;
	s->packets = 1;
	s->bytes = len;
	s->first_t = t;
	s->last_t = t;
	fc_barrier();
	*(volatile __u32 *)&s->fill_id = n << 16 | si;
	pos->fills++;
}

/*
 * Account one packet (len bytes, tcp_flags, verdict reason) of the flow k in
 * direction dir (IG_FC_*) in this CPU's cache: 1.  0 when the log is full
 * and the slot's occupant cannot be evicted: the caller accounts the packet
 * in "flows" (it is counted as spilled here).  A function of its own: its
 * stack is not added to the entry point's, which is near the limit.
 */
static __noinline int fc_account(const struct ig_flow_key *k, __u8 dir, __u8 tcp_flags,
				 __u32 reason, __u32 len)
{
	const __u32 *w = (const __u32 *)k;
	__u32 w10 = (w[10] & 0xff) | (__u32)dir << 8;
	__u32 cpu = bpf_get_smp_processor_id();
	__u32 set_idx = fc_set_of(w, w10);
	__u32 idx = cpu << fc_set_bits | set_idx;
	__u32 t = (__u32)(coarse_now() >> IG_FC_TIME_SHIFT);
	struct ig_fc_log_pos *pos;
	struct ig_fc_set *set;
	struct ig_fc_slot *s, *victim = NULL;
	__u32 age = 0, vw = 0;

	set = bpf_map_lookup_elem(&flow_cache, &idx);
	if (!set)
		return 0;
#pragma unroll
	for (int i = 0; i < IG_FC_WAYS; i++) {
		s = &set->way[i];
		if (fc_match(s, w, w10)) {
			if (s->packets < IG_FC_REFRESH_AT && s->bytes < IG_FC_REFRESH_AT) {
				s->packets++;
				s->bytes += len;
				s->tcp_flags |= tcp_flags;
				s->reason = (__u8)reason;
				s->last_t = t;
				return 1;
			}
			victim = s; /* near overflow: log it, start again */
			vw = i;
			break;
		}
	}
	pos = bpf_map_lookup_elem(&flow_log_pos, &cpu);
	if (!pos)
		return 0;
	if (victim) {
		if (!fc_log(pos, cpu, victim))
			goto spill;
		pos->refreshes++;
		goto fill;
	}
	/* a new flow: an empty way, else the least recently used */
#pragma unroll
	for (int i = 0; i < IG_FC_WAYS; i++) {
		s = &set->way[i];
		if (!s->dir) {
			victim = s;
			vw = i;
			goto fill;
		}
		if (t - s->last_t >= age) {
			age = t - s->last_t;
			victim = s;
			vw = i;
		}
	}
	if (!victim || !fc_log(pos, cpu, victim))
		goto spill;
	pos->evictions++;
fill:
	fc_fill(victim, pos, set_idx * IG_FC_WAYS + vw, w, w10, tcp_flags, reason, len, t);
	return 1;
spill:
	pos->spilled_packets++;
	pos->spilled_bytes += len;
	return 0;
}

/*
 * Has a packet of the flow k in direction dir been accounted in some CPU's
 * cache slot, not yet folded into "flows"?  For the rare paths that check a
 * flow exists (the ICMPv4 relay): every possible CPU's set, the loader's
 * count of them in fc_nr_cpus.  idx: space for the map key off the stack
 * (the relay's stack is near the limit).
 */
const volatile __u32 fc_nr_cpus = 1;

static __always_inline int fc_cached(const struct ig_flow_key *k, __u8 dir, __u32 *idx)
{
	const __u32 *w = (const __u32 *)k;
	__u32 w10 = (w[10] & 0xff) | (__u32)dir << 8;
	__u32 set_idx = fc_set_of(w, w10);

	for (__u32 cpu = 0; cpu < IG_FC_MAX_CPUS && cpu < fc_nr_cpus; cpu++) {
		struct ig_fc_set *set;

		*idx = cpu << fc_set_bits | set_idx;
		set = bpf_map_lookup_elem(&flow_cache, idx);
		if (!set)
			return 0;
#pragma unroll
		for (int i = 0; i < IG_FC_WAYS; i++)
			if (fc_match(&set->way[i], w, w10))
				return 1;
	}
	return 0;
}

#endif /* IG_FLOWCACHE_H */
