// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_top.c - `isagate top`: a live terminal view of the router (ncurses).
 *
 * Each refresh (1 s by default) reads the flow table, the counters and the
 * member maps - reads only, like `flows` - and shows the members with
 * traffic and, under each, its conversations, sorted by rate.  A member
 * whose address is no longer admitted (removed by a sync while its flows
 * are still in the table: its packets are now refused) is marked REFUSED;
 * a conversation the member keeps sending on with nothing coming back is
 * marked UNANSWERED (ig_flow_unanswered(), flows.h).  The header carries the
 * forwarding and refusal rates, so refused traffic of non-members shows too.
 *
 * The screen is redrawn with erase() + refresh(): curses sends only what
 * changed, so nothing flickers.  q, SIGINT, SIGTERM and SIGHUP end it with
 * the terminal restored (endwin on every path once initscr ran).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <bpf/bpf.h>

#include "common.h"
#include "opts.h"
#include "commands.h"
#include "flows.h"
#include "loader.h"
#include "metrics.h"

#define TOP_FILTER_LEN 64
#define TOP_NUM_COLS 70            /* the numbers and the mark, right of a conversation */

enum top_sort { SORT_RATE, SORT_BITS, SORT_TOTAL, SORT_ADDR, SORT_AGE, SORT_MAX };
static const char *const sort_name[SORT_MAX] = {
	"pkt/s", "bit/s", "packets", "address", "age",
};

struct top_conv {
	const struct ig_flow_rec *rec;
	double pps[2], bps[2];             /* [0] from the member, [1] to it */
	bool unanswered;
};

struct top_member {
	__u8 addr[4];
	size_t first, n;                   /* its conversations in conv[] */
	double pps[2], bps[2];
	uint64_t packets;                  /* totals of its flows */
	uint64_t first_ns;                 /* oldest flow */
	size_t n_unanswered;
	bool refused;                      /* no longer admitted */
};

struct top_view {
	const char *pin_dir;
	uint64_t interval_ns;
	enum top_sort sort;
	bool reverse;
	bool only_marked;                  /* u: only refused members and unanswered flows */
	bool collapsed;                    /* c: members only */
	char filter[TOP_FILTER_LEN];
	int scroll;
	/* two reads: the previous one for the rates */
	struct ig_flow_rec *prev, *cur;
	long n_prev, n_cur;
	uint64_t t_prev, t_cur;            /* monotonic ns of the reads */
	struct ig_metrics m_prev, m_cur;
	bool have_prev;
	struct top_conv *conv;
	struct top_member *mem;
	size_t n_mem;
	char status[160];                  /* last error or hint, shown at the bottom */
};

static int open_maps(const char *pin_dir, int *flows, int *hosts, int *nets)
{
	*flows = ig_map_open(pin_dir, IG_MAP_FLOWS);
	if (*flows < 0)
		return ig_exit_pins(*flows);
	*hosts = ig_map_open(pin_dir, IG_MAP_MEMBERS);
	*nets = ig_map_open(pin_dir, IG_MAP_MEMBER_NETS);
	if (*hosts < 0 || *nets < 0)
		return IG_EXIT_FAIL;
	return 0;
}

static bool admitted(int hosts, int nets, const __u8 addr[4])
{
	struct ig_v4_lpm_key lk = { .prefixlen = 32 };
	struct ig_v4_key hk;
	struct ig_member v;

	memcpy(hk.addr, addr, 4);
	memcpy(lk.addr, addr, 4);
	return !bpf_map_lookup_elem(hosts, &hk, &v) || !bpf_map_lookup_elem(nets, &lk, &v);
}

