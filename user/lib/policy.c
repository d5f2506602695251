// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * policy.c - the manage-out policy: parsing the policy file (policy.h has
 * the grammar), its canonical text, and loading it into the pinned maps by
 * writing the inactive bank and flipping policy_state.active.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "config.h"
#include "loader.h"
#include "policy.h"

#define MAX_TOKENS   16
#define MAX_LINE     1024
#define MAX_POLICY   (1u << 20)   /* bytes */

static const __u32 default_timeouts[IG_CT_T_MAX] = {
	[IG_CT_T_TCP_SYN]    = 30,
	[IG_CT_T_TCP_EST]    = 3600,
	[IG_CT_T_TCP_CLOSE]  = 10,
	[IG_CT_T_UDP]        = 30,
	[IG_CT_T_UDP_STREAM] = 180,
	[IG_CT_T_ICMP]       = 30,
	[IG_CT_T_OTHER]      = 600,
	[IG_CT_T_ANCHOR]     = 120,
};

static const char *const timeout_names[IG_CT_T_MAX] = {
	[IG_CT_T_TCP_SYN]    = "tcp-syn",
	[IG_CT_T_TCP_EST]    = "tcp-established",
	[IG_CT_T_TCP_CLOSE]  = "tcp-close",
	[IG_CT_T_UDP]        = "udp",
	[IG_CT_T_UDP_STREAM] = "udp-stream",
	[IG_CT_T_ICMP]       = "icmp",
	[IG_CT_T_OTHER]      = "other",
	[IG_CT_T_ANCHOR]     = "rpc-anchor",
};

#define TIMEOUT_MAX_S 2592000u    /* 30 days */

static const struct {
	const char *name;
	__u8 proto;
} protos[] = {
	{ "any", 0 }, { "tcp", 6 }, { "udp", 17 }, { "icmpv6", 58 }, { "ipv6-icmp", 58 },
	{ "sctp", 132 }, { "udplite", 136 },
};

static const struct {
	const char *name;
	__u8 type;
} icmp_types[] = {
	{ "destination-unreachable", 1 }, { "packet-too-big", 2 }, { "time-exceeded", 3 },
	{ "parameter-problem", 4 }, { "echo-request", 128 }, { "echo-reply", 129 },
};

void ig_policy_init(struct ig_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->default_action = IG_PA_DROP;
	memcpy(p->timeout_s, default_timeouts, sizeof(p->timeout_s));
}

const char *ig_policy_action_name(unsigned int action)
{
	switch (action) {
	case IG_PA_ALLOW:  return "allow";
	case IG_PA_DROP:   return "drop";
	case IG_PA_REJECT: return "reject";
	}
	return "?";
}

const char *ig_ct_timeout_name(unsigned int cls)
{
	return cls < IG_CT_T_MAX ? timeout_names[cls] : "?";
}

const char *ig_ct_state_name(unsigned int state)
{
	switch (state) {
	case IG_CT_SYN_SENT:    return "syn-sent";
	case IG_CT_ESTABLISHED: return "established";
	case IG_CT_CLOSING:     return "closing";
	case IG_CT_NEW:         return "new";
	}
	return "?";
}

