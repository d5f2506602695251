// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ref_flowline.bpf.c - the floor of exact per-flow accounting: parse the
 * ISATAP frame like ref_route, add the packet to one 64-byte line of a
 * flat array chosen by a hash of the flow (inner destination, UDP source
 * port), then forward like the ceiling (ref_fwd.h).  The
 * line holds its flow's key, compared before counting (a colliding flow
 * takes the line over: no chain, no eviction log); one cache line per flow
 * touched per packet, the least any exact flow table costs.  Sized by
 * `igbench attach --entries flow_lines=N` (a power of two): with more
 * flows than the CPU's caches hold, every packet of a round-robin mix
 * pays a DRAM (and TLB) miss here too.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ref_fwd.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct igb_flow_line {
	__u64 key; /* whose line it is: the packet waits for this load */
	__u64 packets;
	__u64 bytes;
	__u8 pad[40];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct igb_flow_line);
} flow_lines SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct igb_line_cfg);
} line_cfg SEC(".maps");

SEC("xdp")
int xdp_ref_flowline(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct igb_flow_line *line;
	struct igb_line_cfg *lc;
	struct ipv6hdr *ip6;
	struct udphdr *udp;
	struct iphdr *ip;
	__u32 zero = 0, h;
	__u64 key;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_IPV6)
		return XDP_PASS;
	ip6 = (void *)(ip + 1);
	udp = (void *)(ip6 + 1);
	if ((void *)(udp + 1) > end || ip6->nexthdr != IPPROTO_UDP)
		return XDP_PASS;
	lc = bpf_map_lookup_elem(&line_cfg, &zero);
	if (!lc)
		return XDP_DROP;
	/* Fibonacci hashing: round robin's consecutive flows land on lines
	 * spread over the array, so no prefetcher walks it for us */
	key = (__u64)ip6->daddr.in6_u.u6_addr32[3] << 16 | udp->source;
	h = (__u32)key * 2654435761u & lc->mask;
	line = bpf_map_lookup_elem(&flow_lines, &h);
	if (!line)
		return XDP_DROP;
	/* a flow table compares the key it finds before it counts: that
	 * branch on the loaded line is what exposes the miss's latency */
	if (line->key != key) {
		line->key = key;
		line->packets = 0;
		line->bytes = 0;
	}
	line->packets++;
	line->bytes += (__u64)(end - data);
	return ref_fwd_out(eth);
}