static const struct ig_flow_rec *find_prev(const struct top_view *tv, const struct ig_flow_rec *r)
{
	long lo = 0, hi = tv->n_prev - 1;

	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		int c = ig_flow_key_cmp(&tv->prev[mid].key, &r->key);

		if (!c)
			return tv->prev[mid].v.first_ns == r->v.first_ns ? &tv->prev[mid] : NULL;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static double rate_of(uint64_t now, uint64_t before, double secs)
{
	return now >= before && secs > 0 ? (double)(now - before) / secs : 0;
}

static void fmt_flow(const struct ig_flow_rec *r, char *buf, size_t len)
{
	char ma[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN], pbuf[16];
	const char *proto = ig_proto_name(r->key.proto, pbuf, sizeof(pbuf));

	ig_fmt_v6(r->key.member_addr, ma, sizeof(ma));
	ig_fmt_v6(r->key.remote_addr, ra, sizeof(ra));
	if (r->key.proto == 6 || r->key.proto == 17)
		snprintf(buf, len, "%s [%s]:%u > [%s]:%u", proto, ma, r->key.member_port, ra,
			 r->key.remote_port);
	else if (r->key.proto == 58 && IG_FLOW_IS_ECHO(r->key.remote_port))
		snprintf(buf, len, "%s %s %s %s", proto, ma,
			 r->key.remote_port == IG_FLOW_ICMP_ECHO_PORT ? ">" : "<", ra);
	else
		snprintf(buf, len, "%s %s > %s", proto, ma, ra);
}

static bool matches(const struct top_view *tv, const char *text)
{
	return !tv->filter[0] || strstr(text, tv->filter);
}

static struct top_view *sort_ctx;

static int cmp_keys(double ra, double rb, uint64_t ta, uint64_t tb, const __u8 *aa,
		    const __u8 *ab, size_t alen, uint64_t fa, uint64_t fb)
{
	int c = 0;

	switch (sort_ctx->sort) {
	case SORT_RATE:
	case SORT_BITS:
		c = ra < rb ? 1 : ra > rb ? -1 : 0;         /* fastest first */
		break;
	case SORT_TOTAL:
		c = ta < tb ? 1 : ta > tb ? -1 : 0;
		break;
	case SORT_AGE:
		c = fa < fb ? -1 : fa > fb ? 1 : 0;         /* oldest first */
		break;
	case SORT_ADDR:
	case SORT_MAX:
		break;
	}
	if (!c)
		c = memcmp(aa, ab, alen);
	return sort_ctx->reverse ? -c : c;
}

static int cmp_member(const void *pa, const void *pb)
{
	const struct top_member *a = pa, *b = pb;
	bool bits = sort_ctx->sort == SORT_BITS;

	return cmp_keys(bits ? a->bps[0] + a->bps[1] : a->pps[0] + a->pps[1],
			bits ? b->bps[0] + b->bps[1] : b->pps[0] + b->pps[1],
			a->packets, b->packets, a->addr, b->addr, 4, a->first_ns, b->first_ns);
}

static int cmp_conv(const void *pa, const void *pb)
{
	const struct top_conv *a = pa, *b = pb;
	bool bits = sort_ctx->sort == SORT_BITS;
	int c = memcmp(a->rec->key.member, b->rec->key.member, 4);

	if (c)                                  /* grouped by member first */
		return c;
	return cmp_keys(bits ? a->bps[0] + a->bps[1] : a->pps[0] + a->pps[1],
			bits ? b->bps[0] + b->bps[1] : b->pps[0] + b->pps[1],
			a->rec->v.from_member.packets + a->rec->v.to_member.packets,
			b->rec->v.from_member.packets + b->rec->v.to_member.packets,
			(const __u8 *)&a->rec->key, (const __u8 *)&b->rec->key,
			sizeof(a->rec->key), a->rec->v.first_ns, b->rec->v.first_ns);
}

/* The last read becomes the previous one, recs (n flows) and m the current. */
static void top_shift(struct top_view *tv, struct ig_flow_rec *recs, long n,
		      const struct ig_metrics *m)
{
	tv->m_prev = tv->m_cur;
	tv->m_cur = *m;
	free(tv->prev);
	tv->prev = tv->cur;
	tv->n_prev = tv->n_cur;
	tv->t_prev = tv->t_cur;
	tv->cur = recs;
	tv->n_cur = n;
	tv->t_cur = ig_mono_now_ns();
}

/* The rates of conversation c over the secs since the previous read, where
 * p is its flow in that read (NULL: not there). */
static void conv_rates(const struct top_view *tv, struct top_conv *c, const struct ig_flow_rec *p,
		       double secs)
{
	const struct ig_flow_rec *r = c->rec;
	/* a flow new since the last read: all of it came in this interval */
	bool is_new = !p && tv->have_prev && r->v.first_ns >= tv->t_prev;
	double s = p || is_new ? secs : 0;

	c->pps[0] = rate_of(r->v.from_member.packets, p ? p->v.from_member.packets : 0, s);
	c->pps[1] = rate_of(r->v.to_member.packets, p ? p->v.to_member.packets : 0, s);
	c->bps[0] = 8 * rate_of(r->v.from_member.bytes, p ? p->v.from_member.bytes : 0, s);
	c->bps[1] = 8 * rate_of(r->v.to_member.bytes, p ? p->v.to_member.bytes : 0, s);
}

/* The members of the conversations (sorted, so grouped by member): each
 * with its range in conv[], its totals and whether it is still admitted. */
static void group_members(struct top_view *tv, int hosts, int nets)
{
	size_t k;

	tv->n_mem = 0;
	for (k = 0; k < (size_t)tv->n_cur; k++) {
		const struct top_conv *c = &tv->conv[k];
		struct top_member *m = tv->n_mem ? &tv->mem[tv->n_mem - 1] : NULL;

		if (!m || memcmp(m->addr, c->rec->key.member, 4)) {
			m = &tv->mem[tv->n_mem++];
			memcpy(m->addr, c->rec->key.member, 4);
			m->first = k;
			m->first_ns = c->rec->v.first_ns;
			m->refused = !admitted(hosts, nets, m->addr);
		}
		m->n++;
		m->pps[0] += c->pps[0];
		m->pps[1] += c->pps[1];
		m->bps[0] += c->bps[0];
		m->bps[1] += c->bps[1];
		m->packets += c->rec->v.from_member.packets + c->rec->v.to_member.packets;
		if (c->rec->v.first_ns < m->first_ns)
			m->first_ns = c->rec->v.first_ns;
		m->n_unanswered += c->unanswered;
	}
}

/* One read of everything: flows, counters, member admission.  0 or an exit code. */
static int top_read(struct top_view *tv, int ffd, int hosts, int nets)
{
	struct ig_flow_rec *recs = NULL;
	struct ig_metrics m;
	double secs;
	long n, i;
	int rc;

	rc = ig_metrics_read(tv->pin_dir, &m);
	if (rc)
		return ig_exit_code(rc);
	n = ig_flows_read(tv->pin_dir, ffd, &recs);
	if (n < 0)
		return IG_EXIT_FAIL;
	/* the header's rates are differences between two good reads */
	top_shift(tv, recs, n, &m);
	secs = tv->have_prev ? (double)(tv->t_cur - tv->t_prev) / 1e9 : 0;

	free(tv->conv);
	free(tv->mem);
	tv->n_mem = 0;
	tv->conv = calloc((size_t)n + 1, sizeof(*tv->conv));
	tv->mem = calloc((size_t)n + 1, sizeof(*tv->mem));
	if (!tv->conv || !tv->mem) {
		free(tv->conv);
		free(tv->mem);
		tv->conv = NULL;
		tv->mem = NULL;
		return IG_EXIT_FAIL;
	}
	for (i = 0; i < n; i++) {
		tv->conv[i].rec = &recs[i];
		tv->conv[i].unanswered = ig_flow_unanswered(&recs[i], IG_UNANSWERED_NS);
		conv_rates(tv, &tv->conv[i], tv->have_prev ? find_prev(tv, &recs[i]) : NULL, secs);
	}
	sort_ctx = tv;
	qsort(tv->conv, (size_t)n, sizeof(*tv->conv), cmp_conv); /* grouped by member */
	group_members(tv, hosts, nets);
	qsort(tv->mem, tv->n_mem, sizeof(*tv->mem), cmp_member);
	return 0;
}

/* Another order without another read: conversations stay grouped by member
 * (cmp_conv compares the member first), so each member's range holds. */
static void top_resort(struct top_view *tv)
{
	if (!tv->conv || !tv->mem)          /* the last read ran out of memory */
		return;
	sort_ctx = tv;
	qsort(tv->conv, (size_t)tv->n_cur, sizeof(*tv->conv), cmp_conv);
	qsort(tv->mem, tv->n_mem, sizeof(*tv->mem), cmp_member);
}

static void human(double v, char *buf, size_t len)
{
	static const char *const unit[] = { "", "k", "M", "G", "T" };
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.1f%s" : "%.1f", v, unit[u]);
}

static double reason_rate(const struct top_view *tv, const int *reasons)
{
	uint64_t a = 0, b = 0;
	double secs = (double)(tv->t_cur - tv->t_prev) / 1e9;

	if (!tv->have_prev || secs <= 0)
		return 0;
	for (; *reasons >= 0; reasons++) {
		a += tv->m_prev.counters[*reasons].packets;
		b += tv->m_cur.counters[*reasons].packets;
	}
	return rate_of(b, a, secs);
}

/* Where draw() writes: the body's first row and height, the conversation
 * column's width, and the body lines so far (scrolled-off ones too). */
struct top_draw {
	int y, body, w, line;
};

/* The four rate columns of a row. */
struct row_rates {
	char pps[2][32], bps[2][32];
};

static void row_rates(const double pps[2], const double bps[2], struct row_rates *t)
{
	human(pps[0], t->pps[0], sizeof(t->pps[0]));
	human(pps[1], t->pps[1], sizeof(t->pps[1]));
	human(bps[0], t->bps[0], sizeof(t->bps[0]));
	human(bps[1], t->bps[1], sizeof(t->bps[1]));
}

/* The header: title, rate lines and the column heads.  Its height. */
static int draw_header(const struct top_view *tv, int w)
{
	static const int decap[] = { IG_FWD_DECAP, IG_KERNEL_DECAP_NEIGH, IG_KERNEL_DECAP_DEV, -1 };
	static const int encap[] = { IG_FWD_ENCAP, -1 };
	static const int not_member[] = { IG_DROP_NOT_MEMBER, IG_DROP_ENC_NOT_MEMBER, -1 };
	static const int spoof[] = { IG_DROP_SPOOF, IG_DROP_SRC_ROUTER, IG_DROP_ENC_SPOOF, -1 };
	static const int policy[] = { IG_DROP_POLICY, IG_DROP_POLICY_STATE, IG_POLICY_REJECT, -1 };
	static const int no_neigh[] = { IG_DROP_ENC_NO_NEIGH, -1 };
	char a[32], b[32], c[32], text[320], ts[16];
	size_t k, n_refused = 0, n_unans = 0;
	time_t now = time(NULL);
	struct tm tm;
	int y = 0;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	for (k = 0; k < tv->n_mem; k++) {
		n_refused += tv->mem[k].refused;
		n_unans += tv->mem[k].n_unanswered;
	}
	attron(A_BOLD);
	mvprintw(y++, 0, "isagate top  %s  %s  members %ld  flows %ld  sort %s%s%s%s%s", ts,
		 tv->pin_dir, tv->m_cur.members, tv->n_cur, sort_name[tv->sort],
		 tv->reverse ? " (reversed)" : "", tv->filter[0] ? "  filter '" : "", tv->filter,
		 tv->filter[0] ? "'" : "");
	attroff(A_BOLD);
	human(reason_rate(tv, decap), a, sizeof(a));
	human(reason_rate(tv, encap), b, sizeof(b));
	human(reason_rate(tv, no_neigh), c, sizeof(c));
	mvprintw(y++, 0, "forwarded pkt/s: from members %s  to members %s   no neighbour %s", a, b, c);
	human(reason_rate(tv, not_member), a, sizeof(a));
	human(reason_rate(tv, spoof), b, sizeof(b));
	human(reason_rate(tv, policy), c, sizeof(c));
	mvprintw(y++, 0,
		 "refused pkt/s: not member %s  spoofed %s  policy %s   members refused %zu  "
		 "unanswered %zu",
		 a, b, c, n_refused, n_unans);
	attron(A_REVERSE);
	snprintf(text, sizeof(text), "%-*s %9s %9s %11s %10s %10s  %s", w + 2,
		 "MEMBER / CONVERSATION", "PKT/S OUT", "PKT/S IN", "BIT/S OUT", "BIT/S IN",
		 "PACKETS", "MARK");
	mvprintw(y++, 0, "%-*.*s", COLS, COLS, text);
	attroff(A_REVERSE);
	return y;
}

/* Whether member m (its address addr) passes the marked-only switch and
 * the filter, on its address or on any of its conversations. */
static bool member_shown(const struct top_view *tv, const struct top_member *m, const char *addr)
{
	char text[320];
	size_t j;

	if (tv->only_marked && !m->refused && !m->n_unanswered)
		return false;
	for (j = 0; j < m->n; j++) {
		fmt_flow(tv->conv[m->first + j].rec, text, sizeof(text));
		if (matches(tv, text))
			return true;
	}
	return matches(tv, addr);
}

/* The next body line: its screen row when scrolled into view, else -1. */
static int next_row(const struct top_view *tv, struct top_draw *d)
{
	int line = d->line++;

	return line >= tv->scroll && line - tv->scroll < d->body ? d->y + line - tv->scroll : -1;
}

static void draw_member(const struct top_view *tv, struct top_draw *d, const struct top_member *m,
			const char *addr)
{
	int row = next_row(tv, d);
	struct row_rates t;
	char text[64];

	if (row < 0)
		return;
	row_rates(m->pps, m->bps, &t);
	if (m->refused)
		attron(A_BOLD);
	snprintf(text, sizeof(text), "%-15s %3zu conversation%s", addr, m->n, m->n == 1 ? "" : "s");
	mvprintw(row, 0, "%-*s %9s %9s %11s %10s %10" PRIu64 "  %s%s", d->w + 2, text, t.pps[0],
		 t.pps[1], t.bps[0], t.bps[1], m->packets,
		 m->refused ? "REFUSED (not a member now)" : "",
		 m->n_unanswered ? "unanswered" : "");
	if (m->refused)
		attroff(A_BOLD);
}

/* The conversations of member m under its line, unless collapsed. */
static void draw_convs(const struct top_view *tv, struct top_draw *d, const struct top_member *m,
		       const char *addr)
{
	struct row_rates t;
	char text[320];
	size_t j;
	int row;

	for (j = 0; !tv->collapsed && j < m->n; j++) {
		const struct top_conv *cv = &tv->conv[m->first + j];

		fmt_flow(cv->rec, text, sizeof(text));
		if (tv->only_marked && !cv->unanswered && !m->refused)
			continue;
		if (!matches(tv, text) && !matches(tv, addr))
			continue;
		row = next_row(tv, d);
		if (row < 0)
			continue;
		row_rates(cv->pps, cv->bps, &t);
		mvprintw(row, 0, "  %-*.*s %9s %9s %11s %10s %10" PRIu64 "  %s", d->w, d->w, text,
			 t.pps[0], t.pps[1], t.bps[0], t.bps[1],
			 (uint64_t)(cv->rec->v.from_member.packets + cv->rec->v.to_member.packets),
			 cv->unanswered ? "UNANSWERED" : "");
	}
}

static void draw(struct top_view *tv)
{
	char addr[INET_ADDRSTRLEN];
	struct top_draw d = { 0 };
	size_t k;

	erase();
	/* the conversation column takes what the numbers leave */
	d.w = COLS - TOP_NUM_COLS > 24 ? COLS - TOP_NUM_COLS : 24;
	d.y = draw_header(tv, d.w);
	d.body = LINES - d.y - 1;
	if (tv->scroll < 0)
		tv->scroll = 0;
	for (k = 0; k < tv->n_mem; k++) {
		const struct top_member *m = &tv->mem[k];

		ig_fmt_v4(m->addr, addr, sizeof(addr));
		if (!member_shown(tv, m, addr))
			continue;
		draw_member(tv, &d, m, addr);
		draw_convs(tv, &d, m, addr);
	}
	if (!d.line)
		mvprintw(d.y, 0, "  (%s)",
			 tv->n_cur ? "nothing matches the filter"
				   : "no conversation in the flow table");
	if (tv->scroll > d.line - 1)
		tv->scroll = d.line > 0 ? d.line - 1 : 0;
	attron(A_REVERSE);
	mvprintw(LINES - 1, 0, "%-*.*s", COLS, COLS,
		 tv->status[0] ? tv->status
			       : "q quit  s sort  r reverse  / filter  u marked only  c collapse  "
				 "arrows/PgUp/PgDn scroll");
	attroff(A_REVERSE);
	refresh();
}

/* The filter prompt on the last line; Enter keeps, Esc cancels. */
static void read_filter(struct top_view *tv)
{
	char buf[TOP_FILTER_LEN] = "";
	size_t n = 0;
	int ch;

	timeout(-1);
	curs_set(1);
	for (;;) {
		move(LINES - 1, 0);
		clrtoeol();
		attron(A_REVERSE);
		mvprintw(LINES - 1, 0, "filter (member or address, Enter: apply, Esc: cancel): %s", buf);
		attroff(A_REVERSE);
		refresh();
		ch = getch();
		if (ig_stop)
			break;
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			snprintf(tv->filter, sizeof(tv->filter), "%s", buf);
			tv->scroll = 0;
			break;
		}
		if (ch == 27)
			break;
		if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && n) {
			buf[--n] = '\0';
			continue;
		}
		if (ch >= 0 && ch < 256 && isprint(ch) && n + 1 < sizeof(buf)) {
			buf[n++] = (char)ch;
			buf[n] = '\0';
		}
	}
	curs_set(0);
	timeout(100);
}

