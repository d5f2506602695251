// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* members.c - membership sources, resolution, diff plan and apply. */
#define _GNU_SOURCE                  /* EAI_NODATA, EAI_ADDRFAMILY */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "members.h"
#include "neigh.h"

/* ---- small helpers ---------------------------------------------------- */

static __u32 v4_to_u32(const __u8 a[4])
{
	return (__u32)a[0] << 24 | (__u32)a[1] << 16 | (__u32)a[2] << 8 | a[3];
}

static void u32_to_v4(__u32 v, __u8 a[4])
{
	a[0] = v >> 24;
	a[1] = v >> 16;
	a[2] = v >> 8;
	a[3] = v;
}

static __u32 plen_mask(__u32 plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

const char *ig_prefix_fmt(const struct ig_v4_lpm_key *key, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", ig_fmt_v4(key->addr, a, sizeof(a)), key->prefixlen);
	return buf;
}

__u64 ig_name_hash(const char *name)
{
	__u64 h = 0xcbf29ce484222325ull;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ---- entry sets ------------------------------------------------------- */

int ig_mentry_cmp(const void *pa, const void *pb)
{
	const struct ig_mentry *a = pa, *b = pb;
	int c = memcmp(a->key.addr, b->key.addr, 4);

	if (c)
		return c;
	return (a->key.prefixlen > b->key.prefixlen) - (a->key.prefixlen < b->key.prefixlen);
}

int ig_mset_add(struct ig_mset *s, const struct ig_v4_lpm_key *key,
		const struct ig_member *val)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct ig_mentry *e = realloc(s->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		s->e = e;
		s->cap = cap;
	}
	memset(&s->e[s->n], 0, sizeof(s->e[s->n]));
	s->e[s->n].key = *key;
	s->e[s->n].val = *val;
	s->n++;
	return 0;
}

void ig_mset_sort(struct ig_mset *s)
{
	size_t i, o;

	if (!s->n)
		return;
	/* qsort is not stable: callers that care about which duplicate wins
	 * sort themselves (see ig_members_resolve). */
	qsort(s->e, s->n, sizeof(*s->e), ig_mentry_cmp);
	for (i = 1, o = 1; i < s->n; i++)
		if (ig_mentry_cmp(&s->e[i], &s->e[o - 1]))
			s->e[o++] = s->e[i];
	s->n = o;
}

void ig_mset_free(struct ig_mset *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

const struct ig_mentry *ig_mset_find(const struct ig_mset *s,
				     const struct ig_v4_lpm_key *key)
{
	struct ig_mentry k = { .key = *key };

	if (!s->n)
		return NULL;
	return bsearch(&k, s->e, s->n, sizeof(*s->e), ig_mentry_cmp);
}

static bool mset_sorted(const struct ig_mset *s)
{
	size_t i;

	for (i = 1; i < s->n; i++)
		if (ig_mentry_cmp(&s->e[i - 1], &s->e[i]) >= 0)
			return false;
	return true;
}

/* ---- sources ---------------------------------------------------------- */

void ig_msrc_free(struct ig_msrc *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		free(src->items[i].name);
	free(src->items);
	memset(src, 0, sizeof(*src));
}

static int msrc_push(struct ig_msrc *src, const struct ig_msrc_item *it)
{
	if (src->n == src->cap) {
		size_t cap = src->cap ? src->cap * 2 : 32;
		struct ig_msrc_item *n = realloc(src->items, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		src->items = n;
		src->cap = cap;
	}
	src->items[src->n++] = *it;
	return 0;
}

int ig_msrc_add_prefix(struct ig_msrc *src, const struct ig_v4_lpm_key *key,
		       __u32 flags, unsigned int line)
{
	struct ig_msrc_item it = { .kind = IG_MSRC_PREFIX, .key = *key,
				   .flags = flags, .line = line };
	__u32 a = v4_to_u32(key->addr) & plen_mask(key->prefixlen);

	if (key->prefixlen > 32)
		return -EINVAL;
	u32_to_v4(a, it.key.addr);
	return msrc_push(src, &it);
}

int ig_msrc_add_name(struct ig_msrc *src, const char *name, __u32 flags,
		     unsigned int line, char *err, size_t errlen)
{
	struct ig_msrc_item it;
	int ret;

	ret = ig_member_parse_entry(name, &it, err, errlen);
	if (ret)
		return ret;
	it.flags |= flags;
	it.line = line;
	ret = msrc_push(src, &it);
	if (ret)
		free(it.name);
	return ret;
}

/* Quote an entry for a message: printable, bounded. */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (isprint(c))
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	if (*s && o + 4 <= len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* A literal or network that can never be an ISATAP host. */
static const char *not_unicast(const __u8 a[4], __u32 plen)
{
	if (plen >= 8 && a[0] == 0)
		return "is in 0.0.0.0/8 ('this network'), not a host address";
	if (plen >= 8 && a[0] == 127)
		return "is a loopback address (127.0.0.0/8)";
	if (plen == 3 && a[0] >= 224)
		return "holds only multicast and reserved addresses (224.0.0.0/3)";
	if (plen >= 4 && a[0] >= 224 && a[0] < 240)
		return "is a multicast address (224.0.0.0/4)";
	if (plen >= 4 && a[0] >= 240)
		return "is reserved or broadcast (240.0.0.0/4)";
	return NULL;
}

/* Digits and dots only, or a last label that is all digits: meant as an
 * address (a top-level domain is never numeric, RFC 1123 2.1). */
static bool looks_numeric(const char *s)
{
	const char *last = strrchr(s, '.');
	const char *p;
	bool only = true, any = false;

	for (p = s; *p; p++) {
		if (isdigit((unsigned char)*p))
			any = true;
		else if (*p != '.')
			only = false;
	}
	if (only)
		return any;
	last = last ? last + 1 : s;
	if (!*last)
		return false;
	for (p = last; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/*
 * A name the C library reads as a number (inet_aton: hex, octal, fewer than
 * four parts, "0x7f000001", "0xa.0x1"): getaddrinfo() answers it with that
 * address without asking DNS, so as a host name it would smuggle in any
 * address (loopback, broadcast, the router's).  With or without a final
 * dot.  Returns what it is (and the address in a), or NULL.
 */
static const char *numeric_name(const char *text, __u8 a[4])
{
	char buf[IG_HOSTNAME_MAX + 2];
	struct in_addr in;
	size_t len = strlen(text);

	if (len >= sizeof(buf))
		return NULL;             /* too long for a name anyway */
	memcpy(buf, text, len + 1);
	if (len && buf[len - 1] == '.')
		buf[len - 1] = '\0';
	if (!buf[0] || !inet_aton(buf, &in))
		return NULL;
	memcpy(a, &in.s_addr, 4);
	return "a number";
}

static int parse_cidr(const char *text, const char *slash, struct ig_msrc_item *it,
		      char *err, size_t errlen)
{
	char addr[INET_ADDRSTRLEN], q[80];
	const char *p = slash + 1, *why;
	__u8 a[4];
	__u32 plen = 0, v, net;
	size_t alen = (size_t)(slash - text);

	if (alen && alen < sizeof(addr)) {
		memcpy(addr, text, alen);
		addr[alen] = '\0';
	} else {
		addr[0] = '\0';
	}
	if (!addr[0] || inet_pton(AF_INET, addr, a) != 1) {
		snprintf(err, errlen, "'%s': invalid IPv4 address before '/'",
			 quote(text, q, sizeof(q)));
		return -EINVAL;
	}
	if (!*p || strlen(p) > 2) {
		snprintf(err, errlen, "'%s': invalid prefix length (expected /1 to /32)",
			 quote(text, q, sizeof(q)));
		return -EINVAL;
	}
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p)) {
			snprintf(err, errlen, "'%s': invalid prefix length (expected /1 to /32)",
				 quote(text, q, sizeof(q)));
			return -EINVAL;
		}
		plen = plen * 10 + (__u32)(*p - '0');
	}
	if (plen > 32) {
		snprintf(err, errlen, "'%s': invalid prefix length (expected /1 to /32)",
			 quote(text, q, sizeof(q)));
		return -EINVAL;
	}
	if (plen == 0) {
		snprintf(err, errlen, "'%s': a /0 would admit every IPv4 host; "
			 "list the member networks explicitly", quote(text, q, sizeof(q)));
		return -EINVAL;
	}
	v = v4_to_u32(a);
	net = v & plen_mask(plen);
	if (net != v) {
		__u8 n[4];

		u32_to_v4(net, n);
		snprintf(err, errlen, "'%s': host bits set; did you mean %s/%u?",
			 quote(text, q, sizeof(q)), ig_fmt_v4(n, addr, sizeof(addr)), plen);
		return -EINVAL;
	}
	why = not_unicast(a, plen);
	if (why) {
		snprintf(err, errlen, "'%s' %s", quote(text, q, sizeof(q)), why);
		return -EINVAL;
	}
	it->kind = IG_MSRC_PREFIX;
	it->key.prefixlen = plen;
	memcpy(it->key.addr, a, 4);
	return 0;
}

static int parse_name(const char *text, struct ig_msrc_item *it, char *err, size_t errlen)
{
	size_t len = strlen(text), i, label = 0;
	char q[80];
	char *name;

	if (len && text[len - 1] == '.')
		len--;                   /* absolute name: same host */
	if (len == 0) {
		snprintf(err, errlen, "'%s': invalid host name", quote(text, q, sizeof(q)));
		return -EINVAL;
	}
	if (len > IG_HOSTNAME_MAX) {
		snprintf(err, errlen, "'%s': host name longer than %d characters",
			 quote(text, q, sizeof(q)), IG_HOSTNAME_MAX);
		return -EINVAL;
	}
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)text[i] : '.';

		if (c == '.') {
			if (label == 0) {
				snprintf(err, errlen, "'%s': invalid host name (empty label)",
					 quote(text, q, sizeof(q)));
				return -EINVAL;
			}
			if (text[i - 1] == '-' || text[i - label] == '-') {
				snprintf(err, errlen, "'%s': invalid host name (a label "
					 "starts or ends with '-')", quote(text, q, sizeof(q)));
				return -EINVAL;
			}
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_') {
			if (isprint(c))
				snprintf(err, errlen, "'%s': not an IPv4 address, CIDR or "
					 "host name (character '%c' not allowed)",
					 quote(text, q, sizeof(q)), c);
			else
				snprintf(err, errlen, "'%s': not an IPv4 address, CIDR or "
					 "host name (byte 0x%02x not allowed)",
					 quote(text, q, sizeof(q)), c);
			return -EINVAL;
		}
		if (++label > 63) {
			snprintf(err, errlen, "'%s': invalid host name (label longer than "
				 "63 characters)", quote(text, q, sizeof(q)));
			return -EINVAL;
		}
	}
	name = strndup(text, len);
	if (!name)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	it->kind = IG_MSRC_NAME;
	it->name = name;
	return 0;
}

int ig_member_parse_entry(const char *text, struct ig_msrc_item *it,
			  char *err, size_t errlen)
{
	const char *slash = strchr(text, '/'), *why;
	char q[80];
	__u8 a[4];
	size_t i;

	memset(it, 0, sizeof(*it));
	for (i = 0; text[i]; i++) {
		if (isspace((unsigned char)text[i])) {
			snprintf(err, errlen, "'%s': unexpected text after the entry "
				 "(one entry per line)", quote(text, q, sizeof(q)));
			return -EINVAL;
		}
	}
	if (!*text) {
		snprintf(err, errlen, "empty entry");
		return -EINVAL;
	}
	if (strchr(text, ':')) {
		snprintf(err, errlen, "'%s': IPv6 is not supported here; members are "
			 "the hosts' IPv4 addresses", quote(text, q, sizeof(q)));
		return -EINVAL;
	}
	if (slash)
		return parse_cidr(text, slash, it, err, errlen);
	if (inet_pton(AF_INET, text, a) == 1) {
		why = not_unicast(a, 32);
		if (why) {
			snprintf(err, errlen, "'%s' %s", quote(text, q, sizeof(q)), why);
			return -EINVAL;
		}
		it->kind = IG_MSRC_PREFIX;
		it->key.prefixlen = 32;
		memcpy(it->key.addr, a, 4);
		return 0;
	}
	if (looks_numeric(text)) {
		snprintf(err, errlen, "'%s': invalid IPv4 address (expected a.b.c.d, "
			 "each 0-255, no leading zeros)", quote(text, q, sizeof(q)));
		return -EINVAL;
	}
	why = numeric_name(text, a);
	if (why) {
		char addr[INET_ADDRSTRLEN];

		snprintf(err, errlen, "'%s': %s, not a host name: the resolver would take "
			 "it as the IPv4 address %s; write addresses as a.b.c.d",
			 quote(text, q, sizeof(q)), why, ig_fmt_v4(a, addr, sizeof(addr)));
		return -EINVAL;
	}
	return parse_name(text, it, err, errlen);
}

int ig_msrc_parse_stream(struct ig_msrc *src, FILE *f, const char *fname,
			 char *err, size_t errlen)
{
	char *line = NULL, *s, *e, *hash;
	char why[512];
	size_t cap = 0;
	ssize_t len;
	unsigned int lineno = 0;
	struct ig_msrc_item it;
	int ret = 0;

	errno = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if ((size_t)len != strlen(line)) {
			snprintf(err, errlen, "%s:%u: NUL byte in the line (not a text file?)",
				 fname, lineno);
			ret = -EINVAL;
			goto cleanup;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (!*s)
			continue;
		ret = ig_member_parse_entry(s, &it, why, sizeof(why));
		if (ret) {
			if (ret == -EINVAL)
				snprintf(err, errlen, "%s:%u: %s", fname, lineno, why);
			else
				snprintf(err, errlen, "%s:%u: %s", fname, lineno, strerror(-ret));
			goto cleanup;
		}
		it.line = lineno;
		ret = msrc_push(src, &it);
		if (ret) {
			free(it.name);
			snprintf(err, errlen, "%s: %s", fname, strerror(-ret));
			goto cleanup;
		}
	}
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		snprintf(err, errlen, "%s: read error: %s", fname, strerror(-ret));
	}
cleanup:
	free(line);
	return ret;
}

