/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pkt.h - a small packet builder for the datapath unit tests.
 *
 * Deliberately independent of bpf/: every header is written byte by byte
 * from the RFC layouts, so a mistake shared by the datapath and the test
 * cannot hide.  A frame is described by a struct pkt_frame (plain data, so
 * test tables can hold input and expected output side by side) and turned
 * into bytes by pkt_build().
 *
 * Addresses are given as text ("192.0.2.1", "2001:db8::1") and parsed when
 * the frame is built; a bad literal aborts the test program.
 */
#ifndef IG_TEST_PKT_H
#define IG_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PKT_MAX 4096

/* What sits after the Ethernet header. */
enum pkt_kind {
	PKT_ISATAP = 1, /* IPv4 (protocol 41 unless ip4.proto says otherwise) / IPv6 / L4 */
	PKT_IPV6,       /* native IPv6 / L4 */
	PKT_ARP,        /* an ARP request (who-has ip4.dst tell ip4.src) */
	PKT_ICMP4_ERR,  /* IPv4 (ip4, give .proto = 1) / ICMPv4 icmp4 / the quoted IPv4
			 * header q_ip4 (total length: the whole IPv6 packet) / the IPv6
			 * packet ip6+l4, cut to inner_cut bytes when non-zero (RFC 792) */
};

/* IPv4 header checksum handling. */
enum pkt_csum {
	PKT_CSUM_OK = 0, /* correct */
	PKT_CSUM_BAD,    /* correct value with the low bit flipped */
};

struct pkt_ip4 {
	const char *src, *dst;
	uint8_t tos;
	uint16_t id;
	uint16_t frag;           /* flags + offset, host order: 0x4000 DF, 0x2000 MF */
	uint8_t ttl;             /* 0 means 64 */
	int proto;               /* 0 means 41 */
	uint8_t version;         /* 0 means 4 */
	uint8_t ihl;             /* 0 means 5 + opts_len / 4 */
	const uint8_t *opts;     /* options, a multiple of 4 bytes (IHL = 5 + len/4) */
	size_t opts_len;
	int tot_len_adj;         /* added to the correct total length */
	enum pkt_csum csum;
};

struct pkt_ip6 {
	const char *src, *dst;
	uint8_t tclass;
	uint32_t flow;           /* 20 bits */
	uint8_t hlim;
	int version;             /* 0 means 6 */
	int plen_adj;            /* added to the correct payload length */
};

/*
 * Neighbour Discovery options (RFC 4861 §4.6), written in the order given;
 * a list ends with a zeroed entry (kind PKT_OPT_END).
 */
enum pkt_opt_kind {
	PKT_OPT_END = 0,
	PKT_OPT_SLLA,      /* type 1, length 1, mac */
	PKT_OPT_TLLA,      /* type 2, length 1, mac */
	PKT_OPT_PIO,       /* type 3, length 4: prefix/plen, flags, valid, preferred */
	PKT_OPT_MTU,       /* type 5, length 1: mtu */
	PKT_OPT_RAW,       /* type and length field as given, raw_bytes bytes written */
	PKT_OPT_RIO,       /* type 24, length field len (1, 2 or 3): prefix length plen,
			    * flags byte flags (Prf in bits 0x18), route lifetime valid,
			    * then the first (len - 1) * 8 bytes of prefix (RFC 4191 2.3) */
};

#define PKT_PIO_L 0x80     /* on-link */
#define PKT_PIO_A 0x40     /* autonomous address configuration */

struct pkt_nd_opt {
	enum pkt_opt_kind kind;
	const char *mac;             /* SLLA/TLLA: "02:00:..." */
	const char *prefix;          /* PIO: "2001:db8::" */
	uint8_t plen, flags;         /* PIO: prefix length, PKT_PIO_* */
	uint32_t valid, preferred;   /* PIO: lifetimes, seconds */
	uint32_t mtu;                /* MTU */
	uint8_t type, len;           /* RAW: type, length field (units of 8 bytes) */
	size_t raw_bytes;            /* RAW: bytes written, type and length included;
				      * 0 means len * 8 (at least 2) */
};

/* Message fields of PKT_L4_ND (RFC 4861 §4.1-4.4); type and code are in pkt_l4s. */
struct pkt_nd {
	uint8_t cur_hlim, ra_flags;  /* RA: Cur Hop Limit, M/O byte */
	uint16_t router_lifetime;    /* RA, seconds */
	uint32_t reachable, retrans; /* RA, milliseconds */
	uint32_t na_flags;           /* NA: R 0x80000000, S 0x40000000, O 0x20000000 */
	const char *target;          /* NS/NA target address */
	const struct pkt_nd_opt *opts; /* NULL or a list ending with PKT_OPT_END */
	size_t cut;                  /* non-zero: the ICMPv6 message is cut to this length
				      * (payload length and checksum follow the cut) */
	int bad_csum;                /* checksum with the low bit flipped */
};

