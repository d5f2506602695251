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
 * errors the router generates included).  Rows that change state
 * (membership, config, sysctls, redirect ports) restore it afterwards and the
 * ICMPv6 rate limits are cleared before every row, so every row is
 * independent of the others.
 *
 * Run as root: build/test_datapath.  Prints "ok - name" / "not ok - name"
 * per row, failures with a hex diff, and ends with "N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "isagate.h"
#include "isagate.skel.h"
#include "harness.h"
#include "pkt.h"

/* ---- the topology ------------------------------------------------------ */

#define DEV4      "igt4"             /* router, IPv4 side */
#define DEV4_PEER "igt4p"
#define DEV6      "igt6"             /* router, IPv6 side */
#define DEV6_PEER "igt6p"

#define MAC_DEV4  "02:00:00:00:04:01"
#define MAC_DEV4P "02:00:00:00:04:02"
#define MAC_DEV6  "02:00:00:00:06:01"
#define MAC_DEV6P "02:00:00:00:06:02"
#define MAC_H     "02:00:00:00:0a:0a" /* member H, PERMANENT neighbour of 192.0.2.10 */
#define MAC_NH6   "02:00:00:00:ff:02" /* IPv6 next hop 2001:db8:ff::2, PERMANENT */

#define R1    "192.0.2.1"           /* router address, encap source */
#define R2    "192.0.2.2"           /* second cluster address */
#define PEER  "192.0.2.3"           /* another ISATAP router */
#define H     "192.0.2.10"          /* member */
#define H11   "192.0.2.11"          /* member whose IPv4 neighbour is unresolved */
#define N     "192.0.2.66"          /* non-member */
#define S7    "198.51.100.7"        /* member through the 198.51.100.0/24 entry; no IPv4 route */

#define P_H   "2001:db8:1:8000::5efe:c000:20a"      /* P::5efe:192.0.2.10 */
#define P_HU  "2001:db8:1:8000:200:5efe:c000:20a"   /* u-bit form */
#define P_H11 "2001:db8:1:8000::5efe:c000:20b"
#define P_N   "2001:db8:1:8000::5efe:c000:242"
#define P_S7  "2001:db8:1:8000::5efe:c633:6407"
#define P_R1  "2001:db8:1:8000::5efe:c000:201"
#define P_R2  "2001:db8:1:8000::5efe:c000:202"
#define P_R2U "2001:db8:1:8000:200:5efe:c000:202"
#define P_PEER "2001:db8:1:8000::5efe:c000:203"
#define LL_H  "fe80::5efe:c000:20a"
#define LL_R1 "fe80::5efe:c000:201"
#define D100  "2001:db8:dac::100"
#define D_MTU "2001:db8:dac:1::1"   /* route with a locked MTU of 1280 */
#define D_NN  "2001:db8:dad::1"     /* route via 2001:db8:ff::3, no neighbour */
#define D_BH  "2001:db8:b1ac::1"    /* blackhole route */
#define D_NR  "2001:db8:bad::1"     /* no route at all */
#define R6    "2001:db8:ff::1"      /* the router's own IPv6 address */

/* ---- frame shorthands -------------------------------------------------- */

#define TCP      { .kind = PKT_L4_TCP_SYN, .sport = 49152, .dport = 3389 }
#define ECHO     { .kind = PKT_L4_ICMP6_ECHO, .payload_len = 56 }
#define ICMP6_UNREACH { .kind = PKT_L4_ICMP6_ECHO, .type = 1, .payload_len = 48 }
#define UDP(n)   { .kind = PKT_L4_UDP, .sport = 49152, .dport = 3389, .payload_len = (n) }
#define NOL4     { .kind = PKT_L4_NONE }

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
/* ICMPv6 errors (RFC 4443 §3.3, §3.2) quoting the packet built from qip6/ql4. */
#define TIME_EXCEEDED(qip6, ql4)                                               \
	{ .kind = PKT_L4_ICMP6_ERR, .type = 3, .code = 0, .info = 0,           \
	  .q_ip6 = &(const struct pkt_ip6)qip6, .q_l4 = &(const struct pkt_l4s)ql4 }
#define TOO_BIG(mtu, qip6, ql4)                                                \
	{ .kind = PKT_L4_ICMP6_ERR, .type = 2, .code = 0, .info = (mtu),       \
	  .q_ip6 = &(const struct pkt_ip6)qip6, .q_l4 = &(const struct pkt_l4s)ql4 }

static const uint8_t OPT_RTR_ALERT[4] = { 0x94, 0x04, 0x00, 0x00 };
static const uint8_t OPT_NOP40[40] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};

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

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "test_datapath: '%s' failed (status %d)\n", cmd, rc);
	return rc;
}