/* ---- resolution ------------------------------------------------------- */

static int addrs_push(struct ig_addrs *out, const void *a)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;
		__u8 (*n)[4] = realloc(out->a, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		out->a = n;
		out->cap = cap;
	}
	memcpy(out->a[out->n++], a, 4);
	return 0;
}

int ig_resolve_system(void *ctx, const char *name, struct ig_addrs *out)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	int ret;

	(void)ctx;
	errno = 0;
	ret = getaddrinfo(name, NULL, &hints, &res);
	if (ret) {
		if (ret == EAI_SYSTEM)
			out->sys_err = errno ? errno : EIO;
		return ret;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		const struct sockaddr_in *sin = (const void *)ai->ai_addr;

		if (ai->ai_family != AF_INET)
			continue;
		if (addrs_push(out, &sin->sin_addr)) {
			ret = EAI_MEMORY;
			break;
		}
	}
	freeaddrinfo(res);
	return ret;
}

const char *ig_resolve_strerror(int code)
{
	return gai_strerror(code);
}

bool ig_resolve_transient(int code, int sys_err)
{
	switch (code) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		return false;            /* the name server's answer: no address */
	case EAI_SYSTEM:
		switch (sys_err) {
		case EAGAIN:
		case EINTR:
		case ETIMEDOUT:
		case ECONNREFUSED:
		case ECONNRESET:
		case ENETDOWN:
		case ENETUNREACH:
		case EHOSTUNREACH:
		case ENOBUFS:
		case ENOMEM:
		case EMFILE:
		case ENFILE:
			return true;
		default:
			return false;
		}
	default:
		return true;             /* EAI_AGAIN, EAI_FAIL, EAI_MEMORY, ... */
	}
}