static bool proto_has_ports(__u8 proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

static const char *proto_name(__u8 proto, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

bool ig_rule_equal(const struct ig_rule *a, const struct ig_rule *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Unsigned decimal in [lo, hi]. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out < lo || *out > hi)
		return -1;
	return 0;
}

static int parse_proto(const char *s, __u8 *proto)
{
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (!strcasecmp(s, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	}
	if (parse_uint(s, 1, 255, &v))
		return -1;
	*proto = (__u8)v;
	return 0;
}

/* One element of a port/type list: N, N-M or a type name. */
static int parse_range(const char *s, __u8 proto, __u16 *lo, __u16 *hi, char *err, size_t errlen)
{
	unsigned long a, b, max = proto == IPPROTO_ICMPV6 ? 255 : 65535;
	char tmp[64];
	char *dash;
	size_t i;

	if (proto == IPPROTO_ICMPV6) {
		for (i = 0; i < sizeof(icmp_types) / sizeof(icmp_types[0]); i++) {
			if (!strcasecmp(s, icmp_types[i].name)) {
				*lo = *hi = icmp_types[i].type;
				return 0;
			}
		}
	}
	if (strlen(s) >= sizeof(tmp))
		goto bad;
	snprintf(tmp, sizeof(tmp), "%s", s);
	dash = strchr(tmp, '-');
	if (dash)
		*dash++ = '\0';
	if (parse_uint(tmp, proto == IPPROTO_ICMPV6 ? 0 : 1, max, &a))
		goto bad;
	b = a;
	if (dash && parse_uint(dash, a, max, &b))
		goto bad;
	*lo = (__u16)a;
	*hi = (__u16)b;
	return 0;
bad:
	if (proto == IPPROTO_ICMPV6)
		snprintf(err, errlen, "'%s' is not an ICMPv6 type, a range N-M (0-255) or a name "
			 "(echo-request, packet-too-big, ...)", s);
	else
		snprintf(err, errlen, "'%s' is not a port or a range N-M (1-65535, low first)", s);
	return -1;
}

static int parse_member_net(const char *s, struct ig_rule *r, char *err, size_t errlen)
{
	char tmp[32];
	char *slash;
	unsigned long plen = 32;
	struct in_addr a;
	__u32 h, mask;

	if (strlen(s) >= sizeof(tmp))
		goto bad;
	snprintf(tmp, sizeof(tmp), "%s", s);
	slash = strchr(tmp, '/');
	if (slash) {
		*slash++ = '\0';
		if (parse_uint(slash, 1, 32, &plen))
			goto bad;
	}
	if (inet_pton(AF_INET, tmp, &a) != 1)
		goto bad;
	h = ntohl(a.s_addr);
	mask = plen >= 32 ? 0xffffffffu : ~(0xffffffffu >> plen);
	if (h & ~mask) {
		snprintf(err, errlen, "member prefix '%s' has host bits set", s);
		return -1;
	}
	memcpy(r->member_net, &a.s_addr, 4);
	r->member_plen = (__u8)plen;
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not an IPv4 member prefix (a.b.c.d/N or a.b.c.d)", s);
	return -1;
}

static int parse_after(const char *s, struct ig_rule *r, char *err, size_t errlen)
{
	char tmp[32];
	char *slash;
	unsigned long port;
	__u8 proto;

	if (strlen(s) >= sizeof(tmp))
		goto bad;
	snprintf(tmp, sizeof(tmp), "%s", s);
	slash = strchr(tmp, '/');
	if (!slash)
		goto bad;
	*slash++ = '\0';
	if (parse_proto(tmp, &proto) || !proto_has_ports(proto) || parse_uint(slash, 1, 65535, &port))
		goto bad;
	r->after_proto = proto;
	r->after_port = (__u16)port;
	r->flags |= IG_RULE_F_AFTER;
	return 0;
bad:
	snprintf(err, errlen, "after '%s': expected PROTO/PORT, e.g. tcp/135", s);
	return -1;
}

static int parse_name(const char *s, struct ig_rule *r, char *err, size_t errlen)
{
	size_t i, n = strlen(s);

	if (!n || n >= sizeof(r->name)) {
		snprintf(err, errlen, "name '%s': 1 to %zu characters", s, sizeof(r->name) - 1);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i])) {
			snprintf(err, errlen, "name '%s': only letters, digits, '.', '_' and '-'", s);
			return -1;
		}
	}
	memcpy(r->name, s, n + 1);
	return 0;
}

/* remote P: an IPv6 prefix. */
static int parse_remote_net(const char *s, struct ig_rule *r, char *err, size_t errlen)
{
	struct in6_addr a;
	__u8 plen;
	int rc;

	rc = ig_parse_prefix6(s, &a, &plen, err, errlen);
	memcpy(r->remote_net, &a, 16);
	r->remote_plen = plen;
	return rc;
}

/* The keywords after PORTS, each followed by its value. */
static const struct rule_opt {
	const char *kw;
	int (*parse)(const char *s, struct ig_rule *r, char *err, size_t errlen);
} rule_opts[] = {
	{ "member", parse_member_net },
	{ "remote", parse_remote_net },
	{ "after", parse_after },
	{ "name", parse_name },
};

