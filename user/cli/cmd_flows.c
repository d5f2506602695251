// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_flows.c - `isagate flows`: the inner conversations the router
 * forwards, from the datapath's flow table.  Once, or with --follow one
 * record per active flow per interval carrying the deltas since its last
 * record (JSON lines or a table), optionally exported as IPFIX.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "common.h"
#include "opts.h"
#include "commands.h"
#include "flows.h"
#include "flowcache.h"
#include "ipfix.h"
#include "loader.h"
#include "metrics.h"

#define DEFAULT_IDLE_S 60

/* clang-format off */
static void usage(FILE *f)
{
	fprintf(f,
"usage: isagate flows [-j] [--member A.B.C.D] [--unanswered] [--top N] [--pin-dir DIR]\n"
"       isagate flows --follow [--interval S] [--idle-timeout S] [--ipfix HOST:PORT\n"
"                     [--ipfix-format biflow|uniflow] [--ipfix-rate N]] [--state FILE]\n"
"                     [-j] [--member A.B.C.D] [--unanswered] [--top N] [--pin-dir DIR]\n"
"\n"
"The tunnelled conversations the router forwarded: one entry per inner flow\n"
"(member IPv4 address, inner addresses, protocol, ports; ICMPv6 echo by\n"
"identifier), both directions counted: 'from member' = decapsulated,\n"
"'to member' = encapsulated.  Bytes are inner IPv6 packet bytes.\n"
"UNANSWERED marks a conversation the member has sent on for %llu s or more with\n"
"nothing back: the remote host (on DirectAccess clients, Windows Firewall)\n"
"drops it; allow the traffic from the ISATAP prefix there.\n"
"\n"
"  -j, --json              JSON (stable snake_case keys); JSON lines with --follow\n"
"  -m, --member A.B.C.D    only the flows of this member\n"
"  -u, --unanswered        only unanswered conversations\n"
"  -t, --top N             only the N flows with the most bytes (of the interval\n"
"                          with --follow)\n"
"  -f, --follow            every interval, one record per flow that moved with the\n"
"                          deltas since its last record; a final record (\"end\")\n"
"                          when a flow has been idle for the idle timeout or left\n"
"                          the table, and one when it becomes unanswered\n"
"                          (\"became_unanswered\").  Only reads the maps: stop\n"
"                          and restart it at will\n"
"  -i, --interval S        interval for --follow (default 1 s)\n"
"  -I, --idle-timeout S    end a flow after S seconds without packets (default %d)\n"
"  -x, --ipfix HOST:PORT   also export every record as IPFIX (RFC 7011, UDP) to a\n"
"                          collector (nfcapd, ...); needs --follow\n"
"  --ipfix-format F        biflow (default: one record per flow with both\n"
"                          directions' counts, RFC 5103) or uniflow (one record\n"
"                          per direction, for collectors without RFC 5103)\n"
"  --ipfix-rate N          send at most N IPFIX messages (UDP datagrams, up to\n"
"                          %d bytes) a second, so a burst of changed flows does\n"
"                          not overflow the collector's socket (default %d,\n"
"                          0 = unpaced); a stop waits for the interval's records\n"
"  -s, --state FILE        remember what was reported in FILE (read at start, written\n"
"                          each interval and at exit), so a restart neither repeats\n"
"                          nor loses deltas\n"
"\n"
"Exit codes: 0 ok, 1 failed, 2 bad usage, 4 nothing attached under DIR.\n",
		(unsigned long long)(IG_UNANSWERED_NS / 1000000000ull), DEFAULT_IDLE_S,
		IG_IPFIX_MAX_MSG, IG_IPFIX_RATE_DEFAULT);
}
/* clang-format on */

struct opts {
	bool json, follow, have_member, unanswered;
	unsigned char member[4];
	long top;
	uint64_t interval_ns, idle_ns;
	const char *ipfix, *state;
	enum ig_ipfix_format ipfix_format;
	long ipfix_rate; /* -1: the default */
	bool have_format;
};

