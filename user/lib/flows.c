// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flows.c - reading the flow table and the per-interval delta tracker
 * (see flows.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "flows.h"
#include "flowcache.h"

bool ig_flow_unanswered(const struct ig_flow_rec *r, uint64_t threshold_ns)
{
	const struct ig_flow *v = &r->v;

	/* an aggregate entry (quota.h) is many conversations, not one */
	return r->key.proto != IG_FLOW_PROTO_AGGREGATE && v->from_member.packets &&
	       !v->to_member.packets && v->last_ns - v->first_ns >= threshold_ns;
}

static int unanswered_cmp(const void *a, const void *b)
{
	const struct ig_unanswered_member *x = a, *y = b;

	if (x->flows != y->flows)
		return x->flows < y->flows ? 1 : -1;
	return memcmp(x->member, y->member, 4);
}

size_t ig_flows_unanswered_by_member(const struct ig_flow_rec *recs, size_t n,
				     uint64_t threshold_ns, struct ig_unanswered_member *out,
				     size_t max, long *other, long *total)
{
	struct ig_unanswered_member *all = NULL, cur;
	size_t i, n_all = 0, kept;

	*other = *total = 0;
	all = calloc(n + 1, sizeof(*all));
	if (!all) {
		/* cannot rank them: everything is "other" */
		for (i = 0; i < n; i++)
			*total += ig_flow_unanswered(&recs[i], threshold_ns);
		*other = *total;
		return 0;
	}
	memset(&cur, 0, sizeof(cur));
	for (i = 0; i < n; i++) {
		if (!ig_flow_unanswered(&recs[i], threshold_ns))
			continue;
		(*total)++;
		/* sorted by key, whose first field is the member: runs */
		if (n_all && !memcmp(all[n_all - 1].member, recs[i].key.member, 4)) {
			all[n_all - 1].flows++;
			continue;
		}
		memcpy(all[n_all].member, recs[i].key.member, 4);
		all[n_all++].flows = 1;
	}
	qsort(all, n_all, sizeof(*all), unanswered_cmp);
	kept = n_all < max ? n_all : max;
	memcpy(out, all, kept * sizeof(*all));
	for (i = kept; i < n_all; i++)
		*other += all[i].flows;
	free(all);
	return kept;
}

int ig_flow_key_cmp(const struct ig_flow_key *a, const struct ig_flow_key *b)
{
	return memcmp(a, b, sizeof(*a));
}

static int rec_cmp(const void *a, const void *b)
{
	return ig_flow_key_cmp(&((const struct ig_flow_rec *)a)->key,
			       &((const struct ig_flow_rec *)b)->key);
}

/* The records read so far (read_batch's context). */
struct rec_buf {
	struct ig_flow_rec *recs;
	size_t n, cap;
};

static int read_batch(const void *keys, const void *values, uint32_t n, void *ctx)
{
	struct rec_buf *b = ctx;
	struct ig_flow_rec *tmp;
	uint32_t i;

	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->n + n)
			cap *= 2;
		tmp = realloc(b->recs, cap * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		b->recs = tmp;
		b->cap = cap;
	}
	for (i = 0; i < n; i++) {
		memcpy(&b->recs[b->n].key,
		       (const char *)keys + (size_t)i * sizeof(struct ig_flow_key),
		       sizeof(struct ig_flow_key));
		memcpy(&b->recs[b->n].v, (const char *)values + (size_t)i * sizeof(struct ig_flow),
		       sizeof(struct ig_flow));
		b->n++;
	}
	return 0;
}

/* Every entry of one flow table, sorted by key, each key once: by batch
 * lookups, else (a kernel without them) key by key. */
static long read_table(int fd, struct ig_flow_rec **out)
{
	struct ig_flow_key key, next, *prev = NULL;
	struct ig_flow_rec *recs = NULL, *tmp;
	struct rec_buf b = { 0 };
	size_t n = 0, cap = 0;
	long rc;

	*out = NULL;
	rc = ig_map_batch(fd, sizeof(struct ig_flow_key), sizeof(struct ig_flow), read_batch, &b);
	if (rc >= 0) {
		recs = b.recs;
		n = b.n;
		goto sort;
	}
	free(b.recs);
	if (rc == -ENOMEM)
		goto nomem;
	if (rc != -EOPNOTSUPP) {
		ig_err("reading the flow table: %s", strerror((int)-rc));
		return rc;
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			tmp = realloc(recs, cap * sizeof(*recs));
			if (!tmp)
				goto nomem;
			recs = tmp;
		}
		if (bpf_map_lookup_elem(fd, &key, &recs[n].v)) {
			if (errno == ENOENT)   /* evicted meanwhile */
				continue;
			rc = -errno;
			ig_err("reading the flow table: %s", strerror(errno));
			goto fail;
		}
		recs[n].key = key;
		n++;
	}
	/*
	 * An LRU may drop the entry get_next_key stood on, which restarts the
	 * walk from the first key: the same key can then be read twice.
	 */