/* The index of keyword kw in rule_opts[], -1 when it is none. */
static int rule_opt(const char *kw)
{
	unsigned int k;

	for (k = 0; k < sizeof(rule_opts) / sizeof(rule_opts[0]); k++)
		if (!strcmp(kw, rule_opts[k].kw))
			return (int)k;
	return -1;
}

/* ACTION DIR PROTO, the words every rule starts with. */
static int parse_head(char **tok, int nt, struct ig_rule *r, char *err, size_t errlen)
{
	r->action = !strcmp(tok[0], "allow")  ? IG_PA_ALLOW
		    : !strcmp(tok[0], "drop") ? IG_PA_DROP
					      : IG_PA_REJECT;
	if (nt < 3) {
		snprintf(err, errlen, "'%s' needs a direction (out|in) and a protocol", tok[0]);
		return -1;
	}
	if (!strcmp(tok[1], "out")) {
		r->dir = IG_PD_OUT;
	} else if (!strcmp(tok[1], "in")) {
		r->dir = IG_PD_IN;
	} else {
		snprintf(err, errlen, "direction '%s': expected out (a member opens) or in (a remote "
			 "host opens)", tok[1]);
		return -1;
	}
	if (parse_proto(tok[2], &r->proto)) {
		snprintf(err, errlen, "protocol '%s': expected tcp, udp, udplite, sctp, icmpv6, any "
			 "or a number 1-255", tok[2]);
		return -1;
	}
	return 0;
}

/* [member P] [remote P] [after P/N] [name L] in the nt words at tok, each
 * keyword at most once. */
static int parse_options(char **tok, int nt, struct ig_rule *r, char *err, size_t errlen)
{
	unsigned int seen = 0;
	int i, k;

	for (i = 0; i < nt; i += 2) {
		k = rule_opt(tok[i]);
		if (k < 0) {
			snprintf(err, errlen,
				 "unexpected '%s' (expected member, remote, after or name)",
				 tok[i]);
			return -1;
		}
		if (seen & (1u << k)) {
			snprintf(err, errlen, "'%s' given twice", tok[i]);
			return -1;
		}
		seen |= 1u << k;
		if (i + 1 >= nt) {
			snprintf(err, errlen, "'%s' needs a value", tok[i]);
			return -1;
		}
		if (rule_opts[k].parse(tok[i + 1], r, err, errlen))
			return -1;
	}
	return 0;
}

/* r with PORTS (NULL: any) into p, one rule per element of a list. */
static int add_rules(struct ig_policy *p, struct ig_rule *r, const char *ports, unsigned int line,
		     char *err, size_t errlen)
{
	char list[MAX_LINE], *el, *save = NULL;
	char pbuf[8];

	if (!ports || !strcmp(ports, "any")) {
		r->port_lo = 0;
		r->port_hi = 0xffff;
		ports = "any";
	} else if (!proto_has_ports(r->proto) && r->proto != IPPROTO_ICMPV6) {
		snprintf(err, errlen, "protocol %s has no ports ('%s')",
			 proto_name(r->proto, pbuf, sizeof(pbuf)), ports);
		return -1;
	}
	/* a list becomes one rule per element */
	if (strchr(ports, ',') && (strstr(ports, "any") || ports[0] == ',' ||
				   ports[strlen(ports) - 1] == ',' || strstr(ports, ",,"))) {
		snprintf(err, errlen, "port list '%s': elements are N or N-M, separated by single "
			 "commas ('any' stands alone)", ports);
		return -1;
	}
	snprintf(list, sizeof(list), "%s", ports);
	for (el = strtok_r(list, ",", &save); el; el = strtok_r(NULL, ",", &save)) {
		if (strcmp(el, "any") &&
		    parse_range(el, r->proto, &r->port_lo, &r->port_hi, err, errlen))
			return -1;
		if (p->n >= IG_POLICY_MAX_RULES) {
			snprintf(err, errlen, "too many rules (at most %d, a port list counts one per "
				 "element)", IG_POLICY_MAX_RULES);
			return -1;
		}
		p->line[p->n] = line;
		p->rules[p->n++] = *r;
	}
	return 0;
}

