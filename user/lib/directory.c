// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * directory.c - membership from an LDAP directory (see directory.h).
 *
 * libldap (OpenLDAP's client library) does the protocol.  The process
 * environment gets LDAPNOINIT=1 before the first libldap call so that
 * /etc/ldap/ldap.conf and ~/.ldaprc (TLS_REQCERT never, a different base,
 * ...) cannot change what the operator configured here.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <lber.h>
#include <limits.h>
#include <ldap.h>
#include <sasl/sasl.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "directory.h"

/* ---- settings ------------------------------------------------------------ */

enum dir_key {
	K_URI, K_STARTTLS, K_CA_FILE, K_BIND, K_BIND_DN, K_PASSWORD_FILE, K_KEYTAB,
	K_BASE, K_GROUP, K_NESTING, K_PAGE_SIZE, K_TIMEOUT, K_EXTRA, K_MAX_REMOVAL,
	K_MAX
};

static const char *const dir_keys[K_MAX] = {
	[K_URI] = "uri",
	[K_STARTTLS] = "starttls",
	[K_CA_FILE] = "ca-file",
	[K_BIND] = "bind",
	[K_BIND_DN] = "bind-dn",
	[K_PASSWORD_FILE] = "password-file",
	[K_KEYTAB] = "keytab",
	[K_BASE] = "base",
	[K_GROUP] = "group",
	[K_NESTING] = "nesting",
	[K_PAGE_SIZE] = "page-size",
	[K_TIMEOUT] = "timeout",
	[K_EXTRA] = "extra",
	[K_MAX_REMOVAL] = "max-removal",
};

void ig_dir_settings_init(struct ig_dir_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->starttls = true;
	s->bind = IG_DIR_BIND_SIMPLE;
	s->nesting = IG_DIR_NEST_AUTO;
	s->page_size = IG_DIR_DEFAULT_PAGE;
	s->timeout = IG_DIR_DEFAULT_TIMEOUT;
	s->max_removal = IG_DIR_DEFAULT_MAX_REMOVAL;
}

static void free_uris(struct ig_dir_settings *s)
{
	unsigned int i;

	for (i = 0; i < s->n_uris; i++)
		free(s->uris[i]);
	s->n_uris = 0;
}

void ig_dir_settings_free(struct ig_dir_settings *s)
{
	free_uris(s);
	free(s->ca_file);
	free(s->bind_dn);
	free(s->password_file);
	free(s->keytab);
	free(s->base);
	free(s->group);
	free(s->extra);
	memset(s, 0, sizeof(*s));
}

const char *ig_dir_key(unsigned int k)
{
	return k < K_MAX ? dir_keys[k] : NULL;
}

bool ig_dir_is_key(const char *name)
{
	unsigned int k;

	for (k = 0; k < K_MAX; k++)
		if (!strcmp(name, dir_keys[k]))
			return true;
	return false;
}

static int set_str(char **dst, const char *value, const char *key, char *err, size_t errlen)
{
	char *v;

	if (!*value) {
		snprintf(err, errlen, "%s: empty value", key);
		return -1;
	}
	v = strdup(value);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = v;
	return 0;
}

static int set_uint(unsigned int *dst, const char *value, unsigned long min,
		    unsigned long max, const char *key, char *err, size_t errlen)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (!isdigit((unsigned char)*value) || errno || *end || v < min || v > max) {
		snprintf(err, errlen, "%s: '%s' is not a number from %lu to %lu", key, value,
			 min, max);
		return -1;
	}
	*dst = (unsigned int)v;
	return 0;
}

static int add_uris(struct ig_dir_settings *s, const char *value, char *err, size_t errlen)
{
	char *copy = strdup(value), *tok, *save = NULL;
	int ret = -1;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (strncasecmp(tok, "ldap://", 7) && strncasecmp(tok, "ldaps://", 8) &&
		    strncasecmp(tok, "ldapi://", 8)) {
			snprintf(err, errlen, "uri: '%s' is not an LDAP URI (ldaps://HOST[:PORT] "
				 "or ldap://HOST[:PORT])", tok);
			goto cleanup;
		}
		if (!ldap_is_ldap_url(tok) && strncasecmp(tok, "ldapi://", 8)) {
			snprintf(err, errlen, "uri: '%s' is not a valid LDAP URI", tok);
			goto cleanup;
		}
		if (s->n_uris == IG_DIR_MAX_URIS) {
			snprintf(err, errlen, "uri: at most %d servers", IG_DIR_MAX_URIS);
			goto cleanup;
		}
		s->uris[s->n_uris] = strdup(tok);
		if (!s->uris[s->n_uris]) {
			snprintf(err, errlen, "out of memory");
			goto cleanup;
		}
		s->n_uris++;
	}
	if (!s->n_uris) {
		snprintf(err, errlen, "uri: empty value");
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(copy);
	return ret;
}

int ig_dir_set(struct ig_dir_settings *s, const char *key, const char *value,
	       bool override, char *err, size_t errlen)
{
	unsigned int k, pct;

	for (k = 0; k < K_MAX; k++)
		if (!strcmp(key, dir_keys[k]))
			break;
	if (k == K_MAX) {
		snprintf(err, errlen, "unknown key '%s' in [directory]", key);
		return -1;
	}
	/* A flag replaces the file's value; for "uri" the file's whole list. */
	if (override && k == K_URI && !(s->set & (1u << K_URI)))
		free_uris(s);
	if (override)
		s->set |= 1u << k;

	switch (k) {
	case K_URI:
		return add_uris(s, value, err, errlen);
	case K_STARTTLS:
		if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") ||
		    !strcasecmp(value, "on") || !strcmp(value, "1")) {
			s->starttls = true;
		} else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") ||
			   !strcasecmp(value, "off") || !strcmp(value, "0")) {
			s->starttls = false;
		} else {
			snprintf(err, errlen, "starttls: '%s' is not yes or no", value);
			return -1;
		}
		return 0;
	case K_CA_FILE:
		return set_str(&s->ca_file, value, key, err, errlen);
	case K_BIND:
		if (!strcasecmp(value, "simple")) {
			s->bind = IG_DIR_BIND_SIMPLE;
		} else if (!strcasecmp(value, "gssapi") || !strcasecmp(value, "kerberos")) {
			s->bind = IG_DIR_BIND_GSSAPI;
		} else {
			snprintf(err, errlen, "bind: '%s' is not simple or gssapi", value);
			return -1;
		}
		return 0;
	case K_BIND_DN:
		return set_str(&s->bind_dn, value, key, err, errlen);
	case K_PASSWORD_FILE:
		return set_str(&s->password_file, value, key, err, errlen);
	case K_KEYTAB:
		return set_str(&s->keytab, value, key, err, errlen);
	case K_BASE:
		return set_str(&s->base, value, key, err, errlen);
	case K_GROUP:
		return set_str(&s->group, value, key, err, errlen);
	case K_NESTING:
		if (!strcasecmp(value, "auto")) {
			s->nesting = IG_DIR_NEST_AUTO;
		} else if (!strcasecmp(value, "in-chain")) {
			s->nesting = IG_DIR_NEST_IN_CHAIN;
		} else if (!strcasecmp(value, "client")) {
			s->nesting = IG_DIR_NEST_CLIENT;
		} else {
			snprintf(err, errlen, "nesting: '%s' is not auto, in-chain or client", value);
			return -1;
		}
		return 0;
	case K_PAGE_SIZE:
		return set_uint(&s->page_size, value, 1, 100000, key, err, errlen);
	case K_TIMEOUT:
		return set_uint(&s->timeout, value, 1, 3600, key, err, errlen);
	case K_EXTRA:
		return set_str(&s->extra, value, key, err, errlen);
	case K_MAX_REMOVAL:
		if (set_uint(&pct, value, 0, 100, key, err, errlen))
			return -1;
		s->max_removal = pct;
		return 0;
	}
	return -1;
}