/* Upper layer of the IPv6 packet; the checksum is correct unless nd.bad_csum. */
enum pkt_l4 {
	PKT_L4_NONE = 0,   /* next header 59, no payload */
	PKT_L4_TCP_SYN,    /* 20-byte TCP header, SYN, seq 1000 */
	PKT_L4_UDP,        /* 8-byte UDP header + payload_len bytes */
	PKT_L4_ICMP6_ECHO, /* echo request (or .type), id 0x4242, seq 1, payload_len bytes */
	PKT_L4_ICMP6_ERR,  /* type, code, 32-bit info, then the quoted packet q_ip6/q_l4,
			    * cut so that the whole IPv6 packet fits in 1280 bytes (RFC 4443 §2.4 c) */
	PKT_L4_ND,         /* ICMPv6 type/code + the body of .nd: RS 133 (reserved), RA 134,
			    * NS 135 / NA 136 (flags or reserved, target), any other type a
			    * 4-byte zero field (e.g. an MLDv2 report with no records); then
			    * the options */
};

struct pkt_l4s {
	enum pkt_l4 kind;
	uint16_t sport, dport;           /* PKT_L4_ICMP6_ECHO: sport = identifier (0: 0x4242) */
	size_t payload_len;
	uint8_t type, code;              /* ICMPv6 */
	uint32_t info;                   /* ICMPv6 error: MTU (Packet Too Big), else 0 */
	const struct pkt_ip6 *q_ip6;     /* ICMPv6 error: the invoking packet */
	const struct pkt_l4s *q_l4;
	struct pkt_nd nd;                /* PKT_L4_ND */
	uint8_t tcp_flags;               /* PKT_L4_TCP_SYN: these flags instead of SYN */
	size_t q_cut;                    /* ICMPv6 error: non-zero, quote only this many bytes */
};

/* ICMPv4 error header (RFC 792, RFC 1191 next-hop MTU, RFC 4884 length). */
struct pkt_icmp4 {
	uint8_t type, code;
	uint16_t mtu;                    /* next-hop MTU (type 3 code 4) */
	uint8_t length;                  /* RFC 4884 original datagram length, 32-bit words */
	int bad_csum;                    /* checksum with the low bit flipped */
};

/* One VLAN tag: TPID (0x8100 802.1Q, 0x88a8 802.1ad) and TCI (PCP 3 bits,
 * DEI 1 bit, VID 12 bits). */
struct pkt_tag {
	uint16_t tpid, tci;
};

#define PKT_MAX_TAGS 3

struct pkt_frame {
	enum pkt_kind kind;
	const char *dmac, *smac; /* "02:00:00:00:00:01" */
	uint16_t vlan_tci;       /* non-zero: insert an 802.1Q tag */
	struct pkt_tag tags[PKT_MAX_TAGS]; /* tags, outermost first, up to the first
				  * zero TPID (used instead of vlan_tci when tags[0].tpid) */
	struct pkt_ip4 ip4;
	struct pkt_ip6 ip6;
	struct pkt_l4s l4;
	size_t inner_cut;        /* non-zero: cut the IPv6 packet to this length, then encapsulate */
	size_t pad_to;           /* non-zero: pad the frame with pad bytes up to this length */
	uint8_t pad_byte;
	size_t cut_to;           /* non-zero: cut the finished frame to this length */
	struct pkt_icmp4 icmp4;  /* PKT_ICMP4_ERR */
	struct pkt_ip4 q_ip4;    /* PKT_ICMP4_ERR: the quoted IPv4 header */
};

/* Build f into buf (PKT_MAX bytes).  Returns the frame length. */
size_t pkt_build(const struct pkt_frame *f, uint8_t *buf);

/* Pieces, usable on their own.  Each returns the number of bytes written. */
size_t pkt_put_eth(uint8_t *b, const char *dmac, const char *smac, uint16_t vlan_tci,
		   uint16_t ethertype);
size_t pkt_put_ip6(uint8_t *b, const struct pkt_ip6 *ip6, const struct pkt_l4s *l4);
size_t pkt_put_ip4(uint8_t *b, const struct pkt_ip4 *ip4, size_t payload_len);

/* Length of f's Ethernet header, tags included (where the IP header starts). */
size_t pkt_l2_len(const struct pkt_frame *f);

/* Internet checksum of len bytes (RFC 1071), folded, not complemented. */
uint16_t pkt_csum_partial(const uint8_t *b, size_t len, uint32_t sum);
/* 1 when the IPv4 header at b (IHL from the header) has a correct checksum. */
int pkt_ip4_csum_ok(const uint8_t *b);

/* Parse helpers that abort on a bad literal. */
void pkt_mac(const char *s, uint8_t out[6]);
void pkt_in4(const char *s, uint8_t out[4]);
void pkt_in6(const char *s, uint8_t out[16]);

/*
 * Print expected and actual bytes, 16 a line, marking each differing byte
 * with ^^.  Bytes where ignore[i] is non-zero (ignore may be NULL) are not
 * differences.  Lines far from any difference are elided.
 */
void pkt_hexdump_diff(FILE *out, const uint8_t *exp, size_t exp_len, const uint8_t *got,
		      size_t got_len, const uint8_t *ignore);

#endif /* IG_TEST_PKT_H */
