// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_datapath.c - a mutation fuzzer for the XDP datapath, driven through
 * BPF_PROG_TEST_RUN.
 *
 * Setup as tests/unit/test_datapath.c: a private network namespace
 * (unshare), two veth pairs for the router's sides, PERMANENT neighbours,
 * the skeleton loaded unpinned, the maps filled by hand.  Seeds are frames
 * built by tests/unit/pkt.c (decap member/non-member/peer, encap
 * member/non-member/loop, RS, NS, MLD, fragments, IPv4 options, ICMPv6
 * errors, ECN, VLAN, ARP, ...).  Each execution takes a seed, applies 1-6
 * random mutations (bit flips, interesting byte values, truncation,
 * extension, IPv4/IPv6/ICMPv6 field tweaks, length and checksum repair),
 * sometimes toggles the membership of the address under admission, a
 * forwarding port, or (every 2048 executions) the configuration, and runs
 * the program as if received on one of the two devices.
 *
 * Invariants, checked on EVERY execution (the per-CPU "stats" map is read
 * with one batch lookup after each run and compared with the previous
 * snapshot, not sampled):
 *   accounting  exactly one reason counter moved, by one packet and by the
 *               frame's length in bytes;
 *   action      the action is DROP, PASS, TX or REDIRECT (never ABORTED) and
 *               is the one that reason implies (PASS_* -> PASS, DROP_* ->
 *               DROP, FWD_* -> REDIRECT, KERNEL_DECAP_* -> PASS, RA/NA/ICMPv6
 *               errors -> TX); PASS_* leaves the frame untouched;
 *   wellformed  every frame that leaves (TX, REDIRECT) or is handed to the
 *               kernel decapsulated is Ethernet + IPv4 (IHL 5, valid header
 *               checksum, total length = frame, no fragment, protocol 41,
 *               inner IPv6 whose payload length matches) or Ethernet + IPv6
 *               (payload length matches); forwarded packets are the input's
 *               IPv6 packet byte for byte except the hop limit (one less) and
 *               RFC 6040 CE marking; messages the router generates carry a
 *               valid ICMPv6 checksum and ICMPv6 errors quote the input;
 *   admission   nothing leaves whose admission failed: decapsulated (and
 *               RA/NA/ICMPv6 replies tunnelled back) only from a member or a
 *               configured peer to one of the router's own addresses, with
 *               an inner source that embeds the outer source (or a peer),
 *               and not to a link-local, multicast, looping or (unless
 *               allowed) 6to4 destination; encapsulated only to
 *               <ISATAP prefix>::[200:]5efe:a.b.c.d with a.b.c.d a member and
 *               not a router; no ICMPv6 error about an ICMPv6 error; no
 *               ICMPv4 error relayed (and no member MTU learned from one)
 *               unless its quote is true: the quoted inner destination
 *               embeds the quoted member under the prefix, the flow table
 *               holds the quoted packet's flow with packets tunnelled to
 *               that member (read back from the map after the run: the
 *               relay never creates flows), with a policy loaded the
 *               connection table its connection, and with --flows 0
 *               nothing is relayed without a policy;
 *   side        nothing is decapsulated, answered (RA, NA, ICMPv6 errors
 *               tunnelled back) or relayed from ICMPv4 unless it arrived on
 *               the IPv4 side (config v4_ifindex: on a two-armed config
 *               nothing from the IPv6 side; the loop also runs one-armed
 *               configurations on either device), and never from an outer
 *               source that is one of the router's own addresses;
 *   encap-src   nothing from the IPv6 side is tunnelled (or answered with a
 *               generated error) whose source is multicast, ::/96,
 *               ::ffff:0:0/96, link-local or under the ISATAP prefix.
 *
 * On a violation: the seed, the execution number and the context are
 * printed with a hex dump of the input (and output), the input is saved
 * under the crash directory (build/fuzz-crashes/), and the program exits 1.
 * `--replay FILE --dev 4|6` runs one saved frame with the base settings.
 *
 * Usage: build/fuzz_datapath [--seconds N] [--iterations N] [--seed S]
 *                            [--crash-dir DIR] [--replay FILE --dev 4|6]
 * Ends with "N passed, N failed", one test per invariant class.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "isagate.h"
#include "isagate.skel.h"
#include "common.h"
#include "config.h"
#include "pkt.h"
#include "ra.h"
#include "policy.h"
#include "netns_fixture.h"

#define FRAME_MAX 3000          /* below BPF_PROG_TEST_RUN's XDP limit */
#define OUT_MAX   (PKT_MAX + 512)

enum dev { DEV_V4, DEV_V6 };
enum inv { INV_ACCOUNTING, INV_ACTION, INV_WELLFORMED, INV_ADMISSION, INV_SIDE,
	   INV_ENCAP_SRC, INV_MAX };
static const char *const inv_name[INV_MAX] = { "accounting", "action", "wellformed",
					       "admission", "side", "encap-src" };

static const char *const reason_key[IG_REASON_MAX] = {
#define IG_X_KEY(name, key, text) [IG_##name] = key,
	IG_REASONS(IG_X_KEY)
#undef IG_X_KEY
};

/* ---- seeds ------------------------------------------------------------- */

#define IP4(s, d, ...)     { .src = (s), .dst = (d), .id = 0x1234, __VA_ARGS__ }
#define IP6(s, d, hl, ...) { .src = (s), .dst = (d), .hlim = (hl), __VA_ARGS__ }
#define TCP   { .kind = PKT_L4_TCP_SYN, .sport = 49152, .dport = 3389 }
#define ECHO  { .kind = PKT_L4_ICMP6_ECHO, .payload_len = 56 }
#define UDP(n) { .kind = PKT_L4_UDP, .sport = 49152, .dport = 3389, .payload_len = (n) }
#define IN4(ip4_, ip6_, l4_, ...)                                              \
	{ .kind = PKT_ISATAP, .dmac = MAC_DEV4, .smac = MAC_H, .ip4 = ip4_,    \
	  .ip6 = ip6_, .l4 = l4_, __VA_ARGS__ }
#define IN6(ip6_, l4_, ...)                                                    \
	{ .kind = PKT_IPV6, .dmac = MAC_DEV6, .smac = MAC_NH6, .ip6 = ip6_,    \
	  .l4 = l4_, __VA_ARGS__ }
#define ERR(t, qip6, ql4)                                                      \
	{ .kind = PKT_L4_ICMP6_ERR, .type = (t), .q_ip6 = &(const struct pkt_ip6)qip6, \
	  .q_l4 = &(const struct pkt_l4s)ql4 }
/* ICMPv4 error from a router on the way to H about a packet R1 tunnelled to H. */
#define ICMP4_IN(type_, code_, mtu_, qfrag, qip6, ql4, qcut)                   \
	{ .kind = PKT_ICMP4_ERR, .dmac = MAC_DEV4, .smac = MAC_H,             \
	  .ip4 = { .src = "192.0.2.254", .dst = R1, .proto = 1 },              \
	  .icmp4 = { .type = (type_), .code = (code_), .mtu = (mtu_) },         \
	  .q_ip4 = { .src = R1, .dst = H, .frag = (qfrag) },                    \
	  .ip6 = qip6, .l4 = ql4, .inner_cut = (qcut) }
#define SLLA(m) { .kind = PKT_OPT_SLLA, .mac = (m) }
#define OPTS(...) ((const struct pkt_nd_opt[]){ __VA_ARGS__, { 0 } })

static const uint8_t OPT_RTR_ALERT[4] = { 0x94, 0x04, 0x00, 0x00 };

struct seed {
	enum dev dev;
	struct pkt_frame f;
};

