// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_directory.c - the directory source without a directory server:
 * settings ([directory] INI section and flags), the password-file rules,
 * DN handling, AD range retrieval, turning computers into membership
 * names, the parallel resolver cache and the mass-removal guard.
 * (tests/integration/test_directory.sh runs it against Samba's AD DC.)
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "common.h"
#include "directory.h"
#include "members.h"

static char tmpdir[] = "/tmp/test_directory.XXXXXX";

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[4][256];
	static int slot;
	char *p = path[slot++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	unlink(p);
	f = fopen(p, "w");
	if (!f)
		return p;
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	return p;
}

static void settings_keys(void)
{
	struct ig_dir_settings s;
	char err[512];

	ig_dir_settings_init(&s);
	CHECK(s.starttls && s.page_size == IG_DIR_DEFAULT_PAGE && s.max_removal == 20,
	      "defaults");
	CHECK(!ig_dir_set(&s, "uri", "ldaps://dc1.corp.example, ldap://dc2.corp.example:389",
			  false, err, sizeof(err)), "uri list: %s", err);
	CHECK(s.n_uris == 2 && !strcmp(s.uris[1], "ldap://dc2.corp.example:389"), "two uris");
	CHECK(ig_dir_set(&s, "uri", "http://dc1", false, err, sizeof(err)) &&
	      strstr(err, "not an LDAP URI"), "http refused: %s", err);
	/* A flag replaces the file's whole list, then appends. */
	CHECK(!ig_dir_set(&s, "uri", "ldaps://dc3.corp.example", true, err, sizeof(err)) &&
	      s.n_uris == 1, "override replaces the list (%u)", s.n_uris);
	CHECK(!ig_dir_set(&s, "uri", "ldaps://dc4.corp.example", true, err, sizeof(err)) &&
	      s.n_uris == 2, "second flag appends (%u)", s.n_uris);
	CHECK(!ig_dir_set(&s, "starttls", "no", false, err, sizeof(err)) && !s.starttls,
	      "starttls no");
	CHECK(ig_dir_set(&s, "starttls", "maybe", false, err, sizeof(err)), "starttls maybe");
	CHECK(!ig_dir_set(&s, "nesting", "client", false, err, sizeof(err)) &&
	      s.nesting == IG_DIR_NEST_CLIENT, "nesting client");
	CHECK(ig_dir_set(&s, "nesting", "deep", false, err, sizeof(err)), "nesting deep");
	CHECK(!ig_dir_set(&s, "bind", "gssapi", false, err, sizeof(err)) &&
	      s.bind == IG_DIR_BIND_GSSAPI, "bind gssapi");
	CHECK(ig_dir_set(&s, "page-size", "0", false, err, sizeof(err)), "page-size 0");
	CHECK(ig_dir_set(&s, "page-size", "12x", false, err, sizeof(err)), "page-size 12x");
	CHECK(!ig_dir_set(&s, "page-size", "1000", false, err, sizeof(err)) &&
	      s.page_size == 1000, "page-size 1000");
	CHECK(ig_dir_set(&s, "max-removal", "101", false, err, sizeof(err)), "max-removal 101");
	CHECK(ig_dir_set(&s, "base", "", false, err, sizeof(err)), "empty base");
	CHECK(ig_dir_set(&s, "password", "x", false, err, sizeof(err)) &&
	      strstr(err, "unknown key 'password'"), "unknown key: %s", err);
	CHECK(ig_dir_is_key("group") && ig_dir_is_key("extra") && !ig_dir_is_key("pin-dir"),
	      "ig_dir_is_key");
	ig_dir_settings_free(&s);
}

static void settings_ini(void)
{
	struct ig_dir_settings s;
	const char *p;

	p = write_file("good.conf",
		       "[router]\nipv4-dev = eth0\nunknown-here = fine\n\n"
		       "[directory]\nuri = ldaps://dc1.corp.example\nuri = ldaps://dc2.corp.example\n"
		       "bind-dn = CN=sync,DC=corp,DC=example\npassword-file = /etc/isagate/ldap.secret\n"
		       "base = DC=corp,DC=example\n"
		       "group = CN=DirectAccess - ISATAP computers,OU=Groups,DC=corp,DC=example\n"
		       "max-removal = 35\n\n[ra]\nmtu = 1280\n", 0644);
	ig_dir_settings_init(&s);
	CHECK(ig_dir_load_ini(&s, p) == 0, "good file");
	CHECK(s.n_uris == 2 && s.max_removal == 35 && s.group &&
	      !strcmp(s.group, "CN=DirectAccess - ISATAP computers,OU=Groups,DC=corp,DC=example"),
	      "values read");
	CHECK(ig_dir_check(&s) == 0, "complete");
	ig_dir_settings_free(&s);

	p = write_file("bad.conf", "[directory]\nuri = ldaps://dc1\nbsae = DC=corp\n", 0644);
	ig_dir_settings_init(&s);
	CHECK(ig_dir_load_ini(&s, p) == -EINVAL, "typo in [directory] is an error");
	ig_dir_settings_free(&s);

	p = write_file("incomplete.conf", "[directory]\nuri = ldaps://dc1\nbase = DC=x\n", 0644);
	ig_dir_settings_init(&s);
	CHECK(ig_dir_load_ini(&s, p) == 0 && ig_dir_check(&s) == -EINVAL,
	      "missing group and bind settings");
	ig_dir_settings_free(&s);
}

static void password_file(void)
{
	char err[512], *pw;
	const char *p;

	p = write_file("ok.secret", "s3cret\n", 0600);
	pw = ig_dir_read_password(p, err, sizeof(err));
	CHECK(pw && !strcmp(pw, "s3cret"), "0600, newline dropped: %s", pw ? pw : err);
	free(pw);
	p = write_file("crlf.secret", "s3cret\r\n", 0400);
	pw = ig_dir_read_password(p, err, sizeof(err));
	CHECK(pw && !strcmp(pw, "s3cret"), "CRLF dropped");
	free(pw);
	p = write_file("world.secret", "s3cret\n", 0644);
	pw = ig_dir_read_password(p, err, sizeof(err));
	CHECK(!pw && strstr(err, "everyone") && strstr(err, "chmod 600"), "0644 refused: %s", err);
	free(pw);
	p = write_file("group.secret", "s3cret\n", 0640);
	pw = ig_dir_read_password(p, err, sizeof(err));
	CHECK(!pw && strstr(err, "its group"), "0640 refused: %s", err);
	free(pw);
	p = write_file("gw.secret", "s3cret\n", 0620);
	pw = ig_dir_read_password(p, err, sizeof(err));
	CHECK(!pw, "group-writable refused");
	free(pw);
	p = write_file("empty.secret", "\n", 0600);
	pw = ig_dir_read_password(p, err, sizeof(err));
	CHECK(!pw && strstr(err, "anonymous"), "empty refused: %s", err);
	free(pw);
	p = write_file("two.secret", "a\nb\n", 0600);
	pw = ig_dir_read_password(p, err, sizeof(err));
	CHECK(!pw, "two lines refused");
	free(pw);
	pw = ig_dir_read_password(tmpdir, err, sizeof(err));
	CHECK(!pw, "a directory refused");
	free(pw);
	if (geteuid() == 0) {
		/* 0600, but its owner may open it up to anyone at any time */
		p = write_file("other.secret", "s3cret\n", 0600);
		CHECK(!chown(p, 65534, 65534), "chown");
		pw = ig_dir_read_password(p, err, sizeof(err));
		CHECK(!pw && strstr(err, "uid 65534") && strstr(err, "chown 0 "),
		      "another user's file refused: %s", err);
		free(pw);
	}
}

/* 'extra' naming the password file (or a link to it) would quote the
 * password in the membership parser's error message: refused up front. */
static void extra_is_not_a_secret(void)
{
	struct ig_dir_settings s;
	char err[512], link_path[512];
	const char *secret = write_file("extra.secret", "s3cret-extra\n", 0600);
	const char *fixed = write_file("fixed.members", "192.0.2.10\n", 0644);

	snprintf(link_path, sizeof(link_path), "%s/secret.link", tmpdir);
	unlink(link_path);
	CHECK(!symlink(secret, link_path), "symlink");
	ig_dir_settings_init(&s);
	CHECK(!ig_dir_set(&s, "uri", "ldaps://dc1", false, err, sizeof(err)) &&
	      !ig_dir_set(&s, "base", "DC=corp", false, err, sizeof(err)) &&
	      !ig_dir_set(&s, "group", "CN=g,DC=corp", false, err, sizeof(err)) &&
	      !ig_dir_set(&s, "bind-dn", "CN=sync,DC=corp", false, err, sizeof(err)) &&
	      !ig_dir_set(&s, "password-file", secret, false, err, sizeof(err)), "settings");
	CHECK(ig_dir_set(&s, "extra", fixed, false, err, sizeof(err)) == 0 && ig_dir_check(&s) == 0,
	      "a membership file as extra: fine");
	CHECK(!ig_dir_set(&s, "extra", secret, false, err, sizeof(err)) &&
		      ig_dir_check(&s) == -EINVAL,
	      "extra = the password file: refused");
	CHECK(!ig_dir_set(&s, "extra", link_path, false, err, sizeof(err)) &&
		      ig_dir_check(&s) == -EINVAL,
	      "extra = a link to the password file: refused");
	ig_dir_settings_free(&s);
}

/* ig_dir_fetch with a GSSAPI bind and this keytab, against a closed port. */
static enum ig_dir_err fetch_with_keytab(const char *keytab, char *err, size_t errlen)
{
	struct ig_dir_settings s;
	struct ig_dir_result r;
	enum ig_dir_err ret;

	ig_dir_settings_init(&s);
	if (ig_dir_set(&s, "uri", "ldap://127.0.0.1:1", false, err, errlen) ||
	    ig_dir_set(&s, "base", "DC=corp,DC=example", false, err, errlen) ||
	    ig_dir_set(&s, "group", "CN=isatap,DC=corp,DC=example", false, err, errlen) ||
	    ig_dir_set(&s, "bind", "gssapi", false, err, errlen) ||
	    ig_dir_set(&s, "timeout", "2", false, err, errlen) ||
	    ig_dir_set(&s, "keytab", keytab, false, err, errlen)) {
		ig_dir_settings_free(&s);
		return IG_DIR_ERR_NOMEM;
	}
	ret = ig_dir_fetch(&s, &r, err, errlen);
	ig_dir_settings_free(&s);
	return ret;
}

/* A keytab is the account's password: the password file's rules, checked
 * before any server is contacted (exit 2, nothing changed). */
static void keytab_file(void)
{
	enum ig_dir_err ret;
	char err[1024];
	const char *p;

	p = write_file("world.keytab", "not really a keytab", 0644);
	ret = fetch_with_keytab(p, err, sizeof(err));
	CHECK(ret == IG_DIR_ERR_CONFIG && strstr(err, "keytab") && strstr(err, "everyone") &&
	      strstr(err, "chmod 600"), "0644 keytab refused before connecting (%d): %s", ret, err);
	p = write_file("group.keytab", "not really a keytab", 0640);
	ret = fetch_with_keytab(p, err, sizeof(err));
	CHECK(ret == IG_DIR_ERR_CONFIG && strstr(err, "its group") && strstr(err, "chmod 600"),
	      "0640 keytab refused (%d): %s", ret, err);
	if (geteuid() == 0) {
		p = write_file("other.keytab", "not really a keytab", 0600);
		CHECK(!chown(p, 65534, 65534), "chown");
		ret = fetch_with_keytab(p, err, sizeof(err));
		CHECK(ret == IG_DIR_ERR_CONFIG && strstr(err, "uid 65534") && strstr(err, "chown"),
		      "another user's keytab refused (%d): %s", ret, err);
	}
	ret = fetch_with_keytab(tmpdir, err, sizeof(err));
	CHECK(ret == IG_DIR_ERR_CONFIG && strstr(err, "not a regular file"),
	      "a directory refused (%d): %s", ret, err);
	/* a private keytab passes the check: the attempt goes on to the server */
	p = write_file("ok.keytab", "not really a keytab", 0600);
	ret = fetch_with_keytab(p, err, sizeof(err));
	CHECK(ret == IG_DIR_ERR_CONNECT, "0600 keytab accepted, server unreachable (%d): %s",
	      ret, err);
}

static void dn_helpers(void)
{
	char *a = ig_dir_dn_norm("CN=PC1, OU=Lab ,DC=Corp,DC=Example");
	char *b = ig_dir_dn_norm("cn=pc1,ou=lab,dc=corp,dc=example");
	char *base = ig_dir_dn_norm("DC=corp, DC=example");
	char *other = ig_dir_dn_norm("DC=notcorp,DC=example");
	char *esc = ig_dir_dn_norm("CN=a\\, b,DC=corp,DC=example");

	CHECK(a && b && !strcmp(a, b), "normalised equal: '%s' '%s'", a, b);
	CHECK(ig_dir_dn_under(a, base), "under base");
	CHECK(ig_dir_dn_under(base, base), "base itself");
	CHECK(!ig_dir_dn_under(other, base), "dc=notcorp is not under dc=corp");
	/* found by tests/fuzz/fuzz_directory: an escaped ',' is no RDN boundary */
	CHECK(!ig_dir_dn_under("cn=a\\,dc=corp,dc=example", base),
	      "one RDN 'a,dc=corp' is not under dc=corp");
	CHECK(ig_dir_dn_under("cn=a\\\\,dc=corp,dc=example", base),
	      "an escaped backslash before the ',' is");
	CHECK(esc && !strcmp(esc, "cn=a\\, b,dc=corp,dc=example"), "escaped comma kept: %s", esc);
	/* found by tests/fuzz/fuzz_directory: an escaped trailing space is part
	 * of the value; trimming it made "\\," escape the separator */
	free(esc);
	esc = ig_dir_dn_norm("CN=Srv\\ ,OU=Servers,DC=corp,DC=example");
	CHECK(esc && !strcmp(esc, "cn=srv\\ ,ou=servers,dc=corp,dc=example"),
	      "escaped space before a comma kept: %s", esc);
	free(esc);
	esc = ig_dir_dn_norm("CN=Srv\\ ");
	CHECK(esc && !strcmp(esc, "cn=srv\\ "), "escaped space at the end kept: %s", esc);
	free(a);
	free(b);
	free(base);
	free(other);
	free(esc);
}

static void range_attr(void)
{
	unsigned long high = 7;
	bool last = true;

	CHECK(ig_dir_parse_range("member;range=0-1499", &high, &last) && high == 1499 && !last,
	      "first range");
	CHECK(ig_dir_parse_range("member;range=1500-*", &high, &last) && last, "last range");
	CHECK(!ig_dir_parse_range("member", &high, &last), "plain member");
	CHECK(!ig_dir_parse_range("memberOf;range=0-10", &high, &last), "other attribute");
	CHECK(!ig_dir_parse_range("member;range=0-", &high, &last), "truncated");
	/* found by tests/fuzz/fuzz_directory: the bounds are plain decimals */
	CHECK(!ig_dir_parse_range("member;range=150L-*", &high, &last), "low not a number");
	CHECK(!ig_dir_parse_range("member;range=0--1", &high, &last), "negative high");
	CHECK(!ig_dir_parse_range("member;range=0- 5", &high, &last), "space");
	CHECK(!ig_dir_parse_range("member;range=10-5", &high, &last), "high below low");
	CHECK(!ig_dir_parse_range("member;range=0-18446744073709551615", &high, &last),
	      "high + 1 would wrap");
	CHECK(ig_dir_parse_range("Member;Range=1500-2999", &high, &last) && high == 2999 && !last,
	      "case-insensitive name");
}

static void to_source(void)
{
	struct ig_dir_result r = { 0 };
	struct ig_dir_computer c[] = {
		{ .dn = "CN=pc1", .host = "PC1.corp.example" },
		{ .dn = "CN=pc2", .host = "pc2.corp.example", .disabled = true },
		{ .dn = "CN=pc3", .host = NULL },
		{ .dn = "CN=pc4", .host = "bad_name!.corp" },
		{ .dn = "CN=pc5", .host = "pc5.corp.example." },
		/* found by tests/fuzz/fuzz_directory's invariant: an address
		 * or a subnet in dNSHostName is skipped, never a member */
		{ .dn = "CN=pc6", .host = "192.0.2.6" },
		{ .dn = "CN=pc7", .host = "10.0.0.0/8" },
	};
	struct ig_msrc src = { 0 };
	long skipped;

	r.c = c;
	r.n = sizeof(c) / sizeof(c[0]);
	skipped = ig_dir_to_source(&r, &src);
	CHECK(skipped == 4, "no host, bad host, two addresses skipped (%ld)", skipped);
	CHECK(src.n == 2, "two names (%zu)", src.n);
	CHECK(src.n == 2 && !strcmp(src.items[0].name, "pc1.corp.example") &&
	      (src.items[0].flags & IG_MEMBER_F_DIRECTORY), "lowercased, directory flag: %s",
	      src.n ? src.items[0].name : "-");
	CHECK(src.n == 2 && !strcmp(src.items[1].name, "pc5.corp.example"),
	      "trailing dot dropped: %s", src.n > 1 ? src.items[1].name : "-");
	ig_msrc_free(&src);
}

/* A resolver: "hN.x" -> 192.0.2.N, anything else fails; counts calls. */
static int calls;

static int fake_resolve(void *ctx, const char *name, struct ig_addrs *out)
{
	unsigned int n;
	__u8 a[4] = { 192, 0, 2, 0 };

	(void)ctx;
	__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
	if (sscanf(name, "h%u.x", &n) != 1 || n > 255)
		return EAI_NONAME;
	a[3] = (__u8)n;
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 4;
		out->a = realloc(out->a, out->cap * sizeof(*out->a));
		if (!out->a)
			return EAI_MEMORY;
	}
	memcpy(out->a[out->n++], a, 4);
	return 0;
}

