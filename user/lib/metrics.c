// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* metrics.c - counter snapshot and Prometheus textfile output (metrics.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "flows.h"
#include "loader.h"
#include "metrics.h"
#include "policy.h"
#include "routemirror.h"

const char *const ig_reason_key[IG_REASON_MAX] = {
#define IG_X_KEY(name, key, text) [IG_##name] = key,
	IG_REASONS(IG_X_KEY)
#undef IG_X_KEY
};

const char *const ig_reason_text[IG_REASON_MAX] = {
#define IG_X_TEXT(name, key, text) [IG_##name] = text,
	IG_REASONS(IG_X_TEXT)
#undef IG_X_TEXT
};

int ig_stats_sum(int fd, struct ig_counter out[IG_REASON_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct ig_counter *pc;
	__u32 key;

	memset(out, 0, sizeof(*out) * IG_REASON_MAX);
	if (ncpu <= 0)
		return -EINVAL;
	pc = calloc((size_t)ncpu, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (key = 0; key < IG_REASON_MAX; key++) {
		if (bpf_map_lookup_elem(fd, &key, pc))
			continue;
		for (i = 0; i < ncpu; i++) {
			out[key].packets += pc[i].packets;
			out[key].bytes += pc[i].bytes;
			out[key].ev_held += pc[i].ev_held;
		}
	}
	free(pc);
	return 0;
}

int ig_percpu_sum(const char *pin_dir, const char *name, void *out, size_t size)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i, err = 0;
	size_t w, words = size / sizeof(__u64);
	__u64 *pc, *sum = out;
	char path[512];
	__u32 zero = 0;

	memset(out, 0, size);
	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);          /* quietly: older pins have no such map */
	if (fd < 0)
		return -errno;
	if (ncpu <= 0) {
		close(fd);
		return -EINVAL;
	}
	pc = calloc((size_t)ncpu, size);
	if (!pc) {
		close(fd);
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(fd, &zero, pc)) {
		err = -errno;
		ig_err("reading %s: %s", name, strerror(errno));
	}
	for (i = 0; !err && i < ncpu; i++)
		for (w = 0; w < words; w++)
			sum[w] += pc[(size_t)i * words + w];
	free(pc);
	close(fd);
	return err;
}

int ig_neigh_req_read(const char *pin_dir, struct ig_neigh_req_stats *out)
{
	return ig_percpu_sum(pin_dir, IG_MAP_NEIGH_REQ_STATS, out, sizeof(*out));
}

const char *const ig_members_source_key[4] = {
	[IG_MEMBERS_BY_ADDRESS] = "address", [IG_MEMBERS_BY_SUBNET] = "subnet",
	[IG_MEMBERS_BY_NAME] = "name", [IG_MEMBERS_BY_DIRECTORY] = "directory",
};

/* Count a member map's entries by source (their flags); returns the count. */
static long count_by_source(int fd, size_t key_size, struct ig_metrics *m)
{
	unsigned char k[2][64];
	struct ig_member v;
	void *prev = NULL;
	int cur = 0, src;
	long n = 0;

	if (key_size > sizeof(k[0]))
		return ig_map_count(fd);
	while (bpf_map_get_next_key(fd, prev, k[cur]) == 0) {
		n++;
		prev = k[cur];
		cur ^= 1;
		if (bpf_map_lookup_elem(fd, prev, &v))
			continue;          /* removed meanwhile */
		if (v.flags & IG_MEMBER_F_DIRECTORY)
			src = IG_MEMBERS_BY_DIRECTORY;
		else if (v.flags & IG_MEMBER_F_NAME)
			src = IG_MEMBERS_BY_NAME;
		else if (v.flags & IG_MEMBER_F_SUBNET)
			src = IG_MEMBERS_BY_SUBNET;
		else
			src = IG_MEMBERS_BY_ADDRESS;
		m->by_source[src]++;
		m->stale += !!(v.flags & IG_MEMBER_F_STALE);
	}
	return n;
}

static void read_links(const char *pin_dir, struct ig_metrics *m)
{
	struct ig_link_state *links;
	int n, i;

	links = calloc(IG_MAX_LINK_PINS, sizeof(*links));
	if (!links)
		return;
	n = ig_loader_links(pin_dir, links, IG_MAX_LINK_PINS);
	/* ifindex 0: the device went away and the kernel released the link.
	 * Not links[i].here: that asks the device over rtnetlink, which the
	 * metrics unit's sandbox does not allow (AF_UNIX only). */
	for (i = 0; i < n; i++) {
		if (links[i].ifindex)
			m->links_up++;
		else
			m->links_down++;
	}
	free(links);
	m->attached = m->links_up > 0 && !m->links_down;
}