static int dir_ini_key(void *user, const char *section, const char *name, const char *value,
		       char *err, size_t errlen)
{
	if (strcmp(section, "directory"))
		return 0;                       /* [router], [ra]: config.c's business */
	return ig_dir_set(user, name, value, false, err, errlen) ? -1 : 0;
}

int ig_dir_load_ini(struct ig_dir_settings *s, const char *path)
{
	return ig_ini_load(path, dir_ini_key, s);
}

/* Both name one file (links followed)? */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int ig_dir_check(const struct ig_dir_settings *s)
{
	unsigned int i;
	bool plain = false;

	if (!s->n_uris) {
		ig_err("directory: no server: set 'uri' in [directory] (or --uri URI), "
		       "e.g. ldaps://dc1.corp.example");
		return -EINVAL;
	}
	if (!s->base) {
		ig_err("directory: no search base: set 'base' in [directory] (or --base DN), "
		       "e.g. DC=corp,DC=example");
		return -EINVAL;
	}
	if (!s->group) {
		ig_err("directory: no group: set 'group' in [directory] (or --group DN), "
		       "the distinguished name of the ISATAP group");
		return -EINVAL;
	}
	if (s->bind == IG_DIR_BIND_SIMPLE && (!s->bind_dn || !s->password_file)) {
		ig_err("directory: simple bind needs 'bind-dn' and 'password-file' in [directory] "
		       "(or bind = gssapi with a keytab)");
		return -EINVAL;
	}
	/* The membership parser quotes a line it cannot read in its error
	 * message (stderr, the journal): the password would be logged. */
	if (s->extra && (same_file(s->extra, s->password_file) || same_file(s->extra, s->keytab))) {
		ig_err("directory: 'extra' (%s) is the %s: its secret would be quoted in error "
		       "messages; set 'extra' to the file of fixed members", s->extra,
		       same_file(s->extra, s->password_file) ? "password file" : "keytab");
		return -EINVAL;
	}
	for (i = 0; i < s->n_uris; i++)
		if (!strncasecmp(s->uris[i], "ldap://", 7) && !s->starttls)
			plain = true;
	if (plain && s->bind == IG_DIR_BIND_SIMPLE)
		ig_err("warning: directory: starttls = no with an ldap:// URI sends the bind "
		       "password in clear text; use ldaps:// or StartTLS outside a lab");
	return 0;
}

char *ig_dir_read_password(const char *path, char *err, size_t errlen)
{
	char buf[1024], *pw = NULL;
	ssize_t n;
	size_t len;
	int fd;

	fd = ig_secret_open(path, "password file", err, errlen);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		snprintf(err, errlen, "password file %s: %s", path, strerror(errno));
		goto cleanup;
	}
	if ((size_t)n == sizeof(buf)) {
		snprintf(err, errlen, "password file %s: longer than %zu bytes (not a password?)",
			 path, sizeof(buf) - 1);
		goto cleanup;
	}
	len = (size_t)n;
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	if (memchr(buf, '\0', len) || memchr(buf, '\n', len)) {
		snprintf(err, errlen, "password file %s: the password must be one line", path);
		goto cleanup;
	}
	if (!len) {
		snprintf(err, errlen, "password file %s is empty (an LDAP bind with an empty "
			 "password is an anonymous bind)", path);
		goto cleanup;
	}
	pw = malloc(len + 1);
	if (!pw) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	memcpy(pw, buf, len);
	pw[len] = '\0';
cleanup:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return pw;
}

/* ---- helpers ------------------------------------------------------------- */

/* Decimal digits only (strtoul would also take spaces, signs and wrap
 * "-1" to ULONG_MAX); *p is left after them.  False when none or too big. */