/* clang-format off */
static void usage(FILE *f)
{
	fprintf(f,
"usage: isagate top [--interval S] [--pin-dir DIR]\n"
"\n"
"A live view of the router in the terminal: the members with traffic and\n"
"their conversations, sorted by rate, refreshed every interval.  A member no\n"
"longer admitted while its flows are in the table is marked REFUSED; a\n"
"conversation the member has sent on for 3 s or more with nothing back is\n"
"marked UNANSWERED.  The header shows the forwarding and refusal rates.\n"
"\n"
"Keys: q quit; s next sort (pkt/s, bit/s, packets, address, age); r reverse;\n"
"/ filter by member or address text (Enter applies, empty clears, Esc\n"
"cancels); u only refused members and unanswered conversations; c members\n"
"only; arrows, PgUp, PgDn scroll.  SIGINT (Ctrl-C) quits too.\n"
"\n"
"  -i, --interval S  refresh interval (default 1 s; fractions allowed)\n"
"\n"
"Exit codes: 0 ok, 1 failed, 2 bad usage or not a terminal, 4 nothing attached\n"
"under DIR.\n");
}
/* clang-format on */

/* 0 to go on, -1 when done (--help), or an exit code. */
static int top_parse(int argc, char **argv, struct top_view *tv)
{
	static const struct option options[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct ig_cmd cmd = { "top", "i:", options, usage, false };
	struct ig_getopt g;
	int opt;

	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((opt = ig_getopt(&g)) > 0) {
		if (opt == 'i' && ig_parse_seconds(optarg, &tv->interval_ns)) {
			ig_err("--interval %s: expected a positive number of seconds", optarg);
			return IG_EXIT_USAGE;
		}
	}
	if (opt < 0)
		return g.rc ? g.rc : -1;
	if (ig_getopt_done(&g))
		return IG_EXIT_USAGE;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		ig_err("top: needs a terminal (for scripts: 'isagate flows -j', 'isagate stats -j')");
		return IG_EXIT_USAGE;
	}
	return 0;
}