static void fmt_port(const struct ig_flow_key *k, int remote, char *buf, size_t len)
{
	uint16_t p = remote ? k->remote_port : k->member_port;

	if (k->proto == 58) {
		if (IG_FLOW_IS_ECHO(k->remote_port))
			snprintf(buf, len, remote ? (p == IG_FLOW_ICMP_ECHO_PORT ? "echo" : "echo-in") :
				 "id %u", p);
		else
			snprintf(buf, len, remote ? "t%u/c%u" : "-", p >> 8, p & 0xff);
	} else if (k->proto == 6 || k->proto == 17 || k->proto == 132 || k->proto == 136) {
		snprintf(buf, len, "%u", p);
	} else {
		snprintf(buf, len, "-");
	}
}

static const char *end_name(enum ig_flow_end e)
{
	return e == IG_FLOW_END_IDLE ? "idle" : e == IG_FLOW_END_EVICTED ? "evicted" : NULL;
}

static json_object *jint(int64_t v)
{
	return json_object_new_int64(v);
}

static json_object *record_json(const struct ig_flow_delta *d, bool follow)
{
	const struct ig_flow_key *k = &d->key;
	json_object *o = json_object_new_object();
	char a[INET6_ADDRSTRLEN], pn[16], fl[16];

	json_object_object_add(o, "member", json_object_new_string(ig_fmt_v4(k->member, a, sizeof(a))));
	json_object_object_add(o, "member_addr",
			       json_object_new_string(ig_fmt_v6(k->member_addr, a, sizeof(a))));
	json_object_object_add(o, "member_port", jint(k->member_port));
	json_object_object_add(o, "remote_addr",
			       json_object_new_string(ig_fmt_v6(k->remote_addr, a, sizeof(a))));
	json_object_object_add(o, "remote_port", jint(k->remote_port));
	json_object_object_add(o, "proto", jint(k->proto));
	json_object_object_add(o, "proto_name",
			       json_object_new_string(ig_proto_name(k->proto, pn, sizeof(pn))));
	json_object_object_add(o, "packets_from_member", jint((int64_t)d->packets[0]));
	json_object_object_add(o, "bytes_from_member", jint((int64_t)d->bytes[0]));
	json_object_object_add(o, "packets_to_member", jint((int64_t)d->packets[1]));
	json_object_object_add(o, "bytes_to_member", jint((int64_t)d->bytes[1]));
	if (follow) {
		json_object_object_add(o, "total_packets_from_member", jint((int64_t)d->tot_packets[0]));
		json_object_object_add(o, "total_bytes_from_member", jint((int64_t)d->tot_bytes[0]));
		json_object_object_add(o, "total_packets_to_member", jint((int64_t)d->tot_packets[1]));
		json_object_object_add(o, "total_bytes_to_member", jint((int64_t)d->tot_bytes[1]));
	}
	json_object_object_add(o, "tcp_flags_from_member",
			       json_object_new_string(ig_tcp_flags_str(d->tcp_flags[0], fl, sizeof(fl))));
	json_object_object_add(o, "tcp_flags_to_member",
			       json_object_new_string(ig_tcp_flags_str(d->tcp_flags[1], fl, sizeof(fl))));
	json_object_object_add(o, "first_ms", jint((int64_t)ig_mono_to_wall_ms(d->first_ns)));
	json_object_object_add(o, "last_ms", jint((int64_t)ig_mono_to_wall_ms(d->last_ns)));
	json_object_object_add(o, "last_verdict",
			       d->last_verdict < IG_REASON_MAX
				       ? json_object_new_string(ig_reason_key[d->last_verdict])
				       : NULL);
	json_object_object_add(o, "unanswered", json_object_new_boolean(d->unanswered));
	if (follow) {
		const char *e = end_name(d->end);

		json_object_object_add(o, "end", e ? json_object_new_string(e) : NULL);
		json_object_object_add(o, "became_unanswered",
				       json_object_new_boolean(d->became_unanswered));
	}
	return o;
}

static void print_header(void)
{
	printf("%-15s %-7s %-39s %-8s %-39s %-7s %9s %11s %9s %11s %-5s %6s %s\n", "MEMBER",
	       "PROTO", "MEMBER-SIDE", "PORT", "REMOTE", "PORT", "PKTS>", "BYTES>", "PKTS<",
	       "BYTES<", "FLAGS", "IDLE", "VERDICT");
}