sort:
	if (n)
		qsort(recs, n, sizeof(*recs), rec_cmp);
	if (n > 1) {
		size_t i, j = 0;

		for (i = 1; i < n; i++)
			if (rec_cmp(&recs[j], &recs[i]))
				recs[++j] = recs[i];
		n = j + 1;
	}
	*out = recs;
	return (long)n;
nomem:
	ig_err("out of memory reading the flow table");
	rc = -ENOMEM;
fail:
	free(recs);
	return rc;
}

static void dir_add(struct ig_flow_dir *d, const struct ig_flow_dir *e)
{
	d->packets += e->packets;
	d->bytes += e->bytes;
	d->tcp_flags |= e->tcp_flags;
	if (e->icmp_type)
		d->icmp_type = e->icmp_type;
}

/* Add flow v's counts and times to r (a flow counted in both tables). */
static void flow_add(struct ig_flow *r, const struct ig_flow *v)
{
	dir_add(&r->from_member, &v->from_member);
	dir_add(&r->to_member, &v->to_member);
	if (v->first_ns && (!r->first_ns || v->first_ns < r->first_ns))
		r->first_ns = v->first_ns;
	if (v->last_ns > r->last_ns) {
		r->last_ns = v->last_ns;
		r->last_verdict = v->last_verdict;
	}
}

/* Merge the sorted a (na) and b (nb) into a new array, adding up keys in both. */
static long merge(const struct ig_flow_rec *a, long na, const struct ig_flow_rec *b, long nb,
		  struct ig_flow_rec **out)
{
	struct ig_flow_rec *m = malloc(((size_t)na + (size_t)nb + 1) * sizeof(*m));
	long i = 0, j = 0, n = 0;

	if (!m) {
		ig_err("out of memory reading the flow table");
		return -ENOMEM;
	}
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : ig_flow_key_cmp(&a[i].key, &b[j].key);

		if (c < 0) {
			m[n++] = a[i++];
		} else if (c > 0) {
			m[n++] = b[j++];
		} else {
			m[n] = a[i++];
			flow_add(&m[n++].v, &b[j++].v);
		}
	}
	*out = m;
	return n;
}

long ig_flows_read_tables(const char *pin_dir, int fd, struct ig_flow_rec **out,
			  struct ig_flow_tables *t)
{
	struct ig_flow_rec *a = NULL, *b = NULL;
	struct ig_flow_tables own;
	long na, nb;
	int ffd = -1;

	*out = NULL;
	if (!t)
		t = &own;
	t->folded = -1;
	/* with the flow cache: fold it, then add what it folded to what the
	 * datapath accounted itself (flowcache.h); no cache, or a failed fold
	 * (printed): the table alone, and what was folded before is still added */
	if (pin_dir && ig_fc_fold_pinned(pin_dir) != 0)
		ffd = ig_map_open(pin_dir, IG_MAP_FLOWS_FOLDED);
	if (ffd < 0)
		return t->table = read_table(fd, out);
	na = read_table(fd, &a);
	nb = na < 0 ? 0 : read_table(ffd, &b);
	close(ffd);
	if (na < 0 || nb < 0) {
		free(a);
		return na < 0 ? na : nb;
	}
	t->table = na;
	t->folded = nb;
	na = merge(a, na, b, nb, out);
	free(a);
	free(b);
	return na;
}

long ig_flows_read(const char *pin_dir, int fd, struct ig_flow_rec **out)
{
	return ig_flows_read_tables(pin_dir, fd, out, NULL);
}

int ig_vis_read(int fd, struct ig_vis_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct ig_vis_stats *pc;
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return -EINVAL;
	pc = calloc((size_t)ncpu, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, pc)) {
		int err = -errno;

		ig_err("reading vis_stats: %s", strerror(errno));
		free(pc);
		return err;
	}
	for (i = 0; i < ncpu; i++) {
		out->flow_inserts += pc[i].flow_inserts;
		out->flow_insert_fail += pc[i].flow_insert_fail;
		out->events_sent += pc[i].events_sent;
		out->events_suppressed += pc[i].events_suppressed;
		out->events_lost += pc[i].events_lost;
		out->flow_quota_refused += pc[i].flow_quota_refused;
		out->conn_quota_refused += pc[i].conn_quota_refused;
		out->quota_new_refused += pc[i].quota_new_refused;
		out->icmp_budget_refused += pc[i].icmp_budget_refused;
	}
	free(pc);
	return 0;
}

static uint64_t sat_sub(uint64_t inserts, long entries)
{
	return entries < 0 || inserts < (uint64_t)entries ? 0 : inserts - (uint64_t)entries;
}

