// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_datapath.c - packet-in/packet-out tests of the XDP datapath through
 * BPF_PROG_TEST_RUN.
 *
 * The program runs in a private network namespace (unshare), so nothing
 * touches the machine's real interfaces, and nothing is pinned.  In that
 * namespace two veth pairs stand for the router's two sides:
 *
 *   igt4 (IPv4 side) 192.0.2.1/24 + 192.0.2.2/24, neighbour 192.0.2.10 = H
 *   igt6 (IPv6 side) 2001:db8:ff::1/64, 2001:db8:dac::/64 via 2001:db8:ff::2
 *
 * Neighbours are PERMANENT with fixed MACs, so bpf_fib_lookup() answers
 * SUCCESS with known addresses and every expected output frame can be built
 * byte for byte by tests/unit/pkt.c, independently of bpf/.
 *
 * Each row of the table below is one test: an input frame, the interface it
 * arrives on, the expected XDP action, the one counter (enum ig_reason) that
 * must move by exactly one packet, and the expected output frame (ICMPv6
 * errors, Router and Neighbour Advertisements the router generates
 * included).  Rows that change state (membership, config, prefixes, the RA
 * template, sysctls, redirect ports) restore it afterwards and the RA/ICMPv6
 * rate limits are cleared before every row, so every row is independent of
 * the others.
 *
 * The ra_tmpl map is filled with ig_ra_build() (user/ra.c) from the test's
 * settings, as the loader does; the RAs the rows expect are written field by
 * field from RFC 4861 / RFC 4191 by pkt.c, never by ig_ra_build().  Every RA/NA produced
 * is also saved for an independent decoder, tests/unit/check_ra.py (scapy):
 * see nd_out_record().
 *
 * Run as root: build/test_datapath.  Prints "ok - name" / "not ok - name"
 * per row, failures with a hex diff, and ends with "N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "isagate.h"
#include "isagate.skel.h"
#include "common.h"
#include "config.h"
#include "harness.h"
#include "pkt.h"
#include "ra.h"
#include "policy.h"
#include "netns_fixture.h"
#include "loader.h"
#include "flowcache.h"
#include "flows.h"

/* ---- frame shorthands -------------------------------------------------- */

#define TCP      { .kind = PKT_L4_TCP_SYN, .sport = 49152, .dport = 3389 }
#define ECHO     { .kind = PKT_L4_ICMP6_ECHO, .payload_len = 56 }
#define ICMP6_UNREACH { .kind = PKT_L4_ICMP6_ECHO, .type = 1, .payload_len = 48 }
#define UDP(n)   { .kind = PKT_L4_UDP, .sport = 49152, .dport = 3389, .payload_len = (n) }
#define NOL4     { .kind = PKT_L4_NONE }
/* TCP with the given ports and flags (0x02 SYN, 0x10 ACK, 0x12 SYN-ACK, 0x01 FIN, 0x04 RST). */
#define TCPF(sp, dp, fl) { .kind = PKT_L4_TCP_SYN, .sport = (sp), .dport = (dp), .tcp_flags = (fl) }
#define UDPP(sp, dp, n)  { .kind = PKT_L4_UDP, .sport = (sp), .dport = (dp), .payload_len = (n) }
#define ECHO_REPLY { .kind = PKT_L4_ICMP6_ECHO, .type = 129, .payload_len = 56 }
/* Echo request / reply with identifier id. */
#define ECHO_ID(id)       { .kind = PKT_L4_ICMP6_ECHO, .sport = (id), .payload_len = 56 }
#define ECHO_REPLY_ID(id) { .kind = PKT_L4_ICMP6_ECHO, .type = 129, .sport = (id), \
			    .payload_len = 56 }

#define IP4(s, d, ...)      { .src = (s), .dst = (d), .id = 0x1234, __VA_ARGS__ }
#define IP6(s, d, hl, ...)  { .src = (s), .dst = (d), .hlim = (hl), __VA_ARGS__ }

/* ISATAP frame from the IPv4 LAN, addressed to the router's IPv4 side. */
#define ISATAP_IN(ip4_, ip6_, l4_, ...)                                        \
	{ .kind = PKT_ISATAP, .dmac = MAC_DEV4, .smac = MAC_H, .ip4 = ip4_,    \
	  .ip6 = ip6_, .l4 = l4_, __VA_ARGS__ }
/* Native IPv6 frame from the next hop on the IPv6 side. */
#define NATIVE_IN(ip6_, l4_, ...)                                              \
	{ .kind = PKT_IPV6, .dmac = MAC_DEV6, .smac = MAC_NH6, .ip6 = ip6_,    \
	  .l4 = l4_, __VA_ARGS__ }
/* Sent on the IPv6 side to its neighbour 2001:db8:ff::2. */
#define NATIVE_OUT(ip6_, l4_)                                                  \
	{ .kind = PKT_IPV6, .dmac = MAC_NH6, .smac = MAC_DEV6, .ip6 = ip6_, .l4 = l4_ }
/* Decapsulated and redirected: new MACs from the IPv6 side's neighbour.
 * (Macros taking brace-enclosed arguments cannot forward them to another
 * macro, hence the repetition.) */
#define DECAP_FWD(ip6_, l4_)                                                   \
	{ .kind = PKT_IPV6, .dmac = MAC_NH6, .smac = MAC_DEV6, .ip6 = ip6_, .l4 = l4_ }
/* Decapsulated and redirected by the route mirror's next hop 1. */
#define DECAP_FWD_RM(ip6_, l4_)                                                             \
	{                                                                                   \
		.kind = PKT_IPV6, .dmac = MAC_RM6, .smac = MAC_RM6S, .ip6 = ip6_, .l4 = l4_ \
	}
/* Decapsulated and handed to the kernel: the original MACs, EtherType IPv6. */
#define DECAP_KERNEL(ip6_, l4_)                                                \
	{ .kind = PKT_IPV6, .dmac = MAC_DEV4, .smac = MAC_H, .ip6 = ip6_, .l4 = l4_ }
/* Tunnelled to a member: IHL 5, TTL 64, DF clear, protocol 41. */
#define TUNNEL_OUT(dmac_, src4, dst4, tos_, ip6_, l4_)                         \
	{ .kind = PKT_ISATAP, .dmac = (dmac_), .smac = MAC_DEV4,               \
	  .ip4 = { .src = (src4), .dst = (dst4), .tos = (tos_), .ttl = 64 },   \
	  .ip6 = ip6_, .l4 = l4_ }
/* Encapsulated: R1 -> member, TOS = inner traffic class. */
#define ENCAP_OUT(dmac_, dst4, tos_, ip6_, l4_)                                \
	{ .kind = PKT_ISATAP, .dmac = (dmac_), .smac = MAC_DEV4,               \
	  .ip4 = { .src = R1, .dst = (dst4), .tos = (tos_), .ttl = 64 },       \
	  .ip6 = ip6_, .l4 = l4_ }
/* Encapsulated to H by the route mirror's next hop 2. */
#define ENCAP_OUT_RM(ip6_, l4_)                                                             \
	{                                                                                   \
		.kind = PKT_ISATAP, .dmac = MAC_RM4, .smac = MAC_RM4S,                      \
		.ip4 = { .src = R1, .dst = H, .tos = 0, .ttl = 64 }, .ip6 = ip6_, .l4 = l4_ \
	}
/* ICMPv6 errors (RFC 4443 §3.3, §3.2) quoting the packet built from qip6/ql4. */
#define TIME_EXCEEDED(qip6, ql4)                                               \
	{ .kind = PKT_L4_ICMP6_ERR, .type = 3, .code = 0, .info = 0,           \
	  .q_ip6 = &(const struct pkt_ip6)qip6, .q_l4 = &(const struct pkt_l4s)ql4 }
#define ADM_PROHIBITED(qip6, ql4)                                              \
	{ .kind = PKT_L4_ICMP6_ERR, .type = 1, .code = 1, .info = 0,           \
	  .q_ip6 = &(const struct pkt_ip6)qip6, .q_l4 = &(const struct pkt_l4s)ql4 }
#define TOO_BIG(mtu, qip6, ql4)                                                \
	{ .kind = PKT_L4_ICMP6_ERR, .type = 2, .code = 0, .info = (mtu),       \
	  .q_ip6 = &(const struct pkt_ip6)qip6, .q_l4 = &(const struct pkt_l4s)ql4 }

static const uint8_t OPT_RTR_ALERT[4] = { 0x94, 0x04, 0x00, 0x00 };
static const uint8_t OPT_NOP40[40] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};

/* ---- router discovery (RFC 4861 §4.1-4.4, §4.6) ------------------------ */

#define ND_OPTS(...) ((const struct pkt_nd_opt[]){ __VA_ARGS__, { 0 } })
#define OPT_SLLA(m)  { .kind = PKT_OPT_SLLA, .mac = (m) }
#define OPT_MTU(m)   { .kind = PKT_OPT_MTU, .mtu = (m) }
/* type t, length field l (8-byte units), n bytes actually written */
#define OPT_RAW(t, l, n) { .kind = PKT_OPT_RAW, .type = (t), .len = (l), .raw_bytes = (n) }
#define OPT_PIO(pfx, fl, v, pr)                                                \
	{ .kind = PKT_OPT_PIO, .prefix = (pfx), .plen = 64, .flags = (fl),    \
	  .valid = (v), .preferred = (pr) }
/* Route Information option (RFC 4191 §2.3): prefix/plen, Length field l
 * (1: /0, 2: up to /64, 3: longer), flags byte fl (Prf in bits 3-4: high
 * 0x08, medium 0x00, low 0x18), route lifetime lt. */
#define OPT_RIO(pfx, plen_, l, fl, lt)                                         \
	{ .kind = PKT_OPT_RIO, .prefix = (pfx), .plen = (plen_), .len = (l),  \
	  .flags = (fl), .valid = (lt) }
#define RIO_HIGH   0x08
#define RIO_MEDIUM 0x00
#define RIO_LOW    0x18
/* ra_routes_max's options, written out: 2001:db8:1:80NN::/64 with the default
 * PIO settings, 2001:db8:daN::1/128 low for 20 s. */
#define PIO_N(nn)  OPT_PIO("2001:db8:1:80" nn "::", PKT_PIO_A, 86400, 14400)
#define RIO_N(n)   OPT_RIO("2001:db8:da" n "::1", 128, 3, RIO_LOW, 20)
/* The default PIO: P/64, L=0 A=1, valid 86400 s, preferred 14400 s. */
#define PIO_P OPT_PIO(P_PFX, PKT_PIO_A, 86400, 14400)

/* Router Solicitation (extra pkt_l4s designators, e.g. .code, .nd.opts). */
#define L4_RS(...)       { .kind = PKT_L4_ND, .type = 133, __VA_ARGS__ }
/* Any other ICMPv6 type t with a 4-byte zero field (an MLDv2 report: no records). */
#define L4_ICMP6(t)      { .kind = PKT_L4_ND, .type = (t) }
/* Neighbour Solicitation for target tgt. */
#define L4_NS(tgt, ...)  { .kind = PKT_L4_ND, .type = 135, .nd.target = (tgt), __VA_ARGS__ }
/* Neighbour Advertisement from the router: R and S set, O clear, no options. */
#define L4_NA(tgt)       { .kind = PKT_L4_ND, .type = 136, .nd.target = (tgt),         \
			   .nd.na_flags = 0xc0000000u }
/* Router Advertisement: M=O=0, the given fields and options. */
#define L4_RA(hl, life, reach, retr, opts_)                                    \
	{ .kind = PKT_L4_ND, .type = 134, .nd.cur_hlim = (hl),                 \
	  .nd.router_lifetime = (life), .nd.reachable = (reach),               \
	  .nd.retrans = (retr), .nd.opts = (opts_) }
/* The RA for the defaults: hop limit 64, lifetime 1800 s, reachable and
 * retrans 0 (unspecified), one PIO for P, MTU option 1280, no SLLA. */
#define RA_DEFAULT L4_RA(64, 1800, 0, 0, ND_OPTS(PIO_P, OPT_MTU(1280)))
/* A reply tunnelled back to the soliciting host (MACs swapped): outer
 * src4 -> dst4, IHL 5, TOS 0, TTL 64, DF clear; inner hop limit 255. */
#define ND_REPLY(dst4, src4, src6, dst6, l4_)                                  \
	{ .kind = PKT_ISATAP, .dmac = MAC_H, .smac = MAC_DEV4,                 \
	  .ip4 = { .src = (src4), .dst = (dst4), .ttl = 64 },                  \
	  .ip6 = IP6(src6, dst6, 255), .l4 = l4_ }

enum dev { DEV_V4, DEV_V6 };

enum out_check {
	OUT_ANY = 0, /* dropped: the bytes do not matter */
	OUT_SAME,    /* passed untouched: output == input */
	OUT_EXACT,   /* output == exp, byte for byte */
	OUT_ENCAP,   /* output == exp except the outer ID and checksum; checksum verified */
};

struct tcase {
	const char *name;
	enum dev dev;
	struct pkt_frame in;
	int action;
	int reason;
	enum out_check out;
	struct pkt_frame exp;
	void (*before)(const struct tcase *t);
	void (*after)(const struct tcase *t);
};

/* ---- state ------------------------------------------------------------- */

static struct isagate_bpf *skel;
static int ifindex4, ifindex6;
static int ncpus;

static const char *const reason_key[IG_REASON_MAX] = {
#define IG_X_KEY(name, key, text) [IG_##name] = key,
	IG_REASONS(IG_X_KEY)
#undef IG_X_KEY
};

static const char *action_name(int a)
{
	static const char *const n[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					 "XDP_REDIRECT" };

	return a >= 0 && a < 5 ? n[a] : "XDP_?";
}

/* ---- environment ------------------------------------------------------- */



static int setup_netns(void)
{
	return fx_netns_up(&ifindex4, &ifindex6);
}

/* ---- maps -------------------------------------------------------------- */

static struct ig_config base_cfg;
static struct ig_prefix_key base_pk;   /* P */
static struct ig_prefix base_pv;       /* P: L=0, valid 86400, preferred 14400 */

static int put_router(const char *a, __u32 flags, __u32 index)
{
	struct ig_v4_key k;
	struct ig_router v = { .flags = flags, .index = index };

	pkt_in4(a, k.addr);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.routers), &k, &v, BPF_ANY);
}

/* Hosts (/32) go in the members hash, subnets in the member_nets trie; then
 * the generation moves (datapath member caches, bpf/isatap.h). */
static int member_update(const char *a, __u32 plen, int add)
{
	struct ig_v4_lpm_key k = { .prefixlen = plen };
	struct ig_v4_key hk;
	struct ig_member v;
	const void *key = &k;
	int fd = bpf_map__fd(skel->maps.member_nets);

	memset(&v, 0, sizeof(v));
	v.flags = plen < 32 ? IG_MEMBER_F_SUBNET : 0;
	pkt_in4(a, k.addr);
	if (plen == 32) {
		memcpy(hk.addr, k.addr, sizeof(hk.addr));
		key = &hk;
		fd = bpf_map__fd(skel->maps.members);
	}
	if (add ? bpf_map_update_elem(fd, key, &v, BPF_ANY) : bpf_map_delete_elem(fd, key))
		return -1;
	/* as the loader does after every change: the member caches start over */
	return ig_gen_bump(bpf_map__fd(skel->maps.config), IG_GEN_MEMBERS);
}

static int port_update(int ifindex, int add)
{
	__u32 k = (__u32)ifindex, v = (__u32)ifindex;

	if (add)
		return bpf_map_update_elem(bpf_map__fd(skel->maps.tx_ports), &k, &v, BPF_ANY);
	return bpf_map_delete_elem(bpf_map__fd(skel->maps.tx_ports), &k);
}

static int put_config(const struct ig_config *c)
{
	return ig_config_store(bpf_map__fd(skel->maps.config), c); /* as the loader does */
}

static struct ig_prefix_key prefix_key(const char *p)
{
	struct ig_prefix_key k;
	uint8_t p6[16];

	pkt_in6(p, p6);
	memcpy(k.prefix, p6, sizeof(k.prefix));
	return k;
}

/* Fill ra_tmpl with the RA the loader would build for c, the prefixes and
 * the routes (RFC 4191). */
static int put_ra_tmpl_routes(const struct ig_config *c, const struct ig_prefix_key *k,
			      const struct ig_prefix *v, unsigned int n,
			      const struct ig_ra_route *r, unsigned int nr)
{
	static struct ig_ra_template t;
	__u32 zero = 0;
	int err = ig_ra_build(c, k, v, n, r, nr, &t);

	if (err) {
		errno = -err;
		return -1;
	}
	return bpf_map_update_elem(bpf_map__fd(skel->maps.ra_tmpl), &zero, &t, BPF_ANY);
}

static int put_ra_tmpl(const struct ig_config *c, const struct ig_prefix_key *k,
		       const struct ig_prefix *v, unsigned int n)
{
	return put_ra_tmpl_routes(c, k, v, n, NULL, 0);
}

static int setup_maps(void)
{
	struct ig_settings set;
	int err = 0;

	/* the loader's derivation, from the topology's settings */
	if (fx_settings(&set, ifindex4, ifindex6))
		return -1;
	ig_config_build(&set, &base_cfg);
	/* every refusal is an event here (test_refusal_event and the rows
	 * count them); the per-source limit has its own test */
	base_cfg.event_min_interval_ms = 0;
	ig_prefixes_build(&set, &base_pk, &base_pv);

	err = err ?: put_config(&base_cfg);
	err = err ?: put_router(R1, IG_ROUTER_F_SELF, 0);
	err = err ?: put_router(R2, IG_ROUTER_F_SELF, 1);
	err = err ?: put_router(PEER, IG_ROUTER_F_PEER, 2);
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.prefixes), &base_pk, &base_pv,
					 BPF_ANY);
	err = err ?: put_ra_tmpl(&base_cfg, &base_pk, &base_pv, 1);
	err = err ?: member_update(H, 32, 1);
	err = err ?: member_update(H11, 32, 1);
	err = err ?: member_update("198.51.100.0", 24, 1);
	err = err ?: port_update(ifindex4, 1);
	err = err ?: port_update(ifindex6, 1);
	if (err)
		fprintf(stderr, "test_datapath: filling the maps failed: %s\n", strerror(errno));
	return err;
}

/* Open and load the datapath, with a flow cache of fc_slots per CPU (0: none). */
static int load_skel(uint32_t fc_slots)
{
	struct bpf_map *m;
	int err;

	skel = isagate_bpf__open();
	if (!skel) {
		fprintf(stderr, "test_datapath: opening the BPF object failed: %s\n",
			strerror(errno));
		return -1;
	}
	if (ig_loader_fc_size(skel, fc_slots, bpf_map__max_entries(skel->maps.flows)))
		return -1;
	/* Nothing is pinned: the maps live as long as this process. */
	bpf_object__for_each_map(m, skel->obj) {
		err = bpf_map__set_pin_path(m, NULL);
		if (err) {
			fprintf(stderr, "test_datapath: clearing the pin path of %s: %s\n",
				bpf_map__name(m), strerror(-err));
			return -1;
		}
	}
	err = isagate_bpf__load(skel);
	if (err) {
		fprintf(stderr, "test_datapath: loading the BPF object failed: %s\n",
			strerror(-err));
		return -1;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "test_datapath: cannot count CPUs\n");
		return -1;
	}
	return 0;
}

/* Sum the per-CPU counters. */
static int read_stats(__u64 pk[IG_REASON_MAX], __u64 by[IG_REASON_MAX])
{
	struct ig_counter *v = calloc((size_t)ncpus, sizeof(*v));
	__u32 r;
	int c, err = 0;

	if (!v)
		return -1;
	for (r = 0; r < IG_REASON_MAX; r++) {
		pk[r] = by[r] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &r, v)) {
			err = -1;
			break;
		}
		for (c = 0; c < ncpus; c++) {
			pk[r] += v[c].packets;
			by[r] += v[c].bytes;
		}
	}
	free(v);
	return err;
}

/* ---- running the program ---------------------------------------------- */

/* Run one frame through xdp_isagate as if received on dev.  Returns the
 * BPF_PROG_TEST_RUN error (0 or -errno); *action and *out_len on success. */
static int run_frame(const uint8_t *in, size_t in_len, enum dev dev, uint8_t *out,
		     size_t out_size, int *action, size_t *out_len)
{
	struct xdp_md md;
	int err;

	memset(&md, 0, sizeof(md));
	md.data_end = (__u32)in_len;
	md.ingress_ifindex = (__u32)(dev == DEV_V4 ? ifindex4 : ifindex6);
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = in,
		    .data_size_in = (__u32)in_len,
		    .data_out = out,
		    .data_size_out = (__u32)out_size,
		    .ctx_in = &md,
		    .ctx_size_in = sizeof(md),
		    .repeat = 1);

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_isagate), &opts);
	if (err)
		return err;
	*action = (int)opts.retval;
	*out_len = opts.data_size_out;
	return 0;
}

/* Delete every entry of a hash map whose keys are at most 64 bytes. */
static int map_clear(struct bpf_map *map)
{
	int fd = bpf_map__fd(map);
	unsigned char k[64];

	if (bpf_map__key_size(map) > sizeof(k))
		return -1;
	while (bpf_map_get_next_key(fd, NULL, k) == 0)
		if (bpf_map_delete_elem(fd, k))
			return -1;
	return 0;
}

/* Forget every rate limit and per-source quota, and the per-CPU budgets of
 * new ones, so that no row depends on the ones before. */
static int ratelimit_clear(void)
{
	int fd = bpf_map__fd(skel->maps.vis_stats), c, err;
	struct ig_vis_stats *vs = calloc((size_t)ncpus, sizeof(*vs));
	__u32 zero = 0;

	err = map_clear(skel->maps.ratelimit) || map_clear(skel->maps.rd_ratelimit) ||
	      map_clear(skel->maps.member_quota) || map_clear(skel->maps.remote_quota);
	if (!vs || bpf_map_lookup_elem(fd, &zero, vs))
		err = -1;
	for (c = 0; !err && c < ncpus; c++)
		vs[c].q_window_ns = vs[c].q_window_used = vs[c].rl_window_ns =
			vs[c].rl_window_used = 0;
	if (!err && bpf_map_update_elem(fd, &zero, vs, BPF_ANY))
		err = -1;
	free(vs);
	return err ? -1 : 0;
}

/*
 * What the loader does when routes or neighbours change: bump the
 * forwarding cache's generation, so each row sees the FIB as it is now.
 */
static int rm_put_state(void);

/* What watch does on a change: bump fwd_gen; and with a mirror on for the
 * row (rm_families), stamp it with the new generation. */
static int fwd_cache_invalidate(void)
{
	if (ig_gen_bump(bpf_map__fd(skel->maps.config), IG_GEN_FWD))
		return -1;
	return rm_put_state();
}

/* ---- the route mirror (bpf/route.h), its maps filled as watch would --- */

#define MAC_RM6 "02:00:00:00:9e:06"  /* the mirror's next hop on the IPv6 side */
#define MAC_RM6S "02:00:00:00:9e:16" /* ... and the source MAC it gives */
#define MAC_RM4 "02:00:00:00:9e:04"  /* the mirror's next hop on the IPv4 side */
#define MAC_RM4S "02:00:00:00:9e:14"

static __u32 rm_families;    /* IG_ROUTE_F_* for the row, 0: mirror off */
static __u64 rm_valid_until; /* route_state.valid_until_ns for the row */
static __u32 rm_gen_skew;    /* route_state.gen = fwd_gen + this */

static int rm_put_state(void)
{
	struct ig_route_state st = { .families = rm_families, .valid_until_ns = rm_valid_until };
	struct ig_config c;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.config), &zero, &c))
		return -1;
	st.gen = c.fwd_gen + rm_gen_skew;
	return bpf_map_update_elem(bpf_map__fd(skel->maps.route_state), &zero, &st, BPF_ANY);
}

static int rm_nexthop(__u32 id, int ifindex, __u16 mtu, const char *dmac, const char *smac)
{
	struct ig_nexthop nh = { .ifindex = (__u32)ifindex, .mtu = mtu };

	pkt_mac(dmac, nh.dmac);
	pkt_mac(smac, nh.smac);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.nexthops), &id, &nh, BPF_ANY);
}

static int rm_route6(const char *prefix, __u32 len, __u32 nh)
{
	struct ig_route6_key k = { .prefixlen = len };
	struct ig_route v = { .nh = nh };

	pkt_in6(prefix, k.addr);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.routes6), &k, &v, BPF_ANY);
}

static int rm_route4(const char *prefix, __u32 len, __u32 nh)
{
	struct ig_route4_key k = { .prefixlen = len };
	struct ig_route v = { .nh = nh };

	pkt_in4(prefix, k.addr);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.routes4), &k, &v, BPF_ANY);
}

/* The mirror on, both families: 2001:db8:dac::/48 (D100) through nh 1, its
 * longer 2001:db8:dac:1::/64 (D_MTU) left to the FIB, 2001:db8:dad::/64
 * (D_NN) through nh 3 whose MTU (59) no TCP row fits, 192.0.2.0/24 (H)
 * through nh 2; MACs the FIB never gives. */
static struct ig_route_stats rm_stats0;

/* route_stats summed over the CPUs */
static struct ig_route_stats rm_stats(void)
{
	struct ig_route_stats sum = { 0 }, *pc = calloc((size_t)ncpus, sizeof(*pc));
	__u32 zero = 0;
	int i;

	if (pc && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.route_stats), &zero, pc))
		for (i = 0; i < ncpus; i++) {
			sum.mirror += pc[i].mirror;
			sum.fib += pc[i].fib;
		}
	free(pc);
	return sum;
}

static void rm_on(const struct tcase *t)
{
	struct timespec ts;
	int err = 0;

	(void)t;
	rm_stats0 = rm_stats();
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	err = err ?: rm_nexthop(1, ifindex6, 1500, MAC_RM6, MAC_RM6S);
	err = err ?: rm_nexthop(2, ifindex4, 1500, MAC_RM4, MAC_RM4S);
	err = err ?: rm_nexthop(3, ifindex6, 59, MAC_RM6, MAC_RM6S);
	err = err ?: rm_route6("2001:db8:dac::", 48, 1);
	err = err ?: rm_route6("2001:db8:dac:1::", 64, 0);
	err = err ?: rm_route6("2001:db8:dad::", 64, 3);
	err = err ?: rm_route4("192.0.2.0", 24, 2);
	CHECK(err == 0, "filling the route mirror: %s", strerror(errno));
	rm_families = IG_ROUTE_F_V4 | IG_ROUTE_F_V6;
	rm_valid_until = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec + 60000000000ull;
	rm_gen_skew = 0;
}

static void rm_stale_gen(const struct tcase *t)
{
	rm_on(t);
	rm_gen_skew = 7;
}

static void rm_expired(const struct tcase *t)
{
	rm_on(t);
	rm_valid_until = 1;
}

static void rm_v4_only(const struct tcase *t)
{
	rm_on(t);
	rm_families = IG_ROUTE_F_V4;
}

static void rm_off(const struct tcase *t)
{
	(void)t;
	rm_families = 0;
	CHECK(rm_put_state() == 0, "switching the route mirror off: %s", strerror(errno));
}

/* rm_off, and the decision came from the mirror (mirror) or the FIB */
static void rm_off_check(int mirror)
{
	struct ig_route_stats s = rm_stats();

	rm_off(NULL);
	CHECK(s.mirror - rm_stats0.mirror == (mirror ? 1u : 0u) &&
		      s.fib - rm_stats0.fib == (mirror ? 0u : 1u),
	      "route_stats moved by mirror %llu, fib %llu; expected %d, %d",
	      (unsigned long long)(s.mirror - rm_stats0.mirror),
	      (unsigned long long)(s.fib - rm_stats0.fib), !!mirror, !mirror);
}

static void rm_off_mirror(const struct tcase *t)
{
	(void)t;
	rm_off_check(1);
}

static void rm_off_fib(const struct tcase *t)
{
	(void)t;
	rm_off_check(0);
}

/* ---- manage-out policy (loaded through the loader's own code) --------- */

static const char POLICY_A[] =
	"allow out tcp 3389 name rdp\n"
	"allow out icmpv6 echo-request name ping\n"
	"allow out tcp 135 name epm\n"
	"allow out tcp 49152-65535 after tcp/135 name rpc\n"
	"allow in tcp 5985 member 192.0.2.10 name winrm-in\n"
	"reject out udp 53 name dns\n"
	"default drop\n";
/* Echo rules by type: remote hosts may ping members; 198.51.100.0/24 may send
 * echo replies nobody asked for (an 'echo-reply' rule must match those, and
 * nothing else). */
static const char POLICY_C[] =
	"allow in icmpv6 echo-request name ping-in\n"
	"allow out icmpv6 echo-reply member 198.51.100.0/24 name s7-reply\n"
	"default drop\n";
/* rdp gone, everything else answered with administratively prohibited */
static const char POLICY_B[] =
	"allow out icmpv6 echo-request\n"
	"default reject\n";

static struct ig_pmaps skel_pmaps(void)
{
	struct ig_pmaps m = {
		.state = bpf_map__fd(skel->maps.policy_state),
		.rules = bpf_map__fd(skel->maps.policy_rules),
		.stats = bpf_map__fd(skel->maps.policy_stats),
		.config = bpf_map__fd(skel->maps.config),
	};
	return m;
}