static void parallel_resolve(void)
{
	struct ig_msrc src = { 0 };
	struct ig_rcache c;
	struct ig_desired want;
	char err[256], name[32];
	unsigned int i;

	for (i = 1; i <= 200; i++) {
		snprintf(name, sizeof(name), "h%u.x", i);
		CHECK(!ig_msrc_add_name(&src, name, 0, i, err, sizeof(err)), "%s", err);
	}
	CHECK(!ig_msrc_add_name(&src, "h7.x", 0, 201, err, sizeof(err)), "duplicate");
	CHECK(!ig_msrc_add_name(&src, "nothere.x", 0, 202, err, sizeof(err)), "unresolvable");
	calls = 0;
	CHECK(!ig_rcache_fill(&c, &src, fake_resolve, NULL, 8), "fill");
	CHECK(calls == 201, "each name once (%d calls)", calls);
	CHECK(!ig_members_resolve(&src, ig_resolve_cached, &c, &want), "resolve");
	CHECK(calls == 201, "pipeline answered from the cache (%d calls)", calls);
	CHECK(want.set.n == 200 && want.n_unres == 1, "200 entries, 1 unresolved (%zu, %zu)",
	      want.set.n, want.n_unres);
	ig_desired_free(&want);
	ig_rcache_free(&c);
	ig_msrc_free(&src);
}

static void removal_guard(void)
{
	struct ig_plan p = { 0 };

	p.remove.n = 2;
	CHECK(!ig_plan_exceeds(&p, 10, 20), "2 of 10 = 20%%: allowed");
	p.remove.n = 3;
	CHECK(ig_plan_exceeds(&p, 10, 20), "3 of 10: refused");
	CHECK(!ig_plan_exceeds(&p, 10, 100), "100 = off");
	CHECK(ig_plan_exceeds(&p, 3, 99), "all of 3 at 99%%: refused");
	p.remove.n = 0;
	CHECK(!ig_plan_exceeds(&p, 0, 0), "empty map: nothing to guard");
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(settings_keys);
	RUN(settings_ini);
	RUN(password_file);
	RUN(keytab_file);
	RUN(extra_is_not_a_secret);
	RUN(dn_helpers);
	RUN(range_attr);
	RUN(to_source);
	RUN(parallel_resolve);
	RUN(removal_guard);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return h_summary();
}