static bool parse_decimal(const char **p, unsigned long *out)
{
	unsigned long v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned long d = (unsigned long)(*s - '0');

		if (v > (ULONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return true;
}

bool ig_dir_parse_range(const char *attr, unsigned long *high, bool *last)
{
	const char *p;
	unsigned long low, h;

	/* exactly member;range=LOW-HIGH (LOW <= HIGH) or member;range=LOW-* */
	if (strncasecmp(attr, "member;range=", 13))
		return false;
	p = attr + 13;
	if (!parse_decimal(&p, &low) || *p++ != '-')
		return false;
	if (!strcmp(p, "*")) {
		*last = true;
		*high = 0;
		return true;
	}
	/* HIGH + 1 is where the next range starts: it must not wrap */
	if (!parse_decimal(&p, &h) || *p || h < low || h == ULONG_MAX)
		return false;
	*high = h;
	*last = false;
	return true;
}

char *ig_dir_dn_norm(const char *dn)
{
	char *out = malloc(strlen(dn) + 1), *o, *keep;
	const char *p;
	bool after_sep = true;

	if (!out)
		return NULL;
	/* keep: spaces are trimmed back to here at most, never into an escaped
	 * pair ("CN=a\\ ,DC=x": the escaped space is part of the value, and
	 * dropping it would leave "\\," escaping the separator) */
	for (p = dn, o = keep = out; *p; p++) {
		if (*p == '\\' && p[1]) {          /* escaped: keep both as they are */
			*o++ = *p++;
			*o++ = (char)tolower((unsigned char)*p);
			keep = o;
			after_sep = false;
			continue;
		}
		if ((*p == ',' || *p == '=' || *p == '+')) {
			while (o > keep && o[-1] == ' ')   /* spaces before a separator */
				o--;
			*o++ = *p;
			after_sep = true;
			continue;
		}
		if (*p == ' ' && after_sep)
			continue;
		*o++ = (char)tolower((unsigned char)*p);
		after_sep = false;
	}
	while (o > keep && o[-1] == ' ')
		o--;
	*o = '\0';
	return out;
}

bool ig_dir_dn_under(const char *dn, const char *base)
{
	size_t ld = strlen(dn), lb = strlen(base), i;
	bool esc = false;

	if (ld < lb || strcmp(dn + ld - lb, base))
		return false;
	if (ld == lb)
		return true;
	if (dn[ld - lb - 1] != ',')
		return false;
	/* an RDN boundary, not an escaped ',' inside a value ("CN=a\\,DC=corp"
	 * is one RDN): is that ',' escaped? */
	for (i = 0; i < ld - lb - 1; i++)
		esc = !esc && dn[i] == '\\';
	return !esc;
}

bool ig_dir_uac_disabled(const char *uac)
{
	long long v;

	if (!uac)
		return false;
	v = strtoll(uac, NULL, 10);
	return (unsigned long long)v & IG_UAC_ACCOUNTDISABLE;
}

void ig_dir_result_free(struct ig_dir_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->c[i].dn);
		free(r->c[i].host);
	}
	free(r->c);
	memset(r, 0, sizeof(*r));
}

int ig_dir_result_add(struct ig_dir_result *r, const char *dn, const char *host, bool disabled)
{
	struct ig_dir_computer *c;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;

		c = realloc(r->c, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		r->c = c;
		r->cap = cap;
	}
	c = &r->c[r->n];
	c->dn = strdup(dn);
	c->host = host ? strdup(host) : NULL;
	c->disabled = disabled;
	if (!c->dn || (host && !c->host)) {
		free(c->dn);
		free(c->host);
		return -ENOMEM;
	}
	r->n++;
	if (disabled)
		r->n_disabled++;
	else if (!host)
		r->n_nohost++;
	return 0;
}

/* A set of normalised DNs (client-side nesting: cycle safety). */
struct dnset {
	char **slot;
	size_t cap, n;
};

static size_t dn_hash(const char *s)
{
	return (size_t)ig_name_hash(s);
}

static void dnset_free(struct dnset *d)
{
	size_t i;

	for (i = 0; i < d->cap; i++)
		free(d->slot[i]);
	free(d->slot);
	memset(d, 0, sizeof(*d));
}

/* Insert (takes ownership of s).  1 inserted, 0 already there (s freed),
 * -ENOMEM. */
static int dnset_add(struct dnset *d, char *s)
{
	size_t i;

	if (2 * (d->n + 1) > d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256, j;
		char **slot = calloc(cap, sizeof(*slot));

		if (!slot) {
			free(s);
			return -ENOMEM;
		}
		for (j = 0; j < d->cap; j++) {
			if (!d->slot[j])
				continue;
			for (i = dn_hash(d->slot[j]) & (cap - 1); slot[i]; i = (i + 1) & (cap - 1))
				;
			slot[i] = d->slot[j];
		}
		free(d->slot);
		d->slot = slot;
		d->cap = cap;
	}
	for (i = dn_hash(s) & (d->cap - 1); d->slot[i]; i = (i + 1) & (d->cap - 1)) {
		if (!strcmp(d->slot[i], s)) {
			free(s);
			return 0;
		}
	}
	d->slot[i] = s;
	d->n++;
	return 1;
}

/* A growing array of strings (client-side nesting: DNs). */
struct strlist {
	char **v;
	size_t n, cap;
};

/* Append a copy of the len bytes at s: 0 or -ENOMEM. */
static int strlist_add(struct strlist *l, const char *s, size_t len)
{
	char *copy;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		char **p = realloc(l->v, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->v = p;
		l->cap = nc;
	}
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	l->v[l->n++] = copy;
	return 0;
}

/* Free the strings, keep the array. */
static void strlist_clear(struct strlist *l)
{
	while (l->n)
		free(l->v[--l->n]);
}

static void strlist_free(struct strlist *l)
{
	strlist_clear(l);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- LDAP ---------------------------------------------------------------- */

struct dir_conn {
	LDAP *ld;
	const struct ig_dir_settings *s;
	char *base_norm;
	struct timeval tv;
	bool ad, paged;
};

/* The server's diagnostic message for the last operation, or "". */
static void diag(LDAP *ld, int rc, char *buf, size_t len)
{
	char *msg = NULL;

	if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_OPT_SUCCESS &&
	    msg && *msg)
		snprintf(buf, len, "%s (%s)", ldap_err2string(rc), msg);
	else
		snprintf(buf, len, "%s", ldap_err2string(rc));
	if (msg)
		ldap_memfree(msg);
}

static int set_opts(LDAP *ld, const struct ig_dir_settings *s, char *err, size_t errlen)
{
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
	struct timeval tv = { .tv_sec = s->timeout };
	struct timeval ctv = { .tv_sec = s->timeout < IG_DIR_CONNECT_TIMEOUT ?
					 s->timeout : IG_DIR_CONNECT_TIMEOUT };
	const char *ca = s->ca_file ? s->ca_file : IG_DIR_DEFAULT_CA;

	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &ctv) ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) ||
	    ldap_set_option(ld, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON)) {
		snprintf(err, errlen, "libldap refused a connection option");
		return -1;
	}
	if (access(ca, R_OK)) {
		snprintf(err, errlen, "CA file %s: %s (set ca-file to the CA that signed the "
			 "directory servers' certificates)", ca, strerror(errno));
		return -1;
	}
	/* Per-connection TLS context: verify the server's certificate against
	 * this CA and its name against the URI's host name. */
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ca) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero)) {
		snprintf(err, errlen, "TLS set-up with CA file %s failed (not a PEM certificate?)",
			 ca);
		return -1;
	}
	return 0;
}

static int sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	sasl_interact_t *it;

	(void)ld;
	(void)flags;
	(void)defaults;
	for (it = in; it->id != SASL_CB_LIST_END; it++) {
		/* GSSAPI asks at most for an authorization identity: none. */
		it->result = "";
		it->len = 0;
	}
	return LDAP_SUCCESS;
}