static int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f) {
		fprintf(stderr, "test_datapath: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fputs(val, f) < 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc)
		fprintf(stderr, "test_datapath: writing %s failed\n", path);
	return rc;
}

static int setup_netns(void)
{
	static const char *const cmds[] = {
		"ip link set lo up",
		"ip link add " DEV4 " address " MAC_DEV4 " type veth peer name " DEV4_PEER
		" address " MAC_DEV4P,
		"ip link add " DEV6 " address " MAC_DEV6 " type veth peer name " DEV6_PEER
		" address " MAC_DEV6P,
		"ip link set " DEV4 " up",
		"ip link set " DEV4_PEER " up",
		"ip link set " DEV6 " up",
		"ip link set " DEV6_PEER " up",
		"ip addr add " R1 "/24 dev " DEV4,
		"ip addr add " R2 "/24 dev " DEV4,
		"ip -6 addr add " R6 "/64 dev " DEV6 " nodad",
		"ip -6 route add 2001:db8:dac::/64 via 2001:db8:ff::2 dev " DEV6,
		"ip -6 route add 2001:db8:dac:1::/64 via 2001:db8:ff::2 dev " DEV6 " mtu lock 1280",
		"ip -6 route add 2001:db8:dad::/64 via 2001:db8:ff::3 dev " DEV6,
		"ip -6 route add blackhole 2001:db8:b1ac::/48",
		"ip -6 route add 2002::/16 via 2001:db8:ff::2 dev " DEV6,
		"ip neigh add " H " lladdr " MAC_H " dev " DEV4 " nud permanent",
		"ip -6 neigh add 2001:db8:ff::2 lladdr " MAC_NH6 " dev " DEV6 " nud permanent",
	};
	static const char *const sysctls[] = {
		"/proc/sys/net/ipv6/conf/all/forwarding",
		"/proc/sys/net/ipv4/conf/all/forwarding",
		"/proc/sys/net/ipv6/conf/" DEV4 "/forwarding",
		"/proc/sys/net/ipv6/conf/" DEV6 "/forwarding",
		"/proc/sys/net/ipv4/conf/" DEV4 "/forwarding",
		"/proc/sys/net/ipv4/conf/" DEV6 "/forwarding",
	};
	size_t i;

	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_datapath: unshare(CLONE_NEWNET): %s (run as root)\n",
			strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (sh("%s", cmds[i]))
			return -1;
	for (i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++)
		if (write_file(sysctls[i], "1"))
			return -1;
	ifindex4 = (int)if_nametoindex(DEV4);
	ifindex6 = (int)if_nametoindex(DEV6);
	if (!ifindex4 || !ifindex6) {
		fprintf(stderr, "test_datapath: test interfaces missing\n");
		return -1;
	}
	return 0;
}

/* ---- maps -------------------------------------------------------------- */

static struct ig_config base_cfg;

static int put_router(const char *a, __u32 flags, __u32 index)
{
	struct ig_v4_key k;
	struct ig_router v = { .flags = flags, .index = index };

	pkt_in4(a, k.addr);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.routers), &k, &v, BPF_ANY);
}

static int member_update(const char *a, __u32 plen, int add)
{
	struct ig_v4_lpm_key k = { .prefixlen = plen };
	struct ig_member v;

	memset(&v, 0, sizeof(v));
	v.flags = plen < 32 ? IG_MEMBER_F_SUBNET : 0;
	pkt_in4(a, k.addr);
	if (add)
		return bpf_map_update_elem(bpf_map__fd(skel->maps.members), &k, &v, BPF_ANY);
	return bpf_map_delete_elem(bpf_map__fd(skel->maps.members), &k);
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
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, c, BPF_ANY);
}

static int setup_maps(void)
{
	struct ig_prefix_key pk;
	struct ig_prefix pv = { .flags = IG_PREFIX_F_ONLINK, .index = 0,
				.valid_lifetime = IG_CFG_DEFAULT_VALID_LT,
				.preferred_lifetime = IG_CFG_DEFAULT_PREFERRED_LT };
	uint8_t p6[16];
	int err = 0;

	memset(&base_cfg, 0, sizeof(base_cfg));
	base_cfg.abi_version = ISAGATE_ABI_VERSION;
	pkt_in4(R1, base_cfg.encap_src);
	base_cfg.v4_ifindex = (__u32)ifindex4;
	base_cfg.v6_ifindex = (__u32)ifindex6;
	base_cfg.tunnel_mtu = IG_CFG_DEFAULT_MTU;
	base_cfg.ttl = IG_CFG_DEFAULT_TTL;
	base_cfg.ra_hop_limit = IG_CFG_DEFAULT_RA_HOPLIMIT;
	base_cfg.ra_router_lifetime = IG_CFG_DEFAULT_RA_LIFETIME;
	base_cfg.ra_mtu = IG_CFG_DEFAULT_MTU;
	base_cfg.ra_min_interval_ms = IG_CFG_DEFAULT_RA_MIN_MS;
	base_cfg.icmp_min_interval_ms = IG_CFG_DEFAULT_ICMP_MIN_MS;
	base_cfg.n_prefixes = 1;

	pkt_in6("2001:db8:1:8000::", p6);
	memcpy(pk.prefix, p6, sizeof(pk.prefix));

	err = err ?: put_config(&base_cfg);
	err = err ?: put_router(R1, IG_ROUTER_F_SELF, 0);
	err = err ?: put_router(R2, IG_ROUTER_F_SELF, 1);
	err = err ?: put_router(PEER, IG_ROUTER_F_PEER, 2);
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.prefixes), &pk, &pv, BPF_ANY);
	err = err ?: member_update(H, 32, 1);
	err = err ?: member_update(H11, 32, 1);
	err = err ?: member_update("198.51.100.0", 24, 1);
	err = err ?: port_update(ifindex4, 1);
	err = err ?: port_update(ifindex6, 1);
	if (err)
		fprintf(stderr, "test_datapath: filling the maps failed: %s\n", strerror(errno));
	return err;
}

