// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_policy.c - `isagate policy sync FILE|-`, `policy list`, `policy clear`
 * and `policy conns`: the manage-out policy and its connection table.
 *
 * sync parses the whole file first (a bad line changes nothing, exit 2),
 * prints the difference to the running policy and switches to the new one
 * in a single map update; an identical policy is not rewritten.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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
#include "loader.h"
#include "policy.h"

/* clang-format off */
static void usage(FILE *f)
{
	fprintf(f,
"usage: isagate policy sync FILE|- [-j] [--dry-run] [--pin-dir DIR]\n"
"       isagate policy list [-j] [--pin-dir DIR]\n"
"       isagate policy clear [-j] [--pin-dir DIR]\n"
"       isagate policy conns [-j] [--pin-dir DIR]\n"
"\n"
"The manage-out policy: what members may open towards remote hosts ('out')\n"
"and remote hosts towards members ('in').  Without a policy (the default, or\n"
"after 'clear') members may do anything.  With one, every forwarded packet\n"
"belongs to a connection a rule allowed, or is refused (dropped, or answered\n"
"with ICMPv6 administratively prohibited: 'reject').  One statement per line:\n"
"\n"
"  allow|drop|reject out|in PROTO [PORTS] [member A.B.C.D/N] [remote P/LEN]\n"
"                                  [after PROTO/PORT] [name LABEL]\n"
"  default drop|reject             (default: drop)\n"
"  timeout CLASS SECONDS           tcp-syn 30, tcp-established 3600, tcp-close 10,\n"
"                                  udp 30, udp-stream 180, icmp 30, other 600,\n"
"                                  rpc-anchor 120\n"
"\n"
"PROTO tcp, udp, udplite, sctp, icmpv6, any or 1-255; PORTS the opened side's\n"
"port(s): N, N-M or a comma list (icmpv6: types, e.g. echo-request); omitted =\n"
"any.  First match wins.  'after tcp/135' admits a connection only when the\n"
"same member address opened tcp/135 to the same remote address within\n"
"rpc-anchor seconds (RPC dynamic ports).  See deploy/policy.txt.\n"
"\n"
"  sync     make FILE ('-' = stdin) the running policy; a malformed file changes\n"
"           nothing (exit 2); connections the new rules refuse are cut on their\n"
"           next packet\n"
"  list     the running rules with their counters\n"
"  clear    unload the policy (members may do anything again)\n"
"  conns    the connection table\n"
"  -j, --json   JSON output (stable keys)\n"
"  --dry-run    show what sync would change, change nothing\n"
"\n"
"sync and clear hold the pin directory's lock (one writer at a time); they wait\n"
"up to $ISAGATE_LOCK_WAIT seconds (default %d) while another isagate command\n"
"holds it, then give up (exit 8).\n"
"\n"
"Exit codes: 0 ok, 1 failed, 2 bad usage or bad file (nothing changed),\n"
"4 nothing attached under DIR, 8 another isagate command holds the lock\n"
"(nothing changed).\n", IG_LOCK_WAIT_DEFAULT);
}
/* clang-format on */

static bool contains(const struct ig_policy *p, const struct ig_rule *r)
{
	unsigned int i;

	for (i = 0; i < p->n; i++)
		if (ig_rule_equal(&p->rules[i], r))
			return true;
	return false;
}

/* Rules of `a` not in `b`, as text lines; printed or appended to arr. */
static unsigned int rules_missing(const struct ig_policy *a, const struct ig_policy *b,
				  const char *mark, json_object *arr)
{
	char line[256];
	unsigned int i, n = 0;

	for (i = 0; i < a->n; i++) {
		if (contains(b, &a->rules[i]))
			continue;
		ig_rule_fmt(&a->rules[i], line, sizeof(line));
		if (arr)
			json_object_array_add(arr, json_object_new_string(line));
		else
			printf("%s %s\n", mark, line);
		n++;
	}
	return n;
}

