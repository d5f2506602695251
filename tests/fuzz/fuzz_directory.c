// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_directory.c - libFuzzer harness for what turns directory settings
 * and LDAP results into members, without a directory server.
 *
 * Each input is read twice:
 *  - as a configuration file: ig_dir_load_ini() through a memfd path (the
 *    [directory] section; the other sections are ignored), ig_dir_check();
 *  - as LDIF-like search results, "attribute: value" lines, entries
 *    separated by blank lines, the way libldap hands them to directory.c:
 *      dn: ...                    the entry's DN (normalised, checked to lie
 *                                 under the search base)
 *      dNSHostName: ...           the computer's host name
 *      userAccountControl: ...    disabled or not
 *      member[;range=L-H]: DN     a group's member attribute (AD range
 *                                 retrieval parsed from the attribute name),
 *                                 the DN normalised and placed against the base
 *      KEY: VALUE                 a [directory] key (a flag when written
 *                                 --KEY), set with ig_dir_set()
 *    The entries become an ig_dir_result (ig_dir_result_add), then a source
 *    (ig_dir_to_source), then resolve + plan as `members sync --ldap` does
 *    (fake resolver, no maps).
 *
 * Invariants: the range parser accepts exactly member;range=LOW-HIGH with
 * LOW <= HIGH (decimal) or LOW-*; DN normalisation is idempotent, lower
 * case, never shorter by an escaped character nor merges two RDNs (the
 * unescaped separators are kept); a DN is "under" the base only at an RDN
 * boundary; every enabled computer becomes a name or is counted skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "directory.h"
#include "fuzz_user.h"
#include "members.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- reference checks --------------------------------------------------- */

/* The range grammar, independently: member;range=DIGITS-(DIGITS|*), low <= high. */
static void check_range(const char *attr)
{
	unsigned long high = 7, low = 0, h = 0;
	bool last = false, ok, want = false, want_last = false, overflow = false;
	const char *p;

	ok = ig_dir_parse_range(attr, &high, &last);
	if (!strncasecmp(attr, "member;range=", 13)) {
		p = attr + 13;
		if (isdigit((unsigned char)*p)) {
			for (; isdigit((unsigned char)*p); p++) {
				overflow |= low > (ULONG_MAX - (unsigned long)(*p - '0')) / 10;
				low = low * 10 + (unsigned long)(*p - '0');
			}
			if (*p == '-' && !overflow) {
				p++;
				if (!strcmp(p, "*")) {
					want = want_last = true;
				} else if (isdigit((unsigned char)*p)) {
					for (; isdigit((unsigned char)*p); p++) {
						overflow |= h > (ULONG_MAX - (unsigned long)(*p - '0')) / 10;
						h = h * 10 + (unsigned long)(*p - '0');
					}
					want = !*p && !overflow && h >= low && h < ULONG_MAX;
				}
			}
		}
	}
	FZ_CHECK(ok == want, "ig_dir_parse_range('%s') = %d, expected %d", attr, ok, want);
	if (ok)
		FZ_CHECK(last == want_last && (last || high == h),
			 "ig_dir_parse_range('%s'): high %lu last %d, expected %lu %d", attr, high,
			 last, h, want_last);
}

/* Unescaped separators of a DN ('\' escapes the next character). */
static size_t separators(const char *s, bool *dangling)
{
	size_t n = 0;

	*dangling = false;
	for (; *s; s++) {
		if (*s == '\\') {
			if (!s[1]) {
				*dangling = true;
				break;
			}
			s++;
			continue;
		}
		if (*s == ',' || *s == '+' || *s == '=')
			n++;
	}
	return n;
}

static char *check_norm(const char *dn)
{
	char *n = ig_dir_dn_norm(dn), *again;
	bool d_in, d_out;
	const char *p;

	FZ_CHECK(n, "out of memory");
	FZ_CHECK(strlen(n) <= strlen(dn), "normalised DN longer");
	for (p = n; *p; p++)
		FZ_CHECK(!isupper((unsigned char)*p), "upper case left in '%s'", n);
	FZ_CHECK(separators(n, &d_out) == separators(dn, &d_in) && d_out == d_in,
		 "normalising '%s' gave '%s': RDN structure changed", dn, n);
	again = ig_dir_dn_norm(n);
	FZ_CHECK(again && !strcmp(again, n), "not idempotent: '%s' -> '%s' -> '%s'", dn, n,
		 again ? again : "(null)");
	free(again);
	return n;
}

/* Is position i of s an escaped character? */
static bool escaped_at(const char *s, size_t i)
{
	size_t k;
	bool esc = false;

	for (k = 0; k < i && s[k]; k++) {
		if (esc)
			esc = false;
		else if (s[k] == '\\')
			esc = true;
	}
	return esc;
}

