// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* events.c - formatting refusal events (events.h). */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "events.h"
#include "flows.h"
#include "metrics.h"

static const char *reason_of(const struct ig_event *ev)
{
	return ev->reason < IG_REASON_MAX ? ig_reason_key[ev->reason] : "unknown";
}

static const char *ifname_of(const struct ig_event *ev, char *buf)
{
	if (!if_indextoname(ev->ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ev->ifindex);
	return buf;
}

static const char *iso_time(uint64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03uZ", (unsigned)(ms % 1000));
	return buf;
}

void ig_event_text(const struct ig_event *ev, char *buf, size_t len)
{
	char t[40], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE], pn[16];
	size_t n;

	n = (size_t)snprintf(buf, len, "%s %s on %s", iso_time(ig_mono_to_wall_ms(ev->ts_ns), t, sizeof(t)),
			     reason_of(ev), ifname_of(ev, ifn));
	if (n < len && (ev->flags & IG_EV_F_OUTER4))
		n += (size_t)snprintf(buf + n, len - n, " outer %s -> %s",
				      ig_fmt_v4(ev->outer_src, a, sizeof(a)),
				      ig_fmt_v4(ev->outer_dst, b, sizeof(b)));
	if (n < len && (ev->flags & IG_EV_F_INNER))
		n += (size_t)snprintf(buf + n, len - n, " %s %s -> %s %s",
				      ev->flags & IG_EV_F_OUTER4 ? "inner" : "ipv6",
				      ig_fmt_v6(ev->inner_src, a, sizeof(a)),
				      ig_fmt_v6(ev->inner_dst, b, sizeof(b)),
				      ig_proto_name(ev->proto, pn, sizeof(pn)));
	if (n < len)
		snprintf(buf + n, len - n, " len %u (%s)", ev->len,
			 ev->reason < IG_REASON_MAX ? ig_reason_text[ev->reason] : "?");
}

json_object *ig_event_json(const struct ig_event *ev)
{
	char t[40], a[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE];
	uint64_t ms = ig_mono_to_wall_ms(ev->ts_ns);
	json_object *o = json_object_new_object();

	json_object_object_add(o, "time", json_object_new_string(iso_time(ms, t, sizeof(t))));
	json_object_object_add(o, "ts_ms", json_object_new_int64((int64_t)ms));
	json_object_object_add(o, "reason", json_object_new_string(reason_of(ev)));
	json_object_object_add(o, "ifname", json_object_new_string(ifname_of(ev, ifn)));
	json_object_object_add(o, "ifindex", json_object_new_int64(ev->ifindex));
	json_object_object_add(o, "outer_src", ev->flags & IG_EV_F_OUTER4 ?
			       json_object_new_string(ig_fmt_v4(ev->outer_src, a, sizeof(a))) : NULL);
	json_object_object_add(o, "outer_dst", ev->flags & IG_EV_F_OUTER4 ?
			       json_object_new_string(ig_fmt_v4(ev->outer_dst, a, sizeof(a))) : NULL);
	json_object_object_add(o, "inner_src", ev->flags & IG_EV_F_INNER ?
			       json_object_new_string(ig_fmt_v6(ev->inner_src, a, sizeof(a))) : NULL);
	json_object_object_add(o, "inner_dst", ev->flags & IG_EV_F_INNER ?
			       json_object_new_string(ig_fmt_v6(ev->inner_dst, a, sizeof(a))) : NULL);
	json_object_object_add(o, "proto", ev->flags & IG_EV_F_INNER ?
			       json_object_new_int64(ev->proto) : NULL);
	json_object_object_add(o, "len", json_object_new_int64(ev->len));
	return o;
}
