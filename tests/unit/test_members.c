// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_members.c - membership parser, resolution, plan (pure) and apply
 * against a real LPM trie map created here (same key/value layout as the
 * datapath's `members`).  Map tests need root (CAP_BPF); without it they
 * are reported as skipped, not passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "common.h"
#include "commands.h"
#include "directory.h"
#include "members.h"

static int skipped;


#define SKIP(why)                                                         \
	do {                                                              \
		printf("# skip %s: %s\n", h_cur_name, why);               \
		skipped++;                                                \
		return;                                                   \
	} while (0)

static struct ig_v4_lpm_key K(const char *a, __u32 plen)
{
	struct ig_v4_lpm_key k = { .prefixlen = plen };

	inet_pton(AF_INET, a, k.addr);
	return k;
}

/* Parse a string as a whole file; returns the parser's result. */
static int parse_str(const char *text, struct ig_msrc *src, char *err, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	if (!f)
		return -errno;
	ret = ig_msrc_parse_stream(src, f, "m.txt", err, len);
	fclose(f);
	return ret;
}

/* ---- parser ----------------------------------------------------------- */

static void test_parse_valid(void)
{
	const char *text =
		"# membership\n"
		"\n"
		"192.0.2.10\n"
		"   198.51.100.0/24   # lab\n"
		"\t203.0.113.7/32\r\n"
		"Host1.Example.COM.\n"
		"host-2_x.example # trailing comment\n"
		"   # indented comment\n"
		"203.0.113.128/25";        /* no final newline */
	struct ig_msrc src = { 0 };
	char err[512] = "";
	int ret = parse_str(text, &src, err, sizeof(err));

	CHECK(ret == 0, "parse failed: %d %s", ret, err);
	CHECK(src.n == 6, "n=%zu", src.n);
	if (src.n != 6)
		goto out;
	CHECK(src.items[0].kind == IG_MSRC_PREFIX && src.items[0].key.prefixlen == 32 &&
	      !memcmp(src.items[0].key.addr, "\xc0\x00\x02\x0a", 4) && src.items[0].line == 3,
	      "item 0");
	CHECK(src.items[1].kind == IG_MSRC_PREFIX && src.items[1].key.prefixlen == 24 &&
	      !memcmp(src.items[1].key.addr, "\xc6\x33\x64\x00", 4) && src.items[1].line == 4,
	      "item 1");
	CHECK(src.items[2].key.prefixlen == 32 && src.items[2].line == 5, "item 2 (CRLF)");
	CHECK(src.items[3].kind == IG_MSRC_NAME &&
	      !strcmp(src.items[3].name, "host1.example.com"), "item 3 name '%s'",
	      src.items[3].name ? src.items[3].name : "(null)");
	CHECK(src.items[4].kind == IG_MSRC_NAME &&
	      !strcmp(src.items[4].name, "host-2_x.example"), "item 4");
	CHECK(src.items[5].key.prefixlen == 25 && src.items[5].line == 9, "item 5");
out:
	ig_msrc_free(&src);
}

static void test_parse_empty(void)
{
	struct ig_msrc src = { 0 };
	char err[512] = "";

	CHECK(parse_str("", &src, err, sizeof(err)) == 0 && src.n == 0, "empty file");
	CHECK(parse_str("# only\n\n   \n#x\n", &src, err, sizeof(err)) == 0 && src.n == 0,
	      "comments only");
	ig_msrc_free(&src);
}

static void test_parse_malformed(void)
{
	static const struct {
		const char *line;
		const char *msg;
	} cases[] = {
		{ "0.0.0.0/0", "m.txt:3: '0.0.0.0/0': a /0 would admit every IPv4 host; list the member networks explicitly" },
		{ "192.0.2.10/24", "m.txt:3: '192.0.2.10/24': host bits set; did you mean 192.0.2.0/24?" },
		{ "198.51.100.1/25 # x", "m.txt:3: '198.51.100.1/25': host bits set; did you mean 198.51.100.0/25?" },
		{ "192.0.2.0/33", "m.txt:3: '192.0.2.0/33': invalid prefix length (expected /1 to /32)" },
		{ "192.0.2.0/", "m.txt:3: '192.0.2.0/': invalid prefix length (expected /1 to /32)" },
		{ "192.0.2.0/2x", "m.txt:3: '192.0.2.0/2x': invalid prefix length (expected /1 to /32)" },
		{ "192.0.2.0/-1", "m.txt:3: '192.0.2.0/-1': invalid prefix length (expected /1 to /32)" },
		{ "192.0.2.0/024", "m.txt:3: '192.0.2.0/024': invalid prefix length (expected /1 to /32)" },
		{ "192.0.2/24", "m.txt:3: '192.0.2/24': invalid IPv4 address before '/'" },
		{ "/24", "m.txt:3: '/24': invalid IPv4 address before '/'" },
		{ "host.example/24", "m.txt:3: 'host.example/24': invalid IPv4 address before '/'" },
		{ "192.0.2.256", "m.txt:3: '192.0.2.256': invalid IPv4 address (expected a.b.c.d, each 0-255, no leading zeros)" },
		{ "192.0.2", "m.txt:3: '192.0.2': invalid IPv4 address (expected a.b.c.d, each 0-255, no leading zeros)" },
		{ "192.0.2.010", "m.txt:3: '192.0.2.010': invalid IPv4 address (expected a.b.c.d, each 0-255, no leading zeros)" },
		{ "1.2.3.4.5", "m.txt:3: '1.2.3.4.5': invalid IPv4 address (expected a.b.c.d, each 0-255, no leading zeros)" },
		{ "host.123", "m.txt:3: 'host.123': invalid IPv4 address (expected a.b.c.d, each 0-255, no leading zeros)" },
		{ "127.0.0.1", "m.txt:3: '127.0.0.1' is a loopback address (127.0.0.0/8)" },
		{ "0.0.0.0", "m.txt:3: '0.0.0.0' is in 0.0.0.0/8 ('this network'), not a host address" },
		{ "224.0.0.0/4", "m.txt:3: '224.0.0.0/4' is a multicast address (224.0.0.0/4)" },
		{ "224.0.0.0/3", "m.txt:3: '224.0.0.0/3' holds only multicast and reserved addresses (224.0.0.0/3)" },
		{ "255.255.255.255", "m.txt:3: '255.255.255.255' is reserved or broadcast (240.0.0.0/4)" },
		{ "2001:db8::1", "m.txt:3: '2001:db8::1': IPv6 is not supported here; members are the hosts' IPv4 addresses" },
		{ "192.0.2.10 192.0.2.11", "m.txt:3: '192.0.2.10 192.0.2.11': unexpected text after the entry (one entry per line)" },
		{ "host1 example", "m.txt:3: 'host1 example': unexpected text after the entry (one entry per line)" },
		{ "host!.example", "m.txt:3: 'host!.example': not an IPv4 address, CIDR or host name (character '!' not allowed)" },
		{ "h\xc3\xa9.example", "m.txt:3: 'h\\xc3\\xa9.example': not an IPv4 address, CIDR or host name (byte 0xc3 not allowed)" },
		{ "host..example", "m.txt:3: 'host..example': invalid host name (empty label)" },
		{ ".example", "m.txt:3: '.example': invalid host name (empty label)" },
		{ "-host.example", "m.txt:3: '-host.example': invalid host name (a label starts or ends with '-')" },
		{ "host-.example", "m.txt:3: 'host-.example': invalid host name (a label starts or ends with '-')" },
		{ ".", "m.txt:3: '.': invalid host name" },
		{ "...", "m.txt:3: '...': invalid host name (empty label)" },
		{ "host.example/24/1", "m.txt:3: 'host.example/24/1': invalid IPv4 address before '/'" },
		{ "192.0.2.0/24/1", "m.txt:3: '192.0.2.0/24/1': invalid prefix length (expected /1 to /32)" },
		{ "a-really-long.entry-that-goes-on.and-on-and-on.far-past-the-quote-limit.of-the-message!",
		  "m.txt:3: 'a-really-long.entry-that-goes-on.and-on-and-on.far-past-the-quote-limit.of-...': not an IPv4 address, CIDR or host name (character '!' not allowed)" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
		  "m.txt:3: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example': invalid host name (label longer than 63 characters)" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], err[512] = "";
		struct ig_msrc src = { 0 };
		int ret;

		snprintf(text, sizeof(text), "192.0.2.1\n# ok so far\n  %s  \n192.0.2.2\n",
			 cases[i].line);
		ret = parse_str(text, &src, err, sizeof(err));
		CHECK(ret == -EINVAL, "'%s': ret %d", cases[i].line, ret);
		CHECK(!strcmp(err, cases[i].msg), "'%s':\n     got  \"%s\"\n     want \"%s\"",
		      cases[i].line, err, cases[i].msg);
		ig_msrc_free(&src);
	}
}

static void test_parse_long_name_and_nul(void)
{
	char text[400], err[512] = "";
	struct ig_msrc src = { 0 };
	size_t i, o = 0;

	/* 4 labels of 63 + dots = 255 > 253 */
	for (i = 0; i < 4; i++) {
		memset(text + o, 'a', 63);
		o += 63;
		text[o++] = i < 3 ? '.' : '\n';
	}
	text[o] = '\0';
	CHECK(parse_str(text, &src, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "m.txt:1: ") == err && strstr(err, "host name longer than 253 characters"),
	      "long name: %s", err);
	ig_msrc_free(&src);

	{
		static const char nul[] = "192.0.2.1\n19\0002.0.2.2\n";
		FILE *f = fmemopen((void *)nul, sizeof(nul) - 1, "r");
		int ret = ig_msrc_parse_stream(&src, f, "-", err, sizeof(err));

		fclose(f);
		CHECK(ret == -EINVAL && !strcmp(err, "-:2: NUL byte in the line (not a text file?)"),
		      "nul: %d %s", ret, err);
		ig_msrc_free(&src);
	}
}

static void test_name_hash(void)
{
	/* FNV-1a 64 reference values */
	CHECK(ig_name_hash("") == 0xcbf29ce484222325ull, "empty");
	CHECK(ig_name_hash("a") == 0xaf63dc4c8601ec8cull, "a");
	CHECK(ig_name_hash("foobar") == 0x85944171f73967e8ull, "foobar");
}

/* ---- resolution ------------------------------------------------------- */

struct fake_dns {
	const char *name;
	const char *addrs[4];
	int code;
};

static const struct fake_dns fake_zone[] = {
	{ "host1.example", { "192.0.2.10" }, 0 },
	{ "multi.example", { "192.0.2.20", "192.0.2.21", "192.0.2.20" }, 0 },
	{ "dup.example", { "192.0.2.10", "192.0.2.30" }, 0 },
	{ "lit.example", { "198.51.100.5" }, 0 },
	{ "down.example", { NULL }, EAI_AGAIN },
	{ "a-very-long-host-name-that-is-truncated-in-the-map.example", { "203.0.113.9" }, 0 },
	{ NULL, { NULL }, 0 },
};

static int fake_resolve(void *ctx, const char *name, struct ig_addrs *out)
{
	const struct fake_dns *z = ctx;
	size_t i;

	for (; z->name; z++) {
		if (strcmp(z->name, name))
			continue;
		if (z->code)
			return z->code;
		for (i = 0; i < 4 && z->addrs[i]; i++) {
			__u8 a[4];

			inet_pton(AF_INET, z->addrs[i], a);
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 4;
				out->a = realloc(out->a, out->cap * sizeof(*out->a));
			}
			memcpy(out->a[out->n++], a, 4);
		}
		return 0;
	}
	return EAI_NONAME;
}

