/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nd.h - neighbour discovery addressed to the router over the ISATAP link
 * (RFC 5214 §8, RFC 4861): a member's Router Solicitation is answered with
 * a unicast Router Advertisement tunnelled back to it; a Neighbour
 * Solicitation for one of the router's ISATAP addresses (NUD) with a
 * Neighbour Advertisement.  Both leave by XDP_TX.  Admission has already
 * been checked by the caller.
 */
#ifndef IG_ND_H
#define IG_ND_H

#include "addr.h"
#include "frame.h"
#include "isatap.h"
#include "icmp6.h"
#include "verdict.h"

#define ND_RS 133
#define ND_RA 134
#define ND_NS 135
#define ND_NA 136
#define ND_OPT_SLLA 1
#define ND_MAX_LEN 256          /* longest RS/NS we validate, bytes */
#define ND_HOPLIMIT 255
#define ND_NA_ROUTER    0x80000000u
#define ND_NA_SOLICITED 0x40000000u

/* One of this router's ISATAP addresses: fe80::/64 or a configured prefix,
 * either u-bit form, embedding one of our own IPv4 addresses. */
static __always_inline int is_router_isatap(const struct in6_addr *a)
{
	struct ig_router *r;

	if (!ipv6_is_isatap(a))
		return 0;
	r = router_lookup(ipv6_isatap_v4(a));
	if (!r || !(r->flags & IG_ROUTER_F_SELF))
		return 0;
	return ipv6_is_linklocal64(a) || isatap_prefix(a) != NULL;
}

/*
 * RFC 4861 §6.1.1 / §7.1.1 checks common to RS and NS: hop limit 255,
 * code 0, length (a multiple of 8, at least min_len), checksum, options of
 * non-zero length that end exactly at the end, no source link-layer option
 * from the unspecified address.  Returns 0 when valid.
 */
static __always_inline int nd_validate(struct ipv6hdr *ip6, struct icmp6hdr *icmp, void *end,
				       __u32 min_len)
{
	__u32 len = bpf_ntohs(ip6->payload_len), off;
	int unspec = ipv6_is_unspecified(&ip6->saddr);
	__u8 *opt;
	__u64 sum;
	int i;

	if (ip6->hop_limit != ND_HOPLIMIT || icmp->icmp6_code != 0)
		return -1;
	if (len < min_len || len > ND_MAX_LEN || (len & 7))
		return -1;
	sum = icmp6_pseudo_sum(&ip6->saddr, &ip6->daddr, len);
	if (pkt_sum_words(icmp, end, len / 4, &sum) || csum_fold(sum) != 0xffff)
		return -1;
	off = min_len;
	for (i = 0; i < ND_MAX_LEN / 8; i++) {
		if (off >= len)
			break;
		opt = (__u8 *)icmp + (off & (ND_MAX_LEN - 1));
		ig_barrier_var(opt);
		if ((void *)(opt + 2) > end)
			return -1;
		if (opt[1] == 0)
			return -1;
		if (opt[0] == ND_OPT_SLLA && unspec)
			return -1;
		off += opt[1] * 8;
	}
	return off == len ? 0 : -1;
}

/*
 * Rewrite the frame in place as eth + IPv4 (20 bytes, router -> host) +
 * IPv6 (src -> dst) + an ICMPv6 body of body_len bytes, the body left for
 * the caller to fill.  hlen is the received outer header length.
 */
static __always_inline int nd_reply_frame(struct xdp_md *ctx, __u32 hlen, __u32 body_len,
					  const struct in6_addr *src, const struct in6_addr *dst,
					  const struct ig_config *cfg)
{
	const __u32 head = sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct ipv6hdr);
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	__u8 mac_us[ETH_ALEN], mac_peer[ETH_ALEN];
	__u32 v4_us, v4_peer;
	struct in6_addr s = *src, d = *dst;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return -1;
	__builtin_memcpy(mac_us, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(mac_peer, eth->h_source, ETH_ALEN);
	v4_us = ip->daddr;
	v4_peer = ip->saddr;

	/* Drop IPv4 options, then size the frame for the reply. */
	hlen &= 0x3f;
	if (hlen > sizeof(struct iphdr) &&
	    bpf_xdp_adjust_head(ctx, (int)(hlen - sizeof(struct iphdr))))
		return -1;
	if (resize_frame(ctx, head + body_len))
		return -1;

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if (data + head > end)
		return -1;
	ip = (void *)(eth + 1);
	ip6 = (void *)(ip + 1);
	eth_write(eth, mac_peer, mac_us, ETH_P_IP);
	ipv4_build(ip, v4_us, v4_peer, 0, cfg->ttl, sizeof(*ip) + sizeof(*ip6) + body_len,
		   cfg->flags & IG_CFG_F_DYNAMIC_MTU, IPPROTO_IPV6);
	ip6_build(ip6, &s, &d, body_len, IPPROTO_ICMPV6, ND_HOPLIMIT);
	return 0;
}

