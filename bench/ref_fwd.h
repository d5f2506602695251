/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ref_fwd.h - the ceiling's forwarding step, shared by the references that
 * forward like it (ref_fwd.bpf.c, ref_flowline.bpf.c): rewrite both MAC
 * addresses from fwd_cfg and redirect through tx_port to one port
 * (igbench attach --dmac --smac --tx fills both maps).
 */
#ifndef IGB_REF_FWD_H
#define IGB_REF_FWD_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "igb.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct igb_fwd_cfg);
} fwd_cfg SEC(".maps");

/* key 0: the egress ifindex */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

/* Forward the frame whose Ethernet header (bounds already checked) is eth. */
static __always_inline int ref_fwd_out(struct ethhdr *eth)
{
	struct igb_fwd_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&fwd_cfg, &zero);
	if (!cfg)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, cfg->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, cfg->smac, ETH_ALEN);
	return bpf_redirect_map(&tx_port, 0, 0);
}

#endif /* IGB_REF_FWD_H */
