// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipfix.c - IPFIX message encoder and UDP exporter (RFC 7011), see ipfix.h.
 *
 * Message: header (16 bytes: version 10, length, export time, sequence
 * number, observation domain), then sets (4-byte header: set ID, length);
 * set ID 2 carries templates, 256 (uniflow) or 257 (biflow) our data
 * records.  All fields are in network byte order.
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

/* RFC 5103: the reverse direction's information elements are the forward
 * ones under this private enterprise number. */
#define REVERSE_PEN 29305u
#define IE_ENTERPRISE 0x8000u

struct ie {
	uint16_t ie, len;
	uint32_t pen; /* 0: IANA */
};

static const struct ie uniflow[] = {
	{ 27, 16, 0 }, /* sourceIPv6Address */
	{ 28, 16, 0 }, /* destinationIPv6Address */
	{ 7, 2, 0 },   /* sourceTransportPort */
	{ 11, 2, 0 },  /* destinationTransportPort */
	{ 4, 1, 0 },   /* protocolIdentifier */
	{ 6, 2, 0 },   /* tcpControlBits */
	{ 139, 2, 0 }, /* icmpTypeCodeIPv6 */
	{ 61, 1, 0 },  /* flowDirection */
	{ 1, 8, 0 },   /* octetDeltaCount */
	{ 2, 8, 0 },   /* packetDeltaCount */
	{ 152, 8, 0 }, /* flowStartMilliseconds */
	{ 153, 8, 0 }, /* flowEndMilliseconds */
	{ 15, 4, 0 },  /* ipNextHopIPv4Address: the member (tunnel endpoint) */
};

/* The reverse TCP flags and ICMP type come before the forward ones: a
 * collector that folds reverse elements it does not know onto the forward
 * ones (nfdump 1.7 does, for all but the counters) keeps the forward's. */
static const struct ie biflow[] = {
	{ 27, 16, 0 },		 /* sourceIPv6Address: the member's side */
	{ 28, 16, 0 },		 /* destinationIPv6Address: the remote side */
	{ 7, 2, 0 },		 /* sourceTransportPort */
	{ 11, 2, 0 },		 /* destinationTransportPort */
	{ 4, 1, 0 },		 /* protocolIdentifier */
	{ 6, 2, REVERSE_PEN },	 /* reverseTcpControlBits */
	{ 6, 2, 0 },		 /* tcpControlBits */
	{ 139, 2, REVERSE_PEN }, /* reverseIcmpTypeCodeIPv6 */
	{ 139, 2, 0 },		 /* icmpTypeCodeIPv6 */
	{ 239, 1, 0 },		 /* biflowDirection: 3 perimeter (source inside) */
	{ 1, 8, 0 },		 /* octetDeltaCount: from the member */
	{ 2, 8, 0 },		 /* packetDeltaCount */
	{ 1, 8, REVERSE_PEN },	 /* reverseOctetDeltaCount: to the member */
	{ 2, 8, REVERSE_PEN },	 /* reversePacketDeltaCount */
	{ 152, 8, 0 },		 /* flowStartMilliseconds */
	{ 153, 8, 0 },		 /* flowEndMilliseconds */
	{ 15, 4, 0 },		 /* ipNextHopIPv4Address: the member (tunnel endpoint) */
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define BIFLOW_PERIMETER 3

static const struct ie *fields(enum ig_ipfix_format f, size_t *n)
{
	*n = f == IG_IPFIX_UNIFLOW ? N_OF(uniflow) : N_OF(biflow);
	return f == IG_IPFIX_UNIFLOW ? uniflow : biflow;
}

static size_t record_len(enum ig_ipfix_format f)
{
	const struct ie *t;
	size_t n, i, len = 0;

	t = fields(f, &n);
	for (i = 0; i < n; i++)
		len += t[i].len;
	return len;
}

uint16_t ig_ipfix_template_id(enum ig_ipfix_format f)
{
	return f == IG_IPFIX_UNIFLOW ? IG_IPFIX_TEMPLATE_ID : IG_IPFIX_BIFLOW_TEMPLATE_ID;
}

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

size_t ig_ipfix_template_set(enum ig_ipfix_format f, uint8_t *buf, size_t len)
{
	size_t n, need, i;
	const struct ie *t = fields(f, &n);
	uint8_t *p = buf;

	need = SET_HDR_LEN + 4;
	for (i = 0; i < n; i++)
		need += t[i].pen ? 8 : 4;
	if (len < need)
		return 0;
	p = put16(p, SET_ID_TEMPLATE);
	p = put16(p, (uint16_t)need);
	p = put16(p, ig_ipfix_template_id(f));
	p = put16(p, (uint16_t)n);
	for (i = 0; i < n; i++) {
		p = put16(p, (uint16_t)(t[i].ie | (t[i].pen ? IE_ENTERPRISE : 0)));
		p = put16(p, t[i].len);
		if (t[i].pen)
			p = put32(p, t[i].pen);
	}
	return need;
}

int ig_ipfix_open(struct ig_ipfix *x, const char *hostport, uint32_t domain,
		  enum ig_ipfix_format format)
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
	x->format = format;
	x->rate = IG_IPFIX_RATE_DEFAULT;
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
		return -EINVAL;
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
		return -EIO;
	}
	freeaddrinfo(res);
	x->fd = fd;
	return 0;