/* The screen up: 0, or IG_EXIT_FAIL when curses cannot start.  *saved_err
 * is where stderr went (-1: not moved). */
static int screen_open(int *saved_err)
{
	int null;

	/* Our handlers first: curses then leaves SIGINT/SIGTERM to us, and a
	 * signal only sets ig_stop, so the loop ends and endwin() runs. */
	ig_stop_on_signals();
	if (!initscr()) {
		ig_err("top: cannot initialise the terminal (TERM=%s)",
		       getenv("TERM") ? getenv("TERM") : "");
		return IG_EXIT_FAIL;
	}
	/* Library messages (a map that went away) would scribble over the
	 * screen: they go to /dev/null while it is up, the status line says
	 * what failed, and the reason is printed after endwin. */
	*saved_err = dup(STDERR_FILENO);
	if (*saved_err >= 0) {
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDERR_FILENO);
			close(null);
		}
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	timeout(100);
	return 0;
}

/* One key pressed. */
static void top_key(struct top_view *tv, int ch)
{
	switch (ch) {
	case 'q':
	case 'Q': ig_stop = 1; break;
	case 's':
		tv->sort = (tv->sort + 1) % SORT_MAX;
		top_resort(tv);
		break;
	case 'r':
		tv->reverse = !tv->reverse;
		top_resort(tv);
		break;
	case 'u':
		tv->only_marked = !tv->only_marked;
		tv->scroll = 0;
		break;
	case 'c':
		tv->collapsed = !tv->collapsed;
		tv->scroll = 0;
		break;
	case '/': read_filter(tv); break;
	case KEY_UP: tv->scroll--; break;
	case KEY_DOWN: tv->scroll++; break;
	case KEY_PPAGE: tv->scroll -= LINES - 5; break;
	case KEY_NPAGE: tv->scroll += LINES - 5; break;
	case KEY_HOME: tv->scroll = 0; break;
	default: /* KEY_RESIZE and the rest: a redraw */ break;
	}
}