static int desired_from(const char *text, struct ig_desired *want)
{
	struct ig_msrc src = { 0 };
	char err[512];
	int ret = parse_str(text, &src, err, sizeof(err));

	if (!ret)
		ret = ig_members_resolve(&src, fake_resolve, (void *)fake_zone, want);
	ig_msrc_free(&src);
	return ret;
}

static void test_resolve(void)
{
	struct ig_desired want = { 0 };
	const struct ig_mentry *e;
	struct ig_v4_lpm_key k;
	int ret;

	ret = desired_from("Host1.example\nmulti.example\ndup.example\nlit.example\n"
			   "198.51.100.5\ndown.example\nnowhere.example\ndown.example\n"
			   "198.51.100.0/24\n"
			   "a-very-long-host-name-that-is-truncated-in-the-map.example\n", &want);
	CHECK(ret == 0, "resolve %d", ret);
	/* 192.0.2.10 (host1 first), .20, .21, .30, 198.51.100.0/24, .5, 203.0.113.9 */
	CHECK(want.set.n == 7, "n=%zu", want.set.n);

	k = K("192.0.2.10", 32);
	e = ig_mset_find(&want.set, &k);
	CHECK(e && !strcmp(e->val.name, "host1.example") &&
	      e->val.name_hash == ig_name_hash("host1.example") &&
	      e->val.flags == IG_MEMBER_F_NAME && e->val.since == 0,
	      "192.0.2.10: first name wins, lowercase hash");
	k = K("192.0.2.30", 32);
	e = ig_mset_find(&want.set, &k);
	CHECK(e && !strcmp(e->val.name, "dup.example"), "192.0.2.30 from dup");
	k = K("198.51.100.5", 32);
	e = ig_mset_find(&want.set, &k);
	CHECK(e && e->val.name_hash == 0 && e->val.name[0] == '\0' && e->val.flags == 0,
	      "literal wins over lit.example, even listed after it");
	k = K("198.51.100.0", 24);
	e = ig_mset_find(&want.set, &k);
	CHECK(e && e->val.flags == IG_MEMBER_F_SUBNET, "subnet flag");
	k = K("203.0.113.9", 32);
	e = ig_mset_find(&want.set, &k);
	CHECK(e && strlen(e->val.name) == IG_NAME_LEN - 1 &&
	      !strncmp(e->val.name, "a-very-long-host-name", 21) &&
	      e->val.name_hash == ig_name_hash("a-very-long-host-name-that-is-truncated-in-the-map.example"),
	      "long name truncated, hash of the full name");

	CHECK(want.n_unres == 2, "unresolved %zu", want.n_unres);
	if (want.n_unres == 2) {
		CHECK(!strcmp(want.unres[0].name, "down.example") &&
		      want.unres[0].code == EAI_AGAIN, "down.example once, EAI_AGAIN");
		CHECK(!strcmp(want.unres[1].name, "nowhere.example") &&
		      want.unres[1].hash == ig_name_hash("nowhere.example"), "nowhere");
	}
	ig_desired_free(&want);
}

static void test_resolve_system(void)
{
	struct ig_addrs out = { 0 };
	int code;

	/* RFC 6761: .invalid never resolves, whatever the resolver. */
	code = ig_resolve_system(NULL, "isagate-test.invalid", &out);
	CHECK(code != 0 && out.n == 0, "isagate-test.invalid resolved (code %d)", code);

	out.n = 0;
	code = ig_resolve_system(NULL, "localhost", &out);
	if (code || out.n == 0 || memcmp(out.a[0], "\x7f\x00\x00\x01", 4)) {
		free(out.a);
		SKIP("'localhost' does not resolve to 127.0.0.1 here");
	}
	CHECK(out.n >= 1, "localhost");
	free(out.a);
}