/* ACTION DIR PROTO [PORTS] [member P] [remote P] [after P/N] [name L] */
static int parse_rule(char **tok, int nt, unsigned int line, struct ig_policy *p, char *err,
		      size_t errlen)
{
	struct ig_rule r = { 0 };
	const char *ports = NULL;
	int i = 3;

	if (parse_head(tok, nt, &r, err, errlen))
		return -1;
	if (i < nt && rule_opt(tok[i]) < 0)
		ports = tok[i++];
	if (parse_options(tok + i, nt - i, &r, err, errlen))
		return -1;
	if ((r.flags & IG_RULE_F_AFTER) && r.action != IG_PA_ALLOW) {
		snprintf(err, errlen, "'after' only makes sense on an allow rule");
		return -1;
	}
	return add_rules(p, &r, ports, line, err, errlen);
}

/* Every allow rule an "after" refers to becomes an anchor. */
static int mark_anchors(struct ig_policy *p, const char *fname, char *err, size_t errlen)
{
	unsigned int i, j;

	for (i = 0; i < p->n; i++) {
		const struct ig_rule *a = &p->rules[i];
		bool found = false;

		if (!(a->flags & IG_RULE_F_AFTER))
			continue;
		for (j = 0; j < p->n; j++) {
			struct ig_rule *b = &p->rules[j];

			if (b->action == IG_PA_ALLOW && b->dir == a->dir && b->proto == a->after_proto &&
			    b->port_lo <= a->after_port && a->after_port <= b->port_hi &&
			    !(b->flags & IG_RULE_F_AFTER)) {
				b->flags |= IG_RULE_F_ANCHOR;
				found = true;
			}
		}
		if (!found) {
			char pbuf[8];

			snprintf(err, errlen, "%s:%u: after %s/%u: no allow rule (without 'after') "
				 "for %s port %u in the same direction", fname, p->line[i],
				 proto_name(a->after_proto, pbuf, sizeof(pbuf)), a->after_port,
				 proto_name(a->after_proto, pbuf, sizeof(pbuf)), a->after_port);
			return -1;
		}
	}
	return 0;
}