const char *ig_addr_rejected(const __u8 a[4], const struct ig_addrs *deny)
{
	const char *why = not_unicast(a, 32);
	size_t i;

	if (why)
		return why;
	for (i = 0; deny && i < deny->n; i++)
		if (!memcmp(deny->a[i], a, 4))
			return "is an address of this router or of a peer router";
	return NULL;
}

long ig_prefix_denied(const struct ig_v4_lpm_key *key, const struct ig_addrs *deny)
{
	__u32 mask, net, a;
	size_t i;

	if (!deny || key->prefixlen > 32)
		return -1;
	mask = key->prefixlen ? ~0u << (32 - key->prefixlen) : 0;
	net = ((__u32)key->addr[0] << 24 | (__u32)key->addr[1] << 16 |
	       (__u32)key->addr[2] << 8 | key->addr[3]) & mask;
	for (i = 0; i < deny->n; i++) {
		a = (__u32)deny->a[i][0] << 24 | (__u32)deny->a[i][1] << 16 |
		    (__u32)deny->a[i][2] << 8 | deny->a[i][3];
		if ((a & mask) == net)
			return (long)i;
	}
	return -1;
}

/* ---- parallel resolution --------------------------------------------- */

static int rent_cmp(const void *pa, const void *pb)
{
	const struct ig_rcache_ent *a = pa, *b = pb;

	return strcmp(a->name, b->name);
}

struct rworker {
	struct ig_rcache *c;
	size_t next;                 /* shared: next entry to resolve */
};

static void *rcache_worker(void *arg)
{
	struct rworker *w = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->c->n) {
		struct ig_rcache_ent *e = &w->c->e[i];

		e->code = w->c->fn(w->c->ctx, e->name, &e->addrs);
	}
	return NULL;
}

