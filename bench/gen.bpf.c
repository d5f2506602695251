// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gen.bpf.c - the benchmark's packet generator.
 *
 * xdp_gen runs under BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES:
 * each run writes one frame of the configured mix and returns XDP_TX,
 * which test_run turns into a redirect out of ctx_in.ingress_ifindex (the
 * generator's veth), i.e. into the router.  Live-frame pages are recycled
 * with whatever the router did to them (decapsulation moves the Ethernet
 * header, encapsulation writes into the headroom, the hop limit drops), so
 * the whole header is rewritten from the template on every run.
 *
 * xdp_wrap is the same writer for plain (non-live) BPF_PROG_TEST_RUN
 * repeat: it puts the frame back where it started, rewrites it and
 * tail-calls the program under test (target[0]).  Timing a trivial target
 * through the same wrapper gives the wrapper's own cost.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "igb.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct igb_gen_cfg);
} gen_cfg SEC(".maps");

/* The flow of each run of a --zipf mix (filled by the driver through the
 * mapping; igb.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IGB_SEQ_LEN);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u32);
} gen_seq SEC(".maps");

/* Run number per CPU: selects the flow and the source address. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} gen_ctr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

static __always_inline __u16 csum20(const void *hdr)
{
	const __u32 *w = hdr;
	__u64 s = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];

	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* Set flow-dependent fields of the IPv6 + UDP part (starting at ip6). */
static __always_inline void vary6(struct ipv6hdr *ip6, __u32 mix, __u32 addr, __u32 flow,
				  __u32 n_routes)
{
	struct udphdr *udp = (void *)(ip6 + 1);
	__u32 dst = flow + 1;

	if (n_routes)
		dst = (flow % n_routes) << 16 | (flow / n_routes + 1);
	if (mix == IGB_MIX_ENCAP) {
		ip6->saddr.in6_u.u6_addr32[3] = bpf_htonl(flow + 1);
		ip6->daddr.in6_u.u6_addr32[3] = addr;
	} else {
		ip6->saddr.in6_u.u6_addr32[3] = addr;
		ip6->daddr.in6_u.u6_addr32[3] = bpf_htonl(dst);
	}
	udp->source = bpf_htons(49152 + (flow & 16383));
}

/* Write frame number i of the mix at ctx->data.  0 or -1. */
static __always_inline int gen_write(struct xdp_md *ctx, const struct igb_gen_cfg *cfg, __u64 i)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 flow, idx, addr, n_src = cfg->n_src, n_flows = cfg->n_flows;

	if (!n_src || n_src > IGB_MAX_SRC || !n_flows)
		return -1;
	if (cfg->zipf) {
		__u32 k = (__u32)i & (IGB_SEQ_LEN - 1), *f = bpf_map_lookup_elem(&gen_seq, &k);

		if (!f)
			return -1;
		flow = *f % n_flows;
	} else {
		flow = (__u32)(i % n_flows);
	}
	idx = flow % n_src;
	asm volatile("" : "+r"(idx));  /* keep the mask: the verifier needs the bound */
	addr = cfg->src[idx & (IGB_MAX_SRC - 1)];

	if (cfg->mix == IGB_MIX_DECAP || cfg->mix == IGB_MIX_NONMEMBER) {
		struct iphdr *ip = data + sizeof(struct ethhdr);

		if (data + IGB_LEN4 > end)
			return -1;
		__builtin_memcpy(data, cfg->tmpl, IGB_LEN4);
		ip->saddr = addr;
		ip->id = bpf_htons((__u16)i);
		ip->check = 0;
		ip->check = csum20(ip);
		vary6((void *)(ip + 1), cfg->mix, addr, flow, cfg->n_routes);
		return 0;
	}
	if (cfg->mix == IGB_MIX_ENCAP || cfg->mix == IGB_MIX_NATIVE6) {
		if (data + IGB_LEN6 > end)
			return -1;
		__builtin_memcpy(data, cfg->tmpl, IGB_LEN6);
		vary6(data + sizeof(struct ethhdr), cfg->mix, addr, flow, cfg->n_routes);
		return 0;
	}
	return -1;
}

static __always_inline __u64 next_run(void)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&gen_ctr, &zero);

	if (!c)
		return 0;
	return (*c)++;
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	__u32 zero = 0;
	const struct igb_gen_cfg *cfg = bpf_map_lookup_elem(&gen_cfg, &zero);

	if (!cfg || gen_write(ctx, cfg, next_run()))
		return XDP_ABORTED;
	return XDP_TX;
}

SEC("xdp")
int xdp_wrap(struct xdp_md *ctx)
{
	__u32 zero = 0;
	const struct igb_gen_cfg *cfg = bpf_map_lookup_elem(&gen_cfg, &zero);
	int have;

	if (!cfg)
		return XDP_ABORTED;
	/* The previous repetition may have moved the start (decapsulation
	 * pulls it forward, encapsulation pushes it back): undo that.  The
	 * helper is called even when nothing moved, so that the wrapper costs
	 * the same in front of every program. */
	have = (int)(ctx->data_end - ctx->data);
	if (bpf_xdp_adjust_head(ctx, have - (int)cfg->len))
		return XDP_ABORTED;
	if (gen_write(ctx, cfg, next_run()))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;   /* no target: the caller reports it */
}