static int parse_line(char *s, unsigned int line, struct ig_policy *p, unsigned int *seen_default,
		      unsigned int seen_timeout[IG_CT_T_MAX], char *err, size_t errlen)
{
	char *tok[MAX_TOKENS], *save = NULL, *t;
	unsigned long v;
	int nt = 0, i;

	for (t = strtok_r(s, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (nt >= MAX_TOKENS) {
			snprintf(err, errlen, "too many words");
			return -1;
		}
		tok[nt++] = t;
	}
	if (!nt)
		return 0;
	if (!strcmp(tok[0], "allow") || !strcmp(tok[0], "drop") || !strcmp(tok[0], "reject"))
		return parse_rule(tok, nt, line, p, err, errlen);
	if (!strcmp(tok[0], "default")) {
		if (nt != 2 || (strcmp(tok[1], "drop") && strcmp(tok[1], "reject"))) {
			snprintf(err, errlen, "expected 'default drop' or 'default reject'");
			return -1;
		}
		if (*seen_default) {
			snprintf(err, errlen, "default given twice (first on line %u)", *seen_default);
			return -1;
		}
		*seen_default = line;
		p->default_action = !strcmp(tok[1], "drop") ? IG_PA_DROP : IG_PA_REJECT;
		return 0;
	}
	if (!strcmp(tok[0], "timeout")) {
		if (nt != 3) {
			snprintf(err, errlen, "expected 'timeout CLASS SECONDS'");
			return -1;
		}
		for (i = 0; i < IG_CT_T_MAX; i++)
			if (!strcmp(tok[1], timeout_names[i]))
				break;
		if (i == IG_CT_T_MAX) {
			snprintf(err, errlen, "timeout class '%s': expected tcp-syn, tcp-established, "
				 "tcp-close, udp, udp-stream, icmp, other or rpc-anchor", tok[1]);
			return -1;
		}
		if (seen_timeout[i]) {
			snprintf(err, errlen, "timeout %s given twice (first on line %u)", tok[1],
				 seen_timeout[i]);
			return -1;
		}
		if (parse_uint(tok[2], 1, TIMEOUT_MAX_S, &v)) {
			snprintf(err, errlen, "timeout '%s': seconds, 1 to %u", tok[2], TIMEOUT_MAX_S);
			return -1;
		}
		seen_timeout[i] = line;
		p->timeout_s[i] = (__u32)v;
		return 0;
	}
	snprintf(err, errlen, "unknown statement '%s' (expected allow, drop, reject, default or "
		 "timeout)", tok[0]);
	return -1;
}

int ig_policy_parse_buf(const char *buf, size_t len, const char *fname, struct ig_policy *p,
			char *err, size_t errlen)
{
	unsigned int seen_default = 0, seen_timeout[IG_CT_T_MAX] = { 0 }, line = 0;
	char s[MAX_LINE], msg[512];
	size_t pos = 0;

	ig_policy_init(p);
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		char *hash;

		line++;
		if (n >= sizeof(s)) {
			snprintf(err, errlen, "%s:%u: line longer than %zu bytes", fname, line,
				 sizeof(s) - 1);
			return -1;
		}
		memcpy(s, buf + pos, n);
		s[n] = '\0';
		pos += n + 1;
		if (strlen(s) != n) {
			snprintf(err, errlen, "%s:%u: NUL byte in the line", fname, line);
			return -1;
		}
		hash = strchr(s, '#');
		if (hash)
			*hash = '\0';
		msg[0] = '\0';
		if (parse_line(s, line, p, &seen_default, seen_timeout, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s:%u: %s", fname, line, msg);
			return -1;
		}
	}
	if (p->timeout_s[IG_CT_T_TCP_SYN] > p->timeout_s[IG_CT_T_TCP_EST]) {
		snprintf(err, errlen, "%s: timeout tcp-syn (%u s) longer than tcp-established (%u s)",
			 fname, p->timeout_s[IG_CT_T_TCP_SYN], p->timeout_s[IG_CT_T_TCP_EST]);
		return -1;
	}
	return mark_anchors(p, fname, err, errlen);
}

int ig_policy_parse_file(const char *path, struct ig_policy *p, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;
	int rc = -2;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -2;
	}
	buf = malloc(MAX_POLICY + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	while ((n = fread(buf + len, 1, MAX_POLICY + 1 - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto cleanup;
	}
	if (len > MAX_POLICY) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, MAX_POLICY);
		rc = -1;
		goto cleanup;
	}
	rc = ig_policy_parse_buf(buf, len, is_stdin ? "<stdin>" : path, p, err, errlen);
cleanup:
	free(buf);
	if (!is_stdin)
		fclose(f);
	return rc;
}

const char *ig_rule_fmt(const struct ig_rule *r, char *buf, size_t len)
{
	char pbuf[8], ports[48] = "", a[INET6_ADDRSTRLEN], extra[200] = "";
	size_t i, o = 0;

	if (r->proto && !(r->port_lo == 0 && r->port_hi == 0xffff)) {
		const char *tname = NULL;

		if (r->proto == IPPROTO_ICMPV6 && r->port_lo == r->port_hi)
			for (i = 0; i < sizeof(icmp_types) / sizeof(icmp_types[0]); i++)
				if (icmp_types[i].type == r->port_lo)
					tname = icmp_types[i].name;
		if (tname)
			snprintf(ports, sizeof(ports), " %s", tname);
		else if (r->port_lo == r->port_hi)
			snprintf(ports, sizeof(ports), " %u", r->port_lo);
		else
			snprintf(ports, sizeof(ports), " %u-%u", r->port_lo, r->port_hi);
	}
	if (r->member_plen)
		o += snprintf(extra + o, sizeof(extra) - o, " member %s/%u",
			      inet_ntop(AF_INET, r->member_net, a, sizeof(a)), r->member_plen);
	if (r->remote_plen && o < sizeof(extra))
		o += snprintf(extra + o, sizeof(extra) - o, " remote %s/%u",
			      inet_ntop(AF_INET6, r->remote_net, a, sizeof(a)), r->remote_plen);
	if ((r->flags & IG_RULE_F_AFTER) && o < sizeof(extra))
		o += snprintf(extra + o, sizeof(extra) - o, " after %s/%u",
			      proto_name(r->after_proto, pbuf, sizeof(pbuf)), r->after_port);
	if (r->name[0] && o < sizeof(extra))
		snprintf(extra + o, sizeof(extra) - o, " name %.*s", (int)sizeof(r->name), r->name);
	snprintf(buf, len, "%s %s %s%s%s", ig_policy_action_name(r->action),
		 r->dir == IG_PD_IN ? "in" : "out", proto_name(r->proto, pbuf, sizeof(pbuf)), ports,
		 extra);
	return buf;
}

/* ---- maps -------------------------------------------------------------- */

int ig_pmaps_open(const char *pin_dir, struct ig_pmaps *m)
{
	m->state = m->rules = m->stats = m->config = -1;
	m->state = ig_map_open(pin_dir, IG_MAP_POLICY_STATE);
	if (m->state < 0)
		goto fail;
	m->rules = ig_map_open(pin_dir, IG_MAP_POLICY_RULES);
	if (m->rules < 0)
		goto fail;
	m->stats = ig_map_open(pin_dir, IG_MAP_POLICY_STATS);
	if (m->stats < 0)
		goto fail;
	m->config = ig_map_open(pin_dir, IG_MAP_CONFIG);
	if (m->config < 0)
		goto fail;
	return 0;
fail: {
	int rc = m->state < 0	? m->state
		 : m->rules < 0 ? m->rules
		 : m->stats < 0 ? m->stats
				: m->config;

	ig_pmaps_close(m);
	return rc;
	}
}

void ig_pmaps_close(struct ig_pmaps *m)
{
	if (m->state >= 0)
		close(m->state);
	if (m->rules >= 0)
		close(m->rules);
	if (m->stats >= 0)
		close(m->stats);
	if (m->config >= 0)
		close(m->config);
	m->state = m->rules = m->stats = m->config = -1;
}

int ig_policy_read(const struct ig_pmaps *m, struct ig_policy *p, bool *active, __u32 *gen)
{
	struct ig_policy_state st;
	__u32 zero = 0, i, bank, idx;

	ig_policy_init(p);
	if (bpf_map_lookup_elem(m->state, &zero, &st))
		return -errno;
	*active = st.active != 0;
	*gen = st.gen;
	if (!st.active)
		return 0;
	bank = (st.active - 1) & 1;
	p->n = st.bank[bank].n_rules > IG_POLICY_MAX_RULES ? IG_POLICY_MAX_RULES :
								 st.bank[bank].n_rules;
	p->default_action = st.bank[bank].default_action;
	memcpy(p->timeout_s, st.bank[bank].timeout_s, sizeof(p->timeout_s));
	for (i = 0; i < p->n; i++) {
		idx = bank * IG_POLICY_MAX_RULES + i;
		if (bpf_map_lookup_elem(m->rules, &idx, &p->rules[i]))
			return -errno;
	}
	return 0;
}

/* Per-CPU counter values of slot k (an array of ncpu). */
static int stats_get(int fd, __u32 k, struct ig_rule_counter *v)
{
	return bpf_map_lookup_elem(fd, &k, v) ? -errno : 0;
}

static int stats_put(int fd, __u32 k, const struct ig_rule_counter *v)
{
	return bpf_map_update_elem(fd, &k, v, BPF_ANY) ? -errno : 0;
}

/* The policy state, and the running bank (*ob) with its n_old rules in old
 * (none when no policy runs).  0 or -errno. */
static int running_bank(const struct ig_pmaps *m, struct ig_policy_state *st,
			struct ig_rule old[IG_POLICY_MAX_RULES], __u32 *n_old, __u32 *ob)
{
	__u32 zero = 0, i, idx;

	*n_old = *ob = 0;
	if (bpf_map_lookup_elem(m->state, &zero, st))
		return -errno;
	if (!st->active)
		return 0;
	*ob = (st->active - 1) & 1;
	*n_old = st->bank[*ob].n_rules > IG_POLICY_MAX_RULES ? IG_POLICY_MAX_RULES
							     : st->bank[*ob].n_rules;
	for (i = 0; i < *n_old; i++) {
		idx = *ob * IG_POLICY_MAX_RULES + i;
		if (bpf_map_lookup_elem(m->rules, &idx, &old[i]))
			return -errno;
	}
	return 0;
}

int ig_policy_apply(const struct ig_pmaps *m, const struct ig_policy *p)
{
	int ncpu = libbpf_num_possible_cpus(), rc;
	struct ig_policy_state st;
	struct ig_rule old[IG_POLICY_MAX_RULES];
	struct ig_rule_counter *zero_v = NULL, *v = NULL;
	__u32 zero = 0, i, j, idx, nb, ob, n_old;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	rc = running_bank(m, &st, old, &n_old, &ob);
	if (rc)
		return rc;
	nb = st.active ? ob ^ 1 : 0;
	zero_v = calloc(ncpu, sizeof(*zero_v));
	v = calloc(ncpu, sizeof(*v));
	if (!zero_v || !v) {
		rc = -ENOMEM;
		goto cleanup;
	}

	/* 1. the inactive bank: rules, and counters (carried over for rules
	 *    that stay, else zero) */
	for (i = 0; i < p->n; i++) {
		idx = nb * IG_POLICY_MAX_RULES + i;
		if (bpf_map_update_elem(m->rules, &idx, &p->rules[i], BPF_ANY)) {
			rc = -errno;
			goto cleanup;
		}
		for (j = 0; j < n_old; j++)
			if (ig_rule_equal(&old[j], &p->rules[i]))
				break;
		if (j < n_old) {
			rc = stats_get(m->stats, ob * IG_POLICY_SLOTS + j, v);
			if (!rc)
				rc = stats_put(m->stats, nb * IG_POLICY_SLOTS + i, v);
		} else {
			rc = stats_put(m->stats, nb * IG_POLICY_SLOTS + i, zero_v);
		}
		if (rc)
			goto cleanup;
	}
	if (st.active && st.bank[ob].default_action == p->default_action) {
		rc = stats_get(m->stats, ob * IG_POLICY_SLOTS + IG_POLICY_MAX_RULES, v);
		if (!rc)
			rc = stats_put(m->stats, nb * IG_POLICY_SLOTS + IG_POLICY_MAX_RULES, v);
	} else {
		rc = stats_put(m->stats, nb * IG_POLICY_SLOTS + IG_POLICY_MAX_RULES, zero_v);
	}
	if (rc)
		goto cleanup;
	memset(&st.bank[nb], 0, sizeof(st.bank[nb]));
	st.bank[nb].n_rules = p->n;
	st.bank[nb].default_action = p->default_action;
	memcpy(st.bank[nb].timeout_s, p->timeout_s, sizeof(p->timeout_s));
	if (bpf_map_update_elem(m->state, &zero, &st, BPF_ANY)) {
		rc = -errno;
		goto cleanup;
	}
	/* 2. let the forwarding paths look at the policy state (before the
	 *    switch, so that no packet misses the policy), then switch: one
	 *    update of the state */
	if (ig_config_set(m->config, IG_CFG_POLICY_LOADED, 1)) {
		rc = -errno;
		goto cleanup;
	}
	st.active = nb + 1;
	st.gen++;
	rc = bpf_map_update_elem(m->state, &zero, &st, BPF_ANY) ? -errno : 0;
cleanup:
	free(zero_v);
	free(v);
	return rc;
}

int ig_policy_clear(const struct ig_pmaps *m)
{
	struct ig_policy_state st;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->state, &zero, &st))
		return -errno;
	if (!st.active)
		return 0;
	st.active = 0;
	st.gen++;
	return bpf_map_update_elem(m->state, &zero, &st, BPF_ANY) ? -errno : 0;
}