/* Issue 15 (7): names the C library reads as numbers are refused. */
static void test_parse_numeric_names(void)
{
	static const struct {
		const char *name, *addr;
	} cases[] = {
		{ "0x7f000001", "127.0.0.1" }, { "0x0", "0.0.0.0" }, { "0xa.0x1", "10.0.0.1" },
		{ "0xffffffff", "255.255.255.255" }, { "0X7F000001", "127.0.0.1" },
		{ "0x7f000001.", "127.0.0.1" }, { "0xc0.0xa8.0x1", "192.168.0.1" },
		{ "0xc0.0250.0x0.0x1", "192.168.0.1" },
	};
	/* all digits: refused as malformed addresses already */
	static const char *const plain[] = { "017.1", "1.2.3", "10.1", "0x7f.1", "0300.0250.0.1" };
	struct ig_dir_computer comp[] = {
		{ .dn = "CN=PC1,DC=corp", .host = "0x7f000001" },
		{ .dn = "CN=PC2,DC=corp", .host = "0xa.0x1" },
		{ .dn = "CN=PC3,DC=corp", .host = "pc3.corp.example" },
	};
	struct ig_dir_result dr = { .c = comp, .n = 3 };
	struct ig_msrc src = { 0 };
	char text[128], want[256], err[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "192.0.2.1\n# ok so far\n  %s  \n", cases[i].name);
		snprintf(want, sizeof(want), "m.txt:3: '%s': a number, not a host name: the "
			 "resolver would take it as the IPv4 address %s; write addresses as a.b.c.d",
			 cases[i].name, cases[i].addr);
		err[0] = '\0';
		CHECK(parse_str(text, &src, err, sizeof(err)) == -EINVAL && !strcmp(err, want),
		      "'%s':\n     got  \"%s\"\n     want \"%s\"", cases[i].name, err, want);
		ig_msrc_free(&src);
		CHECK(ig_msrc_add_name(&src, cases[i].name, IG_MEMBER_F_DIRECTORY, 0, err,
				       sizeof(err)) == -EINVAL && src.n == 0,
		      "'%s' taken as a directory name", cases[i].name);
		ig_msrc_free(&src);
	}
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		snprintf(text, sizeof(text), "%s\n", plain[i]);
		CHECK(parse_str(text, &src, err, sizeof(err)) == -EINVAL, "'%s' accepted", plain[i]);
		ig_msrc_free(&src);
	}
	/* the directory: such a dNSHostName is skipped with a warning */
	CHECK(ig_dir_to_source(&dr, &src) == 2 && src.n == 1 && src.items[0].kind == IG_MSRC_NAME,
	      "numeric dNSHostNames skipped (n=%zu)", src.n);
	ig_msrc_free(&src);
	/* still names: a label that starts with digits, hex-looking words */
	CHECK(parse_str("0xbeef-pc.corp.example\n1host.example\ndeadbeef.example\n", &src, err,
			sizeof(err)) == 0 && src.n == 3, "real names refused: %s", err);
	ig_msrc_free(&src);
}

static void test_resolve_transient(void)
{
	CHECK(ig_resolve_transient(EAI_AGAIN, 0), "EAI_AGAIN");
	CHECK(ig_resolve_transient(EAI_FAIL, 0), "EAI_FAIL");
	CHECK(ig_resolve_transient(EAI_MEMORY, 0), "EAI_MEMORY");
	CHECK(ig_resolve_transient(EAI_SYSTEM, ETIMEDOUT), "EAI_SYSTEM ETIMEDOUT");
	CHECK(ig_resolve_transient(EAI_SYSTEM, ECONNREFUSED), "EAI_SYSTEM ECONNREFUSED");
	CHECK(!ig_resolve_transient(EAI_SYSTEM, ENOENT), "EAI_SYSTEM ENOENT");
	CHECK(!ig_resolve_transient(EAI_NONAME, 0), "EAI_NONAME");
	CHECK(!ig_resolve_transient(EAI_NODATA, 0), "EAI_NODATA");
	CHECK(!ig_resolve_transient(EAI_ADDRFAMILY, 0), "EAI_ADDRFAMILY");
}

/* ---- plan ------------------------------------------------------------- */

static void cur_add(struct ig_mset *cur, const char *a, __u32 plen, const char *name,
		    __u32 since)
{
	struct ig_v4_lpm_key k = K(a, plen);
	struct ig_member v = { .since = since };

	if (name) {
		v.flags = IG_MEMBER_F_NAME;
		v.name_hash = ig_name_hash(name);
		snprintf(v.name, sizeof(v.name), "%s", name);
	}
	if (plen < 32)
		v.flags |= IG_MEMBER_F_SUBNET;
	ig_mset_add(cur, &k, &v);
}

static bool has(const struct ig_mset *s, const char *a, __u32 plen)
{
	struct ig_v4_lpm_key k = K(a, plen);

	return ig_mset_find(s, &k) != NULL;
}

static void test_plan(void)
{
	struct ig_mset cur = { 0 };
	struct ig_desired want = { 0 };
	struct ig_plan p = { 0 };
	const struct ig_mentry *e;
	struct ig_v4_lpm_key k;
	int ret;

	cur_add(&cur, "192.0.2.10", 32, "host1.example", 1000);   /* kept */
	cur_add(&cur, "192.0.2.66", 32, NULL, 1001);              /* removed */
	cur_add(&cur, "192.0.2.40", 32, "down.example", 1002);    /* fail-static */
	cur_add(&cur, "192.0.2.41", 32, "down.example", 1003);    /* fail-static */
	cur_add(&cur, "192.0.2.30", 32, "old.example", 1004);     /* updated -> dup.example */
	cur_add(&cur, "198.51.100.5", 32, "lit.example", 1005);   /* updated -> literal */
	cur_add(&cur, "192.0.2.50", 32, "gone.example", 1006);    /* removed (not in file) */
	ig_mset_sort(&cur);

	ret = desired_from("host1.example\ndup.example\n198.51.100.5\ndown.example\n"
			   "203.0.113.0/24\n", &want);
	CHECK(ret == 0, "desired");
	ret = ig_members_plan(&cur, &want, 5000, IG_STALE_MAX_DEFAULT, &p);
	CHECK(ret == 0, "plan %d", ret);

	CHECK(p.add.n == 1 && has(&p.add, "203.0.113.0", 24) && p.add.e[0].val.since == 5000 &&
	      p.add.e[0].val.flags == IG_MEMBER_F_SUBNET, "add");
	/* 2 changed values + the 2 entries of down.example marked stale */
	CHECK(p.update.n == 4 && p.was.n == 4, "update %zu", p.update.n);
	k = K("192.0.2.40", 32);
	e = ig_mset_find(&p.update, &k);
	CHECK(e && (e->val.flags & IG_MEMBER_F_STALE) && e->val.since == 5000,
	      "fail-static entry marked stale since now");
	k = K("192.0.2.30", 32);
	e = ig_mset_find(&p.update, &k);
	CHECK(e && !strcmp(e->val.name, "dup.example") && e->val.since == 1004,
	      "update keeps since");
	k = K("198.51.100.5", 32);
	e = ig_mset_find(&p.update, &k);
	CHECK(e && e->val.name_hash == 0 && e->val.flags == 0 && e->val.since == 1005,
	      "literal replaces name");
	CHECK(p.remove.n == 2 && has(&p.remove, "192.0.2.66", 32) &&
	      has(&p.remove, "192.0.2.50", 32), "remove");
	CHECK(p.keep.n == 1 && has(&p.keep, "192.0.2.10", 32) && has(&p.update, "192.0.2.40", 32) &&
	      has(&p.update, "192.0.2.41", 32), "keep %zu", p.keep.n);
	k = K("192.0.2.10", 32);
	e = ig_mset_find(&p.keep, &k);
	CHECK(e && e->val.since == 1000, "kept since");
	CHECK(p.n_unres == 1 && !strcmp(p.unres[0].name, "down.example") && p.unres[0].kept == 2,
	      "unresolved down.example keeps 2");
	CHECK(ig_plan_changes(&p) == 7, "changes");
	ig_plan_free(&p);

	/* Unsorted input is refused rather than producing a wrong diff. */
	{
		struct ig_mset bad = { 0 };

		cur_add(&bad, "192.0.2.9", 32, NULL, 1);
		cur_add(&bad, "192.0.2.1", 32, NULL, 1);
		CHECK(ig_members_plan(&bad, &want, 1, IG_STALE_MAX_DEFAULT, &p) == -EINVAL, "unsorted");
		ig_mset_free(&bad);
	}
	ig_desired_free(&want);
	ig_mset_free(&cur);
}

