// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xdp_pass.bpf.c - XDP_PASS everything.  Attached to the peer of a veth
 * that isagate redirects into (a veth only takes XDP frames when its peer
 * runs an XDP program); used by tests, the demo and the benchmark. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