int ig_rcache_fill(struct ig_rcache *c, const struct ig_msrc *src, ig_resolve_fn fn,
		   void *ctx, unsigned int threads)
{
	struct rworker w = { .c = c };
	pthread_t tid[64];
	size_t i, o, n_tid = 0;

	memset(c, 0, sizeof(*c));
	c->fn = fn;
	c->ctx = ctx;
	for (i = 0; i < src->n; i++)
		if (src->items[i].kind == IG_MSRC_NAME)
			c->n++;
	if (!c->n)
		return 0;
	c->e = calloc(c->n, sizeof(*c->e));
	if (!c->e) {
		c->n = 0;
		return -ENOMEM;
	}
	for (i = 0, o = 0; i < src->n; i++)
		if (src->items[i].kind == IG_MSRC_NAME)
			c->e[o++].name = src->items[i].name;
	qsort(c->e, c->n, sizeof(*c->e), rent_cmp);
	for (i = 1, o = 1; i < c->n; i++)
		if (strcmp(c->e[i].name, c->e[o - 1].name))
			c->e[o++] = c->e[i];
	c->n = o;

	if (threads > sizeof(tid) / sizeof(tid[0]))
		threads = sizeof(tid) / sizeof(tid[0]);
	if (threads > c->n)
		threads = (unsigned int)c->n;
	for (; n_tid + 1 < threads; n_tid++)
		if (pthread_create(&tid[n_tid], NULL, rcache_worker, &w))
			break;               /* fewer threads: still correct */
	rcache_worker(&w);
	for (i = 0; i < n_tid; i++)
		pthread_join(tid[i], NULL);
	return 0;
}

int ig_resolve_cached(void *ctx, const char *name, struct ig_addrs *out)
{
	struct ig_rcache *c = ctx;
	struct ig_rcache_ent k = { .name = name }, *e;
	size_t i;

	e = c->n ? bsearch(&k, c->e, c->n, sizeof(*c->e), rent_cmp) : NULL;
	if (!e)
		return c->fn(c->ctx, name, out);
	if (e->code) {
		out->sys_err = e->addrs.sys_err;
		return e->code;
	}
	for (i = 0; i < e->addrs.n; i++)
		if (addrs_push(out, e->addrs.a[i]))
			return EAI_MEMORY;
	return 0;
}

void ig_rcache_free(struct ig_rcache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->e[i].addrs.a);
	free(c->e);
	memset(c, 0, sizeof(*c));
}

void ig_desired_free(struct ig_desired *d)
{
	size_t i;

	ig_mset_free(&d->set);
	for (i = 0; i < d->n_unres; i++)
		free(d->unres[i].name);
	free(d->unres);
	for (i = 0; i < d->n_rej; i++)
		free(d->rej[i].name);
	free(d->rej);
	memset(d, 0, sizeof(*d));
}

static int rej_cmp(const void *pa, const void *pb)
{
	const struct ig_rejected *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	return c ? c : memcmp(a->addr, b->addr, 4);
}

static int rej_push(struct ig_desired *d, size_t *cap, const char *name, const __u8 a[4],
		    const char *why)
{
	struct ig_rejected *r;

	if (d->n_rej == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		r = realloc(d->rej, ncap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		d->rej = r;
		*cap = ncap;
	}
	r = &d->rej[d->n_rej];
	r->name = strdup(name);
	if (!r->name)
		return -ENOMEM;
	memcpy(r->addr, a, 4);
	r->why = why;
	d->n_rej++;
	return 0;
}

/* Sorted, each (name, address) once (a name listed twice is resolved twice). */
static void rej_sort(struct ig_desired *d)
{
	size_t i, o;

	if (d->n_rej < 2)
		return;
	qsort(d->rej, d->n_rej, sizeof(*d->rej), rej_cmp);
	for (i = 1, o = 1; i < d->n_rej; i++) {
		if (rej_cmp(&d->rej[i], &d->rej[o - 1]))
			d->rej[o++] = d->rej[i];
		else
			free(d->rej[i].name);
	}
	d->n_rej = o;
}

struct cand {
	struct ig_mentry m;
	size_t prio;                 /* 0 literal, else 1 + source index */
};

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	int c = ig_mentry_cmp(&a->m, &b->m);

	if (c)
		return c;
	return (a->prio > b->prio) - (a->prio < b->prio);
}

int ig_members_resolve(const struct ig_msrc *src, ig_resolve_fn fn, void *ctx,
		       struct ig_desired *out)
{
	return ig_members_resolve_deny(src, fn, ctx, NULL, out);
}

/* A name that did not resolve, once however often it is listed.  0 or -ENOMEM. */
static int unres_push(struct ig_desired *out, const char *name, __u64 h, int code, int sys_err)
{
	struct ig_unres *u;
	size_t k;

	for (k = 0; k < out->n_unres; k++)
		if (out->unres[k].hash == h)
			return 0; /* listed twice */
	u = realloc(out->unres, (out->n_unres + 1) * sizeof(*u));
	if (!u)
		return -ENOMEM;
	out->unres = u;
	u += out->n_unres;
	memset(u, 0, sizeof(*u));
	u->name = strdup(name);
	if (!u->name)
		return -ENOMEM;
	u->hash = h;
	u->code = code;
	u->sys_err = code == EAI_SYSTEM ? sys_err : 0;
	out->n_unres++;
	return 0;
}

/* The candidate entries, before duplicates are dropped. */
struct cands {
	struct cand *c;
	size_t n, cap;
};

/* One candidate: addr under item i's key and value.  0 or -ENOMEM. */
static int cands_push(struct cands *cs, const struct ig_msrc_item *it, size_t i, const __u8 addr[4],
		      const struct ig_member *val)
{
	struct cand *nc;

	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 64;
		nc = realloc(cs->c, cs->cap * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		cs->c = nc;
	}
	nc = &cs->c[cs->n++];
	memset(nc, 0, sizeof(*nc));
	nc->m.key.prefixlen = it->kind == IG_MSRC_PREFIX ? it->key.prefixlen : 32;
	memcpy(nc->m.key.addr, addr, 4);
	nc->m.val = *val;
	nc->prio = it->kind == IG_MSRC_PREFIX ? 0 : 1 + i;
	return 0;
}

/* Item i's addresses into *addrs and its value into *val: 0, 1 when a name
 * did not resolve (recorded in out->unres), or -ENOMEM. */
static int item_resolve(const struct ig_msrc_item *it, ig_resolve_fn fn, void *ctx,
			struct ig_addrs *addrs, struct ig_member *val, struct ig_desired *out)
{
	__u64 h;
	int code;

