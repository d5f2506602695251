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
#include "metrics.h"
#include "policy.h"

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
		}
	}
	free(pc);
	return 0;
}

int ig_neigh_req_read(const char *pin_dir, struct ig_neigh_req_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i, err = 0;
	struct ig_neigh_req_stats *pc;
	char path[512];
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, IG_MAP_NEIGH_REQ_STATS) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);          /* quietly: older pins have no such map */
	if (fd < 0)
		return -errno;
	if (ncpu <= 0) {
		close(fd);
		return -EINVAL;
	}
	pc = calloc((size_t)ncpu, sizeof(*pc));
	if (!pc) {
		close(fd);
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(fd, &zero, pc)) {
		err = -errno;
		ig_err("reading %s: %s", IG_MAP_NEIGH_REQ_STATS, strerror(errno));
	}
	for (i = 0; !err && i < ncpu; i++) {
		out->requests += pc[i].requests;
		out->suppressed += pc[i].suppressed;
		out->lost += pc[i].lost;
	}
	free(pc);
	close(fd);
	return err;
}

int ig_metrics_read(const char *pin_dir, struct ig_metrics *m)
{
	int sfd = -1, hfd = -1, nfd = -1, ffd = -1, vfd = -1, rc = IG_EXIT_FAIL;

	memset(m, 0, sizeof(*m));
	m->flows = -1;
	sfd = ig_map_open(pin_dir, IG_MAP_STATS);
	if (sfd < 0) {
		rc = sfd == -ENOENT ? IG_EXIT_NOT_ATTACHED : IG_EXIT_FAIL;
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
	m->members = ig_map_count(hfd) + ig_map_count(nfd);
	ffd = ig_map_open(pin_dir, IG_MAP_FLOWS);
	vfd = ig_map_open(pin_dir, IG_MAP_VIS_STATS);
	if (ffd >= 0)
		m->flows = ig_map_count(ffd);
	if (vfd >= 0 && ig_vis_read(vfd, &m->vis) == 0) {
		m->have_vis = true;
		m->flow_evictions = ig_flow_evictions(&m->vis, m->flows);
	}
	m->have_neigh = ig_neigh_req_read(pin_dir, &m->neigh) == 0;
	if (ig_policy_view_read(pin_dir, &m->policy))
		goto cleanup;
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

int ig_metrics_write_prometheus(const struct ig_metrics *m, const char *path)
{
	struct ig_atomic a;
	FILE *f;
	int err;

	/* 0644: node_exporter runs as its own user */
	err = ig_atomic_open(&a, path, 0644);
	if (err) {
		ig_err("%s: %s (the directory must exist and be writable)", path, strerror(-err));
		return err;
	}
	f = a.f;
	prom_counter_family(f, "isagate_packets_total",
			    "Packets seen by the isagate XDP datapath, by verdict reason.", m, 0);
	prom_counter_family(f, "isagate_bytes_total",
			    "Bytes (whole frames) seen by the isagate XDP datapath, by verdict reason.",
			    m, 1);
	fprintf(f, "# HELP isagate_members Membership entries (hosts and subnets).\n"
		   "# TYPE isagate_members gauge\nisagate_members %ld\n", m->members);
	if (m->flows >= 0)
		fprintf(f, "# HELP isagate_flows Entries in the flow table.\n"
			   "# TYPE isagate_flows gauge\nisagate_flows %ld\n", m->flows);
	if (m->have_vis) {
		fprintf(f, "# HELP isagate_flow_evictions_total Flows evicted from the full flow "
			   "table (inserts minus entries).\n"
			   "# TYPE isagate_flow_evictions_total counter\n"
			   "isagate_flow_evictions_total %llu\n",
			(unsigned long long)m->flow_evictions);
		fprintf(f, "# HELP isagate_flow_inserts_total Flows created in the flow table.\n"
			   "# TYPE isagate_flow_inserts_total counter\n"
			   "isagate_flow_inserts_total %llu\n",
			(unsigned long long)m->vis.flow_inserts);
		prom_outcomes(f, "isagate_events_total", "Refusal events, by outcome (sent to the "
			      "ring, suppressed by the per-source rate limit, lost with the ring full).",
			      m->vis.events_sent, m->vis.events_suppressed, m->vis.events_lost);
	}
	if (m->have_neigh)
		prom_outcomes(f, "isagate_neigh_requests_total", "Neighbour requests for unresolved "
			      "IPv4 next hops, by outcome (sent to the ring, suppressed within the "
			      "interval, lost with the ring full).",
			      m->neigh.requests, m->neigh.suppressed, m->neigh.lost);
	if (m->policy.conns >= 0)
		fprintf(f, "# HELP isagate_policy_connections Entries in the policy's connection "
			   "table.\n# TYPE isagate_policy_connections gauge\n"
			   "isagate_policy_connections %ld\n", m->policy.conns);
	if (m->policy.active) {
		const struct ig_policy *p = &m->policy.pol;
		static const char *const fam[3][2] = {
			{ "isagate_policy_packets_total",
			  "Packets admitted under (allow) or refused by (drop, reject) each policy rule." },
			{ "isagate_policy_bytes_total", "Bytes (inner IPv6) of those packets." },
			{ "isagate_policy_connections_total", "Connections each allow rule admitted." },
		};
		int j, i;

		for (j = 0; j < 3; j++) {
			fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", fam[j][0], fam[j][1],
				fam[j][0]);
			for (i = 0; i <= (int)p->n; i++) {
				bool dflt = i == (int)p->n;
				const struct ig_rule_counter *c =
					&m->policy.cnt[dflt ? IG_POLICY_MAX_RULES : i];
				char idx[16];

				snprintf(idx, sizeof(idx), "%d", i);
				fprintf(f, "%s{rule=\"%s\",name=\"%.*s\",action=\"%s\"} %llu\n",
					fam[j][0], dflt ? "default" : idx,
					dflt ? 0 : (int)sizeof(p->rules[i].name),
					dflt ? "" : p->rules[i].name,
					ig_policy_action_name(dflt ? p->default_action :
						p->rules[i].action),
					(unsigned long long)(j == 0 ? c->packets :
							     j == 1 ? c->bytes : c->conns));
			}
		}
	}
	err = ig_atomic_commit(&a, 0);
	if (err)
		ig_err("%s: %s (metrics not written)", path, strerror(-err));
	return err;
}
