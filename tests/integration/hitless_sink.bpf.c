// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hitless_sink.bpf.c - the sink of test_hitless.sh and test_fwd_coherence.sh
 * (compiled by those tests, attached with `igbench attach`).
 *
 * Counts every frame that arrives, then drops it:
 *   by_src   key: the low 32 bits of the IPv6 source address (for a
 *            decapsulated ISATAP packet: the member's IPv4 address, as it is
 *            embedded in <prefix>::5efe:a.b.c.d), or the IPv4 source;
 *   by_dmac  key: the destination MAC (6 bytes, zero padded to 8);
 * each with the packet count and the first and last arrival time
 * (bpf_ktime_get_ns, CLOCK_MONOTONIC), per CPU.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct hs_count {
	__u64 packets;
	__u64 first_ns;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct hs_count);
} by_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct hs_count);
} by_dmac SEC(".maps");

static __always_inline void hs_bump(void *map, const void *key, __u64 now)
{
	struct hs_count *c = bpf_map_lookup_elem(map, key);
	struct hs_count n = { .packets = 1, .first_ns = now, .last_ns = now };

	if (c) {
		c->packets++;
		c->last_ns = now;
		return;
	}
	/* BPF_NOEXIST: only the first packet of this CPU creates the entry */
	if (bpf_map_update_elem(map, key, &n, BPF_NOEXIST)) {
		c = bpf_map_lookup_elem(map, key);
		if (c) {
			c->packets++;
			c->last_ns = now;
		}
	}
}

SEC("xdp")
int xdp_hitless_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 now = bpf_ktime_get_ns(), mac = 0;
	__u32 src;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	__builtin_memcpy(&mac, eth->h_dest, ETH_ALEN);
	hs_bump(&by_dmac, &mac, now);

	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
		src = ip6->saddr.in6_u.u6_addr32[3];
	} else if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end)
			return XDP_DROP;
		src = ip->saddr;
	} else {
		return XDP_DROP;
	}
	hs_bump(&by_src, &src, now);
	return XDP_DROP;
}
