// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ref_drop.bpf.c - reference for the non-member flood: drop everything,
 * counting it in a per-CPU array (isagate counts its refusals too, so both
 * pay for one counter update).
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
int xdp_ref_drop(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&count, &zero);

	if (c)
		(*c)++;
	return XDP_DROP;
}