static bool is_connect_error(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
	       rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

/*
 * Connect to one URI and bind.  Returns IG_DIR_OK, IG_DIR_ERR_CONNECT (try
 * the next server) or another error (stop).
 */
static enum ig_dir_err connect_one(const struct ig_dir_settings *s, const char *uri,
				   const char *password, LDAP **out, char *err, size_t errlen)
{
	enum ig_dir_err ret = IG_DIR_ERR_CONNECT;
	char why[512];
	LDAP *ld = NULL;
	int rc;

	rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS) {
		snprintf(err, errlen, "%s: %s", uri, ldap_err2string(rc));
		ret = IG_DIR_ERR_CONFIG;
		goto cleanup;
	}
	if (set_opts(ld, s, why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);
		ret = IG_DIR_ERR_CONFIG;
		goto cleanup;
	}
	if (!strncasecmp(uri, "ldap://", 7) && s->starttls) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			diag(ld, rc, why, sizeof(why));
			snprintf(err, errlen, "%s: StartTLS failed: %s", uri, why);
			goto cleanup;           /* unreachable, or TLS: next server */
		}
	}
	if (s->bind == IG_DIR_BIND_SIMPLE) {
		struct berval cred = { .bv_val = (char *)password, .bv_len = strlen(password) };

		rc = ldap_sasl_bind_s(ld, s->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	} else {
		/* Over TLS, no SASL security layer on top (AD and Samba refuse
		 * sign/seal inside TLS); in clear text, insist on one. */
		bool tls = !strncasecmp(uri, "ldaps://", 8) ||
			   (!strncasecmp(uri, "ldap://", 7) && s->starttls);

		if (ldap_set_option(ld, LDAP_OPT_X_SASL_SECPROPS,
				    tls ? "maxssf=0" : "minssf=56")) {
			snprintf(err, errlen, "libldap refused the SASL security properties");
			ret = IG_DIR_ERR_CONFIG;
			goto cleanup;
		}
		rc = ldap_sasl_interactive_bind_s(ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET,
						  sasl_interact, NULL);
	}
	if (rc != LDAP_SUCCESS) {
		diag(ld, rc, why, sizeof(why));
		if (is_connect_error(rc)) {
			snprintf(err, errlen, "%s: %s", uri, why);
			goto cleanup;
		}
		ret = IG_DIR_ERR_AUTH;
		if (rc == LDAP_INVALID_CREDENTIALS && s->bind == IG_DIR_BIND_SIMPLE)
			snprintf(err, errlen, "%s: bind as '%s' refused: %s: check bind-dn and the "
				 "password file", uri, s->bind_dn, why);
		else if (rc == LDAP_STRONG_AUTH_REQUIRED || rc == LDAP_CONFIDENTIALITY_REQUIRED)
			snprintf(err, errlen, "%s: bind refused: %s: the server wants an encrypted "
				 "connection (use ldaps:// or starttls = yes)", uri, why);
		else if (s->bind == IG_DIR_BIND_GSSAPI)
			snprintf(err, errlen, "%s: GSSAPI bind failed: %s: check the keytab, "
				 "KRB5_CONFIG/krb5.conf and the clock", uri, why);
		else
			snprintf(err, errlen, "%s: bind refused: %s", uri, why);
		goto cleanup;
	}
	*out = ld;
	ld = NULL;
	ret = IG_DIR_OK;
cleanup:
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return ret;
}

static bool has_value(LDAP *ld, LDAPMessage *e, const char *attr, const char *want)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	bool found = false;
	int i;

	for (i = 0; v && v[i]; i++)
		if (v[i]->bv_len == strlen(want) && !strncasecmp(v[i]->bv_val, want, v[i]->bv_len))
			found = true;
	ldap_value_free_len(v);
	return found;
}

/* First value of attr as a string (malloc'd), NULL when absent. */
static char *first_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	char *s = NULL;

	if (v && v[0]) {
		s = malloc(v[0]->bv_len + 1);
		if (s) {
			memcpy(s, v[0]->bv_val, v[0]->bv_len);
			s[v[0]->bv_len] = '\0';
		}
	}
	ldap_value_free_len(v);
	return s;
}

/* A group object (AD group, or groupOfNames / groupOfUniqueNames)? */
static bool is_group(LDAP *ld, LDAPMessage *e)
{
	return has_value(ld, e, "objectClass", "group") ||
	       has_value(ld, e, "objectClass", "groupOfNames") ||
	       has_value(ld, e, "objectClass", "groupOfUniqueNames");
}

static enum ig_dir_err read_root_dse(struct dir_conn *c, char *err, size_t errlen)
{
	char *attrs[] = { "supportedCapabilities", "supportedControl", NULL };
	LDAPMessage *res = NULL, *e;
	char why[512];
	int rc;

	rc = ldap_search_ext_s(c->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL,
			       NULL, &c->tv, 1, &res);
	if (rc != LDAP_SUCCESS) {
		diag(c->ld, rc, why, sizeof(why));
		snprintf(err, errlen, "reading the server's rootDSE: %s", why);
		ldap_msgfree(res);
		return is_connect_error(rc) ? IG_DIR_ERR_CONNECT : IG_DIR_ERR_SEARCH;
	}
	e = ldap_first_entry(c->ld, res);
	if (e) {
		c->ad = has_value(c->ld, e, "supportedCapabilities", IG_OID_CAP_AD);
		c->paged = has_value(c->ld, e, "supportedControl", IG_OID_PAGED_RESULTS);
	}
	ldap_msgfree(res);
	ig_dbg("directory: server is%s Active Directory, paged results %ssupported",
	       c->ad ? "" : " not", c->paged ? "" : "not ");
	return IG_DIR_OK;
}

static enum ig_dir_err search_error(struct dir_conn *c, int rc, const char *what,
				    char *err, size_t errlen)
{
	char why[512];

	diag(c->ld, rc, why, sizeof(why));
	if (rc == LDAP_SIZELIMIT_EXCEEDED)
		snprintf(err, errlen, "%s: %s: the server capped the result and does not offer "
			 "paged results: raise its size limit for the sync account", what, why);
	else
		snprintf(err, errlen, "%s: %s", what, why);
	return is_connect_error(rc) ? IG_DIR_ERR_CONNECT : IG_DIR_ERR_SEARCH;
}

/* The group exists and is a group. */
static enum ig_dir_err check_group(struct dir_conn *c, char *err, size_t errlen)
{
	char *attrs[] = { "objectClass", NULL };
	LDAPMessage *res = NULL, *e;
	enum ig_dir_err ret = IG_DIR_OK;
	int rc;

