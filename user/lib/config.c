// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config.c - INI file + command-line flags -> struct ig_settings.
 *
 * Both sources go through ig_settings_set() with the command-line option
 * name as key, so a setting means the same thing wherever it comes from.
 * The INI file is read with inih; list keys (router, peer-router, prefix,
 * route) may repeat and may hold comma-separated values.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "config.h"

#define SET(s, bit) ((s)->set |= 1u << (bit))
#define ISSET(s, bit) (((s)->set >> (bit)) & 1u)

_Static_assert(IG_SET_MAX <= 32, "struct ig_settings.set holds one bit per setting");

/* ---- the table as data -------------------------------------------------- */

#define IG_X_DESC(id, key_, section_, ini_, type_, cli_, field, count, dflt_, min_, max_, arg_, \
		  help_)                                                                        \
	[IG_SET_##id] = {                                                                       \
		.key = key_,                                                                    \
		.section = section_,                                                            \
		.ini = ini_,                                                                    \
		.arg = arg_,                                                                    \
		.help = help_,                                                                  \
		.type = IG_ST_##type_,                                                          \
		.cli = IG_CLI_##cli_,                                                           \
		.off = offsetof(struct ig_settings, field),                                     \
		.size = sizeof(((struct ig_settings *)0)->field),                               \
		.count_off = count,                                                             \
		.dflt = dflt_,                                                                  \
		.min = min_,                                                                    \
		.max = max_,                                                                    \
	},
const struct ig_setting_desc ig_settings_desc[IG_SET_MAX] = { IG_SETTINGS(IG_X_DESC) };
#undef IG_X_DESC

const struct ig_setting_desc *ig_setting_find(const char *key)
{
	unsigned int i;

	for (i = 0; i < IG_SET_MAX; i++)
		if (!strcmp(ig_settings_desc[i].key, key))
			return &ig_settings_desc[i];
	return NULL;
}

static bool is_list(const struct ig_setting_desc *d)
{
	return d->count_off != 0;
}

static void *field_of(struct ig_settings *s, const struct ig_setting_desc *d)
{
	return (char *)s + d->off;
}

static unsigned int *count_of(struct ig_settings *s, const struct ig_setting_desc *d)
{
	return (unsigned int *)((char *)s + d->count_off - 1);
}

/* A number into a field of 1, 2 or 4 bytes (bool, enums, uintN_t). */
static void store_uint(void *p, size_t size, uint64_t v)
{
	uint8_t v8 = (uint8_t)v;
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	if (size == 1)
		memcpy(p, &v8, 1);
	else if (size == 2)
		memcpy(p, &v16, 2);
	else
		memcpy(p, &v32, 4);
}

void ig_setting_limits(const struct ig_setting_desc *d, char *buf, size_t len)
{
	buf[0] = '\0';
	switch (d->type) {
	case IG_ST_UINT:
		if (d->max != IG_U32_MAX)
			snprintf(buf, len, "(%llu..%llu, default %llu)", d->min, d->max, d->dflt);
		else
			snprintf(buf, len, "(default %llu)", d->dflt);
		break;
	case IG_ST_UINT_OR_0:
		snprintf(buf, len, "(0 or %llu..%llu, default %llu)", d->min, d->max, d->dflt);
		break;
	case IG_ST_LIFETIME:
		if (d->dflt == IG_LIFETIME_INFINITY)
			snprintf(buf, len, "(default infinity)");
		else
			snprintf(buf, len, "(default %llu)", d->dflt);
		break;
	case IG_ST_BOOL:
		if (d->cli == IG_CLI_SWITCH)
			snprintf(buf, len, "(default %s)", d->dflt ? "on" : "off");
		break;
	case IG_ST_MODE:
		snprintf(buf, len, "(default %s)", ig_mode_name((enum ig_xdp_mode)d->dflt));
		break;
	case IG_ST_ROUTE_PREF:
		snprintf(buf, len, "(default %s)", ig_route_pref_name((unsigned int)d->dflt));
		break;
	case IG_ST_V4LIST:
	case IG_ST_P64LIST:
	case IG_ST_ROUTELIST: snprintf(buf, len, "(at most %llu)", d->max); break;
	case IG_ST_IFNAME:
	case IG_ST_PATH: break;
	}
}