static const struct seed seed_defs[] = {
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D100, 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D100, 64), ECHO) },
	{ DEV_V4, IN4(IP4(H, R2), IP6(LL_H, D100, 64), UDP(100)) },
	{ DEV_V4, IN4(IP4(N, R1), IP6(P_N, D100, 64), TCP) },
	{ DEV_V4, IN4(IP4(S7, R1), IP6(P_S7, D100, 64), TCP) },
	{ DEV_V4, IN4(IP4(PEER, R1), IP6("2001:db8:5::1", D100, 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(LL_H, "ff02::2", 255),
		      { .kind = PKT_L4_ND, .type = 133, .nd.opts = OPTS(SLLA(MAC_H)) }) },
	{ DEV_V4, IN4(IP4(H, R1), IP6("::", "ff02::2", 255), { .kind = PKT_L4_ND, .type = 133 }) },
	{ DEV_V4, IN4(IP4(N, R1), IP6(LL_N, LL_R1, 255), { .kind = PKT_L4_ND, .type = 133 }) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(LL_H, LL_R1, 255),
		      { .kind = PKT_L4_ND, .type = 135, .nd.target = LL_R1 }) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(LL_H, "ff02::16", 1), { .kind = PKT_L4_ND, .type = 143 }) },
	{ DEV_V4, IN4(IP4(H, R1, .frag = 0x2000), IP6(P_H, D100, 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1, .frag = 0x4000), IP6(P_H, D100, 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1, .opts = OPT_RTR_ALERT, .opts_len = 4), IP6(P_H, D100, 64), ECHO) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D100, 1), TCP) },
	{ DEV_V4, IN4(IP4(H, R1, .opts = OPT_RTR_ALERT, .opts_len = 4), IP6(P_H, D100, 1), UDP(40)) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D100, 1),
		      ERR(1, IP6(D100, P_H, 60), TCP)) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D100, 64), ERR(3, IP6(D100, P_H, 1), ECHO)) },
	{ DEV_V4, IN4(IP4(H, R1, .tos = 3), IP6(P_H, D100, 64, .tclass = 0x01), TCP) },
	{ DEV_V4, IN4(IP4(H, R1, .tos = 3), IP6(P_H, D100, 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D_NN, 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D_BH, 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D_NR, 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, R6, 64), ECHO) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D_MTU, 64), UDP(1300)) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, "2002:c000:20a::1", 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, P_R1, 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D100, 64), TCP, .inner_cut = 30) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D100, 64), TCP, .pad_to = 120) },
	{ DEV_V4, IN4(IP4(H, R1), IP6(P_H, D100, 64), TCP, .vlan_tci = 5) },
	{ DEV_V4, IN4(IP4(H, "192.0.2.99"), IP6(P_H, D100, 64), TCP) },
	{ DEV_V4, IN4(IP4(H, R1, .proto = 17), IP6(P_H, D100, 64), TCP) },
	{ DEV_V4, ICMP4_IN(11, 0, 0, 0, IP6(D100, P_H, 63), ECHO, 0) },
	{ DEV_V4, ICMP4_IN(3, 4, 1400, 0x4000, IP6(D100, P_H, 63), UDP(1352), 528) },
	{ DEV_V4, ICMP4_IN(3, 4, 0, 0x4000, IP6(D100, P_H, 63), UDP(1200), 528) },
	{ DEV_V4, ICMP4_IN(3, 1, 0, 0, IP6(D100, P_H, 63), TCP, 48) },
	{ DEV_V4, { .kind = PKT_ARP, .dmac = "ff:ff:ff:ff:ff:ff", .smac = MAC_H,
		    .ip4 = { .src = H, .dst = R1 } } },
	{ DEV_V6, IN6(IP6(D100, P_H, 64), TCP) },
	{ DEV_V6, IN6(IP6(D100, P_H, 64), ECHO) },   /* the flows the ICMP4_IN seeds quote */
	{ DEV_V6, IN6(IP6(D100, P_HU, 64), ECHO) },
	{ DEV_V6, IN6(IP6(D100, P_N, 64), TCP) },
	{ DEV_V6, IN6(IP6(D100, P_S7, 64), TCP) },
	{ DEV_V6, IN6(IP6(D100, P_H11, 64), TCP) },
	{ DEV_V6, IN6(IP6(D100, P_R2U, 64), TCP) },
	{ DEV_V6, IN6(IP6(D100, P_H, 1), UDP(20)) },
	{ DEV_V6, IN6(IP6(D100, P_H, 64), UDP(1300)) },
	{ DEV_V6, IN6(IP6(D100, P_H, 1), ERR(1, IP6(P_H, D100, 60), TCP)) },
	{ DEV_V6, IN6(IP6(D100, P_H, 64, .tclass = 0xb9), TCP) },
	{ DEV_V6, IN6(IP6(D100, "2001:db8:1:8000::1", 64), TCP) },
	{ DEV_V6, IN6(IP6(D100, P_H, 64), TCP, .vlan_tci = 7) },
	{ DEV_V6, IN6(IP6(D100, P_H, 64), TCP, .pad_to = 100) },
	/* issue 15: protocol 41 and ND on the IPv6 side, the router's own
	 * address as outer source, IPv6-side sources decapsulation refuses */
	{ DEV_V6, IN4(IP4(H, R1), IP6(P_H, D100, 64), TCP) },
	{ DEV_V6, IN4(IP4(H, R1), IP6(LL_H, LL_R1, 255), { .kind = PKT_L4_ND, .type = 133 }) },
	{ DEV_V6, ICMP4_IN(11, 0, 0, 0, IP6(D100, P_H, 63), ECHO, 0) },
	{ DEV_V4, IN4(IP4(R1, R1), IP6(P_R1, D100, 64), TCP) },
	{ DEV_V4, IN4(IP4(R2, R1), IP6(LL_R2, LL_R1, 255), { .kind = PKT_L4_ND, .type = 133 }) },
	{ DEV_V6, IN6(IP6(LL_H11, P_H, 64), TCP) },
	{ DEV_V6, IN6(IP6(P_H11, P_H, 64), ECHO) },
	{ DEV_V6, IN6(IP6(P_R1, P_H, 1), UDP(20)) },
	{ DEV_V6, IN6(IP6("::ffff:192.0.2.99", P_H, 64), TCP) },
	{ DEV_V6, IN6(IP6("ff0e::1", P_H, 64), UDP(8)) },
	{ DEV_V6, IN6(IP6(D100, P_H, 64), { .kind = PKT_L4_ICMP6_ECHO, .type = 129,
					    .payload_len = 56 }) },
};
#define NSEEDS (sizeof(seed_defs) / sizeof(seed_defs[0]))

static uint8_t seed_buf[NSEEDS][PKT_MAX];
static size_t seed_len[NSEEDS];

/* ---- state --------------------------------------------------------------- */

static struct isagate_bpf *skel;
static int ifindex4, ifindex6, ncpus;
static struct ig_config cfg;           /* what the config map holds now */
static struct ig_config base_cfg;
static uint8_t a_r1[4], a_r2[4], a_peer[4], a_h[4], a_h11[4], a_n[4], a_s7[4];
static uint8_t pfx_p[8];
static int h_member = 1, h11_member = 1; /* /32 host entries of the base set */
static uint8_t extra_member[4];          /* a /32 added for one execution */
static int extra_on;
static struct ig_counter *stats_buf;     /* IG_REASON_MAX * ncpus */
static __u64 snap_pk[IG_REASON_MAX], snap_by[IG_REASON_MAX];
static __u64 reason_hist[IG_REASON_MAX];
static int batch_ok = 1;
static int policy_on;                    /* a policy is loaded (random_policy) */
static const char *crash_dir = "build/fuzz-crashes";
static int no_save;                      /* --replay: do not save again */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* ---- environment ------------------------------------------------------- */



static int setup_netns(void)
{
	return fx_netns_up(&ifindex4, &ifindex6);
}

static int load_skel(void)
{
	struct bpf_map *m;
	int err;

	skel = isagate_bpf__open();
	if (!skel) {
		fprintf(stderr, "fuzz_datapath: opening the BPF object: %s\n", strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(m, skel->obj) {
		err = bpf_map__set_pin_path(m, NULL);
		if (err) {
			fprintf(stderr, "fuzz_datapath: unpinning %s: %s\n", bpf_map__name(m),
				strerror(-err));
			return -1;
		}
	}
	/* A small flow table: the fuzzer creates many flows. */
	bpf_map__set_max_entries(skel->maps.flows, 4096);
	err = isagate_bpf__load(skel);
	if (err) {
		fprintf(stderr, "fuzz_datapath: loading the BPF object: %s\n", strerror(-err));
		return -1;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return -1;
	stats_buf = calloc((size_t)ncpus * IG_REASON_MAX, sizeof(*stats_buf));
	return stats_buf ? 0 : -1;
}

/* ---- maps ---------------------------------------------------------------- */

static int host_member(const uint8_t a[4], int add)
{
	struct ig_v4_key k;
	struct ig_member v;
	int fd = bpf_map__fd(skel->maps.members);

	memset(&v, 0, sizeof(v));
	memcpy(k.addr, a, 4);
	if (add ? bpf_map_update_elem(fd, &k, &v, BPF_ANY) : bpf_map_delete_elem(fd, &k))
		return -1;
	return ig_gen_bump(bpf_map__fd(skel->maps.config), IG_GEN_MEMBERS); /* as the loader does */
}

static int port(int ifindex, int add)
{
	__u32 k = (__u32)ifindex, v = (__u32)ifindex;
	int fd = bpf_map__fd(skel->maps.tx_ports);

	return add ? bpf_map_update_elem(fd, &k, &v, BPF_ANY) : bpf_map_delete_elem(fd, &k);
}

static int put_config(const struct ig_config *c)
{
	cfg = *c;
	return ig_config_store(bpf_map__fd(skel->maps.config), c); /* as the loader does */
}

static int put_router(const uint8_t a[4], __u32 flags, __u32 index)
{
	struct ig_v4_key k;
	struct ig_router v = { .flags = flags, .index = index };

	memcpy(k.addr, a, 4);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.routers), &k, &v, BPF_ANY);
}

static int setup_maps(void)
{
	static struct ig_ra_template t;
	struct ig_settings set;
	struct ig_prefix_key pk;
	struct ig_prefix pv;
	char why[256] = "";
	struct ig_v4_lpm_key nk = { .prefixlen = 24, .addr = { 198, 51, 100, 0 } };
	struct ig_member mv;
	uint8_t p6[16];
	__u32 zero = 0;
	int err = 0;

	pkt_in4(R1, a_r1); pkt_in4(R2, a_r2); pkt_in4(PEER, a_peer); pkt_in4(H, a_h);
	pkt_in4(H11, a_h11); pkt_in4(N, a_n); pkt_in4(S7, a_s7);
	pkt_in6(P_PFX, p6);
	memcpy(pfx_p, p6, 8);

	/* the loader's derivation from the topology's settings (its fast
	 * paths included; random_config() varies them), without the RS and
	 * ICMPv6 error rate limits, so that the replies get explored */
	if (fx_settings(&set, ifindex4, ifindex6) ||
	    ig_settings_set(&set, "ra-interval", "0", why, sizeof(why))) {
		fprintf(stderr, "fuzz_datapath: the settings: %s\n", why);
		return -1;
	}
	ig_config_build(&set, &base_cfg);
	base_cfg.icmp_min_interval_ms = 0;
	ig_prefixes_build(&set, &pk, &pv);

	memset(&mv, 0, sizeof(mv));
	mv.flags = IG_MEMBER_F_SUBNET;
	err = err ?: put_config(&base_cfg);
	err = err ?: put_router(a_r1, IG_ROUTER_F_SELF, 0);
	err = err ?: put_router(a_r2, IG_ROUTER_F_SELF, 1);
	err = err ?: put_router(a_peer, IG_ROUTER_F_PEER, 2);
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.prefixes), &pk, &pv, BPF_ANY);
	if (!err && ig_ra_build(&base_cfg, &pk, &pv, 1, NULL, 0, &t)) {
		errno = EINVAL;
		err = -1;
	}
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.ra_tmpl), &zero, &t, BPF_ANY);
	err = err ?: host_member(a_h, 1);
	err = err ?: host_member(a_h11, 1);
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.member_nets), &nk, &mv, BPF_ANY);
	err = err ?: ig_gen_bump(bpf_map__fd(skel->maps.config), IG_GEN_MEMBERS);
	err = err ?: port(ifindex4, 1);
	err = err ?: port(ifindex6, 1);
	if (err)
		fprintf(stderr, "fuzz_datapath: filling the maps failed: %s\n", strerror(errno));
	return err;
}