/* The flow cache's totals (the flows were read, so folded, just before);
 * with it the collector, not the datapath, creates the table's entries. */
static void fc_read(const char *pin_dir, struct ig_metrics *m)
{
	if (ig_fc_totals_pinned(pin_dir, &m->fc, NULL) <= 0)
		return;
	m->have_fc = true;
	m->flow_evictions = ig_flow_evictions(m->vis.flow_inserts, m->fc.inserts, &m->tables);
	m->vis.flow_inserts += m->fc.inserts;
}

int ig_metrics_read(const char *pin_dir, struct ig_metrics *m)
{
	int sfd = -1, hfd = -1, nfd = -1, ffd = -1, vfd = -1, rc = -EIO;

	memset(m, 0, sizeof(*m));
	m->flows = -1;
	m->tables = (struct ig_flow_tables){ -1, -1 };
	sfd = ig_map_open(pin_dir, IG_MAP_STATS);
	if (sfd < 0) {
		rc = sfd == -ENOENT ? -ENOENT : -EIO;
		goto cleanup;
	}
	hfd = ig_map_open(pin_dir, IG_MAP_MEMBERS);
	nfd = ig_map_open(pin_dir, IG_MAP_MEMBER_NETS);
	if (hfd < 0 || nfd < 0)
		goto cleanup;
	if (ig_stats_sum(sfd, m->counters)) {
		ig_err("reading the counters: %s", strerror(errno));
		goto cleanup;
	}
	m->members = count_by_source(hfd, sizeof(struct ig_v4_key), m) +
		     count_by_source(nfd, sizeof(struct ig_v4_lpm_key), m);
	ffd = ig_map_open(pin_dir, IG_MAP_FLOWS);
	vfd = ig_map_open(pin_dir, IG_MAP_VIS_STATS);
	if (ffd >= 0) {
		struct ig_flow_rec *recs = NULL;
		long n = ig_flows_read_tables(pin_dir, ffd, &recs, &m->tables);

		m->flows = n >= 0 ? n : ig_map_count(ffd);
		if (n < 0)
			m->tables = (struct ig_flow_tables){ m->flows, -1 };
		if (n >= 0) {
			m->n_unans = ig_flows_unanswered_by_member(recs, (size_t)n, IG_UNANSWERED_NS,
								   m->unans, IG_METRICS_UNANSWERED_MAX,
								   &m->unans_other, &m->unans_total);
			m->have_unans = true;
		}
		free(recs);
	}
	if (vfd >= 0 && ig_vis_read(vfd, &m->vis) == 0) {
		/* held back beside the counters, or by the per-CPU and
		 * per-source limits: one number for the operator */
		for (int r = 0; r < IG_REASON_MAX; r++)
			m->vis.events_suppressed += m->counters[r].ev_held;
		m->have_vis = true;
		m->flow_evictions = ig_flow_evictions(m->vis.flow_inserts, 0, &m->tables);
	}
	fc_read(pin_dir, m);
	m->have_route = ig_rmirror_state(pin_dir, &m->route_state) == 0 &&
			ig_percpu_sum(pin_dir, IG_MAP_ROUTE_STATS, &m->route, sizeof(m->route)) ==
				0;
	m->have_neigh = ig_neigh_req_read(pin_dir, &m->neigh) == 0;
	if (ig_policy_view_read(pin_dir, &m->policy))
		goto cleanup;
	m->have_sync = ig_sync_state_read(pin_dir, &m->sync) == 0;
	read_links(pin_dir, m);
	rc = 0;
cleanup:
	if (sfd >= 0)
		close(sfd);
	if (hfd >= 0)
		close(hfd);
	if (nfd >= 0)
		close(nfd);
	if (ffd >= 0)
		close(ffd);
	if (vfd >= 0)
		close(vfd);
	return rc;
}

