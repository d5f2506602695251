// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ref_fwd.bpf.c - the ceiling: rewrite both MAC addresses and redirect
 * every frame through a devmap to one port.  No parsing, no lookup: the
 * least an XDP forwarder can do.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "igb.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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

SEC("xdp")
int xdp_ref_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct igb_fwd_cfg *cfg;
	__u32 zero = 0;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	cfg = bpf_map_lookup_elem(&fwd_cfg, &zero);
	if (!cfg)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, cfg->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, cfg->smac, ETH_ALEN);
	return bpf_redirect_map(&tx_port, 0, 0);
}