/* The mirror of the membership maps. */
static int is_member(const uint8_t a[4])
{
	if (extra_on && !memcmp(a, extra_member, 4))
		return 1;
	if (!memcmp(a, a_h, 4))
		return h_member;
	if (!memcmp(a, a_h11, 4))
		return h11_member;
	return a[0] == 198 && a[1] == 51 && a[2] == 100;
}

static int is_self(const uint8_t a[4])
{
	return !memcmp(a, a_r1, 4) || !memcmp(a, a_r2, 4);
}

/* A router address for the loop rules (RFC 6324).  The loader sets
 * IG_CFG_F_HAS_PEERS exactly when the routers map holds peers; the loop
 * keeps the peer entry while it toggles the flag, so the peer counts only
 * while the flag says there are peers. */
static int is_router(const uint8_t a[4])
{
	return is_self(a) || ((cfg.flags & IG_CFG_F_HAS_PEERS) && !memcmp(a, a_peer, 4));
}

static int is_peer_admitted(const uint8_t a[4])
{
	return (cfg.flags & IG_CFG_F_HAS_PEERS) && !memcmp(a, a_peer, 4);
}

/* Sum the per-CPU stats into pk/by: one batch lookup (or one per key). */
static int read_stats(__u64 pk[IG_REASON_MAX], __u64 by[IG_REASON_MAX])
{
	int fd = bpf_map__fd(skel->maps.stats);
	__u32 keys[IG_REASON_MAX], out_batch, r;
	__u32 count = IG_REASON_MAX;
	int c, err = -1;

	if (batch_ok) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		err = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, stats_buf, &count, &o);
		if ((err && errno != ENOENT) || count != IG_REASON_MAX) {
			batch_ok = 0;
			err = -1;
		} else {
			err = 0;
		}
	}
	if (err) {
		for (r = 0; r < IG_REASON_MAX; r++) {
			keys[r] = r;
			if (bpf_map_lookup_elem(fd, &r, stats_buf + (size_t)r * ncpus))
				return -1;
		}
	}
	for (r = 0; r < IG_REASON_MAX; r++) {
		__u32 k = keys[r];

		if (k >= IG_REASON_MAX)
			return -1;
		pk[k] = by[k] = 0;
		for (c = 0; c < ncpus; c++) {
			pk[k] += stats_buf[(size_t)r * ncpus + c].packets;
			by[k] += stats_buf[(size_t)r * ncpus + c].bytes;
		}
	}
	return 0;
}

static int run_frame(const uint8_t *in, size_t in_len, enum dev dev, uint8_t *out,
		     int *action, size_t *out_len)
{
	struct xdp_md md;
	int err;

	memset(&md, 0, sizeof(md));
	md.data_end = (__u32)in_len;
	md.ingress_ifindex = (__u32)(dev == DEV_V4 ? ifindex4 : ifindex6);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (__u32)in_len,
		    .data_out = out, .data_size_out = OUT_MAX, .ctx_in = &md,
		    .ctx_size_in = sizeof(md), .repeat = 1);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_isagate), &opts);
	if (err)
		return -errno;
	*action = (int)opts.retval;
	*out_len = opts.data_size_out;
	return 0;
}

/* ---- byte helpers -------------------------------------------------------- */

static uint16_t g16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void p16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* Sum of the IPv6 pseudo-header + the upper layer at ip6 + 40, l4_len bytes. */
static uint16_t l4_sum6(const uint8_t *ip6, size_t l4_len, uint8_t nh)
{
	uint8_t ph[40];

	memcpy(ph, ip6 + 8, 32);
	ph[32] = (uint8_t)(l4_len >> 24);
	ph[33] = (uint8_t)(l4_len >> 16);
	ph[34] = (uint8_t)(l4_len >> 8);
	ph[35] = (uint8_t)l4_len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = nh;
	return pkt_csum_partial(ip6 + 40, l4_len, pkt_csum_partial(ph, sizeof(ph), 0));
}

static int is_isatap_iid(const uint8_t *a)
{
	return (a[8] | 0x02) == 0x02 && a[9] == 0 && a[10] == 0x5e && a[11] == 0xfe;
}