int ig_policy_counters(const struct ig_pmaps *m, struct ig_rule_counter out[IG_POLICY_SLOTS])
{
	int ncpu = libbpf_num_possible_cpus(), c, rc = 0;
	struct ig_rule_counter *v;
	struct ig_policy_state st;
	__u32 zero = 0, i, bank;

	memset(out, 0, sizeof(*out) * IG_POLICY_SLOTS);
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	if (bpf_map_lookup_elem(m->state, &zero, &st))
		return -errno;
	if (!st.active)
		return 0;
	bank = (st.active - 1) & 1;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < IG_POLICY_SLOTS; i++) {
		rc = stats_get(m->stats, bank * IG_POLICY_SLOTS + i, v);
		if (rc)
			break;
		for (c = 0; c < ncpu; c++) {
			out[i].conns += v[c].conns;
			out[i].packets += v[c].packets;
			out[i].bytes += v[c].bytes;
		}
	}
	free(v);
	return rc;
}

int ig_policy_view_read(const char *pin_dir, struct ig_policy_view *v)
{
	struct ig_pmaps m = { -1, -1, -1, -1 };
	char path[PATH_MAX + 32];
	int fd, rc;

	memset(v, 0, sizeof(*v));
	v->conns = -1;
	ig_policy_init(&v->pol);
	snprintf(path, sizeof(path), "%s/%s", pin_dir, IG_MAP_POLICY_STATE);
	if (access(path, F_OK))
		return 0;
	v->present = true;
	rc = ig_pmaps_open(pin_dir, &m);
	if (!rc)
		rc = ig_policy_read(&m, &v->pol, &v->active, &v->gen);
	if (!rc)
		rc = ig_policy_counters(&m, v->cnt);
	if (rc) {
		ig_err("reading the policy maps under %s: %s", pin_dir, strerror(-rc));
		goto cleanup;
	}
	fd = ig_map_open(pin_dir, IG_MAP_CONNS);
	if (fd >= 0) {
		v->conns = ig_map_count(fd);
		close(fd);
	}
cleanup:
	ig_pmaps_close(&m);
	return rc;
}

