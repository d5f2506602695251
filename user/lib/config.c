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

void ig_settings_init(struct ig_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->mode = IG_MODE_NATIVE;
	s->ttl = IG_CFG_DEFAULT_TTL;
	s->mtu = IG_CFG_DEFAULT_MTU;
	s->sysctl = true;
	s->ra_lifetime = IG_CFG_DEFAULT_RA_LIFETIME;
	s->ra_hop_limit = IG_CFG_DEFAULT_RA_HOPLIMIT;
	s->ra_mtu = IG_CFG_DEFAULT_MTU;
	s->ra_reachable_ms = 0;
	s->ra_retrans_ms = 0;
	s->ra_interval_ms = IG_CFG_DEFAULT_RA_MIN_MS;
	s->valid_lifetime = IG_CFG_DEFAULT_VALID_LT;
	s->preferred_lifetime = IG_CFG_DEFAULT_PREFERRED_LT;
	s->onlink = false;
	s->fwd_cache_ms = IG_CFG_DEFAULT_FWD_CACHE_MS;
	s->flows = IG_CFG_DEFAULT_FLOWS;
	s->conns = IG_CFG_DEFAULT_CONNS;
	s->source_quota = IG_QUOTA_DEFAULT_PERCENT;
	s->route_pref = IG_ROUTE_PREF_MEDIUM;
	s->route_lifetime = IG_RA_DEFAULT_ROUTE_LT;
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


static int add_v4(struct in_addr *list, unsigned int *n, const char *what, const char *txt,
		  char *err, size_t errlen)
{
	struct in_addr a;
	unsigned int i;

	if (ig_parse_v4(txt, &a, err, errlen))
		return -1;
	for (i = 0; i < *n; i++) {
		if (list[i].s_addr == a.s_addr) {
			snprintf(err, errlen, "%s %s given twice", what, txt);
			return -1;
		}
	}
	if (*n >= IG_MAX_ROUTERS) {
		snprintf(err, errlen, "too many %s addresses (at most %d)", what, IG_MAX_ROUTERS);
		return -1;
	}
	list[(*n)++] = a;
	return 0;
}

static int add_prefix(struct ig_settings *s, const char *txt, char *err, size_t errlen)
{
	struct in6_addr p;
	unsigned int i;

	if (ig_parse_prefix64(txt, &p, err, errlen))
		return -1;
	for (i = 0; i < s->n_prefixes; i++) {
		if (!memcmp(&s->prefixes[i], &p, 8)) {
			snprintf(err, errlen, "prefix %s given twice", txt);
			return -1;
		}
	}
	if (s->n_prefixes >= IG_MAX_PREFIXES) {
		snprintf(err, errlen, "too many prefixes (at most %d)", IG_MAX_PREFIXES);
		return -1;
	}
	s->prefixes[s->n_prefixes++] = p;
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

static int add_route(struct ig_settings *s, const char *txt, char *err, size_t errlen)
{
	static const struct in6_addr ll = { .s6_addr = { 0xfe, 0x80 } };
	static const struct in6_addr mc = { .s6_addr = { 0xff } };
	struct ig_ra_route r;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	if (ig_parse_prefix6(txt, &r.prefix, &r.plen, err, errlen))
		return -1;
	if ((r.plen >= 10 && prefix_within(&r.prefix, r.plen, &ll, 10)) ||
	    (r.plen >= 8 && prefix_within(&r.prefix, r.plen, &mc, 8))) {
		snprintf(err, errlen, "route %s is link-local or multicast: hosts cannot be routed "
			 "there", txt);
		return -1;
	}
	for (i = 0; i < s->n_routes; i++) {
		if (s->routes[i].plen == r.plen &&
		    !memcmp(&s->routes[i].prefix, &r.prefix, sizeof(r.prefix))) {
			snprintf(err, errlen, "route %s given twice", txt);
			return -1;
		}
	}
	if (s->n_routes >= IG_RA_MAX_ROUTES) {
		snprintf(err, errlen, "too many routes (at most %d: RFC 4191 4 limits a router to "
			 "17 route information options; advertise a shorter covering prefix)",
			 IG_RA_MAX_ROUTES);
		return -1;
	}
	s->routes[s->n_routes++] = r;
	return 0;
}

/* Call add() for each comma-separated element of value. */
static int set_list(struct ig_settings *s, int bit, const char *value, char *err, size_t errlen)
{
	char *copy, *tok, *save = NULL, *item;
	int rc = 0, count = 0;

	copy = strdup(value);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		item = ig_str_trim(tok);
		if (!*item)
			continue;
		count++;
		if (bit == IG_SET_ROUTERS)
			rc = add_v4(s->routers, &s->n_routers, "router", item, err, errlen);
		else if (bit == IG_SET_PEERS)
			rc = add_v4(s->peers, &s->n_peers, "peer router", item, err, errlen);
		else if (bit == IG_SET_ROUTES)
			rc = add_route(s, item, err, errlen);
		else
			rc = add_prefix(s, item, err, errlen);
		if (rc)
			break;
	}
	free(copy);
	if (!rc && !count) {
		snprintf(err, errlen, "empty value");
		rc = -1;
	}
	if (!rc)
		SET(s, bit);
	return rc;
}

static int set_ifname(char *dst, const char *value, char *err, size_t errlen)
{
	if (!*value || strlen(value) >= IF_NAMESIZE || strchr(value, '/') || strchr(value, ' ')) {
		snprintf(err, errlen, "'%s' is not a valid interface name", value);
		return -1;
	}
	strcpy(dst, value);
	return 0;
}

int ig_settings_set(struct ig_settings *s, const char *key, const char *value,
		    char *err, size_t errlen)
{
	uint64_t v;
	size_t n;

	if (!strcmp(key, "ipv4-dev")) {
		if (set_ifname(s->ipv4_dev, value, err, errlen))
			return -1;
		SET(s, IG_SET_IPV4_DEV);
	} else if (!strcmp(key, "ipv6-dev")) {
		if (set_ifname(s->ipv6_dev, value, err, errlen))
			return -1;
		SET(s, IG_SET_IPV6_DEV);
	} else if (!strcmp(key, "router")) {
		return set_list(s, IG_SET_ROUTERS, value, err, errlen);
	} else if (!strcmp(key, "peer-router")) {
		return set_list(s, IG_SET_PEERS, value, err, errlen);
	} else if (!strcmp(key, "prefix")) {
		return set_list(s, IG_SET_PREFIXES, value, err, errlen);
	} else if (!strcmp(key, "route")) {
		return set_list(s, IG_SET_ROUTES, value, err, errlen);
	} else if (!strcmp(key, "route-preference")) {
		int pref = ig_route_pref_parse(value);

		if (pref < 0) {
			snprintf(err, errlen, "route preference '%s' is not high, medium or low", value);
			return -1;
		}
		s->route_pref = (uint8_t)pref;
		SET(s, IG_SET_ROUTE_PREF);
	} else if (!strcmp(key, "route-lifetime")) {
		if (parse_uint(value, 0, 0xffffffffu, true, &v, err, errlen))
			return -1;
		s->route_lifetime = (uint32_t)v;
		SET(s, IG_SET_ROUTE_LT);
	} else if (!strcmp(key, "pin-dir")) {
		n = strlen(value);
		if (!n || n >= sizeof(s->pin_dir) - 64) {
			snprintf(err, errlen, "pin directory '%s' is empty or too long", value);
			return -1;
		}
		if (value[0] != '/') {
			snprintf(err, errlen, "pin directory '%s' must be an absolute path", value);
			return -1;
		}
		strcpy(s->pin_dir, value);
		SET(s, IG_SET_PIN_DIR);
	} else if (!strcmp(key, "mode")) {
		if (!strcmp(value, "native") || !strcmp(value, "drv"))
			s->mode = IG_MODE_NATIVE;
		else if (!strcmp(value, "generic") || !strcmp(value, "skb"))
			s->mode = IG_MODE_GENERIC;
		else {
			snprintf(err, errlen, "mode '%s' is not native or generic", value);
			return -1;
		}
		SET(s, IG_SET_MODE);
	} else if (!strcmp(key, "ttl")) {
		if (parse_uint(value, 1, 255, false, &v, err, errlen))
			return -1;
		s->ttl = (uint8_t)v;
		SET(s, IG_SET_TTL);
	} else if (!strcmp(key, "mtu")) {
		/* inner MTU: IPv6 minimum .. what fits in a 64 KiB IPv4 packet */
		if (parse_uint(value, 1280, 65535 - 20, false, &v, err, errlen))
			return -1;
		s->mtu = (uint16_t)v;
		SET(s, IG_SET_MTU);
	} else if (!strcmp(key, "dynamic-mtu")) {
		if (parse_bool(value, &s->dynamic_mtu, err, errlen))
			return -1;
		SET(s, IG_SET_DYNAMIC_MTU);
	} else if (!strcmp(key, "sysctl")) {
		if (parse_bool(value, &s->sysctl, err, errlen))
			return -1;
		SET(s, IG_SET_SYSCTL);
	} else if (!strcmp(key, "ra-lifetime")) {
		/* RFC 4861 6.2.1: 0 or up to 9000 s */
		if (parse_uint(value, 0, 9000, false, &v, err, errlen))
			return -1;
		s->ra_lifetime = (uint16_t)v;
		SET(s, IG_SET_RA_LIFETIME);
	} else if (!strcmp(key, "ra-hop-limit")) {
		if (parse_uint(value, 0, 255, false, &v, err, errlen))
			return -1;
		s->ra_hop_limit = (uint8_t)v;
		SET(s, IG_SET_RA_HOPLIMIT);
	} else if (!strcmp(key, "ra-mtu")) {
		if (parse_uint(value, 0, 65535, false, &v, err, errlen))
			return -1;
		if (v && v < 1280) {
			snprintf(err, errlen, "RA MTU %s is below the IPv6 minimum 1280 (0 omits the option)",
				 value);
			return -1;
		}
		s->ra_mtu = (uint16_t)v;
		SET(s, IG_SET_RA_MTU);
	} else if (!strcmp(key, "ra-reachable")) {
		/* RFC 4861 6.2.1: at most 3,600,000 ms */
		if (parse_uint(value, 0, 3600000, false, &v, err, errlen))
			return -1;
		s->ra_reachable_ms = (uint32_t)v;
		SET(s, IG_SET_RA_REACHABLE);
	} else if (!strcmp(key, "ra-retrans")) {
		if (parse_uint(value, 0, 0xffffffffu, false, &v, err, errlen))
			return -1;
		s->ra_retrans_ms = (uint32_t)v;
		SET(s, IG_SET_RA_RETRANS);
	} else if (!strcmp(key, "flows")) {
		if (parse_uint(value, 0, IG_FLOWS_MAX, false, &v, err, errlen))
			return -1;
		s->flows = (uint32_t)v;
		SET(s, IG_SET_FLOWS);
	} else if (!strcmp(key, "conns")) {
		if (parse_uint(value, IG_CONNS_MIN, IG_CONNS_MAX, false, &v, err, errlen))
			return -1;
		s->conns = (uint32_t)v;
		SET(s, IG_SET_CONNS);
	} else if (!strcmp(key, "source-quota")) {
		if (parse_uint(value, 0, 100, false, &v, err, errlen))
			return -1;
		s->source_quota = (uint32_t)v;
		SET(s, IG_SET_SOURCE_QUOTA);
	} else if (!strcmp(key, "fwd-cache-ms")) {
		if (parse_uint(value, 0, 60000, false, &v, err, errlen))
			return -1;
		s->fwd_cache_ms = (uint32_t)v;
		SET(s, IG_SET_FWD_CACHE);
	} else if (!strcmp(key, "ra-interval")) {
		if (parse_uint(value, 0, 3600000, false, &v, err, errlen))
			return -1;
		s->ra_interval_ms = (uint32_t)v;
		SET(s, IG_SET_RA_INTERVAL);
	} else if (!strcmp(key, "valid-lifetime")) {
		if (parse_uint(value, 0, 0xffffffffu, true, &v, err, errlen))
			return -1;
		s->valid_lifetime = (uint32_t)v;
		SET(s, IG_SET_VALID_LT);
	} else if (!strcmp(key, "preferred-lifetime")) {
		if (parse_uint(value, 0, 0xffffffffu, true, &v, err, errlen))
			return -1;
		s->preferred_lifetime = (uint32_t)v;
		SET(s, IG_SET_PREFERRED_LT);
	} else if (!strcmp(key, "onlink")) {
		if (parse_bool(value, &s->onlink, err, errlen))
			return -1;
		SET(s, IG_SET_ONLINK);
	} else {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return -1;
	}
	return 0;
}

void ig_settings_merge(struct ig_settings *base, const struct ig_settings *o)
{
#define TAKE(bit, stmt)                    \
	do {                               \
		if (ISSET(o, bit)) {       \
			stmt;              \
			SET(base, bit);    \
		}                          \
	} while (0)
	TAKE(IG_SET_IPV4_DEV, memcpy(base->ipv4_dev, o->ipv4_dev, sizeof(o->ipv4_dev)));
	TAKE(IG_SET_IPV6_DEV, memcpy(base->ipv6_dev, o->ipv6_dev, sizeof(o->ipv6_dev)));
	TAKE(IG_SET_ROUTERS, (memcpy(base->routers, o->routers, sizeof(o->routers)),
			      base->n_routers = o->n_routers));
	TAKE(IG_SET_PEERS, (memcpy(base->peers, o->peers, sizeof(o->peers)),
			    base->n_peers = o->n_peers));
	TAKE(IG_SET_PREFIXES, (memcpy(base->prefixes, o->prefixes, sizeof(o->prefixes)),
			       base->n_prefixes = o->n_prefixes));
	TAKE(IG_SET_PIN_DIR, memcpy(base->pin_dir, o->pin_dir, sizeof(o->pin_dir)));
	TAKE(IG_SET_MODE, base->mode = o->mode);
	TAKE(IG_SET_TTL, base->ttl = o->ttl);
	TAKE(IG_SET_MTU, base->mtu = o->mtu);
	TAKE(IG_SET_SYSCTL, base->sysctl = o->sysctl);
	TAKE(IG_SET_DYNAMIC_MTU, base->dynamic_mtu = o->dynamic_mtu);
	TAKE(IG_SET_RA_LIFETIME, base->ra_lifetime = o->ra_lifetime);
	TAKE(IG_SET_RA_HOPLIMIT, base->ra_hop_limit = o->ra_hop_limit);
	TAKE(IG_SET_RA_MTU, base->ra_mtu = o->ra_mtu);
	TAKE(IG_SET_RA_REACHABLE, base->ra_reachable_ms = o->ra_reachable_ms);
	TAKE(IG_SET_RA_RETRANS, base->ra_retrans_ms = o->ra_retrans_ms);
	TAKE(IG_SET_RA_INTERVAL, base->ra_interval_ms = o->ra_interval_ms);
	TAKE(IG_SET_VALID_LT, base->valid_lifetime = o->valid_lifetime);
	TAKE(IG_SET_PREFERRED_LT, base->preferred_lifetime = o->preferred_lifetime);
	TAKE(IG_SET_ONLINK, base->onlink = o->onlink);
	TAKE(IG_SET_FWD_CACHE, base->fwd_cache_ms = o->fwd_cache_ms);
	TAKE(IG_SET_FLOWS, base->flows = o->flows);
	TAKE(IG_SET_CONNS, base->conns = o->conns);
	TAKE(IG_SET_SOURCE_QUOTA, base->source_quota = o->source_quota);
	TAKE(IG_SET_ROUTES, (memcpy(base->routes, o->routes, sizeof(o->routes)),
			     base->n_routes = o->n_routes));
	TAKE(IG_SET_ROUTE_PREF, base->route_pref = o->route_pref);
	TAKE(IG_SET_ROUTE_LT, base->route_lifetime = o->route_lifetime);
#undef TAKE
}

/* ---- INI file ----------------------------------------------------------- */

/* INI [section] key -> setting name (the long option without "--"). */
static const struct {
	const char *section, *key, *setting;
} ini_keys[] = {
	{ "router", "ipv4-dev",           "ipv4-dev" },
	{ "router", "ipv6-dev",           "ipv6-dev" },
	{ "router", "router",             "router" },
	{ "router", "peer-router",        "peer-router" },
	{ "router", "prefix",             "prefix" },
	{ "router", "pin-dir",            "pin-dir" },
	{ "router", "mode",               "mode" },
	{ "router", "ttl",                "ttl" },
	{ "router", "mtu",                "mtu" },
	{ "router", "dynamic-mtu",        "dynamic-mtu" },
	{ "router", "sysctl",             "sysctl" },
	{ "router", "fwd-cache-ms",       "fwd-cache-ms" },
	{ "router", "flows",              "flows" },
	{ "router", "conns",              "conns" },
	{ "router", "source-quota",       "source-quota" },
	{ "ra",     "router-lifetime",    "ra-lifetime" },
	{ "ra",     "hop-limit",          "ra-hop-limit" },
	{ "ra",     "mtu",                "ra-mtu" },
	{ "ra",     "reachable-ms",       "ra-reachable" },
	{ "ra",     "retrans-ms",         "ra-retrans" },
	{ "ra",     "min-interval-ms",    "ra-interval" },
	{ "ra",     "valid-lifetime",     "valid-lifetime" },
	{ "ra",     "preferred-lifetime", "preferred-lifetime" },
	{ "ra",     "onlink",             "onlink" },
	{ "ra",     "route",              "route" },
	{ "ra",     "route-preference",   "route-preference" },
	{ "ra",     "route-lifetime",     "route-lifetime" },
};

static int ini_on_key(void *user, const char *section, const char *name, const char *value,
		      char *err, size_t errlen)
{
	struct ig_settings *st = user;
	char why[200];
	size_t i;
	bool known_section = false;

	/* [directory] is read (and checked) by `members sync --ldap`
	 * (user/directory.c), [members] by `members sync`, never by attach. */
	if (!strcmp(section, "directory") || !strcmp(section, "members"))
		return 0;
	for (i = 0; i < sizeof(ini_keys) / sizeof(ini_keys[0]); i++) {
		if (strcmp(section, ini_keys[i].section))
			continue;
		known_section = true;
		if (!strcmp(name, ini_keys[i].key))
			break;
	}
	if (i == sizeof(ini_keys) / sizeof(ini_keys[0])) {
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
	if (ig_settings_set(st, ini_keys[i].setting, value, why, sizeof(why))) {
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
		return IG_EXIT_USAGE;
	}
	*ifindex = if_nametoindex(name);
	if (!*ifindex) {
		ig_err("no such device '%s' in this network namespace (--%s)", name, opt);
		return IG_EXIT_USAGE;
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
		return IG_EXIT_FAIL;
	}
	err = ig_ra_build(&cfg, keys, vals, s->n_prefixes, s->routes, s->n_routes, t);
	len = t->len;
	free(t);
	if (err == -E2BIG) {
		ig_err("the router advertisement for %u prefixes and %u routes is longer than "
		       "%d bytes: advertise fewer routes", s->n_prefixes, s->n_routes, IG_RA_MAX);
		return IG_EXIT_USAGE;
	}
	if (err) {
		ig_err("cannot build the router advertisement: %s", strerror(-err));
		return IG_EXIT_USAGE;
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
		return IG_EXIT_USAGE;
	}
	if (!s->n_prefixes) {
		ig_err("missing --prefix PREFIX/64 (the ISATAP prefix advertised to members)");
		return IG_EXIT_USAGE;
	}
	if (s->n_routers + s->n_peers > IG_MAX_ROUTERS) {
		ig_err("too many router addresses: %u own + %u peers, at most %d in all",
		       s->n_routers, s->n_peers, IG_MAX_ROUTERS);
		return IG_EXIT_USAGE;
	}
	for (i = 0; i < s->n_peers; i++)
		for (j = 0; j < s->n_routers; j++)
			if (s->peers[i].s_addr == s->routers[j].s_addr) {
				ig_err("%s is given both as --router and as --peer-router",
				       ig_fmt_v4(&s->peers[i], a, sizeof(a)));
				return IG_EXIT_USAGE;
			}
	if (s->preferred_lifetime > s->valid_lifetime) {
		ig_err("preferred lifetime %u s is longer than the valid lifetime %u s "
		       "(hosts would ignore the prefix, RFC 4862 5.5.3)",
		       s->preferred_lifetime, s->valid_lifetime);
		return IG_EXIT_USAGE;
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
				return IG_EXIT_USAGE;
			}
		r->pref = s->route_pref;
		r->lifetime = s->route_lifetime;
	}
	return check_ra_fits(s);
}
