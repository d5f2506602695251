// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipfix.c - IPFIX message encoder and UDP exporter (RFC 7011), see ipfix.h.
 *
 * Message: header (16 bytes: version 10, length, export time, sequence
 * number, observation domain), then sets (4-byte header: set ID, length);
 * set ID 2 carries templates, 256 our data records.  All fields are in
 * network byte order.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "ipfix.h"

#define IPFIX_VERSION   10
#define IPFIX_HDR_LEN   16
#define SET_HDR_LEN     4
#define SET_ID_TEMPLATE 2

static const struct {
	uint16_t ie, len;
} tmpl[] = {
	{ 27, 16 },  /* sourceIPv6Address */
	{ 28, 16 },  /* destinationIPv6Address */
	{ 7, 2 },    /* sourceTransportPort */
	{ 11, 2 },   /* destinationTransportPort */
	{ 4, 1 },    /* protocolIdentifier */
	{ 6, 2 },    /* tcpControlBits */
	{ 139, 2 },  /* icmpTypeCodeIPv6 */
	{ 61, 1 },   /* flowDirection */
	{ 1, 8 },    /* octetDeltaCount */
	{ 2, 8 },    /* packetDeltaCount */
	{ 152, 8 },  /* flowStartMilliseconds */
	{ 153, 8 },  /* flowEndMilliseconds */
	{ 15, 4 },   /* ipNextHopIPv4Address: the member (tunnel endpoint) */
};
#define N_FIELDS (sizeof(tmpl) / sizeof(tmpl[0]))
#define RECORD_LEN (16 + 16 + 2 + 2 + 1 + 2 + 2 + 1 + 8 + 8 + 8 + 8 + 4)

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	p = put32(p, (uint32_t)(v >> 32));
	return put32(p, (uint32_t)v);
}

size_t ig_ipfix_template_set(uint8_t *buf, size_t len)
{
	size_t need = SET_HDR_LEN + 4 + 4 * N_FIELDS, i;
	uint8_t *p = buf;

	if (len < need)
		return 0;
	p = put16(p, SET_ID_TEMPLATE);
	p = put16(p, (uint16_t)need);
	p = put16(p, IG_IPFIX_TEMPLATE_ID);
	p = put16(p, (uint16_t)N_FIELDS);
	for (i = 0; i < N_FIELDS; i++) {
		p = put16(p, tmpl[i].ie);
		p = put16(p, tmpl[i].len);
	}
	return need;
}

int ig_ipfix_open(struct ig_ipfix *x, const char *hostport, uint32_t domain)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	char host[256];
	const char *port, *colon;
	size_t hl;
	int rc, fd = -1;

	memset(x, 0, sizeof(*x));
	x->fd = -1;
	x->domain = domain;
	if (hostport[0] == '[') {
		colon = strstr(hostport, "]:");
		if (!colon)
			goto bad;
		hl = (size_t)(colon - hostport - 1);
		port = colon + 2;
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, hostport + 1, hl);
	} else {
		colon = strrchr(hostport, ':');
		if (!colon || strchr(hostport, ':') != colon)
			goto bad;
		hl = (size_t)(colon - hostport);
		port = colon + 1;
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, hostport, hl);
	}
	host[hl] = '\0';
	if (!*host || !*port)
		goto bad;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		ig_err("--ipfix %s: %s", hostport, gai_strerror(rc));
		return IG_EXIT_USAGE;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		ig_err("--ipfix %s: cannot reach the collector: %s", hostport, strerror(errno));
		freeaddrinfo(res);
		return IG_EXIT_FAIL;
	}
	freeaddrinfo(res);
	x->fd = fd;
	return 0;
bad:
	ig_err("--ipfix %s: expected HOST:PORT or [IPV6]:PORT", hostport);
	return IG_EXIT_USAGE;
}

static int send_msg(struct ig_ipfix *x)
{
	ssize_t n;

	if (x->len <= IPFIX_HDR_LEN) {
		x->len = 0;
		return 0;
	}
	/* close the open data set, then the message header */
	if (x->set_off)
		put16(x->buf + x->set_off + 2, (uint16_t)(x->len - x->set_off));
	put16(x->buf, IPFIX_VERSION);
	put16(x->buf + 2, (uint16_t)x->len);
	put32(x->buf + 4, (uint32_t)time(NULL));
	put32(x->buf + 8, x->seq);
	put32(x->buf + 12, x->domain);
	n = send(x->fd, x->buf, x->len, 0);
	x->seq += x->msg_records;
	x->len = 0;
	x->set_off = 0;
	x->msg_records = 0;
	if (n < 0) {
		/* a collector that is down (ICMP port unreachable) must not stop
		 * the exporter: count it, say it, go on */
		x->send_errors++;
		return -errno;
	}
	x->sent_msgs++;
	return 0;
}

