// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pkt.c - the unit tests' packet builder (see pkt.h).  Layouts from
 * IEEE 802.3/802.1Q, RFC 826 (ARP), RFC 791 (IPv4), RFC 8200 (IPv6),
 * RFC 9293 (TCP), RFC 768 (UDP), RFC 4443 (ICMPv6), RFC 4861 (Neighbour
 * Discovery), RFC 1071 (checksum).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

static void die(const char *what, const char *s)
{
	fprintf(stderr, "pkt: bad %s literal '%s'\n", what, s ? s : "(null)");
	abort();
}

void pkt_mac(const char *s, uint8_t out[6])
{
	unsigned int m[6];
	int i;

	if (!s || sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		die("MAC", s);
	for (i = 0; i < 6; i++) {
		if (m[i] > 0xff)
			die("MAC", s);
		out[i] = (uint8_t)m[i];
	}
}

void pkt_in4(const char *s, uint8_t out[4])
{
	if (!s || inet_pton(AF_INET, s, out) != 1)
		die("IPv4", s);
}

void pkt_in6(const char *s, uint8_t out[16])
{
	if (!s || inet_pton(AF_INET6, s, out) != 1)
		die("IPv6", s);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = v >> 24;
	b[1] = (v >> 16) & 0xff;
	b[2] = (v >> 8) & 0xff;
	b[3] = v & 0xff;
}

uint16_t pkt_csum_partial(const uint8_t *b, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int pkt_ip4_csum_ok(const uint8_t *b)
{
	size_t hlen = (size_t)(b[0] & 0x0f) * 4;

	return hlen >= 20 && pkt_csum_partial(b, hlen, 0) == 0xffff;
}

size_t pkt_put_eth(uint8_t *b, const char *dmac, const char *smac, uint16_t vlan_tci,
		   uint16_t ethertype)
{
	size_t n = 12;

	pkt_mac(dmac, b);
	pkt_mac(smac, b + 6);
	if (vlan_tci) {
		put16(b + n, 0x8100);
		put16(b + n + 2, vlan_tci);
		n += 4;
	}
	put16(b + n, ethertype);
	return n + 2;
}

/* The upper-layer checksum over the IPv6 pseudo-header (RFC 8200 §8.1). */
static uint16_t l4_csum6(const uint8_t *ip6, const uint8_t *l4, size_t l4_len, uint8_t nh)
{
	uint8_t ph[40];
	uint32_t sum;

	memcpy(ph, ip6 + 8, 32);
	put32(ph + 32, (uint32_t)l4_len);
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = nh;
	sum = pkt_csum_partial(ph, sizeof(ph), 0);
	return (uint16_t)~pkt_csum_partial(l4, l4_len, sum);
}

static void fill_payload(uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)('a' + i % 26);
}

/* ND options (RFC 4861 §4.6.1-4.6.4), until PKT_OPT_END. */
static size_t put_nd_opts(uint8_t *b, const struct pkt_nd_opt *o)
{
	size_t n = 0, len;

	for (; o && o->kind != PKT_OPT_END; o++) {
		uint8_t *p = b + n;

		switch (o->kind) {
		case PKT_OPT_SLLA:
		case PKT_OPT_TLLA:
			p[0] = o->kind == PKT_OPT_SLLA ? 1 : 2;
			p[1] = 1;
			pkt_mac(o->mac, p + 2);
			len = 8;
			break;
		case PKT_OPT_PIO:
			p[0] = 3;
			p[1] = 4;
			p[2] = o->plen;
			p[3] = o->flags;
			put32(p + 4, o->valid);
			put32(p + 8, o->preferred);
			put32(p + 12, 0);            /* reserved2 */
			pkt_in6(o->prefix, p + 16);
			len = 32;
			break;
		case PKT_OPT_MTU:
			p[0] = 5;
			p[1] = 1;
			put16(p + 2, 0);             /* reserved */
			put32(p + 4, o->mtu);
			len = 8;
			break;
		case PKT_OPT_RIO: {
			uint8_t a[16];

			p[0] = 24;
			p[1] = o->len;
			p[2] = o->plen;
			p[3] = o->flags;
			put32(p + 4, o->valid);
			len = (size_t)o->len * 8;
			if (len < 8 || len > 24) {
				fprintf(stderr, "pkt: route information option length %u\n", o->len);
				abort();
			}
			pkt_in6(o->prefix, a);
			memcpy(p + 8, a, len - 8);
			break;
		}
		case PKT_OPT_RAW:
			len = o->raw_bytes ? o->raw_bytes : (size_t)o->len * 8;
			if (len < 2)
				len = 2;
			p[0] = o->type;
			p[1] = o->len;
			memset(p + 2, 0x5a, len - 2);
			break;
		default:
			fprintf(stderr, "pkt: unknown ND option kind %d\n", o->kind);
			abort();
		}
		n += len;
		if (n > 1024) {
			fprintf(stderr, "pkt: ND options longer than 1024 bytes\n");
			abort();
		}
	}
	return n;
}

/* ICMPv6 Neighbour Discovery message (RFC 4861 §4.1-4.4) at u.  Returns its length. */
static size_t put_nd(uint8_t *u, const struct pkt_l4s *l4)
{
	const struct pkt_nd *nd = &l4->nd;
	size_t ulen;

	u[0] = l4->type;
	u[1] = l4->code;
	put16(u + 2, 0);
	switch (l4->type) {
	case 134: /* Router Advertisement */
		u[4] = nd->cur_hlim;
		u[5] = nd->ra_flags;
		put16(u + 6, nd->router_lifetime);
		put32(u + 8, nd->reachable);
		put32(u + 12, nd->retrans);
		ulen = 16;
		break;
	case 135: /* Neighbour Solicitation */
	case 136: /* Neighbour Advertisement */
		put32(u + 4, l4->type == 136 ? nd->na_flags : 0);
		pkt_in6(nd->target, u + 8);
		ulen = 24;
		break;
	default:  /* Router Solicitation and others: a 4-byte reserved field */
		put32(u + 4, 0);
		ulen = 8;
		break;
	}
	ulen += put_nd_opts(u + ulen, nd->opts);
	if (nd->cut && nd->cut < ulen)
		ulen = nd->cut;
	return ulen;
}

size_t pkt_put_ip6(uint8_t *b, const struct pkt_ip6 *ip6, const struct pkt_l4s *l4)
{
	uint8_t *u = b + 40;
	size_t ulen = 0;
	uint8_t nh = 59;
	uint16_t ck;
	int version = ip6->version ? ip6->version : 6;

	if (l4->payload_len > PKT_MAX - 200) {
		fprintf(stderr, "pkt: payload of %zu bytes too large\n", l4->payload_len);
		abort();
	}
	put32(b, (uint32_t)version << 28 | (uint32_t)ip6->tclass << 20 | (ip6->flow & 0xfffff));
	b[7] = ip6->hlim;
	pkt_in6(ip6->src, b + 8);
	pkt_in6(ip6->dst, b + 24);

	switch (l4->kind) {
	case PKT_L4_NONE:
		nh = 59;
		ulen = 0;
		break;
	case PKT_L4_TCP_SYN:
		nh = 6;
		ulen = 20;
		memset(u, 0, ulen);
		put16(u, l4->sport);
		put16(u + 2, l4->dport);
		put32(u + 4, 1000);          /* sequence */
		u[12] = 5 << 4;              /* data offset */
		u[13] = l4->tcp_flags ? l4->tcp_flags : 0x02;  /* SYN */
		put16(u + 14, 64240);        /* window */
		ck = l4_csum6(b, u, ulen, nh);
		put16(u + 16, ck);
		break;
	case PKT_L4_UDP:
		nh = 17;
		ulen = 8 + l4->payload_len;
		put16(u, l4->sport);
		put16(u + 2, l4->dport);
		put16(u + 4, (uint16_t)ulen);
		put16(u + 6, 0);
		fill_payload(u + 8, l4->payload_len);
		ck = l4_csum6(b, u, ulen, nh);
		put16(u + 6, ck ? ck : 0xffff);
		break;
	case PKT_L4_ICMP6_ECHO:
		nh = 58;
		ulen = 8 + l4->payload_len;
		u[0] = l4->type ? l4->type : 128; /* echo request */
		u[1] = 0;
		put16(u + 2, 0);
		put16(u + 4, l4->sport ? l4->sport : 0x4242); /* identifier */
		put16(u + 6, 1);             /* sequence */
		fill_payload(u + 8, l4->payload_len);
		ck = l4_csum6(b, u, ulen, nh);
		put16(u + 2, ck);
		break;
	case PKT_L4_ICMP6_ERR: {
		size_t qlen;

		if (!l4->q_ip6 || !l4->q_l4) {
			fprintf(stderr, "pkt: ICMPv6 error without a quoted packet\n");
			abort();
		}
		nh = 58;
		u[0] = l4->type;
		u[1] = l4->code;
		put16(u + 2, 0);
		put32(u + 4, l4->info);
		qlen = pkt_put_ip6(u + 8, l4->q_ip6, l4->q_l4);
		if (l4->q_cut && l4->q_cut < qlen)
			qlen = l4->q_cut;
		if (qlen > 1280 - 40 - 8)
			qlen = 1280 - 40 - 8;
		ulen = 8 + qlen;
		ck = l4_csum6(b, u, ulen, nh);
		put16(u + 2, ck);
		break;
	}
	case PKT_L4_ND:
		nh = 58;
		ulen = put_nd(u, l4);
		ck = l4_csum6(b, u, ulen, nh);
		if (l4->nd.bad_csum)
			ck ^= 1;
		if (ulen >= 4)
			put16(u + 2, ck);
		break;
	}
	b[6] = nh;
	put16(b + 4, (uint16_t)((int)ulen + ip6->plen_adj));
	return 40 + ulen;
}

size_t pkt_put_ip4(uint8_t *b, const struct pkt_ip4 *ip4, size_t payload_len)
{
	size_t hlen = 20 + ip4->opts_len;
	uint16_t ck;

	if (ip4->opts_len % 4 || hlen > 60) {
		fprintf(stderr, "pkt: IPv4 options must be a multiple of 4 bytes, at most 40\n");
		abort();
	}
	b[0] = (uint8_t)((ip4->version ? ip4->version : 4) << 4) |
	       (uint8_t)(ip4->ihl ? ip4->ihl : hlen / 4);
	b[1] = ip4->tos;
	put16(b + 2, (uint16_t)((int)(hlen + payload_len) + ip4->tot_len_adj));
	put16(b + 4, ip4->id);
	put16(b + 6, ip4->frag);
	b[8] = ip4->ttl ? ip4->ttl : 64;
	b[9] = (uint8_t)(ip4->proto ? ip4->proto : 41);
	put16(b + 10, 0);
	pkt_in4(ip4->src, b + 12);
	pkt_in4(ip4->dst, b + 16);
	if (ip4->opts_len)
		memcpy(b + 20, ip4->opts, ip4->opts_len);
	ck = (uint16_t)~pkt_csum_partial(b, hlen, 0);
	if (ip4->csum == PKT_CSUM_BAD)
		ck ^= 1;
	put16(b + 10, ck);
	return hlen;
}

/* ARP request, Ethernet/IPv4 (RFC 826). */
static size_t put_arp(uint8_t *b, const struct pkt_frame *f)
{
	put16(b, 1);            /* hardware: Ethernet */
	put16(b + 2, 0x0800);   /* protocol: IPv4 */
	b[4] = 6;
	b[5] = 4;
	put16(b + 6, 1);        /* request */
	pkt_mac(f->smac, b + 8);
	pkt_in4(f->ip4.src, b + 14);
	memset(b + 18, 0, 6);
	pkt_in4(f->ip4.dst, b + 24);
	return 28;
}

/* The Ethernet header of f: MACs, its tags (f->tags, else f->vlan_tci), ethertype. */
static size_t put_eth_frame(uint8_t *b, const struct pkt_frame *f, uint16_t ethertype)
{
	size_t n = 12, i;

	if (!f->tags[0].tpid)
		return pkt_put_eth(b, f->dmac, f->smac, f->vlan_tci, ethertype);
	pkt_mac(f->dmac, b);
	pkt_mac(f->smac, b + 6);
	for (i = 0; i < PKT_MAX_TAGS && f->tags[i].tpid; i++, n += 4) {
		put16(b + n, f->tags[i].tpid);
		put16(b + n + 2, f->tags[i].tci);
	}
	put16(b + n, ethertype);
	return n + 2;
}

size_t pkt_l2_len(const struct pkt_frame *f)
{
	size_t i, n = 14;

	if (!f->tags[0].tpid)
		return f->vlan_tci ? 18 : 14;
	for (i = 0; i < PKT_MAX_TAGS && f->tags[i].tpid; i++)
		n += 4;
	return n;
}

/* ICMPv4 error (RFC 792) quoting q_ip4 + the first qcut bytes of the IPv6
 * packet inner (ilen bytes long) at m.  Returns its length. */
static size_t put_icmp4_err(uint8_t *m, const struct pkt_frame *f, const uint8_t *inner,
			    size_t ilen, size_t qcut)
{
	size_t qh, len;
	uint16_t ck;

	m[0] = f->icmp4.type;
	m[1] = f->icmp4.code;
	put16(m + 2, 0);
	m[4] = 0;
	m[5] = f->icmp4.length;
	put16(m + 6, f->icmp4.mtu);
	qh = pkt_put_ip4(m + 8, &f->q_ip4, ilen);
	memcpy(m + 8 + qh, inner, qcut);
	len = 8 + qh + qcut;
	ck = (uint16_t)~pkt_csum_partial(m, len, 0);
	if (f->icmp4.bad_csum)
		ck ^= 1;
	put16(m + 2, ck);
	return len;
}

size_t pkt_build(const struct pkt_frame *f, uint8_t *buf)
{
	uint8_t inner[PKT_MAX];
	size_t n = 0, ilen;

	memset(buf, 0, PKT_MAX);
	switch (f->kind) {
	case PKT_ISATAP:
		ilen = pkt_put_ip6(inner, &f->ip6, &f->l4);
		if (f->inner_cut && f->inner_cut < ilen)
			ilen = f->inner_cut;
		n = put_eth_frame(buf, f, 0x0800);
		n += pkt_put_ip4(buf + n, &f->ip4, ilen);
		memcpy(buf + n, inner, ilen);
		n += ilen;
		break;
	case PKT_IPV6:
		n = put_eth_frame(buf, f, 0x86dd);
		n += pkt_put_ip6(buf + n, &f->ip6, &f->l4);
		break;
	case PKT_ARP:
		n = put_eth_frame(buf, f, 0x0806);
		n += put_arp(buf + n, f);
		break;
	case PKT_ICMP4_ERR: {
		uint8_t msg[PKT_MAX];
		size_t qcut, mlen;

		ilen = pkt_put_ip6(inner, &f->ip6, &f->l4);
		qcut = f->inner_cut && f->inner_cut < ilen ? f->inner_cut : ilen;
		mlen = put_icmp4_err(msg, f, inner, ilen, qcut);
		n = put_eth_frame(buf, f, 0x0800);
		n += pkt_put_ip4(buf + n, &f->ip4, mlen);
		memcpy(buf + n, msg, mlen);
		n += mlen;
		break;
	}
	default:
		fprintf(stderr, "pkt: unknown frame kind %d\n", f->kind);
		abort();
	}
	if (f->pad_to > n && f->pad_to <= PKT_MAX) {
		memset(buf + n, f->pad_byte, f->pad_to - n);
		n = f->pad_to;
	}
	if (f->cut_to && f->cut_to < n)
		n = f->cut_to;
	return n;
}

static int line_differs(const uint8_t *exp, size_t exp_len, const uint8_t *got, size_t got_len,
			const uint8_t *ignore, size_t off)
{
	size_t i;

	for (i = off; i < off + 16; i++) {
		int have_e = i < exp_len, have_g = i < got_len;

		if (have_e != have_g)
			return 1;
		if (have_e && exp[i] != got[i] && !(ignore && ignore[i]))
			return 1;
	}
	return 0;
}

static void dump_line(FILE *out, const char *tag, const uint8_t *b, size_t len, size_t off)
{
	size_t i;

	fprintf(out, "    %s %04zx:", tag, off);
	for (i = off; i < off + 16; i++) {
		if (i < len)
			fprintf(out, " %02x", b[i]);
		else
			fprintf(out, "   ");
	}
	fprintf(out, "\n");
}

void pkt_hexdump_diff(FILE *out, const uint8_t *exp, size_t exp_len, const uint8_t *got,
		      size_t got_len, const uint8_t *ignore)
{
	size_t max = exp_len > got_len ? exp_len : got_len;
	size_t off, i;
	int elided = 0;

	fprintf(out, "    expected %zu bytes, got %zu bytes (^^ marks a difference)\n", exp_len,
		got_len);
	for (off = 0; off < max; off += 16) {
		int d = line_differs(exp, exp_len, got, got_len, ignore, off);
		int near = (off >= 16 && line_differs(exp, exp_len, got, got_len, ignore, off - 16)) ||
			   line_differs(exp, exp_len, got, got_len, ignore, off + 16);

		if (!d && !near && off != 0) {
			if (!elided)
				fprintf(out, "    ...\n");
			elided = 1;
			continue;
		}
		elided = 0;
		dump_line(out, "exp", exp, exp_len, off);
		dump_line(out, "got", got, got_len, off);
		if (d) {
			fprintf(out, "             ");
			for (i = off; i < off + 16 && i < max; i++) {
				int diff = (i < exp_len) != (i < got_len) ||
					   (i < exp_len && exp[i] != got[i] && !(ignore && ignore[i]));
				fprintf(out, "%s", diff ? " ^^" : "   ");
			}
			fprintf(out, "\n");
		}
	}
}
