// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config_build.c - from checked settings to what the datapath reads: the
 * config record (with its fast-path flags) and the prefixes map's entries.
 * Pure: no map, no device, no clock (only the kernel's tick rate, a
 * constant of the running kernel), so the loader, test_datapath and
 * fuzz_datapath derive the datapath's view the same way.
 */
#include <string.h>
#include <time.h>

#include "config.h"

/* The kernel's HZ: the coarse clocks advance once a tick, and their
 * resolution is the tick's length.  1000 (the datapath's budgets then run
 * on a second of HZ/1000 s) if the kernel does not say. */
static __u32 kernel_hz(void)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) || res.tv_sec || res.tv_nsec <= 0)
		return 1000;
	return (__u32)((1000000000L + res.tv_nsec / 2) / res.tv_nsec);
}

void ig_config_build(const struct ig_settings *s, struct ig_config *cfg)
{
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->abi_version = ISAGATE_ABI_VERSION;
	memcpy(cfg->encap_src, &s->routers[0], 4);
	cfg->v4_ifindex = s->ipv4_ifindex;
	cfg->v6_ifindex = s->ipv6_ifindex;
	cfg->tunnel_mtu = s->mtu;
	cfg->ttl = s->ttl;
	cfg->ra_hop_limit = s->ra_hop_limit;
	cfg->ra_router_lifetime = s->ra_lifetime;
	cfg->ra_mtu = s->ra_mtu;
	cfg->ra_reachable_ms = s->ra_reachable_ms;
	cfg->ra_retrans_ms = s->ra_retrans_ms;
	cfg->ra_min_interval_ms = s->ra_interval_ms;
	cfg->icmp_min_interval_ms = IG_CFG_DEFAULT_ICMP_MIN_MS;
	cfg->fwd_cache_ms = s->fwd_cache_ms;
	cfg->event_min_interval_ms = IG_CFG_DEFAULT_EVENT_MIN_MS;
	cfg->jiffies_hz = kernel_hz();
	cfg->n_prefixes = s->n_prefixes;
	if (s->n_peers)
		cfg->flags |= IG_CFG_F_HAS_PEERS;
	if (s->dynamic_mtu)
		cfg->flags |= IG_CFG_F_DYNAMIC_MTU;
	if (!s->flows)
		cfg->flags |= IG_CFG_F_NO_FLOWS;
	/* per-source quotas: a share of each table, at least one entry */
	if (s->source_quota) {
		cfg->quota_flows = (uint32_t)((uint64_t)s->flows * s->source_quota / 100);
		cfg->quota_conns = (uint32_t)((uint64_t)s->conns * s->source_quota / 100);
		if (!cfg->quota_flows && s->flows)
			cfg->quota_flows = 1;
		if (!cfg->quota_conns)
			cfg->quota_conns = 1;
	}
	/* few enough prefixes and own addresses: the datapath compares them
	 * from the config instead of looking them up (unused slots repeat
	 * the first) */
	if (s->n_prefixes && s->n_prefixes <= IG_CFG_PREFIX_FAST) {
		for (i = 0; i < IG_CFG_PREFIX_FAST; i++)
			memcpy(cfg->prefix64[i], &s->prefixes[i < s->n_prefixes ? i : 0], 8);
		cfg->flags |= IG_CFG_F_PREFIX_FAST;
	}
	if (s->n_routers <= IG_CFG_SELF_FAST) {
		for (i = 0; i < IG_CFG_SELF_FAST; i++)
			memcpy(cfg->self_v4[i], &s->routers[i < s->n_routers ? i : 0], 4);
		cfg->flags |= IG_CFG_F_SELF_FAST;
	}
	if (s->ipv4_vlan.ntags || s->ipv6_vlan.ntags)
		cfg->flags |= IG_CFG_F_VLAN;
}

void ig_prefixes_build(const struct ig_settings *s, struct ig_prefix_key *keys,
		       struct ig_prefix *vals)
{
	unsigned int i;

	for (i = 0; i < s->n_prefixes; i++) {
		memset(&keys[i], 0, sizeof(keys[i]));
		memcpy(keys[i].prefix, &s->prefixes[i], sizeof(keys[i].prefix));
		vals[i] = (struct ig_prefix){
			.flags = s->onlink ? IG_PREFIX_F_ONLINK : 0,
			.index = i,
			.valid_lifetime = s->valid_lifetime,
			.preferred_lifetime = s->preferred_lifetime,
		};
	}
}