static int policy_load(const char *text)
{
	struct ig_pmaps m = skel_pmaps();
	struct ig_policy p;
	char err[300];

	if (ig_policy_parse_buf(text, strlen(text), "test", &p, err, sizeof(err))) {
		fprintf(stderr, "# policy: %s\n", err);
		return -1;
	}
	return ig_policy_apply(&m, &p);
}

/*
 * Every connection: make it age_s seconds older (age_s > 0) or forget it
 * (age_s = 0).  Ageing moves last_ns back from its own value, i.e. relative
 * to the datapath's clock, in the modular arithmetic the datapath's
 * "now - last_ns > timeout" uses: a router that booted a minute ago (clock
 * smaller than any timeout) ages exactly like one up for weeks.  Writing a
 * small constant such as 1 instead means "long ago" only once the clock has
 * passed the timeout (3,600 s for tcp-established).
 */
static int conns_each(__u64 age_s)
{
	int fd = bpf_map__fd(skel->maps.conns);
	struct ig_flow_key k, next;
	struct ig_conn c;
	int first = 1;

	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = 0;
		k = next;
		if (!age_s) {
			if (bpf_map_delete_elem(fd, &k))
				return -1;
			first = 1;   /* start again: the key is gone */
			continue;
		}
		if (bpf_map_lookup_elem(fd, &k, &c))
			return -1;
		c.last_ns -= age_s * 1000000000ull;
		if (bpf_map_update_elem(fd, &k, &c, BPF_EXIST))
			return -1;
	}
	return 0;
}

static void pol_a(const struct tcase *t)
{
	(void)t;
	CHECK(policy_load(POLICY_A) == 0, "loading policy A: %s", strerror(errno));
}

static void pol_b(const struct tcase *t)
{
	(void)t;
	CHECK(policy_load(POLICY_B) == 0, "loading policy B: %s", strerror(errno));
}

/* tcp-established of policy A (the default, user/policy.c) */
#define POL_A_TCP_EST_S 3600ull

/* Policy A again, its connections 10 s short of tcp-established. */
static void pol_a_young(const struct tcase *t)
{
	pol_a(t);
	CHECK(conns_each(POL_A_TCP_EST_S - 10) == 0, "ageing the connections: %s", strerror(errno));
}

/* The connections (just refreshed by the row before) 10 s past it. */
static void pol_a_aged(const struct tcase *t)
{
	(void)t;
	CHECK(conns_each(POL_A_TCP_EST_S + 10) == 0, "ageing the connections: %s", strerror(errno));
}

static void pol_c(const struct tcase *t)
{
	(void)t;
	CHECK(policy_load(POLICY_C) == 0, "loading policy C: %s", strerror(errno));
}

/* Connections of member m (IPv4 text) whose member_port is port, and of
 * those, how many have remote_port rport and were opened from side dir. */
static int conns_count(const char *m, __u16 port, __u16 rport, __u8 dir, int *match)
{
	int fd = bpf_map__fd(skel->maps.conns), n = 0, first = 1;
	struct ig_flow_key k, next;
	struct ig_conn c;
	__u8 a[4];

	pkt_in4(m, a);
	*match = 0;
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = 0;
		k = next;
		if (memcmp(k.member, a, 4) || k.member_port != port)
			continue;
		n++;
		if (k.remote_port == rport && !bpf_map_lookup_elem(fd, &k, &c) && c.dir == dir)
			(*match)++;
	}
	return n;
}

/* D::100's ping of H (id 0x5001) opened one connection, keyed "the remote
 * host asked" (IG_FLOW_ICMP_ECHO_IN_PORT), opened from the remote side. */
static void conn_h_ping_in(const struct tcase *t)
{
	int match, n = conns_count(H, 0x5001, IG_FLOW_ICMP_ECHO_IN_PORT, IG_PD_IN, &match);

	(void)t;
	CHECK(n == 1 && match == 1, "%d connections of H with id 0x5001, %d keyed echo-in/in", n,
	      match);
}

/* An admitted echo reply creates no connection. */
static void no_conn_s7(const struct tcase *t)
{
	int match, n = conns_count(S7, 0x5003, 0, 0, &match);

	(void)t;
	CHECK(n == 0, "%d connections of S7 with id 0x5003 (an echo reply opened one)", n);
}

static void pol_clear(const struct tcase *t)
{
	struct ig_pmaps m = skel_pmaps();

	(void)t;
	CHECK(ig_policy_clear(&m) == 0, "clearing the policy: %s", strerror(errno));
	CHECK(conns_each(0) == 0, "emptying the connection table: %s", strerror(errno));
}

/* ---- hooks for rows that change state (each undone by its pair) -------- */

static void h_del(const struct tcase *t)
{
	(void)t;
	CHECK(member_update(H, 32, 0) == 0, "delete member H: %s", strerror(errno));
}

static void h_add(const struct tcase *t)
{
	(void)t;
	CHECK(member_update(H, 32, 1) == 0, "re-add member H: %s", strerror(errno));
}

static void n_add(const struct tcase *t)
{
	(void)t;
	CHECK(member_update(N, 32, 1) == 0, "add member N: %s", strerror(errno));
}

static void n_del(const struct tcase *t)
{
	(void)t;
	CHECK(member_update(N, 32, 0) == 0, "delete member N: %s", strerror(errno));
}

static void port6_del(const struct tcase *t)
{
	(void)t;
	CHECK(port_update(ifindex6, 0) == 0, "tx_ports delete: %s", strerror(errno));
}

static void port6_add(const struct tcase *t)
{
	(void)t;
	CHECK(port_update(ifindex6, 1) == 0, "tx_ports add: %s", strerror(errno));
}

static void port4_del(const struct tcase *t)
{
	(void)t;
	CHECK(port_update(ifindex4, 0) == 0, "tx_ports delete: %s", strerror(errno));
}

static void port4_add(const struct tcase *t)
{
	(void)t;
	CHECK(port_update(ifindex4, 1) == 0, "tx_ports add: %s", strerror(errno));
}

/* ---- neighbour requests (bpf/neigh_req.h, issue 15) ---- */

struct nreq_seen {
	int n;
	struct ig_neigh_req last;
};

static int nreq_cb(void *ctx, void *data, size_t size)
{
	struct nreq_seen *s = ctx;

	s->n++;
	if (size >= sizeof(s->last))
		memcpy(&s->last, data, sizeof(s->last));
	return 0;
}

/* Requests waiting in the neigh_req ring (consumed). */
static struct nreq_seen nreq_drain(void)
{
	struct nreq_seen s = { 0 };
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.neigh_req), nreq_cb,
						  &s, NULL);

	if (!rb) {
		s.n = -1;
		return s;
	}
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return s;
}

static __u64 nreq_stat(int field)
{
	struct ig_neigh_req_stats *pc = calloc((size_t)ncpus, sizeof(*pc));
	__u32 zero = 0;
	__u64 sum = 0;
	int c;

	if (pc && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.neigh_req_stats), &zero, pc))
		for (c = 0; c < ncpus; c++)
			sum += field == 0 ? pc[c].requests : field == 1 ? pc[c].suppressed : pc[c].lost;
	free(pc);
	return sum;
}

static __u64 nreq_req0, nreq_supp0;

/* An empty ring and forgotten next hops, and the counters before. */
static void nreq_reset(const struct tcase *t)
{
	struct bpf_map *m = skel->maps.neigh_req_slots;
	void *zero = calloc(1, bpf_map__value_size(m));
	__u32 i;
	int rc = zero ? 0 : -1;

	(void)t;
	nreq_drain();
	for (i = 0; !rc && i < bpf_map__max_entries(m); i++)
		rc = bpf_map_update_elem(bpf_map__fd(m), &i, zero, BPF_ANY);
	CHECK(rc == 0, "clearing neigh_req_slots: %s", strerror(errno));
	free(zero);
	nreq_req0 = nreq_stat(0);
	nreq_supp0 = nreq_stat(1);
}

/* Exactly one request: for member 192.0.2.11, next hop itself, IPv4 side. */
static void nreq_one(const struct tcase *t)
{
	struct nreq_seen s = nreq_drain();
	unsigned char h11[4];

	(void)t;
	pkt_in4(H11, h11);
	CHECK(s.n == 1, "%d neighbour requests in the ring, expected 1", s.n);
	CHECK(!memcmp(s.last.member, h11, 4), "request's member is not 192.0.2.11");
	CHECK(!memcmp(s.last.nexthop, h11, 4), "request's next hop is not 192.0.2.11 (on-link)");
	CHECK(s.last.ifindex == (__u32)ifindex4, "request's ifindex %u, expected %d (IPv4 side)",
	      s.last.ifindex, ifindex4);
	CHECK(nreq_stat(0) - nreq_req0 == 1, "neigh_req_stats.requests moved by %llu, expected 1",
	      (unsigned long long)(nreq_stat(0) - nreq_req0));
	nreq_req0 = nreq_stat(0);
	nreq_supp0 = nreq_stat(1);
}

/* Within IG_NEIGH_REQ_INTERVAL_MS: no request, one suppressed. */
static void nreq_none(const struct tcase *t)
{
	struct nreq_seen s = nreq_drain();

	(void)t;
	CHECK(s.n == 0, "%d neighbour requests in the ring, expected 0 (rate limited)", s.n);
	CHECK(nreq_stat(0) == nreq_req0, "neigh_req_stats.requests moved");
	CHECK(nreq_stat(1) - nreq_supp0 == 1, "neigh_req_stats.suppressed moved by %llu, "
	      "expected 1", (unsigned long long)(nreq_stat(1) - nreq_supp0));
}

/* A resolved member asks for nothing. */
static void nreq_empty(const struct tcase *t)
{
	struct nreq_seen s = nreq_drain();

	(void)t;
	CHECK(s.n == 0, "%d neighbour requests for a resolved member, expected 0", s.n);
}

static void fwd6_off(const struct tcase *t)
{
	(void)t;
	CHECK(write_file("/proc/sys/net/ipv6/conf/" DEV4 "/forwarding", "0") == 0, "sysctl");
}

static void fwd6_on(const struct tcase *t)
{
	(void)t;
	CHECK(write_file("/proc/sys/net/ipv6/conf/" DEV4 "/forwarding", "1") == 0, "sysctl");
}

static void fwd4_off(const struct tcase *t)
{
	(void)t;
	CHECK(write_file("/proc/sys/net/ipv4/conf/" DEV6 "/forwarding", "0") == 0, "sysctl");
}

static void fwd4_on(const struct tcase *t)
{
	(void)t;
	CHECK(write_file("/proc/sys/net/ipv4/conf/" DEV6 "/forwarding", "1") == 0, "sysctl");
}

static void abi_bad(const struct tcase *t)
{
	struct ig_config c = base_cfg;

	(void)t;
	c.abi_version = ISAGATE_ABI_VERSION + 1;
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
}

static void cfg_patch(__u32 set_flags, __u8 ttl)
{
	struct ig_config c = base_cfg;

	c.flags |= set_flags;
	if (ttl)
		c.ttl = ttl;
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
}

static void cfg_dynamic_mtu(const struct tcase *t)
{
	(void)t;
	cfg_patch(IG_CFG_F_DYNAMIC_MTU, 0);
}

/* Own addresses and prefixes looked up in their maps instead of the config. */
static void cfg_self_hash(const struct tcase *t)
{
	struct ig_config c = base_cfg;

	(void)t;
	c.flags &= ~(IG_CFG_F_SELF_FAST | IG_CFG_F_PREFIX_FAST);
	memset(c.self_v4, 0, sizeof(c.self_v4));
	memset(c.prefix64, 0, sizeof(c.prefix64));
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
}

static void cfg_allow_6to4(const struct tcase *t)
{
	(void)t;
	cfg_patch(IG_CFG_F_ALLOW_6TO4, 0);
}

static void cfg_ttl_32(const struct tcase *t)
{
	(void)t;
	cfg_patch(0, 32);
}

/* One-armed: both sides the one interface. */
static void cfg_onearm(int ifindex)
{
	struct ig_config c = base_cfg;

	c.v4_ifindex = c.v6_ifindex = (__u32)ifindex;
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
}

static void cfg_onearm4(const struct tcase *t)
{
	(void)t;
	cfg_onearm(ifindex4);
}

static void cfg_onearm6(const struct tcase *t)
{
	(void)t;
	cfg_onearm(ifindex6);
}

/* A member subnet holding the router's own addresses (and the peer's). */
static void self_net_add(const struct tcase *t)
{
	(void)t;
	CHECK(member_update("192.0.2.0", 24, 1) == 0, "add member 192.0.2.0/24: %s",
	      strerror(errno));
}

static void self_net_del(const struct tcase *t)
{
	(void)t;
	CHECK(member_update("192.0.2.0", 24, 0) == 0, "delete member 192.0.2.0/24: %s",
	      strerror(errno));
}

static void cfg_restore(const struct tcase *t);

static void self_net_add_hash(const struct tcase *t)
{
	self_net_add(t);
	cfg_self_hash(t);
}

static void self_net_del_restore(const struct tcase *t)
{
	self_net_del(t);
	cfg_restore(t);
}

static void cfg_restore(const struct tcase *t)
{
	(void)t;
	CHECK(put_config(&base_cfg) == 0, "config restore: %s", strerror(errno));
}

/* Send the row's input once beforehand (e.g. to arm a rate limit). */
static void prime(const struct tcase *t)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	size_t in_len = pkt_build(&t->in, in), out_len;
	int action;

	CHECK(run_frame(in, in_len, t->dev, out, sizeof(out), &action, &out_len) == 0,
	      "priming run failed");
}

/* ---- router discovery settings (each undone by ra_restore) -------------- */

/* The second prefix of ra_two_prefixes: L=1, valid 7200 s, preferred 3600 s. */
static const struct ig_prefix p2_pv = { .flags = IG_PREFIX_F_ONLINK, .index = 1,
					.valid_lifetime = 7200, .preferred_lifetime = 3600 };

static int put_prefix(const struct ig_prefix_key *k, const struct ig_prefix *v)
{
	return bpf_map_update_elem(bpf_map__fd(skel->maps.prefixes), k, v, BPF_ANY);
}

/* Back to the defaults: config, prefix P only, the template built from them. */
static void ra_restore(const struct tcase *t)
{
	struct ig_prefix_key k2 = prefix_key(P2_PFX);

	(void)t;
	CHECK(bpf_map_delete_elem(bpf_map__fd(skel->maps.prefixes), &k2) == 0 || errno == ENOENT,
	      "delete prefix P2: %s", strerror(errno));
	CHECK(put_prefix(&base_pk, &base_pv) == 0, "restore prefix P: %s", strerror(errno));
	CHECK(put_config(&base_cfg) == 0, "config restore: %s", strerror(errno));
	CHECK(put_ra_tmpl(&base_cfg, &base_pk, &base_pv, 1) == 0, "ra_tmpl restore: %s",
	      strerror(errno));
}

/* Prefixes P and P2 (in that order), as the loader would configure them. */
static void ra_two_prefixes(const struct tcase *t)
{
	struct ig_prefix_key k[2] = { base_pk, prefix_key(P2_PFX) };
	struct ig_prefix v[2] = { base_pv, p2_pv };
	struct ig_config c = base_cfg;

	(void)t;
	c.n_prefixes = 2;
	CHECK(put_prefix(&k[1], &v[1]) == 0, "add prefix P2: %s", strerror(errno));
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
	CHECK(put_ra_tmpl(&c, k, v, 2) == 0, "ra_tmpl update: %s", strerror(errno));
}

/* Every RA setting away from its default, P on-link with long lifetimes. */
static void ra_custom(const struct tcase *t)
{
	struct ig_config c = base_cfg;
	struct ig_prefix v = base_pv;

	(void)t;
	c.ra_hop_limit = 128;
	c.ra_router_lifetime = 9000;
	c.ra_reachable_ms = 30000;
	c.ra_retrans_ms = 1000;
	c.ra_mtu = 1480;
	v.flags = IG_PREFIX_F_ONLINK;
	v.valid_lifetime = 2592000;
	v.preferred_lifetime = 604800;
	CHECK(put_prefix(&base_pk, &v) == 0, "prefix update: %s", strerror(errno));
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
	CHECK(put_ra_tmpl(&c, &base_pk, &v, 1) == 0, "ra_tmpl update: %s", strerror(errno));
}

/* RA MTU 0: the MTU option is left out. */
static void ra_no_mtu(const struct tcase *t)
{
	struct ig_config c = base_cfg;

	(void)t;
	c.ra_mtu = 0;
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
	CHECK(put_ra_tmpl(&c, &base_pk, &base_pv, 1) == 0, "ra_tmpl update: %s", strerror(errno));
}

/* A route for the template: prefix text, length, enum ig_route_pref, lifetime. */
static struct ig_ra_route mk_route(const char *pfx, __u8 plen, __u8 pref, __u32 lifetime)
{
	struct ig_ra_route r;

	memset(&r, 0, sizeof(r));
	pkt_in6(pfx, r.prefix.s6_addr);
	r.plen = plen;
	r.pref = pref;
	r.lifetime = lifetime;
	return r;
}

/* One site route, the defaults otherwise. */
static void ra_route_one(const struct tcase *t)
{
	struct ig_ra_route r = mk_route("2001:db8:da1::", 64, IG_ROUTE_PREF_MEDIUM, 1800);

	(void)t;
	CHECK(put_ra_tmpl_routes(&base_cfg, &base_pk, &base_pv, 1, &r, 1) == 0,
	      "ra_tmpl update: %s", strerror(errno));
}

/* Every RIO length and preference, in this order. */
static void ra_routes_many(const struct tcase *t)
{
	struct ig_ra_route r[4] = {
		mk_route("2001:db8:da1::", 48, IG_ROUTE_PREF_HIGH, 600),
		mk_route("::", 0, IG_ROUTE_PREF_LOW, 300),
		mk_route("2001:db8:da2::100", 128, IG_ROUTE_PREF_MEDIUM, 0xffffffffu),
		mk_route("2001:db8:da3:0:8000::", 65, IG_ROUTE_PREF_MEDIUM, 1800),
	};

	(void)t;
	CHECK(put_ra_tmpl_routes(&base_cfg, &base_pk, &base_pv, 1, r, 4) == 0,
	      "ra_tmpl update: %s", strerror(errno));
}

/* A multisite router: not a default router (lifetime 0), its site's
 * prefix with a short route lifetime. */
static void ra_routes_site(const struct tcase *t)
{
	struct ig_ra_route r = mk_route("2001:db8:da1::", 64, IG_ROUTE_PREF_MEDIUM, 20);
	struct ig_config c = base_cfg;

	(void)t;
	c.ra_router_lifetime = 0;
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
	CHECK(put_ra_tmpl_routes(&c, &base_pk, &base_pv, 1, &r, 1) == 0,
	      "ra_tmpl update: %s", strerror(errno));
}

/* The largest RA: IG_MAX_PREFIXES PIOs (P, then 2001:db8:1:8001:: ...), the
 * MTU option and IG_RA_MAX_ROUTES /128 routes 2001:db8:da0::1 ... (944 bytes). */
static void ra_routes_max(const struct tcase *t)
{
	struct ig_prefix_key k[IG_MAX_PREFIXES];
	struct ig_prefix v[IG_MAX_PREFIXES];
	struct ig_ra_route r[IG_RA_MAX_ROUTES];
	char txt[64];
	int i;

	(void)t;
	for (i = 0; i < IG_MAX_PREFIXES; i++) {
		snprintf(txt, sizeof(txt), "2001:db8:1:80%02x::", i);
		k[i] = prefix_key(txt);
		v[i] = base_pv;
		v[i].index = (__u32)i;
	}
	for (i = 0; i < IG_RA_MAX_ROUTES; i++) {
		snprintf(txt, sizeof(txt), "2001:db8:da%x::1", i);
		r[i] = mk_route(txt, 128, IG_ROUTE_PREF_LOW, 20);
	}
	CHECK(put_ra_tmpl_routes(&base_cfg, k, v, IG_MAX_PREFIXES, r, IG_RA_MAX_ROUTES) == 0,
	      "ra_tmpl update: %s", strerror(errno));
}

/* An empty template (len 0): router discovery off. */
static void ra_empty(const struct tcase *t)
{
	static struct ig_ra_template e;
	__u32 zero = 0;

	(void)t;
	memset(&e, 0, sizeof(e));
	CHECK(bpf_map_update_elem(bpf_map__fd(skel->maps.ra_tmpl), &zero, &e, BPF_ANY) == 0,
	      "ra_tmpl update: %s", strerror(errno));
}

static void rd_off(const struct tcase *t)
{
	(void)t;
	cfg_patch(IG_CFG_F_NO_RD, 0);
}

/* No per-host RA rate limit (interval 0), then the row's RS once. */
static void rl_zero_prime(const struct tcase *t)
{
	struct ig_config c = base_cfg;

	c.ra_min_interval_ms = 0;
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
	prime(t);
}

/* H solicits first (arming H's rate limit, not anybody else's). */
static void prime_rs_from_h(const struct tcase *t)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	const struct pkt_frame f = ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS());
	size_t in_len = pkt_build(&f, in), out_len;
	int action = -1;

	(void)t;
	CHECK(run_frame(in, in_len, DEV_V4, out, sizeof(out), &action, &out_len) == 0 &&
	      action == XDP_TX, "priming RS from H: action %s", action_name(action));
}

/* ---- VLAN sub-interfaces (bpf/vlan.h) ----------------------------------
 *
 * vlan_setup() adds three logical interfaces and fills vlan_in/vlan_out/
 * tx_ports as the loader does (priority tags on igt4 and igt6 included):
 *   igt4v110    802.1Q 110 on igt4, 203.0.113.1/25, member Q1 203.0.113.10
 *   igt4v1020   802.1ad 10 + 802.1Q 20 on igt4 (QinQ), 203.0.113.129/25,
 *               member Q2 203.0.113.138
 *   igt6v210    802.1Q 210 on igt6, 2001:db8:fe::1/64, 2001:db8:dac:210::/64
 *               via 2001:db8:fe::2
 * The datapath only sees ifindexes, so the logical interfaces are stand-in
 * veths (kernels without CONFIG_VLAN_8021Q cannot create VLAN devices); the
 * FIB answers for them exactly as for VLAN devices.  VIDs 100 and 200 stay
 * unknown (the pass_vlan rows above). */
#define VDEV4Q   "igt4v110"
#define VDEV4QQ  "igt4v1020"
#define VDEV6Q   "igt6v210"
#define Q1       "203.0.113.10"
#define Q2       "203.0.113.138"
#define P_Q1     "2001:db8:1:8000::5efe:cb00:710a"
#define P_Q2     "2001:db8:1:8000::5efe:cb00:718a"
#define LL_Q1    "fe80::5efe:cb00:710a"
#define D210     "2001:db8:dac:210::1"
#define MAC_Q1   "02:00:00:00:71:0a"
#define MAC_Q2   "02:00:00:00:71:8a"
#define MAC_NH6V "02:00:00:00:fe:02"
#define TPID_Q   0x8100
#define TPID_AD  0x88a8
/* TCI from PCP, DEI, VID */
#define TCI(pcp, dei, vid) ((uint16_t)((pcp) << 13 | (dei) << 12 | (vid)))
#define TAG1(tp, tci)              { { (tp), (tci) } }
#define TAG2(tp1, tci1, tp2, tci2) { { (tp1), (tci1) }, { (tp2), (tci2) } }
/* ISATAP frame from the member behind a VLAN (source MAC smac_). */
#define VLAN_IN(smac_, ip4_, ip6_, l4_, ...)                                   \
	{ .kind = PKT_ISATAP, .dmac = MAC_DEV4, .smac = (smac_), .ip4 = ip4_,  \
	  .ip6 = ip6_, .l4 = l4_, __VA_ARGS__ }
/* The IPv4 side is the VLAN interface igt4v110 (Q1's), or igt4v1020 (Q2's):
 * config v4_ifindex is the logical interface, as attach --ipv4-dev
 * igt4.110 writes it.  Undone by cfg_restore. */
static void cfg_v4_q1(const struct tcase *t);
static void cfg_v4_q2(const struct tcase *t);

/* ---- ICMPv4 errors about tunnelled packets (bpf/icmp4.h) ---------------- */

/* An IPv4 router on the way to the member (192.0.2.254) reports on a packet
 * R1 tunnelled to H.  The ICMPv4 error (type/code, next-hop MTU) quotes the
 * outer header R1 -> H with frag field qfrag (0x4000: DF), the inner packet
 * qip6/ql4 cut to qcut bytes (0: whole). */
#define RT4 "192.0.2.254"
#define ICMP4_ERR_IN(type_, code_, mtu_, qsrc4, qdst4, qfrag, qip6, ql4, qcut, ...)        \
	{ .kind = PKT_ICMP4_ERR, .dmac = MAC_DEV4, .smac = MAC_H,                      \
	  .ip4 = { .src = RT4, .dst = R1, .id = 0x4321, .proto = 1 },                    \
	  .icmp4 = { .type = (type_), .code = (code_), .mtu = (mtu_) },                  \
	  .q_ip4 = { .src = (qsrc4), .dst = (qdst4), .id = 0x1234, .frag = (qfrag),      \
		     .ttl = 1 },                                                       \
	  .ip6 = qip6, .l4 = ql4, .inner_cut = (qcut), __VA_ARGS__ }
/* The relayed ICMPv6 error: P::5efe:192.0.2.1 -> D::100 on the IPv6 side,
 * quoting qip6/ql4 cut to qcut bytes. */
#define RELAY_OUT(type_, code_, info_, qip6, ql4, qcut)                                \
	{ .kind = PKT_IPV6, .dmac = MAC_NH6, .smac = MAC_DEV6,                         \
	  .ip6 = IP6(P_R1, D100, 64),                                                  \
	  .l4 = { .kind = PKT_L4_ICMP6_ERR, .type = (type_), .code = (code_),          \
		  .info = (info_), .q_ip6 = &(const struct pkt_ip6)qip6,                \
		  .q_l4 = &(const struct pkt_l4s)ql4, .q_cut = (qcut) } }
/* The quote a Linux router sends: the ICMPv4 message within 576 bytes. */
#define Q576 (576 - 20 - 8 - 20)

/* Fragmentation needed for a 1400-byte inner packet (outer 1420, DF) over a
 * 1400 link, and for a 1280-byte one (outer 1300) over a 1200 link. */
static const struct pkt_frame frag_needed_1400 =
	ICMP4_ERR_IN(3, 4, 1400, R1, H, 0x4000, IP6(D100, P_H, 63), UDP(1352), Q576);
static const struct pkt_frame frag_needed_1200 =
	ICMP4_ERR_IN(3, 4, 1200, R1, H, 0x4000, IP6(D100, P_H, 63), UDP(1232), Q576);

static void member_mtu_clear(void)
{
	int fd = bpf_map__fd(skel->maps.member_mtu);
	struct ig_v4_key k;

	while (bpf_map_get_next_key(fd, NULL, &k) == 0)
		if (bpf_map_delete_elem(fd, &k))
			break;
}

/* Dynamic MTU mode with a 1480 tunnel MTU (a 1500 IPv4 path), nothing learned. */
static void cfg_dyn(const struct tcase *t)
{
	struct ig_config c = base_cfg;

	(void)t;
	c.flags |= IG_CFG_F_DYNAMIC_MTU;
	c.tunnel_mtu = 1480;
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
	member_mtu_clear();
}

static void cfg_dyn_restore(const struct tcase *t)
{
	(void)t;
	CHECK(put_config(&base_cfg) == 0, "config restore: %s", strerror(errno));
	member_mtu_clear();
}

static void tunnel_quote(const struct pkt_frame *f, int want);

/* Tunnel the packet a fragmentation-needed report is about, run the report
 * through the datapath, then forget the rate limit it armed. */
static void learn(const struct pkt_frame *f)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	size_t in_len = pkt_build(f, in), out_len;
	int action = -1;

	tunnel_quote(f, XDP_REDIRECT);
	CHECK(run_frame(in, in_len, DEV_V4, out, sizeof(out), &action, &out_len) == 0 &&
	      action == XDP_REDIRECT, "learning run: action %s", action_name(action));
	CHECK(ratelimit_clear() == 0, "clearing the rate limits: %s", strerror(errno));
}

static void cfg_dyn_learn_1400(const struct tcase *t)
{
	cfg_dyn(t);
	learn(&frag_needed_1400);
}

static void cfg_dyn_learn_1200(const struct tcase *t)
{
	cfg_dyn(t);
	learn(&frag_needed_1200);
}

/* H's learned entry is exactly mtu/path_mtu/flags, learned just now. */
static void mtu_entry_is(__u16 mtu, __u16 path_mtu, __u32 flags)
{
	struct ig_member_mtu v;
	struct ig_v4_key k;
	struct timespec ts;
	__u64 now;

	pkt_in4(H, k.addr);
	memset(&v, 0, sizeof(v));
	CHECK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.member_mtu), &k, &v) == 0,
	      "no member_mtu entry for H: %s", strerror(errno));
	CHECK(v.mtu == mtu && v.path_mtu == path_mtu && v.flags == flags,
	      "member_mtu[H] = mtu %u path %u flags 0x%x, expected %u %u 0x%x", v.mtu, v.path_mtu,
	      v.flags, mtu, path_mtu, flags);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	CHECK(v.learned_ns && now - v.learned_ns < 5000000000ull, "learned_ns %llu, now %llu",
	      (unsigned long long)v.learned_ns, (unsigned long long)now);
}

static void mtu_1380_restore(const struct tcase *t)
{
	mtu_entry_is(1380, 1400, 0);
	cfg_dyn_restore(t);
}

