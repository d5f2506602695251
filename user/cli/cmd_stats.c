// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_stats.c - `isagate stats [-j] [--follow [--interval S]] [--prometheus FILE]`:
 * the verdict counters by reason (summed over CPUs), members, flows, flow
 * evictions and refusal events; per-interval rates with --follow; the
 * node_exporter textfile format with --prometheus (written atomically,
 * every interval with --follow).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "common.h"
#include "opts.h"
#include "commands.h"
#include "flows.h"
#include "loader.h"
#include "metrics.h"

/* clang-format off */
static void usage(FILE *f)
{
	fprintf(f,
"usage: isagate stats [-j] [--all] [--follow [--interval SECONDS]] [--prometheus FILE]\n"
"                     [--pin-dir DIR]\n"
"\n"
"The datapath's packet/byte counters by verdict reason (summed over CPUs), the\n"
"number of members and flows, flow-table evictions, refusal events and the\n"
"neighbour requests for unresolved IPv4 next hops (sent, suppressed, lost).\n"
"\n"
"  -j, --json             JSON (stable snake_case keys); one JSON line per\n"
"                         interval with --follow\n"
"  -a, --all              text: also show reasons that are zero\n"
"  -f, --follow           every interval, print the rates since the last one\n"
"  -i, --interval S       interval for --follow (default 1 s; fractions allowed)\n"
"  -P, --prometheus FILE  write the node_exporter textfile-collector format to FILE\n"
"                         (temporary file + rename); with --follow every interval,\n"
"                         otherwise once, and nothing is printed\n"
"\n"
"Exit codes: 0 ok, 1 failed, 2 bad usage, 4 nothing attached under DIR.\n");
}
/* clang-format on */

static json_object *jint(int64_t v)
{
	return json_object_new_int64(v);
}

static void add_common_json(json_object *root, const struct ig_metrics *m)
{
	json_object *ev;
	int i;

	json_object_object_add(root, "members", jint(m->members));
	json_object_object_add(root, "flows", jint(m->flows));
	json_object_object_add(root, "flow_evictions", jint((int64_t)m->flow_evictions));
	json_object_object_add(root, "flow_inserts", jint((int64_t)m->vis.flow_inserts));
	json_object_object_add(root, "flows_unanswered", jint(m->unans_total));
	ev = json_object_new_object();
	json_object_object_add(ev, "sent", jint((int64_t)m->vis.events_sent));
	json_object_object_add(ev, "suppressed", jint((int64_t)m->vis.events_suppressed));
	json_object_object_add(ev, "lost", jint((int64_t)m->vis.events_lost));
	json_object_object_add(root, "events", ev);
	if (m->have_fc) {
		json_object *fc = json_object_new_object();

		json_object_object_add(fc, "fills", jint((int64_t)m->fc.fills));
		json_object_object_add(fc, "evictions", jint((int64_t)m->fc.evictions));
		json_object_object_add(fc, "refreshes", jint((int64_t)m->fc.refreshes));
		json_object_object_add(fc, "records", jint((int64_t)m->fc.records));
		json_object_object_add(fc, "pending", jint((int64_t)m->fc.pending));
		json_object_object_add(fc, "spilled_packets", jint((int64_t)m->fc.spilled_packets));
		json_object_object_add(fc, "spilled_bytes", jint((int64_t)m->fc.spilled_bytes));
		json_object_object_add(fc, "collected_packets",
				       jint((int64_t)m->fc.collected_packets));
		json_object_object_add(root, "flow_cache", fc);
	}
	if (m->have_route) {
		ev = json_object_new_object();
		json_object_object_add(ev, "route_mirror", jint((int64_t)m->route.mirror));
		json_object_object_add(ev, "fib", jint((int64_t)m->route.fib));
		json_object_object_add(root, "fwd_decisions", ev);
	}
	ev = json_object_new_object();
	json_object_object_add(ev, "flows_refused", jint((int64_t)m->vis.flow_quota_refused));
	json_object_object_add(ev, "conns_refused", jint((int64_t)m->vis.conn_quota_refused));
	json_object_object_add(ev, "new_sources_refused", jint((int64_t)m->vis.quota_new_refused));
	json_object_object_add(ev, "icmp_budget_refused",
			       jint((int64_t)m->vis.icmp_budget_refused));
	json_object_object_add(root, "quota", ev);
	ev = json_object_new_object();
	for (i = 0; i < 4; i++)
		json_object_object_add(ev, ig_members_source_key[i], jint(m->by_source[i]));
	json_object_object_add(root, "members_by_source", ev);
	json_object_object_add(root, "members_stale", jint(m->stale));
	json_object_object_add(root, "attached", json_object_new_boolean(m->attached));
	if (m->have_sync) {
		json_object *fail = json_object_new_object();

		ev = json_object_new_object();
		json_object_object_add(ev, "last_run", jint((int64_t)m->sync.last_run));
		json_object_object_add(ev, "last_success", jint((int64_t)m->sync.last_success));
		json_object_object_add(ev, "last_exit", jint(m->sync.last_exit));
		for (i = 0; i < IG_SYNC_RESULT_MAX; i++)
			json_object_object_add(fail, ig_sync_result_key[i],
					       jint((int64_t)m->sync.runs[i]));
		json_object_object_add(ev, "runs", fail);
		json_object_object_add(root, "members_sync", ev);
	}
	if (m->have_neigh) {
		json_object_object_add(root, "neigh_requests", jint((int64_t)m->neigh.requests));
		json_object_object_add(root, "neigh_requests_suppressed",
				       jint((int64_t)m->neigh.suppressed));
		json_object_object_add(root, "neigh_requests_lost", jint((int64_t)m->neigh.lost));
	}
}

