// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_config.c - libFuzzer harness for the router's configuration.
 *
 * Each input is a configuration file.  It is loaded with
 * ig_settings_load_ini() through a memfd path (the INI reader of
 * user/common.c and inih), and checked with ig_settings_check() (what
 * ig_settings_resolve() checks after the devices, including building the
 * RA).  Every "key = value" line also goes through ig_settings_set() as
 * `attach --KEY VALUE` would (command-line names: route, ra-hop-limit, ...);
 * every value through ig_parse_v4(), ig_parse_prefix6() and
 * ig_parse_prefix64(); the two results are merged and checked again.
 *
 * Invariants: a value a parser accepts is what it promises (unicast IPv4;
 * no bits past the prefix length; ISATAP prefixes /64); the settings never
 * hold more than their limits; settings that pass the check build an RA
 * whose route options read back as configured.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "fuzz_user.h"
#include "ra.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool bits_clear_past(const struct in6_addr *a, unsigned int plen)
{
	unsigned int i;

	for (i = plen; i < 128; i++)
		if ((a->s6_addr[i / 8] >> (7 - i % 8)) & 1)
			return false;
	return true;
}

static void check_values(const char *v)
{
	struct in_addr a4;
	struct in6_addr a6;
	char err[512];
	uint8_t plen = 200;
	uint32_t h;

	if (!ig_parse_v4(v, &a4, err, sizeof(err))) {
		h = ntohl(a4.s_addr);
		FZ_CHECK(h && h != 0xffffffffu && (h >> 24) != 127 && (h >> 28) < 0xe,
			 "'%s' accepted as a unicast IPv4 address", v);
	}
	if (!ig_parse_prefix6(v, &a6, &plen, err, sizeof(err)))
		FZ_CHECK(plen <= 128 && bits_clear_past(&a6, plen),
			 "'%s' accepted as a prefix with bits past /%u", v, plen);
	if (!ig_parse_prefix64(v, &a6, err, sizeof(err)))
		FZ_CHECK(bits_clear_past(&a6, 64) && a6.s6_addr[0] != 0xff,
			 "'%s' accepted as an ISATAP /64", v);
}

static void check_settings(const struct ig_settings *s)
{
	unsigned int i;

	FZ_CHECK(s->n_routers <= IG_MAX_ROUTERS && s->n_peers <= IG_MAX_ROUTERS &&
		 s->n_prefixes <= IG_MAX_PREFIXES && s->n_routes <= IG_RA_MAX_ROUTES,
		 "list over its limit");
	FZ_CHECK(memchr(s->ipv4_dev, '\0', sizeof(s->ipv4_dev)) &&
		 memchr(s->ipv6_dev, '\0', sizeof(s->ipv6_dev)) &&
		 memchr(s->pin_dir, '\0', sizeof(s->pin_dir)), "unterminated string");
	FZ_CHECK(!(s->set >> IG_SET_MAX), "unknown bits set: 0x%x", s->set);
	FZ_CHECK(s->ttl >= 1, "ttl 0");
	FZ_CHECK(s->mtu >= 1280, "mtu %u", s->mtu);
	FZ_CHECK(!s->ra_mtu || s->ra_mtu >= 1280, "ra mtu %u", s->ra_mtu);
	FZ_CHECK(s->ra_lifetime <= 9000, "ra lifetime %u", s->ra_lifetime);
	for (i = 0; i < s->n_prefixes; i++)
		FZ_CHECK(bits_clear_past(&s->prefixes[i], 64), "prefix %u not a /64", i);
	for (i = 0; i < s->n_routes; i++)
		FZ_CHECK(s->routes[i].plen <= 128 &&
			 bits_clear_past(&s->routes[i].prefix, s->routes[i].plen),
			 "route %u has bits past its length", i);
}

/* Settings that passed the check: their RA holds the routes, in order. */
static void check_ra(const struct ig_settings *s)
{
	struct ig_prefix_key keys[IG_MAX_PREFIXES];
	struct ig_prefix vals[IG_MAX_PREFIXES];
	struct ig_ra_route back[IG_RA_MAX_ROUTES];
	struct ig_ra_template *t;
	struct ig_config cfg;
	unsigned int i;
	int n;

	memset(&cfg, 0, sizeof(cfg));
	memset(keys, 0, sizeof(keys));
	memset(vals, 0, sizeof(vals));
	cfg.ra_mtu = s->ra_mtu;
	for (i = 0; i < s->n_prefixes; i++)
		memcpy(keys[i].prefix, &s->prefixes[i], sizeof(keys[i].prefix));
	t = calloc(1, sizeof(*t));
	FZ_CHECK(t, "out of memory");
	FZ_CHECK(!ig_ra_build(&cfg, keys, vals, s->n_prefixes, s->routes, s->n_routes, t),
		 "checked settings do not build an RA");
	n = ig_ra_routes(t, back, IG_RA_MAX_ROUTES);
	FZ_CHECK(n == (int)s->n_routes, "RA holds %d routes, %u configured", n, s->n_routes);
	for (i = 0; i < s->n_routes; i++)
		FZ_CHECK(back[i].plen == s->routes[i].plen &&
			 !memcmp(&back[i].prefix, &s->routes[i].prefix, 16) &&
			 back[i].pref == s->routes[i].pref &&
			 back[i].lifetime == s->routes[i].lifetime,
			 "route %u read back differently", i);
	free(t);
}


/* "key = value" lines as command-line settings, every value as an address. */
static void each_line(const char *text, struct ig_settings *cli)
{
	char err[512], *copy, *line, *save = NULL, *eq, *key, *val;
	int ret;

	copy = strdup(text);
	FZ_CHECK(copy, "out of memory");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		eq = strchr(line, '=');
		if (!eq) {
			check_values(ig_str_trim(line));
			continue;
		}
		*eq = '\0';
		key = ig_str_trim(line);
		val = ig_str_trim(eq + 1);
		check_values(val);
		err[0] = '\0';
		ret = ig_settings_set(cli, key, val, err, sizeof(err));
		FZ_CHECK(ret == 0 || ((ret == -EINVAL || ret == -ENOMEM) && err[0]),
			 "ig_settings_set returned %d", ret);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ig_settings *file, *cli;
	char *text;
	int rc;

	file = malloc(sizeof(*file));
	cli = malloc(sizeof(*cli));
	FZ_CHECK(file && cli, "out of memory");
	ig_settings_init(file);
	ig_settings_init(cli);

	rc = ig_settings_load_ini(file, fz_as_file(data, size));
	FZ_CHECK(rc == 0 || rc == -EINVAL, "ig_settings_load_ini returned %d", rc);
	check_settings(file);
	if (rc == 0 && ig_settings_check(file) == 0) {
		check_settings(file);
		check_ra(file);
	}

	if (!memchr(data, '\0', size)) {
		text = fz_strdup(data, size);
		each_line(text, cli);
		free(text);
		check_settings(cli);
		if (ig_settings_check(cli) == 0)
			check_ra(cli);
		ig_settings_merge(file, cli);
		check_settings(file);
		if (ig_settings_check(file) == 0)
			check_ra(file);
	}
	free(cli);
	free(file);
	return 0;
}
