/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maps.h - the datapath's shared maps.  A feature's own maps live beside
 * it (clock.h, conntrack.h, events.h, hostlog.h, icmp4.h, isatap.h,
 * neigh_req.h, policy.h, quota.h, vlan.h).  Every map is pinned by name
 * under the loader's pin directory and carries BTF, so `bpftool map dump
 * pinned <pin-dir>/<name>` prints named fields.  Layouts live in
 * include/isagate.h.
 */
#ifndef IG_MAPS_H
#define IG_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "isagate.h"

/* The running settings and the generations (one entry; its first line is
 * all the hot path reads).  Mappable: user space bumps the generations
 * with atomic adds through the mapping (include/isagate.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ig_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config SEC(".maps");

/* Host members (/32): one hash lookup whatever the number of members. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IG_MAX_MEMBERS);
	__type(key, struct ig_v4_key);
	__type(value, struct ig_member);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} members SEC(".maps");

/* Subnet members: longest-prefix match. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IG_MAX_MEMBER_NETS);
	__type(key, struct ig_v4_lpm_key);
	__type(value, struct ig_member);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} member_nets SEC(".maps");

/* This router's IPv4 addresses and known peer routers. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IG_MAX_ROUTERS);
	__type(key, struct ig_v4_key);
	__type(value, struct ig_router);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} routers SEC(".maps");

/* ISATAP /64 prefixes, keyed by their upper 64 bits. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IG_MAX_PREFIXES);
	__type(key, struct ig_prefix_key);
	__type(value, struct ig_prefix);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} prefixes SEC(".maps");

/* Per-CPU packet/byte counters, one per enum ig_reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IG_REASON_MAX);
	__type(key, __u32);
	__type(value, struct ig_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

/* Interfaces the datapath may redirect to, keyed by ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, IG_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tx_ports SEC(".maps");

/* Rate limits of ICMPv6 errors, per member or remote /64 (include/isagate.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ig_ratelimit_key);
	__type(value, struct ig_ratelimit);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ratelimit SEC(".maps");

/* Rate limits of router advertisements, per member: apart from ratelimit,
 * so that no flood of ICMPv6 errors evicts them. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ig_ratelimit_key);
	__type(value, struct ig_ratelimit);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rd_ratelimit SEC(".maps");

/* What the router last saw of each IPv4 host on its rare paths (explain). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IG_HOST_LOG_ENTRIES);
	__type(key, struct ig_v4_key);
	__type(value, struct ig_host_log);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} host_log SEC(".maps");

/* Per-source quotas of the flows and conns tables (quota.h): members by
 * IPv4 address, remote hosts by /64. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IG_QUOTA_ENTRIES);
	__type(key, struct ig_v4_key);
	__type(value, struct ig_quota);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} member_quota SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IG_QUOTA_ENTRIES);
	__type(key, struct ig_remote_key);
	__type(value, struct ig_quota);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} remote_quota SEC(".maps");

/* The Router Advertisement message to send (built by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ig_ra_template);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ra_tmpl SEC(".maps");

/* Forwarding decisions, per CPU, direct-mapped (see include/isagate.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IG_FWD_SLOTS);
	__type(key, __u32);
	__type(value, struct ig_fwd_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fwd_cache SEC(".maps");

/* Inner flows, shared by all CPUs, LRU (see include/isagate.h).  max_entries
 * is set by the loader before load (attach --flows N). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IG_CFG_DEFAULT_FLOWS);
	__type(key, struct ig_flow_key);
	__type(value, struct ig_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flows SEC(".maps");

/* Refused admissions, read by 'isagate events'. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, IG_EVENTS_RING_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

/* Flow-table and event counters (struct ig_vis_stats), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ig_vis_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vis_stats SEC(".maps");

/* Manage-out policy (see include/isagate.h): the active bank and its
 * settings, two banks of rules, per-rule counters. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ig_policy_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} policy_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * IG_POLICY_MAX_RULES);
	__type(key, __u32);
	__type(value, struct ig_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} policy_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * IG_POLICY_SLOTS);
	__type(key, __u32);
	__type(value, struct ig_rule_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} policy_stats SEC(".maps");

/* Connections admitted by the policy, shared by all CPUs (conntrack.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IG_CFG_DEFAULT_CONNS);
	__type(key, struct ig_flow_key);
	__type(value, struct ig_conn);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} conns SEC(".maps");

/* Recent anchor connections (RPC endpoint mapper) per member and remote. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ig_anchor_key);
	__type(value, struct ig_anchor);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} anchors SEC(".maps");
/* Tunnel MTUs learned per member from ICMPv4 fragmentation needed (icmp4.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IG_MAX_MEMBER_MTU);
	__type(key, struct ig_v4_key);
	__type(value, struct ig_member_mtu);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} member_mtu SEC(".maps");

/* The outcome of `members sync` (struct ig_sync_state), written and read by
 * user space only: pinned with the router so it lives and goes with it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ig_sync_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sync_state SEC(".maps");

#endif /* IG_MAPS_H */