static void print_row(const struct ig_flow_delta *d, uint64_t now_ns, bool follow)
{
	const struct ig_flow_key *k = &d->key;
	char m[16], ma[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN], mp[16], rp[16], pn[16], fl[16];
	char idle[16];

	fmt_port(k, 0, mp, sizeof(mp));
	fmt_port(k, 1, rp, sizeof(rp));
	ig_tcp_flags_str(d->tcp_flags[0] | d->tcp_flags[1], fl, sizeof(fl));
	snprintf(idle, sizeof(idle), "%.0fs",
		 now_ns > d->last_ns ? (double)(now_ns - d->last_ns) / 1e9 : 0.0);
	printf("%-15s %-7s %-39s %-8s %-39s %-7s %9llu %11llu %9llu %11llu %-5s %6s %s%s%s%s\n",
	       ig_fmt_v4(k->member, m, sizeof(m)), ig_proto_name(k->proto, pn, sizeof(pn)),
	       ig_fmt_v6(k->member_addr, ma, sizeof(ma)), mp,
	       ig_fmt_v6(k->remote_addr, ra, sizeof(ra)), rp,
	       (unsigned long long)d->packets[0], (unsigned long long)d->bytes[0],
	       (unsigned long long)d->packets[1], (unsigned long long)d->bytes[1],
	       fl[0] ? fl : "-", idle,
	       d->last_verdict < IG_REASON_MAX ? ig_reason_key[d->last_verdict] : "?",
	       d->unanswered ? "  UNANSWERED" : "", follow && d->end ? "  END " : "",
	       follow && d->end ? end_name(d->end) : "");
}

static int cmp_bytes_desc(const void *a, const void *b)
{
	const struct ig_flow_delta *x = a, *y = b;
	uint64_t bx = x->bytes[0] + x->bytes[1], by = y->bytes[0] + y->bytes[1];

	if (bx != by)
		return bx < by ? 1 : -1;
	return ig_flow_key_cmp(&x->key, &y->key);
}

/* Apply --member, --unanswered and --top to d[0..n); returns the new count. */
static size_t select_records(struct ig_flow_delta *d, size_t n, const struct opts *o)
{
	size_t i, j = 0;

	for (i = 0; i < n; i++)
		if ((!o->have_member || !memcmp(d[i].key.member, o->member, 4)) &&
		    (!o->unanswered || d[i].unanswered))
			d[j++] = d[i];
	n = j;
	qsort(d, n, sizeof(*d), cmp_bytes_desc);
	if (o->top > 0 && (size_t)o->top < n)
		n = (size_t)o->top;
	return n;
}

static int open_flows(const char *pin_dir)
{
	int fd = ig_map_open(pin_dir, IG_MAP_FLOWS);

	if (fd == -ENOENT)
		ig_err("(a router attached by an isagate without flow accounting: attach again)");
	return fd;
}

/*
 * flows -j: the shown records, one at a time (a json-c tree of a million
 * records took 4 GB and 18 s to print here; streamed, the records' size),
 * then the table's totals.
 */
