// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_ipfix.c - the bytes of user/lib/ipfix.c's messages, read back field
 * by field: both templates (the RFC 5103 reverse elements with the
 * enterprise bit and PEN 29305), a biflow record (the member's side as
 * source, both directions' counts, biflowDirection perimeter), the uniflow
 * records (one per direction that moved, source and destination swapped for
 * the remote side's), what is not exported (nothing moved, not ended).
 * Records are built in the exporter's buffer; the pacing case sends them
 * into a local datagram socket pair (no network).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "ipfix.h"

#define MSG_HDR 16
#define SET_HDR 4

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* A two-way ICMPv6 echo conversation of member 192.0.2.10 and a TCP one. */
static void delta(struct ig_flow_delta *d, uint8_t proto)
{
	memset(d, 0, sizeof(*d));
	inet_pton(AF_INET, "192.0.2.10", d->key.member);
	inet_pton(AF_INET6, "2001:db8:1:8000::5efe:c000:20a", d->key.member_addr);
	inet_pton(AF_INET6, "2001:db8:dac::100", d->key.remote_addr);
	d->key.proto = proto;
	d->key.member_port = proto == 58 ? 0x1111 : 50000;
	d->key.remote_port = proto == 58 ? IG_FLOW_ICMP_ECHO_PORT : 3389;
	d->packets[0] = 5;
	d->bytes[0] = 500;
	d->packets[1] = 3;
	d->bytes[1] = 312;
	d->tcp_flags[0] = 0x02; /* SYN */
	d->tcp_flags[1] = 0x12; /* SYN+ACK */
}

/* Template set at buf: id, field count; *fields points at the first. */
static const uint8_t *template_at(const uint8_t *buf, uint16_t *id, uint16_t *n)
{
	CHECK(get16(buf) == 2, "set id %u, want 2 (template)", get16(buf));
	*id = get16(buf + 4);
	*n = get16(buf + 6);
	return buf + 8;
}

static void biflow_template(void)
{
	/* (element, enterprise) in order; reverse elements before forward ones
	 * where nfdump would fold them onto the forward's */
	static const struct {
		uint16_t ie;
		uint32_t pen;
		uint16_t len;
	} want[] = {
		{ 27, 0, 16 },	 { 28, 0, 16 }, { 7, 0, 2 },	   { 11, 0, 2 },    { 4, 0, 1 },
		{ 6, 29305, 2 }, { 6, 0, 2 },	{ 139, 29305, 2 }, { 139, 0, 2 },   { 239, 0, 1 },
		{ 1, 0, 8 },	 { 2, 0, 8 },	{ 1, 29305, 8 },   { 2, 29305, 8 }, { 152, 0, 8 },
		{ 153, 0, 8 },	 { 15, 0, 4 },
	};
	uint8_t buf[512];
	size_t len = ig_ipfix_template_set(IG_IPFIX_BIFLOW, buf, sizeof(buf)), i;
	uint16_t id, n;
	const uint8_t *p = template_at(buf, &id, &n);

	CHECK(id == 257, "template id %u, want 257", id);
	CHECK(n == sizeof(want) / sizeof(want[0]), "%u fields", n);
	CHECK(len == get16(buf + 2), "set length %u, returned %zu", get16(buf + 2), len);
	for (i = 0; i < n && i < sizeof(want) / sizeof(want[0]); i++) {
		uint16_t ie = get16(p);

		CHECK((ie & 0x7fff) == want[i].ie, "field %zu: element %u, want %u", i, ie & 0x7fff,
		      want[i].ie);
		CHECK(!!(ie & 0x8000) == !!want[i].pen, "field %zu: enterprise bit", i);
		CHECK(get16(p + 2) == want[i].len, "field %zu: length %u", i, get16(p + 2));
		p += 4;
		if (ie & 0x8000) {
			CHECK(get32(p) == want[i].pen, "field %zu: PEN %u", i, get32(p));
			p += 4;
		}
	}
	CHECK((size_t)(p - buf) == len, "template parsed to %td of %zu bytes", p - buf, len);
	CHECK(ig_ipfix_template_set(IG_IPFIX_BIFLOW, buf, len - 1) == 0,
	      "a buffer one byte short takes nothing");
}

static void uniflow_template(void)
{
	uint8_t buf[512];
	size_t len = ig_ipfix_template_set(IG_IPFIX_UNIFLOW, buf, sizeof(buf)), i;
	uint16_t id, n;
	const uint8_t *p = template_at(buf, &id, &n);

	CHECK(id == 256, "template id %u, want 256", id);
	CHECK(n == 13 && len == SET_HDR + 4 + 13 * 4, "%u fields, %zu bytes", n, len);
	for (i = 0; i < n; i++)
		CHECK(!(get16(p + 4 * i) & 0x8000), "field %zu: IANA only", i);
	CHECK(get16(p + 7 * 4) == 61, "flowDirection where biflowDirection is");
}

/* The exporter with one delta added; returns the data set's offset. */
static size_t encode(struct ig_ipfix *x, enum ig_ipfix_format f, const struct ig_flow_delta *d)
{
	size_t off;

	memset(x, 0, sizeof(*x));
	x->fd = -1;
	x->format = f;
	CHECK(ig_ipfix_add(x, d) == 0, "add");
	off = MSG_HDR + get16(x->buf + MSG_HDR + 2); /* past the template set */
	CHECK(get16(x->buf + off) == ig_ipfix_template_id(f), "data set id %u",
	      get16(x->buf + off));
	return off;
}

static void biflow_record(void)
{
	struct ig_flow_delta d;
	struct ig_ipfix x;
	const uint8_t *r;
	size_t off;

	delta(&d, 6);
	off = encode(&x, IG_IPFIX_BIFLOW, &d);
	r = x.buf + off + SET_HDR;
	CHECK(x.msg_records == 1, "%u records, want 1 for both directions", x.msg_records);
	CHECK(x.len - off - SET_HDR == 98, "record of %zu bytes, want 98", x.len - off - SET_HDR);
	CHECK(!memcmp(r, d.key.member_addr, 16), "source: the member's side");
	CHECK(!memcmp(r + 16, d.key.remote_addr, 16), "destination: the remote side");
	CHECK(get16(r + 32) == 50000 && get16(r + 34) == 3389, "ports %u -> %u", get16(r + 32),
	      get16(r + 34));
	CHECK(r[36] == 6, "protocol");
	CHECK(get16(r + 37) == 0x12 && get16(r + 39) == 0x02, "reverse flags %#x, flags %#x",
	      get16(r + 37), get16(r + 39));
	CHECK(get16(r + 41) == 0 && get16(r + 43) == 0, "no ICMP type for TCP");
	CHECK(r[45] == 3, "biflowDirection %u, want 3 (perimeter)", r[45]);
	CHECK(get64(r + 46) == 500 && get64(r + 54) == 5, "from the member: %llu bytes, %llu pkts",
	      (unsigned long long)get64(r + 46), (unsigned long long)get64(r + 54));
	CHECK(get64(r + 62) == 312 && get64(r + 70) == 3, "to the member: %llu bytes, %llu pkts",
	      (unsigned long long)get64(r + 62), (unsigned long long)get64(r + 70));
	CHECK(!memcmp(r + 94, d.key.member, 4), "ipNextHopIPv4Address: the member");

	/* one-way (unanswered): the reverse counts are 0 in the same record */
	delta(&d, 58);
	d.packets[1] = d.bytes[1] = 0;
	off = encode(&x, IG_IPFIX_BIFLOW, &d);
	r = x.buf + off + SET_HDR;
	CHECK(x.msg_records == 1, "one record for a one-way flow");
	CHECK(get16(r + 32) == 0 && get16(r + 34) == 0, "no ports for ICMPv6");
	CHECK(get16(r + 43) == 128 << 8 && get16(r + 41) == 129 << 8,
	      "echo request from the member, reply the reverse: %#x / %#x", get16(r + 43),
	      get16(r + 41));
	CHECK(get64(r + 54) == 5 && get64(r + 70) == 0, "5 packets out, none back");
}

static void uniflow_records(void)
{
	struct ig_flow_delta d;
	struct ig_ipfix x;
	const uint8_t *r;
	size_t off;

	delta(&d, 6);
	off = encode(&x, IG_IPFIX_UNIFLOW, &d);
	r = x.buf + off + SET_HDR;
	CHECK(x.msg_records == 2, "%u records, want one per direction", x.msg_records);
	CHECK(x.len - off - SET_HDR == 2 * 78, "records of %zu bytes", x.len - off - SET_HDR);
	CHECK(!memcmp(r, d.key.member_addr, 16) && r[41] == 0 && get64(r + 50) == 5,
	      "first: from the member, flowDirection 0, 5 packets");
	r += 78;
	CHECK(!memcmp(r, d.key.remote_addr, 16) && !memcmp(r + 16, d.key.member_addr, 16),
	      "second: the remote side as source");
	CHECK(get16(r + 32) == 3389 && get16(r + 34) == 50000, "second: ports swapped");
	CHECK(r[41] == 1 && get64(r + 50) == 3 && get16(r + 37) == 0x12,
	      "second: flowDirection 1, 3 packets, SYN+ACK");
}

static void nothing_to_export(void)
{
	struct ig_flow_delta d;
	struct ig_ipfix x;
	enum ig_ipfix_format f;

	for (f = IG_IPFIX_BIFLOW; f <= IG_IPFIX_UNIFLOW; f++) {
		delta(&d, 6);
		memset(d.packets, 0, sizeof(d.packets));
		memset(&x, 0, sizeof(x));
		x.fd = -1;
		x.format = f;
		CHECK(ig_ipfix_add(&x, &d) == 0 && x.msg_records == 0,
		      "format %d: a flow that neither moved nor ended: no record", f);
		d.end = IG_FLOW_END_IDLE;
		CHECK(ig_ipfix_add(&x, &d) == 0 && x.msg_records == 1,
		      "format %d: one final record when it ended idle", f);
	}
}

/*
 * Paced messages: N messages at R a second take at least (N - 1) / R
 * seconds (a lower bound only: a loaded machine makes it longer, never
 * shorter), arrive one by one with sequence numbers that count the records
 * before them; unpaced (rate 0) never waits.
 */
static void paced_sends(void)
{
	enum {
		N = 21,
		RATE = 1000
	};
	struct ig_flow_delta d;
	struct ig_ipfix x;
	uint8_t got[IG_IPFIX_MAX_MSG];
	uint32_t want_seq = 0;
	uint64_t t0;
	int sv[2], i, rate, arrived = 0, in_order = 1;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		CHECK(0, "socketpair: %s", strerror(errno));
		return;
	}
	for (rate = RATE; rate >= 0; rate -= RATE) {
		memset(&x, 0, sizeof(x));
		x.fd = sv[0];
		x.rate = (uint32_t)rate;
		t0 = ig_mono_now_ns();
		for (i = 0; i < N; i++) {
			delta(&d, 6);
			ig_ipfix_add(&x, &d);
			if (ig_ipfix_flush(&x) || recv(sv[1], got, sizeof(got), 0) < MSG_HDR)
				break;
			arrived++;
			in_order &= get32(got + 8) == want_seq;
			want_seq = x.seq;
		}
		if (rate) {
			CHECK(ig_mono_now_ns() - t0 >= (uint64_t)(N - 1) * 1000000000ull / RATE,
			      "%d messages at %d/s took %.1f ms, want >= %d ms", N, RATE,
			      (double)(ig_mono_now_ns() - t0) / 1e6, (N - 1) * 1000 / RATE);
			CHECK(x.paced_ns > 0, "the time waited is counted");
		} else {
			CHECK(x.paced_ns == 0, "rate 0: never waits (%llu ns)",
			      (unsigned long long)x.paced_ns);
		}
		want_seq = 0;
	}
	CHECK(arrived == 2 * N, "%d of %d messages arrived", arrived, 2 * N);
	CHECK(in_order, "each message's sequence number counts the records before it");
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	RUN(biflow_template);
	RUN(uniflow_template);
	RUN(biflow_record);
	RUN(uniflow_records);
	RUN(nothing_to_export);
	RUN(paced_sends);
	return h_summary();
}