	addrs->n = 0;
	addrs->sys_err = 0;
	memset(val, 0, sizeof(*val));
	if (it->kind == IG_MSRC_PREFIX) {
		if (addrs_push(addrs, it->key.addr))
			return -ENOMEM;
		val->flags = it->flags | (it->key.prefixlen < 32 ? IG_MEMBER_F_SUBNET : 0);
		return 0;
	}
	h = ig_name_hash(it->name);
	code = fn(ctx, it->name, addrs);
	if (!code && !addrs->n) {
#ifdef EAI_NODATA
		code = EAI_NODATA; /* the name, but no A record */
#else
		code = EAI_NONAME;
#endif
	}
	if (code)
		return unres_push(out, it->name, h, code, addrs->sys_err) ?: 1;
	val->flags = it->flags | IG_MEMBER_F_NAME;
	val->name_hash = h;
	snprintf(val->name, sizeof(val->name), "%s", it->name);
	return 0;
}

int ig_members_resolve_deny(const struct ig_msrc *src, ig_resolve_fn fn, void *ctx,
			    const struct ig_addrs *deny, struct ig_desired *out)
{
	struct ig_addrs addrs = { 0 };
	struct cands cs = { 0 };
	struct ig_member val;
	size_t rej_cap = 0, i, j;
	const char *why;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < src->n && ret >= 0; i++) {
		const struct ig_msrc_item *it = &src->items[i];

		ret = item_resolve(it, fn, ctx, &addrs, &val, out);
		for (j = 0; !ret && j < addrs.n; j++) {
			/* A name may say anything: never trust its addresses. */
			why = it->kind == IG_MSRC_NAME ? ig_addr_rejected(addrs.a[j], deny) : NULL;
			if (why)
				ret = rej_push(out, &rej_cap, it->name, addrs.a[j], why) ? -ENOMEM
											 : 0;
			else
				ret = cands_push(&cs, it, i, addrs.a[j], &val);
		}
	}
	if (ret >= 0 && cs.n)
		qsort(cs.c, cs.n, sizeof(*cs.c), cand_cmp);
	for (i = 0; ret >= 0 && i < cs.n; i++) {
		if (i && !ig_mentry_cmp(&cs.c[i].m, &cs.c[i - 1].m))
			continue;                        /* first (literal) wins */
		if (ig_mset_add(&out->set, &cs.c[i].m.key, &cs.c[i].m.val))
			ret = -ENOMEM;
	}
	if (ret < 0)
		ig_desired_free(out);
	else
		rej_sort(out);
	free(cs.c);
	free(addrs.a);
	return ret < 0 ? ret : 0;
}

/* ---- plan ------------------------------------------------------------- */

void ig_plan_free(struct ig_plan *p)
{
	size_t i;

	ig_mset_free(&p->add);
	ig_mset_free(&p->update);
	ig_mset_free(&p->remove);
	ig_mset_free(&p->keep);
	ig_mset_free(&p->was);
	for (i = 0; i < p->n_unres; i++)
		free(p->unres[i].name);
	free(p->unres);
	memset(p, 0, sizeof(*p));
}

static bool same_value(const struct ig_member *a, const struct ig_member *b)
{
	return a->name_hash == b->name_hash && a->flags == b->flags &&
	       !strncmp(a->name, b->name, sizeof(a->name));
}

/* An entry of the current map that no wanted entry replaces: remove it,
 * unless its name failed temporarily and it has not been stale too long. */
static int plan_gone(const struct ig_mentry *o, __u32 now, __u32 stale_max, struct ig_plan *p)
{
	struct ig_unres *u = NULL;
	struct ig_member v;
	__u32 start, age;
	size_t k;

	for (k = 0; o->val.name_hash && k < p->n_unres; k++) {
		if (p->unres[k].hash == o->val.name_hash) {
			u = &p->unres[k];
			break;
		}
	}
	if (!u)
		return ig_mset_add(&p->remove, &o->key, &o->val);
	if (!ig_resolve_transient(u->code, u->sys_err)) {
		u->removed++;            /* NXDOMAIN, no A record: the name is gone */
		return ig_mset_add(&p->remove, &o->key, &o->val);
	}
	start = (o->val.flags & IG_MEMBER_F_STALE) ? o->val.since : now;
	age = now >= start ? now - start : 0;    /* a clock set back: not older */
	if (age >= stale_max) {
		u->expired++;
		return ig_mset_add(&p->remove, &o->key, &o->val);
	}
	u->kept++;
	if (!u->stale_since || start < u->stale_since)
		u->stale_since = start;
	if (o->val.flags & IG_MEMBER_F_STALE)
		return ig_mset_add(&p->keep, &o->key, &o->val);
	v = o->val;                  /* first failure: mark it, remember when */
	v.flags |= IG_MEMBER_F_STALE;
	v.since = now;
	if (ig_mset_add(&p->update, &o->key, &v) || ig_mset_add(&p->was, &o->key, &o->val))
		return -ENOMEM;
	return 0;
}

int ig_members_plan(const struct ig_mset *cur, const struct ig_desired *want,
		    __u32 now, __u32 stale_max, struct ig_plan *p)
{
	size_t i = 0, j = 0, k;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	if (!mset_sorted(cur) || !mset_sorted(&want->set))
		return -EINVAL;
	if (want->n_unres) {
		p->unres = calloc(want->n_unres, sizeof(*p->unres));
		if (!p->unres)
			return -ENOMEM;
		for (k = 0; k < want->n_unres; k++) {
			p->unres[k] = want->unres[k];
			p->unres[k].kept = p->unres[k].removed = p->unres[k].expired = 0;
			p->unres[k].stale_since = 0;
			p->unres[k].name = strdup(want->unres[k].name);
			if (!p->unres[k].name)
				goto enomem;
			p->n_unres++;
		}
	}
	while (i < cur->n || j < want->set.n) {
		int c;

		if (i == cur->n)
			c = 1;
		else if (j == want->set.n)
			c = -1;
		else
			c = ig_mentry_cmp(&cur->e[i], &want->set.e[j]);

		if (c > 0) {                             /* new */
			struct ig_member v = want->set.e[j].val;

			v.since = now;
			if (ig_mset_add(&p->add, &want->set.e[j].key, &v))
				goto enomem;
			j++;
		} else if (c == 0) {                     /* in both */
			const struct ig_mentry *o = &cur->e[i];
			struct ig_member v = want->set.e[j].val;

			/* a stale entry confirmed again: since = when it was */
			v.since = (o->val.flags & IG_MEMBER_F_STALE) ? now : o->val.since;
			if (same_value(&o->val, &v)) {
				if (ig_mset_add(&p->keep, &o->key, &o->val))
					goto enomem;
			} else if (ig_mset_add(&p->update, &o->key, &v) ||
				   ig_mset_add(&p->was, &o->key, &o->val)) {
				goto enomem;
			}
			i++;
			j++;
		} else {                                 /* gone, unless fail-static */
			if (plan_gone(&cur->e[i], now, stale_max, p))
				goto enomem;
			i++;
		}
	}
	return 0;
enomem:
	ret = -ENOMEM;
	ig_plan_free(p);
	return ret;
}