	rc = ldap_search_ext_s(c->ld, c->s->group, LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
			       0, NULL, NULL, &c->tv, 1, &res);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		snprintf(err, errlen, "group '%s' does not exist (check 'group' in [directory])",
			 c->s->group);
		ret = IG_DIR_ERR_SEARCH;
		goto cleanup;
	}
	if (rc != LDAP_SUCCESS) {
		ret = search_error(c, rc, "reading the group", err, errlen);
		goto cleanup;
	}
	e = ldap_first_entry(c->ld, res);
	if (!e || !is_group(c->ld, e)) {
		snprintf(err, errlen, "'%s' is not a group (objectClass group or groupOfNames)",
			 c->s->group);
		ret = IG_DIR_ERR_SEARCH;
	}
cleanup:
	ldap_msgfree(res);
	return ret;
}

/* One computer entry into the result (disabled ones counted, kept out). */
static int add_computer(struct dir_conn *c, LDAPMessage *e, const char *dn,
			struct ig_dir_result *r)
{
	char *host = first_value(c->ld, e, "dNSHostName");
	char *uac = first_value(c->ld, e, "userAccountControl");
	bool disabled = ig_dir_uac_disabled(uac);
	int ret;

	if (disabled)
		ig_dbg("directory: %s is disabled: not a member", dn);
	ret = ig_dir_result_add(r, dn, host, disabled);
	free(host);
	free(uac);
	return ret;
}

/* "(&PREFIX(ATTR=VALUE))" with VALUE escaped (RFC 4515): malloc'd or NULL. */
static char *eq_filter(const char *prefix, const char *attr, const char *value)
{
	struct berval v = { .bv_val = (char *)value, .bv_len = strlen(value) };
	struct berval esc = { 0 };
	char *f = NULL;
	size_t len;

	if (ldap_bv2escaped_filter_value(&v, &esc))
		return NULL;
	len = strlen(prefix) + strlen(attr) + strlen(esc.bv_val) + 8;
	f = malloc(len);
	if (f)
		snprintf(f, len, "(&%s(%s=%s))", prefix, attr, esc.bv_val);
	ber_memfree(esc.bv_val);
	return f;
}

/* The computers of one page of the in-chain search into r. */
static enum ig_dir_err add_page(struct dir_conn *c, LDAPMessage *res, struct ig_dir_result *r,
				size_t *in_page)
{
	LDAPMessage *e;
	char *dn;
	int rc;

	for (e = ldap_first_entry(c->ld, res); e; e = ldap_next_entry(c->ld, e)) {
		dn = ldap_get_dn(c->ld, e);
		if (!dn)
			return IG_DIR_ERR_NOMEM;
		rc = add_computer(c, e, dn, r);
		ldap_memfree(dn);
		if (rc)
			return IG_DIR_ERR_NOMEM;
		(*in_page)++;
	}
	return IG_DIR_OK;
}

/* The server's cookie for the next page into *cookie (left empty after
 * the last page). */
static enum ig_dir_err page_cookie(struct dir_conn *c, LDAPMessage *res, struct berval *cookie,
				   char *err, size_t errlen)
{
	LDAPControl **rctrls = NULL, *resp;
	enum ig_dir_err ret = IG_DIR_OK;
	ber_int_t est;
	int rc, code;

	rc = ldap_parse_result(c->ld, res, &code, NULL, NULL, NULL, &rctrls, 0);
	if (rc != LDAP_SUCCESS) {
		ret = search_error(c, rc, "reading the paged result", err, errlen);
		goto cleanup;
	}
	resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
	if (resp) {
		rc = ldap_parse_pageresponse_control(c->ld, resp, &est, cookie);
		if (rc != LDAP_SUCCESS)
			ret = search_error(c, rc, "reading the paged result", err, errlen);
	}
cleanup:
	ldap_controls_free(rctrls);
	return ret;
}

/* One page of the in-chain search (the whole result when the server does
 * not page): its computers into r, *cookie where the next page starts. */
static enum ig_dir_err in_chain_page(struct dir_conn *c, const char *filter, struct berval *cookie,
				     struct ig_dir_result *r, char *err, size_t errlen)
{
	char *attrs[] = { "dNSHostName", "userAccountControl", NULL };
	LDAPControl *sctrls[2] = { NULL, NULL }, *pc = NULL;
	enum ig_dir_err ret = IG_DIR_OK;
	LDAPMessage *res = NULL;
	size_t in_page = 0;
	int rc;

	if (c->paged) {
		rc = ldap_create_page_control(c->ld, (ber_int_t)c->s->page_size, cookie, 1, &pc);
		if (rc != LDAP_SUCCESS)
			return IG_DIR_ERR_NOMEM;
		sctrls[0] = pc;
	}
	rc = ldap_search_ext_s(c->ld, c->s->base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, sctrls,
			       NULL, &c->tv, LDAP_NO_LIMIT, &res);
	ldap_control_free(pc);
	if (rc != LDAP_SUCCESS) {
		ret = search_error(c, rc, "searching the group's computers", err, errlen);
		goto cleanup;
	}
	ret = add_page(c, res, r, &in_page);
	if (ret)
		goto cleanup;
	r->pages++;
	if (in_page > r->max_page)
		r->max_page = in_page;
	ber_memfree(cookie->bv_val);
	cookie->bv_val = NULL;
	cookie->bv_len = 0;
	if (c->paged) {
		ret = page_cookie(c, res, cookie, err, errlen);
		if (ret)
			goto cleanup;
	}
	ig_dbg("directory: page %u: %zu entries", r->pages, in_page);
cleanup:
	ldap_msgfree(res);
	return ret;
}

/* AD: every computer that is a member of the group, directly or through
 * nested groups, in one paged subtree search. */
static enum ig_dir_err fetch_in_chain(struct dir_conn *c, struct ig_dir_result *r, char *err,
				      size_t errlen)
{
	struct berval cookie = { 0 };
	enum ig_dir_err ret;
	char *filter;

	filter = eq_filter("(objectClass=computer)", "memberOf:" IG_OID_IN_CHAIN ":", c->s->group);
	if (!filter)
		return IG_DIR_ERR_NOMEM;
	ig_dbg("directory: search %s with %s, page size %u", c->s->base, filter,
	       c->paged ? c->s->page_size : 0);
	r->paged = c->paged;
	do {
		ret = in_chain_page(c, filter, &cookie, r, err, errlen);
	} while (!ret && cookie.bv_val && cookie.bv_len);
	ber_memfree(cookie.bv_val);
	free(filter);
	return ret;
}