/* ---- classification, as the datapath does it (bpf/policy.h) ---------- */

static bool bits_match(const __u8 *a, const __u8 *net, unsigned int plen)
{
	unsigned int full = plen / 8, rest = plen % 8;

	if (memcmp(a, net, full))
		return false;
	return !rest || !((a[full] ^ net[full]) & (0xff00 >> rest));
}

unsigned int ig_policy_match(const struct ig_policy *p, unsigned int dir, __u8 proto,
			     __u16 port, const __u8 member[4], const __u8 remote[16],
			     bool anchors_ok)
{
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		const struct ig_rule *r = &p->rules[i];

		if (r->dir != dir)
			continue;
		if (r->proto && (r->proto != proto || port < r->port_lo || port > r->port_hi))
			continue;
		if (r->member_plen && !bits_match(member, r->member_net, r->member_plen))
			continue;
		if (r->remote_plen && !bits_match(remote, r->remote_net, r->remote_plen))
			continue;
		if ((r->flags & IG_RULE_F_AFTER) && !anchors_ok)
			continue;
		return i;
	}
	return p->n;
}

bool ig_policy_equal(const struct ig_policy *a, const struct ig_policy *b)
{
	unsigned int i;

	if (a->n != b->n || a->default_action != b->default_action ||
	    memcmp(a->timeout_s, b->timeout_s, sizeof(a->timeout_s)))
		return false;
	for (i = 0; i < a->n; i++)
		if (!ig_rule_equal(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

int ig_policy_sync(const char *pin_dir, const struct ig_policy *want, bool dry_run,
		   struct ig_psync *r)
{
	struct ig_pmaps m = { -1, -1, -1, -1 };
	int ret = 0, lockfd = -1;

	memset(r, 0, sizeof(*r));
	if (!dry_run) {
		lockfd = ig_pin_dir_lock(pin_dir);
		if (lockfd < 0) {
			r->stage = IG_PSYNC_LOCK;
			return lockfd;
		}
	}
	ret = ig_pmaps_open(pin_dir, &m);
	if (ret) {
		r->stage = IG_PSYNC_OPEN;
		goto cleanup;
	}
	ret = ig_policy_read(&m, &r->cur, &r->active, &r->gen);
	if (ret) {
		r->stage = IG_PSYNC_READ;
		goto cleanup;
	}
	r->changed = !r->active || !ig_policy_equal(&r->cur, want);
	if (r->changed && !dry_run) {
		ret = ig_policy_apply(&m, want);
		if (ret) {
			r->stage = IG_PSYNC_APPLY;
			goto cleanup;
		}
		r->gen++;
	}
cleanup:
	ig_pmaps_close(&m);
	if (lockfd >= 0)
		close(lockfd);
	return ret;
}