/* ---- kernel ----------------------------------------------------------- */

int ig_mmaps_open(const char *pin_dir, struct ig_mmaps *m)
{
	int ret;

	m->nets = m->config = -1;
	m->hosts = ig_map_open(pin_dir, IG_MAP_MEMBERS);
	if (m->hosts < 0)
		return m->hosts;
	m->nets = ig_map_open(pin_dir, IG_MAP_MEMBER_NETS);
	if (m->nets < 0) {
		ret = m->nets;
		goto fail;
	}
	m->config = ig_map_open(pin_dir, IG_MAP_CONFIG);
	if (m->config < 0) {
		ret = m->config;
		goto fail;
	}
	return 0;
fail:
	ig_mmaps_close(m);
	return ret;
}

void ig_mmaps_close(struct ig_mmaps *m)
{
	if (m->hosts >= 0)
		close(m->hosts);
	if (m->nets >= 0)
		close(m->nets);
	if (m->config >= 0)
		close(m->config);
	m->hosts = m->nets = m->config = -1;
}

int ig_routers_read(const char *pin_dir, struct ig_addrs *out)
{
	struct ig_v4_key key, next;
	size_t guard = 0;
	bool first = true;
	int fd, ret = 0;

	fd = ig_map_open(pin_dir, IG_MAP_ROUTERS);
	if (fd < 0)
		return fd;
	for (;;) {
		if (bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
			if (errno != ENOENT) {
				ret = -errno;
				ig_err("%s/%s: reading the router addresses: %s", pin_dir,
				       IG_MAP_ROUTERS, strerror(-ret));
			}
			break;
		}
		first = false;
		key = next;
		if (++guard > 4 * (size_t)IG_MAX_ROUTERS + 16) {
			ret = -ELOOP;
			ig_err("%s/%s: the router addresses keep changing: run it again",
			       pin_dir, IG_MAP_ROUTERS);
			break;
		}
		if (addrs_push(out, next.addr)) {
			ret = -ENOMEM;
			ig_err("out of memory");
			break;
		}
	}
	close(fd);
	return ret;
}

/*
 * Walk one map's keys (host map: struct ig_v4_key, subnet map: struct
 * ig_v4_lpm_key) and add each entry to out as an LPM key.
 */
static int read_one(int map_fd, bool hosts, struct ig_mset *out)
{
	union {
		struct ig_v4_key h;
		struct ig_v4_lpm_key n;
	} key, next;
	struct ig_v4_lpm_key k;
	struct ig_member val;
	size_t guard = 0;
	bool first = true;

	for (;;) {
		if (bpf_map_get_next_key(map_fd, first ? NULL : &key, &next)) {
			if (errno == ENOENT)
				return 0;
			return -errno;
		}
		first = false;
		key = next;
		if (++guard > 2 * (size_t)IG_MAX_MEMBERS + 16)
			return -ELOOP;               /* changing under us without end */
		if (bpf_map_lookup_elem(map_fd, &key, &val)) {
			if (errno == ENOENT)
				continue;            /* removed meanwhile */
			return -errno;
		}
		if (hosts) {
			k.prefixlen = 32;
			memcpy(k.addr, next.h.addr, sizeof(k.addr));
		} else {
			if (next.n.prefixlen > 32)
				continue;
			k = next.n;
			/* The trie only looks at prefixlen bits: compare keys the same way. */
			u32_to_v4(v4_to_u32(k.addr) & plen_mask(k.prefixlen), k.addr);
		}
		if (ig_mset_add(out, &k, &val))
			return -ENOMEM;
	}
}

int ig_members_read(const struct ig_mmaps *m, struct ig_mset *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = read_one(m->hosts, true, out);
	if (!ret)
		ret = read_one(m->nets, false, out);
	if (ret) {
		ig_mset_free(out);
		return ret;
	}
	ig_mset_sort(out);
	return 0;
}

static void apply_err(int map_fd, int err, const char *what,
		      const struct ig_v4_lpm_key *key, size_t done, size_t total,
		      const char *rest, char *buf, size_t len)
{
	struct bpf_map_info info = { 0 };
	__u32 ilen = sizeof(info);
	char pfx[IG_PREFIX_STRLEN], hint[160] = "";

	if (err == -ENOSPC || err == -E2BIG || err == -ENOMEM) {
		if (!bpf_obj_get_info_by_fd(map_fd, &info, &ilen))
			snprintf(hint, sizeof(hint), ": the members map is full (%u entries "
				 "at most); remove entries or use subnet entries",
				 info.max_entries);
		else
			snprintf(hint, sizeof(hint), ": the members map is full");
	} else if (err == -EPERM || err == -EACCES) {
		snprintf(hint, sizeof(hint), ": %s (run as root)", strerror(-err));
	} else {
		snprintf(hint, sizeof(hint), ": %s", strerror(-err));
	}
	snprintf(buf, len, "%s %s failed%s; %zu of %zu changes applied%s", what,
		 ig_prefix_fmt(key, pfx, sizeof(pfx)), hint, done, total, rest);
}