/* read_members(): one group's `member` values, range by range. */
struct member_read {
	struct dir_conn *c;
	const char *group;
	struct strlist *out;
	unsigned long low; /* the first value of the next range */
	bool more;	   /* another range to ask for */
};

/* One attribute of the group's entry: its values appended to m->out when
 * it is `member` or a range of it. */
static enum ig_dir_err member_attr(struct member_read *m, LDAPMessage *e, const char *a, char *err,
				   size_t errlen)
{
	unsigned long high;
	bool last, ranged = ig_dir_parse_range(a, &high, &last);
	struct berval **v;
	int i;

	if (!ranged && strcasecmp(a, "member"))
		return IG_DIR_OK;
	v = ldap_get_values_len(m->c->ld, e, a);
	for (i = 0; v && v[i]; i++) {
		if (strlist_add(m->out, v[i]->bv_val, v[i]->bv_len)) {
			ldap_value_free_len(v);
			return IG_DIR_ERR_NOMEM;
		}
	}
	ldap_value_free_len(v);
	if (!ranged || last)
		return IG_DIR_OK;
	/* the next range starts past this one: a server that answers a range
	 * before it would have us loop forever */
	if (high < m->low) {
		snprintf(err, errlen,
			 "reading the members of %s: the server's range retrieval "
			 "went backwards (%s after asking for %lu-*)",
			 m->group, a, m->low);
		return IG_DIR_ERR_SEARCH;
	}
	m->more = true;
	m->low = high + 1;
	return IG_DIR_OK;
}

/* One read of the group: `member`, or the range from m->low on. */
static enum ig_dir_err read_member_range(struct member_read *m, char *err, size_t errlen)
{
	struct dir_conn *c = m->c;
	enum ig_dir_err ret = IG_DIR_OK;
	LDAPMessage *res = NULL, *e;
	char attr[64], *a, what[300];
	char *attrs[] = { attr, NULL };
	BerElement *ber = NULL;
	int rc;

	m->more = false;
	if (m->low)
		snprintf(attr, sizeof(attr), "member;range=%lu-*", m->low);
	else
		snprintf(attr, sizeof(attr), "member");
	rc = ldap_search_ext_s(c->ld, m->group, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL,
			       NULL, &c->tv, 1, &res);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ig_dbg("directory: nested group %s no longer exists", m->group);
		goto cleanup;
	}
	if (rc != LDAP_SUCCESS) {
		snprintf(what, sizeof(what), "reading the members of %s", m->group);
		ret = search_error(c, rc, what, err, errlen);
		goto cleanup;
	}
	e = ldap_first_entry(c->ld, res);
	for (a = e ? ldap_first_attribute(c->ld, e, &ber) : NULL; a;
	     a = ldap_next_attribute(c->ld, e, ber)) {
		ret = member_attr(m, e, a, err, errlen);
		ldap_memfree(a);
		if (ret)
			goto cleanup;
	}
cleanup:
	ber_free(ber, 0);
	ldap_msgfree(res);
	return ret;
}

/* Client-side nesting: every `member` value of a group (AD range
 * retrieval followed), appended to out. */
static enum ig_dir_err read_members(struct dir_conn *c, const char *group, struct strlist *out,
				    char *err, size_t errlen)
{
	struct member_read m = { .c = c, .group = group, .out = out, .more = true };
	enum ig_dir_err ret = IG_DIR_OK;

	while (m.more && !ret)
		ret = read_member_range(&m, err, errlen);
	return ret;
}

/* fetch_client()'s breadth-first walk. */
struct client_walk {
	struct dir_conn *c;
	struct ig_dir_result *r;
	struct strlist queue; /* the groups to read, in order */
	struct strlist mem;   /* the members of the group being read */
	struct dnset seen;    /* every DN met, normalised */
};

/* Read a member object met for the first time: a computer goes into the
 * result, a group into the queue. */
static enum ig_dir_err read_member(struct client_walk *w, const char *dn, char *err, size_t errlen)
{
	char *attrs[] = { "objectClass", "dNSHostName", "userAccountControl", NULL };
	struct dir_conn *c = w->c;
	enum ig_dir_err ret = IG_DIR_OK;
	LDAPMessage *res = NULL, *e;
	char what[300];
	int rc;

	rc = ldap_search_ext_s(c->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
			       &c->tv, 1, &res);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ig_dbg("directory: member %s does not exist: ignored", dn);
		goto cleanup;
	}
	if (rc != LDAP_SUCCESS) {
		snprintf(what, sizeof(what), "reading %s", dn);
		ret = search_error(c, rc, what, err, errlen);
		goto cleanup;
	}
	e = ldap_first_entry(c->ld, res);
	if (e && has_value(c->ld, e, "objectClass", "computer")) {
		if (add_computer(c, e, dn, w->r))
			ret = IG_DIR_ERR_NOMEM;
	} else if (e && is_group(c->ld, e)) {
		if (strlist_add(&w->queue, dn, strlen(dn)))
			ret = IG_DIR_ERR_NOMEM;
	}
cleanup:
	ldap_msgfree(res);
	return ret;
}

/* One member of a group being read: skipped when outside the search base
 * or seen before, else read. */
static enum ig_dir_err visit_member(struct client_walk *w, const char *dn, char *err, size_t errlen)
{
	char *norm = ig_dir_dn_norm(dn);
	int rc;

	if (!norm)
		return IG_DIR_ERR_NOMEM;
	if (!ig_dir_dn_under(norm, w->c->base_norm)) {
		ig_dbg("directory: %s is outside the search base: ignored", dn);
		free(norm);
		return IG_DIR_OK;
	}
	rc = dnset_add(&w->seen, norm);
	if (rc < 0)
		return IG_DIR_ERR_NOMEM;
	if (!rc)
		return IG_DIR_OK; /* seen: a cycle or a diamond */
	if (w->seen.n > 4 * (size_t)IG_MAX_MEMBERS) {
		snprintf(err, errlen, "more than %zu objects under the group: refusing to go on",
			 4 * (size_t)IG_MAX_MEMBERS);
		return IG_DIR_ERR_SEARCH;
	}
	return read_member(w, dn, err, errlen);
}

/* Client-side nesting: breadth-first over `member` from the group, each DN
 * visited once (cycles, diamonds), one read per member object. */