static void check_under(const char *dn, const char *base)
{
	size_t ld = strlen(dn), lb = strlen(base);

	if (!ig_dir_dn_under(dn, base))
		return;
	FZ_CHECK(ld >= lb && !strcmp(dn + ld - lb, base), "'%s' under '%s'?", dn, base);
	FZ_CHECK(ld == lb || (dn[ld - lb - 1] == ',' && !escaped_at(dn, ld - lb - 1)),
		 "'%s' is not under '%s' at an RDN boundary", dn, base);
}

/* ---- one input ------------------------------------------------------------ */

struct entry {
	char *dn, *host, *uac;
};

static void flush(struct entry *e, struct ig_dir_result *r, const char *base_norm)
{
	char *n;

	if (e->dn) {
		n = check_norm(e->dn);
		check_under(n, base_norm);
		free(n);
		FZ_CHECK(!ig_dir_result_add(r, e->dn, e->host, ig_dir_uac_disabled(e->uac)),
			 "out of memory");
	}
	free(e->dn);
	free(e->host);
	free(e->uac);
	memset(e, 0, sizeof(*e));
}

static void results(char *text, struct ig_dir_settings *flags, const char *base_norm,
		    struct ig_dir_result *r)
{
	struct entry e = { 0 };
	char err[512], *line, *next, *colon, *attr, *val, **slot, *n;
	bool override;
	int ret;

	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line) {
			flush(&e, r, base_norm);
			continue;
		}
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		attr = line;
		val = colon + 1;
		if (*val == ' ')
			val++;
		check_range(attr);
		override = !strncmp(attr, "--", 2);
		if (ig_dir_is_key(attr + (override ? 2 : 0))) {
			err[0] = '\0';
			ret = ig_dir_set(flags, attr + (override ? 2 : 0), val, override, err,
					 sizeof(err));
			FZ_CHECK(!ret || err[0], "ig_dir_set failed without a reason");
			FZ_CHECK(flags->n_uris <= IG_DIR_MAX_URIS, "%u URIs", flags->n_uris);
			continue;
		}
		slot = !strcasecmp(attr, "dn") ? &e.dn :
		       !strcasecmp(attr, "dNSHostName") ? &e.host :
		       !strcasecmp(attr, "userAccountControl") ? &e.uac : NULL;
		if (slot) {
			free(*slot);
			*slot = strdup(val);
			FZ_CHECK(*slot, "out of memory");
			continue;
		}
		if (!strncasecmp(attr, "member", 6)) {
			n = check_norm(val);
			check_under(n, base_norm);
			free(n);
		}
	}
	flush(&e, r, base_norm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ig_dir_settings file, flags;
	struct ig_dir_result r = { 0 };
	struct ig_msrc src = { 0 };
	char *text, *base_norm;
	size_t i, enabled = 0;
	long skipped;
	int rc;

	ig_dir_settings_init(&file);
	rc = ig_dir_load_ini(&file, fz_as_file(data, size));
	FZ_CHECK(rc == 0 || rc == -EINVAL, "ig_dir_load_ini returned %d", rc);
	FZ_CHECK(file.n_uris <= IG_DIR_MAX_URIS, "%u URIs", file.n_uris);
	for (i = 0; i < file.n_uris; i++)
		FZ_CHECK(file.uris[i] && !strncasecmp(file.uris[i], "ldap", 4), "URI %zu", i);
	if (rc == 0)
		(void)ig_dir_check(&file);
	if (memchr(data, '\0', size)) {
		ig_dir_settings_free(&file);
		return 0;
	}

	base_norm = ig_dir_dn_norm(file.base ? file.base : "DC=corp,DC=example");
	FZ_CHECK(base_norm, "out of memory");
	ig_dir_settings_init(&flags);
	text = fz_strdup(data, size);
	results(text, &flags, base_norm, &r);
	free(text);
	(void)ig_dir_check(&flags);

	skipped = ig_dir_to_source(&r, &src);
	FZ_CHECK(skipped >= 0, "ig_dir_to_source: %ld", skipped);
	for (i = 0; i < r.n; i++)
		enabled += !r.c[i].disabled;
	FZ_CHECK(src.n + (size_t)skipped == enabled,
		 "%zu enabled computers became %zu names and %ld skipped", enabled, src.n, skipped);
	FZ_CHECK(r.n_nohost <= (size_t)skipped, "host-less computers not skipped");
	for (i = 0; i < src.n; i++) {
		FZ_CHECK(src.items[i].flags & IG_MEMBER_F_DIRECTORY, "directory flag missing");
		/* a dNSHostName is a name: never an address or a whole subnet */
		FZ_CHECK(src.items[i].kind == IG_MSRC_NAME, "directory entry %zu became a prefix",
			 i);
	}
	fz_pipeline(&src, data, size);

	ig_msrc_free(&src);
	ig_dir_result_free(&r);
	free(base_norm);
	ig_dir_settings_free(&flags);
	ig_dir_settings_free(&file);
	return 0;
}