static json_object *timeouts_json(const struct ig_policy *p)
{
	json_object *t = json_object_new_object();
	unsigned int i;

	for (i = 0; i < IG_CT_T_MAX; i++)
		json_object_object_add(t, ig_ct_timeout_name(i), json_object_new_int64(p->timeout_s[i]));
	return t;
}

static int do_sync(const char *pin_dir, const char *file, bool json, bool dry_run)
{
	struct ig_policy *want = NULL;
	struct ig_psync *r = NULL;
	json_object *o = NULL, *added = NULL, *removed = NULL;
	unsigned int n_add, n_del;
	char err[600];
	int rc;

	want = calloc(1, sizeof(*want));
	r = calloc(1, sizeof(*r));
	if (!want || !r) {
		ig_err("out of memory");
		rc = IG_EXIT_FAIL;
		goto cleanup;
	}
	rc = ig_policy_parse_file(file, want, err, sizeof(err));
	if (rc) {
		ig_err("%s%s", err, rc == -1 ? " (nothing changed)" : "");
		rc = rc == -1 ? IG_EXIT_USAGE : IG_EXIT_FAIL;
		goto cleanup;
	}
	rc = ig_pin_dir_prepare(pin_dir, false);
	if (rc) {
		rc = ig_exit_code(rc);
		goto cleanup;
	}
	rc = ig_policy_sync(pin_dir, want, dry_run, r);
	if (rc) {
		if (r->stage == IG_PSYNC_READ)
			ig_err("reading the running policy: %s", strerror(-rc));
		else if (r->stage == IG_PSYNC_APPLY)
			ig_err("loading the policy: %s (the running policy is unchanged)",
			       strerror(-rc));
		rc = r->stage == IG_PSYNC_LOCK || r->stage == IG_PSYNC_OPEN ? ig_exit_code(rc)
									    : IG_EXIT_FAIL;
		goto cleanup;
	}
	if (json) {
		added = json_object_new_array();
		removed = json_object_new_array();
	}
	n_add = rules_missing(want, &r->cur, "+", added);
	n_del = rules_missing(&r->cur, want, "-", removed);
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "changed", json_object_new_boolean(r->changed));
		json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
		json_object_object_add(o, "was_active", json_object_new_boolean(r->active));
		json_object_object_add(o, "rules", json_object_new_int(want->n));
		json_object_object_add(o, "default", json_object_new_string(
			ig_policy_action_name(want->default_action)));
		json_object_object_add(o, "added", added);
		json_object_object_add(o, "removed", removed);
		added = removed = NULL;
		json_object_object_add(o, "timeouts", timeouts_json(want));
		json_object_object_add(o, "generation", json_object_new_int64(r->gen));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	} else {
		printf("policy %s: %u rules, default %s, %u added, %u removed%s%s\n",
		       !r->changed ? "unchanged"
		       : dry_run   ? "would change"
				   : "loaded",
		       want->n, ig_policy_action_name(want->default_action), n_add, n_del,
		       r->changed && !n_add && !n_del ? " (order, default or timeouts changed)"
						      : "",
		       !r->active && r->changed
			       ? " (no policy was loaded: members were unrestricted)"
			       : "");
	}
	rc = IG_EXIT_OK;
cleanup:
	json_object_put(o);
	json_object_put(added);
	json_object_put(removed);
	free(want);
	free(r);
	return rc;
}

static json_object *counter_json(const struct ig_rule_counter *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "conns", json_object_new_int64((int64_t)c->conns));
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)c->packets));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)c->bytes));
	return o;
}

/* The policy view under pin_dir, or NULL with the exit code in *rc (message
 * printed): IG_EXIT_NOT_ATTACHED when there are no policy maps. */
static struct ig_policy_view *view_load(const char *pin_dir, int *rc)
{
	struct ig_policy_view *v = calloc(1, sizeof(*v));

