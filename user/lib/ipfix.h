/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ipfix.h - a small IPFIX (RFC 7011) exporter over UDP for isagate's flow
 * records, in one of two forms (the exporter's choice, one template):
 *
 * biflow (default; RFC 5103), template 257: one record per flow per
 * interval with both directions' counts, so a collector sees a one-way
 * (unanswered) conversation in the record itself:
 *    27 sourceIPv6Address          16     28 destinationIPv6Address   16
 *     7 sourceTransportPort         2     11 destinationTransportPort  2
 *     4 protocolIdentifier          1
 *   R 6 reverseTcpControlBits       2      6 tcpControlBits            2
 * R 139 reverseIcmpTypeCodeIPv6     2    139 icmpTypeCodeIPv6          2
 *   239 biflowDirection             1   (3 perimeter: the source is the member's side)
 *     1 octetDeltaCount             8      2 packetDeltaCount          8  (from the member)
 *   R 1 reverseOctetDeltaCount      8    R 2 reversePacketDeltaCount   8  (to the member)
 *   152 flowStartMilliseconds       8    153 flowEndMilliseconds       8
 *    15 ipNextHopIPv4Address        4   (the member's IPv4 address: the
 *                                         ISATAP tunnel endpoint)
 * (R: the reverse element, enterprise bit set, PEN 29305.)  Source and
 * destination are the member's and the remote host's inner addresses.
 *
 * uniflow, template 256 (all IANA elements): one record per direction that
 * moved, for collectors that cannot read RFC 5103: the fields above without
 * the reverse ones, with 61 flowDirection (1 byte) for 239; source and
 * destination those of the direction: member -> remote (flowDirection 0,
 * ingress: decapsulated) or remote -> member (1, egress: encapsulated).
 *
 * The template is sent with the first message and again every
 * IG_IPFIX_TEMPLATE_EVERY seconds (UDP: RFC 7011 section 8.4).
 *
 * UDP has no flow control: a collector whose socket is full drops what
 * comes next, and the exporter never knows.  So messages are paced, at most
 * `rate` a second (IG_IPFIX_RATE_DEFAULT unless set; 0 = as fast as the
 * socket takes them): an interval with a million changed flows goes out
 * over seconds instead of in one burst a collector's buffer cannot hold.
 */
#ifndef IG_IPFIX_H
#define IG_IPFIX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "flows.h"

#define IG_IPFIX_TEMPLATE_ID 256 /* uniflow */
#define IG_IPFIX_BIFLOW_TEMPLATE_ID 257
#define IG_IPFIX_TEMPLATE_EVERY  60     /* seconds */
#define IG_IPFIX_MAX_MSG         1400   /* bytes: fits a 1500-byte path */
#define IG_IPFIX_RATE_DEFAULT 10000	/* messages a second */
#define IG_IPFIX_RATE_MAX 1000000

enum ig_ipfix_format {
	IG_IPFIX_BIFLOW = 0, /* one record per flow (RFC 5103) */
	IG_IPFIX_UNIFLOW,    /* one record per direction */
};

struct ig_ipfix {
	int fd;                    /* connected UDP socket */
	enum ig_ipfix_format format;
	uint32_t domain;           /* observation domain ID */
	uint32_t seq;              /* data records sent (RFC 7011 §3.1) */
	time_t tmpl_sent;          /* when the template was last sent, 0 never */
	uint8_t buf[IG_IPFIX_MAX_MSG];
	size_t len;                /* bytes in buf (0 = no message open) */
	size_t set_off;            /* offset of the open data set header */
	uint32_t msg_records;      /* data records in the open message */
	uint32_t rate;		   /* messages a second, 0 = unpaced */
	uint64_t next_ns;	   /* monotonic time the next message may go */
	uint64_t sent_records, sent_msgs, send_errors;
	uint64_t paced_ns; /* time spent waiting for the pace */
};

/* Connect to HOST:PORT ([v6]:port accepted); pace at IG_IPFIX_RATE_DEFAULT
 * (set x->rate after to change it).  0, -EINVAL (a name that does not
 * resolve, or not HOST:PORT) or -EIO (no socket reaches it); printed. */
int ig_ipfix_open(struct ig_ipfix *x, const char *hostport, uint32_t domain,
		  enum ig_ipfix_format format);

/* Add the records of one flow delta: biflow, one when it moved or ended;
 * uniflow, one per direction that moved, or one with zero counts for a
 * flow that ended idle without moving.  0 or -errno. */
int ig_ipfix_add(struct ig_ipfix *x, const struct ig_flow_delta *d);

/* Send what is buffered (and the template when due).  0 or -errno. */
int ig_ipfix_flush(struct ig_ipfix *x);

void ig_ipfix_close(struct ig_ipfix *x);

/* Encode the format's template set into buf (for tests); returns bytes. */
size_t ig_ipfix_template_set(enum ig_ipfix_format f, uint8_t *buf, size_t len);
uint16_t ig_ipfix_template_id(enum ig_ipfix_format f);

#endif /* IG_IPFIX_H */