static void show_json(const struct ig_flow_delta *d, size_t shown, long n, long n_unans,
		      uint64_t inserts, uint64_t evictions)
{
	size_t i;

	printf("{\n  \"flows\":[");
	for (i = 0; i < shown; i++) {
		json_object *r = record_json(&d[i], false);

		printf("%s\n    %s", i ? "," : "",
		       json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(r);
	}
	printf("%s],\n  \"entries\":%ld,\n  \"unanswered\":%ld,\n  \"flow_inserts\":%llu,\n"
	       "  \"flow_evictions\":%llu\n}\n",
	       shown ? "\n  " : "", n, n_unans, (unsigned long long)inserts,
	       (unsigned long long)evictions);
}

static int show_once(const char *pin_dir, const struct opts *o)
{
	struct ig_flow_delta *d = NULL;
	struct ig_flow_rec *recs = NULL;
	struct ig_vis_stats vs;
	struct ig_fc_totals fct;
	struct ig_flow_tables tables;
	uint64_t evictions;
	long n, i, n_unans = 0;
	size_t shown;
	int fd, vfd, rc = IG_EXIT_FAIL;
	uint64_t now = ig_mono_now_ns();

	fd = open_flows(pin_dir);
	if (fd < 0)
		return ig_exit_pins(fd);
	n = ig_flows_read_tables(pin_dir, fd, &recs, &tables);
	close(fd);
	if (n < 0)
		return IG_EXIT_FAIL;
	memset(&vs, 0, sizeof(vs));
	vfd = ig_map_open(pin_dir, IG_MAP_VIS_STATS);
	if (vfd >= 0) {
		ig_vis_read(vfd, &vs);
		close(vfd);
	}
	/* with the flow cache the collector creates most entries (as stats) */
	memset(&fct, 0, sizeof(fct));
	ig_fc_totals_pinned(pin_dir, &fct, NULL);
	evictions = ig_flow_evictions(vs.flow_inserts, fct.inserts, &tables);
	vs.flow_inserts += fct.inserts;
	d = calloc((size_t)n + 1, sizeof(*d));
	if (!d) {
		ig_err("out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		d[i].key = recs[i].key;
		d[i].packets[0] = d[i].tot_packets[0] = recs[i].v.from_member.packets;
		d[i].bytes[0] = d[i].tot_bytes[0] = recs[i].v.from_member.bytes;
		d[i].packets[1] = d[i].tot_packets[1] = recs[i].v.to_member.packets;
		d[i].bytes[1] = d[i].tot_bytes[1] = recs[i].v.to_member.bytes;
		d[i].tcp_flags[0] = recs[i].v.from_member.tcp_flags;
		d[i].tcp_flags[1] = recs[i].v.to_member.tcp_flags;
		d[i].icmp_type[0] = recs[i].v.from_member.icmp_type;
		d[i].icmp_type[1] = recs[i].v.to_member.icmp_type;
		d[i].first_ns = recs[i].v.first_ns;
		d[i].last_ns = recs[i].v.last_ns;
		d[i].last_verdict = recs[i].v.last_verdict;
		d[i].unanswered = ig_flow_unanswered(&recs[i], IG_UNANSWERED_NS);
		n_unans += d[i].unanswered;
	}
	shown = select_records(d, (size_t)n, o);
	if (o->json) {
		show_json(d, shown, n, n_unans, vs.flow_inserts, evictions);
	} else {
		print_header();
		for (i = 0; i < (long)shown; i++)
			print_row(&d[i], now, false);
		printf("%ld flows in the table (%zu shown, %ld unanswered), %llu evicted so far\n",
		       n, shown, n_unans, (unsigned long long)evictions);
	}
	rc = IG_EXIT_OK;
cleanup:
	free(d);
	free(recs);
	return rc;
}

/* `flows --follow`: the reader's state across intervals. */
struct follower {
	const char *pin_dir;
	const struct opts *o;
	struct ig_flow_tracker tr;
	struct ig_ipfix *x; /* the IPFIX exporter, or NULL */
	int fd;		    /* the flow table */
	__u32 map_id;	    /* its id: a new one is a re-attach */
	bool saved;	    /* the state file holds the tracker's state */
	bool warned_pace;   /* said once that the IPFIX pace is behind */
	bool warned_slow;   /* said once that reading takes longer than the interval */
};

/* The tracker's saved state and the IPFIX exporter.  0 or an exit code. */
static int follow_open(struct follower *f)
{
	const struct opts *o = f->o;
	int rc;

	ig_tracker_init(&f->tr, o->idle_ns);
	if (o->state && ig_tracker_load(&f->tr, o->state) < 0)
		return IG_EXIT_FAIL;
	if (!o->ipfix)
		return 0;
	f->x = calloc(1, sizeof(*f->x));
	if (!f->x) {
		ig_err("out of memory");
		return IG_EXIT_FAIL;
	}
	rc = ig_ipfix_open(f->x, o->ipfix, (uint32_t)getpid(), o->ipfix_format);
	if (rc) {
		free(f->x);
		f->x = NULL;
	} else if (o->ipfix_rate >= 0) {
		f->x->rate = (uint32_t)o->ipfix_rate;
	}
	return ig_exit_code(rc);
}

/* Re-open the table each interval: follows a re-attach that replaced it. */
static int follow_reopen(struct follower *f)
{
	struct bpf_map_info info;
	__u32 ilen = sizeof(info);
	int nfd;

	nfd = open_flows(f->pin_dir);
	if (nfd < 0)
		return ig_exit_pins(nfd);
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(nfd, &info, &ilen) && f->map_id && info.id != f->map_id)
		ig_err("the flow table was replaced (re-attach): flows start again");
	f->map_id = info.id;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = nfd;
	return 0;
}

/* The interval's records: every one to IPFIX, the selected ones printed. */
static void follow_emit(struct follower *f, struct ig_flow_delta *d, size_t nd, uint64_t now)
{
	const struct opts *o = f->o;
	uint64_t paced = f->x ? f->x->paced_ns : 0;
	size_t i, shown;

	for (i = 0; f->x && i < nd; i++)
		if (!o->have_member || !memcmp(d[i].key.member, o->member, 4))
			ig_ipfix_add(f->x, &d[i]);
	if (f->x && ig_ipfix_flush(f->x) && f->x->send_errors == 1)
		ig_err("warning: sending IPFIX to %s failed (%s); going on", o->ipfix,
		       strerror(errno));
	if (f->x && !f->warned_pace && f->x->paced_ns - paced > o->interval_ns) {
		ig_err("warning: the IPFIX pace held this interval's %zu records back %.1f s, "
		       "longer than the interval: records come late, none are lost; a collector "
		       "that keeps up takes a higher --ipfix-rate (now %u a second)",
		       nd, (double)(f->x->paced_ns - paced) / 1e9, f->x->rate);
		f->warned_pace = true;
	}
	shown = select_records(d, nd, o); /* after IPFIX: it reorders them */
	for (i = 0; i < shown; i++) {
		if (o->json) {
			json_object *r = record_json(&d[i], true);

			json_object_object_add(r, "ts_ms", jint((int64_t)ig_mono_to_wall_ms(now)));
			puts(json_object_to_json_string_ext(
				r, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(r);
		} else {
			print_row(&d[i], now, true);
		}
	}
	fflush(stdout);
}

/* One interval: read the table, turn it into deltas, emit, save the state. */
static int follow_interval(struct follower *f, uint64_t now)
{
	struct ig_flow_delta *d = NULL;
	struct ig_flow_rec *recs = NULL;
	uint64_t took;
	long n, nd;
	int rc;

	rc = follow_reopen(f);
	if (rc)
		return rc;
	n = ig_flows_read(f->pin_dir, f->fd, &recs);
	if (n < 0)
		return IG_EXIT_FAIL;
	nd = ig_tracker_step(&f->tr, recs, (size_t)n, now, &d);
	free(recs);
	if (nd < 0) {
		ig_err("out of memory");
		return IG_EXIT_FAIL;
	}
	took = ig_mono_now_ns() - now;
	if (!f->warned_slow && took > f->o->interval_ns) {
		ig_err("warning: reading and comparing the %ld flows took %.1f s, longer than the "
		       "interval (%.1f s): intervals run back to back; a longer --interval gives "
		       "them room",
		       n, (double)took / 1e9, (double)f->o->interval_ns / 1e9);
		f->warned_slow = true;
	}
	follow_emit(f, d, (size_t)nd, now);
	free(d);
	/* an interval that reported nothing changed nothing a restart needs
	 * (every change of what was reported is a record): at a million idle
	 * flows that is 100 MB a second not written */
	if (f->o->state && (nd > 0 || !f->saved) && !ig_tracker_save(&f->tr, f->o->state))
		f->saved = true;
	return 0;
}

static int follow(const char *pin_dir, const struct opts *o)
{
	struct follower f = { .pin_dir = pin_dir, .o = o, .fd = -1 };
	uint64_t next, now;
	int rc, intervals = 0;

	rc = follow_open(&f);
	if (rc)
		goto cleanup;
	ig_stop_on_signals();
	if (!o->json)
		print_header();
	next = ig_mono_now_ns();
	for (;;) {
		now = ig_mono_now_ns();
		rc = follow_interval(&f, now);
		if (rc)
			break;
		intervals++;
		if (ig_stop)
			break;
		next += o->interval_ns;
		if (next < now)
			next = now + o->interval_ns;
		if (ig_sleep_until(next))
			break;
	}
	ig_dbg("%d intervals%s", intervals, f.x ? ", IPFIX sent" : "");
	if (f.x)
		ig_dbg("IPFIX: %llu records in %llu messages, %llu send errors, %.1f s paced",
		       (unsigned long long)f.x->sent_records, (unsigned long long)f.x->sent_msgs,
		       (unsigned long long)f.x->send_errors, (double)f.x->paced_ns / 1e9);
cleanup:
	if (f.fd >= 0)
		close(f.fd);
	if (f.x) {
		ig_ipfix_close(f.x);
		free(f.x);
	}
	ig_tracker_free(&f.tr);
	return rc;
}

/* One of flows' own options into *o.  0 or IG_EXIT_USAGE (said why). */
static int flows_opt(struct opts *o, int opt, const char *arg)
{
	char *end;

	switch (opt) {
	case 'f': o->follow = true; break;
	case 'i':
		if (ig_parse_seconds(arg, &o->interval_ns)) {
			ig_err("--interval %s: expected a positive number of seconds", arg);
			return IG_EXIT_USAGE;
		}
		break;
	case 'I':
		if (ig_parse_seconds(arg, &o->idle_ns)) {
			ig_err("--idle-timeout %s: expected a positive number of seconds", arg);
			return IG_EXIT_USAGE;
		}
		break;
	case 'm':
		if (inet_pton(AF_INET, arg, o->member) != 1) {
			ig_err("--member %s: expected an IPv4 address", arg);
			return IG_EXIT_USAGE;
		}
		o->have_member = true;
		break;
	case 't':
		errno = 0;
		o->top = strtol(arg, &end, 10);
		if (errno || *end || end == arg || o->top <= 0) {
			ig_err("--top %s: expected a positive number", arg);
			return IG_EXIT_USAGE;
		}
		break;
	case 'u': o->unanswered = true; break;
	case 'x': o->ipfix = arg; break;
	case 'F':
		if (!strcmp(arg, "biflow")) {
			o->ipfix_format = IG_IPFIX_BIFLOW;
		} else if (!strcmp(arg, "uniflow")) {
			o->ipfix_format = IG_IPFIX_UNIFLOW;
		} else {
			ig_err("--ipfix-format %s: expected biflow or uniflow", arg);
			return IG_EXIT_USAGE;
		}
		o->have_format = true;
		break;
	case 'R':
		errno = 0;
		o->ipfix_rate = strtol(arg, &end, 10);
		if (errno || *end || end == arg || o->ipfix_rate < 0 ||
		    o->ipfix_rate > IG_IPFIX_RATE_MAX) {
			ig_err("--ipfix-rate %s: expected messages a second, 0..%u (0 = unpaced)",
			       arg, IG_IPFIX_RATE_MAX);
			return IG_EXIT_USAGE;
		}
		break;
	case 's': o->state = arg; break;
	}
	return 0;
}

int cmd_flows(int argc, char **argv)
{
	/* clang-format off */
	static const struct option options[] = {
		{ "follow",       no_argument,       NULL, 'f' },
		{ "interval",     required_argument, NULL, 'i' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "member",       required_argument, NULL, 'm' },
		{ "top",          required_argument, NULL, 't' },
		{ "unanswered",   no_argument,       NULL, 'u' },
		{ "ipfix",        required_argument, NULL, 'x' },
		{ "ipfix-format", required_argument, NULL, 'F' },
		{ "ipfix-rate",   required_argument, NULL, 'R' },
		{ "state",        required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	/* clang-format on */
	struct opts o = { .interval_ns = 1000000000ull,
			  .idle_ns = DEFAULT_IDLE_S * 1000000000ull,
			  .ipfix_rate = -1 };
	static const struct ig_cmd cmd = { "flows", "fi:I:m:t:ux:s:", options, usage, true };
	const char *pin_dir;
	struct ig_getopt g;
	int opt, rc;

	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((opt = ig_getopt(&g)) > 0) {
		rc = flows_opt(&o, opt, optarg);
		if (rc)
			return rc;
	}
	if (opt < 0)
		return g.rc;
	if (ig_getopt_done(&g))
		return IG_EXIT_USAGE;
	if ((o.ipfix || o.state) && !o.follow) {
		ig_err("--ipfix and --state need --follow");
		return IG_EXIT_USAGE;
	}
	if ((o.have_format || o.ipfix_rate >= 0) && !o.ipfix) {
		ig_err("--ipfix-format and --ipfix-rate need --ipfix");
		return IG_EXIT_USAGE;
	}
	o.json = ig_globals.json;
	pin_dir = ig_pin_dir(ig_globals.pin_dir);
	rc = ig_pin_dir_prepare(pin_dir, false);
	if (rc)
		return ig_exit_code(rc);
	return o.follow ? follow(pin_dir, &o) : show_once(pin_dir, &o);
}