static void print_once(const struct ig_metrics *m, bool json, bool all)
{
	int i, shown = 0;

	if (json) {
		json_object *root = json_object_new_object(), *cnt = json_object_new_object();

		for (i = 0; i < IG_REASON_MAX; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "packets", jint((int64_t)m->counters[i].packets));
			json_object_object_add(o, "bytes", jint((int64_t)m->counters[i].bytes));
			json_object_object_add(cnt, ig_reason_key[i], o);
		}
		json_object_object_add(root, "counters", cnt);
		add_common_json(root, m);
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
		return;
	}
	printf("members %ld, flows %ld (%ld unanswered), flow evictions %llu; events sent %llu, "
	       "suppressed %llu, lost %llu\n", m->members, m->flows, m->unans_total,
	       (unsigned long long)m->flow_evictions,
	       (unsigned long long)m->vis.events_sent,
	       (unsigned long long)m->vis.events_suppressed, (unsigned long long)m->vis.events_lost);
	if (m->have_fc)
		printf("flow cache: %llu fills, %llu evictions, %llu log records (%llu not folded "
		       "yet), %llu packets accounted in the table for a full log\n",
		       (unsigned long long)m->fc.fills, (unsigned long long)m->fc.evictions,
		       (unsigned long long)m->fc.records, (unsigned long long)m->fc.pending,
		       (unsigned long long)m->fc.spilled_packets);
	if (m->have_route)
		printf("forwarding decisions not cached: %llu by the route mirror, %llu FIB "
		       "lookups\n",
		       (unsigned long long)m->route.mirror, (unsigned long long)m->route.fib);
	printf("source quotas: %llu flow packets aggregated, %llu connections refused, "
	       "%llu new remote /64s refused, %llu ICMPv6 errors over the new-entry budget\n",
	       (unsigned long long)m->vis.flow_quota_refused,
	       (unsigned long long)m->vis.conn_quota_refused,
	       (unsigned long long)m->vis.quota_new_refused,
	       (unsigned long long)m->vis.icmp_budget_refused);
	printf("members by source: %ld address, %ld subnet, %ld name, %ld directory; %ld stale\n",
	       m->by_source[IG_MEMBERS_BY_ADDRESS], m->by_source[IG_MEMBERS_BY_SUBNET],
	       m->by_source[IG_MEMBERS_BY_NAME], m->by_source[IG_MEMBERS_BY_DIRECTORY], m->stale);
	if (m->have_sync) {
		char when[32] = "never";
		time_t t = (time_t)m->sync.last_success;
		struct tm tm;

		if (t && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("members sync: last success %s, last exit %u; runs:", when,
		       m->sync.last_exit);
		for (i = 0; i < IG_SYNC_RESULT_MAX; i++)
			printf(" %s %llu", ig_sync_result_key[i],
			       (unsigned long long)m->sync.runs[i]);
		printf("\n");
	}
	if (m->have_neigh)
		printf("neighbour requests sent %llu, suppressed %llu, lost %llu\n",
		       (unsigned long long)m->neigh.requests,
		       (unsigned long long)m->neigh.suppressed, (unsigned long long)m->neigh.lost);
	printf("counters:%s\n", all ? "" : " (non-zero; --all shows every reason)");
	for (i = 0; i < IG_REASON_MAX; i++) {
		if (!all && !m->counters[i].packets)
			continue;
		printf("  %-20s %12llu pkts %14llu bytes  %s\n", ig_reason_key[i],
		       (unsigned long long)m->counters[i].packets,
		       (unsigned long long)m->counters[i].bytes, ig_reason_text[i]);
		shown++;
	}
	if (!shown)
		printf("  (all zero)\n");
}

