/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * netns_fixture.h - the topology the packet-level tests and the datapath
 * fuzzer run the XDP program in: a private network namespace with the
 * router's two veth sides, its addresses, routes (one with a locked MTU,
 * one via an unresolved next hop, a blackhole, 2002::/16), PERMANENT
 * neighbours with fixed MACs and the forwarding sysctls, so that
 * bpf_fib_lookup gives known answers.
 */
#ifndef IG_NETNS_FIXTURE_H
#define IG_NETNS_FIXTURE_H

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
#define LL_HU "fe80::200:5efe:c000:20a"         /* H's link-local, u-bit form */
#define LL_H11 "fe80::5efe:c000:20b"
#define LL_R1U "fe80::200:5efe:c000:201"
#define LL_R2 "fe80::5efe:c000:202"
#define LL_N  "fe80::5efe:c000:242"
#define LL_PEER "fe80::5efe:c000:203"
#define LL_S7 "fe80::5efe:c000:207"             /* embeds 192.0.2.7, not H */
#define ALL_ROUTERS "ff02::2"
#define ALL_NODES   "ff02::1"
#define SNM_R1 "ff02::1:ff00:201"               /* solicited-node multicast of ...:c000:201 */
#define P_PFX  "2001:db8:1:8000::"              /* P */
#define P2_PFX "2001:db8:1:8001::"              /* a second ISATAP prefix */
#define D100  "2001:db8:dac::100"
#define D_MTU "2001:db8:dac:1::1"   /* route with a locked MTU of 1280 */
#define D_NN  "2001:db8:dad::1"     /* route via 2001:db8:ff::3, no neighbour */
#define D_BH  "2001:db8:b1ac::1"    /* blackhole route */
#define D_NR  "2001:db8:bad::1"     /* no route at all */
#define R6    "2001:db8:ff::1"      /* the router's own IPv6 address */

/* "cmd ..." through system(); non-zero (and a message) on failure. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write val to a /proc or /sys file; -1 (and a message) on failure. */
int write_file(const char *path, const char *val);
/* unshare(CLONE_NEWNET) and build the topology; 0 or -1 after a message. */
int fx_netns_up(int *ifindex4, int *ifindex6);

struct ig_settings;
/* The router's settings in this topology, as `attach` gets them: routers
 * R1 and R2, peer PEER, prefix P/64, the sides DEV4 and DEV6 at the given
 * ifindexes, every other setting its default; checked as attach checks
 * them.  The tests derive the maps from it (ig_config_build,
 * ig_prefixes_build) as the loader does.  0 or -1 after a message. */
int fx_settings(struct ig_settings *s, int ifindex4, int ifindex6);

#endif /* IG_NETNS_FIXTURE_H */