static void prom_counter_family(FILE *f, const char *name, const char *help,
				const struct ig_metrics *m, int bytes)
{
	int i;

	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (i = 0; i < IG_REASON_MAX; i++)
		fprintf(f, "%s{reason=\"%s\"} %llu\n", name, ig_reason_key[i],
			(unsigned long long)(bytes ? m->counters[i].bytes : m->counters[i].packets));
}
/* A counter by outcome: {result="sent"|"suppressed"|"lost"}. */
static void prom_outcomes(FILE *f, const char *name, const char *help, __u64 sent,
			  __u64 suppressed, __u64 lost)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n"
		   "%s{result=\"sent\"} %llu\n%s{result=\"suppressed\"} %llu\n"
		   "%s{result=\"lost\"} %llu\n", name, help, name,
		name, (unsigned long long)sent, name, (unsigned long long)suppressed,
		name, (unsigned long long)lost);
}

/* The members syncs' outcome (sync_state). */
static void prom_sync(FILE *f, const struct ig_sync_state *s)
{
	__u64 runs = 0;
	int i;

	for (i = 0; i < IG_SYNC_RESULT_MAX; i++)
		runs += s->runs[i];
	fprintf(f, "# HELP isagate_members_sync_last_success_timestamp_seconds When a members "
		   "sync last applied its source (exit 0 or 3), unix time; 0 never.\n"
		   "# TYPE isagate_members_sync_last_success_timestamp_seconds gauge\n"
		   "isagate_members_sync_last_success_timestamp_seconds %llu\n"
		   "# HELP isagate_members_sync_last_run_timestamp_seconds When a members sync "
		   "last ran, whatever its result, unix time; 0 never.\n"
		   "# TYPE isagate_members_sync_last_run_timestamp_seconds gauge\n"
		   "isagate_members_sync_last_run_timestamp_seconds %llu\n"
		   "# HELP isagate_members_sync_last_exit_code The exit code of the last members sync.\n"
		   "# TYPE isagate_members_sync_last_exit_code gauge\n"
		   "isagate_members_sync_last_exit_code %u\n"
		   "# HELP isagate_members_sync_runs_total Members syncs run (not dry runs).\n"
		   "# TYPE isagate_members_sync_runs_total counter\n"
		   "isagate_members_sync_runs_total %llu\n"
		   "# HELP isagate_members_sync_failures_total Members syncs that changed nothing, "
		   "by reason (exit code: system 1, input 2, directory 5, refused 6, locked 8).\n"
		   "# TYPE isagate_members_sync_failures_total counter\n",
		(unsigned long long)s->last_success, (unsigned long long)s->last_run,
		s->last_exit, (unsigned long long)runs);
	for (i = 0; i < IG_SYNC_RESULT_MAX; i++)
		if (i != IG_SYNC_OK && i != IG_SYNC_PARTIAL)
			fprintf(f, "isagate_members_sync_failures_total{reason=\"%s\"} %llu\n",
				ig_sync_result_key[i], (unsigned long long)s->runs[i]);
	fprintf(f, "# HELP isagate_members_sync_warnings_total Members syncs applied with "
		   "warnings (exit 3).\n# TYPE isagate_members_sync_warnings_total counter\n"
		   "isagate_members_sync_warnings_total %llu\n",
		(unsigned long long)s->runs[IG_SYNC_PARTIAL]);
}

/* Per member, bounded: members without unanswered conversations have no
 * series (the alert is "> 0"), those beyond the first
 * IG_METRICS_UNANSWERED_MAX are summed under member="other". */
static void prom_unanswered(FILE *f, const struct ig_metrics *m)
{
	char a[16];
	size_t i;

	fprintf(f, "# HELP isagate_flows_unanswered Conversations the member has sent on for "
		   "%llu s or more with nothing back (the remote host drops them), per member.\n"
		   "# TYPE isagate_flows_unanswered gauge\n",
		(unsigned long long)(IG_UNANSWERED_NS / 1000000000ull));
	for (i = 0; i < m->n_unans; i++)
		fprintf(f, "isagate_flows_unanswered{member=\"%s\"} %ld\n",
			ig_fmt_v4(m->unans[i].member, a, sizeof(a)), m->unans[i].flows);
	if (m->unans_other)
		fprintf(f, "isagate_flows_unanswered{member=\"other\"} %ld\n", m->unans_other);
}

/* The membership gauges. */
static void prom_members(FILE *f, const struct ig_metrics *m)
{
	int i;

	fprintf(f, "# HELP isagate_members Membership entries (hosts and subnets).\n"
		   "# TYPE isagate_members gauge\nisagate_members %ld\n", m->members);
	fprintf(f, "# HELP isagate_members_by_source Membership entries by where they came from "
		   "(a literal address or subnet, a host name, the directory).\n"
		   "# TYPE isagate_members_by_source gauge\n");
	for (i = 0; i < 4; i++)
		fprintf(f, "isagate_members_by_source{source=\"%s\"} %ld\n",
			ig_members_source_key[i], m->by_source[i]);
	fprintf(f, "# HELP isagate_members_stale Members kept fail-static: their name fails "
		   "temporarily.\n# TYPE isagate_members_stale gauge\nisagate_members_stale %ld\n",
		m->stale);
}