bad:
	ig_err("--ipfix %s: expected HOST:PORT or [IPV6]:PORT", hostport);
	return -EINVAL;
}

/*
 * Wait until the pace lets the next message go.  A signal does not cut the
 * wait short: the interval's records are owed to the collector (the
 * follower's state already counts them as reported), the follower stops
 * after its interval.  Behind by more than IG_IPFIX_PACE_SLACK_NS (a slow
 * read of the table), the pace starts again from now instead of bursting
 * to catch up.
 */
#define IG_IPFIX_PACE_SLACK_NS 100000000ull
static void pace(struct ig_ipfix *x)
{
	uint64_t now = ig_mono_now_ns(), start = now;
	struct timespec ts;

	if (!x->rate)
		return;
	if (x->next_ns + IG_IPFIX_PACE_SLACK_NS < now)
		x->next_ns = now;
	while (now < x->next_ns) {
		ts.tv_sec = (time_t)(x->next_ns / 1000000000ull);
		ts.tv_nsec = (long)(x->next_ns % 1000000000ull);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		now = ig_mono_now_ns();
	}
	x->paced_ns += now - start;
	x->next_ns += 1000000000ull / x->rate;
}

static int send_msg(struct ig_ipfix *x)
{
	ssize_t n;

	if (x->len <= IPFIX_HDR_LEN) {
		x->len = 0;
		return 0;
	}
	pace(x);
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
		x->len +=
			ig_ipfix_template_set(x->format, x->buf + x->len, sizeof(x->buf) - x->len);
		x->tmpl_sent = now;
	}
}

/* icmpTypeCodeIPv6 of direction dir (0 from the member): ports carry the
 * ICMPv6 identity (see isagate.h). */
static uint16_t icmp_type_code(const struct ig_flow_delta *d, int dir)
{
	const struct ig_flow_key *k = &d->key;

	if (!IG_FLOW_IS_ECHO(k->remote_port))
		return k->remote_port;
	/* the last type seen that way, else what the asking side sends
	 * (request) and the other answers (reply) */
	return (uint16_t)((d->icmp_type[dir]					? d->icmp_type[dir]
			   : (k->remote_port == IG_FLOW_ICMP_ECHO_PORT) == !dir ? 128
										: 129)
			  << 8);
}

/* Room for one record of len bytes in the open message (sending the full
 * one first), with a data set open: 0 or the send's -errno. */
static int record_room(struct ig_ipfix *x, size_t len)
{
	int err = 0;
	uint8_t *p;

	msg_begin(x);
	if (x->len + SET_HDR_LEN + len > sizeof(x->buf)) {
		err = send_msg(x);
		msg_begin(x);
	}
	if (!x->set_off) {
		x->set_off = x->len;
		p = put16(x->buf + x->len, ig_ipfix_template_id(x->format));
		put16(p, 0);   /* length: filled by send_msg */
		x->len += SET_HDR_LEN;
	}
	return err;
}