	if (!v) {
		ig_err("out of memory");
		*rc = IG_EXIT_FAIL;
		return NULL;
	}
	if (ig_policy_view_read(pin_dir, v)) {
		*rc = IG_EXIT_FAIL;
	} else if (!v->present) {
		ig_err("%s has no policy maps: isagate is not attached there, or by an older "
		       "version (run 'isagate attach')", pin_dir);
		*rc = IG_EXIT_NOT_ATTACHED;
	} else {
		*rc = IG_EXIT_OK;
		return v;
	}
	free(v);
	return NULL;
}

static int do_list(const char *pin_dir, bool json)
{
	const struct ig_rule_counter *cnt;
	const struct ig_policy *p;
	json_object *o = NULL, *arr;
	char line[256];
	unsigned int i;
	int rc;
	struct ig_policy_view *v = view_load(pin_dir, &rc);

	if (!v)
		return rc;
	p = &v->pol;
	cnt = v->cnt;
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "active", json_object_new_boolean(v->active));
		json_object_object_add(o, "generation", json_object_new_int64(v->gen));
		arr = json_object_new_array();
		for (i = 0; i < p->n; i++) {
			const struct ig_rule *r = &p->rules[i];
			json_object *e = counter_json(&cnt[i]);

			json_object_object_add(e, "index", json_object_new_int(i));
			json_object_object_add(e, "rule", json_object_new_string(
				ig_rule_fmt(r, line, sizeof(line))));
			json_object_object_add(e, "action", json_object_new_string(
				ig_policy_action_name(r->action)));
			json_object_object_add(e, "direction", json_object_new_string(
				r->dir == IG_PD_IN ? "in" : "out"));
			json_object_object_add(e, "name", json_object_new_string_len(
				r->name, (int)strnlen(r->name, sizeof(r->name))));
			json_object_object_add(e, "anchor", json_object_new_boolean(
				r->flags & IG_RULE_F_ANCHOR));
			json_object_array_add(arr, e);
		}
		json_object_object_add(o, "rules", arr);
		if (v->active) {
			json_object *d = counter_json(&cnt[IG_POLICY_MAX_RULES]);

			json_object_object_add(d, "action", json_object_new_string(
				ig_policy_action_name(p->default_action)));
			json_object_object_add(o, "default", d);
			json_object_object_add(o, "timeouts", timeouts_json(p));
		}
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		goto cleanup;
	}
	if (!v->active) {
		printf("no policy loaded: members may open anything (isagate policy sync FILE)\n");
		goto cleanup;
	}
	printf("policy generation %u, %u rules (first match wins)\n", v->gen, p->n);
	printf("%4s %10s %12s %14s  %s\n", "#", "conns", "packets", "bytes", "rule");
	for (i = 0; i < p->n; i++)
		printf("%4u %10llu %12llu %14llu  %s%s\n", i, (unsigned long long)cnt[i].conns,
		       (unsigned long long)cnt[i].packets, (unsigned long long)cnt[i].bytes, ig_rule_fmt(&p->rules[i], line, sizeof(line)),
		       p->rules[i].flags & IG_RULE_F_ANCHOR ? "   (anchor)" : "");
	printf("%4s %10s %12llu %14llu  default %s\n", "-", "-",
	       (unsigned long long)cnt[IG_POLICY_MAX_RULES].packets,
	       (unsigned long long)cnt[IG_POLICY_MAX_RULES].bytes,
	       ig_policy_action_name(p->default_action));
	printf("timeouts:");
	for (i = 0; i < IG_CT_T_MAX; i++)
		printf(" %s %u", ig_ct_timeout_name(i), p->timeout_s[i]);
	printf("\n");
cleanup:
	json_object_put(o);
	free(v);
	return rc;
}

