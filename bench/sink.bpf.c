// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sink.bpf.c - the benchmark's sink: count every frame that arrives and
 * drop it.  Runs on the sink's veth, which is also what lets the router
 * redirect into its peer at all (a veth only accepts XDP frames when its
 * peer runs an XDP program, BRIEF §8).  Also the non-member flood's
 * reference on the router ("refdrop"): plain XDP_DROP with the one counter
 * update isagate's refusal pays for too.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} count SEC(".maps");

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&count, &zero);

	if (c)
		(*c)++;
	return XDP_DROP;
}