static int is_ll(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static int is_ll64(const uint8_t *a)
{
	static const uint8_t ll[8] = { 0xfe, 0x80 };

	return !memcmp(a, ll, 8);
}

/* The frame's IPv4 / IPv6 header offsets (-1 when absent). */
struct layout {
	int ip4, ip6;           /* outer IPv4 (protocol 41) and the IPv6 after it, or native IPv6 */
	size_t ihl;
};

static struct layout layout_of(const uint8_t *b, size_t len)
{
	struct layout l = { -1, -1, 0 };
	uint16_t et;

	if (len < 14)
		return l;
	et = g16(b + 12);
	if (et == 0x0800 && len >= 34) {
		l.ip4 = 14;
		l.ihl = (size_t)(b[14] & 0x0f) * 4;
		if (l.ihl >= 20 && 14 + l.ihl + 40 <= len)
			l.ip6 = 14 + (int)l.ihl;
	} else if (et == 0x86dd && len >= 54) {
		l.ip6 = 14;
	}
	return l;
}

/* ---- mutations ----------------------------------------------------------- */

static const uint8_t interesting[] = { 0, 0xff, 0x29, 0x3a, 0x86, 0xdd, 0x01, 0x02, 0x80,
				       0x7f, 0x40, 0x45, 0x60, 0x08, 0x85, 0x87, 0xfe, 0x5e };

static const char *const v4_pool[] = { H, H11, N, S7, R1, R2, PEER, "0.0.0.0",
				       "255.255.255.255", "192.0.2.99" };
static const uint8_t nh_pool[] = { 0, 6, 17, 58, 59, 43, 44, 60, 41, 4 };
static const uint8_t icmp_pool[] = { 133, 135, 1, 2, 3, 4, 128, 129, 134, 136, 143, 0, 255 };

static void fix_ip4_csum(uint8_t *b, size_t len, const struct layout *l)
{
	if (l->ip4 < 0 || l->ihl < 20 || 14 + l->ihl > len)
		return;
	p16(b + 24, 0);
	p16(b + 24, (uint16_t)~pkt_csum_partial(b + 14, l->ihl, 0));
}

static void fix_icmp6_csum(uint8_t *b, size_t len, const struct layout *l)
{
	uint8_t *ip6;
	size_t plen;

	if (l->ip6 < 0)
		return;
	ip6 = b + l->ip6;
	if (ip6[6] != 58)
		return;
	plen = g16(ip6 + 4);
	if ((size_t)l->ip6 + 40 + plen > len)
		plen = len - (size_t)l->ip6 - 40;
	if (plen < 4)
		return;
	p16(ip6 + 42, 0);
	p16(ip6 + 42, (uint16_t)~l4_sum6(ip6, plen, 58));
}

/* ICMPv4 (protocol 1): the IPv4 total length and both checksums; 1 when done. */
static int repair_icmp4(uint8_t *b, size_t len, const struct layout *l)
{
	size_t off;

	if (l->ip4 < 0 || b[23] != 1 || l->ihl < 20 || 14 + l->ihl + 4 > len)
		return 0;
	off = 14 + l->ihl;
	p16(b + 16, (uint16_t)(len - 14));
	p16(b + off + 2, 0);
	p16(b + off + 2, (uint16_t)~pkt_csum_partial(b + off, len - off, 0));
	fix_ip4_csum(b, len, l);
	return 1;
}

/* Make the lengths consistent with the frame and the checksums right. */
static void repair(uint8_t *b, size_t len)
{
	struct layout l = layout_of(b, len);

	if (repair_icmp4(b, len, &l))
		return;
	if (l.ip6 >= 0)
		p16(b + l.ip6 + 4, (uint16_t)(len - (size_t)l.ip6 - 40));
	if (l.ip4 >= 0)
		p16(b + 16, (uint16_t)(len - 14));
	fix_icmp6_csum(b, len, &l);
	fix_ip4_csum(b, len, &l);
}

static void set_addr6_v4(uint8_t *a)
{
	pkt_in4(v4_pool[rn(sizeof(v4_pool) / sizeof(v4_pool[0]))], a + 12);
}

static void mutate_one(uint8_t *b, size_t *len)
{
	struct layout l = layout_of(b, *len);
	size_t n = *len, pos;
	uint8_t *ip6;

	switch (rn(16)) {
	case 0: /* bit flip, mostly in the headers */
		pos = rn(2) ? rn((uint32_t)(n < 120 ? n : 120)) : rn((uint32_t)n);
		b[pos] ^= (uint8_t)(1u << rn(8));
		break;
	case 1: /* interesting byte */
		pos = rn(2) ? rn((uint32_t)(n < 120 ? n : 120)) : rn((uint32_t)n);
		b[pos] = interesting[rn(sizeof(interesting))];
		break;
	case 2: /* random byte */
		b[rn((uint32_t)n)] = (uint8_t)rnd();
		break;
	case 3: /* truncate */
		if (n > 14)
			*len = 14 + rn((uint32_t)(n - 14));
		break;
	case 4: { /* extend with random bytes */
		size_t add = 1 + rn(rn(4) ? 64 : 1400), i;

		if (n + add > FRAME_MAX)
			add = FRAME_MAX - n;
		for (i = 0; i < add; i++)
			b[n + i] = (uint8_t)rnd();
		*len = n + add;
		break;
	}
	case 5: /* IPv4: IHL / version */
		if (l.ip4 < 0)
			break;
		if (rn(4))
			b[14] = (uint8_t)((b[14] & 0xf0) | rn(16));
		else
			b[14] = (uint8_t)((rn(16) << 4) | (b[14] & 0x0f));
		break;
	case 6: /* IPv4: total length, fragment bits, TOS/ECN */
		if (l.ip4 < 0)
			break;
		switch (rn(4)) {
		case 0: p16(b + 16, (uint16_t)(g16(b + 16) + (int)rn(17) - 8)); break;
		case 1: p16(b + 16, (uint16_t)rnd()); break;
		case 2: p16(b + 20, (uint16_t)(rn(2) ? rnd() : (rn(2) ? 0x2000 : 0x4000))); break;
		default: b[15] = (uint8_t)((b[15] & ~3) | rn(4)); break;
		}
		break;
	case 7: /* IPv4: addresses and protocol */
		if (l.ip4 < 0)
			break;
		switch (rn(3)) {
		case 0: pkt_in4(v4_pool[rn(sizeof(v4_pool) / sizeof(v4_pool[0]))], b + 26); break;
		case 1: pkt_in4(v4_pool[rn(sizeof(v4_pool) / sizeof(v4_pool[0]))], b + 30); break;
		default: b[23] = nh_pool[rn(sizeof(nh_pool))]; break;
		}
		break;
	case 8: /* IPv6: payload length */
		if (l.ip6 < 0)
			break;
		ip6 = b + l.ip6;
		p16(ip6 + 4, rn(2) ? (uint16_t)(g16(ip6 + 4) + (int)rn(17) - 8) : (uint16_t)rnd());
		break;
	case 9: /* IPv6: next header, hop limit, traffic class, version */
		if (l.ip6 < 0)
			break;
		ip6 = b + l.ip6;
		switch (rn(4)) {
		case 0: ip6[6] = nh_pool[rn(sizeof(nh_pool))]; break;
		case 1: ip6[7] = (uint8_t)(rn(2) ? rn(3) : (rn(2) ? 255 : rnd())); break;
		case 2: ip6[1] = (uint8_t)((ip6[1] & 0xcf) | rn(4) << 4); break;
		default: ip6[0] = (uint8_t)((rn(16) << 4) | (ip6[0] & 0x0f)); break;
		}
		break;
	case 10: /* IPv6: the 5efe IID and embedded IPv4 of source or destination */
		if (l.ip6 < 0)
			break;
		ip6 = b + l.ip6 + (rn(2) ? 8 : 24);
		switch (rn(4)) {
		case 0: ip6[8] ^= 0x02; break;
		case 1: ip6[10] ^= (uint8_t)(1u << rn(8)); break;
		case 2: set_addr6_v4(ip6); break;
		default: ip6[11] = interesting[rn(sizeof(interesting))]; break;
		}
		break;
	case 11: { /* IPv6: whole addresses */
		static const char *const pool[] = { P_H, P_HU, P_N, P_S7, P_R1, P_R2U, LL_H,
						    LL_R1, "::", "::1", "ff02::2", "ff02::1",
						    D100, D_NN, R6, "2002::1", "::ffff:192.0.2.10",
						    "fe80::1", "2001:db8:1:8001::5efe:c000:20a" };
		if (l.ip6 < 0)
			break;
		pkt_in6(pool[rn(sizeof(pool) / sizeof(pool[0]))], b + l.ip6 + (rn(2) ? 8 : 24));
		break;
	}
	case 12: /* ICMPv6 type/code/body */
		if (l.ip6 < 0 || (size_t)l.ip6 + 44 > n)
			break;
		ip6 = b + l.ip6;
		switch (rn(3)) {
		case 0: ip6[40] = icmp_pool[rn(sizeof(icmp_pool))]; ip6[6] = 58; break;
		case 1: ip6[41] = (uint8_t)rn(3); break;
		default: b[l.ip6 + 40 + rn((uint32_t)(n - (size_t)l.ip6 - 40))] =
				interesting[rn(sizeof(interesting))]; break;
		}
		break;
	case 13: /* Ethernet type / VLAN */
		p16(b + 12, rn(2) ? (rn(2) ? 0x0800 : 0x86dd) : (rn(2) ? 0x8100 : (uint16_t)rnd()));
		break;
	case 14: /* ND option length / type */
		if (l.ip6 < 0 || (size_t)l.ip6 + 50 > n)
			break;
		pos = (size_t)l.ip6 + 40 + 8 + rn((uint32_t)(n - (size_t)l.ip6 - 48));
		b[pos] = (uint8_t)rn(6);
		break;
	default: /* splice a block of another seed */
	{
		unsigned s = rn(NSEEDS);
		size_t off = rn((uint32_t)n), cnt = 1 + rn(32);

		if (off + cnt > n)
			cnt = n - off;
		if (off + cnt <= seed_len[s])
			memcpy(b + off, seed_buf[s] + off, cnt);
		break;
	}
	}
}

/* ---- checks -------------------------------------------------------------- */

struct ctx {
	uint64_t seed, iter;
	enum dev dev;
	unsigned seed_idx;
	const uint8_t *in;
	size_t in_len;
	const uint8_t *out;
	size_t out_len;
	int action, reason;
	char ctxt[160];
};

static int failed[INV_MAX];

static void hexdump(FILE *f, const char *tag, const uint8_t *b, size_t len)
{
	size_t i;

	fprintf(f, "%s (%zu bytes):\n", tag, len);
	for (i = 0; i < len; i++)
		fprintf(f, "%02x%s", b[i], (i % 32 == 31 || i + 1 == len) ? "\n" : "");
}

static void save_crash(const struct ctx *c)
{
	char path[512];
	FILE *f;

	if (no_save)
		return;
	if (mkdir(crash_dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "fuzz_datapath: cannot create %s: %s\n", crash_dir, strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/seed%llu-iter%llu-dev%d.bin", crash_dir,
		 (unsigned long long)c->seed, (unsigned long long)c->iter,
		 c->dev == DEV_V4 ? 4 : 6);
	f = fopen(path, "wb");
	if (!f || fwrite(c->in, 1, c->in_len, f) != c->in_len) {
		fprintf(stderr, "fuzz_datapath: cannot write %s\n", path);
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	fprintf(stderr, "saved %s (replay: build/fuzz_datapath --replay %s --dev %d)\n", path, path,
		c->dev == DEV_V4 ? 4 : 6);
}

static int violation(const struct ctx *c, enum inv inv, const char *fmt, ...)
{
	va_list ap;

	failed[inv]++;
	fprintf(stderr, "VIOLATION [%s] seed %llu execution %llu (seed frame %u, dev %s, %s): ",
		inv_name[inv], (unsigned long long)c->seed, (unsigned long long)c->iter,
		c->seed_idx, c->dev == DEV_V4 ? DEV4 : DEV6, c->ctxt);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  action %d, reason %s\n", c->action,
		c->reason >= 0 ? reason_key[c->reason] : "?");
	hexdump(stderr, "input", c->in, c->in_len);
	if (c->out)
		hexdump(stderr, "output", c->out, c->out_len);
	save_crash(c);
	return -1;
}

static int reason_action(int r)
{
	switch (r) {
	case IG_PASS_NOT_IP: case IG_PASS_VLAN: case IG_PASS_NOT_ISATAP4: case IG_PASS_NOT_ISATAP6:
	case IG_KERNEL_DECAP_NEIGH: case IG_KERNEL_DECAP_DEV:
	case IG_ICMP4_RELAY_KERNEL: case IG_ICMP4_NOT_RELAYED:
	case IG_ICMP4_QUOTE_MISMATCH: case IG_ICMP4_NO_FLOW: case IG_ICMP4_UNTRACKED:
	case IG_ICMP4_POLICY:
		return XDP_PASS;
	case IG_FWD_DECAP: case IG_FWD_ENCAP: case IG_ICMP4_RELAYED:
		return XDP_REDIRECT;
	case IG_RD_RA_SENT: case IG_RD_NA_SENT: case IG_ICMP_TIME_EXCEEDED: case IG_ICMP_TOO_BIG:
	case IG_POLICY_REJECT:
		return XDP_TX;
	default:
		return XDP_DROP;
	}
}

/* Ethernet + IPv4 (protocol 41) + IPv6, all lengths consistent. */
static int wf_tunnel(const struct ctx *c, const uint8_t *o, size_t n)
{
	if (n < 14 + 20 + 40 || g16(o + 12) != 0x0800)
		return violation(c, INV_WELLFORMED, "not Ethernet + IPv4 + IPv6");
	if (o[14] != 0x45)
		return violation(c, INV_WELLFORMED, "IPv4 version/IHL byte 0x%02x", o[14]);
	if (!pkt_ip4_csum_ok(o + 14))
		return violation(c, INV_WELLFORMED, "IPv4 header checksum wrong");
	if (g16(o + 16) != n - 14)
		return violation(c, INV_WELLFORMED, "IPv4 total length %u, frame carries %zu",
				 g16(o + 16), n - 14);
	if (g16(o + 20) & 0x3fff)
		return violation(c, INV_WELLFORMED, "IPv4 fragment bits 0x%04x", g16(o + 20));
	if (o[23] != 41)
		return violation(c, INV_WELLFORMED, "IPv4 protocol %u", o[23]);
	if (o[34] >> 4 != 6)
		return violation(c, INV_WELLFORMED, "inner version %u", o[34] >> 4);
	if (40u + g16(o + 38) != n - 34)
		return violation(c, INV_WELLFORMED, "inner payload length %u, carried %zu",
				 g16(o + 38), n - 34 - 40);
	return 0;
}

static int wf_native(const struct ctx *c, const uint8_t *o, size_t n)
{
	if (n < 14 + 40 || g16(o + 12) != 0x86dd)
		return violation(c, INV_WELLFORMED, "not Ethernet + IPv6");
	if (o[14] >> 4 != 6)
		return violation(c, INV_WELLFORMED, "IPv6 version %u", o[14] >> 4);
	if (40u + g16(o + 18) != n - 14)
		return violation(c, INV_WELLFORMED, "IPv6 payload length %u, carried %zu",
				 g16(o + 18), n - 54);
	return 0;
}

/* A router-generated ICMPv6 message at ip6: checksum and, for errors, the quote. */
static int wf_generated(const struct ctx *c, const uint8_t *ip6, size_t plen,
			const uint8_t *orig, size_t orig_len)
{
	uint8_t t;

	if (ip6[6] != 58 || plen < 8)
		return violation(c, INV_WELLFORMED, "generated message is not ICMPv6");
	if (l4_sum6(ip6, plen, 58) != 0xffff)
		return violation(c, INV_WELLFORMED, "ICMPv6 checksum wrong");
	t = ip6[40];
	switch (c->reason) {
	case IG_RD_RA_SENT:
		if (t != 134 || ip6[7] != 255)
			return violation(c, INV_WELLFORMED, "RA type %u hop limit %u", t, ip6[7]);
		break;
	case IG_RD_NA_SENT:
		if (t != 136 || ip6[7] != 255 || plen != 24)
			return violation(c, INV_WELLFORMED, "NA type %u hop limit %u len %zu", t,
					 ip6[7], plen);
		break;
	default: {
		size_t q = plen - 8;

		if (t != (c->reason == IG_ICMP_TOO_BIG ? 2 : c->reason == IG_POLICY_REJECT ? 1 : 3) ||
		    (c->reason == IG_POLICY_REJECT && ip6[41] != 1))
			return violation(c, INV_WELLFORMED, "ICMPv6 error type %u code %u", t, ip6[41]);
		if (40 + plen > 1280)
			return violation(c, INV_WELLFORMED, "ICMPv6 error of %zu bytes > 1280",
					 40 + plen);
		if (q > orig_len || memcmp(ip6 + 48, orig, q))
			return violation(c, INV_WELLFORMED, "the quote is not the invoking packet");
		if (q < orig_len && q != 1280 - 48)
			return violation(c, INV_WELLFORMED, "quote cut to %zu of %zu bytes", q,
					 orig_len);
		if (memcmp(ip6 + 24, orig + 8, 16))
			return violation(c, INV_WELLFORMED, "error not sent to the invoking source");
		/* RFC 4443 2.4 e: never about an ICMPv6 error. */
		if (orig[6] == 58 && orig_len > 40 && orig[40] < 128)
			return violation(c, INV_ADMISSION, "ICMPv6 error about an ICMPv6 error");
		if (orig[8] == 0xff)
			return violation(c, INV_ADMISSION, "ICMPv6 error to a multicast source");
		break;
	}
	}
	return 0;
}

/* The forwarded IPv6 packet equals the input's except hop limit and CE. */
static int same_inner(const struct ctx *c, const uint8_t *got, size_t got_len,
		      const uint8_t *want, size_t want_len, int ce)
{
	size_t i;
	uint8_t b1;

	if (got_len != want_len)
		return violation(c, INV_WELLFORMED, "forwarded IPv6 packet %zu bytes, sent %zu",
				 got_len, want_len);
	if (want[7] <= 1)
		return violation(c, INV_ADMISSION, "forwarded with hop limit %u", want[7]);
	if (got[7] != want[7] - 1)
		return violation(c, INV_WELLFORMED, "hop limit %u, expected %u", got[7],
				 want[7] - 1);
	b1 = ce ? (uint8_t)(want[1] | 0x30) : want[1];
	if (ce && !(want[1] & 0x30))
		return violation(c, INV_ADMISSION, "outer CE over not-ECT inner forwarded");
	if (got[1] != b1)
		return violation(c, INV_WELLFORMED, "traffic class byte 0x%02x, expected 0x%02x",
				 got[1], b1);
	for (i = 0; i < want_len; i++)
		if (i != 1 && i != 7 && got[i] != want[i])
			return violation(c, INV_WELLFORMED, "forwarded byte %zu changed", i);
	return 0;
}

static __u32 ingress_ifindex(const struct ctx *c)
{
	return (__u32)(c->dev == DEV_V4 ? ifindex4 : ifindex6);
}

/* Taken from the ISATAP link: only on the IPv4 side (no VLAN maps here:
 * the logical interface is the device). */
static int on_v4_side(const struct ctx *c, const char *what)
{
	if (ingress_ifindex(c) != cfg.v4_ifindex)
		return violation(c, INV_SIDE, "%s on ifindex %u, the IPv4 side is %u (IPv6 %u)",
				 what, ingress_ifindex(c), cfg.v4_ifindex, cfg.v6_ifindex);
	return 0;
}

/* The input was a protocol-41 packet to us, admitted. */
static int admitted_decap(const struct ctx *c, int need_inner_src)
{
	const uint8_t *in = c->in;
	struct layout l = layout_of(in, c->in_len);
	const uint8_t *src4, *ip6;

	if (l.ip4 < 0 || l.ip6 < 0 || in[23] != 41)
		return violation(c, INV_ADMISSION, "not protocol 41 over IPv4");
	src4 = in + 26;
	if (!is_self(in + 30))
		return violation(c, INV_ADMISSION, "outer destination not a router address");
	if (on_v4_side(c, "protocol 41 taken"))
		return -1;
	if (is_self(src4))
		return violation(c, INV_SIDE, "outer source %u.%u.%u.%u is a router address",
				 src4[0], src4[1], src4[2], src4[3]);
	if (!is_member(src4) && !is_peer_admitted(src4))
		return violation(c, INV_ADMISSION, "outer source %u.%u.%u.%u not admitted", src4[0],
				 src4[1], src4[2], src4[3]);
	if (!pkt_ip4_csum_ok(in + 14) || (g16(in + 20) & 0x3fff))
		return violation(c, INV_ADMISSION, "bad checksum or fragment accepted");
	ip6 = in + l.ip6;
	if (need_inner_src && !is_peer_admitted(src4)) {
		if (!is_isatap_iid(ip6 + 8) || memcmp(ip6 + 20, src4, 4) ||
		    (!is_ll64(ip6 + 8) && memcmp(ip6 + 8, pfx_p, 8)))
			return violation(c, INV_ADMISSION, "spoofed inner source accepted");
	}
	return 0;
}

static int check_decap_dst(const struct ctx *c, const uint8_t *ip6)
{
	const uint8_t *d = ip6 + 24;

	if (is_ll(d) || d[0] == 0xff)
		return violation(c, INV_ADMISSION, "forwarded to link-local/multicast");
	if (is_isatap_iid(d) && (is_router(d + 12) || !memcmp(d, pfx_p, 8)))
		return violation(c, INV_ADMISSION, "forwarded back into ISATAP (loop)");
	if (!(cfg.flags & IG_CFG_F_ALLOW_6TO4) && d[0] == 0x20 && d[1] == 0x02)
		return violation(c, INV_ADMISSION, "forwarded to 6to4");
	if (is_ll(ip6 + 8))
		return violation(c, INV_ADMISSION, "link-local source forwarded");
	return 0;
}

static int admitted_encap(const struct ctx *c)
{
	const uint8_t *in = c->in, *d;

	if (c->in_len < 54 || g16(in + 12) != 0x86dd)
		return violation(c, INV_ADMISSION, "encapsulated a non-IPv6 frame");
	d = in + 14 + 24;
	if (!is_isatap_iid(d) || memcmp(d, pfx_p, 8))
		return violation(c, INV_ADMISSION, "destination not an ISATAP address on a prefix");
	if (is_router(d + 12))
		return violation(c, INV_ADMISSION, "destination embeds a router address");
	{
		static const uint8_t z10[10];
		const uint8_t *sa = in + 14 + 8;

		if (sa[0] == 0xff)
			return violation(c, INV_ENCAP_SRC, "multicast source tunnelled");
		if (!memcmp(sa, z10, 10) && ((sa[10] == 0 && sa[11] == 0) ||
					     (sa[10] == 0xff && sa[11] == 0xff)))
			return violation(c, INV_ENCAP_SRC, "::/96 or ::ffff:0:0/96 source tunnelled");
		if (is_ll(sa))
			return violation(c, INV_ENCAP_SRC, "link-local source tunnelled");
		if (!memcmp(sa, pfx_p, 8))
			return violation(c, INV_ENCAP_SRC, "source under the ISATAP prefix tunnelled");
	}
	if (!is_member(d + 12))
		return violation(c, INV_ADMISSION, "destination %u.%u.%u.%u not a member", d[12],
				 d[13], d[14], d[15]);
	return 0;
}

/* The flow (and connection) key of the packet quoted at q (its IPv4 header,
 * 20 bytes, then IPv6 + 8 bytes), a packet to the member, as bpf/flow.h
 * builds it. */
static void quote_key(const uint8_t *q, struct ig_flow_key *k)
{
	const uint8_t *q6 = q + 20, *p = q6 + 40;
	uint16_t sport = 0, dport = 0;

	memset(k, 0, sizeof(*k));
	memcpy(k->member, q + 16, 4);
	memcpy(k->member_addr, q6 + 24, 16);
	memcpy(k->remote_addr, q6 + 8, 16);
	k->proto = q6[6];
	switch (q6[6]) {
	case 6: case 17: case 132: case 136:
		sport = g16(p);
		dport = g16(p + 2);
		break;
	case 58:
		if (p[0] == 128 || p[0] == 129) {
			/* to the member: a reply is the member's request's, a
			 * request the remote host's (bpf/flow.h) */
			sport = p[0] == 129 ? IG_FLOW_ICMP_ECHO_PORT : IG_FLOW_ICMP_ECHO_IN_PORT;
			dport = g16(p + 4);
		} else {
			sport = g16(p);
		}
		break;
	}
	k->member_port = dport;
	k->remote_port = sport;
}

/* NULL when the router really tunnelled the packet quoted at q to the quoted
 * member (the frame holds at least the IPv4 header, the IPv6 header and 8
 * bytes from q on), else what is wrong with the quote. */
static const char *quote_untrue(const uint8_t *q)
{
	const uint8_t *d = q + 20 + 24;
	struct ig_flow_key k;
	struct ig_flow f;
	struct ig_conn ct;

	if (!is_isatap_iid(d) || memcmp(d + 12, q + 16, 4) || memcmp(d, pfx_p, 8))
		return "the quoted inner destination does not embed the quoted member";
	quote_key(q, &k);
	if (!(cfg.flags & IG_CFG_F_NO_FLOWS)) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows), &k, &f))
			return "no flow for the quoted packet";
		if (!f.to_member.packets)
			return "the quoted packet's flow has nothing tunnelled to the member";
	} else if (!policy_on) {
		return "relayed with --flows 0 and no policy: nothing to check the quote with";
	}
	if (policy_on && bpf_map_lookup_elem(bpf_map__fd(skel->maps.conns), &k, &ct))
		return "a policy is loaded and the quoted packet has no connection";
	return NULL;
}