/* The map an entry belongs in, and its key there. */
static int entry_map(const struct ig_mmaps *m, const struct ig_v4_lpm_key *k,
		     struct ig_v4_key *hk, const void **key)
{
	if (k->prefixlen == 32) {
		memcpy(hk->addr, k->addr, sizeof(hk->addr));
		*key = hk;
		return m->hosts;
	}
	*key = k;
	return m->nets;
}

int ig_members_apply(const struct ig_mmaps *m, const struct ig_plan *p, char *err,
		     size_t errlen)
{
	size_t total = ig_plan_changes(p), done = 0, i;
	const struct ig_mset *phase1[2] = { &p->add, &p->update };
	struct ig_v4_key hk;
	const void *key;
	int k, fd, ret = 0;

	for (k = 0; k < 2 && !ret; k++) {
		for (i = 0; i < phase1[k]->n; i++) {
			const struct ig_mentry *e = &phase1[k]->e[i];

			fd = entry_map(m, &e->key, &hk, &key);
			if (bpf_map_update_elem(fd, key, &e->val, BPF_ANY)) {
				ret = -errno;
				apply_err(fd, ret, k ? "updating" : "adding", &e->key, done,
					  total, ", nothing removed", err, errlen);
				break;
			}
			done++;
		}
	}
	for (i = 0; i < p->remove.n && !ret; i++) {
		const struct ig_mentry *e = &p->remove.e[i];

		fd = entry_map(m, &e->key, &hk, &key);
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT) {
			ret = -errno;
			apply_err(fd, ret, "removing", &e->key, done, total, "", err, errlen);
			break;
		}
		done++;
	}
	/* After the maps, never before: the datapath tags what it caches with
	 * the generation it read before looking at the maps. */
	if (done && ig_gen_bump(m->config, IG_GEN_MEMBERS)) {
		int gerr = -errno;

		if (!ret) {
			snprintf(err, errlen, "%zu changes applied, but the member cache could "
				 "not be invalidated (%s): run the sync again", done,
				 strerror(-gerr));
			ret = gerr;
		}
	}
	return ret;
}

/* ---- managed neighbours ----------------------------------------------- */

static const char *neigh_strerror(int err)
{
	if (err == -EOPNOTSUPP)
		return "this kernel has no managed neighbour entries (needs Linux 5.16)";
	if (err == -ENETUNREACH)
		return "no unicast route: unreachable, blackhole or a local address";
	return strerror(-err);
}

/* The added /32 members from index `from` on: how many, and the first few
 * of them in buf ("a, b, c and N more"). */
static size_t added_hosts(const struct ig_plan *p, size_t from, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];
	size_t i, n = 0, o = 0;

	buf[0] = '\0';
	for (i = from; i < p->add.n; i++) {
		if (p->add.e[i].key.prefixlen != 32)
			continue;
		if (n < 8 && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", n ? ", " : "",
					      ig_fmt_v4(p->add.e[i].key.addr, a, sizeof(a)));
		n++;
	}
	if (n > 8 && o < len)
		snprintf(buf + o, len - o, " and %zu more", n - 8);
	return n;
}

static bool in_prefix(const __u8 *a, const struct ig_v4_lpm_key *k)
{
	__u32 x, y, mask = k->prefixlen ? ~0u << (32 - k->prefixlen) : 0;

	memcpy(&x, a, 4);
	memcpy(&y, k->addr, 4);
	return ((ntohl(x) ^ ntohl(y)) & mask) == 0;
}

/*
 * Our managed entries (ours: proto IG_NEIGH_PROTO) for hosts inside removed
 * subnet members, made on demand by isagate watch: delete those no member
 * covers any more and that are no gateway.  An entry that still serves a
 * member -- a /32 member, a host of a remaining subnet -- is never deleted.
 */
static size_t neigh_prune_subnets(struct ig_nl *nl, const struct ig_plan *p,
				  const struct ig_mmaps *m, int v4_ifindex,
				  unsigned char (**gws)[4], size_t *n_gws, bool gws_read)
{
	char a[INET_ADDRSTRLEN];
	unsigned char (*ours)[4] = NULL;
	size_t i, j, g, n = 0, warnings = 0;
	int ret;

	for (i = 0; i < p->remove.n; i++)
		if (p->remove.e[i].key.prefixlen < 32)
			break;
	if (i == p->remove.n || !m || m->hosts < 0 || m->nets < 0)
		return 0;
	ret = ig_neigh_ours(nl, v4_ifindex, &ours, &n);
	if (!ret && !gws_read)
		ret = ig_neigh_gateways(nl, gws, n_gws);
	if (ret) {
		ig_err("warning: reading neighbours and routes: %s: managed neighbours of "
		       "removed subnet members kept", strerror(-ret));
		free(ours);
		return 1;
	}
	for (j = 0; j < n; j++) {
		struct ig_v4_lpm_key k = { .prefixlen = 32 };
		struct ig_v4_key hk;
		struct ig_member v;

		for (i = 0; i < p->remove.n; i++)
			if (p->remove.e[i].key.prefixlen < 32 &&
			    in_prefix(ours[j], &p->remove.e[i].key))
				break;
		if (i == p->remove.n)
			continue;
		memcpy(k.addr, ours[j], 4);
		memcpy(hk.addr, ours[j], 4);
		if (!bpf_map_lookup_elem(m->hosts, &hk, &v) ||
		    !bpf_map_lookup_elem(m->nets, &k, &v))
			continue;              /* still serves a member */
		for (g = 0; g < *n_gws; g++)
			if (!memcmp((*gws)[g], ours[j], 4))
				break;
		if (g < *n_gws)
			continue;
		ig_fmt_v4(ours[j], a, sizeof(a));
		ret = ig_neigh_manage(nl, v4_ifindex, ours[j], false);
		if (ret < 0) {
			ig_err("warning: %s: cannot delete its managed neighbour: %s", a,
			       neigh_strerror(ret));
			warnings++;
		} else if (ret) {
			ig_dbg("%s: no longer in a member subnet: managed neighbour deleted", a);
		}
	}
	free(ours);
	return warnings;
}

/* One members_neigh() pass: the rtnetlink handle, the routes' gateways
 * (read once, when a removed member needs them) and the counts. */