/* Open a message (with the template when due) if none is open. */
static void msg_begin(struct ig_ipfix *x)
{
	time_t now = time(NULL);

	if (x->len)
		return;
	x->len = IPFIX_HDR_LEN;
	if (!x->tmpl_sent || now - x->tmpl_sent >= IG_IPFIX_TEMPLATE_EVERY) {
		x->len += ig_ipfix_template_set(x->buf + x->len, sizeof(x->buf) - x->len);
		x->tmpl_sent = now;
	}
}

static int add_record(struct ig_ipfix *x, const struct ig_flow_delta *d, int dir)
{
	const struct ig_flow_key *k = &d->key;
	uint16_t sport = dir ? k->remote_port : k->member_port;
	uint16_t dport = dir ? k->member_port : k->remote_port;
	uint16_t icmp = 0;
	uint8_t *p;
	int err = 0;

	if (k->proto == 58) {
		/* ports carry the ICMPv6 identity (see isagate.h): export it as
		 * icmpTypeCodeIPv6 and no ports */
		if (IG_FLOW_IS_ECHO(k->remote_port))
			/* the last type seen that way, else what the asking side
			 * sends (request) and the other answers (reply) */
			icmp = (uint16_t)((d->icmp_type[dir] ? d->icmp_type[dir] :
					   (k->remote_port == IG_FLOW_ICMP_ECHO_PORT) == !dir ?
					   128 : 129) << 8);
		else
			icmp = k->remote_port;
		sport = dport = 0;
	}
	msg_begin(x);
	if (x->len + SET_HDR_LEN + RECORD_LEN > sizeof(x->buf)) {
		err = send_msg(x);
		msg_begin(x);
	}
	if (!x->set_off) {
		x->set_off = x->len;
		p = put16(x->buf + x->len, IG_IPFIX_TEMPLATE_ID);
		put16(p, 0);   /* length: filled by send_msg */
		x->len += SET_HDR_LEN;
	}
	p = x->buf + x->len;
	memcpy(p, dir ? k->remote_addr : k->member_addr, 16);
	p += 16;
	memcpy(p, dir ? k->member_addr : k->remote_addr, 16);
	p += 16;
	p = put16(p, sport);
	p = put16(p, dport);
	*p++ = k->proto;
	p = put16(p, k->proto == 6 ? d->tcp_flags[dir] : 0);
	p = put16(p, icmp);
	*p++ = (uint8_t)dir;
	p = put64(p, d->bytes[dir]);
	p = put64(p, d->packets[dir]);
	p = put64(p, ig_mono_to_wall_ms(d->first_ns));
	p = put64(p, ig_mono_to_wall_ms(d->last_ns));
	memcpy(p, k->member, 4);
	p += 4;
	x->len = (size_t)(p - x->buf);
	x->msg_records++;
	x->sent_records++;
	return err;
}

int ig_ipfix_add(struct ig_ipfix *x, const struct ig_flow_delta *d)
{
	int dir, err = 0, e, added = 0;

	for (dir = 0; dir < 2; dir++) {
		if (!d->packets[dir])
			continue;
		e = add_record(x, d, dir);
		err = err ?: e;
		added++;
	}
	/* a final record with nothing new still tells the collector it ended */
	if (!added && d->end) {
		int only = d->tot_packets[1] && !d->tot_packets[0] ? 1 : 0;

		err = add_record(x, d, only);
	}
	return err;
}

int ig_ipfix_flush(struct ig_ipfix *x)
{
	/* a template even in an idle interval keeps a restarted collector fed */
	if (!x->len && (!x->tmpl_sent || time(NULL) - x->tmpl_sent >= IG_IPFIX_TEMPLATE_EVERY))
		msg_begin(x);
	return send_msg(x);
}

void ig_ipfix_close(struct ig_ipfix *x)
{
	if (x->fd >= 0) {
		ig_ipfix_flush(x);
		close(x->fd);
	}
	x->fd = -1;
}