static void mtu_1280_nodf_restore(const struct tcase *t)
{
	mtu_entry_is(1280, 1200, IG_MTU_F_NO_DF);
	cfg_dyn_restore(t);
}

static void mtu_plateau_restore(const struct tcase *t)
{
	mtu_entry_is(1472, 1492, IG_MTU_F_PLATEAU);
	cfg_dyn_restore(t);
}

/* Nothing learned (static mode, or a report that was not relayed). */
static void mtu_none(const struct tcase *t)
{
	struct ig_member_mtu v;
	struct ig_v4_key k;

	(void)t;
	pkt_in4(H, k.addr);
	CHECK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.member_mtu), &k, &v) != 0,
	      "member_mtu has an entry for H (mtu %u)", v.mtu);
	member_mtu_clear();
}

/* A learned entry older than IG_MEMBER_MTU_EXPIRE_S. */
static void cfg_dyn_expired_1300(const struct tcase *t)
{
	struct ig_member_mtu v = { .mtu = 1300, .path_mtu = 1320 };
	struct timespec ts;
	struct ig_v4_key k;

	cfg_dyn(t);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v.learned_ns = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec -
		       (IG_MEMBER_MTU_EXPIRE_S + 1) * 1000000000ull;
	pkt_in4(H, k.addr);
	CHECK(bpf_map_update_elem(bpf_map__fd(skel->maps.member_mtu), &k, &v, BPF_ANY) == 0,
	      "member_mtu update: %s", strerror(errno));
}

/*
 * The relay believes a quote only when it is about a packet the router
 * tunnelled to that member (issue 15): a flow in the flow table with
 * packets towards the member, with a policy loaded a connection the policy
 * admits, and an inner destination that embeds the quoted member.  Every
 * icmp4 row that expects a relay first tunnels the packet its error quotes
 * (tunnelled, cfg_dyn_tunnelled, ...): real traffic, through the datapath;
 * rows about forged errors start from an empty flow table (forged).
 */
static void flows_clear(void);

/* Tunnel the packet the ICMPv4 error f quotes, as it arrived on the IPv6
 * side (hop limit one more), expecting action want; then forget the rate
 * limit it may have armed. */
static void tunnel_quote(const struct pkt_frame *f, int want)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	struct pkt_frame n = { .kind = PKT_IPV6, .dmac = MAC_DEV6, .smac = MAC_NH6,
			       .ip6 = f->ip6, .l4 = f->l4 };
	size_t in_len, out_len;
	int action = -1;

	flows_clear();
	n.ip6.hlim++;
	in_len = pkt_build(&n, in);
	CHECK(fwd_cache_invalidate() == 0, "invalidating the forwarding cache: %s", strerror(errno));
	CHECK(run_frame(in, in_len, DEV_V6, out, sizeof(out), &action, &out_len) == 0 &&
	      action == want, "tunnelling the quoted packet: action %s, expected %s",
	      action_name(action), action_name(want));
	CHECK(ratelimit_clear() == 0, "clearing the rate limits: %s", strerror(errno));
}

static void tunnelled(const struct tcase *t)
{
	tunnel_quote(&t->in, XDP_REDIRECT);
}

/* Nothing was ever tunnelled: the error is forged. */
static void forged(const struct tcase *t)
{
	(void)t;
	flows_clear();
}

static void tunnelled_prime(const struct tcase *t)
{
	tunnelled(t);
	prime(t);
}

static void cfg_dyn_tunnelled(const struct tcase *t)
{
	cfg_dyn(t);
	tunnelled(t);
}

static void cfg_dyn_forged(const struct tcase *t)
{
	cfg_dyn(t);
	forged(t);
}

static void mtu_none_dyn_restore(const struct tcase *t)
{
	mtu_none(t);
	cfg_dyn_restore(t);
}

/* H opened TCP 49152 -> D::100 port 3389 (decapsulated): a flow with
 * packets from H only, none tunnelled to it. */
static void from_member_only(const struct tcase *t)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	const struct pkt_frame syn =
		ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(49152, 3389, 0x02));
	size_t in_len = pkt_build(&syn, in), out_len;
	int action = -1;

	forged(t);
	CHECK(run_frame(in, in_len, DEV_V4, out, sizeof(out), &action, &out_len) == 0 &&
	      action == XDP_REDIRECT, "H's SYN: action %s", action_name(action));
}

/* Tunnelled without a policy, then policy A loaded (which refuses it). */
static void tunnelled_then_pol_a(const struct tcase *t)
{
	tunnelled(t);
	pol_a(t);
}

/* Policy A, then the quoted packet tunnelled: admitted (winrm-in) or refused. */
static void pol_a_tunnelled(const struct tcase *t)
{
	pol_a(t);
	tunnelled(t);
}

static void pol_a_refused(const struct tcase *t)
{
	pol_a(t);
	tunnel_quote(&t->in, XDP_DROP);
}

/* Admitted under policy A, then policy B (default reject) loaded. */
static void pol_a_tunnelled_then_b(const struct tcase *t)
{
	pol_a_tunnelled(t);
	pol_b(t);
}

/* attach --flows 0 */
static void no_flows_tunnelled(const struct tcase *t)
{
	cfg_patch(IG_CFG_F_NO_FLOWS, 0);
	tunnelled(t);
}

static void no_flows_pol_a_tunnelled(const struct tcase *t)
{
	cfg_patch(IG_CFG_F_NO_FLOWS, 0);
	pol_a_tunnelled(t);
}

static void no_flows_pol_a_forged(const struct tcase *t)
{
	cfg_patch(IG_CFG_F_NO_FLOWS, 0);
	pol_a(t);
	forged(t);
}

/* --flows 0, policy A, H opened TCP 3389 to D::100 (SYN only: nothing back). */
static void no_flows_pol_a_from_member(const struct tcase *t)
{
	cfg_patch(IG_CFG_F_NO_FLOWS, 0);
	pol_a(t);
	from_member_only(t);
}

static void pol_cfg_restore(const struct tcase *t)
{
	pol_clear(t);
	cfg_restore(t);
}

/* ---- the table --------------------------------------------------------- */