static int load_skel(void)
{
	struct bpf_map *m;
	int err;

	skel = isagate_bpf__open();
	if (!skel) {
		fprintf(stderr, "test_datapath: opening the BPF object failed: %s\n",
			strerror(errno));
		return -1;
	}
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

/* Forget every rate-limit entry, so no row depends on the ones before. */
static int ratelimit_clear(void)
{
	int fd = bpf_map__fd(skel->maps.ratelimit);
	struct ig_ratelimit_key k;

	while (bpf_map_get_next_key(fd, NULL, &k) == 0)
		if (bpf_map_delete_elem(fd, &k))
			return -1;
	return 0;
}

/*
 * What the loader does when routes or neighbours change: bump the
 * forwarding cache's generation, so each row sees the FIB as it is now.
 */
static int fwd_cache_invalidate(void)
{
	int fd = bpf_map__fd(skel->maps.fwd_gen);
	__u32 zero = 0;
	__u64 gen = 0;

	if (bpf_map_lookup_elem(fd, &zero, &gen))
		return -1;
	gen++;
	return bpf_map_update_elem(fd, &zero, &gen, BPF_ANY);
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

/* ---- the table --------------------------------------------------------- */

/* Rows are positional: {name, dev, in, action, reason[, out, exp[, before, after]]};
 * trailing members left out are zero (OUT_ANY, no hooks). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct tcase cases[] = {
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
	{ "encap: hop limit 1 from a multicast source -> no error, drop_hoplimit", DEV_V6,
	  NATIVE_IN(IP6("ff0e::1", P_H, 1), UDP(8)), XDP_DROP, IG_DROP_HOPLIMIT },
	{ "encap: payload length beyond the frame -> drop_trunc_inner", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64, .plen_adj = 8), TCP), XDP_DROP, IG_DROP_TRUNC_INNER },
	{ "encap: subnet member 198.51.100.7 with no IPv4 route -> drop_no_route", DEV_V6,
	  NATIVE_IN(IP6(D100, P_S7, 64), TCP), XDP_DROP, IG_DROP_NO_ROUTE },
	{ "encap: member 192.0.2.11 with no IPv4 neighbour -> drop_enc_no_neigh", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H11, 64), TCP), XDP_DROP, IG_DROP_ENC_NO_NEIGH },
	{ "encap: IPv4 egress not in tx_ports -> drop_enc_no_dev", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_DROP, IG_DROP_ENC_NO_DEV,
	  OUT_ANY, { 0 }, port4_del, port4_add },
	{ "encap: IPv4 forwarding off on the ingress device -> drop_fwd_disabled", DEV_V6,
	  NATIVE_IN(IP6(D100, P_H, 64), TCP), XDP_DROP, IG_DROP_FWD_DISABLED,
	  OUT_ANY, { 0 }, fwd4_off, fwd4_on },

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
};
#pragma GCC diagnostic pop

/* ---- running one row --------------------------------------------------- */

static void run_case(const struct tcase *t)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX], exp[PKT_MAX], ignore[PKT_MAX];
	__u64 pk0[IG_REASON_MAX], by0[IG_REASON_MAX], pk1[IG_REASON_MAX], by1[IG_REASON_MAX];
	size_t in_len, exp_len = 0, out_len = 0;
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
	if (t->out == OUT_ENCAP) {
		ignore[14 + 4] = ignore[14 + 5] = 1;   /* identification: random */
		ignore[14 + 10] = ignore[14 + 11] = 1; /* checksum: verified below */
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
		CHECK(out_len >= 14 + 20 && pkt_ip4_csum_ok(out + 14),
		      "outer IPv4 header checksum invalid");
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

int main(void)
{
	size_t i;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		fprintf(stderr, "test_datapath: must run as root (network namespace, BPF)\n");
		return 1;
	}
	if (setup_netns() || load_skel() || setup_maps()) {
		if (skel)
			isagate_bpf__destroy(skel);
		return 1;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_encap_id_varies();

	rc = h_summary();
	isagate_bpf__destroy(skel);
	return rc;
}
