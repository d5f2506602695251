// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ref_fwd.bpf.c - the ceiling: rewrite both MAC addresses and redirect
 * every frame through a devmap to one port.  No parsing, no lookup: the
 * least an XDP forwarder can do.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "ref_fwd.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_ref_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	return ref_fwd_out(eth);
}