/* Where the quoted IPv4 header of an ICMPv4 frame starts, when the frame
 * holds it, the IPv6 header and 8 bytes; else 0. */
static size_t icmp4_quote_off(const uint8_t *in, size_t len)
{
	size_t ihl;

	if (len < 14 + 20 || g16(in + 12) != 0x0800 || in[14] >> 4 != 4 || in[23] != 1)
		return 0;
	ihl = (size_t)(in[14] & 15) * 4;
	if (ihl < 20 || 14 + ihl + 8 + 20 + 48 > len)
		return 0;
	return 14 + ihl + 8;
}

/*
 * The input was an ICMPv4 error to one of our addresses, both checksums
 * right, about a protocol-41 packet from one of our addresses to a member,
 * quoting at least the IPv6 header + 8 bytes: the quote at *qoff, *qlen bytes.
 */
static int admitted_icmp4(const struct ctx *c, size_t *qoff, size_t *qlen)
{
	const uint8_t *in = c->in, *q;
	struct layout l = layout_of(in, c->in_len);
	const char *why;
	size_t off, ilen;

	if (l.ip4 < 0 || l.ihl < 20 || in[23] != 1)
		return violation(c, INV_ADMISSION, "relayed a frame that is not ICMPv4");
	if (on_v4_side(c, "ICMPv4 error relayed"))
		return -1;
	if (!is_self(in + 30))
		return violation(c, INV_ADMISSION, "relayed an ICMPv4 error not to a router address");
	if (!pkt_ip4_csum_ok(in + 14) || (g16(in + 20) & 0x3fff))
		return violation(c, INV_ADMISSION, "bad IPv4 checksum or fragment relayed");
	off = 14 + l.ihl;
	ilen = g16(in + 16) - l.ihl;
	if (off + ilen > c->in_len || ilen < 8 + 20 + 48 ||
	    pkt_csum_partial(in + off, ilen, 0) != 0xffff)
		return violation(c, INV_ADMISSION, "short or bad-checksum ICMPv4 error relayed");
	if (in[off] != 3 && in[off] != 11)
		return violation(c, INV_ADMISSION, "ICMPv4 type %u relayed", in[off]);
	q = in + off + 8;
	if (q[0] != 0x45 || q[9] != 41 || !is_self(q + 12) || !is_member(q + 16))
		return violation(c, INV_ADMISSION, "quote is not a packet we tunnelled to a member");
	if (in[off] == 3 && in[off + 1] == 4 && !(g16(q + 6) & 0x4000))
		return violation(c, INV_ADMISSION, "fragmentation needed without DF relayed");
	*qoff = off + 28;
	*qlen = ilen - 28;
	if (in[off + 5] && (size_t)in[off + 5] * 4 - 20 < *qlen)
		*qlen = (size_t)in[off + 5] * 4 - 20;
	if (*qlen < 48)
		return violation(c, INV_ADMISSION, "quote shorter than the IPv6 header + 8 relayed");
	if ((why = quote_untrue(q)))
		return violation(c, INV_ADMISSION, "ICMPv4 error relayed, its quote is untrue: %s",
				 why);
	return 0;
}