static void test_plan_empty_and_idempotent(void)
{
	struct ig_mset cur = { 0 };
	struct ig_desired want = { 0 };
	struct ig_plan p = { 0 };

	CHECK(desired_from("192.0.2.10\n192.0.2.0/28\n", &want) == 0, "desired");
	CHECK(ig_members_plan(&cur, &want, 7, IG_STALE_MAX_DEFAULT, &p) == 0 && p.add.n == 2 && p.remove.n == 0 &&
	      p.keep.n == 0, "from empty");
	/* the map after that plan, then the same file again: all kept */
	ig_mset_free(&cur);
	ig_mset_add(&cur, &p.add.e[0].key, &p.add.e[0].val);
	ig_mset_add(&cur, &p.add.e[1].key, &p.add.e[1].val);
	ig_mset_sort(&cur);
	ig_plan_free(&p);
	CHECK(ig_members_plan(&cur, &want, 9, IG_STALE_MAX_DEFAULT, &p) == 0 && ig_plan_changes(&p) == 0 &&
	      p.keep.n == 2 && p.keep.e[0].val.since == 7, "idempotent");
	ig_plan_free(&p);
	ig_desired_free(&want);

	/* empty desired removes everything */
	CHECK(ig_members_plan(&cur, &want, 9, IG_STALE_MAX_DEFAULT, &p) == 0 && p.remove.n == 2, "to empty");
	ig_plan_free(&p);
	ig_mset_free(&cur);
}

static const struct fake_dns evil_zone[] = {
	{ "evil.example", { "127.0.0.1", "192.0.2.1", "224.0.0.5", "192.0.2.50" }, 0 },
	{ "bcast.example", { "255.255.255.255", "0.1.2.3", "240.0.0.1", "192.0.2.3" }, 0 },
	{ NULL, { NULL }, 0 },
};

/* Issue 15 (7): every resolved address is checked. */
static void test_resolve_rejects_addresses(void)
{
	struct ig_desired want = { 0 };
	struct ig_msrc src = { 0 };
	struct ig_mset cur = { 0 };
	struct ig_plan p = { 0 };
	struct ig_addrs deny = { 0 };
	__u8 r[2][4] = { { 192, 0, 2, 1 }, { 192, 0, 2, 3 } };
	char err[512];

	deny.a = r;
	deny.n = deny.cap = 2;
	CHECK(parse_str("evil.example\nbcast.example\nevil.example\n192.0.2.60\n", &src, err,
			sizeof(err)) == 0, "parse");
	CHECK(ig_members_resolve_deny(&src, fake_resolve, (void *)evil_zone, &deny, &want) == 0,
	      "resolve");
	CHECK(want.set.n == 2 && has(&want.set, "192.0.2.50", 32) && has(&want.set, "192.0.2.60", 32),
	      "only unicast, non-router addresses (n=%zu)", want.set.n);
	CHECK(want.n_rej == 7, "7 refused (each once), got %zu", want.n_rej);
	CHECK(want.n_rej == 7 && !strcmp(want.rej[0].name, "bcast.example") &&
	      !memcmp(want.rej[0].addr, "\x00\x01\x02\x03", 4) && strstr(want.rej[0].why, "0.0.0.0/8"),
	      "sorted by name and address");
	/* without deny the router's addresses are still not multicast ... but taken */
	ig_desired_free(&want);
	CHECK(ig_members_resolve(&src, fake_resolve, (void *)evil_zone, &want) == 0 &&
	      want.set.n == 4 && !has(&want.set, "127.0.0.1", 32), "no deny list: unicast only");
	ig_desired_free(&want);

	/* a name that now resolves only to refused addresses loses its old ones */
	ig_msrc_free(&src);
	CHECK(parse_str("bcast.example\n", &src, err, sizeof(err)) == 0, "parse");
	cur_add(&cur, "192.0.2.77", 32, "bcast.example", 100);
	CHECK(ig_members_resolve_deny(&src, fake_resolve, (void *)evil_zone, &deny, &want) == 0 &&
	      ig_members_plan(&cur, &want, 200, IG_STALE_MAX_DEFAULT, &p) == 0, "plan");
	CHECK(p.remove.n == 1 && p.add.n == 0 && p.keep.n == 0, "old address removed");
	ig_plan_free(&p);
	ig_desired_free(&want);
	ig_mset_free(&cur);
	ig_msrc_free(&src);
}

static const struct fake_dns stale_zone[] = {
	{ "host1.example", { "192.0.2.10" }, 0 },
	{ "down.example", { NULL }, EAI_AGAIN },
	{ "fail.example", { NULL }, EAI_FAIL },
	{ "gone.example", { NULL }, EAI_NONAME },
	{ "nodata.example", { NULL }, 0 },           /* the name, no A record */
	{ NULL, { NULL }, 0 },
};

static int plan_at(const struct ig_mset *cur, __u32 now, __u32 stale_max, struct ig_plan *p)
{
	struct ig_desired want = { 0 };
	struct ig_msrc src = { 0 };
	char err[512];
	int ret;

	ret = parse_str("host1.example\ndown.example\nfail.example\ngone.example\n"
			"nodata.example\n", &src, err, sizeof(err));
	if (!ret)
		ret = ig_members_resolve(&src, fake_resolve, (void *)stale_zone, &want);
	if (!ret)
		ret = ig_members_plan(cur, &want, now, stale_max, p);
	ig_desired_free(&want);
	ig_msrc_free(&src);
	return ret;
}

/* The map after a plan: keep + add + update. */
static void plan_result(const struct ig_plan *p, struct ig_mset *out)
{
	const struct ig_mset *parts[3] = { &p->keep, &p->add, &p->update };
	size_t k, i;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < 3; k++)
		for (i = 0; i < parts[k]->n; i++)
			ig_mset_add(out, &parts[k]->e[i].key, &parts[k]->e[i].val);
	ig_mset_sort(out);
}

static const struct ig_unres *unres_of(const struct ig_plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_unres; i++)
		if (!strcmp(p->unres[i].name, name))
			return &p->unres[i];
	return NULL;
}

/* Issue 15 (8): only temporary failures keep addresses, and only for
 * stale_max seconds; the time is the caller's. */
static void test_plan_stale(void)
{
	struct ig_mset cur = { 0 }, next = { 0 };
	struct ig_plan p = { 0 };
	const struct ig_mentry *e;
	const struct ig_unres *u;
	struct ig_v4_lpm_key k;

	cur_add(&cur, "192.0.2.10", 32, "host1.example", 100);
	cur_add(&cur, "192.0.2.40", 32, "down.example", 100);
	cur_add(&cur, "192.0.2.41", 32, "fail.example", 100);
	cur_add(&cur, "192.0.2.42", 32, "gone.example", 100);
	cur_add(&cur, "192.0.2.43", 32, "nodata.example", 100);
	ig_mset_sort(&cur);

	CHECK(plan_at(&cur, 1000, 86400, &p) == 0, "plan");
	CHECK(has(&p.remove, "192.0.2.42", 32) && has(&p.remove, "192.0.2.43", 32) &&
	      p.remove.n == 2, "NXDOMAIN and no A record: removed at once (remove %zu)", p.remove.n);
	u = unres_of(&p, "gone.example");
	CHECK(u && u->removed == 1 && u->kept == 0, "gone.example: 1 removed");
	k = K("192.0.2.40", 32);
	e = ig_mset_find(&p.update, &k);
	CHECK(e && (e->val.flags & IG_MEMBER_F_STALE) && e->val.since == 1000 &&
	      e->val.name_hash == ig_name_hash("down.example"), "EAI_AGAIN: marked stale at 1000");
	CHECK(has(&p.update, "192.0.2.41", 32), "EAI_FAIL: marked stale");
	u = unres_of(&p, "down.example");
	CHECK(u && u->kept == 1 && u->stale_since == 1000, "down.example kept, stale since 1000");
	CHECK(has(&p.keep, "192.0.2.10", 32), "resolving name kept");

	/* a day less a second later: kept, unchanged */
	plan_result(&p, &next);
	ig_plan_free(&p);
	CHECK(plan_at(&next, 1000 + 86399, 86400, &p) == 0, "plan");
	CHECK(ig_plan_changes(&p) == 0 && has(&p.keep, "192.0.2.40", 32), "still within stale-max");
	u = unres_of(&p, "down.example");
	CHECK(u && u->kept == 1 && u->stale_since == 1000, "stale since kept");
	ig_plan_free(&p);
	/* a clock set back does not make it older */
	CHECK(plan_at(&next, 10, 86400, &p) == 0 && ig_plan_changes(&p) == 0, "clock back");
	ig_plan_free(&p);
	/* a day later: gone */
	CHECK(plan_at(&next, 1000 + 86400, 86400, &p) == 0, "plan");
	CHECK(p.remove.n == 2 && has(&p.remove, "192.0.2.40", 32) && has(&p.remove, "192.0.2.41", 32),
	      "stale for stale-max: removed (%zu)", p.remove.n);
	u = unres_of(&p, "down.example");
	CHECK(u && u->expired == 1 && u->kept == 0, "down.example expired");
	ig_plan_free(&p);
	ig_mset_free(&next);

	/* stale_max 0: no fail-static at all */
	CHECK(plan_at(&cur, 1000, 0, &p) == 0 && p.remove.n == 4 && p.update.n == 0,
	      "stale-max 0 removes every failing name (%zu)", p.remove.n);
	ig_plan_free(&p);

	/* a stale entry whose name resolves again: flag cleared, since = now */
	ig_mset_free(&cur);
	cur_add(&cur, "192.0.2.10", 32, "host1.example", 500);
	cur.e[0].val.flags |= IG_MEMBER_F_STALE;
	CHECK(plan_at(&cur, 3000, 86400, &p) == 0 && p.update.n == 1 &&
	      p.update.e[0].val.flags == IG_MEMBER_F_NAME && p.update.e[0].val.since == 3000,
	      "confirmed again");
	ig_plan_free(&p);
	ig_mset_free(&cur);
}