void ig_settings_init(struct ig_settings *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < IG_SET_MAX; i++) {
		const struct ig_setting_desc *d = &ig_settings_desc[i];

		if (!is_list(d) && d->type != IG_ST_IFNAME && d->type != IG_ST_PATH)
			store_uint(field_of(s, d), d->size, d->dflt);
	}
}

const char *ig_mode_name(enum ig_xdp_mode mode)
{
	return mode == IG_MODE_GENERIC ? "generic" : "native";
}

/* ---- value parsers ------------------------------------------------------ */

static int parse_uint(const char *txt, unsigned long long min, unsigned long long max,
		      bool allow_infinity, uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	if (allow_infinity && !strcasecmp(txt, "infinity")) {
		*out = IG_LIFETIME_INFINITY;
		return 0;
	}
	if (!*txt || !isdigit((unsigned char)*txt))
		goto bad;
	errno = 0;
	v = strtoull(txt, &end, 10);
	if (errno || *end)
		goto bad;
	if (v < min || v > max) {
		snprintf(err, errlen, "'%s' out of range (%llu..%llu%s)", txt, min, max,
			 allow_infinity ? " or 'infinity'" : "");
		return -1;
	}
	*out = v;
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not a number", txt);
	return -1;
}

static int parse_bool(const char *txt, bool *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(txt, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(txt, no[i])) {
			*out = false;
			return 0;
		}
	}
	snprintf(err, errlen, "'%s' is not yes or no", txt);
	return -1;
}

int ig_parse_v4(const char *txt, struct in_addr *out, char *err, size_t errlen)
{
	uint32_t h;

	if (inet_pton(AF_INET, txt, out) != 1) {
		snprintf(err, errlen, "'%s' is not an IPv4 address (a.b.c.d)", txt);
		return -1;
	}
	h = ntohl(out->s_addr);
	if (h == 0 || h == 0xffffffffu || (h >> 28) == 0xe || (h >> 24) == 127 ||
	    (h >> 28) == 0xf) {
		snprintf(err, errlen, "'%s' is not a unicast IPv4 address", txt);
		return -1;
	}
	return 0;
}

int ig_parse_prefix64(const char *txt, struct in6_addr *out, char *err, size_t errlen)
{
	struct in6_addr a;
	uint8_t len;

	if (!strchr(txt, '/')) {
		snprintf(err, errlen, "prefix '%s' has no length: ISATAP needs a /64 (e.g. 2001:db8:1:8000::/64)",
			 txt);
		return -1;
	}
	/* the length first: a /48 given for the ISATAP prefix is the mistake to name */
	if (strcmp(strchr(txt, '/') + 1, "64")) {
		snprintf(err, errlen, "prefix '%s' is not a /64: ISATAP needs a /64 prefix "
			 "(the interface identifier is the low 64 bits, RFC 5214)", txt);
		return -1;
	}
	if (ig_parse_prefix6(txt, &a, &len, err, errlen))
		return -1;
	if (a.s6_addr[0] == 0xff || (a.s6_addr[0] == 0xfe && (a.s6_addr[1] & 0xc0) == 0x80) ||
	    IN6_IS_ADDR_UNSPECIFIED(&a)) {
		snprintf(err, errlen, "prefix '%s' is not a global unicast prefix "
			 "(fe80::/64 is always served, multicast cannot be used)", txt);
		return -1;
	}
	*out = a;
	return 0;
}