/* The relayed ICMPv6 error: checksum, type, size, quote, addresses. */
static int wf_relay(const struct ctx *c, const uint8_t *o, size_t n, const uint8_t *q4,
		    const uint8_t *orig, size_t orig_len)
{
	const uint8_t *ip6 = o + 14;
	size_t plen = n - 54, qn;

	if (ip6[6] != 58 || plen < 8)
		return violation(c, INV_WELLFORMED, "relayed message is not ICMPv6");
	if (l4_sum6(ip6, plen, 58) != 0xffff)
		return violation(c, INV_WELLFORMED, "relayed ICMPv6 checksum wrong");
	if (ip6[40] < 1 || ip6[40] > 3)
		return violation(c, INV_WELLFORMED, "relayed ICMPv6 type %u", ip6[40]);
	if (40 + plen > 1280)
		return violation(c, INV_WELLFORMED, "relayed error of %zu bytes > 1280", 40 + plen);
	qn = plen - 8;
	if (qn > orig_len || memcmp(ip6 + 48, orig, qn))
		return violation(c, INV_WELLFORMED, "relayed quote is not the quoted packet");
	if (memcmp(ip6 + 24, orig + 8, 16))
		return violation(c, INV_WELLFORMED, "relayed error not to the quoted inner source");
	if (memcmp(ip6 + 8, orig + 24, 8) || !is_isatap_iid(ip6 + 8) || ip6[16] != 0 ||
	    memcmp(ip6 + 20, q4 + 12, 4))
		return violation(c, INV_WELLFORMED, "relayed error not from <prefix>::5efe:<router>");
	if (orig[6] == 58 && orig[40] < 128)
		return violation(c, INV_ADMISSION, "relayed an error about an ICMPv6 error");
	if (orig[8] == 0xff || is_ll(orig + 8))
		return violation(c, INV_ADMISSION, "relayed to a multicast or link-local source");
	return 0;
}