static void print_rates(const struct ig_metrics *a, const struct ig_metrics *b, double secs,
			bool json, bool all)
{
	uint64_t now_ms = ig_mono_to_wall_ms(ig_mono_now_ns());
	int i, shown = 0;

	if (json) {
		json_object *root = json_object_new_object(), *r = json_object_new_object();

		json_object_object_add(root, "ts_ms", jint((int64_t)now_ms));
		json_object_object_add(root, "interval_s", json_object_new_double(secs));
		for (i = 0; i < IG_REASON_MAX; i++) {
			uint64_t dp = b->counters[i].packets - a->counters[i].packets;
			uint64_t db = b->counters[i].bytes - a->counters[i].bytes;
			json_object *o;

			if (!all && !dp)
				continue;
			o = json_object_new_object();
			json_object_object_add(o, "packets", jint((int64_t)dp));
			json_object_object_add(o, "bytes", jint((int64_t)db));
			json_object_object_add(o, "pps", json_object_new_double(dp / secs));
			json_object_object_add(o, "bps", json_object_new_double(db * 8.0 / secs));
			json_object_object_add(r, ig_reason_key[i], o);
		}
		json_object_object_add(root, "rates", r);
		add_common_json(root, b);
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
		json_object_put(root);
		fflush(stdout);
		return;
	}
	{
		time_t t = (time_t)(now_ms / 1000);
		struct tm tm;
		char ts[32];

		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		printf("%s  members %ld  flows %ld  evictions %llu\n", ts, b->members, b->flows,
		       (unsigned long long)b->flow_evictions);
	}
	for (i = 0; i < IG_REASON_MAX; i++) {
		uint64_t dp = b->counters[i].packets - a->counters[i].packets;
		uint64_t db = b->counters[i].bytes - a->counters[i].bytes;

		if (!all && !dp)
			continue;
		printf("  %-20s %12.1f pkt/s %14.1f bit/s\n", ig_reason_key[i], dp / secs,
		       db * 8.0 / secs);
		shown++;
	}
	if (!shown)
		printf("  (no packets)\n");
	fflush(stdout);
}

/* What stats prints, and where. */
struct stats_out {
	const char *prom; /* the Prometheus textfile, or NULL */
	bool json, all;
};

/* --follow: every interval, the rates since the last one (m[0] holds the
 * first reading).  Returns the exit code that ended it. */
static int stats_follow(const char *pin_dir, struct ig_metrics m[2], uint64_t interval,
			const struct stats_out *out)
{
	uint64_t t0, next, now;
	int rc = IG_EXIT_OK;

	ig_stop_on_signals();
	t0 = ig_mono_now_ns();
	next = t0 + interval;
	while (!ig_sleep_until(next)) {
		now = ig_mono_now_ns();
		rc = ig_metrics_read(pin_dir, &m[1]);
		if (rc == -ENOENT && out->prom) {
			m[1].detached = true;
			ig_metrics_write_prometheus(&m[1], out->prom);
		}
		if (rc) {
			rc = ig_exit_code(rc);
			break;
		}
		print_rates(&m[0], &m[1], (double)(now - t0) / 1e9, out->json, out->all);
		if (out->prom) /* said why; try again next time */
			ig_metrics_write_prometheus(&m[1], out->prom);
		m[0] = m[1];
		t0 = now;
		next += interval;
		if (next < now)
			next = now + interval;
	}
	return rc;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "follow", no_argument, NULL, 'f' },
		{ "interval", required_argument, NULL, 'i' },
		{ "prometheus", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct ig_cmd cmd = { "stats", "afi:P:", options, usage, true };
	struct stats_out out = { 0 };
	const char *pin_dir;
	bool follow = false;
	struct ig_getopt g;
	uint64_t interval = 1000000000ull;
	struct ig_metrics *m = NULL;
	int opt, rc;

	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((opt = ig_getopt(&g)) > 0) {
		switch (opt) {
		case 'a': out.all = true; break;
		case 'f': follow = true; break;
		case 'i':
			if (ig_parse_seconds(optarg, &interval)) {
				ig_err("--interval %s: expected a positive number of seconds", optarg);
				return IG_EXIT_USAGE;
			}
			break;
		case 'P': out.prom = optarg; break;
		}
	}
	if (opt < 0)
		return g.rc;
	if (ig_getopt_done(&g))
		return IG_EXIT_USAGE;
	out.json = ig_globals.json;
	pin_dir = ig_pin_dir(ig_globals.pin_dir);
	m = calloc(2, sizeof(*m));
	if (!m) {
		ig_err("out of memory");
		return IG_EXIT_FAIL;
	}
	rc = ig_pin_dir_prepare(pin_dir, false);
	if (!rc)
		rc = ig_metrics_read(pin_dir, &m[0]);
	if (rc == -ENOENT && out.prom) {
		/* the textfile must not keep a detached router's last counters */
		m[0].detached = true;
		if (ig_metrics_write_prometheus(&m[0], out.prom))
			rc = -EIO;
	}
	if (rc) {
		rc = ig_exit_code(rc);
		goto cleanup;
	}
	if (out.prom && ig_metrics_write_prometheus(&m[0], out.prom)) {
		rc = IG_EXIT_FAIL;
		goto cleanup;
	}
	if (!follow) {
		if (!out.prom)
			print_once(&m[0], out.json, out.all);
		goto cleanup;
	}

	rc = stats_follow(pin_dir, m, interval, &out);
cleanup:
	free(m);
	return rc;
}