uint64_t ig_flow_evictions(uint64_t table_inserts, uint64_t folded_inserts,
			   const struct ig_flow_tables *t)
{
	return sat_sub(table_inserts, t->table) +
	       (t->folded >= 0 ? sat_sub(folded_inserts, t->folded) : 0);
}

uint64_t ig_mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t ig_mono_to_wall_ms(uint64_t mono_ns)
{
	struct timespec rt, mo;
	int64_t off;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mo);
	off = ((int64_t)rt.tv_sec - (int64_t)mo.tv_sec) * 1000000000ll +
	      ((int64_t)rt.tv_nsec - (int64_t)mo.tv_nsec);
	return (uint64_t)(((int64_t)mono_ns + off) / 1000000ll);
}

const char *ig_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 6:   return "tcp";
	case 17:  return "udp";
	case 58:  return "icmpv6";
	case 132: return "sctp";
	case 136: return "udplite";
	case 50:  return "esp";
	case 47:  return "gre";
	case IG_FLOW_PROTO_AGGREGATE: return "aggregate";   /* a member's flows over its quota */
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

const char *ig_tcp_flags_str(uint8_t flags, char *buf, size_t len)
{
	static const char letters[] = "FSRPAUEC";
	size_t n = 0;
	int i;

	for (i = 0; i < 8 && n + 1 < len; i++)
		if (flags & (1u << i))
			buf[n++] = letters[i];
	buf[n] = '\0';
	return buf;
}

/* ---- tracker -------------------------------------------------------------------- */

void ig_tracker_init(struct ig_flow_tracker *t, uint64_t idle_ns)
{
	memset(t, 0, sizeof(*t));
	t->idle_ns = idle_ns;
}

void ig_tracker_free(struct ig_flow_tracker *t)
{
	free(t->seen);
	memset(t, 0, sizeof(*t));
}

static const struct ig_flow_dir *dir_of(const struct ig_flow *v, int d)
{
	return d ? &v->to_member : &v->from_member;
}

/* A flow gone from the table: its last interval (if any) is lost with it;
 * say that it ended unless we already did.  1 when r was filled. */
static int step_gone(const struct ig_flow_seen *old, struct ig_flow_delta *r)
{
	int k;

	if (old->ended)
		return 0;
	/* r may hold a record that was not emitted: start from zero */
	memset(r, 0, sizeof(*r));
	r->key = old->key;
	for (k = 0; k < 2; k++) {
		r->tot_packets[k] = old->packets[k];
		r->tot_bytes[k] = old->bytes[k];
	}
	r->first_ns = old->first_ns;
	r->last_ns = old->last_ns;
	r->end = IG_FLOW_END_EVICTED;
	return 1;
}

/* A flow in the table, seen before as old (or NULL): its delta into r and
 * what is remembered of it into s.  1 when r is a record to emit (it moved,
 * became unanswered or went idle). */
static int step_current(const struct ig_flow_tracker *t, const struct ig_flow_rec *cur,
			const struct ig_flow_seen *old, uint64_t now_ns, struct ig_flow_delta *r,
			struct ig_flow_seen *s)
{
	bool moved = false, restart = false;
	int k;

	memset(r, 0, sizeof(*r));
	s->key = cur->key;
	s->first_ns = cur->v.first_ns;
	s->last_ns = cur->v.last_ns;
	if (old) {
		/* the same key, but a new flow (the entry was evicted and made again) */
		restart = old->first_ns != cur->v.first_ns;
		for (k = 0; k < 2; k++)
			if (dir_of(&cur->v, k)->packets < old->packets[k] ||
			    dir_of(&cur->v, k)->bytes < old->bytes[k])
				restart = true;
	}
	r->key = cur->key;
	for (k = 0; k < 2; k++) {
		const struct ig_flow_dir *cd = dir_of(&cur->v, k);
		uint64_t bp = old && !restart ? old->packets[k] : 0;
		uint64_t bb = old && !restart ? old->bytes[k] : 0;

		r->packets[k] = cd->packets - bp;
		r->bytes[k] = cd->bytes - bb;
		r->tot_packets[k] = cd->packets;
		r->tot_bytes[k] = cd->bytes;
		r->tcp_flags[k] = cd->tcp_flags;
		r->icmp_type[k] = cd->icmp_type;
		s->packets[k] = cd->packets;
		s->bytes[k] = cd->bytes;
		if (r->packets[k] || r->bytes[k])
			moved = true;
	}
	r->first_ns = cur->v.first_ns;
	r->last_ns = cur->v.last_ns;
	r->last_verdict = cur->v.last_verdict;
	r->unanswered = ig_flow_unanswered(cur, IG_UNANSWERED_NS);
	r->became_unanswered = r->unanswered && !(old && !restart && old->unanswered);
	s->unanswered = r->unanswered;
	if (r->became_unanswered)
		moved = true;
	s->ended = old && !restart && !moved ? old->ended : 0;
	if (!s->ended && t->idle_ns && now_ns > cur->v.last_ns &&
	    now_ns - cur->v.last_ns >= t->idle_ns) {
		r->end = IG_FLOW_END_IDLE;
		s->ended = 1;
		return 1;
	}
	return moved;
}