static int check_run(struct ctx *c)
{
	const uint8_t *in = c->in, *o = c->out;
	size_t n = c->out_len;
	struct layout li = layout_of(in, c->in_len);
	size_t inner_len;
	int r = c->reason, rc;

	if (c->action < XDP_DROP || c->action > XDP_REDIRECT)
		return violation(c, INV_ACTION, "action %d", c->action);
	if (reason_action(r) != c->action)
		return violation(c, INV_ACTION, "action %d for reason %s (expected %d)", c->action,
				 reason_key[r], reason_action(r));

	switch (r) {
	case IG_PASS_NOT_IP: case IG_PASS_VLAN: case IG_PASS_NOT_ISATAP4: case IG_PASS_NOT_ISATAP6:
	case IG_ICMP4_NOT_RELAYED: case IG_ICMP4_QUOTE_MISMATCH: case IG_ICMP4_NO_FLOW:
	case IG_ICMP4_UNTRACKED: case IG_ICMP4_POLICY:
		if (n != c->in_len || memcmp(o, in, n))
			return violation(c, INV_ACTION, "passed frame was modified");
		return 0;
	case IG_ICMP4_RELAYED: case IG_ICMP4_RELAY_KERNEL: {
		size_t qoff = 0, qlen = 0;

		if ((rc = admitted_icmp4(c, &qoff, &qlen)) || (rc = wf_native(c, o, n)))
			return rc;
		if (r == IG_ICMP4_RELAY_KERNEL && memcmp(o, in, 12))
			return violation(c, INV_WELLFORMED, "kernel-bound frame has new MACs");
		return wf_relay(c, o, n, in + qoff - 20, in + qoff, qlen);
	}
	case IG_FWD_DECAP: case IG_KERNEL_DECAP_NEIGH: case IG_KERNEL_DECAP_DEV:
		if ((rc = admitted_decap(c, 1)) || (rc = wf_native(c, o, n)))
			return rc;
		if ((rc = check_decap_dst(c, in + li.ip6)))
			return rc;
		inner_len = g16(in + 16) - li.ihl;
		if (r != IG_FWD_DECAP && memcmp(o, in, 12))
			return violation(c, INV_WELLFORMED, "kernel-bound frame has new MACs");
		return same_inner(c, o + 14, n - 14, in + li.ip6, inner_len, (in[15] & 3) == 3);
	case IG_FWD_ENCAP:
		if ((rc = admitted_encap(c)) || (rc = wf_tunnel(c, o, n)))
			return rc;
		if (memcmp(o + 26, cfg.encap_src, 4) || memcmp(o + 30, in + 14 + 36, 4))
			return violation(c, INV_ADMISSION, "outer addresses not R1 -> member");
		if (o[22] != cfg.ttl)
			return violation(c, INV_WELLFORMED, "outer TTL %u", o[22]);
		if (o[15] != (uint8_t)((in[14] << 4) | (in[15] >> 4)))
			return violation(c, INV_WELLFORMED, "outer TOS 0x%02x not the traffic class",
					 o[15]);
		return same_inner(c, o + 34, n - 34, in + 14, 40u + g16(in + 18), 0);
	case IG_RD_RA_SENT: case IG_RD_NA_SENT: case IG_ICMP_TIME_EXCEEDED: case IG_ICMP_TOO_BIG:
	case IG_POLICY_REJECT:
		if (memcmp(o, in + 6, 6) || memcmp(o + 6, in, 6))
			return violation(c, INV_WELLFORMED, "reply MACs not swapped");
		if (g16(in + 12) == 0x0800) {
			static const uint8_t unspec[16];
			/* An RS from :: is answered without a source check. */
			int need_src = !(r == IG_RD_RA_SENT && !memcmp(in + li.ip6 + 8, unspec, 16));

			if ((rc = admitted_decap(c, need_src)) || (rc = wf_tunnel(c, o, n)))
				return rc;
			if (memcmp(o + 26, in + 30, 4) || memcmp(o + 30, in + 26, 4))
				return violation(c, INV_ADMISSION, "reply not router -> sender");
			if ((r == IG_ICMP_TIME_EXCEEDED || r == IG_POLICY_REJECT) &&
			    (rc = check_decap_dst(c, in + li.ip6)))
				return rc;
			inner_len = g16(in + 16) - li.ihl;
			return wf_generated(c, o + 34, n - 34 - 40, in + li.ip6, inner_len);
		}
		if (r != IG_ICMP_TIME_EXCEEDED && r != IG_ICMP_TOO_BIG && r != IG_POLICY_REJECT)
			return violation(c, INV_ADMISSION, "RA/NA for a native IPv6 frame");
		if ((rc = admitted_encap(c)) || (rc = wf_native(c, o, n)))
			return rc;
		return wf_generated(c, o + 14, n - 14 - 40, in + 14, 40u + g16(in + 18));
	default:
		return 0;
	}
}

/* ---- the loop ------------------------------------------------------------ */

/* Policies the loop switches between (or none), through the loader's code. */
static const char *const policies[] = {
	"allow out tcp 3389\nallow out icmpv6 echo-request\nallow in tcp 5985\ndefault reject\n",
	"reject out udp 53\nallow out tcp 135\nallow out tcp 49152-65535 after tcp/135\n"
	"allow in icmpv6 echo-request remote 2001:db8::/32\nallow out any member 192.0.2.0/28\n"
	"default drop\ntimeout tcp-syn 1\n",
	"drop out icmpv6 128-129\nallow out any\nallow in any\ndefault reject\n",
};

static void random_policy(void)
{
	struct ig_pmaps m = {
		.state = bpf_map__fd(skel->maps.policy_state),
		.rules = bpf_map__fd(skel->maps.policy_rules),
		.stats = bpf_map__fd(skel->maps.policy_stats),
		.config = bpf_map__fd(skel->maps.config),
	};
	unsigned int i = rn(2 * sizeof(policies) / sizeof(policies[0]));
	struct ig_policy p;
	char err[256];
	int rc;

	if (i >= sizeof(policies) / sizeof(policies[0])) {
		rc = ig_policy_clear(&m);
		if (!rc)
			policy_on = 0;
	} else if (ig_policy_parse_buf(policies[i], strlen(policies[i]), "fuzz", &p, err,
				       sizeof(err))) {
		fprintf(stderr, "fuzz_datapath: policy %u: %s\n", i, err);
		return;
	} else {
		rc = ig_policy_apply(&m, &p);
		if (!rc)
			policy_on = 1;
	}
	if (rc)
		fprintf(stderr, "fuzz_datapath: policy update failed: %s\n", strerror(-rc));
}

static void random_config(void)
{
	struct ig_config c = base_cfg;

	c.flags = 0;
	if (rn(4))
		c.flags |= IG_CFG_F_HAS_PEERS;
	if (!rn(4))
		c.flags |= IG_CFG_F_ALLOW_6TO4;
	if (!rn(4))
		c.flags |= IG_CFG_F_DYNAMIC_MTU;
	if (!rn(8))
		c.flags |= IG_CFG_F_NO_RD;
	if (!rn(4))
		c.flags |= IG_CFG_F_NO_FLOWS;
	if (rn(2)) {   /* own addresses in the config, or looked up in routers */
		c.flags |= IG_CFG_F_SELF_FAST;
		memcpy(c.self_v4[0], a_r1, 4);
		memcpy(c.self_v4[1], a_r2, 4);
	}
	if (rn(2)) {   /* the prefix in the config, or looked up in prefixes */
		c.flags |= IG_CFG_F_PREFIX_FAST;
		memcpy(c.prefix64[0], pfx_p, 8);
		memcpy(c.prefix64[1], pfx_p, 8);
	}
	c.fwd_cache_ms = rn(2) ? IG_CFG_DEFAULT_FWD_CACHE_MS : 0;
	c.tunnel_mtu = rn(2) ? 1280 : 1480;
	c.ttl = rn(4) ? 64 : (uint8_t)(1 + rn(255));
	if (!rn(4)) {
		c.ra_min_interval_ms = IG_CFG_DEFAULT_RA_MIN_MS;
		c.icmp_min_interval_ms = IG_CFG_DEFAULT_ICMP_MIN_MS;
	}
	c.event_min_interval_ms = rn(2) ? IG_CFG_DEFAULT_EVENT_MIN_MS : 0;
	if (!rn(4))    /* one-armed, on either device */
		c.v4_ifindex = c.v6_ifindex = (__u32)(rn(2) ? ifindex4 : ifindex6);
	if (put_config(&c))
		fprintf(stderr, "fuzz_datapath: config update failed: %s\n", strerror(errno));
}