static enum ig_dir_err fetch_client(struct dir_conn *c, struct ig_dir_result *r, char *err,
				    size_t errlen)
{
	struct client_walk w = { .c = c, .r = r };
	enum ig_dir_err ret = IG_DIR_OK;
	size_t qi, i;
	char *norm;

	norm = ig_dir_dn_norm(c->s->group);
	if (!norm || dnset_add(&w.seen, norm) < 0 ||
	    strlist_add(&w.queue, c->s->group, strlen(c->s->group))) {
		ret = IG_DIR_ERR_NOMEM;
		goto cleanup;
	}
	r->nesting = "client";
	for (qi = 0; qi < w.queue.n; qi++) {
		r->groups++;
		strlist_clear(&w.mem);
		ret = read_members(c, w.queue.v[qi], &w.mem, err, errlen);
		for (i = 0; !ret && i < w.mem.n; i++)
			ret = visit_member(&w, w.mem.v[i], err, errlen);
		if (ret)
			goto cleanup;
	}
	ig_dbg("directory: %zu group(s) walked, %zu computer(s)", r->groups, r->n);
cleanup:
	strlist_free(&w.mem);
	strlist_free(&w.queue);
	dnset_free(&w.seen);
	return ret;
}

/* Connect to the first server that answers, bind, read the rootDSE and
 * check the group: c is ready for searches and server names the URI that
 * answered.  On failure c holds no connection; dir_close() either way. */
static enum ig_dir_err dir_open(const struct ig_dir_settings *s, struct dir_conn *c, char *server,
				size_t slen, char *err, size_t errlen)
{
	enum ig_dir_err ret = IG_DIR_ERR_CONNECT;
	char *password = NULL, why[1024];
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->s = s;
	c->tv.tv_sec = s->timeout;
	snprintf(err, errlen, "no directory server configured");
	/* Our settings only: not /etc/ldap/ldap.conf or ~/.ldaprc. */
	setenv("LDAPNOINIT", "1", 1);
	/* A server closing the connection must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	if (s->bind == IG_DIR_BIND_SIMPLE) {
		password = ig_dir_read_password(s->password_file, err, errlen);
		if (!password)
			return IG_DIR_ERR_CONFIG;
	} else if (s->keytab) {
		/* as strict as a password file: the keys are the account's password */
		int fd = ig_secret_open(s->keytab, "keytab", err, errlen);

		if (fd < 0)
			return IG_DIR_ERR_CONFIG;
		close(fd);
		/* MIT Kerberos: take initial credentials from this keytab, into a
		 * ticket cache private to this process. */
		setenv("KRB5_CLIENT_KTNAME", s->keytab, 1);
		setenv("KRB5CCNAME", "MEMORY:isagate-directory", 1);
	}
	c->base_norm = ig_dir_dn_norm(s->base);
	if (!c->base_norm) {
		ret = IG_DIR_ERR_NOMEM;
		goto cleanup;
	}

	for (i = 0; i < s->n_uris; i++) {
		ret = connect_one(s, s->uris[i], password, &c->ld, why, sizeof(why));
		if (ret == IG_DIR_OK) {
			ret = read_root_dse(c, why, sizeof(why));
			if (ret == IG_DIR_ERR_CONNECT) {
				ldap_unbind_ext_s(c->ld, NULL, NULL);
				c->ld = NULL;
			}
		}
		if (ret == IG_DIR_OK)
			break;
		snprintf(err, errlen, "%s", why);
		if (ret != IG_DIR_ERR_CONNECT)
			goto cleanup;
		if (i + 1 < s->n_uris)
			ig_err("warning: directory: %s; trying %s", why, s->uris[i + 1]);
	}
	if (ret != IG_DIR_OK)
		goto cleanup;
	snprintf(server, slen, "%s", s->uris[i]);
	ig_dbg("directory: connected to %s", server);
	ret = check_group(c, err, errlen);
cleanup:
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return ret;
}

static void dir_close(struct dir_conn *c)
{
	if (c->ld)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	c->ld = NULL;
	free(c->base_norm);
	c->base_norm = NULL;
}

enum ig_dir_err ig_dir_fetch(const struct ig_dir_settings *s, struct ig_dir_result *r, char *err,
			     size_t errlen)
{
	struct dir_conn c;
	enum ig_dir_err ret;

	memset(r, 0, sizeof(*r));
	ret = dir_open(s, &c, r->server, sizeof(r->server), err, errlen);
	if (ret)
		goto cleanup;
	if (s->nesting == IG_DIR_NEST_IN_CHAIN ||
	    (s->nesting == IG_DIR_NEST_AUTO && c.ad)) {
		r->nesting = "in-chain";
		ret = fetch_in_chain(&c, r, err, errlen);
	} else {
		ret = fetch_client(&c, r, err, errlen);
	}
	if (ret == IG_DIR_ERR_NOMEM)
		snprintf(err, errlen, "out of memory");
cleanup:
	dir_close(&c);
	if (ret != IG_DIR_OK)
		ig_dir_result_free(r);
	return ret;
}

/* ---- one computer's nesting chain (explain) ------------------------------ */

/* The computer object whose dNSHostName is host (the first, when several
 * claim it, and how many did). */
static enum ig_dir_err find_computer(struct dir_conn *c, const char *host, struct ig_dir_chain *out,
				     char *err, size_t errlen)
{
	char *attrs[] = { "userAccountControl", NULL }, *filter, *dn, *uac;
	enum ig_dir_err ret = IG_DIR_OK;
	LDAPMessage *res = NULL, *e;
	int rc;

	filter = eq_filter("(objectClass=computer)", "dNSHostName", host);
	if (!filter)
		return IG_DIR_ERR_NOMEM;
	rc = ldap_search_ext_s(c->ld, c->s->base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL,
			       &c->tv, 8, &res);
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
		ret = search_error(c, rc, "searching the computer object", err, errlen);
		goto cleanup;
	}
	for (e = ldap_first_entry(c->ld, res); e; e = ldap_next_entry(c->ld, e)) {
		out->n_computers++;
		if (out->computer)
			continue;
		dn = ldap_get_dn(c->ld, e);
		out->computer = dn ? strdup(dn) : NULL;
		ldap_memfree(dn);
		if (!out->computer) {
			ret = IG_DIR_ERR_NOMEM;
			goto cleanup;
		}
		uac = first_value(c->ld, e, "userAccountControl");
		out->disabled = ig_dir_uac_disabled(uac);
		free(uac);
	}
cleanup:
	ldap_msgfree(res);
	free(filter);
	return ret;
}

/* The upward walk of find_chain(): each group once, with the member it
 * was reached from (index; SIZE_MAX for the computer). */