/* Rows are positional: {name, dev, in, action, reason[, out, exp[, before, after]]};
 * trailing members left out are zero (OUT_ANY, no hooks). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
/* The rows are laid out by hand, one field group a line. */
/* clang-format off */
static const struct tcase cases[] = {
	/* ---- BRIEF §6 cases 1-5: router discovery (RFC 5214 §8, RFC 4861 §6) ---- */
	{ "case 1: RS H -> R1, fe80::5efe:c000:20a -> fe80::5efe:c000:201 -> RA tunnelled back",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT) },
	{ "case 2: RS to ff02::2 -> RA from fe80::5efe:c000:201", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, ALL_ROUTERS, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT) },
	{ "case 2: RS to fe80::200:5efe:c000:201 (u-bit form) -> RA", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1U, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT) },
	{ "case 2: RS sent to 192.0.2.2 -> RA from 192.0.2.2 and fe80::5efe:c000:202", DEV_V4,
	  ISATAP_IN(IP4(H, R2), IP6(LL_H, LL_R2, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R2, LL_R2, LL_H, RA_DEFAULT) },
	{ "case 2: RS to ff02::2 sent to 192.0.2.2 -> RA from fe80::5efe:c000:202", DEV_V4,
	  ISATAP_IN(IP4(H, R2), IP6(LL_H, ALL_ROUTERS, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R2, LL_R2, LL_H, RA_DEFAULT) },
	{ "case 2: RS from fe80::200:5efe:c000:20a (u-bit form) -> RA to that address", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_HU, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_HU, RA_DEFAULT) },
	{ "case 2: RS from :: -> RA to fe80::5efe:c000:20a", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("::", ALL_ROUTERS, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT) },
	{ "case 2: RS with a source link-layer address option -> RA", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS(.nd.opts = ND_OPTS(OPT_SLLA(MAC_H)))),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT) },
	{ "case 2: RS with an unknown option (type 200) ignored -> RA (RFC 4861 6.1.1)", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255),
		    L4_RS(.nd.opts = ND_OPTS(OPT_RAW(200, 2, 0), OPT_SLLA(MAC_H)))),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT) },
	{ "case 2: RS with IPv4 options (IHL 6) -> RA with a 20-byte outer header", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .opts = OPT_RTR_ALERT, .opts_len = 4), IP6(LL_H, LL_R1, 255),
		    L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT) },
	{ "case 2: RS with IHL 15 and a trailer after the IPv4 packet -> RA, exact length", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .opts = OPT_NOP40, .opts_len = 40), IP6(LL_H, LL_R1, 255), L4_RS(),
		    .pad_to = 200, .pad_byte = 0xee),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT) },
	{ "case 2: outer TTL 1, TOS 0xb8, DF on the RS not copied to the RA", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .ttl = 1, .tos = 0xb8, .frag = 0x4000), IP6(LL_H, LL_R1, 255),
		    L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT) },
	{ "case 3: RS hop limit 254 -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 254), L4_RS()), XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: RS hop limit 1 -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, ALL_ROUTERS, 1), L4_RS()), XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: RS with a wrong ICMPv6 checksum -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS(.nd.bad_csum = 1)),
	  XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: RS with code 1 -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS(.code = 1)), XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: truncated RS (ICMPv6 length 4) -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS(.nd.cut = 4)),
	  XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: truncated RS (ICMPv6 length 4) in a padded frame -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS(.nd.cut = 4), .pad_to = 96),
	  XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: RS with a zero-length option -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255),
		    L4_RS(.nd.opts = ND_OPTS(OPT_RAW(1, 0, 8)))),
	  XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: RS with a zero-length option after a valid one -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255),
		    L4_RS(.nd.opts = ND_OPTS(OPT_SLLA(MAC_H), OPT_RAW(200, 0, 8)))),
	  XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: RS option running past the end (length 2, 8 bytes there) -> rd_bad_rs",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255),
			    L4_RS(.nd.opts = ND_OPTS(OPT_RAW(1, 2, 8)))),
	  XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: RS with 4 bytes of a partial option (ICMPv6 length 12) -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255),
		    L4_RS(.nd.opts = ND_OPTS(OPT_RAW(200, 1, 4)))),
	  XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: RS from :: with a source link-layer address option -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("::", ALL_ROUTERS, 255),
		    L4_RS(.nd.opts = ND_OPTS(OPT_SLLA(MAC_H)))),
	  XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: RS to ff02::1 (not all-routers) -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, ALL_NODES, 255), L4_RS()), XDP_DROP, IG_RD_BAD_RS },
	{ "case 3: RS to the peer router's link-local -> rd_bad_rs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_PEER, 255), L4_RS()), XDP_DROP, IG_RD_BAD_RS },
	{ "case 4: RS from non-member N -> drop_not_member, no RA", DEV_V4,
	  ISATAP_IN(IP4(N, R1), IP6(LL_N, LL_R1, 255), L4_RS()), XDP_DROP, IG_DROP_NOT_MEMBER },
	{ "case 4: RS from non-member N to ff02::2 via 192.0.2.2 -> drop_not_member", DEV_V4,
	  ISATAP_IN(IP4(N, R2), IP6(LL_N, ALL_ROUTERS, 255), L4_RS()),
	  XDP_DROP, IG_DROP_NOT_MEMBER },
	{ "case 5: RS from H with inner source fe80::5efe:c000:207 -> drop_spoof", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_S7, LL_R1, 255), L4_RS()), XDP_DROP, IG_DROP_SPOOF },
	{ "case 5: RS from H with inner source fe80::1 (not ISATAP) -> drop_spoof", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("fe80::1", LL_R1, 255), L4_RS()), XDP_DROP, IG_DROP_SPOOF },
	{ "RS: second RS from H within ra_min_interval_ms -> rd_rate_limited", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()), XDP_DROP, IG_RD_RATE_LIMITED,
	  OUT_ANY, { 0 }, prime },
	{ "RS: the rate limit is per host: 192.0.2.11 answered right after H", DEV_V4,
	  ISATAP_IN(IP4(H11, R1), IP6(LL_H11, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H11, R1, LL_R1, LL_H11, RA_DEFAULT),
	  prime_rs_from_h },
	{ "RS: ra_min_interval_ms 0 -> second RS answered", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT),
	  rl_zero_prime, cfg_restore },
	{ "RA: two prefixes -> two PIOs in configured order", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP,
	  ND_REPLY(H, R1, LL_R1, LL_H,
		   L4_RA(64, 1800, 0, 0,
			 ND_OPTS(PIO_P, OPT_PIO(P2_PFX, PKT_PIO_L | PKT_PIO_A, 7200, 3600),
				 OPT_MTU(1280)))),
	  ra_two_prefixes, ra_restore },
	{ "RA: hop limit 128, lifetime 9000, reachable 30000, retrans 1000, MTU 1480, L=1",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP,
	  ND_REPLY(H, R1, LL_R1, LL_H,
		   L4_RA(128, 9000, 30000, 1000,
			 ND_OPTS(OPT_PIO(P_PFX, PKT_PIO_L | PKT_PIO_A, 2592000, 604800),
				 OPT_MTU(1480)))),
	  ra_custom, ra_restore },
	{ "RA: RA MTU 0 -> no MTU option", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP,
	  ND_REPLY(H, R1, LL_R1, LL_H, L4_RA(64, 1800, 0, 0, ND_OPTS(PIO_P))),
	  ra_no_mtu, ra_restore },

	/* ---- RFC 4191 route information options (multisite) -------------- */
	{ "RA: route 2001:db8:da1::/64 -> one RIO after the MTU option (length 2, Prf medium, 1800 s)",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP,
	  ND_REPLY(H, R1, LL_R1, LL_H,
		   L4_RA(64, 1800, 0, 0,
			 ND_OPTS(PIO_P, OPT_MTU(1280),
				 OPT_RIO("2001:db8:da1::", 64, 2, RIO_MEDIUM, 1800)))),
	  ra_route_one, ra_restore },
	{ "RA: routes /48 high 600 s, ::/0 low 300 s, /128 medium infinity, /65 -> RIO lengths 2, 1, 3, 3",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP,
	  ND_REPLY(H, R1, LL_R1, LL_H,
		   L4_RA(64, 1800, 0, 0,
			 ND_OPTS(PIO_P, OPT_MTU(1280),
				 OPT_RIO("2001:db8:da1::", 48, 2, RIO_HIGH, 600),
				 OPT_RIO("::", 0, 1, RIO_LOW, 300),
				 OPT_RIO("2001:db8:da2::100", 128, 3, RIO_MEDIUM, 0xffffffffu),
				 OPT_RIO("2001:db8:da3:0:8000::", 65, 3, RIO_MEDIUM, 1800)))),
	  ra_routes_many, ra_restore },
	{ "RA: multisite router: router lifetime 0 (not a default router), route da1::/64 for 20 s",
	  DEV_V4, ISATAP_IN(IP4(H, R2), IP6(LL_H, "ff02::2", 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP,
	  ND_REPLY(H, R2, LL_R2, LL_H,
		   L4_RA(64, 0, 0, 0,
			 ND_OPTS(PIO_P, OPT_MTU(1280),
				 OPT_RIO("2001:db8:da1::", 64, 2, RIO_MEDIUM, 20)))),
	  ra_routes_site, ra_restore },
	{ "RA: the largest template: 16 PIOs, MTU, 17 RIOs of length 3 (944 bytes; test runs have tailroom)",
	  DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP,
	  ND_REPLY(H, R1, LL_R1, LL_H,
		   L4_RA(64, 1800, 0, 0,
			 ND_OPTS(PIO_N("00"), PIO_N("01"), PIO_N("02"), PIO_N("03"), PIO_N("04"),
				 PIO_N("05"), PIO_N("06"), PIO_N("07"), PIO_N("08"), PIO_N("09"),
				 PIO_N("0a"), PIO_N("0b"), PIO_N("0c"), PIO_N("0d"), PIO_N("0e"),
				 PIO_N("0f"), OPT_MTU(1280),
				 RIO_N("0"), RIO_N("1"), RIO_N("2"), RIO_N("3"), RIO_N("4"),
				 RIO_N("5"), RIO_N("6"), RIO_N("7"), RIO_N("8"), RIO_N("9"),
				 RIO_N("a"), RIO_N("b"), RIO_N("c"), RIO_N("d"), RIO_N("e"),
				 RIO_N("f"), RIO_N("10")))),
	  ra_routes_max, ra_restore },
	{ "RS: router discovery off (IG_CFG_F_NO_RD) -> no RA, drop_dst_local", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()), XDP_DROP, IG_DROP_DST_LOCAL,
	  OUT_ANY, { 0 }, rd_off, cfg_restore },
	{ "RS: empty RA template (len 0) -> no RA, drop_dst_local", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()), XDP_DROP, IG_DROP_DST_LOCAL,
	  OUT_ANY, { 0 }, ra_empty, ra_restore },

	/* ---- NUD: Neighbour Solicitation for the router (RFC 4861 §7.2.4) ---- */
	{ "NS from H for fe80::5efe:c000:201 -> NA (R, S) from the target", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_NS(LL_R1)),
	  XDP_TX, IG_RD_NA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, L4_NA(LL_R1)) },
	{ "NS to the solicited-node group ff02::1:ff00:201 -> NA to H's link-local", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, SNM_R1, 255), L4_NS(LL_R1)),
	  XDP_TX, IG_RD_NA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, L4_NA(LL_R1)) },
	{ "NS sent to 192.0.2.2 for fe80::5efe:c000:202 -> NA from 192.0.2.2", DEV_V4,
	  ISATAP_IN(IP4(H, R2), IP6(LL_H, LL_R2, 255), L4_NS(LL_R2)),
	  XDP_TX, IG_RD_NA_SENT, OUT_ENCAP, ND_REPLY(H, R2, LL_R2, LL_H, L4_NA(LL_R2)) },
	{ "NS with a source link-layer address option -> NA", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255),
		    L4_NS(LL_R1, .nd.opts = ND_OPTS(OPT_SLLA(MAC_H)))),
	  XDP_TX, IG_RD_NA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, L4_NA(LL_R1)) },
	{ "NS hop limit 254 -> rd_bad_ns", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 254), L4_NS(LL_R1)), XDP_DROP, IG_RD_BAD_NS },
	{ "NS with a wrong ICMPv6 checksum -> rd_bad_ns", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_NS(LL_R1, .nd.bad_csum = 1)),
	  XDP_DROP, IG_RD_BAD_NS },
	{ "NS with code 1 -> rd_bad_ns", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_NS(LL_R1, .code = 1)),
	  XDP_DROP, IG_RD_BAD_NS },
	{ "NS truncated to 8 bytes (no target) -> rd_bad_ns", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_NS(LL_R1, .nd.cut = 8)),
	  XDP_DROP, IG_RD_BAD_NS },
	{ "NS truncated to 4 bytes (shorter than an ICMPv6 header) -> rd_bad_ns", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_NS(LL_R1, .nd.cut = 4)),
	  XDP_DROP, IG_RD_BAD_NS },
	{ "NS with a zero-length option -> rd_bad_ns", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255),
		    L4_NS(LL_R1, .nd.opts = ND_OPTS(OPT_RAW(1, 0, 8)))),
	  XDP_DROP, IG_RD_BAD_NS },
	{ "NS for a multicast target -> rd_bad_ns", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, SNM_R1, 255), L4_NS(SNM_R1)), XDP_DROP, IG_RD_BAD_NS },
	{ "NS for another host's address fe80::5efe:c000:20b -> drop_dst_local", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_H11, 255), L4_NS(LL_H11)),
	  XDP_DROP, IG_DROP_DST_LOCAL },
	{ "NS for the peer router's link-local -> drop_dst_local", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_PEER, 255), L4_NS(LL_PEER)),
	  XDP_DROP, IG_DROP_DST_LOCAL },
	{ "NS from :: (duplicate address detection) -> drop_dst_local, no NA", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("::", SNM_R1, 255), L4_NS(LL_R1)),
	  XDP_DROP, IG_DROP_DST_LOCAL },
	{ "NS from H with inner source fe80::5efe:c000:207 -> drop_spoof", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_S7, LL_R1, 255), L4_NS(LL_R1)), XDP_DROP, IG_DROP_SPOOF },
	{ "NS from non-member N -> drop_not_member", DEV_V4,
	  ISATAP_IN(IP4(N, R1), IP6(LL_N, LL_R1, 255), L4_NS(LL_R1)),
	  XDP_DROP, IG_DROP_NOT_MEMBER },

	/* ---- other ICMPv6 on the ISATAP link ---- */
	{ "MLDv2 report from H to ff02::16 -> drop_dst_local", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, "ff02::16", 1), L4_ICMP6(143)),
	  XDP_DROP, IG_DROP_DST_LOCAL },
	{ "echo request from H to ff02::1 -> drop_dst_local", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, ALL_NODES, 64), ECHO), XDP_DROP, IG_DROP_DST_LOCAL },
	{ "RA from H to ff02::1 -> drop_dst_local (hosts do not advertise)", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, ALL_NODES, 255),
		    L4_RA(64, 1800, 0, 0, ND_OPTS(PIO_P))),
	  XDP_DROP, IG_DROP_DST_LOCAL },
	{ "echo request from H to fe80::5efe:c000:201 -> drop_dst_local", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 64), ECHO), XDP_DROP, IG_DROP_DST_LOCAL },

	/* ---- BRIEF §6 case 6/7: decapsulate and forward ---- */
	{ "case 6: TCP SYN H -> D::100 decapsulated, redirected, hop limit 64 -> 63", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP) },
	{ "case 6: ICMPv6 echo H -> D::100 decapsulated and redirected", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), ECHO),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), ECHO) },
	{ "case 6: UDP 3389 to the second cluster address 192.0.2.2", DEV_V4,
	  ISATAP_IN(IP4(H, R2), IP6(P_H, D100, 128), UDP(32)),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 127), UDP(32)) },
	{ "case 6: flow label and outer TTL/TOS not copied inward", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .ttl = 3, .tos = 0xb8), IP6(P_H, D100, 64, .flow = 0xabcde), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  DECAP_FWD(IP6(P_H, D100, 63, .flow = 0xabcde), TCP) },
	{ "case 7: source in the 0200:5efe form accepted", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_HU, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_HU, D100, 63), TCP) },

	/* ---- case 8: spoofed inner sources ---- */
	{ "case 8: inner source embeds another IPv4 (P::5efe:c000:207) -> drop_spoof", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("2001:db8:1:8000::5efe:c000:207", D100, 64), TCP),
	  XDP_DROP, IG_DROP_SPOOF },
	{ "case 8: inner source outside P and fe80::/64 -> drop_spoof", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("2001:db8:abc::10", D100, 64), TCP),
	  XDP_DROP, IG_DROP_SPOOF },
	{ "case 8: ISATAP source of H under an unconfigured prefix -> drop_spoof", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("2001:db8:2::5efe:c000:20a", D100, 64), TCP),
	  XDP_DROP, IG_DROP_SPOOF },
	{ "case 8: non-ISATAP link-local source fe80::1 -> drop_spoof", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("fe80::1", D100, 64), TCP),
	  XDP_DROP, IG_DROP_SPOOF },
	{ "case 8: ISATAP link-local of H under fe80::1:0:0:0/64 (not fe80::/64) -> drop_spoof",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6("fe80:0:0:1::5efe:c000:20a", D100, 64), TCP),
	  XDP_DROP, IG_DROP_SPOOF },
	/*
	 * fe80::5efe:c000:20a passes the source check, but a link-local source
	 * is never forwarded to another link (RFC 4291 §2.5.6): drop_scope.
	 */
	{ "case 8: link-local ISATAP source fe80::5efe:c000:20a to D::100 -> drop_scope",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(LL_H, D100, 64), TCP),
	  XDP_DROP, IG_DROP_SCOPE },
	{ "case 8: link-local ISATAP source to the router's own address -> drop_scope",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(LL_H, R6, 64), TCP),
	  XDP_DROP, IG_DROP_SCOPE },

	/* ---- case 9: admission ---- */
	{ "case 9: from non-member N -> drop_not_member", DEV_V4,
	  ISATAP_IN(IP4(N, R1), IP6(P_N, D100, 64), TCP),
	  XDP_DROP, IG_DROP_NOT_MEMBER },
	{ "case 9: subnet member 198.51.100.7 (LPM /24 entry) accepted", DEV_V4,
	  ISATAP_IN(IP4(S7, R1), IP6(P_S7, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_S7, D100, 63), TCP) },
	{ "case 9: just outside the subnet entry (198.51.101.7) -> drop_not_member", DEV_V4,
	  ISATAP_IN(IP4("198.51.101.7", R1), IP6("2001:db8:1:8000::5efe:c633:6507", D100, 64),
		    TCP),
	  XDP_DROP, IG_DROP_NOT_MEMBER },
	{ "case 9: peer router 192.0.2.3 with any inner source accepted", DEV_V4,
	  ISATAP_IN(IP4(PEER, R1), IP6("2001:db8:abc::5", D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6("2001:db8:abc::5", D100, 63), TCP) },

	/* ---- case 10: invalid inner sources (RFC 4213 §3.6) ---- */
	{ "case 10: multicast inner source ff02::1 -> drop_bad_src", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("ff02::1", D100, 64), TCP), XDP_DROP, IG_DROP_BAD_SRC },
	{ "case 10: loopback inner source ::1 -> drop_bad_src", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("::1", D100, 64), TCP), XDP_DROP, IG_DROP_BAD_SRC },
	{ "case 10: ::/96 inner source ::c000:20a -> drop_bad_src", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("::c000:20a", D100, 64), TCP), XDP_DROP, IG_DROP_BAD_SRC },
	{ "case 10: ::ffff:0:0/96 inner source ::ffff:192.0.2.10 -> drop_bad_src", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("::ffff:192.0.2.10", D100, 64), TCP),
	  XDP_DROP, IG_DROP_BAD_SRC },
	{ "case 10: unspecified inner source :: to a global destination -> drop_bad_src", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6("::", D100, 64), TCP), XDP_DROP, IG_DROP_BAD_SRC },
	{ "case 10: multicast inner source from the peer router still dropped", DEV_V4,
	  ISATAP_IN(IP4(PEER, R1), IP6("ff0e::1", D100, 64), TCP), XDP_DROP, IG_DROP_BAD_SRC },

	/* ---- case 11: hop limit ---- */
	{ "case 11: inner hop limit 1 -> ICMPv6 Time Exceeded tunnelled back to H", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 1), ECHO),
	  XDP_TX, IG_ICMP_TIME_EXCEEDED, OUT_ENCAP,
	  TUNNEL_OUT(MAC_H, R1, H, 0, IP6(P_R1, P_H, 64), TIME_EXCEEDED(IP6(P_H, D100, 1), ECHO)) },
	{ "case 11: inner hop limit 0 -> ICMPv6 Time Exceeded tunnelled back to H", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 0), TCP),
	  XDP_TX, IG_ICMP_TIME_EXCEEDED, OUT_ENCAP,
	  TUNNEL_OUT(MAC_H, R1, H, 0, IP6(P_R1, P_H, 64), TIME_EXCEEDED(IP6(P_H, D100, 0), TCP)) },
	{ "case 11: sent to 192.0.2.2 -> error from 192.0.2.2 and P::5efe:c000:202", DEV_V4,
	  ISATAP_IN(IP4(H, R2), IP6(P_H, D100, 1), ECHO),
	  XDP_TX, IG_ICMP_TIME_EXCEEDED, OUT_ENCAP,
	  TUNNEL_OUT(MAC_H, R2, H, 0, IP6(P_R2, P_H, 64), TIME_EXCEEDED(IP6(P_H, D100, 1), ECHO)) },
	{ "case 11: link-local source, hop limit 1 -> drop_scope before time exceeded", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, D100, 1), ECHO), XDP_DROP, IG_DROP_SCOPE },
	{ "case 11: Time Exceeded quotes all of an 81-byte packet (RFC 4443 2.4 c)", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 1), UDP(33)),
	  XDP_TX, IG_ICMP_TIME_EXCEEDED, OUT_ENCAP,
	  TUNNEL_OUT(MAC_H, R1, H, 0, IP6(P_R1, P_H, 64),
		     TIME_EXCEEDED(IP6(P_H, D100, 1), UDP(33))) },
	{ "case 11: Time Exceeded about a 1280-byte packet quotes 1232 bytes", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 1), UDP(1232)),
	  XDP_TX, IG_ICMP_TIME_EXCEEDED, OUT_ENCAP,
	  TUNNEL_OUT(MAC_H, R1, H, 0, IP6(P_R1, P_H, 64),
		     TIME_EXCEEDED(IP6(P_H, D100, 1), UDP(1232))) },
	{ "case 11: no ICMPv6 error about an ICMPv6 error -> drop_hoplimit", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 1), ICMP6_UNREACH), XDP_DROP, IG_DROP_HOPLIMIT },
	{ "case 11: second Time Exceeded to H within the interval -> icmp_rate_limited", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 1), ECHO), XDP_DROP, IG_ICMP_RATE_LIMITED,
	  OUT_ANY, { 0 }, prime },
	{ "case 11: inner hop limit 2 forwarded with hop limit 1", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 2), ECHO),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 1), ECHO) },

	/* ---- case 12: not ISATAP, passed untouched ---- */
	{ "case 12: IPv4 protocol 17 to a router address -> passed untouched", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .proto = 17), IP6(P_H, D100, 64), TCP),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "case 12: protocol 41 to a non-router address 192.0.2.99 -> passed untouched", DEV_V4,
	  ISATAP_IN(IP4(H, "192.0.2.99"), IP6(P_H, D100, 64), TCP),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "case 12: protocol 41 to the peer router's address (not ours) -> passed untouched",
	  DEV_V4, ISATAP_IN(IP4(H, PEER), IP6(P_H, D100, 64), TCP),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "case 12: own addresses from the routers map: to 192.0.2.99 -> passed untouched",
	  DEV_V4, ISATAP_IN(IP4(H, "192.0.2.99"), IP6(P_H, D100, 64), TCP),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME, { 0 }, cfg_self_hash, cfg_restore },
	{ "case 12: own addresses from the routers map: to the peer's -> passed untouched",
	  DEV_V4, ISATAP_IN(IP4(H, PEER), IP6(P_H, D100, 64), TCP),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME, { 0 }, cfg_self_hash, cfg_restore },
	{ "case 12: own addresses from the routers map: to 192.0.2.2 -> decapsulated",
	  DEV_V4, ISATAP_IN(IP4(H, R2), IP6(P_H, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP),
	  cfg_self_hash, cfg_restore },
	{ "case 12: protocol 41 from a non-member to a non-router address -> passed untouched",
	  DEV_V4, ISATAP_IN(IP4(N, "192.0.2.99"), IP6(P_N, D100, 64), TCP),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "case 12: ARP request -> passed untouched", DEV_V4,
	  { .kind = PKT_ARP, .dmac = "ff:ff:ff:ff:ff:ff", .smac = MAC_H, .ip4 = IP4(H, R1),
	    .pad_to = 60 },
	  XDP_PASS, IG_PASS_NOT_IP, OUT_SAME },
	{ "VLAN-tagged ISATAP frame -> pass_vlan, untouched", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP, .vlan_tci = 100),
	  XDP_PASS, IG_PASS_VLAN, OUT_SAME },
	{ "VLAN-tagged IPv6 frame -> pass_vlan, untouched", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP, .vlan_tci = 200),
	  XDP_PASS, IG_PASS_VLAN, OUT_SAME },

	/* ---- case 13: fragments, truncation, checksums, options ---- */
	{ "case 13: IPv4 fragment with MF set -> drop_fragment", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .frag = 0x2000), IP6(P_H, D100, 64), TCP),
	  XDP_DROP, IG_DROP_FRAGMENT },
	{ "case 13: IPv4 fragment with offset 185 -> drop_fragment", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .frag = 185), IP6(P_H, D100, 64), TCP),
	  XDP_DROP, IG_DROP_FRAGMENT },
	{ "case 13: DF set is not a fragment: forwarded", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .frag = 0x4000), IP6(P_H, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP) },
	{ "case 13: frame ends inside the IPv4 header (16 bytes) -> pass_not_isatap4", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP, .cut_to = 14 + 16),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "case 13: IPv4 total length beyond the frame -> drop_trunc_outer", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .tot_len_adj = 8), IP6(P_H, D100, 64), TCP),
	  XDP_DROP, IG_DROP_TRUNC_OUTER },
	{ "case 13: IPv4 total length shorter than the header -> drop_trunc_outer", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .tot_len_adj = -(20 + 60) + 16), IP6(P_H, D100, 64), TCP),
	  XDP_DROP, IG_DROP_TRUNC_OUTER },
	{ "case 13: IHL 4 -> drop_trunc_outer", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .ihl = 4), IP6(P_H, D100, 64), TCP),
	  XDP_DROP, IG_DROP_TRUNC_OUTER },
	{ "case 13: IPv4 version 6 in an IPv4 EtherType frame -> drop_trunc_outer", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .version = 6), IP6(P_H, D100, 64), TCP),
	  XDP_DROP, IG_DROP_TRUNC_OUTER },
	{ "case 13: outer header checksum wrong -> drop_bad_csum4", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .csum = PKT_CSUM_BAD), IP6(P_H, D100, 64), TCP),
	  XDP_DROP, IG_DROP_BAD_CSUM4 },
	{ "case 13: outer checksum wrong, IHL 6 -> drop_bad_csum4", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .opts = OPT_RTR_ALERT, .opts_len = 4, .csum = PKT_CSUM_BAD),
		    IP6(P_H, D100, 64), TCP),
	  XDP_DROP, IG_DROP_BAD_CSUM4 },
	{ "case 13: IHL 6 (router alert) decapsulated, options stripped", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .opts = OPT_RTR_ALERT, .opts_len = 4), IP6(P_H, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP) },
	{ "case 13: IHL 15 (40 bytes of options) decapsulated, options stripped", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .opts = OPT_NOP40, .opts_len = 40), IP6(P_H, D100, 64), ECHO),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), ECHO) },
	{ "case 13: inner packet shorter than an IPv6 header -> drop_trunc_inner", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP, .inner_cut = 30),
	  XDP_DROP, IG_DROP_TRUNC_INNER },
	{ "case 13: inner payload length 8 more than carried -> drop_trunc_inner", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64, .plen_adj = 8), TCP),
	  XDP_DROP, IG_DROP_TRUNC_INNER },
	{ "case 13: inner payload length 8 less than carried -> drop_trunc_inner", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64, .plen_adj = -8), TCP),
	  XDP_DROP, IG_DROP_TRUNC_INNER },
	{ "case 13: inner IP version 4 -> drop_trunc_inner", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64, .version = 4), TCP),
	  XDP_DROP, IG_DROP_TRUNC_INNER },
	{ "case 13: trailer after the IPv4 total length trimmed on decapsulation", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP, .pad_to = 128, .pad_byte = 0xee),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP) },

	/* ---- RFC 6324 loops and non-routable destinations ---- */
	{ "loop: inner destination P::5efe:c000:20b (back onto the ISATAP link) -> drop_loop",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, P_H11, 64), TCP), XDP_DROP, IG_DROP_LOOP },
	{ "loop: inner destination P::5efe:c000:201 (the router) -> drop_loop", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, P_R1, 64), TCP), XDP_DROP, IG_DROP_LOOP },
	{ "loop: ISATAP destination of the peer router under another prefix -> drop_loop",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, "2001:db8:9::5efe:c000:203", 64), TCP),
	  XDP_DROP, IG_DROP_LOOP },
	{ "loop: inner destination 2002::/16 (6to4) -> drop_loop", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, "2002:c000:20b::1", 64), TCP), XDP_DROP, IG_DROP_LOOP },
	{ "inner destination link-local fe80::1 (UDP) -> drop_dst_local", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, "fe80::1", 64), UDP(8)), XDP_DROP, IG_DROP_DST_LOCAL },
	{ "inner destination multicast ff0e::1 (UDP) -> drop_dst_local", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, "ff0e::1", 64), UDP(8)), XDP_DROP, IG_DROP_DST_LOCAL },

	/* ---- RFC 6040 ECN on decapsulation ---- */
	{ "ECN: outer CE + inner ECT(0) -> inner CE", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .tos = 0x03), IP6(P_H, D100, 64, .tclass = 0x02), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63, .tclass = 0x03), TCP) },
	{ "ECN: outer CE + inner ECT(1), DSCP 46 kept -> inner CE", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .tos = 0x03), IP6(P_H, D100, 64, .tclass = 0xb9), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63, .tclass = 0xbb), TCP) },
	{ "ECN: outer CE + inner CE -> CE", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .tos = 0x03), IP6(P_H, D100, 64, .tclass = 0x03), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63, .tclass = 0x03), TCP) },
	{ "ECN: outer ECT(0) + inner not-ECT -> forwarded, inner unchanged", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .tos = 0x02), IP6(P_H, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP) },
	{ "ECN: outer CE + inner not-ECT -> drop_ecn", DEV_V4,
	  ISATAP_IN(IP4(H, R1, .tos = 0x03), IP6(P_H, D100, 64, .tclass = 0xb8), TCP),
	  XDP_DROP, IG_DROP_ECN },

	/* ---- forwarding outcomes of the decapsulated packet ---- */
	{ "decap: no route to 2001:db8:bad::1 (no default route) -> drop_no_route", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D_NR, 64), TCP), XDP_DROP, IG_DROP_NO_ROUTE },
	{ "decap: blackhole route -> drop_no_route", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D_BH, 64), TCP), XDP_DROP, IG_DROP_NO_ROUTE },
	{ "decap: next hop unresolved -> XDP_PASS decapsulated, original MACs", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D_NN, 64), TCP),
	  XDP_PASS, IG_KERNEL_DECAP_NEIGH, OUT_EXACT, DECAP_KERNEL(IP6(P_H, D_NN, 63), TCP) },
	{ "decap: addressed to the router's own IPv6 address -> drop_no_route", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, R6, 64), ECHO), XDP_DROP, IG_DROP_NO_ROUTE },
	{ "decap: 1300-byte inner packet over a 1280 route MTU -> drop_too_big", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D_MTU, 64), UDP(1252)), XDP_DROP, IG_DROP_TOO_BIG },
	{ "decap: IPv6 forwarding off on the ingress device -> drop_fwd_disabled", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP), XDP_DROP, IG_DROP_FWD_DISABLED,
	  OUT_ANY, { 0 }, fwd6_off, fwd6_on },
	{ "decap: egress device not in tx_ports -> XDP_PASS decapsulated (kernel_decap_dev)",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP),
	  XDP_PASS, IG_KERNEL_DECAP_DEV, OUT_EXACT, DECAP_KERNEL(IP6(P_H, D100, 63), TCP),
	  port6_del, port6_add },

	/* ---- case 17: membership changes apply to the next packet ---- */
	{ "case 17: H removed -> H's next packet drop_not_member", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP), XDP_DROP, IG_DROP_NOT_MEMBER,
	  OUT_ANY, { 0 }, h_del, h_add },
	{ "case 17: H re-added -> forwarded again", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP) },
	{ "case 17: N not a member -> drop_not_member (the answer now in the member cache)",
	  DEV_V4, ISATAP_IN(IP4(N, R1), IP6(P_N, D100, 64), TCP), XDP_DROP, IG_DROP_NOT_MEMBER },
	{ "case 17: N added -> N's packet forwarded", DEV_V4,
	  ISATAP_IN(IP4(N, R1), IP6(P_N, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_N, D100, 63), TCP),
	  n_add, n_del },
	{ "case 17: N removed again -> drop_not_member", DEV_V4,
	  ISATAP_IN(IP4(N, R1), IP6(P_N, D100, 64), TCP), XDP_DROP, IG_DROP_NOT_MEMBER },
	{ "case 17: H removed -> encapsulation to H drop_enc_not_member", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_NOT_MEMBER,
	  OUT_ANY, { 0 }, h_del, h_add },

	/* ---- case 14: encapsulation ---- */
	{ "case 14: TCP D::100 -> P::5efe:c000:20a encapsulated R1 -> H, TTL 64, DF clear",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), TCP),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP, ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), TCP) },
	{ "case 14: ICMPv6 echo D::100 -> H encapsulated", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), ECHO),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP, ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), ECHO) },
	{ "case 14: destination in the 0200:5efe form encapsulated", DEV_V6,
	  NATIVE_IN(IP6(D100, P_HU, 64), TCP),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP, ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_HU, 63), TCP) },
	{ "case 14: traffic class 0xba (DSCP 46, ECT(0)) copied to the outer TOS", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64, .tclass = 0xba, .flow = 0x12345), UDP(100)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0xba, IP6(D100, P_H, 63, .tclass = 0xba, .flow = 0x12345), UDP(100)) },
	{ "case 14: Ethernet padding of a 54-byte frame trimmed before encapsulation", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), NOL4, .pad_to = 60, .pad_byte = 0xee),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP, ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), NOL4) },
	{ "case 14: inner packet of exactly 1280 bytes encapsulated", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), UDP(1232)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), UDP(1232)) },

	/* ---- case 15/16: encapsulation refused ---- */
	{ "case 15: D::100 -> P::5efe:c000:242 (non-member N) -> drop_enc_not_member", DEV_V6,
	  NATIVE_IN(IP6(D100, P_N, 64), TCP), XDP_DROP, IG_DROP_ENC_NOT_MEMBER },
	{ "case 15: D::100 -> P::5efe:c000:201 (the router itself) -> drop_enc_loop", DEV_V6,
	  NATIVE_IN(IP6(D100, P_R1, 64), TCP), XDP_DROP, IG_DROP_ENC_LOOP },
	{ "case 15: to the second router address, 0200 form -> drop_enc_loop", DEV_V6,
	  NATIVE_IN(IP6(D100, P_R2U, 64), TCP), XDP_DROP, IG_DROP_ENC_LOOP },
	{ "case 15: to the peer router's ISATAP address -> drop_enc_loop", DEV_V6,
	  NATIVE_IN(IP6(D100, P_PEER, 64), TCP), XDP_DROP, IG_DROP_ENC_LOOP },
	{ "case 16: 1281-byte packet over the 1280 tunnel MTU -> ICMPv6 Packet Too Big", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), UDP(1233)),
	  XDP_TX, IG_ICMP_TOO_BIG, OUT_EXACT,
	  NATIVE_OUT(IP6(P_R1, D100, 64), TOO_BIG(1280, IP6(D100, P_H, 64), UDP(1233))) },
	{ "case 16: second Packet Too Big to D::100 within the interval -> icmp_rate_limited",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), UDP(1233)), XDP_DROP, IG_ICMP_RATE_LIMITED,
	  OUT_ANY, { 0 }, prime },
	{ "encap: inner hop limit 1 -> ICMPv6 Time Exceeded to the sender", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 1), ECHO),
	  XDP_TX, IG_ICMP_TIME_EXCEEDED, OUT_EXACT,
	  NATIVE_OUT(IP6(P_R1, D100, 64), TIME_EXCEEDED(IP6(D100, P_H, 1), ECHO)) },
	{ "encap: hop limit 1 from a multicast source -> no error, drop_enc_bad_src", DEV_V6,
	  NATIVE_IN(IP6("ff0e::1", P_H, 1), UDP(8)), XDP_DROP, IG_DROP_ENC_BAD_SRC },
	{ "encap: payload length beyond the frame -> drop_trunc_inner", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64, .plen_adj = 8), TCP), XDP_DROP, IG_DROP_TRUNC_INNER },
	{ "encap: subnet member 198.51.100.7 with no IPv4 route -> drop_no_route", DEV_V6,
	  NATIVE_IN(IP6(D100, P_S7, 64), TCP), XDP_DROP, IG_DROP_NO_ROUTE },
	{ "encap: member 192.0.2.11 with no IPv4 neighbour -> drop_enc_no_neigh", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H11, 64), TCP), XDP_DROP, IG_DROP_ENC_NO_NEIGH },
	{ "encap: unresolved 192.0.2.11 -> one neighbour request for it on the IPv4 side",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H11, 64), TCP), XDP_DROP, IG_DROP_ENC_NO_NEIGH,
	  OUT_ANY, { 0 }, nreq_reset, nreq_one },
	{ "encap: unresolved 192.0.2.11 again within 500 ms -> request suppressed, counted",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H11, 64), TCP), XDP_DROP, IG_DROP_ENC_NO_NEIGH,
	  OUT_ANY, { 0 }, NULL, nreq_none },
	{ "encap: resolved member H -> encapsulated, no neighbour request", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_REDIRECT, IG_FWD_ENCAP, OUT_ANY, { 0 },
	  nreq_reset, nreq_empty },
	{ "encap: IPv4 egress not in tx_ports -> drop_enc_no_dev", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_NO_DEV,
	  OUT_ANY, { 0 }, port4_del, port4_add },
	{ "encap: IPv4 forwarding off on the ingress device -> drop_fwd_disabled", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_DROP, IG_DROP_FWD_DISABLED,
	  OUT_ANY, { 0 }, fwd4_off, fwd4_on },

	/* ---- encapsulation: the IPv6 side's source, by decapsulation's rules (issue 15) ---- */
	{ "encap src: multicast ff0e::1 -> drop_enc_bad_src, not tunnelled (RFC 4213 3.6)", DEV_V6,
	  NATIVE_IN(IP6("ff0e::1", P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_BAD_SRC },
	{ "encap src: multicast ff02::1, echo request -> drop_enc_bad_src", DEV_V6,
	  NATIVE_IN(IP6(ALL_NODES, P_H, 64), ECHO), XDP_DROP, IG_DROP_ENC_BAD_SRC },
	{ "encap src: unspecified :: -> drop_enc_bad_src", DEV_V6,
	  NATIVE_IN(IP6("::", P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_BAD_SRC },
	{ "encap src: loopback ::1 -> drop_enc_bad_src", DEV_V6,
	  NATIVE_IN(IP6("::1", P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_BAD_SRC },
	{ "encap src: ::/96 (IPv4-compatible ::c000:263) -> drop_enc_bad_src", DEV_V6,
	  NATIVE_IN(IP6("::c000:263", P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_BAD_SRC },
	{ "encap src: IPv4-mapped ::ffff:192.0.2.99 -> drop_enc_bad_src", DEV_V6,
	  NATIVE_IN(IP6("::ffff:192.0.2.99", P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_BAD_SRC },
	{ "encap src: link-local fe80::1 -> drop_enc_scope (RFC 4291 2.5.6)", DEV_V6,
	  NATIVE_IN(IP6("fe80::1", P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_SCOPE },
	{ "encap src: another member's ISATAP link-local fe80::5efe:c000:20b -> drop_enc_scope",
	  DEV_V6, NATIVE_IN(IP6(LL_H11, P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_SCOPE },
	{ "encap src: febf::1 (fe80::/10 outside fe80::/64) -> drop_enc_scope", DEV_V6,
	  NATIVE_IN(IP6("febf::1", P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_SCOPE },
	{ "encap src: P::5efe:c000:20b (posing as member 192.0.2.11) -> drop_enc_spoof", DEV_V6,
	  NATIVE_IN(IP6(P_H11, P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_SPOOF },
	{ "encap src: P::5efe:c000:20a (posing as H itself) -> drop_enc_spoof", DEV_V6,
	  NATIVE_IN(IP6(P_H, P_H, 64), ECHO), XDP_DROP, IG_DROP_ENC_SPOOF },
	{ "encap src: P::5efe:c000:201 (posing as the router) -> drop_enc_spoof", DEV_V6,
	  NATIVE_IN(IP6(P_R1, P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_SPOOF },
	{ "encap src: P::200:5efe:c000:202 (the router, u-bit form) -> drop_enc_spoof", DEV_V6,
	  NATIVE_IN(IP6(P_R2U, P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_SPOOF },
	{ "encap src: P::1 (not an ISATAP id, still the ISATAP link's /64) -> drop_enc_spoof",
	  DEV_V6, NATIVE_IN(IP6("2001:db8:1:8000::1", P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_SPOOF },
	{ "encap src: prefixes from their map: P::5efe:c000:20b -> drop_enc_spoof", DEV_V6,
	  NATIVE_IN(IP6(P_H11, P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_SPOOF, OUT_ANY, { 0 },
	  cfg_self_hash, cfg_restore },
	{ "encap src: prefixes from their map: D::100 -> encapsulated", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), TCP), cfg_self_hash, cfg_restore },
	{ "encap src: 2001:db8:1:8001::5efe:c000:20b (ISATAP id, not our prefix) -> encapsulated",
	  DEV_V6, NATIVE_IN(IP6("2001:db8:1:8001::5efe:c000:20b", P_H, 64), TCP),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6("2001:db8:1:8001::5efe:c000:20b", P_H, 63), TCP) },

	/* ---- the ISATAP link is the IPv4 side only (config v4_ifindex; issue 15) ---- */
	{ "side: protocol 41 from member H on the IPv6-side device -> drop_not_v4_side", DEV_V6,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP), XDP_DROP, IG_DROP_NOT_V4_SIDE },
	{ "side: protocol 41 from the peer router on the IPv6-side device -> drop_not_v4_side",
	  DEV_V6, ISATAP_IN(IP4(PEER, R1), IP6("2001:db8:abc::5", D100, 64), TCP),
	  XDP_DROP, IG_DROP_NOT_V4_SIDE },
	{ "side: RS from H on the IPv6-side device -> no RA, drop_not_v4_side", DEV_V6,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()), XDP_DROP, IG_DROP_NOT_V4_SIDE },
	{ "side: NS from H on the IPv6-side device -> no NA, drop_not_v4_side", DEV_V6,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_NS(LL_R1)),
	  XDP_DROP, IG_DROP_NOT_V4_SIDE },
	{ "side: hop limit 1 from H on the IPv6-side device -> no time exceeded, drop_not_v4_side",
	  DEV_V6, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 1), ECHO), XDP_DROP, IG_DROP_NOT_V4_SIDE },
	{ "side: protocol 41 to a non-router address on the IPv6 side -> passed untouched", DEV_V6,
	  ISATAP_IN(IP4(H, "192.0.2.99"), IP6(P_H, D100, 64), TCP),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "side: ICMPv4 error about a tunnelled packet on the IPv6 side -> not relayed, passed",
	  DEV_V6, ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), ECHO, 0),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "side: one-armed (both sides igt4): RS -> RA", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS()),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP, ND_REPLY(H, R1, LL_R1, LL_H, RA_DEFAULT),
	  cfg_onearm4, cfg_restore },
	{ "side: one-armed (both sides igt4): H -> D::100 decapsulated", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP),
	  cfg_onearm4, cfg_restore },
	{ "side: one-armed (both sides igt4): D::100 -> H arriving on igt4 encapsulated", DEV_V4,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP, ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), TCP),
	  cfg_onearm4, cfg_restore },
	{ "side: one-armed on igt6 (the config decides, not the device): decapsulated there",
	  DEV_V6, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP),
	  cfg_onearm6, cfg_restore },
	{ "side: one-armed on igt6: protocol 41 on igt4 -> drop_not_v4_side", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP), XDP_DROP, IG_DROP_NOT_V4_SIDE,
	  OUT_ANY, { 0 }, cfg_onearm6, cfg_restore },

	/* ---- the outer source is never one of the router's own addresses (issue 15) ---- */
	{ "src: outer R1 admitted by member subnet 192.0.2.0/24, inner P::5efe:c000:201 -> drop_src_router",
	  DEV_V4, ISATAP_IN(IP4(R1, R1), IP6(P_R1, D100, 64), TCP), XDP_DROP, IG_DROP_SRC_ROUTER,
	  OUT_ANY, { 0 }, self_net_add, self_net_del },
	{ "src: RS from R2 (inside 192.0.2.0/24) to R1 -> no RA, drop_src_router", DEV_V4,
	  ISATAP_IN(IP4(R2, R1), IP6(LL_R2, LL_R1, 255), L4_RS()), XDP_DROP, IG_DROP_SRC_ROUTER,
	  OUT_ANY, { 0 }, self_net_add, self_net_del },
	{ "src: own addresses from the routers map: outer R2 (in 192.0.2.0/24) -> drop_src_router",
	  DEV_V4, ISATAP_IN(IP4(R2, R2), IP6(P_R2, D100, 64), TCP), XDP_DROP, IG_DROP_SRC_ROUTER,
	  OUT_ANY, { 0 }, self_net_add_hash, self_net_del_restore },
	{ "src: the peer 192.0.2.3 inside the member subnet stays a peer: decapsulated", DEV_V4,
	  ISATAP_IN(IP4(PEER, R1), IP6("2001:db8:abc::5", D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6("2001:db8:abc::5", D100, 63), TCP),
	  self_net_add, self_net_del },
	{ "src: H inside the member subnet: decapsulated", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP),
	  self_net_add, self_net_del },

	/* ---- IPv6 side: not ISATAP ---- */
	{ "IPv6 to the router's own address (not P) -> pass_not_isatap6, untouched", DEV_V6,
	  NATIVE_IN(IP6(D100, R6, 64), ECHO), XDP_PASS, IG_PASS_NOT_ISATAP6, OUT_SAME },
	{ "IPv6 to P::1 (not an ISATAP interface id) -> pass_not_isatap6, untouched", DEV_V6,
	  NATIVE_IN(IP6(D100, "2001:db8:1:8000::1", 64), TCP),
	  XDP_PASS, IG_PASS_NOT_ISATAP6, OUT_SAME },
	{ "IPv6 to an ISATAP id under an unconfigured prefix -> pass_not_isatap6", DEV_V6,
	  NATIVE_IN(IP6(D100, "2001:db8:2::5efe:c000:20a", 64), TCP),
	  XDP_PASS, IG_PASS_NOT_ISATAP6, OUT_SAME },
	{ "IPv6 frame ending inside the IPv6 header -> pass_not_isatap6, untouched", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP, .cut_to = 14 + 30),
	  XDP_PASS, IG_PASS_NOT_ISATAP6, OUT_SAME },

	/* ---- configuration ---- */
	{ "config: outer TTL 32 configured -> encapsulated with TTL 32", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  { .kind = PKT_ISATAP, .dmac = MAC_H, .smac = MAC_DEV4,
	    .ip4 = { .src = R1, .dst = H, .ttl = 32 }, .ip6 = IP6(D100, P_H, 63), .l4 = TCP },
	  cfg_ttl_32, cfg_restore },
	{ "config: dynamic MTU mode -> encapsulated with DF set", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  { .kind = PKT_ISATAP, .dmac = MAC_H, .smac = MAC_DEV4,
	    .ip4 = { .src = R1, .dst = H, .frag = 0x4000 }, .ip6 = IP6(D100, P_H, 63), .l4 = TCP },
	  cfg_dynamic_mtu, cfg_restore },
	{ "config: 6to4 allowed -> inner destination 2002::/16 forwarded", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, "2002:c000:20b::1", 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  DECAP_FWD(IP6(P_H, "2002:c000:20b::1", 63), TCP), cfg_allow_6to4, cfg_restore },
	{ "config with another ABI version -> everything passed (pass_not_ip)", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP), XDP_PASS, IG_PASS_NOT_IP, OUT_SAME,
	  { 0 }, abi_bad, cfg_restore },

	/* ---- manage-out policy and connection state (issue 7), in order ---- */
	{ "policy A loaded: TCP SYN H -> D::100:3389 allowed by 'rdp', decapsulated", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP), pol_a },
	{ "policy: the SYN-ACK D::100:3389 -> H:49152 is the connection's reply: encapsulated",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), TCPF(3389, 49152, 0x12)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), TCPF(3389, 49152, 0x12)) },
	{ "policy: TCP SYN H -> D::100:22 matches no rule: default drop (drop_policy)", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(49153, 22, 0x02)),
	  XDP_DROP, IG_DROP_POLICY },
	{ "policy: unsolicited ACK D::100:3389 -> H:50000 -> drop_policy_state", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCPF(3389, 50000, 0x10)), XDP_DROP, IG_DROP_POLICY_STATE },
	{ "policy: SYN D::100 -> H:3389 (no 'in' rule for it) -> drop_policy", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCPF(50000, 3389, 0x02)), XDP_DROP, IG_DROP_POLICY },
	{ "policy: the member's mid-stream ACK to :3389 re-creates its connection", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(50001, 3389, 0x10)),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  DECAP_FWD(IP6(P_H, D100, 63), TCPF(50001, 3389, 0x10)) },
	{ "policy: ...and the remote side's answer on it passes", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCPF(3389, 50001, 0x10)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), TCPF(3389, 50001, 0x10)) },
	{ "policy: UDP H -> D::100:53 'reject': ICMPv6 administratively prohibited tunnelled back",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), UDPP(49152, 53, 32)),
	  XDP_TX, IG_POLICY_REJECT, OUT_ENCAP,
	  TUNNEL_OUT(MAC_H, R1, H, 0, IP6(P_R1, P_H, 64),
		     ADM_PROHIBITED(IP6(P_H, D100, 64), UDPP(49152, 53, 32))) },
	{ "policy: echo request H -> D::100 allowed by 'ping'", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), ECHO),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), ECHO) },
	{ "policy: its echo reply D::100 -> H passes", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), ECHO_REPLY),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP, ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), ECHO_REPLY) },
	{ "policy: echo request D::100 -> H (no 'in' echo rule) -> drop_policy", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), ECHO), XDP_DROP, IG_DROP_POLICY },
	{ "policy: echo reply H -> D::100 with its own request's id (D asked nothing) -> drop_policy",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), ECHO_REPLY), XDP_DROP, IG_DROP_POLICY },
	{ "policy: unsolicited echo reply H -> D::100 (id 0x5004) is no 'echo-request' -> drop_policy",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), ECHO_REPLY_ID(0x5004)),
	  XDP_DROP, IG_DROP_POLICY },
	{ "policy: ...and D::100's reply to H's request still passes", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), ECHO_REPLY),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP, ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), ECHO_REPLY) },
	{ "policy: RPC dynamic port 49700 before any endpoint-mapper connection -> drop_policy",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(50010, 49700, 0x02)),
	  XDP_DROP, IG_DROP_POLICY },
	{ "policy: SYN H -> D::100:135 allowed by 'epm' (an anchor)", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(50011, 135, 0x02)),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  DECAP_FWD(IP6(P_H, D100, 63), TCPF(50011, 135, 0x02)) },
	{ "policy: ...then SYN H -> D::100:49700 allowed by 'rpc' (after tcp/135)", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(50012, 49700, 0x02)),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  DECAP_FWD(IP6(P_H, D100, 63), TCPF(50012, 49700, 0x02)) },
	{ "policy: ...but not from the member's link-local-free other remote (2001:db8:dac::101)",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, "2001:db8:dac::101", 64), TCPF(50013, 49700, 0x02)),
	  XDP_DROP, IG_DROP_POLICY },
	{ "policy: SYN D::100 -> H:5985 allowed by 'winrm-in' (member 192.0.2.10)", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCPF(50020, 5985, 0x02)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), TCPF(50020, 5985, 0x02)) },
	{ "policy: SYN D::100 -> S7:5985 refused ('winrm-in' is for 192.0.2.10 only)", DEV_V6,
	  NATIVE_IN(IP6(D100, P_S7, 64), TCPF(50020, 5985, 0x02)), XDP_DROP, IG_DROP_POLICY },
	{ "policy: Packet Too Big from D::100 about H's 3389 connection passes (related)", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TOO_BIG(1280, IP6(P_H, D100, 63), TCP)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), TOO_BIG(1280, IP6(P_H, D100, 63), TCP)) },
	{ "policy: Packet Too Big about an unknown connection -> drop_policy", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TOO_BIG(1280, IP6(P_H, D100, 63), TCPF(49152, 8080, 2))),
	  XDP_DROP, IG_DROP_POLICY },
	{ "policy B loaded (rdp removed): the 3389 connection's next packet is cut", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCPF(3389, 49152, 0x10)), XDP_DROP, IG_DROP_POLICY, OUT_ANY,
	  { 0 }, pol_b },
	{ "policy B: UDP D::100 -> H refused with administratively prohibited, sent back natively",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), UDP(32)),
	  XDP_TX, IG_POLICY_REJECT, OUT_EXACT,
	  NATIVE_OUT(IP6(P_R1, D100, 64), ADM_PROHIBITED(IP6(D100, P_H, 64), UDP(32))) },
	{ "policy B: an ICMPv6 error is never answered with one (drop_policy)", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TOO_BIG(1280, IP6(P_H, D100, 63), TCPF(49152, 8080, 2))),
	  XDP_DROP, IG_DROP_POLICY },
	{ "policy A again, connections 10 s short of tcp-established: the remote side's ACK "
	  "passes", DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), TCPF(3389, 50001, 0x10)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), TCPF(3389, 50001, 0x10)), pol_a_young },
	{ "policy A, the connection 10 s past tcp-established: the "
	  "remote side's ACK -> "
	  "drop_policy_state",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), TCPF(3389, 50001, 0x10)),
	  XDP_DROP, IG_DROP_POLICY_STATE, OUT_ANY, { 0 }, pol_a_aged },
	{ "policy cleared: TCP SYN H -> D::100:22 decapsulated again (members unrestricted)",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(49153, 22, 0x02)),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  DECAP_FWD(IP6(P_H, D100, 63), TCPF(49153, 22, 0x02)), pol_clear },

	/* ---- echo request and reply keyed apart (issue 15): policy C ---- */
	{ "policy C: echo request D::100 -> H (id 0x5001) allowed by 'ping-in', keyed echo-in",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), ECHO_ID(0x5001)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), ECHO_ID(0x5001)), pol_c, conn_h_ping_in },
	{ "policy C: H's echo reply to it passes (the request's connection)", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), ECHO_REPLY_ID(0x5001)),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), ECHO_REPLY_ID(0x5001)) },
	{ "policy C: echo reply D::100 -> H with that id (H asked nothing) -> drop_policy", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), ECHO_REPLY_ID(0x5001)), XDP_DROP, IG_DROP_POLICY },
	{ "policy C: unsolicited echo reply D::100 -> H (id 0x5002) is no 'echo-request' -> drop_policy",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), ECHO_REPLY_ID(0x5002)), XDP_DROP, IG_DROP_POLICY },
	{ "policy C: H's echo request to D::100 (no 'out' echo-request rule) -> drop_policy", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), ECHO_ID(0x5001)), XDP_DROP, IG_DROP_POLICY },
	{ "policy C: 'echo-reply' rule: unsolicited reply S7 -> D::100 allowed by 's7-reply'",
	  DEV_V4, ISATAP_IN(IP4(S7, R1), IP6(P_S7, D100, 64), ECHO_REPLY_ID(0x5003)),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  DECAP_FWD(IP6(P_S7, D100, 63), ECHO_REPLY_ID(0x5003)), NULL, no_conn_s7 },
	{ "policy C: 's7-reply' admits no echo request from S7 -> drop_policy", DEV_V4,
	  ISATAP_IN(IP4(S7, R1), IP6(P_S7, D100, 64), ECHO_ID(0x5003)), XDP_DROP, IG_DROP_POLICY },
	{ "policy C: Packet Too Big from D::100 quoting H's reply to the ping passes (related)",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), TOO_BIG(1280, IP6(P_H, D100, 63), ECHO_REPLY_ID(0x5001))),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63),
		    TOO_BIG(1280, IP6(P_H, D100, 63), ECHO_REPLY_ID(0x5001))) },
	{ "policy C: Packet Too Big quoting an echo request H never sent -> drop_policy", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TOO_BIG(1280, IP6(P_H, D100, 63), ECHO_ID(0x5001))),
	  XDP_DROP, IG_DROP_POLICY, OUT_ANY, { 0 }, NULL, pol_clear },

	/* ---- VLAN sub-interfaces (802.1Q, 802.1ad QinQ; bpf/vlan.h) ---- */
	{ "vlan: 802.1Q 110 ISATAP from Q1 -> tag popped, decapsulated, untagged to D", DEV_V4,
	  ISATAP_IN(IP4(Q1, R1), IP6(P_Q1, D100, 64), TCP,
		    .tags = TAG1(TPID_Q, TCI(5, 0, 110))),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_Q1, D100, 63), TCP),
	  cfg_v4_q1, cfg_restore },
	{ "vlan: D -> Q1 (member behind igt4.110) -> encapsulated, 802.1Q 110 pushed", DEV_V6,
	  NATIVE_IN(IP6(D100, P_Q1, 64), TCP), XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  { .kind = PKT_ISATAP, .dmac = MAC_Q1, .smac = MAC_DEV4,
	    .tags = TAG1(TPID_Q, TCI(0, 0, 110)),
	    .ip4 = { .src = R1, .dst = Q1, .ttl = 64 }, .ip6 = IP6(D100, P_Q1, 63), .l4 = TCP } },
	{ "vlan: QinQ 802.1ad 10 + 802.1Q 20 ISATAP from Q2 -> both tags popped, decapsulated",
	  DEV_V4, ISATAP_IN(IP4(Q2, R1), IP6(P_Q2, D100, 64), ECHO,
			    .tags = TAG2(TPID_AD, TCI(3, 1, 10), TPID_Q, TCI(2, 0, 20))),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_Q2, D100, 63), ECHO),
	  cfg_v4_q2, cfg_restore },
	{ "vlan: D -> Q2 (member behind QinQ igt4.10.20) -> encapsulated, 88a8/10 + 8100/20 pushed",
	  DEV_V6, NATIVE_IN(IP6(D100, P_Q2, 64), ECHO), XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  { .kind = PKT_ISATAP, .dmac = MAC_Q2, .smac = MAC_DEV4,
	    .tags = TAG2(TPID_AD, TCI(0, 0, 10), TPID_Q, TCI(0, 0, 20)),
	    .ip4 = { .src = R1, .dst = Q2, .ttl = 64 }, .ip6 = IP6(D100, P_Q2, 63), .l4 = ECHO } },
	{ "vlan: untagged H -> D210 (route via igt6.210) -> decapsulated, 802.1Q 210 pushed",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D210, 64), TCP),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  { .kind = PKT_IPV6, .dmac = MAC_NH6V, .smac = MAC_DEV6,
	    .tags = TAG1(TPID_Q, TCI(0, 0, 210)), .ip6 = IP6(P_H, D210, 63), .l4 = TCP } },
	{ "vlan: D210 -> H arriving tagged 210 on igt6 -> encapsulated, untagged to H", DEV_V6,
	  { .kind = PKT_IPV6, .dmac = MAC_DEV6, .smac = MAC_NH6V,
	    .tags = TAG1(TPID_Q, TCI(1, 0, 210)), .ip6 = IP6(D210, P_H, 64), .l4 = TCP },
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP, ENCAP_OUT(MAC_H, H, 0, IP6(D210, P_H, 63), TCP) },
	{ "vlan: RS from Q1 on 802.1Q 110 (PCP 6, DEI 1) -> RA back on 110, PCP/DEI kept",
	  DEV_V4, VLAN_IN(MAC_Q1, IP4(Q1, R1), IP6(LL_Q1, ALL_ROUTERS, 255), L4_RS(),
			    .tags = TAG1(TPID_Q, TCI(6, 1, 110))),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP,
	  { .kind = PKT_ISATAP, .dmac = MAC_Q1, .smac = MAC_DEV4,
	    .tags = TAG1(TPID_Q, TCI(6, 1, 110)),
	    .ip4 = { .src = R1, .dst = Q1, .ttl = 64 },
	    .ip6 = IP6(LL_R1, LL_Q1, 255), .l4 = RA_DEFAULT }, cfg_v4_q1, cfg_restore },
	{ "vlan: RS from Q2 on QinQ -> RA back with both tags", DEV_V4,
	  VLAN_IN(MAC_Q2, IP4(Q2, R1), IP6("fe80::5efe:cb00:718a", ALL_ROUTERS, 255), L4_RS(),
		  .tags = TAG2(TPID_AD, TCI(0, 0, 10), TPID_Q, TCI(7, 0, 20))),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP,
	  { .kind = PKT_ISATAP, .dmac = MAC_Q2, .smac = MAC_DEV4,
	    .tags = TAG2(TPID_AD, TCI(0, 0, 10), TPID_Q, TCI(7, 0, 20)),
	    .ip4 = { .src = R1, .dst = Q2, .ttl = 64 },
	    .ip6 = IP6(LL_R1, "fe80::5efe:cb00:718a", 255), .l4 = RA_DEFAULT },
	  cfg_v4_q2, cfg_restore },
	{ "vlan: hop limit 1 from Q1 on 110 -> time exceeded tunnelled back on 110", DEV_V4,
	  VLAN_IN(MAC_Q1, IP4(Q1, R1), IP6(P_Q1, D100, 1), TCP,
		    .tags = TAG1(TPID_Q, TCI(4, 0, 110))),
	  XDP_TX, IG_ICMP_TIME_EXCEEDED, OUT_ENCAP,
	  { .kind = PKT_ISATAP, .dmac = MAC_Q1, .smac = MAC_DEV4,
	    .tags = TAG1(TPID_Q, TCI(4, 0, 110)),
	    .ip4 = { .src = R1, .dst = Q1, .ttl = 64 },
	    .ip6 = IP6(P_R1, P_Q1, 64), .l4 = TIME_EXCEEDED(IP6(P_Q1, D100, 1), TCP) },
	  cfg_v4_q1, cfg_restore },
	{ "vlan: Q1 on 110 -> D_NN (neighbour unresolved) -> decapsulated, to the kernel on 110",
	  DEV_V4, ISATAP_IN(IP4(Q1, R1), IP6(P_Q1, D_NN, 64), TCP,
			    .tags = TAG1(TPID_Q, TCI(5, 0, 110))),
	  XDP_PASS, IG_KERNEL_DECAP_NEIGH, OUT_EXACT,
	  { .kind = PKT_IPV6, .dmac = MAC_DEV4, .smac = MAC_H,
	    .tags = TAG1(TPID_Q, TCI(5, 0, 110)), .ip6 = IP6(P_Q1, D_NN, 63), .l4 = TCP },
	  cfg_v4_q1, cfg_restore },
	{ "vlan: TCP to R1 on 110 (PCP 7) -> not ISATAP, passed with its tag as it came",
	  DEV_V4, ISATAP_IN(IP4(Q1, R1, .proto = 6), IP6(P_Q1, D100, 64), TCP,
			    .tags = TAG1(TPID_Q, TCI(7, 1, 110))),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "vlan: ARP on QinQ 10/20 -> passed with both tags as it came", DEV_V4,
	  { .kind = PKT_ARP, .dmac = "ff:ff:ff:ff:ff:ff", .smac = MAC_Q2, .ip4 = IP4(Q2, R1),
	    .tags = TAG2(TPID_AD, TCI(1, 0, 10), TPID_Q, TCI(3, 0, 20)) },
	  XDP_PASS, IG_PASS_NOT_IP, OUT_SAME },
	{ "vlan: non-member N on 110 -> dropped, not admitted", DEV_V4,
	  ISATAP_IN(IP4(N, R1), IP6(P_N, D100, 64), TCP, .tags = TAG1(TPID_Q, TCI(0, 0, 110))),
	  XDP_DROP, IG_DROP_NOT_MEMBER, OUT_ANY, { 0 }, cfg_v4_q1, cfg_restore },
	{ "vlan: IPv4 side VLAN 110: untagged protocol 41 from H on the trunk -> drop_not_v4_side",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP), XDP_DROP, IG_DROP_NOT_V4_SIDE,
	  OUT_ANY, { 0 }, cfg_v4_q1, cfg_restore },
	{ "vlan: IPv4 side VLAN 110: RS from Q2 on QinQ 10/20 (another VLAN) -> drop_not_v4_side",
	  DEV_V4, VLAN_IN(MAC_Q2, IP4(Q2, R1), IP6("fe80::5efe:cb00:718a", ALL_ROUTERS, 255),
			  L4_RS(), .tags = TAG2(TPID_AD, TCI(0, 0, 10), TPID_Q, TCI(7, 0, 20))),
	  XDP_DROP, IG_DROP_NOT_V4_SIDE, OUT_ANY, { 0 }, cfg_v4_q1, cfg_restore },
	{ "vlan: IPv4 side VLAN 110: priority-tagged RS from H on the trunk -> drop_not_v4_side",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(LL_H, ALL_ROUTERS, 255), L4_RS(),
			    .tags = TAG1(TPID_Q, TCI(4, 0, 0))),
	  XDP_DROP, IG_DROP_NOT_V4_SIDE, OUT_ANY, { 0 }, cfg_v4_q1, cfg_restore },
	{ "vlan: protocol 41 tagged 210 (the IPv6 side's VLAN) on igt6 -> drop_not_v4_side",
	  DEV_V6, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP,
			    .tags = TAG1(TPID_Q, TCI(0, 0, 210))),
	  XDP_DROP, IG_DROP_NOT_V4_SIDE },
	{ "vlan: unknown VID 300 -> pass_vlan, untouched", DEV_V4,
	  ISATAP_IN(IP4(Q1, R1), IP6(P_Q1, D100, 64), TCP, .tags = TAG1(TPID_Q, TCI(5, 0, 300))),
	  XDP_PASS, IG_PASS_VLAN, OUT_SAME },
	{ "vlan: VID 110 arriving on igt6 (configured on igt4 only) -> pass_vlan", DEV_V6,
	  ISATAP_IN(IP4(Q1, R1), IP6(P_Q1, D100, 64), TCP, .tags = TAG1(TPID_Q, TCI(0, 0, 110))),
	  XDP_PASS, IG_PASS_VLAN, OUT_SAME },
	{ "vlan: 802.1ad 10 alone (only 10/20 configured) -> pass_vlan", DEV_V4,
	  ISATAP_IN(IP4(Q2, R1), IP6(P_Q2, D100, 64), TCP, .tags = TAG1(TPID_AD, TCI(0, 0, 10))),
	  XDP_PASS, IG_PASS_VLAN, OUT_SAME },
	{ "vlan: QinQ 10/21 (inner VID unknown) -> pass_vlan", DEV_V4,
	  ISATAP_IN(IP4(Q2, R1), IP6(P_Q2, D100, 64), TCP,
		    .tags = TAG2(TPID_AD, TCI(0, 0, 10), TPID_Q, TCI(0, 0, 21))),
	  XDP_PASS, IG_PASS_VLAN, OUT_SAME },
	{ "vlan: 802.1Q 110 with 802.1ad TPID -> pass_vlan (TPID is part of the key)", DEV_V4,
	  ISATAP_IN(IP4(Q1, R1), IP6(P_Q1, D100, 64), TCP, .tags = TAG1(TPID_AD, TCI(0, 0, 110))),
	  XDP_PASS, IG_PASS_VLAN, OUT_SAME },
	{ "vlan: three tags 10/20/30 -> pass_vlan, untouched", DEV_V4,
	  ISATAP_IN(IP4(Q2, R1), IP6(P_Q2, D100, 64), TCP,
		    .tags = { { TPID_AD, 10 }, { TPID_Q, 20 }, { TPID_Q, 30 } }),
	  XDP_PASS, IG_PASS_VLAN, OUT_SAME },
	{ "vlan: truncated second tag -> pass_vlan, untouched", DEV_V4,
	  ISATAP_IN(IP4(Q2, R1), IP6(P_Q2, D100, 64), TCP,
		    .tags = TAG2(TPID_AD, TCI(0, 0, 10), TPID_Q, TCI(0, 0, 20)), .cut_to = 20),
	  XDP_PASS, IG_PASS_VLAN, OUT_SAME },
	{ "vlan: tag and EtherType only, no IPv4 header (110) -> passed with the tag back",
	  DEV_V4, ISATAP_IN(IP4(Q1, R1), IP6(P_Q1, D100, 64), TCP,
			    .tags = TAG1(TPID_Q, TCI(2, 0, 110)), .cut_to = 18),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "vlan: priority-tagged (VID 0, PCP 4) ISATAP from H on igt4 -> handled as untagged",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP,
			    .tags = TAG1(TPID_Q, TCI(4, 0, 0))),
	  XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP) },
	{ "vlan: priority-tagged RS from H -> RA back with the priority tag", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(LL_H, ALL_ROUTERS, 255), L4_RS(),
		    .tags = TAG1(TPID_Q, TCI(4, 0, 0))),
	  XDP_TX, IG_RD_RA_SENT, OUT_ENCAP,
	  { .kind = PKT_ISATAP, .dmac = MAC_H, .smac = MAC_DEV4,
	    .tags = TAG1(TPID_Q, TCI(4, 0, 0)), .ip4 = { .src = R1, .dst = H, .ttl = 64 },
	    .ip6 = IP6(LL_R1, LL_H, 255), .l4 = RA_DEFAULT } },
	/* ---- ICMPv4 errors about tunnelled packets (RFC 4213 3.4, bpf/icmp4.h) ---- */
	{ "icmp4: time exceeded about R1 -> H, whole quote -> ICMPv6 time exceeded to D::100",
	  DEV_V4, ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), ECHO, 0),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(3, 0, 0, IP6(D100, P_H, 63), ECHO, 0), tunnelled },
	{ "icmp4: time exceeded quoting IPv6 header + 8 bytes exactly -> relayed, 48-byte quote",
	  DEV_V4, ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 48),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(3, 0, 0, IP6(D100, P_H, 63), TCP, 48), tunnelled },
	{ "icmp4: time exceeded (reassembly, code 1) -> ICMPv6 time exceeded code 0", DEV_V4,
	  ICMP4_ERR_IN(11, 1, 0, R1, H, 0, IP6(D100, P_H, 63), UDP(100), 0),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(3, 0, 0, IP6(D100, P_H, 63), UDP(100), 0), tunnelled },
	{ "icmp4: host unreachable -> ICMPv6 destination unreachable, address unreachable",
	  DEV_V4, ICMP4_ERR_IN(3, 1, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 0),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(1, 3, 0, IP6(D100, P_H, 63), TCP, 0), tunnelled },
	{ "icmp4: protocol unreachable (member has no ISATAP) -> address unreachable", DEV_V4,
	  ICMP4_ERR_IN(3, 2, 0, R1, H, 0, IP6(D100, P_H, 63), ECHO, 0),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(1, 3, 0, IP6(D100, P_H, 63), ECHO, 0), tunnelled },
	{ "icmp4: communication administratively filtered -> administratively prohibited",
	  DEV_V4, ICMP4_ERR_IN(3, 13, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 0),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(1, 1, 0, IP6(D100, P_H, 63), TCP, 0), tunnelled },
	{ "icmp4: error about a packet from the second address R2 -> source P::5efe:c000:202",
	  DEV_V4, ICMP4_ERR_IN(11, 0, 0, R2, H, 0, IP6(D100, P_H, 63), ECHO, 0),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  { .kind = PKT_IPV6, .dmac = MAC_NH6, .smac = MAC_DEV6, .ip6 = IP6(P_R2, D100, 64),
	    .l4 = TIME_EXCEEDED(IP6(D100, P_H, 63), ECHO) } , tunnelled },
	{ "icmp4: frag needed, next-hop MTU 1400, dynamic mode -> Packet Too Big 1380, learned",
	  DEV_V4, ICMP4_ERR_IN(3, 4, 1400, R1, H, 0x4000, IP6(D100, P_H, 63), UDP(1352), Q576),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(2, 0, 1380, IP6(D100, P_H, 63), UDP(1352), Q576), cfg_dyn_tunnelled,
	  mtu_1380_restore },
	{ "icmp4: frag needed, next-hop MTU 1200 -> Packet Too Big 1280 (clamped), DF off",
	  DEV_V4, ICMP4_ERR_IN(3, 4, 1200, R1, H, 0x4000, IP6(D100, P_H, 63), UDP(1232), Q576),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(2, 0, 1280, IP6(D100, P_H, 63), UDP(1232), Q576), cfg_dyn_tunnelled,
	  mtu_1280_nodf_restore },
	{ "icmp4: frag needed without next-hop MTU (old router), 1500 outer -> plateau 1492",
	  DEV_V4, ICMP4_ERR_IN(3, 4, 0, R1, H, 0x4000, IP6(D100, P_H, 63), UDP(1432), Q576),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(2, 0, 1472, IP6(D100, P_H, 63), UDP(1432), Q576), cfg_dyn_tunnelled,
	  mtu_plateau_restore },
	{ "icmp4: after learning 1380, a 1381-byte packet to H -> ICMPv6 Packet Too Big 1380",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), UDP(1333)),
	  XDP_TX, IG_ICMP_TOO_BIG, OUT_EXACT,
	  NATIVE_OUT(IP6(P_R1, D100, 64), TOO_BIG(1380, IP6(D100, P_H, 64), UDP(1333))),
	  cfg_dyn_learn_1400, cfg_dyn_restore },
	{ "icmp4: after learning 1380, a 1380-byte packet to H -> encapsulated, DF set",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), UDP(1332)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  { .kind = PKT_ISATAP, .dmac = MAC_H, .smac = MAC_DEV4,
	    .ip4 = { .src = R1, .dst = H, .frag = 0x4000 }, .ip6 = IP6(D100, P_H, 63),
	    .l4 = UDP(1332) }, cfg_dyn_learn_1400, cfg_dyn_restore },
	{ "icmp4: after the 1280 clamp, a 1280-byte packet to H -> encapsulated with DF clear",
	  DEV_V6, NATIVE_IN(IP6(D100, P_H, 64), UDP(1232)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), UDP(1232)),
	  cfg_dyn_learn_1200, cfg_dyn_restore },
	{ "icmp4: after the 1280 clamp, a 1281-byte packet -> Packet Too Big 1280", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), UDP(1233)), XDP_TX, IG_ICMP_TOO_BIG, OUT_EXACT,
	  NATIVE_OUT(IP6(P_R1, D100, 64), TOO_BIG(1280, IP6(D100, P_H, 64), UDP(1233))),
	  cfg_dyn_learn_1200, cfg_dyn_restore },
	{ "icmp4: learned entry expired -> the configured 1480 applies again", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), UDP(1352)),
	  XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  { .kind = PKT_ISATAP, .dmac = MAC_H, .smac = MAC_DEV4,
	    .ip4 = { .src = R1, .dst = H, .frag = 0x4000 }, .ip6 = IP6(D100, P_H, 63),
	    .l4 = UDP(1352) }, cfg_dyn_expired_1300, mtu_none },
	{ "icmp4: frag needed about a DF-clear packet (static mode) -> not relayed, not learned",
	  DEV_V4, ICMP4_ERR_IN(3, 4, 1200, R1, H, 0, IP6(D100, P_H, 63), UDP(1232), Q576),
	  XDP_PASS, IG_ICMP4_NOT_RELAYED, OUT_SAME, { 0 }, NULL, mtu_none },
	/* ---- the quote must be true (issue 15): only about packets tunnelled to that member ---- */
	{ "icmp4: forged time exceeded, nothing tunnelled to H -> not relayed (icmp4_no_flow)",
	  DEV_V4, ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), ECHO, 0),
	  XDP_PASS, IG_ICMP4_NO_FLOW, OUT_SAME, { 0 }, forged },
	{ "icmp4: forged unreachable, 1152-byte quote from victim D::beef -> not relayed",
	  DEV_V4, ICMP4_ERR_IN(3, 3, 0, R1, H, 0, IP6("2001:db8:dac::beef", P_H, 63),
			       UDP(1104), 0),
	  XDP_PASS, IG_ICMP4_NO_FLOW, OUT_SAME, { 0 }, forged },
	{ "icmp4: forged frag needed (MTU 1200), dynamic mode, no flow -> not relayed, no MTU",
	  DEV_V4, ICMP4_ERR_IN(3, 4, 1200, R1, H, 0x4000, IP6(D100, P_H, 63), UDP(1232), Q576),
	  XDP_PASS, IG_ICMP4_NO_FLOW, OUT_SAME, { 0 }, cfg_dyn_forged, mtu_none_dyn_restore },
	{ "icmp4: frag needed quoting DF in static mode (never set there) -> not relayed, no MTU",
	  DEV_V4, ICMP4_ERR_IN(3, 4, 1200, R1, H, 0x4000, IP6(D100, P_H, 63), UDP(1232), Q576),
	  XDP_PASS, IG_ICMP4_NOT_RELAYED, OUT_SAME, { 0 }, tunnelled, mtu_none },
	{ "icmp4: flow opened by H, nothing tunnelled to H yet -> not relayed (icmp4_no_flow)",
	  DEV_V4, ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), TCPF(3389, 49152, 0x12), 0),
	  XDP_PASS, IG_ICMP4_NO_FLOW, OUT_SAME, { 0 }, from_member_only },
	{ "icmp4: quote R1 -> H of a packet to H11's address -> icmp4_quote_mismatch", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H11, 63), ECHO, 0),
	  XDP_PASS, IG_ICMP4_QUOTE_MISMATCH, OUT_SAME, { 0 }, forged },
	{ "icmp4: quote R1 -> H of a packet to N's address -> icmp4_quote_mismatch", DEV_V4,
	  ICMP4_ERR_IN(3, 1, 0, R1, H, 0, IP6(D100, P_N, 63), TCP, 0),
	  XDP_PASS, IG_ICMP4_QUOTE_MISMATCH, OUT_SAME, { 0 }, forged },
	{ "icmp4: policy A, admitted connection (winrm-in) tunnelled -> relayed", DEV_V4,
	  ICMP4_ERR_IN(3, 1, 0, R1, H, 0, IP6(D100, P_H, 63), TCPF(49152, 5985, 0x02), 0),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(1, 3, 0, IP6(D100, P_H, 63), TCPF(49152, 5985, 0x02), 0),
	  pol_a_tunnelled, pol_clear },
	{ "icmp4: flow tunnelled before policy A, which refuses it -> not relayed (icmp4_policy)",
	  DEV_V4, ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 0),
	  XDP_PASS, IG_ICMP4_POLICY, OUT_SAME, { 0 }, tunnelled_then_pol_a, pol_clear },
	{ "icmp4: admitted under A, policy B refuses it now -> not relayed (icmp4_policy)",
	  DEV_V4, ICMP4_ERR_IN(3, 1, 0, R1, H, 0, IP6(D100, P_H, 63), TCPF(49152, 5985, 0x02), 0),
	  XDP_PASS, IG_ICMP4_POLICY, OUT_SAME, { 0 }, pol_a_tunnelled_then_b, pol_clear },
	{ "icmp4: policy A refused the quoted packet (never tunnelled) -> icmp4_no_flow", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 0),
	  XDP_PASS, IG_ICMP4_NO_FLOW, OUT_SAME, { 0 }, pol_a_refused, pol_clear },
	{ "icmp4: --flows 0, no policy: nothing to check the quote with -> icmp4_untracked",
	  DEV_V4, ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), ECHO, 0),
	  XDP_PASS, IG_ICMP4_UNTRACKED, OUT_SAME, { 0 }, no_flows_tunnelled, cfg_restore },
	{ "icmp4: --flows 0, policy A, admitted connection tunnelled -> relayed", DEV_V4,
	  ICMP4_ERR_IN(3, 1, 0, R1, H, 0, IP6(D100, P_H, 63), TCPF(49152, 5985, 0x02), 0),
	  XDP_REDIRECT, IG_ICMP4_RELAYED, OUT_EXACT,
	  RELAY_OUT(1, 3, 0, IP6(D100, P_H, 63), TCPF(49152, 5985, 0x02), 0),
	  no_flows_pol_a_tunnelled, pol_cfg_restore },
	{ "icmp4: --flows 0, policy A, no such connection -> not relayed (icmp4_no_flow)", DEV_V4,
	  ICMP4_ERR_IN(3, 1, 0, R1, H, 0, IP6(D100, P_H, 63), TCPF(49152, 5985, 0x02), 0),
	  XDP_PASS, IG_ICMP4_NO_FLOW, OUT_SAME, { 0 }, no_flows_pol_a_forged, pol_cfg_restore },
	{ "icmp4: --flows 0, policy A, H's SYN only (nothing back to H) -> icmp4_no_flow", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), TCPF(3389, 49152, 0x12), 0),
	  XDP_PASS, IG_ICMP4_NO_FLOW, OUT_SAME, { 0 }, no_flows_pol_a_from_member,
	  pol_cfg_restore },
	{ "icmp4: second error to D::100 within the interval -> icmp4_relay_rate_limited",
	  DEV_V4, ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), ECHO, 0),
	  XDP_DROP, IG_ICMP4_RELAY_RATE_LIMITED, OUT_ANY, { 0 }, tunnelled_prime },
	{ "icmp4: quote of the IPv6 header + 4 bytes -> not relayed, passed untouched", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 44),
	  XDP_PASS, IG_ICMP4_NOT_RELAYED, OUT_SAME },
	{ "icmp4: old router quoting 8 bytes of the IPv6 packet -> not relayed", DEV_V4,
	  ICMP4_ERR_IN(3, 1, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 8),
	  XDP_PASS, IG_ICMP4_NOT_RELAYED, OUT_SAME },
	{ "icmp4: bad ICMPv4 checksum -> not relayed, passed untouched", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), ECHO, 0, .icmp4.bad_csum = 1),
	  XDP_PASS, IG_ICMP4_NOT_RELAYED, OUT_SAME },
	{ "icmp4: bad outer IPv4 checksum -> not relayed, passed untouched", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), ECHO, 0,
		       .ip4.csum = PKT_CSUM_BAD),
	  XDP_PASS, IG_ICMP4_NOT_RELAYED, OUT_SAME },
	{ "icmp4: error about an ICMPv6 error (RFC 4443 2.4 e) -> not relayed", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), ICMP6_UNREACH, 0),
	  XDP_PASS, IG_ICMP4_NOT_RELAYED, OUT_SAME },
	{ "icmp4: error about the router's own RA (link-local inner source) -> not relayed",
	  DEV_V4, ICMP4_ERR_IN(3, 3, 0, R1, H, 0, IP6(LL_R1, LL_H, 255), L4_ICMP6(134), 0),
	  XDP_PASS, IG_ICMP4_NOT_RELAYED, OUT_SAME },
	{ "icmp4: inner source ::ffff:192.0.2.99 (not routable) -> not relayed", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6("::ffff:192.0.2.99", P_H, 63), TCP, 0),
	  XDP_PASS, IG_ICMP4_NOT_RELAYED, OUT_SAME },
	{ "icmp4: inner source with no route back (2001:db8:bad::1) -> not relayed", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D_NR, P_H, 63), TCP, 0),
	  XDP_PASS, IG_ICMP4_NOT_RELAYED, OUT_SAME, { 0 }, tunnelled },
	{ "icmp4: quote from H (not one of our addresses) -> pass_not_isatap4", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, H, R1, 0, IP6(P_H, D100, 63), TCP, 0),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "icmp4: quote to non-member N -> pass_not_isatap4", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, N, 0, IP6(D100, P_N, 63), TCP, 0),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "icmp4: quoted packet is UDP, not protocol 41 -> pass_not_isatap4", DEV_V4,
	  ICMP4_ERR_IN(3, 3, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 0, .q_ip4.proto = 17),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "icmp4: quoted header with IHL 6 (never ours) -> pass_not_isatap4", DEV_V4,
	  ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 0,
		       .q_ip4.opts = OPT_RTR_ALERT, .q_ip4.opts_len = 4),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "icmp4: quote of only the outer IPv4 header's first 12 bytes -> pass_not_isatap4",
	  DEV_V4, ICMP4_ERR_IN(11, 0, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 0,
			       .cut_to = 14 + 20 + 8 + 12, .ip4.tot_len_adj = -(20 + 60 - 12)),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "icmp4: echo request to R1 -> pass_not_isatap4 (the kernel answers)", DEV_V4,
	  ICMP4_ERR_IN(8, 0, 0, R1, H, 0, IP6(D100, P_H, 63), TCP, 0),
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },
	{ "icmp4: error to an address that is not the router's -> pass_not_isatap4", DEV_V4,
	  { .kind = PKT_ICMP4_ERR, .dmac = MAC_DEV4, .smac = MAC_H,
	    .ip4 = { .src = RT4, .dst = H11, .proto = 1 }, .icmp4 = { .type = 11 },
	    .q_ip4 = { .src = R1, .dst = H }, .ip6 = IP6(D100, P_H, 63), .l4 = TCP },
	  XDP_PASS, IG_PASS_NOT_ISATAP4, OUT_SAME },

	/* ---- the route mirror (bpf/route.h): decisions by prefix, FIB as fallback ---- */
	{ "route mirror: H -> D::100 under a mirrored /48 -> the mirror's next hop, no FIB", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP), XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  DECAP_FWD_RM(IP6(P_H, D100, 63), TCP), rm_on, rm_off_mirror },
	{ "route mirror: a longer prefix with nh 0 (2001:db8:dac:1::/64) -> the FIB's answer",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D_MTU, 64), TCP), XDP_REDIRECT, IG_FWD_DECAP,
	  OUT_EXACT, DECAP_FWD(IP6(P_H, D_MTU, 63), TCP), rm_on, rm_off_fib },
	{ "route mirror: packet over the next hop's MTU -> the FIB (neighbour unresolved there)",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D_NN, 64), TCP), XDP_PASS, IG_KERNEL_DECAP_NEIGH,
	  OUT_EXACT, DECAP_KERNEL(IP6(P_H, D_NN, 63), TCP), rm_on, rm_off_fib },
	{ "route mirror: built under another fwd_gen -> not used, the FIB's answer", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP), XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  DECAP_FWD(IP6(P_H, D100, 63), TCP), rm_stale_gen, rm_off_fib },
	{ "route mirror: past valid_until (its watch stopped) -> not used, the FIB's answer",
	  DEV_V4, ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP), XDP_REDIRECT, IG_FWD_DECAP,
	  OUT_EXACT, DECAP_FWD(IP6(P_H, D100, 63), TCP), rm_expired, rm_off_fib },
	{ "route mirror: IPv6 not mirrored (IPv4 only) -> the FIB's answer for D::100", DEV_V4,
	  ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCP), XDP_REDIRECT, IG_FWD_DECAP, OUT_EXACT,
	  DECAP_FWD(IP6(P_H, D100, 63), TCP), rm_v4_only, rm_off_fib },
	{ "route mirror: D::100 -> H encapsulated through the mirror's IPv4 next hop", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT_RM(IP6(D100, P_H, 63), TCP), rm_on, rm_off_mirror },
	{ "route mirror: expired, D::100 -> H encapsulated by the FIB's answer", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_REDIRECT, IG_FWD_ENCAP, OUT_ENCAP,
	  ENCAP_OUT(MAC_H, H, 0, IP6(D100, P_H, 63), TCP), rm_expired, rm_off_fib },
};
/* clang-format on */
#pragma GCC diagnostic pop