/* One execution: run, read the counters, check.  0 or -1 (violation). */
static int execute(struct ctx *c, uint8_t *out)
{
	__u64 pk[IG_REASON_MAX], by[IG_REASON_MAX];
	int moved = -1, nmoved = 0, r, err, mtu_fd = bpf_map__fd(skel->maps.member_mtu);
	struct ig_member_mtu mtu0, mtu1;
	int had0 = 0, had1 = 0, icmp4 = 0;
	struct ig_v4_key mk;
	size_t qoff;

	c->out = NULL;
	c->reason = -1;
	/* An ICMPv4 frame to the router: what the member MTU of the quoted
	 * member is before the run (only a true report may change it). */
	if (c->in_len >= 14 + 20 && g16(c->in + 12) == 0x0800 && c->in[23] == 1 &&
	    (c->in[14] & 15) >= 5 && 14 + (size_t)(c->in[14] & 15) * 4 + 8 + 20 <= c->in_len) {
		icmp4 = 1;
		memcpy(mk.addr, c->in + 14 + (size_t)(c->in[14] & 15) * 4 + 8 + 16, 4);
		memset(&mtu0, 0, sizeof(mtu0));
		had0 = !bpf_map_lookup_elem(mtu_fd, &mk, &mtu0);
	}
	err = run_frame(c->in, c->in_len, c->dev, out, &c->action, &c->out_len);
	if (err)
		return violation(c, INV_ACTION, "BPF_PROG_TEST_RUN failed: %s", strerror(-err));
	c->out = out;
	if (read_stats(pk, by))
		return violation(c, INV_ACCOUNTING, "reading the stats map failed");
	for (r = 0; r < IG_REASON_MAX; r++) {
		if (pk[r] != snap_pk[r] || by[r] != snap_by[r]) {
			nmoved++;
			moved = r;
		}
	}
	if (nmoved != 1 || pk[moved] - snap_pk[moved] != 1 ||
	    by[moved] - snap_by[moved] != c->in_len) {
		memcpy(snap_pk, pk, sizeof(pk));
		memcpy(snap_by, by, sizeof(by));
		return violation(c, INV_ACCOUNTING, "%d counters moved (last %s)", nmoved,
				 moved >= 0 ? reason_key[moved] : "-");
	}
	memcpy(snap_pk, pk, sizeof(pk));
	memcpy(snap_by, by, sizeof(by));
	c->reason = moved;
	reason_hist[moved]++;
	if (icmp4) {
		const char *why;

		memset(&mtu1, 0, sizeof(mtu1));
		had1 = !bpf_map_lookup_elem(mtu_fd, &mk, &mtu1);
		if (had1 && (!had0 || memcmp(&mtu0, &mtu1, sizeof(mtu0)))) {
			qoff = icmp4_quote_off(c->in, c->in_len);
			if (!qoff)
				return violation(c, INV_ADMISSION, "member MTU learned from a short quote");
			if ((why = quote_untrue(c->in + qoff)))
				return violation(c, INV_ADMISSION,
						 "member MTU learned from an untrue quote: %s", why);
			if (moved == IG_ICMP4_QUOTE_MISMATCH || moved == IG_ICMP4_NO_FLOW ||
			    moved == IG_ICMP4_UNTRACKED || moved == IG_ICMP4_POLICY)
				return violation(c, INV_ADMISSION, "member MTU learned, counted %s",
						 reason_key[moved]);
		}
	}
	return check_run(c);
}

static int replay(const char *path, enum dev dev)
{
	static uint8_t in[PKT_MAX], out[OUT_MAX];
	struct ctx c = { .dev = dev };
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc;

	if (!f) {
		fprintf(stderr, "fuzz_datapath: %s: %s\n", path, strerror(errno));
		return 1;
	}
	n = fread(in, 1, FRAME_MAX, f);
	fclose(f);
	c.in = in;
	c.in_len = n;
	snprintf(c.ctxt, sizeof(c.ctxt), "replay, base settings");
	no_save = 1;
	rc = execute(&c, out);
	if (c.reason >= 0)
		printf("action %d reason %s\n", c.action, reason_key[c.reason]);
	printf("%d passed, %d failed\n", rc ? 0 : 1, rc ? 1 : 0);
	return rc ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: fuzz_datapath [--seconds N] [--iterations N] [--seed S] "
			"[--crash-dir DIR] [--replay FILE --dev 4|6]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'S' },
		{ "crash-dir", required_argument, NULL, 'c' },
		{ "replay", required_argument, NULL, 'r' },
		{ "dev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static uint8_t in[FRAME_MAX + 64], out[OUT_MAX];
	double seconds = 20, elapsed = 0;
	uint64_t seed = 0, max_iter = 0, iter;
	const char *replay_path = NULL;
	enum dev replay_dev = DEV_V4;
	struct timespec t0, t;
	int o, rc = 1, seeded = 0, i;
	size_t k;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 's': seconds = atof(optarg); break;
		case 'n': max_iter = strtoull(optarg, NULL, 0); break;
		case 'S': seed = strtoull(optarg, NULL, 0); seeded = 1; break;
		case 'c': crash_dir = optarg; break;
		case 'r': replay_path = optarg; break;
		case 'd': replay_dev = atoi(optarg) == 6 ? DEV_V6 : DEV_V4; break;
		default: usage(); return 2;
		}
	}
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &t);
		seed = (uint64_t)t.tv_sec * 1000003u ^ (uint64_t)t.tv_nsec ^ (uint64_t)getpid();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		fprintf(stderr, "fuzz_datapath: must run as root (network namespace, BPF)\n");
		return 1;
	}
	if (setup_netns() || load_skel() || setup_maps() || read_stats(snap_pk, snap_by))
		goto cleanup;
	for (k = 0; k < NSEEDS; k++)
		seed_len[k] = pkt_build(&seed_defs[k].f, seed_buf[k]);
	if (replay_path) {
		rc = replay(replay_path, replay_dev);
		goto cleanup;
	}

	printf("fuzz_datapath: seed %llu, %.0f s, %zu seed frames, stats %s\n",
	       (unsigned long long)seed, seconds, NSEEDS,
	       batch_ok ? "by batch lookup after every run" : "after every run");
	rng_state = seed;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (iter = 0; !max_iter || iter < max_iter; iter++) {
		struct ctx c = { .seed = seed, .iter = iter };
		uint8_t *toggle = NULL, addr[4];
		int port_off = 0, removed = 0, nm, err;
		size_t len;

		if ((iter & 255) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			elapsed = (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
			if (elapsed >= seconds)
				break;
		}
		if ((iter & 2047) == 2047) {
			random_config();
			random_policy();
		}
		c.seed_idx = rn(NSEEDS);
		len = seed_len[c.seed_idx];
		memcpy(in, seed_buf[c.seed_idx], len);
		nm = rn(8) ? 1 + (int)rn(rn(4) ? 3 : 6) : 0;
		for (i = 0; i < nm; i++)
			mutate_one(in, &len);
		if (nm && rn(2))
			repair(in, len);
		c.dev = rn(2) ? seed_defs[c.seed_idx].dev : (rn(2) ? DEV_V4 : DEV_V6);
		c.in = in;
		c.in_len = len;

		/* Sometimes flip the membership of the address under admission. */
		if (!rn(8) && len >= 54) {
			struct layout l = layout_of(in, len);

			if (l.ip4 >= 0)
				memcpy(addr, in + 26, 4), toggle = addr;
			else if (l.ip6 >= 0)
				memcpy(addr, in + l.ip6 + 36, 4), toggle = addr;
		}
		if (toggle) {
			if (!memcmp(addr, a_h, 4) || !memcmp(addr, a_h11, 4)) {
				err = host_member(addr, 0);
				if (!memcmp(addr, a_h, 4))
					h_member = 0;
				else
					h11_member = 0;
				removed = 1;
			} else if (!is_member(addr)) {
				err = host_member(addr, 1);
				memcpy(extra_member, addr, 4);
				extra_on = 1;
			} else {
				err = 0;
				toggle = NULL;
			}
			if (err) {
				fprintf(stderr, "fuzz_datapath: membership update: %s\n", strerror(errno));
				goto cleanup;
			}
		}
		if (!rn(32)) {
			port_off = rn(2) ? ifindex4 : ifindex6;
			if (port(port_off, 0))
				goto cleanup;
		}
		snprintf(c.ctxt, sizeof(c.ctxt),
			 "cfg flags 0x%x ttl %u mtu %u cache %u ms v4/v6 ifindex %u/%u, %s%u.%u.%u.%u, "
			 "port off %d",
			 cfg.flags, cfg.ttl, cfg.tunnel_mtu, cfg.fwd_cache_ms, cfg.v4_ifindex,
			 cfg.v6_ifindex,
			 toggle ? (removed ? "member removed " : "member added ") : "no toggle ",
			 toggle ? addr[0] : 0, toggle ? addr[1] : 0, toggle ? addr[2] : 0,
			 toggle ? addr[3] : 0, port_off);

		err = execute(&c, out);

		if (toggle) {
			if (host_member(addr, removed)) {
				fprintf(stderr, "fuzz_datapath: membership restore: %s\n", strerror(errno));
				goto cleanup;
			}
			h_member = h11_member = 1;
			extra_on = 0;
		}
		if (port_off && port(port_off, 1))
			goto cleanup;
		if (err)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	elapsed = (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
	printf("fuzz_datapath: seed %llu: %llu executions in %.1f s (%.0f exec/s)\n",
	       (unsigned long long)seed, (unsigned long long)iter, elapsed,
	       elapsed > 0 ? (double)iter / elapsed : 0.0);
	printf("reasons seen:");
	for (i = 0; i < IG_REASON_MAX; i++)
		if (reason_hist[i])
			printf(" %s=%llu", reason_key[i], (unsigned long long)reason_hist[i]);
	printf("\n");
	rc = 0;
	for (i = 0; i < INV_MAX; i++) {
		printf("%s - invariant %s\n", failed[i] ? "not ok" : "ok", inv_name[i]);
		if (failed[i])
			rc = 1;
	}
	{
		int nf = 0;

		for (i = 0; i < INV_MAX; i++)
			nf += failed[i] ? 1 : 0;
		printf("%d passed, %d failed\n", INV_MAX - nf, nf);
	}
cleanup:
	if (skel)
		isagate_bpf__destroy(skel);
	free(stats_buf);
	return rc;
}