/* A read every interval, a redraw after each read and key, until q or a
 * signal: 0, or IG_EXIT_NOT_ATTACHED when isagate went away. */
static int top_loop(struct top_view *tv, int ffd, int hosts, int nets)
{
	uint64_t now, next = ig_mono_now_ns() + tv->interval_ns;
	bool dirty = true;
	int rc, ch;

	while (!ig_stop) {
		now = ig_mono_now_ns();
		if (now >= next) {
			rc = top_read(tv, ffd, hosts, nets);
			if (rc == IG_EXIT_NOT_ATTACHED)
				return rc;
			snprintf(tv->status, sizeof(tv->status), "%s",
				 rc ? "reading the maps failed: retrying (q quits)" : "");
			next = now + tv->interval_ns;
			dirty = true;
		}
		if (dirty) {
			draw(tv);
			dirty = false;
		}
		ch = getch();
		if (ch == ERR)
			continue;
		dirty = true;
		top_key(tv, ch);
	}
	return 0;
}

int cmd_top(int argc, char **argv)
{
	struct top_view tv = { .interval_ns = 1000000000ull };
	int ffd = -1, hosts = -1, nets = -1, saved_err = -1, rc;
	bool screen = false;

	rc = top_parse(argc, argv, &tv);
	if (rc)
		return rc < 0 ? IG_EXIT_OK : rc;
	tv.pin_dir = ig_pin_dir(ig_globals.pin_dir);
	rc = ig_exit_code(ig_pin_dir_prepare(tv.pin_dir, false));
	if (rc)
		return rc;
	rc = open_maps(tv.pin_dir, &ffd, &hosts, &nets);
	if (rc)
		goto cleanup;
	rc = top_read(&tv, ffd, hosts, nets); /* the first read, before the screen */
	if (rc)
		goto cleanup;
	tv.have_prev = true;
	rc = screen_open(&saved_err);
	if (rc)
		goto cleanup;
	screen = true;
	rc = top_loop(&tv, ffd, hosts, nets);
cleanup:
	if (screen)
		endwin();
	if (saved_err >= 0) {
		dup2(saved_err, STDERR_FILENO);
		close(saved_err);
	}
	if (rc == IG_EXIT_NOT_ATTACHED && screen)
		ig_err("top: %s: isagate was detached", tv.pin_dir);
	if (ffd >= 0)
		close(ffd);
	if (hosts >= 0)
		close(hosts);
	if (nets >= 0)
		close(nets);
	free(tv.prev);
	free(tv.cur);
	free(tv.conv);
	free(tv.mem);
	return rc;
}