static int do_clear(const char *pin_dir, bool json)
{
	struct ig_pmaps m = { -1, -1, -1, -1 };
	struct ig_policy_state st;
	__u32 zero = 0;
	bool active;
	int rc, lockfd;

	lockfd = ig_pin_dir_lock(pin_dir);    /* a sync must not publish over it */
	if (lockfd < 0)
		return ig_exit_code(lockfd);
	rc = ig_pmaps_open(pin_dir, &m);
	if (rc) {
		close(lockfd);
		return ig_exit_pins(rc);
	}
	active = !bpf_map_lookup_elem(m.state, &zero, &st) && st.active;
	rc = ig_policy_clear(&m);
	ig_pmaps_close(&m);
	close(lockfd);
	if (rc) {
		ig_err("unloading the policy: %s", strerror(-rc));
		return IG_EXIT_FAIL;
	}
	if (json)
		printf("{\"changed\": %s}\n", active ? "true" : "false");
	else
		printf("%s\n", active ? "policy unloaded: members may open anything" :
					"no policy was loaded");
	return IG_EXIT_OK;
}

static void conn_port(const struct ig_flow_key *k, bool remote, char *buf, size_t len)
{
	uint16_t p = remote ? k->remote_port : k->member_port;

	if (k->proto == 58 && IG_FLOW_IS_ECHO(k->remote_port))
		snprintf(buf, len, remote ? (p == IG_FLOW_ICMP_ECHO_PORT ? "echo" : "echo-in") :
			 "id %u", p);
	else if (k->proto == 58)
		snprintf(buf, len, remote ? "type %u code %u" : "-", p >> 8, p & 0xff);
	else
		snprintf(buf, len, "%u", p);
}

/* One tracked connection as `policy conns` shows it. */
struct conn_row {
	const struct ig_flow_key *k;
	const struct ig_conn *c;
	char m4[INET_ADDRSTRLEN], ma[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN], mp[32], rp[32];
	char rule[256];
	int rule_index; /* -1: no rule of the loaded policy */
	double age_s, idle_s;
};

static void conn_row(struct conn_row *row, const struct ig_flow_key *k, const struct ig_conn *c,
		     const struct ig_policy_view *v, uint64_t now)
{
	row->k = k;
	row->c = c;
	row->rule_index = c->gen == v->gen && c->rule < v->pol.n ? (int)c->rule : -1;
	if (row->rule_index >= 0)
		ig_rule_fmt(&v->pol.rules[c->rule], row->rule, sizeof(row->rule));
	else if (c->gen != v->gen)
		snprintf(row->rule, sizeof(row->rule),
			 "(earlier policy: re-evaluated on its next packet)");
	else
		snprintf(row->rule, sizeof(row->rule), "-");
	inet_ntop(AF_INET, k->member, row->m4, sizeof(row->m4));
	inet_ntop(AF_INET6, k->member_addr, row->ma, sizeof(row->ma));
	inet_ntop(AF_INET6, k->remote_addr, row->ra, sizeof(row->ra));
	conn_port(k, false, row->mp, sizeof(row->mp));
	conn_port(k, true, row->rp, sizeof(row->rp));
	row->age_s = now > c->first_ns ? (double)(now - c->first_ns) / 1e9 : 0;
	row->idle_s = now > c->last_ns ? (double)(now - c->last_ns) / 1e9 : 0;
}

static json_object *conn_json(const struct conn_row *row)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "member", json_object_new_string(row->m4));
	json_object_object_add(e, "member_addr", json_object_new_string(row->ma));
	json_object_object_add(e, "remote_addr", json_object_new_string(row->ra));
	json_object_object_add(e, "proto", json_object_new_int(row->k->proto));
	json_object_object_add(e, "member_port", json_object_new_int(row->k->member_port));
	json_object_object_add(e, "remote_port", json_object_new_int(row->k->remote_port));
	json_object_object_add(
		e, "opened_by",
		json_object_new_string(row->c->dir == IG_PD_IN ? "remote" : "member"));
	json_object_object_add(e, "state", json_object_new_string(ig_ct_state_name(row->c->state)));
	json_object_object_add(e, "age_s", json_object_new_double(row->age_s));
	json_object_object_add(e, "idle_s", json_object_new_double(row->idle_s));
	json_object_object_add(e, "rule_index", json_object_new_int(row->rule_index));
	json_object_object_add(e, "rule", json_object_new_string(row->rule));
	return e;
}