/* The fields both formats end with; the record is complete. */
static void record_end(struct ig_ipfix *x, uint8_t *p, const struct ig_flow_delta *d)
{
	p = put64(p, ig_mono_to_wall_ms(d->first_ns));
	p = put64(p, ig_mono_to_wall_ms(d->last_ns));
	memcpy(p, d->key.member, 4);
	p += 4;
	x->len = (size_t)(p - x->buf);
	x->msg_records++;
	x->sent_records++;
}

/* Uniflow: direction dir's record, source and destination that direction's. */
static int add_uniflow(struct ig_ipfix *x, const struct ig_flow_delta *d, int dir)
{
	const struct ig_flow_key *k = &d->key;
	bool icmp = k->proto == 58;
	uint16_t sport = icmp ? 0 : dir ? k->remote_port : k->member_port;
	uint16_t dport = icmp ? 0 : dir ? k->member_port : k->remote_port;
	int err = record_room(x, record_len(IG_IPFIX_UNIFLOW));
	uint8_t *p = x->buf + x->len;

	memcpy(p, dir ? k->remote_addr : k->member_addr, 16);
	p += 16;
	memcpy(p, dir ? k->member_addr : k->remote_addr, 16);
	p += 16;
	p = put16(p, sport);
	p = put16(p, dport);
	*p++ = k->proto;
	p = put16(p, k->proto == 6 ? d->tcp_flags[dir] : 0);
	p = put16(p, icmp ? icmp_type_code(d, dir) : 0);
	*p++ = (uint8_t)dir;
	p = put64(p, d->bytes[dir]);
	p = put64(p, d->packets[dir]);
	record_end(x, p, d);
	return err;
}

/* Biflow (RFC 5103): one record, the member's side as source (perimeter),
 * the remote side's counts as the reverse ones. */
static int add_biflow(struct ig_ipfix *x, const struct ig_flow_delta *d)
{
	const struct ig_flow_key *k = &d->key;
	bool icmp = k->proto == 58, tcp = k->proto == 6;
	int err = record_room(x, record_len(IG_IPFIX_BIFLOW));
	uint8_t *p = x->buf + x->len;

	memcpy(p, k->member_addr, 16);
	p += 16;
	memcpy(p, k->remote_addr, 16);
	p += 16;
	p = put16(p, icmp ? 0 : k->member_port);
	p = put16(p, icmp ? 0 : k->remote_port);
	*p++ = k->proto;
	p = put16(p, tcp ? d->tcp_flags[1] : 0);
	p = put16(p, tcp ? d->tcp_flags[0] : 0);
	p = put16(p, icmp ? icmp_type_code(d, 1) : 0);
	p = put16(p, icmp ? icmp_type_code(d, 0) : 0);
	*p++ = BIFLOW_PERIMETER;
	p = put64(p, d->bytes[0]);
	p = put64(p, d->packets[0]);
	p = put64(p, d->bytes[1]);
	p = put64(p, d->packets[1]);
	record_end(x, p, d);
	return err;
}

int ig_ipfix_add(struct ig_ipfix *x, const struct ig_flow_delta *d)
{
	int dir, err = 0, e, added = 0;

	if (x->format == IG_IPFIX_BIFLOW)
		/* a record with nothing new (a final one) still tells the
		 * collector the flow ended */
		return d->packets[0] || d->packets[1] || d->end ? add_biflow(x, d) : 0;
	for (dir = 0; dir < 2; dir++) {
		if (!d->packets[dir])
			continue;
		e = add_uniflow(x, d, dir);
		err = err ?: e;
		added++;
	}
	/* a final record with nothing new still tells the collector it ended */
	if (!added && d->end) {
		int only = d->tot_packets[1] && !d->tot_packets[0] ? 1 : 0;

		err = add_uniflow(x, d, only);
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