/* Uncached forwarding decisions by source, and the route mirror per family. */
static void prom_route(FILE *f, const struct ig_metrics *m)
{
	const struct ig_route_state *r = &m->route_state;

	if (!m->have_route)
		return;
	fprintf(f,
		"# HELP isagate_fwd_decisions_total Forwarding decisions the "
		"per-destination cache did not hold, by who made them.\n"
		"# TYPE isagate_fwd_decisions_total counter\n"
		"isagate_fwd_decisions_total{source=\"route_mirror\"} %llu\n"
		"isagate_fwd_decisions_total{source=\"fib\"} %llu\n",
		(unsigned long long)m->route.mirror, (unsigned long long)m->route.fib);
	fprintf(f,
		"# HELP isagate_route_mirror_routes Routes the route mirror holds, by family "
		"(0 when the family is not mirrored).\n"
		"# TYPE isagate_route_mirror_routes gauge\n"
		"isagate_route_mirror_routes{family=\"ipv4\"} %u\n"
		"isagate_route_mirror_routes{family=\"ipv6\"} %u\n",
		r->families & IG_ROUTE_F_V4 ? r->routes4 : 0,
		r->families & IG_ROUTE_F_V6 ? r->routes6 : 0);
}

/* The visibility counters: flow table, events, quotas. */
static void prom_visibility(FILE *f, const struct ig_metrics *m)
{
	fprintf(f,
		"# HELP isagate_flow_evictions_total Flows evicted from the full flow "
		"table (created minus present, per table, since it was created).\n"
		"# TYPE isagate_flow_evictions_total counter\n"
		"isagate_flow_evictions_total %llu\n",
		(unsigned long long)m->flow_evictions);
	fprintf(f,
		"# HELP isagate_flow_inserts_total Flows created in the flow table.\n"
		"# TYPE isagate_flow_inserts_total counter\n"
		"isagate_flow_inserts_total %llu\n",
		(unsigned long long)m->vis.flow_inserts);
	prom_outcomes(f, "isagate_events_total",
		      "Refusal events, by outcome (sent to the "
		      "ring, suppressed by the per-source rate limit, lost with the ring full).",
		      m->vis.events_sent, m->vis.events_suppressed, m->vis.events_lost);
	fprintf(f,
		"# HELP isagate_quota_refused_total What per-source quotas refused: "
		"packets of flows aggregated, connections, new remote /64s, ICMPv6 "
		"errors over the new-entry budget.\n"
		"# TYPE isagate_quota_refused_total counter\n"
		"isagate_quota_refused_total{what=\"flows\"} %llu\n"
		"isagate_quota_refused_total{what=\"conns\"} %llu\n"
		"isagate_quota_refused_total{what=\"new_sources\"} %llu\n"
		"isagate_quota_refused_total{what=\"icmp_budget\"} %llu\n",
		(unsigned long long)m->vis.flow_quota_refused,
		(unsigned long long)m->vis.conn_quota_refused,
		(unsigned long long)m->vis.quota_new_refused,
		(unsigned long long)m->vis.icmp_budget_refused);
}

/* Per-rule counters of the running policy, the default action last. */
static void prom_policy_rules(FILE *f, const struct ig_metrics *m)
{
	static const char *const fam[3][2] = {
		{ "isagate_policy_packets_total",
		  "Packets admitted under (allow) or refused by (drop, reject) each policy rule." },
		{ "isagate_policy_bytes_total", "Bytes (inner IPv6) of those packets." },
		{ "isagate_policy_connections_total", "Connections each allow rule admitted." },
	};
	const struct ig_policy *p = &m->policy.pol;
	int i, j;

	for (j = 0; j < 3; j++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", fam[j][0], fam[j][1], fam[j][0]);
		for (i = 0; i <= (int)p->n; i++) {
			bool dflt = i == (int)p->n;
			const struct ig_rule_counter *c =
				&m->policy.cnt[dflt ? IG_POLICY_MAX_RULES : i];
			char idx[16];

			snprintf(idx, sizeof(idx), "%d", i);
			fprintf(f, "%s{rule=\"%s\",name=\"%.*s\",action=\"%s\"} %llu\n", fam[j][0],
				dflt ? "default" : idx, dflt ? 0 : (int)sizeof(p->rules[i].name),
				dflt ? "" : p->rules[i].name,
				ig_policy_action_name(dflt ? p->default_action
							   : p->rules[i].action),
				(unsigned long long)(j == 0   ? c->packets
						     : j == 1 ? c->bytes
							      : c->conns));
		}
	}
}