long ig_tracker_step(struct ig_flow_tracker *t, const struct ig_flow_rec *cur, size_t n,
		     uint64_t now_ns, struct ig_flow_delta **out)
{
	struct ig_flow_seen *seen = NULL;
	struct ig_flow_delta *d = NULL;
	size_t i = 0, j = 0, nd = 0, ns = 0;
	int c;

	*out = NULL;
	/* every current flow plus every vanished one can make a record */
	d = calloc(n + t->n + 1, sizeof(*d));
	seen = calloc(n + 1, sizeof(*seen));
	if (!d || !seen) {
		free(d);
		free(seen);
		return -ENOMEM;
	}
	/* both sorted by key: walk them side by side */
	while (i < n || j < t->n) {
		c = i >= n ? 1 : j >= t->n ? -1 : ig_flow_key_cmp(&cur[i].key, &t->seen[j].key);
		if (c > 0) {
			nd += step_gone(&t->seen[j++], &d[nd]);
			continue;
		}
		nd += step_current(t, &cur[i], c == 0 ? &t->seen[j] : NULL, now_ns, &d[nd],
				   &seen[ns++]);
		i++;
		if (c == 0)
			j++;
	}
	free(t->seen);
	t->seen = seen;
	t->n = ns;
	t->cap = n + 1;
	if (!nd) {
		free(d);
		d = NULL;
	}
	*out = d;
	return (long)nd;
}

/* ---- state file ------------------------------------------------------------------ */

#define IG_STATE_MAGIC "isagate-flows-state-1\n"

int ig_tracker_save(const struct ig_flow_tracker *t, const char *path)
{
	struct ig_atomic a;
	FILE *f;
	int err;

	/* 0600: who talked to whom is nobody else's business */
	err = ig_atomic_open(&a, path, 0600);
	if (err) {
		ig_err("%s: %s (state not saved)", path, strerror(-err));
		return err;
	}
	f = a.f;
	if (fwrite(IG_STATE_MAGIC, 1, sizeof(IG_STATE_MAGIC) - 1, f) != sizeof(IG_STATE_MAGIC) - 1 ||
	    (t->n && fwrite(t->seen, sizeof(*t->seen), t->n, f) != t->n))
		err = errno ? -errno : -EIO;
	err = ig_atomic_commit(&a, err);
	if (err)
		ig_err("%s: %s (state not saved)", path, strerror(-err));
	return err;
}

int ig_tracker_load(struct ig_flow_tracker *t, const char *path)
{
	char magic[sizeof(IG_STATE_MAGIC) - 1];
	struct ig_flow_seen s, *tmp;
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		ig_err("%s: %s", path, strerror(errno));
		return err;
	}
	if (fread(magic, 1, sizeof(magic), f) != sizeof(magic) ||
	    memcmp(magic, IG_STATE_MAGIC, sizeof(magic))) {
		ig_err("%s: not an isagate flow state file (ignored: flows start from their "
		       "totals)", path);
		fclose(f);
		return 0;
	}
	while (fread(&s, sizeof(s), 1, f) == 1) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 256;

			tmp = realloc(t->seen, cap * sizeof(*tmp));
			if (!tmp) {
				err = -ENOMEM;
				ig_err("out of memory reading %s", path);
				break;
			}
			t->seen = tmp;
			t->cap = cap;
		}
		/* keep the order the tracker needs even for a hand-edited file */
		if (t->n && ig_flow_key_cmp(&t->seen[t->n - 1].key, &s.key) >= 0)
			continue;
		t->seen[t->n++] = s;
	}
	fclose(f);
	return err;
}

/* ---- --follow loops -------------------------------------------------------------- */

volatile sig_atomic_t ig_stop;

static void on_signal(int sig)
{
	(void)sig;
	ig_stop = 1;
}

void ig_stop_on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int ig_sleep_until(uint64_t deadline_ns)
{
	while (!ig_stop) {
		uint64_t now = ig_mono_now_ns();
		struct timespec ts;

		if (now >= deadline_ns)
			return 0;
		ts.tv_sec = (time_t)((deadline_ns - now) / 1000000000ull);
		ts.tv_nsec = (long)((deadline_ns - now) % 1000000000ull);
		nanosleep(&ts, NULL);   /* EINTR: loop and look at ig_stop */
	}
	return 1;
}

int ig_parse_seconds(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 86400.0 * 365)
		return -1;
	*ns = (uint64_t)(v * 1e9);
	return *ns ? 0 : -1;
}