/* ---- apply against real maps (host hash + subnet LPM trie) ---------- */

static int make_maps(__u32 max, struct ig_mmaps *m)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);

	m->hosts = bpf_map_create(BPF_MAP_TYPE_HASH, "t_members", sizeof(struct ig_v4_key),
				  sizeof(struct ig_member), max, &o);
	m->nets = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "t_member_nets",
				 sizeof(struct ig_v4_lpm_key), sizeof(struct ig_member), max, &o);
	/* the generation is a field of config, bumped through its mapping */
	m->config = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_config", sizeof(__u32),
				   sizeof(struct ig_config), 1, &mo);
	if (m->hosts < 0 || m->nets < 0 || m->config < 0) {
		ig_mmaps_close(m);
		return -1;
	}
	return 0;
}

static __u64 gen_of(const struct ig_mmaps *m)
{
	struct ig_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->config, &zero, &cfg))
		return ~0ull;
	return cfg.member_gen;
}

static void map_put(const struct ig_mmaps *m, const char *a, __u32 plen, const char *name,
		    __u32 since)
{
	struct ig_mset s = { 0 };
	struct ig_v4_key hk;

	cur_add(&s, a, plen, name, since);
	if (plen == 32) {
		memcpy(hk.addr, s.e[0].key.addr, 4);
		bpf_map_update_elem(m->hosts, &hk, &s.e[0].val, BPF_ANY);
	} else {
		bpf_map_update_elem(m->nets, &s.e[0].key, &s.e[0].val, BPF_ANY);
	}
	ig_mset_free(&s);
}

/* What the datapath does: the host entry, else the longest subnet. */
static int map_get(const struct ig_mmaps *m, const char *a, struct ig_member *v)
{
	struct ig_v4_lpm_key k = K(a, 32);
	struct ig_v4_key hk;

	memcpy(hk.addr, k.addr, 4);
	if (!bpf_map_lookup_elem(m->hosts, &hk, v))
		return 0;
	return bpf_map_lookup_elem(m->nets, &k, v);
}

/* Every key and value byte of the maps, in key order. */
static size_t snapshot(const struct ig_mmaps *m, struct ig_mentry *out, size_t max)
{
	struct ig_mset s = { 0 };
	size_t n;

	if (ig_members_read(m, &s))
		return (size_t)-1;
	n = s.n < max ? s.n : max;
	memcpy(out, s.e, n * sizeof(*out));
	ig_mset_free(&s);
	return n;
}

static int sync_text(const struct ig_mmaps *m, const char *text, __u32 now, struct ig_plan *p,
		     char *err, size_t errlen)
{
	struct ig_desired want = { 0 };
	struct ig_mset cur = { 0 };
	int ret;

	ret = desired_from(text, &want);
	if (!ret)
		ret = ig_members_read(m, &cur);
	if (!ret)
		ret = ig_members_plan(&cur, &want, now, IG_STALE_MAX_DEFAULT, p);
	if (!ret)
		ret = ig_members_apply(m, p, err, errlen);
	ig_mset_free(&cur);
	ig_desired_free(&want);
	return ret;
}

static void test_apply(void)
{
	struct ig_plan p = { 0 };
	struct ig_mentry snap[16];
	struct ig_mmaps m;
	struct ig_member v;
	char err[512] = "";
	size_t n;
	int ret;

	if (make_maps(64, &m))
		SKIP("cannot create BPF maps (not root?)");
	map_put(&m, "192.0.2.10", 32, "host1.example", 1000);
	map_put(&m, "192.0.2.66", 32, NULL, 1001);
	map_put(&m, "192.0.2.40", 32, "down.example", 1002);

	ret = sync_text(&m, "host1.example\n192.0.2.11\ndown.example\n198.51.100.0/24\n",
			5000, &p, err, sizeof(err));
	CHECK(ret == 0, "apply: %d %s", ret, err);
	ig_plan_free(&p);
	CHECK(gen_of(&m) == 1, "the generation moved once (datapath member caches stale)");
	n = snapshot(&m, snap, 16);
	CHECK(n == 4, "entries %zu", n);
	CHECK(!map_get(&m, "192.0.2.10", &v) && v.since == 1000 &&
	      !strcmp(v.name, "host1.example"), "kept entry keeps since");
	CHECK(!map_get(&m, "192.0.2.40", &v) && v.since == 5000 && (v.flags & IG_MEMBER_F_STALE),
	      "fail-static kept, stale since the sync");
	CHECK(!map_get(&m, "192.0.2.11", &v) && v.since == 5000, "added since=now");
	CHECK(map_get(&m, "192.0.2.66", &v) && errno == ENOENT, "removed");
	/* the subnet entry went to the trie: a host inside it matches */
	CHECK(!map_get(&m, "198.51.100.77", &v) && (v.flags & IG_MEMBER_F_SUBNET), "LPM match");
	ig_mmaps_close(&m);
}

static void test_apply_adds_before_removes(void)
{
	struct ig_plan p = { 0 };
	struct ig_member v;
	struct ig_mmaps m;
	char err[512] = "";
	int ret;

	if (make_maps(2, &m))
		SKIP("cannot create BPF maps (not root?)");
	/* Full map {A, B} -> {B, C}: adding C first must fail with the map full
	 * and A must still be there (removes only after every add). */
	map_put(&m, "192.0.2.1", 32, NULL, 1);
	map_put(&m, "192.0.2.2", 32, NULL, 1);
	ret = sync_text(&m, "192.0.2.2\n192.0.2.3\n", 10, &p, err, sizeof(err));
	CHECK(ret == -ENOSPC || ret == -E2BIG, "full map: %d", ret);
	CHECK(strstr(err, "adding 192.0.2.3/32 failed: the members map is full (2 entries at most)") &&
	      strstr(err, "0 of 2 changes applied, nothing removed"), "message: %s", err);
	ig_plan_free(&p);
	CHECK(!map_get(&m, "192.0.2.1", &v), "A still present after the failure");
	CHECK(!map_get(&m, "192.0.2.2", &v), "B present");
	CHECK(gen_of(&m) == 0, "nothing applied: the generation did not move");
	ig_mmaps_close(&m);

	/* Room for one more: the same sync succeeds and ends as {B, C}. */
	if (make_maps(3, &m))
		SKIP("cannot create BPF maps");
	map_put(&m, "192.0.2.1", 32, NULL, 1);
	map_put(&m, "192.0.2.2", 32, NULL, 1);
	ret = sync_text(&m, "192.0.2.2\n192.0.2.3\n", 10, &p, err, sizeof(err));
	CHECK(ret == 0, "sync %d %s", ret, err);
	ig_plan_free(&p);
	CHECK(map_get(&m, "192.0.2.1", &v), "A removed");
	CHECK(!map_get(&m, "192.0.2.3", &v) && v.since == 10, "C added");
	ig_mmaps_close(&m);
}