/* What the loader writes for one logical interface: vlan_in, vlan_out
 * (VLAN devices only) and tx_ports (logical ifindex -> lower ifindex). */
static int put_vlan(int lower, int logical, int ntags, __u16 p1, __u16 v1, __u16 p2, __u16 v2)
{
	struct ig_vlan_key k = { .ifindex = (__u32)lower, .outer = { p1, v1 } };
	struct ig_vlan_if d = { .ifindex = (__u32)logical };
	struct ig_vlan_port o = { .lower_ifindex = (__u32)lower, .ntags = (__u32)ntags,
				  .outer = { p1, v1 } };
	__u32 key = (__u32)logical, val = (__u32)lower;

	if (ntags == 2) {
		k.inner = (struct ig_vlan_tag){ p2, v2 };
		o.inner = k.inner;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.vlan_in), &k, &d, BPF_ANY))
		return -1;
	if (lower == logical)          /* the priority-tag entry of a real device */
		return 0;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.vlan_out), &key, &o, BPF_ANY))
		return -1;
	return bpf_map_update_elem(bpf_map__fd(skel->maps.tx_ports), &key, &val, BPF_ANY);
}

/* The logical interfaces of the rows at the end of the table (see VDEV4Q). */
static int ifindex4q, ifindex4qq;