static void prom_flow_cache(FILE *f, const struct ig_fc_totals *t)
{
	fprintf(f,
		"# HELP isagate_flow_cache_total The per-CPU flow cache: slots filled, "
		"occupants evicted to the log, logged near overflow, log records written; "
		"packets and bytes accounted in the shared table because a log was full.\n"
		"# TYPE isagate_flow_cache_total counter\n"
		"isagate_flow_cache_total{what=\"fills\"} %llu\n"
		"isagate_flow_cache_total{what=\"evictions\"} %llu\n"
		"isagate_flow_cache_total{what=\"refreshes\"} %llu\n"
		"isagate_flow_cache_total{what=\"records\"} %llu\n"
		"isagate_flow_cache_total{what=\"spilled_packets\"} %llu\n"
		"isagate_flow_cache_total{what=\"spilled_bytes\"} %llu\n",
		(unsigned long long)t->fills, (unsigned long long)t->evictions,
		(unsigned long long)t->refreshes, (unsigned long long)t->records,
		(unsigned long long)t->spilled_packets, (unsigned long long)t->spilled_bytes);
}

/* Everything but isagate_attached, for an attached router. */
static void prom_attached(FILE *f, const struct ig_metrics *m)
{
	prom_counter_family(f, "isagate_packets_total",
			    "Packets seen by the isagate XDP datapath, by verdict reason.", m, 0);
	prom_counter_family(
		f, "isagate_bytes_total",
		"Bytes (whole frames) seen by the isagate XDP datapath, by verdict reason.", m, 1);
	prom_members(f, m);
	if (m->have_sync)
		prom_sync(f, &m->sync);
	if (m->flows >= 0)
		fprintf(f, "# HELP isagate_flows Entries in the flow table.\n"
			   "# TYPE isagate_flows gauge\nisagate_flows %ld\n", m->flows);
	if (m->have_unans)
		prom_unanswered(f, m);
	if (m->have_vis)
		prom_visibility(f, m);
	prom_route(f, m);
	if (m->have_fc)
		prom_flow_cache(f, &m->fc);
	if (m->have_neigh)
		prom_outcomes(f, "isagate_neigh_requests_total", "Neighbour requests for unresolved "
			      "IPv4 next hops, by outcome (sent to the ring, suppressed within the "
			      "interval, lost with the ring full).",
			      m->neigh.requests, m->neigh.suppressed, m->neigh.lost);
	if (m->policy.conns >= 0)
		fprintf(f, "# HELP isagate_policy_connections Entries in the policy's connection "
			   "table.\n# TYPE isagate_policy_connections gauge\n"
			   "isagate_policy_connections %ld\n", m->policy.conns);
	if (m->policy.active)
		prom_policy_rules(f, m);
	fprintf(f, "# HELP isagate_xdp_links The router's pinned XDP links, running on their "
		   "device or defunct (the device is gone).\n"
		   "# TYPE isagate_xdp_links gauge\n"
		   "isagate_xdp_links{state=\"running\"} %d\nisagate_xdp_links{state=\"defunct\"} %d\n",
		m->links_up, m->links_down);
}

int ig_metrics_write_prometheus(const struct ig_metrics *m, const char *path)
{
	struct ig_atomic a;
	int err;

	/* 0644: node_exporter runs as its own user */
	err = ig_atomic_open(&a, path, 0644);
	if (err) {
		ig_err("%s: %s (the directory must exist and be writable)", path, strerror(-err));
		return err;
	}
	if (!m->detached)
		prom_attached(a.f, m);
	fprintf(a.f,
		"# HELP isagate_attached 1 when isagate is attached and every XDP link runs "
		"on its device, 0 when detached or a link is defunct.\n"
		"# TYPE isagate_attached gauge\nisagate_attached %d\n",
		!m->detached && m->attached);
	err = ig_atomic_commit(&a, 0);
	if (err)
		ig_err("%s: %s (metrics not written)", path, strerror(-err));
	return err;
}