struct neigh_pass {
	const struct ig_plan *p;
	const struct ig_mmaps *m;
	struct ig_nl *nl;
	int v4_ifindex;
	unsigned char (*gws)[4];
	size_t n_gws;
	bool gws_read, gws_bad;
	size_t warnings, failed;
};

/* The added host p->add.e[i]: make its next hop a managed neighbour.
 * false when no further host can get one (the kernel lacks the feature). */
static bool neigh_add_one(struct neigh_pass *x, size_t i)
{
	const struct ig_mentry *e = &x->p->add.e[i];
	char a[INET_ADDRSTRLEN], nh[INET_ADDRSTRLEN], list[200];
	__u8 gw[4];
	int oif, ret;
	size_t n;

	ig_fmt_v4(e->key.addr, a, sizeof(a));
	ret = ig_neigh_nexthop(x->nl, e->key.addr, &oif, gw);
	if (ret) {
		ig_err("warning: member %s: no route to it (%s): encapsulated packets "
		       "to it are dropped; add a route to it on the IPv4 side",
		       a, neigh_strerror(ret));
		x->warnings++;
		x->failed++;
		return true;
	}
	ig_fmt_v4(gw, nh, sizeof(nh));
	if (oif != x->v4_ifindex) {
		ig_dbg("%s: route leaves through ifindex %d, not the IPv4 side "
		       "(%d): no managed neighbour",
		       a, oif, x->v4_ifindex);
		return true;
	}
	ret = ig_neigh_manage(x->nl, oif, gw, true);
	if (ret >= 0) {
		ig_dbg("%s: neighbour %s %s", a, nh, ret ? "now managed" : "already managed");
		return true;
	}
	x->warnings++;
	if (ret == -EOPNOTSUPP) {
		n = added_hosts(x->p, i, list, sizeof(list));
		ig_err("warning: %s: no managed neighbour for the %zu new member(s) "
		       "%s: encapsulated packets to them are dropped while their "
		       "next hop is unresolved",
		       neigh_strerror(ret), n, list);
		x->failed += n;
		return false;
	}
	ig_err("warning: member %s: cannot make its next hop %s a managed "
	       "neighbour: %s: encapsulated packets to it are dropped while %s "
	       "is unresolved",
	       a, nh, neigh_strerror(ret), nh);
	x->failed++;
	return true;
}

/* The removed host e: delete its managed neighbour unless a remaining
 * subnet member covers it or routes go through it.  false when the routes
 * cannot be read (every other neighbour is then kept too). */
static bool neigh_remove_one(struct neigh_pass *x, const struct ig_mentry *e)
{
	char a[INET_ADDRSTRLEN];
	struct ig_member v;
	size_t g;
	int ret;

	/* Still covered by a remaining subnet member: keep it. */
	if (x->m && x->m->nets >= 0 && !bpf_map_lookup_elem(x->m->nets, &e->key, &v))
		return true;
	ig_fmt_v4(e->key.addr, a, sizeof(a));
	/* A gateway other members (or anything) route through: keep it. */
	if (!x->gws_read) {
		x->gws_read = true;
		ret = ig_neigh_gateways(x->nl, &x->gws, &x->n_gws);
		if (ret) {
			ig_err("warning: reading the routes: %s: managed neighbours of "
			       "removed members kept",
			       strerror(-ret));
			x->warnings++;
			x->gws_bad = true;
			return false;
		}
	}
	for (g = 0; g < x->n_gws; g++)
		if (!memcmp(x->gws[g], e->key.addr, 4))
			break;
	if (g < x->n_gws) {
		ig_dbg("%s: is a gateway in the routing table: managed neighbour kept", a);
		return true;
	}
	ret = ig_neigh_manage(x->nl, x->v4_ifindex, e->key.addr, false);
	if (ret < 0) {
		ig_err("warning: %s: cannot delete its managed neighbour: %s", a,
		       neigh_strerror(ret));
		x->warnings++;
	} else if (ret) {
		ig_dbg("%s: managed neighbour deleted", a);
	}
	return true;
}

/* rtnetlink cannot be opened: every new host is left without one. */
static size_t neigh_no_netlink(const struct ig_plan *p, size_t *n_failed)
{
	char list[200];
	size_t failed = added_hosts(p, 0, list, sizeof(list));

	if (failed)
		ig_err("warning: rtnetlink: %s: no managed neighbour for the %zu new "
		       "member(s) %s: encapsulated packets to them are dropped until "
		       "their next hop is resolved",
		       strerror(errno), failed, list);
	else
		ig_err("warning: rtnetlink: %s: managed neighbours of removed members "
		       "kept",
		       strerror(errno));
	if (n_failed)
		*n_failed = failed;
	return 1;
}

size_t ig_members_neigh(const struct ig_plan *p, const struct ig_mmaps *m, int v4_ifindex,
			size_t *n_failed)
{
	struct neigh_pass x = { .p = p, .m = m, .v4_ifindex = v4_ifindex };
	size_t i;

	if (n_failed)
		*n_failed = 0;
	for (i = 0; i < p->add.n; i++)
		if (p->add.e[i].key.prefixlen == 32)
			break;
	/* Nothing to do without an added /32 or a removed entry (a removed
	 * subnet's hosts may have entries made on demand by isagate watch). */
	if (i == p->add.n && !p->remove.n)
		return 0;
	x.nl = ig_nl_open();
	if (!x.nl)
		return neigh_no_netlink(p, n_failed);
	for (i = 0; i < p->add.n; i++)
		if (p->add.e[i].key.prefixlen == 32 && !neigh_add_one(&x, i))
			break;
	for (i = 0; i < p->remove.n; i++)
		if (p->remove.e[i].key.prefixlen == 32 && !neigh_remove_one(&x, &p->remove.e[i]))
			break;
	if (!x.gws_bad)
		x.warnings +=
			neigh_prune_subnets(x.nl, p, m, v4_ifindex, &x.gws, &x.n_gws, x.gws_read);
	free(x.gws);
	ig_nl_close(x.nl);
	if (n_failed)
		*n_failed = x.failed;
	return x.warnings;
}