int ig_parse_prefix6(const char *txt, struct in6_addr *out, uint8_t *plen, char *err,
		     size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8], fixed[INET6_ADDRSTRLEN];
	const char *slash = strchr(txt, '/');
	struct in6_addr a, m;
	uint64_t len;
	size_t n;
	int i;

	if (!slash) {
		snprintf(err, errlen, "'%s' has no prefix length (e.g. 2001:db8:da1::/48)", txt);
		return -1;
	}
	n = (size_t)(slash - txt);
	if (n >= sizeof(buf)) {
		snprintf(err, errlen, "'%s' is not an IPv6 prefix", txt);
		return -1;
	}
	memcpy(buf, txt, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, &a) != 1) {
		snprintf(err, errlen, "'%s' is not an IPv6 prefix (PREFIX/LEN)", txt);
		return -1;
	}
	if (parse_uint(slash + 1, 0, 128, false, &len, err, errlen)) {
		snprintf(err, errlen, "'%s': prefix length must be 0..128", txt);
		return -1;
	}
	m = a;
	for (i = 0; i < 16; i++) {
		int bits = (int)len - i * 8;

		if (bits <= 0)
			m.s6_addr[i] = 0;
		else if (bits < 8)
			m.s6_addr[i] &= (uint8_t)(0xff00 >> bits);
	}
	if (memcmp(&m, &a, sizeof(a))) {
		inet_ntop(AF_INET6, &m, fixed, sizeof(fixed));
		snprintf(err, errlen, "'%s' has bits set past /%u (did you mean %s/%u?)", txt,
			 (unsigned int)len, fixed, (unsigned int)len);
		return -1;
	}
	*out = a;
	*plen = (uint8_t)len;
	return 0;
}

/* ---- one setting -------------------------------------------------------- */

static int add_v4(struct in_addr *list, unsigned int *n, unsigned int max, const char *key,
		  const char *txt, char *err, size_t errlen)
{
	struct in_addr a;
	unsigned int i;

	if (ig_parse_v4(txt, &a, err, errlen))
		return -EINVAL;
	for (i = 0; i < *n; i++) {
		if (list[i].s_addr == a.s_addr) {
			snprintf(err, errlen, "%s %s given twice", key, txt);
			return -EINVAL;
		}
	}
	if (*n >= max) {
		snprintf(err, errlen, "too many %s addresses (at most %u)", key, max);
		return -EINVAL;
	}
	list[(*n)++] = a;
	return 0;
}

static int add_prefix(struct in6_addr *list, unsigned int *n, unsigned int max, const char *txt,
		      char *err, size_t errlen)
{
	struct in6_addr p;
	unsigned int i;

	if (ig_parse_prefix64(txt, &p, err, errlen))
		return -EINVAL;
	for (i = 0; i < *n; i++) {
		if (!memcmp(&list[i], &p, 8)) {
			snprintf(err, errlen, "prefix %s given twice", txt);
			return -EINVAL;
		}
	}
	if (*n >= max) {
		snprintf(err, errlen, "too many prefixes (at most %u)", max);
		return -EINVAL;
	}
	list[(*n)++] = p;
	return 0;
}