static void conn_text(const struct conn_row *row)
{
	printf("%-15s %-5u %-28s %-8s %-28s %-14s %-3s %-11s %7.0f %6.0f  %s\n", row->m4,
	       row->k->proto, row->ma, row->mp, row->ra, row->rp,
	       row->c->dir == IG_PD_IN ? "in" : "out", ig_ct_state_name(row->c->state), row->age_s,
	       row->idle_s, row->rule);
}

static int do_conns(const char *pin_dir, bool json)
{
	struct ig_flow_key k, next;
	struct conn_row row;
	struct ig_conn c;
	json_object *arr = NULL;
	uint64_t now = ig_mono_now_ns();
	bool first = true;
	unsigned int n = 0;
	int fd = -1, rc;
	struct ig_policy_view *v = view_load(pin_dir, &rc);

	if (!v)
		return rc;
	fd = ig_map_open(pin_dir, IG_MAP_CONNS);
	if (fd < 0) {
		rc = ig_exit_pins(fd);
		goto cleanup;
	}
	if (json)
		arr = json_object_new_array();
	else
		printf("%-15s %-5s %-28s %-8s %-28s %-14s %-3s %-11s %7s %6s  %s\n", "member", "proto",
		       "member address", "port", "remote address", "port", "dir", "state", "age_s",
		       "idle_s", "rule");
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (bpf_map_lookup_elem(fd, &k, &c))
			continue; /* evicted meanwhile */
		conn_row(&row, &k, &c, v, now);
		if (json)
			json_object_array_add(arr, conn_json(&row));
		else
			conn_text(&row);
		n++;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
	else
		printf("%u connections%s\n", n, v->active ? "" : " (no policy loaded: not tracked)");
cleanup:
	json_object_put(arr);
	if (fd >= 0)
		close(fd);
	free(v);
	return rc;
}

int cmd_policy(int argc, char **argv)
{
	static const struct option options[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct ig_cmd cmd = { "policy", "n", options, usage, true };
	const char *pin_dir, *sub, *file = NULL;
	bool json, dry_run = false;
	struct ig_getopt g;
	int opt, rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? IG_EXIT_USAGE : IG_EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "sync") && strcmp(sub, "list") && strcmp(sub, "clear") &&
	    strcmp(sub, "conns")) {
		ig_err("policy: unknown subcommand '%s' (sync, list, clear or conns)", sub);
		return IG_EXIT_USAGE;
	}
	argc--;
	argv++;
	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((opt = ig_getopt(&g)) > 0)
		if (opt == 'n')
			dry_run = true;
	if (opt < 0)
		return g.rc;
	json = ig_globals.json;
	if (!strcmp(sub, "sync")) {
		if (optind >= argc) {
			ig_err("policy sync needs a file ('-' for stdin)");
			return IG_EXIT_USAGE;
		}
		file = argv[optind++];
	} else if (dry_run) {
		ig_err("--dry-run only goes with 'policy sync'");
		return IG_EXIT_USAGE;
	}
	if (ig_getopt_done(&g))
		return IG_EXIT_USAGE;
	pin_dir = ig_pin_dir(ig_globals.pin_dir);
	if (!strcmp(sub, "sync"))   /* the file is checked before anything else */
		return do_sync(pin_dir, file, json, dry_run);
	rc = ig_pin_dir_prepare(pin_dir, false);
	if (rc)
		return ig_exit_code(rc);
	if (!strcmp(sub, "list"))
		return do_list(pin_dir, json);
	if (!strcmp(sub, "clear"))
		return do_clear(pin_dir, json);
	return do_conns(pin_dir, json);
}