/* RS -> RA (RFC 5214 §8.2, RFC 4861 §6.2.6: unicast reply). */
static __always_inline struct verdict nd_router_solicit(struct xdp_md *ctx, struct iphdr *ip,
							struct ipv6hdr *ip6, struct icmp6hdr *icmp,
							void *end, const struct ig_config *cfg)
{
	const __u32 off = sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct ipv6hdr);
	const struct ig_ra_template *ra;
	struct in6_addr src, dst;
	__u32 hlen = ip->ihl * 4, zero = 0, len;
	__u64 sum, body_len;
	__u16 csum;
	int reason;

	if (!ipv6_is_all_routers(&ip6->daddr) && !is_router_isatap(&ip6->daddr))
		return mk(XDP_DROP, IG_RD_BAD_RS);
	if (nd_validate(ip6, icmp, end, 8))
		return mk(XDP_DROP, IG_RD_BAD_RS);

	/* Reply to the host's ISATAP link-local (also when it used ::). */
	if (ipv6_is_unspecified(&ip6->saddr)) {
		isatap_linklocal(ip->saddr, &dst);
	} else {
		reason = isatap_check_src(&ip6->saddr, ip->saddr, cfg);
		if (reason)
			return mk(XDP_DROP, reason);
		dst = ip6->saddr;
	}
	isatap_linklocal(ip->daddr, &src);

	ra = bpf_map_lookup_elem(&ra_tmpl, &zero);
	if (!ra || !ra->len || (cfg->flags & IG_CFG_F_NO_RD))
		return mk(XDP_DROP, IG_DROP_DST_LOCAL);
	len = ra->len;
	if (len < 16 || len > IG_RA_MAX)
		return mk(XDP_DROP, IG_DROP_INTERNAL);

	if (!ratelimit_ra_ok(ip->saddr, cfg->ra_min_interval_ms))
		return mk(XDP_DROP, IG_RD_RATE_LIMITED);

	if (nd_reply_frame(ctx, hlen, len, &src, &dst, cfg))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	/* Again, next to the call: the 6.1 verifier does not carry the bounds
	 * learnt above over to len's stack slot ("R3 min value is outside of
	 * the allowed memory range" for a length that might be 0). */
	body_len = len;     /* 64 bits: checked in the register passed */
	ig_barrier_var(body_len);
	if (body_len < 16 || body_len > IG_RA_MAX)
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	if (bpf_xdp_store_bytes(ctx, off, (void *)ra->body, body_len))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	sum = icmp6_pseudo_sum(&src, &dst, len) + ra->csum;
	csum = ~csum_fold(sum);
	if (bpf_xdp_store_bytes(ctx, off + 2, &csum, sizeof(csum)))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	return mk(XDP_TX, IG_RD_RA_SENT);
}

/* NS for one of our ISATAP addresses (NUD) -> NA with Router + Solicited. */
static __always_inline struct verdict nd_neigh_solicit(struct xdp_md *ctx, struct iphdr *ip,
						       struct ipv6hdr *ip6, struct icmp6hdr *icmp,
						       void *end, const struct ig_config *cfg)
{
	const __u32 off = sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct ipv6hdr);
	struct in6_addr *tgt = (void *)(icmp + 1);
	struct in6_addr src, dst;
	struct {
		__u8 type, code;
		__u16 csum;
		__u32 flags;
		struct in6_addr target;
	} na;
	__u32 hlen = ip->ihl * 4;
	const __u32 *w;
	__u64 sum;
	int reason;

	if ((void *)(tgt + 1) > end)
		return mk(XDP_DROP, IG_RD_BAD_NS);
	if (nd_validate(ip6, icmp, end, sizeof(na)) || ipv6_is_multicast(tgt))
		return mk(XDP_DROP, IG_RD_BAD_NS);
	if (!is_router_isatap(tgt) || ipv6_is_unspecified(&ip6->saddr))
		return mk(XDP_DROP, IG_DROP_DST_LOCAL);   /* not for us, or DAD */
	reason = isatap_check_src(&ip6->saddr, ip->saddr, cfg);
	if (reason)
		return mk(XDP_DROP, reason);

	src = *tgt;
	dst = ip6->saddr;
	na.type = ND_NA;
	na.code = 0;
	na.csum = 0;
	na.flags = bpf_htonl(ND_NA_ROUTER | ND_NA_SOLICITED);
	na.target = src;
	w = (const __u32 *)&na;
	sum = icmp6_pseudo_sum(&src, &dst, sizeof(na)) + w[0] + w[1] + w[2] + w[3] + w[4] + w[5];
	na.csum = ~csum_fold(sum);

	if (nd_reply_frame(ctx, hlen, sizeof(na), &src, &dst, cfg))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	if (bpf_xdp_store_bytes(ctx, off, &na, sizeof(na)))
		return mk(XDP_DROP, IG_DROP_INTERNAL);
	return mk(XDP_TX, IG_RD_NA_SENT);
}

/* Inner ICMPv6 to a link-local or multicast destination, from a member. */
static __always_inline struct verdict nd_handle(struct xdp_md *ctx, struct hdr_cursor *c,
						struct iphdr *ip, struct ipv6hdr *ip6,
						const struct ig_config *cfg)
{
	__u8 *tp = c->pos;
	struct icmp6hdr *icmp;
	int type, reason;

	/* A solicitation too short for its ICMPv6 header is a bad RS/NS. */
	if ((void *)(tp + 1) > c->end)
		return mk(XDP_DROP, IG_DROP_TRUNC_INNER);
	type = parse_icmp6hdr(c, &icmp);
	if (*tp == ND_RS)
		return type < 0 ? mk(XDP_DROP, IG_RD_BAD_RS)
				: nd_router_solicit(ctx, ip, ip6, icmp, c->end, cfg);
	if (*tp == ND_NS)
		return type < 0 ? mk(XDP_DROP, IG_RD_BAD_NS)
				: nd_neigh_solicit(ctx, ip, ip6, icmp, c->end, cfg);
	if (type < 0)
		return mk(XDP_DROP, IG_DROP_TRUNC_INNER);
	/* Anything else on the ISATAP link (MLD, RA from a host, ...). */
	reason = isatap_check_src(&ip6->saddr, ip->saddr, cfg);
	if (reason)
		return mk(XDP_DROP, reason);
	return mk(XDP_DROP, IG_DROP_DST_LOCAL);
}

#endif /* IG_ND_H */