/* ---- the command, against maps pinned in a scratch directory ----------- */

/* members, member_nets, member_gen, routers (192.0.2.1 this router,
 * 192.0.2.3 a peer) and config (IPv4 side ifindex 1) pinned under dir. */
struct pinned {
	char dir[64];
	char file[32];               /* a scratch membership file */
	struct ig_mmaps m;
	int routers; /* the config map is m.config */
};

static const char *const pin_names[] = {
	IG_MAP_MEMBERS,
	IG_MAP_MEMBER_NETS,
	IG_MAP_CONFIG,
	IG_MAP_ROUTERS,
};

static void pin_down(struct pinned *pn)
{
	char path[128];
	size_t i;

	for (i = 0; pn->dir[0] && i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pn->dir, pin_names[i]);
		unlink(path);
	}
	if (pn->dir[0])
		rmdir(pn->dir);
	if (pn->file[0])
		unlink(pn->file);
	ig_mmaps_close(&pn->m);
	if (pn->routers >= 0)
		close(pn->routers);
	memset(pn, 0, sizeof(*pn));
	pn->routers = -1;
}

/* 0, or a reason to skip (everything released). */
static const char *pin_up(struct pinned *pn)
{
	struct ig_router r = { .flags = IG_ROUTER_F_SELF };
	struct ig_config cfg = { .abi_version = ISAGATE_ABI_VERSION, .v4_ifindex = 1 };
	struct ig_v4_key rk;
	char path[128];
	__u32 zero = 0;
	int fds[4], tfd;
	size_t i;

	memset(pn, 0, sizeof(*pn));
	pn->routers = -1;
	if (make_maps(64, &pn->m)) {
		pn->m.hosts = pn->m.nets = pn->m.config = -1;
		return "cannot create BPF maps (not root?)";
	}
	pn->routers = bpf_map_create(BPF_MAP_TYPE_HASH, "t_routers", sizeof(rk), sizeof(r),
				     16, NULL);
	if (pn->routers < 0) {
		pin_down(pn);
		return "cannot create BPF maps";
	}
	inet_pton(AF_INET, "192.0.2.1", rk.addr);
	bpf_map_update_elem(pn->routers, &rk, &r, BPF_ANY);
	r.flags = IG_ROUTER_F_PEER;
	inet_pton(AF_INET, "192.0.2.3", rk.addr);
	bpf_map_update_elem(pn->routers, &rk, &r, BPF_ANY);
	bpf_map_update_elem(pn->m.config, &zero, &cfg, BPF_ANY); /* config: make_maps */

	snprintf(pn->dir, sizeof(pn->dir), "/sys/fs/bpf/ig-test-members-XXXXXX");
	if (!mkdtemp(pn->dir)) {
		pn->dir[0] = '\0';
		pin_down(pn);
		return "no writable bpffs at /sys/fs/bpf";
	}
	fds[0] = pn->m.hosts;
	fds[1] = pn->m.nets;
	fds[2] = pn->m.config;
	fds[3] = pn->routers;
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", pn->dir, pin_names[i]);
		if (bpf_obj_pin(fds[i], path)) {
			pin_down(pn);
			return "cannot pin under /sys/fs/bpf";
		}
	}
	snprintf(pn->file, sizeof(pn->file), "/tmp/ig-members-XXXXXX");
	tfd = mkstemp(pn->file);
	if (tfd < 0) {
		pn->file[0] = '\0';
		pin_down(pn);
		return "cannot create a temporary file";
	}
	close(tfd);
	return NULL;
}