static void cfg_v4_side(int ifindex)
{
	struct ig_config c = base_cfg;

	c.v4_ifindex = (__u32)ifindex;
	CHECK(put_config(&c) == 0, "config update: %s", strerror(errno));
}

static void cfg_v4_q1(const struct tcase *t)
{
	(void)t;
	cfg_v4_side(ifindex4q);
}

static void cfg_v4_q2(const struct tcase *t)
{
	(void)t;
	cfg_v4_side(ifindex4qq);
}

static int ifindex6q;
static int vlan_maps(void);

static int vlan_setup(void)
{
	static const char *const cmds[] = {
		"ip link add " VDEV4Q " address " MAC_DEV4 " type veth peer name " VDEV4Q "p",
		"ip link add " VDEV4QQ " address " MAC_DEV4 " type veth peer name " VDEV4QQ "p",
		"ip link add " VDEV6Q " address " MAC_DEV6 " type veth peer name " VDEV6Q "p",
		"ip link set " VDEV4Q " up",
		"ip link set " VDEV4QQ " up",
		"ip link set " VDEV6Q " up",
		"ip link set " VDEV4Q "p up",
		"ip link set " VDEV4QQ "p up",
		"ip link set " VDEV6Q "p up",
		"ip addr add 203.0.113.1/25 dev " VDEV4Q,
		"ip addr add 203.0.113.129/25 dev " VDEV4QQ,
		"ip -6 addr add 2001:db8:fe::1/64 dev " VDEV6Q " nodad",
		"ip -6 route add 2001:db8:dac:210::/64 via 2001:db8:fe::2 dev " VDEV6Q,
		"ip neigh add " Q1 " lladdr " MAC_Q1 " dev " VDEV4Q " nud permanent",
		"ip neigh add " Q2 " lladdr " MAC_Q2 " dev " VDEV4QQ " nud permanent",
		"ip -6 neigh add 2001:db8:fe::2 lladdr " MAC_NH6V " dev " VDEV6Q " nud permanent",
		"sysctl -qw net.ipv6.conf." VDEV4Q ".forwarding=1 net.ipv6.conf." VDEV4QQ ".forwarding=1"
		" net.ipv4.conf." VDEV6Q ".forwarding=1 net.ipv6.conf." VDEV6Q ".forwarding=1"
		" net.ipv4.conf." VDEV4Q ".forwarding=1 net.ipv4.conf." VDEV4QQ ".forwarding=1",
	};
	int i4q, i4qq, i6q;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (sh("%s", cmds[i]))
			return -1;
	i4q = (int)if_nametoindex(VDEV4Q);
	i4qq = (int)if_nametoindex(VDEV4QQ);
	i6q = (int)if_nametoindex(VDEV6Q);
	if (!i4q || !i4qq || !i6q) {
		fprintf(stderr, "test_datapath: VLAN stand-in devices missing\n");
		return -1;
	}
	ifindex4q = i4q;
	ifindex4qq = i4qq;
	ifindex6q = i6q;
	return vlan_maps();
}

/* The VLAN maps and members of vlan_setup()'s devices (again after a reload). */
static int vlan_maps(void)
{
	int i4q = ifindex4q, i4qq = ifindex4qq, i6q = ifindex6q, err = 0;

	err = err ?: put_vlan(ifindex4, i4q, 1, TPID_Q, 110, 0, 0);
	err = err ?: put_vlan(ifindex4, i4qq, 2, TPID_AD, 10, TPID_Q, 20);
	err = err ?: put_vlan(ifindex6, i6q, 1, TPID_Q, 210, 0, 0);
	err = err ?: put_vlan(ifindex4, ifindex4, 1, TPID_Q, 0, 0, 0);
	err = err ?: put_vlan(ifindex6, ifindex6, 1, TPID_Q, 0, 0, 0);
	err = err ?: member_update(Q1, 32, 1);
	err = err ?: member_update(Q2, 32, 1);
	base_cfg.flags |= IG_CFG_F_VLAN;
	err = err ?: put_config(&base_cfg);
	if (err)
		fprintf(stderr, "test_datapath: filling the VLAN maps failed: %s\n", strerror(errno));
	return err;
}

/* ---- replies for the independent decoder (tests/unit/check_ra.py) ------ */

/*
 * Every RA and NA the datapath produced is appended to <out>/nd-replies.pcap
 * (Ethernet, in row order) and described, from the row's *expected* frame,
 * by one line of <out>/nd-replies.expect: key=value words (values in double
 * quotes when they hold spaces; pio= may repeat):
 *   frame=N kind=ra|na name="row" smac= dmac= outer_src= outer_dst= ttl= df=0|1
 *   src= dst= hlim=  then for an RA: chlim= raflags= rlife= reach= retrans=
 *   mtu=N|none pio=prefix/len,L,A,valid,preferred ... rio=prefix/len,length,prf,lifetime ...
 *   (RFC 4191: length in units of 8 bytes, prf the 2-bit field); for an NA: target= naflags=
 * <out> is $IG_TEST_OUT, or test-out/ next to this binary (build/test-out/).
 */
static char out_dir[PATH_MAX];
static FILE *pcap_f, *expect_f;
static int nd_frames, nd_frames_want, nd_write_err;

static void nd_out_open(void)
{
	static const uint32_t hdr[6] = { 0xa1b2c3d4u, 2u | 4u << 16, 0, 0, 65535, 1 };
	char exe[PATH_MAX], path[PATH_MAX + 32];
	const char *env = getenv("IG_TEST_OUT");
	ssize_t n;

	if (env && *env) {
		snprintf(out_dir, sizeof(out_dir), "%s", env);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0) {
			fprintf(stderr, "test_datapath: /proc/self/exe: %s\n", strerror(errno));
			nd_write_err = 1;
			return;
		}
		exe[n] = 0;
		snprintf(out_dir, sizeof(out_dir), "%s/test-out", dirname(exe));
	}
	if (mkdir(out_dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "test_datapath: mkdir %s: %s\n", out_dir, strerror(errno));
		nd_write_err = 1;
		return;
	}
	snprintf(path, sizeof(path), "%s/nd-replies.pcap", out_dir);
	pcap_f = fopen(path, "wb");
	if (pcap_f && fwrite(hdr, sizeof(hdr), 1, pcap_f) != 1)
		nd_write_err = 1;
	snprintf(path, sizeof(path), "%s/nd-replies.expect", out_dir);
	expect_f = fopen(path, "w");
	if (!pcap_f || !expect_f) {
		fprintf(stderr, "test_datapath: cannot write under %s: %s\n", out_dir,
			strerror(errno));
		nd_write_err = 1;
	}
}

static void nd_out_close(void)
{
	if (pcap_f && fclose(pcap_f))
		nd_write_err = 1;
	if (expect_f && fclose(expect_f))
		nd_write_err = 1;
	pcap_f = expect_f = NULL;
}

/* Append one produced reply and what the row expects of it. */
static void nd_out_record(const struct tcase *t, const uint8_t *frame, size_t len)
{
	const struct pkt_frame *e = &t->exp;
	const struct pkt_nd *nd = &e->l4.nd;
	const struct pkt_nd_opt *o;
	uint32_t rec[4] = { (uint32_t)nd_frames + 1, 0, (uint32_t)len, (uint32_t)len };
	const char *mtu = "none";
	char mtu_buf[16], name[256];
	size_t i;

	if (!pcap_f || !expect_f)
		return;
	if (fwrite(rec, sizeof(rec), 1, pcap_f) != 1 || fwrite(frame, len, 1, pcap_f) != 1)
		nd_write_err = 1;
	nd_frames++;

	snprintf(name, sizeof(name), "%s", t->name);
	for (i = 0; name[i]; i++)
		if (name[i] == '"' || name[i] == '\\')
			name[i] = '\'';
	fprintf(expect_f, "frame=%d kind=%s name=\"%s\" smac=%s dmac=%s outer_src=%s "
		"outer_dst=%s ttl=%u df=%d src=%s dst=%s hlim=%u",
		nd_frames, e->l4.type == 134 ? "ra" : "na", name, e->smac, e->dmac,
		e->ip4.src, e->ip4.dst, e->ip4.ttl ? e->ip4.ttl : 64,
		(e->ip4.frag & 0x4000) ? 1 : 0, e->ip6.src, e->ip6.dst, e->ip6.hlim);
	if (e->l4.type == 134) {
		for (o = nd->opts; o && o->kind != PKT_OPT_END; o++)
			if (o->kind == PKT_OPT_MTU) {
				snprintf(mtu_buf, sizeof(mtu_buf), "%u", o->mtu);
				mtu = mtu_buf;
			}
		fprintf(expect_f, " chlim=%u raflags=%u rlife=%u reach=%u retrans=%u mtu=%s",
			nd->cur_hlim, nd->ra_flags, nd->router_lifetime, nd->reachable,
			nd->retrans, mtu);
		for (o = nd->opts; o && o->kind != PKT_OPT_END; o++)
			if (o->kind == PKT_OPT_PIO)
				fprintf(expect_f, " pio=%s/%u,%d,%d,%u,%u", o->prefix, o->plen,
					(o->flags & PKT_PIO_L) ? 1 : 0, (o->flags & PKT_PIO_A) ? 1 : 0,
					o->valid, o->preferred);
		for (o = nd->opts; o && o->kind != PKT_OPT_END; o++)
			if (o->kind == PKT_OPT_RIO)
				fprintf(expect_f, " rio=%s/%u,%u,%u,%u", o->prefix, o->plen, o->len,
					(o->flags >> 3) & 3, o->valid);
	} else {
		fprintf(expect_f, " target=%s naflags=0x%08x", nd->target, nd->na_flags);
	}
	if (fprintf(expect_f, "\n") < 0)
		nd_write_err = 1;
}

/* The files are complete: one frame for every RA/NA row. */
static void test_nd_out_written(void)
{
	h_begin("RA/NA frames written for tests/unit/check_ra.py");
	nd_out_close();
	CHECK(!nd_write_err, "writing under '%s' failed", out_dir);
	CHECK(nd_frames == nd_frames_want, "%d frames written, %d rows expect a reply",
	      nd_frames, nd_frames_want);
	if (!nd_write_err)
		printf("# %d RA/NA frames in %s/nd-replies.pcap, check with: "
		       "/usr/bin/python3 tests/unit/check_ra.py %s\n", nd_frames, out_dir, out_dir);
	h_end();
}

/* ---- running one row --------------------------------------------------- */

static void run_case(const struct tcase *t)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX], exp[PKT_MAX], ignore[PKT_MAX];
	__u64 pk0[IG_REASON_MAX], by0[IG_REASON_MAX], pk1[IG_REASON_MAX], by1[IG_REASON_MAX];
	size_t in_len, exp_len = 0, out_len = 0, l2;
	int err, r, action = -1;

	h_begin(t->name);
	in_len = pkt_build(&t->in, in);
	if (t->out == OUT_EXACT || t->out == OUT_ENCAP) {
		exp_len = pkt_build(&t->exp, exp);
	} else if (t->out == OUT_SAME) {
		memcpy(exp, in, in_len);
		exp_len = in_len;
	}
	memset(ignore, 0, sizeof(ignore));
	l2 = pkt_l2_len(&t->exp);
	if (t->out == OUT_ENCAP) {
		ignore[l2 + 4] = ignore[l2 + 5] = 1;   /* identification: random */
		ignore[l2 + 10] = ignore[l2 + 11] = 1; /* checksum: verified below */
	}

	CHECK(ratelimit_clear() == 0, "clearing the rate limits: %s", strerror(errno));
	if (t->before)
		t->before(t);
	CHECK(fwd_cache_invalidate() == 0, "invalidating the forwarding cache: %s", strerror(errno));
	CHECK(read_stats(pk0, by0) == 0, "reading stats: %s", strerror(errno));
	err = run_frame(in, in_len, t->dev, out, sizeof(out), &action, &out_len);
	CHECK(read_stats(pk1, by1) == 0, "reading stats: %s", strerror(errno));
	if (t->after)
		t->after(t);

	CHECK(err == 0, "BPF_PROG_TEST_RUN failed: %s", strerror(-err));
	if (err) {
		h_end();
		return;
	}

	CHECK(action == t->action, "action %s, expected %s", action_name(action),
	      action_name(t->action));

	for (r = 0; r < IG_REASON_MAX; r++) {
		__u64 dp = pk1[r] - pk0[r], db = by1[r] - by0[r];
		__u64 want = r == t->reason ? 1 : 0;

		CHECK(dp == want, "counter %s moved by %llu packets, expected %llu", reason_key[r],
		      (unsigned long long)dp, (unsigned long long)want);
		if (want)
			CHECK(db == in_len, "counter %s moved by %llu bytes, expected %zu",
			      reason_key[r], (unsigned long long)db, in_len);
	}

	if (t->out != OUT_ANY) {
		size_t i, ndiff = 0;

		if (out_len != exp_len)
			ndiff++;
		for (i = 0; i < out_len && i < exp_len; i++)
			if (out[i] != exp[i] && !ignore[i])
				ndiff++;
		CHECK(ndiff == 0, "output differs from the expected frame");
		if (ndiff)
			pkt_hexdump_diff(stderr, exp, exp_len, out, out_len, ignore);
	}
	if (t->out == OUT_ENCAP)
		CHECK(out_len >= l2 + 20 && pkt_ip4_csum_ok(out + l2),
		      "outer IPv4 header checksum invalid");
	/* check_ra.py decodes untagged frames (tagged replies are checked byte for byte) */
	if ((t->reason == IG_RD_RA_SENT || t->reason == IG_RD_NA_SENT) && t->action == XDP_TX &&
	    l2 == 14) {
		nd_frames_want++;
		if (action == XDP_TX)
			nd_out_record(t, out, out_len);
	}
	h_end();
}

/* The outer ID comes from the random generator: 16 encapsulations of the
 * same packet must not all carry the same ID. */
static void test_encap_id_varies(void)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	const struct pkt_frame f = NATIVE_IN(IP6(D100, P_H, 64), TCP);
	uint16_t first = 0, id;
	size_t in_len, out_len;
	int i, action, varied = 0, ok = 1;

	h_begin("case 14: outer IPv4 ID differs between packets");
	in_len = pkt_build(&f, in);
	for (i = 0; i < 16; i++) {
		if (run_frame(in, in_len, DEV_V6, out, sizeof(out), &action, &out_len) ||
		    action != XDP_REDIRECT || out_len < 14 + 20) {
			ok = 0;
			break;
		}
		id = (uint16_t)(out[14 + 4] << 8 | out[14 + 5]);
		if (i == 0)
			first = id;
		else if (id != first)
			varied = 1;
	}
	CHECK(ok, "encapsulation failed");
	CHECK(varied, "16 packets all carried outer ID 0x%04x", first);
	h_end();
}

/* ---- forwarding cache (bpf/forward.h) ------------------------------------ */

/* The destination MAC of a decapsulated packet to D::100, or NULL. */
static const uint8_t *decap_dmac(uint8_t *in, size_t in_len, uint8_t *out)
{
	size_t out_len;
	int action;

	if (run_frame(in, in_len, DEV_V4, out, PKT_MAX, &action, &out_len) ||
	    action != XDP_REDIRECT || out_len < 14)
		return NULL;
	return out;
}

static __u32 coherence_flags;   /* extra config flags of the coherence test */

static void set_cache_ms(__u32 ms)
{
	struct ig_config c = base_cfg;

	c.fwd_cache_ms = ms;
	c.flags |= coherence_flags;
	put_config(&c);
}

/*
 * A neighbour's new MAC: used at once after the generation bump (what the
 * loader and `isagate watch` do), while a stale decision may live at most
 * fwd_cache_ms without one; with the cache off, at once.
 */
static void test_fwd_cache_coherence(int no_flows)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	const struct pkt_frame f = ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), UDP(8));
	uint8_t old_mac[6], new_mac[6];
	cpu_set_t saved_cpus, one_cpu;
	const uint8_t *d;
	size_t in_len = pkt_build(&f, in);

	/* With flows on the decision lives in the flow's entry, without in
	 * the shared cache: both must obey the same rules. */
	coherence_flags = no_flows ? IG_CFG_F_NO_FLOWS : 0;
	h_begin(no_flows ? "forwarding cache (shared, flows off): stale at most fwd_cache_ms, "
			   "fresh after a generation bump" :
			   "forwarding decision in the flow entry: stale at most fwd_cache_ms, "
			   "fresh after a generation bump");
	/* The cache is per CPU: stay on one CPU so each run sees the same one. */
	CHECK(sched_getaffinity(0, sizeof(saved_cpus), &saved_cpus) == 0, "getaffinity");
	CPU_ZERO(&one_cpu);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one_cpu);
	CHECK(sched_setaffinity(0, sizeof(one_cpu), &one_cpu) == 0, "setaffinity");
	pkt_mac(MAC_NH6, old_mac);
	pkt_mac("02:00:00:00:ff:99", new_mac);
	set_cache_ms(300);
	CHECK(fwd_cache_invalidate() == 0, "invalidate");
	d = decap_dmac(in, in_len, out);
	CHECK(d && !memcmp(d, old_mac, 6), "first packet to the old MAC");

	CHECK(sh("ip -6 neigh replace 2001:db8:ff::2 lladdr 02:00:00:00:ff:99 dev " DEV6
		 " nud permanent") == 0, "neigh replace");
	d = decap_dmac(in, in_len, out);
	CHECK(d && !memcmp(d, old_mac, 6), "within fwd_cache_ms the cached decision is used");
	usleep(400 * 1000);
	d = decap_dmac(in, in_len, out);
	CHECK(d && !memcmp(d, new_mac, 6), "after fwd_cache_ms the new MAC is used");

	CHECK(sh("ip -6 neigh replace 2001:db8:ff::2 lladdr " MAC_NH6 " dev " DEV6
		 " nud permanent") == 0, "neigh restore");
	CHECK(fwd_cache_invalidate() == 0, "invalidate");
	d = decap_dmac(in, in_len, out);
	CHECK(d && !memcmp(d, old_mac, 6), "after a generation bump the change applies at once");

	set_cache_ms(0);
	CHECK(sh("ip -6 neigh replace 2001:db8:ff::2 lladdr 02:00:00:00:ff:99 dev " DEV6
		 " nud permanent") == 0, "neigh replace");
	d = decap_dmac(in, in_len, out);
	CHECK(d && !memcmp(d, new_mac, 6), "cache off: a FIB lookup per packet");
	CHECK(sh("ip -6 neigh replace 2001:db8:ff::2 lladdr " MAC_NH6 " dev " DEV6
		 " nud permanent") == 0, "neigh restore");
	put_config(&base_cfg);
	fwd_cache_invalidate();
	sched_setaffinity(0, sizeof(saved_cpus), &saved_cpus);
	h_end();
}

/* ---- flow accounting and refusal events (bpf/flow.h, bpf/events.h) ------ */

/* The value of one flow entry; 0 when found. */
static int flow_lookup(const struct ig_flow_key *k, struct ig_flow *v)
{
	memset(v, 0, sizeof(*v));
	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows), k, v);
}

static long flows_count(void)
{
	int fd = bpf_map__fd(skel->maps.flows);
	struct ig_flow_key k[2];
	void *prev = NULL;
	long n = 0;
	int cur = 0;

	while (bpf_map_get_next_key(fd, prev, &k[cur]) == 0) {
		n++;
		prev = &k[cur];
		cur ^= 1;
	}
	return n;
}

/* Zero a mappable array (the flow cache's maps; nothing runs meanwhile). */
static void mmap_zero(struct bpf_map *map)
{
	size_t len = (size_t)bpf_map__value_size(map) * bpf_map__max_entries(map);
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	len = (len + (size_t)page - 1) & ~((size_t)page - 1);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);
	if (p == MAP_FAILED)
		return;
	memset(p, 0, len);
	munmap(p, len);
}

/* No flow: the table, and with a flow cache its slots, logs and collector. */
static void flows_clear(void)
{
	int fd = bpf_map__fd(skel->maps.flows);
	struct ig_flow_key k;

	while (bpf_map_get_next_key(fd, NULL, &k) == 0)
		if (bpf_map_delete_elem(fd, &k))
			break;
	fd = bpf_map__fd(skel->maps.flows_folded);
	while (bpf_map_get_next_key(fd, NULL, &k) == 0)
		if (bpf_map_delete_elem(fd, &k))
			break;
	if (bpf_map__max_entries(skel->maps.flow_cache) > 1) {
		mmap_zero(skel->maps.flow_cache);
		mmap_zero(skel->maps.flow_log);
		mmap_zero(skel->maps.flow_log_pos);
		mmap_zero(skel->maps.flow_seen);
	}
}

/* A decapsulated echo request and the encapsulated reply of the same
 * conversation land in one entry, one packet counted in each direction. */