struct chain_walk {
	struct chain_node {
		char *dn;
		size_t parent;
	} * q;
	size_t n, cap;
	struct dnset seen;
};

static void chain_walk_free(struct chain_walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->q[i].dn);
	free(w->q);
	dnset_free(&w->seen);
}

/* Queue dn (reached from parent) unless seen: 0, or -ENOMEM / -E2BIG. */
static int chain_push(struct chain_walk *w, const char *dn, size_t parent)
{
	char *norm = ig_dir_dn_norm(dn);
	int rc;

	if (!norm)
		return -ENOMEM;
	rc = dnset_add(&w->seen, norm);
	if (rc <= 0)
		return rc;
	if (w->seen.n > IG_DIR_MAX_CHAIN_GROUPS)
		return -E2BIG;
	if (w->n == w->cap) {
		size_t nc = w->cap ? 2 * w->cap : 16;
		struct chain_node *p = realloc(w->q, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->q = p;
		w->cap = nc;
	}
	w->q[w->n].dn = strdup(dn);
	if (!w->q[w->n].dn)
		return -ENOMEM;
	w->q[w->n++].parent = parent;
	return 0;
}

/* out->chain = group_dn, then from node k down to the computer. */
static int chain_take(struct chain_walk *w, size_t k, const char *group_dn,
		      struct ig_dir_chain *out)
{
	size_t i, n = 1;

	for (i = k; i != SIZE_MAX; i = w->q[i].parent)
		n++;
	out->chain = calloc(n, sizeof(*out->chain));
	if (!out->chain || !(out->chain[0] = strdup(group_dn)))
		return -ENOMEM;
	out->n_chain = 1;
	for (i = k; i != SIZE_MAX; i = w->q[i].parent) {
		out->chain[out->n_chain++] = w->q[i].dn;
		w->q[i].dn = NULL;
	}
	return 0;
}

/* Upward breadth-first from the computer over the groups that list it (or
 * a group it is in) as `member`, until the configured group: the shortest
 * chain, the group first; none when the walk ends without it. */
static enum ig_dir_err find_chain(struct dir_conn *c, struct ig_dir_chain *out, char *err,
				  size_t errlen)
{
	char *attrs[] = { LDAP_NO_ATTRS, NULL }, *filter, *dn, *gnorm, *norm;
	struct chain_walk w = { 0 };
	enum ig_dir_err ret = IG_DIR_OK;
	LDAPMessage *res = NULL, *e;
	size_t qi;
	int rc = -ENOMEM;

	gnorm = ig_dir_dn_norm(c->s->group);
	if (!gnorm || chain_push(&w, out->computer, SIZE_MAX))
		goto cleanup;
	for (qi = 0, rc = 0; qi < w.n && !rc; qi++) {
		filter = eq_filter("(|(objectClass=group)(objectClass=groupOfNames))", "member",
				   w.q[qi].dn);
		if (!filter) {
			rc = -ENOMEM;
			break;
		}
		rc = ldap_search_ext_s(c->ld, c->s->base, LDAP_SCOPE_SUBTREE, filter, attrs, 0,
				       NULL, NULL, &c->tv, LDAP_NO_LIMIT, &res);
		free(filter);
		if (rc != LDAP_SUCCESS) {
			ret = search_error(c, rc, "searching the groups of a member", err, errlen);
			goto cleanup;
		}
		for (e = ldap_first_entry(c->ld, res); e && !rc; e = ldap_next_entry(c->ld, e)) {
			dn = ldap_get_dn(c->ld, e);
			norm = dn ? ig_dir_dn_norm(dn) : NULL;
			if (!norm)
				rc = -ENOMEM;
			else if (!strcmp(norm, gnorm))
				rc = chain_take(&w, qi, dn, out) ?: 1;
			else
				rc = chain_push(&w, dn, qi);
			free(norm);
			ldap_memfree(dn);
		}
		ldap_msgfree(res);
		res = NULL;
	}
cleanup:
	if (rc == -E2BIG) {
		snprintf(err, errlen, "more than %u groups above the computer: refusing to go on",
			 IG_DIR_MAX_CHAIN_GROUPS);
		ret = IG_DIR_ERR_SEARCH;
	} else if (rc < 0) {
		ret = IG_DIR_ERR_NOMEM;
	}
	ldap_msgfree(res);
	free(gnorm);
	chain_walk_free(&w);
	return ret;
}

void ig_dir_chain_free(struct ig_dir_chain *ch)
{
	size_t i;

	for (i = 0; i < ch->n_chain; i++)
		free(ch->chain[i]);
	free(ch->chain);
	free(ch->computer);
	memset(ch, 0, sizeof(*ch));
}

enum ig_dir_err ig_dir_chain(const struct ig_dir_settings *s, const char *host,
			     struct ig_dir_chain *out, char *err, size_t errlen)
{
	struct dir_conn c;
	enum ig_dir_err ret;

	memset(out, 0, sizeof(*out));
	ret = dir_open(s, &c, out->server, sizeof(out->server), err, errlen);
	if (!ret)
		ret = find_computer(&c, host, out, err, errlen);
	if (!ret && out->computer)
		ret = find_chain(&c, out, err, errlen);
	if (ret == IG_DIR_ERR_NOMEM)
		snprintf(err, errlen, "out of memory");
	dir_close(&c);
	if (ret != IG_DIR_OK)
		ig_dir_chain_free(out);
	return ret;
}

long ig_dir_to_source(const struct ig_dir_result *r, struct ig_msrc *src)
{
	char why[512];
	long skipped = 0;
	size_t i;
	int ret;

	for (i = 0; i < r->n; i++) {
		const struct ig_dir_computer *c = &r->c[i];

		if (c->disabled)
			continue;
		if (!c->host) {
			ig_err("warning: directory: %s has no dNSHostName: skipped", c->dn);
			skipped++;
			continue;
		}
		ret = ig_msrc_add_name(src, c->host, IG_MEMBER_F_DIRECTORY, 0, why, sizeof(why));
		if (!ret && src->items[src->n - 1].kind != IG_MSRC_NAME) {
			/* an address or a whole subnet written into dNSHostName:
			 * never a member by the directory's say (no name to free) */
			src->n--;
			snprintf(why, sizeof(why), "'%s' is an address, not a host name", c->host);
			ret = -EINVAL;
		}
		if (ret == -ENOMEM)
			return -ENOMEM;
		if (ret) {
			ig_err("warning: directory: %s: dNSHostName %s: skipped", c->dn, why);
			skipped++;
		}
	}
	return skipped;
}