/* Does a/alen lie inside (or equal) b/blen? */
static bool prefix_within(const struct in6_addr *a, unsigned int alen,
			  const struct in6_addr *b, unsigned int blen)
{
	unsigned int i;

	if (alen < blen)
		return false;
	for (i = 0; i < blen; i++)
		if (((a->s6_addr[i / 8] ^ b->s6_addr[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

static int add_route(struct ig_ra_route *list, unsigned int *n, unsigned int max, const char *txt,
		     char *err, size_t errlen)
{
	static const struct in6_addr ll = { .s6_addr = { 0xfe, 0x80 } };
	static const struct in6_addr mc = { .s6_addr = { 0xff } };
	struct ig_ra_route r;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	if (ig_parse_prefix6(txt, &r.prefix, &r.plen, err, errlen))
		return -EINVAL;
	if ((r.plen >= 10 && prefix_within(&r.prefix, r.plen, &ll, 10)) ||
	    (r.plen >= 8 && prefix_within(&r.prefix, r.plen, &mc, 8))) {
		snprintf(err, errlen, "route %s is link-local or multicast: hosts cannot be routed "
			 "there", txt);
		return -EINVAL;
	}
	for (i = 0; i < *n; i++) {
		if (list[i].plen == r.plen &&
		    !memcmp(&list[i].prefix, &r.prefix, sizeof(r.prefix))) {
			snprintf(err, errlen, "route %s given twice", txt);
			return -EINVAL;
		}
	}
	if (*n >= max) {
		snprintf(err, errlen,
			 "too many routes (at most %u: RFC 4191 4 limits a router to "
			 "17 route information options; advertise a shorter covering prefix)",
			 max);
		return -EINVAL;
	}
	list[(*n)++] = r;
	return 0;
}

/* Add each comma-separated element of value to the row's list. */
static int set_list(struct ig_settings *s, const struct ig_setting_desc *d, const char *value,
		    char *err, size_t errlen)
{
	unsigned int *n = count_of(s, d), max = (unsigned int)d->max;
	char *copy, *tok, *save = NULL, *item;
	void *list = field_of(s, d);
	int rc = 0, count = 0;

	copy = strdup(value);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		item = ig_str_trim(tok);
		if (!*item)
			continue;
		count++;
		if (d->type == IG_ST_V4LIST)
			rc = add_v4(list, n, max, d->key, item, err, errlen);
		else if (d->type == IG_ST_ROUTELIST)
			rc = add_route(list, n, max, item, err, errlen);
		else
			rc = add_prefix(list, n, max, item, err, errlen);
		if (rc)
			break;
	}
	free(copy);
	if (!rc && !count) {
		snprintf(err, errlen, "empty value");
		rc = -EINVAL;
	}
	return rc;
}

static int set_string(char *dst, const struct ig_setting_desc *d, const char *value, char *err,
		      size_t errlen)
{
	size_t n = strlen(value);

	if (d->type == IG_ST_IFNAME) {
		if (!n || n >= d->size || strchr(value, '/') || strchr(value, ' ')) {
			snprintf(err, errlen, "'%s' is not a valid interface name", value);
			return -EINVAL;
		}
	} else {
		/* room for the pin names under it */
		if (!n || n >= d->size - 64) {
			snprintf(err, errlen, "'%s' is empty or too long", value);
			return -EINVAL;
		}
		if (value[0] != '/') {
			snprintf(err, errlen, "'%s' must be an absolute path", value);
			return -EINVAL;
		}
	}
	memcpy(dst, value, n + 1);
	return 0;
}

/* The scalar value of a row, parsed into *v. */
static int parse_scalar(const struct ig_setting_desc *d, const char *value, uint64_t *v, char *err,
			size_t errlen)
{
	bool b;
	int pref;

	switch (d->type) {
	case IG_ST_UINT:
	case IG_ST_LIFETIME:
		return parse_uint(value, d->min, d->max, d->type == IG_ST_LIFETIME, v, err, errlen);
	case IG_ST_UINT_OR_0:
		if (parse_uint(value, 0, d->max, false, v, err, errlen))
			return -EINVAL;
		if (*v && *v < d->min) {
			snprintf(err, errlen, "'%s' is below %llu (0 omits it)", value, d->min);
			return -EINVAL;
		}
		return 0;
	case IG_ST_BOOL:
		if (parse_bool(value, &b, err, errlen))
			return -EINVAL;
		*v = b;
		return 0;
	case IG_ST_MODE:
		if (!strcmp(value, "native") || !strcmp(value, "drv"))
			*v = IG_MODE_NATIVE;
		else if (!strcmp(value, "generic") || !strcmp(value, "skb"))
			*v = IG_MODE_GENERIC;
		else {
			snprintf(err, errlen, "mode '%s' is not native or generic", value);
			return -EINVAL;
		}
		return 0;
	case IG_ST_ROUTE_PREF:
		pref = ig_route_pref_parse(value);
		if (pref < 0) {
			snprintf(err, errlen, "route preference '%s' is not high, medium or low",
				 value);
			return -EINVAL;
		}
		*v = (uint64_t)pref;
		return 0;
	default: snprintf(err, errlen, "internal error: setting type %d", d->type); return -EINVAL;
	}
}

int ig_settings_set(struct ig_settings *s, const char *key, const char *value, char *err,
		    size_t errlen)
{
	const struct ig_setting_desc *d = ig_setting_find(key);
	uint64_t v;
	int rc;

	if (!d) {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return -EINVAL;
	}
	if (is_list(d))
		rc = set_list(s, d, value, err, errlen);
	else if (d->type == IG_ST_IFNAME || d->type == IG_ST_PATH)
		rc = set_string(field_of(s, d), d, value, err, errlen);
	else {
		rc = parse_scalar(d, value, &v, err, errlen);
		if (!rc)
			store_uint(field_of(s, d), d->size, v);
	}
	if (rc)
		return rc == -ENOMEM ? rc : -EINVAL;
	SET(s, (int)(d - ig_settings_desc));
	return 0;
}

void ig_settings_merge(struct ig_settings *base, const struct ig_settings *o)
{
	unsigned int i;

	for (i = 0; i < IG_SET_MAX; i++) {
		const struct ig_setting_desc *d = &ig_settings_desc[i];

		if (!ISSET(o, i))
			continue;
		memcpy((char *)base + d->off, (const char *)o + d->off, d->size);
		if (is_list(d))
			*count_of(base, d) = *count_of((struct ig_settings *)o, d);
		SET(base, i);
	}
}

/* ---- INI file ----------------------------------------------------------- */

static int ini_on_key(void *user, const char *section, const char *name, const char *value,
		      char *err, size_t errlen)
{
	struct ig_settings *st = user;
	const struct ig_setting_desc *d = NULL;
	char why[200];
	bool known_section = false;
	unsigned int i;

	/* [directory] is read (and checked) by `members sync --ldap`
	 * (user/lib/directory.c), [members] by `members sync`, never by attach. */
	if (!strcmp(section, "directory") || !strcmp(section, "members"))
		return 0;
	for (i = 0; i < IG_SET_MAX && !d; i++) {
		if (strcmp(section, ig_settings_desc[i].section))
			continue;
		known_section = true;
		if (!strcmp(name, ig_settings_desc[i].ini))
			d = &ig_settings_desc[i];
	}
	if (!d) {
		if (!*section)
			snprintf(err, errlen,
				 "unknown key '%s' outside a section (expected [router] or [ra])", name);
		else if (!known_section)
			snprintf(err, errlen, "unknown section [%s] (expected [router] or [ra])",
				 section);
		else
			snprintf(err, errlen, "unknown key '%s' in [%s]", name, section);
		return -1;
	}
	if (ig_settings_set(st, d->key, value, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", name, why);
		return -1;
	}
	return 0;
}

int ig_settings_load_ini(struct ig_settings *s, const char *path)
{
	return ig_ini_load(path, ini_on_key, s);
}

/* ---- completeness --------------------------------------------------------- */

static int resolve_dev(const char *name, const char *opt, unsigned int *ifindex)
{
	if (!*name) {
		ig_err("missing --%s (or '%s' in the [router] section of --config FILE)", opt, opt);
		return -EINVAL;
	}
	*ifindex = if_nametoindex(name);
	if (!*ifindex) {
		ig_err("no such device '%s' in this network namespace (--%s)", name, opt);
		return -EINVAL;
	}
	return 0;
}

/* Build the RA once now, so that one that cannot be sent fails before any
 * map is touched (the limits make this impossible today: belt and braces). */
/*
 * An RS without options is 8 bytes of ICMPv6; the RA replaces it in the same
 * frame.  XDP gives 256 bytes of headroom, part of which the kernel keeps for
 * its frame metadata; without tailroom (veth) the frame grows by at most
 * that.  Measured on veth (Linux 6.x, native mode): a 232-byte RA is sent,
 * a 240-byte one is dropped as drop_internal.
 */
#define IG_RA_SAFE_LEN 232

static int check_ra_fits(const struct ig_settings *s)
{
	struct ig_prefix_key keys[IG_MAX_PREFIXES];
	struct ig_prefix vals[IG_MAX_PREFIXES];
	struct ig_ra_template *t;
	struct ig_config cfg;
	__u32 len;
	int err;

	/* the RA maps_write() builds */
	ig_config_build(s, &cfg);
	ig_prefixes_build(s, keys, vals);
	t = malloc(sizeof(*t));
	if (!t) {
		ig_err("out of memory");
		return -ENOMEM;
	}
	err = ig_ra_build(&cfg, keys, vals, s->n_prefixes, s->routes, s->n_routes, t);
	len = t->len;
	free(t);
	if (err == -E2BIG) {
		ig_err("the router advertisement for %u prefixes and %u routes is longer than "
		       "%d bytes: advertise fewer routes", s->n_prefixes, s->n_routes, IG_RA_MAX);
		return -EINVAL;
	}
	if (err) {
		ig_err("cannot build the router advertisement: %s", strerror(-err));
		return -EINVAL;
	}
	if (len > IG_RA_SAFE_LEN)
		ig_err("warning: the router advertisement is %u bytes (%u prefixes, %u routes): the "
		       "datapath builds it in the solicitation's frame, which XDP can only grow by "
		       "its headroom on drivers without tailroom (veth); above %d bytes watch "
		       "'isagate status' for drop_internal instead of rd_ra_sent",
		       len, s->n_prefixes, s->n_routes, IG_RA_SAFE_LEN);
	return 0;
}

int ig_settings_resolve(struct ig_settings *s)
{
	int rc;

	rc = resolve_dev(s->ipv4_dev, "ipv4-dev", &s->ipv4_ifindex);
	if (rc)
		return rc;
	rc = resolve_dev(s->ipv6_dev, "ipv6-dev", &s->ipv6_ifindex);
	if (rc)
		return rc;
	/* a VLAN side: XDP runs on the real device under it (user/vlan.c) */
	rc = ig_vlan_resolve(s->ipv4_ifindex, s->ipv4_dev, &s->ipv4_vlan);
	if (rc)
		return rc;
	rc = ig_vlan_resolve(s->ipv6_ifindex, s->ipv6_dev, &s->ipv6_vlan);
	if (rc)
		return rc;
	return ig_settings_check(s);
}

int ig_settings_check(struct ig_settings *s)
{
	char a[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	unsigned int i, j;

	if (!s->n_routers) {
		ig_err("missing --router A.B.C.D (this router's IPv4 address ISATAP hosts use; "
		       "repeat it for every cluster address)");
		return -EINVAL;
	}
	if (!s->n_prefixes) {
		ig_err("missing --prefix PREFIX/64 (the ISATAP prefix advertised to members)");
		return -EINVAL;
	}
	if (s->n_routers + s->n_peers > IG_MAX_ROUTERS) {
		ig_err("too many router addresses: %u own + %u peers, at most %d in all",
		       s->n_routers, s->n_peers, IG_MAX_ROUTERS);
		return -EINVAL;
	}
	for (i = 0; i < s->n_peers; i++)
		for (j = 0; j < s->n_routers; j++)
			if (s->peers[i].s_addr == s->routers[j].s_addr) {
				ig_err("%s is given both as --router and as --peer-router",
				       ig_fmt_v4(&s->peers[i], a, sizeof(a)));
				return -EINVAL;
			}
	if (s->flow_cache && (s->flow_cache < 64 || (s->flow_cache & (s->flow_cache - 1)))) {
		ig_err("--flow-cache %u: give a power of two from 64 to %d slots per CPU "
		       "(or 0: no flow cache)",
		       s->flow_cache, IG_FC_SLOTS_MAX);
		return -EINVAL;
	}
	if (s->flow_cache && !s->flows) {
		ig_err("--flow-cache needs a flow table to fold into: drop --flows 0");
		return -EINVAL;
	}
	if (s->preferred_lifetime > s->valid_lifetime) {
		ig_err("preferred lifetime %u s is longer than the valid lifetime %u s "
		       "(hosts would ignore the prefix, RFC 4862 5.5.3)",
		       s->preferred_lifetime, s->valid_lifetime);
		return -EINVAL;
	}
	for (i = 0; i < s->n_routes; i++) {
		struct ig_ra_route *r = &s->routes[i];
		char p[INET6_ADDRSTRLEN];

		for (j = 0; j < s->n_prefixes; j++)
			if (prefix_within(&r->prefix, r->plen, &s->prefixes[j], 64)) {
				ig_err("route %s/%u lies inside the ISATAP prefix %s/64: hosts would "
				       "send traffic for other ISATAP hosts through the router, which "
				       "drops it (RFC 6324)",
				       inet_ntop(AF_INET6, &r->prefix, p, sizeof(p)), r->plen,
				       ig_fmt_v6(&s->prefixes[j], a6, sizeof(a6)));
				return -EINVAL;
			}
		r->pref = s->route_pref;
		r->lifetime = s->route_lifetime;
	}
	return check_ra_fits(s);
}