static void test_flow_both_directions(void)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	const struct pkt_frame req = ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), ECHO);
	const struct pkt_frame rep = NATIVE_IN(IP6(D100, P_H, 64),
					       { .kind = PKT_L4_ICMP6_ECHO, .type = 129, .payload_len = 56 });
	const struct pkt_frame bad = ISATAP_IN(IP4(N, R1), IP6(P_N, D100, 64), ECHO);
	struct ig_flow_key k;
	struct ig_flow f;
	size_t in_len, out_len;
	int a1 = -1, a2 = -1, a3 = -1;
	const __u32 inner = 40 + 8 + 56;

	h_begin("flow: decap request + encap reply -> one entry, both directions counted");
	ratelimit_clear();
	fwd_cache_invalidate();
	flows_clear();
	in_len = pkt_build(&req, in);
	CHECK(run_frame(in, in_len, DEV_V4, out, sizeof(out), &a1, &out_len) == 0, "run request");
	in_len = pkt_build(&rep, in);
	CHECK(run_frame(in, in_len, DEV_V6, out, sizeof(out), &a2, &out_len) == 0, "run reply");
	in_len = pkt_build(&bad, in);
	CHECK(run_frame(in, in_len, DEV_V4, out, sizeof(out), &a3, &out_len) == 0, "run refusal");
	CHECK(a1 == XDP_REDIRECT && a2 == XDP_REDIRECT && a3 == XDP_DROP,
	      "actions %s/%s/%s", action_name(a1), action_name(a2), action_name(a3));
	CHECK(flows_count() == 1, "%ld flow entries, expected 1 (refusals never create one)",
	      flows_count());
	memset(&k, 0, sizeof(k));
	pkt_in4(H, k.member);
	inet_pton(AF_INET6, P_H, k.member_addr);
	inet_pton(AF_INET6, D100, k.remote_addr);
	k.proto = 58;
	k.member_port = 0x4242;                  /* pkt.c's echo identifier */
	k.remote_port = IG_FLOW_ICMP_ECHO_PORT;
	CHECK(flow_lookup(&k, &f) == 0, "no flow entry for H <-> D echo id 0x4242");
	CHECK(f.from_member.packets == 1 && f.from_member.bytes == inner,
	      "from member: %llu pkts %llu bytes, expected 1/%u",
	      (unsigned long long)f.from_member.packets, (unsigned long long)f.from_member.bytes,
	      inner);
	CHECK(f.to_member.packets == 1 && f.to_member.bytes == inner,
	      "to member: %llu pkts %llu bytes, expected 1/%u",
	      (unsigned long long)f.to_member.packets, (unsigned long long)f.to_member.bytes, inner);
	CHECK(f.from_member.icmp_type == 128 && f.to_member.icmp_type == 129,
	      "icmp types %u/%u", f.from_member.icmp_type, f.to_member.icmp_type);
	CHECK(f.last_verdict == IG_FWD_ENCAP, "last verdict %u", f.last_verdict);
	CHECK(f.first_ns != 0, "first_ns not set");
	flows_clear();
	h_end();
}

/* One CPU's share of test_flow_two_cpus: run the frame n times there. */
struct flow_runner {
	pthread_t thread;
	int cpu;
	const uint8_t *in;
	size_t in_len;
	unsigned long n, redirected;
	int other_action;          /* the last action that was not a redirect */
	uint8_t dmac[6];
	int err;
};

static void *flow_runner_main(void *arg)
{
	struct flow_runner *r = arg;
	uint8_t out[PKT_MAX];
	size_t out_len = 0;
	cpu_set_t one;
	unsigned long i;
	int action;

	CPU_ZERO(&one);
	CPU_SET(r->cpu, &one);
	r->err = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	for (i = 0; !r->err && i < r->n; i++) {
		r->err = run_frame(r->in, r->in_len, DEV_V4, out, sizeof(out), &action, &out_len);
		if (!r->err && action == XDP_REDIRECT)
			r->redirected++;
		else if (!r->err)
			r->other_action = action;
	}
	if (out_len >= 14)
		memcpy(r->dmac, out, 6);
	return NULL;
}

/*
 * One flow carried by two CPUs at the same time: one entry, its counters
 * exact (packets and bytes are atomic adds: plain increments would lose some
 * of the concurrent updates), and the forwarding decision recorded in the
 * entry by whichever CPU came first serves both.
 */
static void test_flow_two_cpus(void)
{
	static uint8_t in[PKT_MAX];
	const struct pkt_frame req = ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), UDP(8));
	const unsigned long n = 20000;
	struct flow_runner r[2];
	int cpus = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;  /* one: the same checks on it */
	struct ig_flow_key k;
	struct ig_flow f;
	unsigned long total = 0;
	static __u64 pk0[IG_REASON_MAX], by0[IG_REASON_MAX], pk1[IG_REASON_MAX], by1[IG_REASON_MAX];
	bool short_count = false;
	uint8_t mac[6];
	size_t in_len;
	int i;

	h_begin("flow: one flow on two CPUs at once -> one entry, exact counters, shared decision");
	ratelimit_clear();
	coherence_flags = 0;
	set_cache_ms(1000);
	fwd_cache_invalidate();
	flows_clear();
	pkt_mac(MAC_NH6, mac);
	memset(r, 0, sizeof(r));
	if (read_stats(pk0, by0))
		memset(pk0, 0, sizeof(pk0));
	/* built once, before either runner starts: rebuilding it for the
	 * second runner raced with the first one reading it */
	in_len = pkt_build(&req, in);
	for (i = 0; i < 2; i++) {
		r[i].cpu = i % cpus;
		r[i].in = in;
		r[i].in_len = in_len;
		r[i].n = n;
		CHECK(pthread_create(&r[i].thread, NULL, flow_runner_main, &r[i]) == 0, "thread %d", i);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(r[i].thread, NULL);
		CHECK(!r[i].err, "runner on CPU %d: %s", r[i].cpu, strerror(abs(r[i].err)));
		CHECK(r[i].redirected == n, "CPU %d: %lu of %lu redirected (the others: action %d; "
		      "what they were counted as: below)", r[i].cpu, r[i].redirected, n,
		      r[i].other_action);
		short_count |= r[i].redirected != n;
		CHECK(!memcmp(r[i].dmac, mac, 6), "CPU %d: not to the next hop's MAC", r[i].cpu);
		total += r[i].redirected;
	}
	if (short_count && !read_stats(pk1, by1)) {
		/* what the packets that were not redirected were counted as */
		for (int rr = 0; rr < IG_REASON_MAX; rr++)
			if (pk1[rr] != pk0[rr])
				fprintf(stderr, "  # %s moved by %llu\n", reason_key[rr],
					(unsigned long long)(pk1[rr] - pk0[rr]));
	}
	CHECK(flows_count() == 1, "%ld flow entries, expected 1", flows_count());
	memset(&k, 0, sizeof(k));
	pkt_in4(H, k.member);
	inet_pton(AF_INET6, P_H, k.member_addr);
	inet_pton(AF_INET6, D100, k.remote_addr);
	k.proto = 17;
	k.member_port = 49152;                   /* UDP() */
	k.remote_port = 3389;
	CHECK(flow_lookup(&k, &f) == 0, "no flow entry for H -> D UDP");
	CHECK(f.from_member.packets == total && f.from_member.bytes == total * (40 + 8 + 8),
	      "from member: %llu pkts %llu bytes, expected %lu/%lu",
	      (unsigned long long)f.from_member.packets, (unsigned long long)f.from_member.bytes,
	      total, total * (40 + 8 + 8));
	put_config(&base_cfg);
	fwd_cache_invalidate();
	flows_clear();
	h_end();
}

/* ---- the flow cache (bpf/flowcache.h, user/lib/flowcache.c) ------------- */

#define FC_SLOTS 64    /* per CPU: 16 sets of 4 */
#define FC_FLOWS 20000 /* far more than the cache holds */

/* Frame f of FC_FLOWS distinct UDP flows H -> D100, 8 + f % 7 payload bytes. */
static size_t fc_frame(unsigned int f, uint8_t *buf)
{
	const struct pkt_frame fr =
		ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64),
			  UDPP((uint16_t)(1024 + f % 60000), (uint16_t)(3389 + f / 60000),
			       (uint16_t)(8 + f % 7)));

	return pkt_build(&fr, buf);
}

static void fc_key(unsigned int f, struct ig_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	pkt_in4(H, k->member);
	inet_pton(AF_INET6, P_H, k->member_addr);
	inet_pton(AF_INET6, D100, k->remote_addr);
	k->proto = 17;
	k->member_port = (uint16_t)(1024 + f % 60000);
	k->remote_port = (uint16_t)(3389 + f / 60000);
}

/* Fold with a collector made for the occasion (as a restarted reader is):
 * the logs and the live slots, or with logs_only the logs alone (the
 * drain of a busy watch). */
static int fc_collect(struct ig_fc_stats *st, bool logs_only)
{
	const int fd[4] = { bpf_map__fd(skel->maps.flow_cache), bpf_map__fd(skel->maps.flow_log),
			    bpf_map__fd(skel->maps.flow_log_pos),
			    bpf_map__fd(skel->maps.flow_seen) };
	struct ig_fc fc;
	int rc = ig_fc_from_fds(&fc, fd);

	if (rc <= 0)
		return rc ? rc : -ENOENT;
	if (logs_only)
		ig_fc_drain(&fc, bpf_map__fd(skel->maps.flows_folded), st);
	else
		rc = ig_fc_fold(&fc, bpf_map__fd(skel->maps.flows_folded), st);
	ig_fc_close(&fc);
	return logs_only ? 0 : rc;
}

static int fc_fold(struct ig_fc_stats *st)
{
	return fc_collect(st, false);
}

static int fc_totals(struct ig_fc_totals *t)
{
	const int fd[4] = { bpf_map__fd(skel->maps.flow_cache), bpf_map__fd(skel->maps.flow_log),
			    bpf_map__fd(skel->maps.flow_log_pos),
			    bpf_map__fd(skel->maps.flow_seen) };
	struct ig_fc fc;

	if (ig_fc_from_fds(&fc, fd) <= 0)
		return -1;
	ig_fc_totals(&fc, t);
	ig_fc_close(&fc);
	return 0;
}

/* Flow k as a reader sees it: "flows" (spilled packets) plus what the
 * collector folded; 0 when either holds it. */
static int fc_flow_get(const struct ig_flow_key *k, struct ig_flow *v)
{
	struct ig_flow w;
	int a = flow_lookup(k, v), b;

	memset(&w, 0, sizeof(w));
	b = bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows_folded), k, &w);
	if (b)
		return a;
	if (a)
		*v = w;
	else {
		v->from_member.packets += w.from_member.packets;
		v->from_member.bytes += w.from_member.bytes;
		v->to_member.packets += w.to_member.packets;
		v->to_member.bytes += w.to_member.bytes;
	}
	return 0;
}

/* Every flow f < nflows holds per_flow packets from the member, exact bytes;
 * returns the packets found in all. */
static uint64_t fc_check_flows(unsigned int nflows, unsigned long per_flow)
{
	unsigned int f, bad = 0;
	uint64_t sum = 0;
	struct ig_flow_key k;
	struct ig_flow v;

	for (f = 0; f < nflows; f++) {
		fc_key(f, &k);
		if (fc_flow_get(&k, &v)) {
			if (bad++ < 3)
				CHECK(0, "flow %u: no entry", f);
			continue;
		}
		sum += v.from_member.packets;
		if ((v.from_member.packets != per_flow ||
		     v.from_member.bytes != per_flow * (40 + 8 + 8 + f % 7)) &&
		    bad++ < 3)
			CHECK(0, "flow %u: %llu packets %llu bytes, expected %lu/%lu", f,
			      (unsigned long long)v.from_member.packets,
			      (unsigned long long)v.from_member.bytes, per_flow,
			      per_flow * (40 + 8 + 8 + f % 7));
	}
	CHECK(bad == 0, "%u of %u flows wrong", bad, nflows);
	return sum;
}

/* Packets from the member in the entries of flows f < n, whatever they hold. */
static uint64_t fc_table_packets(unsigned int n)
{
	struct ig_flow_key k;
	struct ig_flow v;
	uint64_t sum = 0;

	for (unsigned int f = 0; f < n; f++) {
		fc_key(f, &k);
		if (!fc_flow_get(&k, &v))
			sum += v.from_member.packets;
	}
	return sum;
}

static cpu_set_t fc_saved_cpus;

/* Run on cpu only (the cache and its log are per CPU) until fc_unpin(). */
static void fc_pin_cpu(int cpu)
{
	cpu_set_t one;

	sched_getaffinity(0, sizeof(fc_saved_cpus), &fc_saved_cpus);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

static void fc_unpin(void)
{
	sched_setaffinity(0, sizeof(fc_saved_cpus), &fc_saved_cpus);
}

/*
 * Many more flows than slots, round robin (every packet evicts): the table
 * is written by the collector only, and after folds by one fresh collector
 * after another every flow holds exactly what was sent.
 */
static void test_fc_churn(void)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	const unsigned long rounds = 3;
	struct ig_fc_stats st = { 0 };
	struct ig_fc_totals t;
	unsigned long sent = 0, r;
	size_t in_len, out_len;
	int action = -1, err = 0;
	unsigned int f;

	h_begin("flow cache: 20k flows round robin through 64 slots, restarted collectors "
		"draining and folding: exact");
	fc_pin_cpu(0);
	ratelimit_clear();
	flows_clear();
	for (r = 0; r < rounds && !err; r++)
		for (f = 0; f < FC_FLOWS && !err; f++) {
			in_len = fc_frame(f, in);
			err = run_frame(in, in_len, DEV_V4, out, sizeof(out), &action, &out_len);
			sent += !err && action == XDP_REDIRECT;
			if (r == 0 && f == 100)
				CHECK(flows_count() == 0,
				      "the datapath wrote %ld flow entries itself", flows_count());
			/* drains of the logs between the full folds, as a
			 * busy watch does */
			if (sent % 1000 == 0 && fc_collect(&st, sent % 3000 != 0))
				err = -1;
		}
	CHECK(!err && sent == rounds * FC_FLOWS, "sent %lu of %lu (last action %d, error %d)", sent,
	      rounds * FC_FLOWS, action, err);
	CHECK(fc_fold(&st) == 0, "final fold");
	CHECK(fc_check_flows(FC_FLOWS, rounds) == sent, "flow table total != packets sent");
	CHECK(st.packets == sent && !st.update_fail, "folded %llu packets, %llu writes failed",
	      (unsigned long long)st.packets, (unsigned long long)st.update_fail);
	CHECK(fc_totals(&t) == 0 && !t.spilled_packets && !t.pending && t.evictions > 0 &&
		      t.collected_packets == sent,
	      "totals: %llu spilled, %llu pending, %llu evictions, %llu collected",
	      (unsigned long long)t.spilled_packets, (unsigned long long)t.pending,
	      (unsigned long long)t.evictions, (unsigned long long)t.collected_packets);
	flows_clear();
	fc_unpin();
	h_end();
}

/* One CPU's share of test_fc_two_cpus: every frame, rounds times. */
struct fc_runner {
	pthread_t thread;
	int cpu;
	uint8_t (*frames)[PKT_MAX];
	size_t *lens;
	unsigned int n;
	unsigned long rounds, redirected;
	int err;
	volatile int *done;
};

static void *fc_runner_main(void *arg)
{
	struct fc_runner *r = arg;
	uint8_t out[PKT_MAX];
	size_t out_len;
	cpu_set_t one;
	int action;

	CPU_ZERO(&one);
	CPU_SET(r->cpu, &one);
	r->err = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	for (unsigned long k = 0; !r->err && k < r->rounds; k++)
		for (unsigned int f = 0; !r->err && f < r->n; f++) {
			r->err = run_frame(r->frames[f], r->lens[f], DEV_V4, out, sizeof(out),
					   &action, &out_len);
			r->redirected += !r->err && action == XDP_REDIRECT;
		}
	__atomic_add_fetch(r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The same flows on two CPUs while a collector folds without pause: its
 * live reads race the datapath's adds, evictions and refills (the seqlock
 * and flow_seen's rules).  24 flows in 64 slots: mostly hits, with the
 * evictions of the sets that get more than four.  The table plus what a full
 * log kept out adds up to what was sent, and with nothing kept out every
 * flow is exact.
 */
static void test_fc_two_cpus(void)
{
	const unsigned int n = 24;
	const unsigned long rounds = 800;
	static uint8_t frames[24][PKT_MAX];
	static size_t lens[24];
	int cpus = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
	struct ig_fc_stats st = { 0 };
	struct ig_fc_totals t0, t1;
	struct fc_runner r[2];
	volatile int done = 0;
	unsigned long total = 0, folds = 0;
	uint64_t table, spilled;
	int i;

	h_begin("flow cache: two CPUs, 24 flows, a collector folding all along: exact");
	ratelimit_clear();
	flows_clear();
	CHECK(fc_fold(&st) == 0 && fc_totals(&t0) == 0, "fold before");
	for (unsigned int f = 0; f < n; f++)
		lens[f] = fc_frame(f, frames[f]);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 2; i++) {
		r[i] = (struct fc_runner){ .cpu = i % cpus,
					   .frames = frames,
					   .lens = lens,
					   .n = n,
					   .rounds = rounds,
					   .done = &done };
		CHECK(pthread_create(&r[i].thread, NULL, fc_runner_main, &r[i]) == 0, "thread %d",
		      i);
	}
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < 2) {
		CHECK(fc_collect(&st, folds % 2) == 0, "fold %lu", folds);
		folds++;
	}
	for (i = 0; i < 2; i++) {
		pthread_join(r[i].thread, NULL);
		CHECK(!r[i].err && r[i].redirected == rounds * n,
		      "runner on CPU %d: %lu redirected, error %d", r[i].cpu, r[i].redirected,
		      r[i].err);
		total += r[i].redirected;
	}
	CHECK(fc_fold(&st) == 0 && fc_totals(&t1) == 0, "final fold");
	CHECK(folds > 1, "the collector folded %lu times while the CPUs ran", folds);
	spilled = t1.spilled_packets - t0.spilled_packets;
	table = fc_table_packets(n);
	CHECK(table == total, "the tables hold %llu packets, %lu sent (%llu spilled)",
	      (unsigned long long)table, total, (unsigned long long)spilled);
	CHECK(st.live > 0, "no live slot was folded: the race was not exercised");
	printf("# %lu folds, %llu live reads, %llu records, %llu spilled\n", folds,
	       (unsigned long long)st.live, (unsigned long long)st.records,
	       (unsigned long long)spilled);
	fc_check_flows(n, 2 * rounds);
	flows_clear();
	h_end();
}

/*
 * No collector: once a CPU's log is full, a new flow is not cached, its
 * packets go to the shared table as without the cache (counted as spilled);
 * nothing is overwritten, so after a fold every flow is exact.
 */
static void test_fc_log_full(void)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	const unsigned int n = IG_FC_LOG_RECS + 1000;
	struct ig_fc_stats st = { 0 };
	struct ig_fc_totals t0, t1;
	unsigned long sent = 0;
	size_t in_len, out_len;
	int action = -1, err = 0;
	uint64_t table, t_fold;

	h_begin("flow cache: a full log spills into the table, counted, every flow exact");
	fc_pin_cpu(0);
	ratelimit_clear();
	flows_clear();
	CHECK(fc_fold(&st) == 0 && fc_totals(&t0) == 0, "fold before");
	for (unsigned int f = 0; f < n && !err; f++) {
		in_len = fc_frame(f, in);
		err = run_frame(in, in_len, DEV_V4, out, sizeof(out), &action, &out_len);
		sent += !err && action == XDP_REDIRECT;
	}
	CHECK(!err && sent == n, "sent %lu of %u", sent, n);
	CHECK(fc_totals(&t1) == 0 && t1.pending == IG_FC_LOG_RECS,
	      "%llu records pending, expected a full log (%d)", (unsigned long long)t1.pending,
	      IG_FC_LOG_RECS);
	CHECK(t1.spilled_packets > t0.spilled_packets, "no packet counted as spilled");
	memset(&st, 0, sizeof(st));
	t_fold = ig_mono_now_ns();
	CHECK(fc_fold(&st) == 0, "fold after");
	t_fold = ig_mono_now_ns() - t_fold;
	/* what a folder costs per record (bench/README: exact under churn
	 * only while the folding keeps up with the misses) */
	printf("# folded %llu records and %llu live slots in %.1f ms\n",
	       (unsigned long long)st.records, (unsigned long long)st.live, (double)t_fold / 1e6);
	table = fc_check_flows(n, 1);
	CHECK(table == sent, "the tables hold %llu packets, %lu sent (%llu spilled)",
	      (unsigned long long)table, sent,
	      (unsigned long long)(t1.spilled_packets - t0.spilled_packets));
	flows_clear();
	fc_unpin();
	h_end();
}

static int ev_seen(void *ctx, void *data, size_t size)
{
	struct ig_event *last = ctx;

	if (size >= sizeof(*last))
		memcpy(last, data, sizeof(*last));
	return 0;
}

/* A refusal writes one event; a second one from the same source within the
 * rate-limit interval is suppressed and counted. */
/* Forget the refusal events' per-source times (bpf/events.h). */
static int ev_sources_clear(void)
{
	struct bpf_map *m = skel->maps.ev_sources;
	int fd = bpf_map__fd(m);
	__u32 i, n = bpf_map__max_entries(m);
	void *zero = calloc(1, bpf_map__value_size(m));
	int rc = zero ? 0 : -1;

	for (i = 0; !rc && i < n; i++)
		rc = bpf_map_update_elem(fd, &i, zero, BPF_ANY);
	free(zero);
	return rc;
}

/* Give every CPU its whole per-second event budget (IG_EVENT_BUDGET_PER_CPU)
 * back: the table's refusals may have spent it within the last second. */
static int ev_budget_reset(struct ig_vis_stats *vs)
{
	int fd = bpf_map__fd(skel->maps.vis_stats), c;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, vs))
		return -1;
	for (c = 0; c < ncpus; c++)
		vs[c].ev_window_ns = vs[c].ev_window_used = 0;
	return bpf_map_update_elem(fd, &zero, vs, BPF_ANY);
}

static void test_refusal_event(void)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	const struct pkt_frame bad = ISATAP_IN(IP4(N, R1), IP6(P_N, D100, 64), ECHO);
	struct ig_config cfg = base_cfg;
	struct ig_vis_stats *vs = calloc((size_t)ncpus, sizeof(*vs));
	struct ig_event ev, drained;
	struct ring_buffer *rb;
	unsigned char n4[4], p_n[16], d[16];
	__u64 supp0 = 0, supp1 = 0;
	__u32 zero = 0;
	size_t in_len, out_len;
	int act, c, got;

	h_begin("event: non-member refused -> one ring-buffer event, then rate limited");
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), ev_seen, &drained, NULL);
	CHECK(rb != NULL && vs != NULL, "ring_buffer__new: %s", strerror(errno));
	if (!rb || !vs) {
		free(vs);
		h_end();
		return;
	}
	ring_buffer__consume(rb);                /* events of the rows before */
	ring_buffer__free(rb);
	ratelimit_clear();
	CHECK(ev_sources_clear() == 0, "clearing the event sources: %s", strerror(errno));
	CHECK(ev_budget_reset(vs) == 0, "resetting the event budgets: %s", strerror(errno));
	cfg.event_min_interval_ms = 60000;
	put_config(&cfg);
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.vis_stats), &zero, vs))
		for (c = 0; c < ncpus; c++)
			supp0 += vs[c].events_suppressed;
	in_len = pkt_build(&bad, in);
	run_frame(in, in_len, DEV_V4, out, sizeof(out), &act, &out_len);
	run_frame(in, in_len, DEV_V4, out, sizeof(out), &act, &out_len);
	put_config(&base_cfg);
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.vis_stats), &zero, vs))
		for (c = 0; c < ncpus; c++)
			supp1 += vs[c].events_suppressed;

	memset(&ev, 0, sizeof(ev));
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), ev_seen, &ev, NULL);
	got = rb ? ring_buffer__consume(rb) : -1;
	ring_buffer__free(rb);
	pkt_in4(N, n4);
	inet_pton(AF_INET6, P_N, p_n);
	inet_pton(AF_INET6, D100, d);
	CHECK(got == 1, "%d events in the ring, expected 1", got);
	CHECK(ev.reason == IG_DROP_NOT_MEMBER, "reason %u, expected drop_not_member", ev.reason);
	CHECK(!memcmp(ev.outer_src, n4, 4), "outer source is not N");
	CHECK(ev.flags == (IG_EV_F_OUTER4 | IG_EV_F_INNER), "flags 0x%x", ev.flags);
	CHECK(!memcmp(ev.inner_src, p_n, 16) && !memcmp(ev.inner_dst, d, 16),
	      "inner addresses differ");
	CHECK(ev.proto == 58 && ev.len == in_len, "proto %u len %u", ev.proto, ev.len);
	CHECK(supp1 - supp0 == 1, "suppressed moved by %llu, expected 1",
	      (unsigned long long)(supp1 - supp0));
	free(vs);
	h_end();
}

/* Set every CPU's event candidates of reason: used taken this second
 * (window unchanged when keep_window, else 0: a new second starts at the
 * next refusal); the window of the first CPU in *win. */
static int ev_candidates_set(__u32 reason, __u32 used, int keep_window, __u32 *win, __u64 *held)
{
	int fd = bpf_map__fd(skel->maps.stats), c, rc = -1;
	struct ig_counter *v = calloc((size_t)ncpus, sizeof(*v));

	if (!v || bpf_map_lookup_elem(fd, &reason, v))
		goto cleanup;
	*held = 0;
	for (c = 0; c < ncpus; c++) {
		*held += v[c].ev_held;
		if (!keep_window)
			v[c].ev_window = 0;
		v[c].ev_used = used;
	}
	*win = v[0].ev_window;
	rc = bpf_map_update_elem(fd, &reason, v, BPF_ANY);
cleanup:
	free(v);
	return rc;
}

/* The event candidates of a CPU's second (beside the counter, stats.h):
 * once spent, a refusal is counted and held back, no event. */
static void test_refusal_held(void)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	const struct pkt_frame bad = ISATAP_IN(IP4(N, R1), IP6(P_N, D100, 64), ECHO);
	const __u32 r = IG_DROP_NOT_MEMBER, n = 10;
	__u64 pk0[IG_REASON_MAX], by0[IG_REASON_MAX], pk1[IG_REASON_MAX], by1[IG_REASON_MAX];
	__u64 held0 = 0, held1 = 0;
	__u32 win0 = 0, win1 = 0, i;
	struct ig_event ev;
	struct ring_buffer *rb;
	size_t in_len, out_len;
	int act, got = -1, try;

	h_begin("event: past the candidates beside the counter, refusals are held back");
	in_len = pkt_build(&bad, in);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), ev_seen, &ev, NULL);
	CHECK(rb != NULL, "ring_buffer__new: %s", strerror(errno));
	if (!rb) {
		h_end();
		return;
	}
	ring_buffer__consume(rb); /* events of the rows before */
	/* A second that ends between the setup and the last refusal starts
	 * new candidates: then try again (it cannot end three times). */
	for (try = 0; try < 3; try++) {
		/* one refusal starts this CPU's second; then its candidates
		 * are all taken, and n refusals follow */
		CHECK(ev_candidates_set(r, 0, 0, &win0, &held0) == 0, "stats: %s", strerror(errno));
		run_frame(in, in_len, DEV_V4, out, sizeof(out), &act, &out_len);
		ring_buffer__consume(rb);
		CHECK(ev_candidates_set(r, IG_EVENT_CANDIDATES_PER_CPU, 1, &win0, &held0) == 0,
		      "stats: %s", strerror(errno));
		CHECK(read_stats(pk0, by0) == 0, "reading stats");
		for (i = 0; i < n; i++)
			run_frame(in, in_len, DEV_V4, out, sizeof(out), &act, &out_len);
		got = ring_buffer__consume(rb);
		CHECK(read_stats(pk1, by1) == 0, "reading stats");
		CHECK(ev_candidates_set(r, IG_EVENT_CANDIDATES_PER_CPU, 1, &win1, &held1) == 0,
		      "stats: %s", strerror(errno));
		if (win1 == win0)
			break;
	}
	ring_buffer__free(rb);
	CHECK(act == XDP_DROP, "action %d, expected XDP_DROP", act);
	CHECK(pk1[r] - pk0[r] == n && by1[r] - by0[r] == n * in_len,
	      "drop_not_member moved by %llu packets, %llu bytes; expected %u, %zu",
	      (unsigned long long)(pk1[r] - pk0[r]), (unsigned long long)(by1[r] - by0[r]), n,
	      n * in_len);
	CHECK(held1 - held0 == n, "ev_held moved by %llu, expected %u",
	      (unsigned long long)(held1 - held0), n);
	CHECK(got == 0, "%d events in the ring, expected none", got);
	/* leave the candidates free for the rows after */
	CHECK(ev_candidates_set(r, 0, 0, &win1, &held1) == 0, "stats: %s", strerror(errno));
	h_end();
}

/* Run one frame built from f, return the action (-1 on failure). */
static int run_built(const struct pkt_frame *f, enum dev dev)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	size_t in_len = pkt_build(f, in), out_len;
	int a = -1;

	if (run_frame(in, in_len, dev, out, sizeof(out), &a, &out_len))
		return -1;
	return a;
}

static int conn_get(__u16 member_port, __u16 remote_port, __u8 proto, struct ig_conn *c)
{
	struct ig_flow_key k;

	memset(&k, 0, sizeof(k));
	pkt_in4(H, k.member);
	inet_pton(AF_INET6, P_H, k.member_addr);
	inet_pton(AF_INET6, D100, k.remote_addr);
	k.proto = proto;
	k.member_port = member_port;
	k.remote_port = remote_port;
	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.conns), &k, c);
}

/* A TCP connection through its states, RST, per-rule counters, and the
 * reject rate limit (rows clear the rate limits, hence a test of its own). */