static void put_file(const struct pinned *pn, const char *text)
{
	FILE *f = fopen(pn->file, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* `members sync FILE --pin-dir DIR --no-neigh [extra...]` (NULL-terminated
 * extras) with env (NULL: the system's). */
static int run_sync(const struct pinned *pn, const struct ig_members_env *env, ...)
{
	char *argv[16] = { "members", "sync", (char *)pn->file, "--pin-dir", (char *)pn->dir };
	int argc = 5;
	va_list ap;
	char *a;

	va_start(ap, env);
	while ((a = va_arg(ap, char *)) && argc < 15)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return env ? cmd_members_env(argc, argv, env) : cmd_members(argc, argv);
}

/* The real command path: a malformed file leaves the pinned map exactly as
 * it was, and a good file then applies. */
static void test_cmd_sync_malformed_unchanged(void)
{
	struct ig_mentry before[16], after[16];
	struct pinned pn;
	const char *why;
	size_t nb, na;
	int rc;

	why = pin_up(&pn);
	if (why)
		SKIP(why);
	map_put(&pn.m, "192.0.2.10", 32, "host1.example", 1000);
	map_put(&pn.m, "192.0.2.66", 32, NULL, 1001);
	map_put(&pn.m, "198.51.100.0", 24, NULL, 1002);
	nb = snapshot(&pn.m, before, 16);

	put_file(&pn, "192.0.2.10\n192.0.2.99\n192.0.2.10/24\n");   /* line 3 bad */
	rc = run_sync(&pn, NULL, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_USAGE, "exit %d", rc);
	na = snapshot(&pn.m, after, 16);
	CHECK(na == nb && !memcmp(before, after, nb * sizeof(before[0])),
	      "map changed by a malformed file");

	/* removes 2 of 3 (more than a file's 50 %): --force */
	put_file(&pn, "192.0.2.10 # literal now\n192.0.2.99\n");
	rc = run_sync(&pn, NULL, "--no-neigh", "--force", NULL);
	CHECK(rc == IG_EXIT_OK, "exit %d", rc);
	na = snapshot(&pn.m, after, 16);
	CHECK(na == 2 && after[0].key.prefixlen == 32 && after[0].val.since == 1000 &&
	      after[0].val.name_hash == 0 && !memcmp(after[1].key.addr, "\xc0\x00\x02\x63", 4),
	      "good file applied (%zu)", na);
	CHECK(run_sync(&pn, NULL, "--no-neigh", "--bogus", NULL) == IG_EXIT_USAGE,
	      "unknown option");
	{
		char nodir[160];
		char *argv[] = { "members", "list", "--pin-dir", nodir, NULL };

		snprintf(nodir, sizeof(nodir), "%s/none", pn.dir);
		CHECK(cmd_members(4, argv) == IG_EXIT_NOT_ATTACHED, "not attached");
	}
	pin_down(&pn);
}

/* Issue 15 (9): a truncated or empty file is refused, not applied. */
static void test_cmd_file_mass_removal(void)
{
	struct ig_mentry before[16], after[16];
	struct pinned pn;
	const char *why;
	size_t nb, na;
	int rc;

	why = pin_up(&pn);
	if (why)
		SKIP(why);
	map_put(&pn.m, "192.0.2.10", 32, NULL, 1000);
	map_put(&pn.m, "192.0.2.11", 32, NULL, 1000);
	map_put(&pn.m, "192.0.2.12", 32, NULL, 1000);
	map_put(&pn.m, "198.51.100.0", 24, NULL, 1000);
	nb = snapshot(&pn.m, before, 16);

	put_file(&pn, "");
	rc = run_sync(&pn, NULL, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_REFUSED, "empty file: exit %d, want 6", rc);
	na = snapshot(&pn.m, after, 16);
	CHECK(na == nb && !memcmp(before, after, nb * sizeof(before[0])),
	      "an empty file changed the map (%zu entries left)", na);

	put_file(&pn, "# members\n\n");
	rc = run_sync(&pn, NULL, "--no-neigh", "--max-removal", "100", NULL);
	CHECK(rc == IG_EXIT_REFUSED, "comments only, max-removal 100: exit %d, want 6", rc);

	put_file(&pn, "192.0.2.10\n");                 /* truncated: 3 of 4 go */
	rc = run_sync(&pn, NULL, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_REFUSED, "75 %% removal: exit %d, want 6", rc);
	na = snapshot(&pn.m, after, 16);
	CHECK(na == nb && !memcmp(before, after, nb * sizeof(before[0])),
	      "a refused sync changed the map");

	put_file(&pn, "192.0.2.10\n192.0.2.11\n");     /* 2 of 4: 50 %, allowed */
	rc = run_sync(&pn, NULL, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_OK, "50 %% removal: exit %d", rc);
	CHECK(snapshot(&pn.m, after, 16) == 2, "50 %% removal applied");

	put_file(&pn, "192.0.2.10\n");                 /* 1 of 2 with --max-removal 40 */
	CHECK(run_sync(&pn, NULL, "--no-neigh", "--max-removal", "40", NULL) == IG_EXIT_REFUSED,
	      "--max-removal 40");

	put_file(&pn, "");
	rc = run_sync(&pn, NULL, "--no-neigh", "--force", NULL);
	CHECK(rc == IG_EXIT_OK, "empty file with --force: exit %d", rc);
	CHECK(snapshot(&pn.m, after, 16) == 0, "--force empties the map");
	put_file(&pn, "");
	CHECK(run_sync(&pn, NULL, "--no-neigh", NULL) == IG_EXIT_OK, "empty file, empty map");
	pin_down(&pn);
}

/* A zone the test changes between syncs. */
struct zone {
	struct { const char *name; const char *addrs[8]; int code; int sys_err; } r[8];
};

static int zone_resolve(void *ctx, const char *name, struct ig_addrs *out)
{
	const struct zone *z = ctx;
	size_t i, j;

	for (i = 0; i < 8 && z->r[i].name; i++) {
		if (strcmp(z->r[i].name, name))
			continue;
		if (z->r[i].code) {
			out->sys_err = z->r[i].sys_err;
			return z->r[i].code;
		}
		for (j = 0; j < 8 && z->r[i].addrs[j]; j++) {
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 8;
				out->a = realloc(out->a, out->cap * sizeof(*out->a));
			}
			inet_pton(AF_INET, z->r[i].addrs[j], out->a[out->n++]);
		}
		return 0;
	}
	return EAI_NONAME;
}

/* Issue 15 (8) through the command: NXDOMAIN removes at once, a temporary
 * failure keeps for --stale-max, with exit 3 while stale; times injected. */
static void test_cmd_stale(void)
{
	struct zone z = { .r = {
		{ "down.example", { "192.0.2.40" }, 0, 0 },
		{ "gone.example", { "192.0.2.41" }, 0, 0 },
	} };
	struct ig_members_env env = { .resolve = zone_resolve, .ctx = &z, .now = 1000 };
	struct ig_member v;
	struct pinned pn;
	const char *why;
	char cfg[] = "/tmp/ig-members-ini-XXXXXX";
	int rc, cfd;

	why = pin_up(&pn);
	if (why)
		SKIP(why);
	put_file(&pn, "192.0.2.99\ndown.example\ngone.example\n");
	rc = run_sync(&pn, &env, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_OK, "first sync: exit %d", rc);

	z.r[0].code = EAI_AGAIN;                      /* DNS server down */
	z.r[1].code = EAI_NONAME;                     /* record scavenged */
	env.now = 2000;
	rc = run_sync(&pn, &env, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_PARTIAL, "names failing: exit %d, want 3", rc);
	CHECK(map_get(&pn.m, "192.0.2.41", &v) && errno == ENOENT,
	      "the address of a name that no longer exists is still a member");
	CHECK(!map_get(&pn.m, "192.0.2.40", &v) && (v.flags & IG_MEMBER_F_STALE) &&
	      v.since == 2000, "temporary failure: kept, stale since 2000");

	env.now = 2000 + 86399;
	rc = run_sync(&pn, &env, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_PARTIAL && !map_get(&pn.m, "192.0.2.40", &v) && v.since == 2000,
	      "stale for a day less a second: kept (exit %d)", rc);
	env.now = 2000 + 86400;
	rc = run_sync(&pn, &env, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_PARTIAL, "stale for a day: exit %d, want 3", rc);
	CHECK(map_get(&pn.m, "192.0.2.40", &v) && errno == ENOENT,
	      "stale for --stale-max: still a member");
	CHECK(!map_get(&pn.m, "192.0.2.99", &v), "the literal stays");

	/* back, fails again: --stale-max 60, then [members] stale-max 10 */
	z.r[0].code = 0;
	env.now = 100000;
	CHECK(run_sync(&pn, &env, "--no-neigh", NULL) == IG_EXIT_PARTIAL, "gone.example still fails");
	z.r[0].code = EAI_SYSTEM;
	z.r[0].sys_err = ETIMEDOUT;
	env.now = 100010;
	CHECK(run_sync(&pn, &env, "--no-neigh", "--stale-max", "60", NULL) == IG_EXIT_PARTIAL &&
	      !map_get(&pn.m, "192.0.2.40", &v) && v.since == 100010, "timeout: kept");
	env.now = 100069;
	CHECK(run_sync(&pn, &env, "--no-neigh", "--stale-max=60", NULL) == IG_EXIT_PARTIAL &&
	      !map_get(&pn.m, "192.0.2.40", &v), "59 s: kept");
	cfd = mkstemp(cfg);
	CHECK(cfd >= 0, "temp file");
	if (cfd >= 0) {
		CHECK(write(cfd, "[members]\nstale-max = 10\n", 25) == 25, "write");
		close(cfd);
		CHECK(run_sync(&pn, &env, "--no-neigh", "--config", cfg, NULL) == IG_EXIT_PARTIAL &&
		      map_get(&pn.m, "192.0.2.40", &v) && errno == ENOENT,
		      "[members] stale-max = 10: removed after 59 s");
		unlink(cfg);
	}
	CHECK(run_sync(&pn, &env, "--stale-max", "-1", NULL) == IG_EXIT_USAGE, "--stale-max -1");
	CHECK(run_sync(&pn, &env, "--stale-max", "1d", NULL) == IG_EXIT_USAGE, "--stale-max 1d");
	pin_down(&pn);
}

/* Issue 15 (7) through the command: what a name resolves to is checked
 * against the pinned routers map and the unicast rules. */
static void test_cmd_resolved_rejected(void)
{
	struct zone z = { .r = {
		{ "evil.example", { "127.0.0.1", "192.0.2.1", "192.0.2.3", "224.0.0.5",
				    "255.255.255.255", "0.0.0.0", "240.0.0.9", "192.0.2.50" }, 0, 0 },
	} };
	struct ig_members_env env = { .resolve = zone_resolve, .ctx = &z, .now = 1000 };
	struct ig_mentry after[16];
	struct pinned pn;
	const char *why;
	int rc;

	why = pin_up(&pn);
	if (why)
		SKIP(why);
	put_file(&pn, "evil.example\n");
	rc = run_sync(&pn, &env, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_PARTIAL, "exit %d, want 3 (addresses refused)", rc);
	CHECK(snapshot(&pn.m, after, 16) == 1 && !memcmp(after[0].key.addr, "\xc0\x00\x02\x32", 4),
	      "only 192.0.2.50 admitted");
	put_file(&pn, "0x7f000001\n");
	CHECK(run_sync(&pn, &env, "--no-neigh", NULL) == IG_EXIT_USAGE &&
	      snapshot(&pn.m, after, 16) == 1, "a numeric name: exit 2, nothing changed");
	pin_down(&pn);
}

/* Issue 15 (3): a literal entry that is or covers the router's or a peer's
 * address is refused like a malformed line (exit 2, nothing changed); the
 * subnet next to it is a member. */
static void test_cmd_literal_covers_router(void)
{
	struct ig_members_env env = { .resolve = fake_resolve, .ctx = (void *)fake_zone,
				      .now = 1000 };
	struct ig_mentry before[16], after[16];
	struct ig_addrs deny = { 0 };
	struct ig_v4_lpm_key k;
	struct pinned pn;
	const char *why;
	size_t nb, na;
	int rc;

	k = K("192.0.2.0", 24);
	CHECK(ig_prefix_denied(&k, NULL) == -1, "no deny list");
	why = pin_up(&pn);
	if (why)
		SKIP(why);
	CHECK(ig_routers_read(pn.dir, &deny) == 0 && deny.n == 2, "routers read");
	CHECK(ig_prefix_denied(&k, &deny) >= 0, "/24 covers the router");
	k = K("0.0.0.0", 0);
	CHECK(ig_prefix_denied(&k, &deny) >= 0, "/0 covers everything");
	k = K("192.0.2.2", 31);
	CHECK(ig_prefix_denied(&k, &deny) >= 0, "192.0.2.2/31 covers the peer .3");
	k = K("192.0.2.4", 30);
	CHECK(ig_prefix_denied(&k, &deny) == -1, "192.0.2.4/30 covers neither");
	free(deny.a);

	map_put(&pn.m, "198.51.100.7", 32, NULL, 900);
	nb = snapshot(&pn.m, before, 16);

	put_file(&pn, "198.51.100.7\n192.0.2.0/24   # covers 192.0.2.1\n");
	rc = run_sync(&pn, &env, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_USAGE, "subnet covering the router: exit %d, want 2", rc);
	na = snapshot(&pn.m, after, 16);
	CHECK(na == nb && !memcmp(before, after, nb * sizeof(before[0])),
	      "a subnet covering the router changed the map");

	put_file(&pn, "198.51.100.7\n192.0.2.3\n");     /* the peer itself */
	rc = run_sync(&pn, &env, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_USAGE, "literal peer address: exit %d, want 2", rc);
	put_file(&pn, "198.51.100.7\n192.0.2.1/32\n");  /* this router */
	rc = run_sync(&pn, &env, "--no-neigh", "--dry-run", NULL);
	CHECK(rc == IG_EXIT_USAGE, "literal router /32 (dry run): exit %d, want 2", rc);
	na = snapshot(&pn.m, after, 16);
	CHECK(na == nb && !memcmp(before, after, nb * sizeof(before[0])),
	      "a router address changed the map");

	put_file(&pn, "198.51.100.7\n192.0.2.4/30\n192.0.2.2\n");  /* next to them */
	rc = run_sync(&pn, &env, "--no-neigh", NULL);
	CHECK(rc == IG_EXIT_OK, "subnet next to the routers: exit %d", rc);
	na = snapshot(&pn.m, after, 16);
	CHECK(na == 3, "the neighbours admitted (%zu entries)", na);
	pin_down(&pn);
}

/* Issue 15 (12): a new member without a managed neighbour entry is a
 * warning, exit 3.  In a private network namespace with no route at all
 * (its loopback is down): no member can get one. */
static void test_cmd_neigh_warning(void)
{
	struct pinned pn;
	const char *why;
	int status = 0;
	pid_t pid;

	why = pin_up(&pn);
	if (why)
		SKIP(why);
	put_file(&pn, "192.0.2.10\n198.51.100.0/24\n");
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(77);
		_exit(run_sync(&pn, NULL, NULL));
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status), "child");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		pin_down(&pn);
		SKIP("cannot unshare the network namespace");
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == IG_EXIT_PARTIAL,
	      "member without a route: exit %d, want 3", WEXITSTATUS(status));
	CHECK(snapshot(&pn.m, (struct ig_mentry[4]){ 0 }, 4) == 2, "members applied all the same");
	pin_down(&pn);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* fd's content from the start (at most len-1 bytes, NUL-terminated). */