static void test_policy_conntrack(void)
{
	const struct pkt_frame syn = ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(40000, 3389, 0x02));
	const struct pkt_frame synack = NATIVE_IN(IP6(D100, P_H, 64), TCPF(3389, 40000, 0x12));
	const struct pkt_frame fin_m = ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(40000, 3389, 0x11));
	const struct pkt_frame fin_r = NATIVE_IN(IP6(D100, P_H, 64), TCPF(3389, 40000, 0x11));
	const struct pkt_frame syn2 = ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(40001, 3389, 0x02));
	const struct pkt_frame rst = NATIVE_IN(IP6(D100, P_H, 64), TCPF(3389, 40001, 0x14));
	const struct pkt_frame dns = ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), UDPP(40002, 53, 16));
	struct ig_rule_counter cnt[IG_POLICY_SLOTS];
	struct ig_pmaps m = skel_pmaps();
	struct ig_conn c;
	int a[4];

	h_begin("policy: TCP states SYN -> established -> closing, RST, counters, reject rate limit");
	ratelimit_clear();
	fwd_cache_invalidate();
	CHECK(policy_load(POLICY_A) == 0, "loading policy A");
	CHECK(run_built(&syn, DEV_V4) == XDP_REDIRECT, "SYN not forwarded");
	CHECK(conn_get(40000, 3389, 6, &c) == 0, "no connection entry after the SYN");
	CHECK(c.state == IG_CT_SYN_SENT && c.dir == IG_PD_OUT && c.rule == 0,
	      "after SYN: state %u dir %u rule %u, expected syn-sent/out/0", c.state, c.dir, c.rule);
	CHECK(run_built(&synack, DEV_V6) == XDP_REDIRECT, "SYN-ACK not forwarded");
	CHECK(conn_get(40000, 3389, 6, &c) == 0 && c.state == IG_CT_ESTABLISHED,
	      "after SYN-ACK: state %u, expected established", c.state);
	CHECK(run_built(&fin_m, DEV_V4) == XDP_REDIRECT, "member FIN not forwarded");
	CHECK(conn_get(40000, 3389, 6, &c) == 0 && c.state == IG_CT_ESTABLISHED &&
	      c.flags == IG_CT_F_FIN_MEMBER, "after one FIN: state %u flags %#x", c.state, c.flags);
	CHECK(run_built(&fin_r, DEV_V6) == XDP_REDIRECT, "remote FIN not forwarded");
	CHECK(conn_get(40000, 3389, 6, &c) == 0 && c.state == IG_CT_CLOSING,
	      "after both FINs: state %u, expected closing", c.state);
	CHECK(run_built(&syn2, DEV_V4) == XDP_REDIRECT && run_built(&rst, DEV_V6) == XDP_REDIRECT,
	      "SYN / RST not forwarded");
	CHECK(conn_get(40001, 3389, 6, &c) == 0 && c.state == IG_CT_CLOSING,
	      "after RST: state %u, expected closing", c.state);
	a[0] = run_built(&dns, DEV_V4);
	a[1] = run_built(&dns, DEV_V4);
	CHECK(a[0] == XDP_TX && a[1] == XDP_DROP,
	      "reject twice within the ICMPv6 rate limit: %s then %s, expected XDP_TX then XDP_DROP",
	      action_name(a[0]), action_name(a[1]));
	CHECK(ig_policy_counters(&m, cnt) == 0, "reading the rule counters");
	CHECK(cnt[0].conns == 2 && cnt[0].packets == 6,
	      "rule rdp: %llu conns %llu packets, expected 2/6",
	      (unsigned long long)cnt[0].conns, (unsigned long long)cnt[0].packets);
	CHECK(cnt[5].conns == 0 && cnt[5].packets == 2,
	      "rule dns (reject): %llu conns %llu packets, expected 0/2",
	      (unsigned long long)cnt[5].conns, (unsigned long long)cnt[5].packets);
	pol_clear(NULL);
	h_end();
}

/* ---- per-source quotas (bpf/quota.h) and separate rate limits ---------- */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The vis_stats counters summed over the CPUs. */
static struct ig_vis_stats vis_sum(void)
{
	struct ig_vis_stats sum, *pc = calloc((size_t)ncpus, sizeof(*pc));
	__u32 zero = 0;
	int c;

	memset(&sum, 0, sizeof(sum));
	if (pc && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.vis_stats), &zero, pc))
		for (c = 0; c < ncpus; c++) {
			sum.flow_quota_refused += pc[c].flow_quota_refused;
			sum.conn_quota_refused += pc[c].conn_quota_refused;
			sum.quota_new_refused += pc[c].quota_new_refused;
			sum.icmp_budget_refused += pc[c].icmp_budget_refused;
		}
	free(pc);
	return sum;
}

/* What a source may create in elapsed seconds with a bucket of quota:
 * the burst, the refill, one per CPU racing, one for rounding. */
static unsigned long quota_bound(__u32 quota, double elapsed)
{
	return quota + (unsigned long)(quota * elapsed / IG_QUOTA_REFILL_S) + (unsigned long)ncpus + 1;
}

/* One member's entries in the flow table: n (not aggregate), whether it
 * has an aggregate entry, and the packets of all of them. */
static void flows_of(const char *member, long *n, int *agg, __u64 *packets)
{
	int fd = bpf_map__fd(skel->maps.flows);
	struct ig_flow_key k[2];
	unsigned char m4[4];
	struct ig_flow f;
	void *prev = NULL;
	int cur = 0;

	*n = 0;
	*agg = 0;
	*packets = 0;
	pkt_in4(member, m4);
	while (bpf_map_get_next_key(fd, prev, &k[cur]) == 0) {
		if (!memcmp(k[cur].member, m4, 4) && !flow_lookup(&k[cur], &f)) {
			if (k[cur].proto == IG_FLOW_PROTO_AGGREGATE)
				*agg = 1;
			else
				(*n)++;
			*packets += f.from_member.packets + f.to_member.packets;
		}
		prev = &k[cur];
		cur ^= 1;
	}
}

/* One member opening more flows than the whole table holds: the others'
 * flows stay, its own beyond its share are counted in its aggregate entry,
 * and every packet it sent is accounted. */
static void test_quota_flows(void)
{
	struct pkt_frame flood = ISATAP_IN(IP4(H11, R1), IP6(P_H11, D100, 64), UDPP(1, 1, 16));
	const struct pkt_frame vh = ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), UDPP(40000, 53, 16));
	const struct pkt_frame vs7 = ISATAP_IN(IP4(S7, R1), IP6(P_S7, D100, 64), UDPP(40000, 53, 16));
	const unsigned long n_flood = 70000;   /* more than the table's 65536 */
	struct ig_vis_stats v0, v1;
	unsigned long i, fwd = 0;
	double t0, el;
	long n;
	int agg;
	__u64 pk;

	h_begin("quota: one member's 70000 flows evict no one else's, all its packets accounted");
	ratelimit_clear();
	fwd_cache_invalidate();
	flows_clear();
	CHECK(base_cfg.quota_flows == IG_CFG_DEFAULT_FLOWS * IG_QUOTA_DEFAULT_PERCENT / 100,
	      "quota_flows %u, expected %u", base_cfg.quota_flows,
	      IG_CFG_DEFAULT_FLOWS * IG_QUOTA_DEFAULT_PERCENT / 100);
	CHECK(run_built(&vh, DEV_V4) == XDP_REDIRECT && run_built(&vs7, DEV_V4) == XDP_REDIRECT,
	      "the victims' packets not forwarded");
	v0 = vis_sum();
	t0 = mono_s();
	for (i = 0; i < n_flood; i++) {
		flood.l4.sport = (uint16_t)(1024 + i % 60000);
		flood.l4.dport = (uint16_t)(1 + i / 60000);
		fwd += run_built(&flood, DEV_V4) == XDP_REDIRECT;
	}
	el = mono_s() - t0;
	v1 = vis_sum();
	CHECK(fwd == n_flood, "%lu of %lu flood packets forwarded (a quota never drops a flow)",
	      fwd, n_flood);
	flows_of(H, &n, &agg, &pk);
	CHECK(n == 1 && pk == 1, "H: %ld flows, %llu packets after the flood, expected 1/1",
	      n, (unsigned long long)pk);
	flows_of(S7, &n, &agg, &pk);
	CHECK(n == 1 && pk == 1, "S7: %ld flows, %llu packets after the flood, expected 1/1",
	      n, (unsigned long long)pk);
	flows_of(H11, &n, &agg, &pk);
	CHECK(n > 0 && (unsigned long)n <= quota_bound(base_cfg.quota_flows, el),
	      "H11 holds %ld flows, expected at most %lu (its quota over %.1f s)", n,
	      quota_bound(base_cfg.quota_flows, el), el);
	CHECK(agg, "H11 has no aggregate entry");
	CHECK(pk == n_flood, "H11's entries hold %llu packets, sent %lu",
	      (unsigned long long)pk, n_flood);
	CHECK(v1.flow_quota_refused - v0.flow_quota_refused == n_flood - (unsigned long)n,
	      "flow_quota_refused moved by %llu, expected %lu",
	      (unsigned long long)(v1.flow_quota_refused - v0.flow_quota_refused),
	      n_flood - (unsigned long)n);
	flows_clear();
	h_end();
}

/* One member, then one remote /64 under an in rule, opening more
 * connections than the table holds: refused beyond their share, and the
 * connection of another member still answers. */
static void test_quota_conns(void)
{
	struct pkt_frame flood = ISATAP_IN(IP4(H11, R1), IP6(P_H11, D100, 64), TCPF(1, 3389, 0x02));
	const struct pkt_frame syn = ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64), TCPF(40000, 3389, 0x02));
	const struct pkt_frame synack = NATIVE_IN(IP6(D100, P_H, 64), TCPF(3389, 40000, 0x12));
	const struct pkt_frame syn_new = ISATAP_IN(IP4(H, R1), IP6(P_H, D100, 64),
						   TCPF(40005, 3389, 0x02));
	const unsigned long n_flood = 140000;  /* more than the table's 131072 */
	const unsigned long n_remote = 15000;
	__u64 pk0[IG_REASON_MAX], pk1[IG_REASON_MAX], by[IG_REASON_MAX];
	struct pkt_frame rflood = NATIVE_IN(IP6(NULL, P_H, 64), TCPF(50000, 5985, 0x02));
	struct ig_vis_stats v0, v1;
	char src[INET6_ADDRSTRLEN];
	unsigned long i, refused, ok;
	double t0, el;
	struct ig_conn c;

	h_begin("quota: one member's, one remote /64's connection floods refused beyond their share");
	ratelimit_clear();
	fwd_cache_invalidate();
	flows_clear();
	CHECK(policy_load(POLICY_A) == 0, "loading policy A");
	CHECK(run_built(&syn, DEV_V4) == XDP_REDIRECT, "H's SYN not forwarded");
	read_stats(pk0, by);
	v0 = vis_sum();
	t0 = mono_s();
	for (i = 0; i < n_flood; i++) {
		flood.l4.sport = (uint16_t)(1024 + i % 60000);
		flood.ip6.dst = i < 60000 ? D100 : i < 120000 ? "2001:db8:dac::101" :
			       "2001:db8:dac::102";
		run_built(&flood, DEV_V4);
	}
	el = mono_s() - t0;
	read_stats(pk1, by);
	v1 = vis_sum();
	refused = pk1[IG_DROP_CONN_QUOTA] - pk0[IG_DROP_CONN_QUOTA];
	ok = n_flood - refused;
	CHECK(ok <= quota_bound(base_cfg.quota_conns, el) && ok >= base_cfg.quota_conns,
	      "H11 opened %lu connections, expected %u..%lu (its quota over %.1f s)", ok,
	      base_cfg.quota_conns, quota_bound(base_cfg.quota_conns, el), el);
	CHECK(v1.conn_quota_refused - v0.conn_quota_refused == refused,
	      "conn_quota_refused moved by %llu, drop_conn_quota by %lu",
	      (unsigned long long)(v1.conn_quota_refused - v0.conn_quota_refused), refused);
	CHECK(conn_get(40000, 3389, 6, &c) == 0, "H's connection was evicted by the flood");
	CHECK(run_built(&synack, DEV_V6) == XDP_REDIRECT, "the SYN-ACK of H's connection refused");

	/* a remote /64 opening connections to H (winrm-in) from many addresses */
	read_stats(pk0, by);
	t0 = mono_s();
	for (i = 0; i < n_remote; i++) {
		snprintf(src, sizeof(src), "2001:db8:dac::%lx:%lx", 1 + i / 65536, i % 65536);
		rflood.ip6.src = src;
		run_built(&rflood, DEV_V6);
	}
	el = mono_s() - t0;
	read_stats(pk1, by);
	refused = pk1[IG_DROP_CONN_QUOTA] - pk0[IG_DROP_CONN_QUOTA];
	ok = n_remote - refused;
	CHECK(ok <= quota_bound(base_cfg.quota_conns, el) && ok >= base_cfg.quota_conns,
	      "the remote /64 opened %lu connections, expected %u..%lu", ok,
	      base_cfg.quota_conns, quota_bound(base_cfg.quota_conns, el));
	CHECK(run_built(&syn_new, DEV_V4) == XDP_REDIRECT,
	      "a new connection of H refused after the remote flood (its own quota is apart)");
	pol_clear(NULL);
	flows_clear();
	h_end();
}

/* A flood of ICMPv6 errors to ever new /64s evicts no router advertisement
 * limit (they live apart), sends at most the per-CPU budget of new limits a
 * second, and many addresses of one /64 share one limit. */
static void test_quota_ratelimit(void)
{
	const struct pkt_frame rs = ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS());
	struct pkt_frame hl1 = NATIVE_IN(IP6(NULL, P_H, 1), ECHO);
	const unsigned long n_flood = 70000;   /* more than ratelimit's 65536 */
	struct ig_config cfg = base_cfg;
	struct ig_vis_stats v0, v1;
	char src[INET6_ADDRSTRLEN];
	unsigned long i, sent = 0, bound;
	__u64 pk0[IG_REASON_MAX], pk1[IG_REASON_MAX], by[IG_REASON_MAX];
	double t0, el;

	h_begin("ratelimit: an ICMPv6 error flood keeps the RA limits, a /64 shares one limit");
	ratelimit_clear();
	fwd_cache_invalidate();
	/* long intervals: the test does not depend on how fast it runs */
	cfg.ra_min_interval_ms = 3600000;
	cfg.icmp_min_interval_ms = 3600000;
	put_config(&cfg);
	CHECK(run_built(&rs, DEV_V4) == XDP_TX, "H's RS not answered");
	v0 = vis_sum();
	t0 = mono_s();
	for (i = 0; i < n_flood; i++) {
		snprintf(src, sizeof(src), "2001:db8:%lx:%lx::1", 0x100 + i / 65536, i % 65536);
		hl1.ip6.src = src;
		sent += run_built(&hl1, DEV_V6) == XDP_TX;
	}
	el = mono_s() - t0;
	v1 = vis_sum();
	bound = (unsigned long)IG_RL_NEW_PER_CPU * (unsigned long)ncpus * ((unsigned long)el + 2);
	CHECK(sent > 0 && sent <= bound, "%lu errors sent to new /64s in %.1f s, expected 1..%lu",
	      sent, el, bound);
	CHECK(v1.icmp_budget_refused - v0.icmp_budget_refused == n_flood - sent,
	      "icmp_budget_refused moved by %llu, expected %lu",
	      (unsigned long long)(v1.icmp_budget_refused - v0.icmp_budget_refused), n_flood - sent);
	read_stats(pk0, by);
	CHECK(run_built(&rs, DEV_V4) == XDP_DROP, "H's RS answered again: its limit was evicted");
	read_stats(pk1, by);
	CHECK(pk1[IG_RD_RATE_LIMITED] - pk0[IG_RD_RATE_LIMITED] == 1, "rd_rate_limited not counted");

	/* one /64, many addresses: one error */
	ratelimit_clear();
	for (i = 0, sent = 0; i < 200; i++) {
		snprintf(src, sizeof(src), "2001:db8:dac::%lx", 0x1000 + i);
		hl1.ip6.src = src;
		sent += run_built(&hl1, DEV_V6) == XDP_TX;
	}
	CHECK(sent == 1, "%lu errors to 200 addresses of one /64, expected 1", sent);
	put_config(&base_cfg);
	ratelimit_clear();
	h_end();
}

/* host_log (bpf/hostlog.h): a member's answered solicitation, a
 * non-member's refused one and its refusal, as `isagate explain` reads them. */
static void test_host_log(void)
{
	const struct pkt_frame rs_h = ISATAP_IN(IP4(H, R1), IP6(LL_H, LL_R1, 255), L4_RS());
	const struct pkt_frame rs_n = ISATAP_IN(IP4(N, R2), IP6(LL_N, LL_R1, 255), L4_RS());
	const struct pkt_frame fwd = ISATAP_IN(IP4(H11, R1), IP6(P_H11, D100, 64), ECHO);
	struct ig_vis_stats *vs = calloc((size_t)ncpus, sizeof(*vs));
	int fd = bpf_map__fd(skel->maps.host_log);
	struct ig_host_log hl;
	struct ig_v4_key k;
	unsigned char r1[4], r2[4];

	h_begin("host_log: solicitations with their verdicts, refusals; forwarding writes none");
	ratelimit_clear();
	CHECK(map_clear(skel->maps.host_log) == 0, "clearing host_log");
	CHECK(vs && ev_sources_clear() == 0 && ev_budget_reset(vs) == 0, "resetting event budgets");
	pkt_in4(R1, r1);
	pkt_in4(R2, r2);
	CHECK(run_built(&rs_h, DEV_V4) == XDP_TX, "H's RS not answered");
	CHECK(run_built(&rs_h, DEV_V4) == XDP_DROP, "H's second RS not rate-limited");
	pkt_in4(H, k.addr);
	CHECK(bpf_map_lookup_elem(fd, &k, &hl) == 0, "no host_log entry for H");
	CHECK(hl.rs_count == 2 && hl.rs_reason == IG_RD_RATE_LIMITED && hl.rs_ns &&
	      !memcmp(hl.rs_router, r1, 4),
	      "H: %u solicitations, last verdict %u, expected 2 and rd_rate_limited to R1",
	      hl.rs_count, hl.rs_reason);
	CHECK(run_built(&rs_n, DEV_V4) == XDP_DROP, "N's RS not refused");
	pkt_in4(N, k.addr);
	CHECK(bpf_map_lookup_elem(fd, &k, &hl) == 0, "no host_log entry for N");
	CHECK(hl.rs_count == 1 && hl.rs_reason == IG_DROP_NOT_MEMBER && !memcmp(hl.rs_router, r2, 4),
	      "N: %u solicitations, verdict %u, expected 1 drop_not_member to R2", hl.rs_count,
	      hl.rs_reason);
	CHECK(hl.refusals == 1 && hl.refusal_reason == IG_DROP_NOT_MEMBER && hl.refusal_ns,
	      "N: %u refusals, last %u, expected 1 drop_not_member", hl.refusals, hl.refusal_reason);
	CHECK(hl.refusal_proto == 58 && hl.refusal_port == 133,
	      "N's refusal: proto %u type %u, expected ICMPv6 133", hl.refusal_proto,
	      hl.refusal_port);
	CHECK(run_built(&fwd, DEV_V4) == XDP_REDIRECT, "H11's echo not forwarded");
	pkt_in4(H11, k.addr);
	CHECK(bpf_map_lookup_elem(fd, &k, &hl) != 0, "a forwarded packet wrote host_log");
	free(vs);
	h_end();
}

/* ig_policy_match() (explain's dry run) classifies as the datapath does. */
static void test_policy_match_agrees(void)
{
	static const struct { __u8 proto; __u16 port; const char *member; } q[] = {
		{ 6, 3389, H }, { 6, 22, H }, { 17, 53, H }, { 6, 50000, H }, { 58, 128, H },
		{ 6, 3389, S7 }, { 17, 3389, H11 },
	};
	__u64 pk0[IG_REASON_MAX], pk1[IG_REASON_MAX], by[IG_REASON_MAX];
	struct ig_policy pol;
	char err[300], src6[INET6_ADDRSTRLEN];
	unsigned char m4[4], d6[16], a4[4];
	size_t i;

	h_begin("policy: ig_policy_match agrees with the datapath on new connections");
	CHECK(ig_policy_parse_buf(POLICY_A, strlen(POLICY_A), "test", &pol, err, sizeof(err)) == 0,
	      "parsing policy A: %s", err);
	CHECK(policy_load(POLICY_A) == 0, "loading policy A");
	/* no anchor: "after" rules match in neither (earlier rows made some) */
	CHECK(map_clear(skel->maps.anchors) == 0 && conns_each(0) == 0, "clearing anchors, conns");
	inet_pton(AF_INET6, D100, d6);
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		struct pkt_frame f = ISATAP_IN(IP4(q[i].member, R1), IP6(NULL, D100, 64),
					       TCPF(40100 + (uint16_t)i, q[i].port, 0x02));
		unsigned int r;
		int act, want;

		pkt_in4(q[i].member, m4);
		memcpy(a4, m4, 4);
		snprintf(src6, sizeof(src6), "2001:db8:1:8000::5efe:%02x%02x:%02x%02x", a4[0], a4[1],
			 a4[2], a4[3]);
		f.ip6.src = src6;
		if (q[i].proto == 17)
			f.l4 = (struct pkt_l4s)UDPP(40100 + (uint16_t)i, q[i].port, 16);
		else if (q[i].proto == 58)
			f.l4 = (struct pkt_l4s)ECHO_ID(0x7000 + (uint16_t)i);
		ratelimit_clear();
		r = ig_policy_match(&pol, IG_PD_OUT, q[i].proto, q[i].port, m4, d6, false);
		want = r < pol.n ? pol.rules[r].action : pol.default_action;
		read_stats(pk0, by);
		act = run_built(&f, DEV_V4);
		read_stats(pk1, by);
		if (want == IG_PA_ALLOW)
			CHECK(pk1[IG_DROP_POLICY] == pk0[IG_DROP_POLICY] &&
			      pk1[IG_POLICY_REJECT] == pk0[IG_POLICY_REJECT],
			      "query %zu (proto %u port %u from %s): userspace says allow (rule %u), "
			      "the datapath refused it (action %s)", i, q[i].proto, q[i].port,
			      q[i].member, r, action_name(act));
		else
			CHECK(pk1[want == IG_PA_REJECT ? IG_POLICY_REJECT : IG_DROP_POLICY] -
			      pk0[want == IG_PA_REJECT ? IG_POLICY_REJECT : IG_DROP_POLICY] == 1,
			      "query %zu (proto %u port %u from %s): userspace says %s (rule %u), the "
			      "datapath: %s", i, q[i].proto, q[i].port, q[i].member,
			      ig_policy_action_name((unsigned int)want), r, action_name(act));
	}
	pol_clear(NULL);
	h_end();
}

/* ig_config_build: what the loader writes for given settings, above all
 * the fast-path flags the datapath's per-packet tests depend on. */
static void test_config_build(void)
{
	struct ig_prefix_key pk[IG_MAX_PREFIXES];
	struct ig_prefix pv[IG_MAX_PREFIXES];
	uint8_t r1[4], r2[4], p[16], p2[16];
	struct ig_settings s;
	struct ig_config c;
	char err[256];

	pkt_in4(R1, r1);
	pkt_in4(R2, r2);
	pkt_in6(P_PFX, p);
	pkt_in6(P2_PFX, p2);
	if (fx_settings(&s, ifindex4, ifindex6)) {
		CHECK(0, "config build: the fixture's settings");
		return;
	}
	ig_config_build(&s, &c);
	CHECK(c.abi_version == ISAGATE_ABI_VERSION, "config build: abi_version set");
	CHECK(c.flags == (IG_CFG_F_HAS_PEERS | IG_CFG_F_SELF_FAST | IG_CFG_F_PREFIX_FAST),
	      "config build: 2 routers, a peer, 1 prefix -> HAS_PEERS|SELF_FAST|PREFIX_FAST "
	      "(flags 0x%x)", c.flags);
	CHECK(!memcmp(c.encap_src, r1, 4), "config build: the first router is the encap source");
	CHECK(!memcmp(c.self_v4[0], r1, 4) && !memcmp(c.self_v4[1], r2, 4),
	      "config build: both own addresses in the config");
	CHECK(!memcmp(c.prefix64[0], p, 8) && !memcmp(c.prefix64[1], p, 8),
	      "config build: one prefix fills both slots");
	CHECK(c.v4_ifindex == (__u32)ifindex4 && c.v6_ifindex == (__u32)ifindex6,
	      "config build: the sides' ifindexes");
	CHECK(c.tunnel_mtu == IG_CFG_DEFAULT_MTU && c.ttl == IG_CFG_DEFAULT_TTL &&
	      c.ra_hop_limit == IG_CFG_DEFAULT_RA_HOPLIMIT &&
	      c.ra_router_lifetime == IG_CFG_DEFAULT_RA_LIFETIME &&
	      c.ra_mtu == IG_CFG_DEFAULT_MTU && c.ra_min_interval_ms == IG_CFG_DEFAULT_RA_MIN_MS &&
	      c.icmp_min_interval_ms == IG_CFG_DEFAULT_ICMP_MIN_MS &&
	      c.event_min_interval_ms == IG_CFG_DEFAULT_EVENT_MIN_MS &&
	      c.fwd_cache_ms == IG_CFG_DEFAULT_FWD_CACHE_MS && c.n_prefixes == 1,
	      "config build: the defaults");

	/* one own address: the second slot repeats it; no peers, flows off,
	 * dynamic MTU, values from the settings */
	ig_settings_init(&s);
	if (ig_settings_set(&s, "router", R1, err, sizeof(err)) ||
	    ig_settings_set(&s, "prefix", P_PFX "/64", err, sizeof(err)) ||
	    ig_settings_set(&s, "prefix", P2_PFX "/64", err, sizeof(err)) ||
	    ig_settings_set(&s, "flows", "0", err, sizeof(err)) ||
	    ig_settings_set(&s, "dynamic-mtu", "yes", err, sizeof(err)) ||
	    ig_settings_set(&s, "ttl", "32", err, sizeof(err)) ||
	    ig_settings_set(&s, "ra-retrans", "250", err, sizeof(err)) ||
	    ig_settings_set(&s, "onlink", "yes", err, sizeof(err))) {
		CHECK(0, "config build: settings: %s", err);
		return;
	}
	ig_config_build(&s, &c);
	CHECK(c.flags == (IG_CFG_F_SELF_FAST | IG_CFG_F_PREFIX_FAST | IG_CFG_F_NO_FLOWS |
			  IG_CFG_F_DYNAMIC_MTU),
	      "config build: 1 router, no peer, flows 0, dynamic-mtu -> "
	      "SELF_FAST|PREFIX_FAST|NO_FLOWS|DYNAMIC_MTU (flags 0x%x)", c.flags);
	CHECK(!memcmp(c.self_v4[0], r1, 4) && !memcmp(c.self_v4[1], r1, 4),
	      "config build: one own address repeats in the unused slot");
	CHECK(!memcmp(c.prefix64[0], p, 8) && !memcmp(c.prefix64[1], p2, 8) &&
	      c.n_prefixes == 2, "config build: two prefixes in RA order");
	CHECK(c.ttl == 32 && c.ra_retrans_ms == 250, "config build: ttl and ra-retrans carried");
	ig_prefixes_build(&s, pk, pv);
	CHECK(!memcmp(pk[0].prefix, p, 8) && !memcmp(pk[1].prefix, p2, 8) &&
	      pv[0].index == 0 && pv[1].index == 1 &&
	      pv[0].flags == IG_PREFIX_F_ONLINK && pv[1].flags == IG_PREFIX_F_ONLINK &&
	      pv[1].valid_lifetime == IG_CFG_DEFAULT_VALID_LT &&
	      pv[1].preferred_lifetime == IG_CFG_DEFAULT_PREFERRED_LT,
	      "config build: prefix entries carry order, L flag and lifetimes");

	/* more own addresses or prefixes than the config holds: the datapath
	 * looks them up in their maps; a VLAN side sets IG_CFG_F_VLAN */
	if (ig_settings_set(&s, "router", R2, err, sizeof(err)) ||
	    ig_settings_set(&s, "router", "192.0.2.4", err, sizeof(err)) ||
	    ig_settings_set(&s, "prefix", "2001:db8:1:8002::/64", err, sizeof(err))) {
		CHECK(0, "config build: settings: %s", err);
		return;
	}
	s.ipv6_vlan.ntags = 1;
	ig_config_build(&s, &c);
	CHECK(!(c.flags & (IG_CFG_F_SELF_FAST | IG_CFG_F_PREFIX_FAST)) && c.n_prefixes == 3,
	      "config build: 3 routers, 3 prefixes -> neither fast path (flags 0x%x)", c.flags);
	CHECK(c.flags & IG_CFG_F_VLAN, "config build: a VLAN side -> IG_CFG_F_VLAN");
}

int main(void)
{
	size_t i;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		fprintf(stderr, "test_datapath: must run as root (network namespace, BPF)\n");
		return 1;
	}
	if (setup_netns() || load_skel(0) || setup_maps() || vlan_setup()) {
		if (skel)
			isagate_bpf__destroy(skel);
		return 1;
	}
	nd_out_open();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_encap_id_varies();
	test_fwd_cache_coherence(0);
	test_fwd_cache_coherence(1);
	test_flow_both_directions();
	test_flow_two_cpus();
	test_refusal_event();
	test_refusal_held();
	test_policy_conntrack();
	test_quota_flows();
	test_quota_conns();
	test_quota_ratelimit();
	test_host_log();
	test_policy_match_agrees();
	test_nd_out_written();
	RUN(test_config_build);
	/* last: the same datapath with a flow cache */
	isagate_bpf__destroy(skel);
	skel = NULL;
	if (load_skel(FC_SLOTS) || setup_maps() || vlan_maps()) {
		if (skel)
			isagate_bpf__destroy(skel);
		return 1;
	}
	/* every rule again, the flow table now the collector's */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_fc_churn();
	test_fc_two_cpus();
	test_fc_log_full();

	rc = h_summary();
	isagate_bpf__destroy(skel);
	return rc;
}