static const char *fd_text(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * Issue 15 (10): a sync reads, plans and writes under the pin directory's
 * lock.  Held by someone else (this test), it waits ISAGATE_LOCK_WAIT
 * seconds, then gives up with exit 8 and the map untouched, naming the
 * holder; a dry run needs no lock; held for a while only, the sync waits
 * for it and then applies.
 */
static void test_cmd_sync_lock(void)
{
	struct ig_mentry before[16], after[16];
	char want[256], errtxt[2048];
	struct pinned pn;
	const char *why;
	int hold, errfd, saved, rc, status = 0, pfd[2];
	double t0, dt;
	size_t nb, na;
	pid_t pid;
	char c;

	why = pin_up(&pn);
	if (why)
		SKIP(why);
	map_put(&pn.m, "192.0.2.10", 32, NULL, 1000);
	map_put(&pn.m, "192.0.2.11", 32, NULL, 1000);
	nb = snapshot(&pn.m, before, 16);
	put_file(&pn, "192.0.2.10\n192.0.2.11\n192.0.2.20\n");

	hold = open(pn.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(hold >= 0 && !flock(hold, LOCK_EX), "test takes the lock");
	setenv("ISAGATE_LOCK_WAIT", "1", 1);
	errfd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(errfd, STDERR_FILENO);
	t0 = now_s();
	rc = run_sync(&pn, NULL, "--no-neigh", NULL);
	dt = now_s() - t0;
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	CHECK(rc == IG_EXIT_LOCKED, "sync while the lock is held: exit %d, want 8", rc);
	CHECK(dt >= 0.9 && dt < 5, "waited ISAGATE_LOCK_WAIT (1 s) first: %.2f s", dt);
	snprintf(want, sizeof(want), "another isagate command holds the lock on %s (pid %d)",
		 pn.dir, (int)getpid());
	CHECK(strstr(fd_text(errfd, errtxt, sizeof(errtxt)), want),
	      "message names the directory and the holder: %s", errtxt);
	close(errfd);
	na = snapshot(&pn.m, after, 16);
	CHECK(na == nb && !memcmp(before, after, nb * sizeof(before[0])),
	      "map changed while another command held the lock");

	t0 = now_s();
	rc = run_sync(&pn, NULL, "--no-neigh", "--dry-run", NULL);
	CHECK(rc == IG_EXIT_OK && now_s() - t0 < 0.9, "a dry run needs no lock: exit %d", rc);
	CHECK(snapshot(&pn.m, after, 16) == nb, "dry run changed nothing");
	close(hold);

	/* a holder that lets go after 0.5 s: the sync waits, then applies */
	setenv("ISAGATE_LOCK_WAIT", "10", 1);
	CHECK(!pipe(pfd), "pipe");
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int fd = open(pn.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || flock(fd, LOCK_EX))
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		usleep(500 * 1000);
		_exit(0);
	}
	close(pfd[1]);
	CHECK(pid > 0 && read(pfd[0], &c, 1) == 1, "holder has the lock");
	close(pfd[0]);
	t0 = now_s();
	rc = run_sync(&pn, NULL, "--no-neigh", NULL);
	dt = now_s() - t0;
	CHECK(rc == IG_EXIT_OK, "sync after the holder let go: exit %d", rc);
	CHECK(dt >= 0.35, "sync waited for the holder (%.2f s)", dt);
	CHECK(snapshot(&pn.m, after, 16) == 3, "applied after the wait");
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "holder");
	unsetenv("ISAGATE_LOCK_WAIT");
	pin_down(&pn);
}

int main(void)
{
	RUN(test_parse_valid);
	RUN(test_parse_empty);
	RUN(test_parse_malformed);
	RUN(test_parse_long_name_and_nul);
	RUN(test_name_hash);
	RUN(test_resolve);
	RUN(test_resolve_system);
	RUN(test_parse_numeric_names);
	RUN(test_resolve_rejects_addresses);
	RUN(test_resolve_transient);
	RUN(test_plan_stale);
	RUN(test_plan);
	RUN(test_plan_empty_and_idempotent);
	RUN(test_apply);
	RUN(test_apply_adds_before_removes);
	RUN(test_cmd_sync_malformed_unchanged);
	RUN(test_cmd_file_mass_removal);
	RUN(test_cmd_stale);
	RUN(test_cmd_resolved_rejected);
	RUN(test_cmd_literal_covers_router);
	RUN(test_cmd_neigh_warning);
	RUN(test_cmd_sync_lock);
	if (skipped)
		printf("# %d test(s) skipped (see above)\n", skipped);
	return h_summary();
}
