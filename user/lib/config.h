/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * config.h - the router's settings in one struct, filled from the INI file
 * (`attach --config FILE`) and/or the attach command line, then validated
 * and handed to the loader.  Values are kept in host order; addresses as
 * struct in_addr / in6_addr (network order bytes).
 */
#ifndef IG_CONFIG_H
#define IG_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "isagate.h"
#include "ra.h"
#include "vlan.h"

enum ig_xdp_mode {
	IG_MODE_NATIVE = 0,       /* XDP_FLAGS_DRV_MODE (default) */
	IG_MODE_GENERIC,          /* XDP_FLAGS_SKB_MODE */
};

/* Which fields were given explicitly (to merge file and command line). */
enum ig_set_bit {
	IG_SET_IPV4_DEV,
	IG_SET_IPV6_DEV,
	IG_SET_ROUTERS,
	IG_SET_PEERS,
	IG_SET_PREFIXES,
	IG_SET_PIN_DIR,
	IG_SET_MODE,
	IG_SET_TTL,
	IG_SET_MTU,
	IG_SET_SYSCTL,
	IG_SET_RA_LIFETIME,
	IG_SET_RA_HOPLIMIT,
	IG_SET_RA_MTU,
	IG_SET_RA_REACHABLE,
	IG_SET_RA_RETRANS,
	IG_SET_RA_INTERVAL,
	IG_SET_VALID_LT,
	IG_SET_PREFERRED_LT,
	IG_SET_ONLINK,
	IG_SET_FWD_CACHE,
	IG_SET_FLOWS,
	IG_SET_CONNS,
	IG_SET_SOURCE_QUOTA,
	IG_SET_ROUTES,
	IG_SET_ROUTE_PREF,
	IG_SET_ROUTE_LT,
	IG_SET_DYNAMIC_MTU,
	IG_SET_MAX
};

#define IG_LIFETIME_INFINITY 0xffffffffu

struct ig_settings {
	uint32_t set;                          /* 1u << enum ig_set_bit */

	char ipv4_dev[IF_NAMESIZE];
	char ipv6_dev[IF_NAMESIZE];
	unsigned int ipv4_ifindex;             /* filled by ig_settings_resolve() */
	unsigned int ipv6_ifindex;
	struct ig_vlan_chain ipv4_vlan;        /* the real device and tags under each side */
	struct ig_vlan_chain ipv6_vlan;        /* (filled by ig_settings_resolve()) */

	struct in_addr routers[IG_MAX_ROUTERS]; /* own addresses; [0] = encap source */
	unsigned int n_routers;
	struct in_addr peers[IG_MAX_ROUTERS];   /* other ISATAP routers */
	unsigned int n_peers;
	struct in6_addr prefixes[IG_MAX_PREFIXES]; /* ISATAP /64s, in RA order */
	unsigned int n_prefixes;

	char pin_dir[PATH_MAX];                /* "" = ig_pin_dir() default */
	enum ig_xdp_mode mode;
	uint8_t ttl;                           /* outer IPv4 TTL */
	uint16_t mtu;                          /* tunnel (inner) MTU */
	bool sysctl;                           /* enable forwarding sysctls */
	bool dynamic_mtu;                      /* DF set, per-member MTU learned (RFC 4213 3.2) */

	/* router discovery */
	uint16_t ra_lifetime;                  /* s */
	uint8_t ra_hop_limit;
	uint16_t ra_mtu;                       /* 0 = no MTU option */
	uint32_t ra_reachable_ms;
	uint32_t ra_retrans_ms;
	uint32_t ra_interval_ms;               /* per-host RS answer rate limit */
	uint32_t valid_lifetime;               /* s, PIO */
	uint32_t preferred_lifetime;           /* s, PIO */
	bool onlink;                           /* PIO L flag */
	uint32_t fwd_cache_ms;                 /* forwarding-cache lifetime, 0 = off */
	uint32_t flows;                        /* flow table entries, 0 = no flow accounting */
	uint32_t conns;                        /* policy connection-table entries */
	uint32_t source_quota;                 /* % of flows and conns one source may hold, 0 = off */

	/* routes advertised as RFC 4191 Route Information options; their
	 * pref and lifetime are filled from route_pref/route_lifetime by
	 * ig_settings_resolve() */
	struct ig_ra_route routes[IG_RA_MAX_ROUTES];
	unsigned int n_routes;
	uint8_t route_pref;                    /* enum ig_route_pref */
	uint32_t route_lifetime;               /* s, IG_LIFETIME_INFINITY */
};

/* Defaults (IG_CFG_DEFAULT_*), nothing marked as set. */
void ig_settings_init(struct ig_settings *s);

/*
 * Read an INI file into *s (fields it sets are marked).  On error prints
 * "FILE:LINE: reason" and returns IG_EXIT_USAGE (or IG_EXIT_FAIL when the
 * file cannot be read); 0 on success.
 */
int ig_settings_load_ini(struct ig_settings *s, const char *path);

/*
 * Apply one setting by its INI key name ("router", "ttl", "ra-hop-limit"
 * style names are the command-line long options minus "--").  Lists append.
 * On error writes a message into err and returns -1.
 */
int ig_settings_set(struct ig_settings *s, const char *key, const char *value,
		    char *err, size_t errlen);

/* Fields marked set in `over` replace those of `base` (lists as a whole). */
void ig_settings_merge(struct ig_settings *base, const struct ig_settings *over);

/*
 * Check completeness and consistency and resolve the device names in the
 * current network namespace.  Prints what is wrong; returns 0 or an exit code.
 */
int ig_settings_resolve(struct ig_settings *s);

/* ig_settings_resolve() without the devices: everything it checks that
 * needs no network namespace (and fills the routes' pref and lifetime). */
int ig_settings_check(struct ig_settings *s);

/* What the datapath reads, derived from checked settings (config_build.c,
 * pure): the config record with its fast-path flags, and the prefixes
 * map's keys and values (s->n_prefixes of each). */
void ig_config_build(const struct ig_settings *s, struct ig_config *cfg);
void ig_prefixes_build(const struct ig_settings *s, struct ig_prefix_key *keys,
		       struct ig_prefix *vals);

/* Address helpers shared with the commands. */
int ig_parse_v4(const char *txt, struct in_addr *out, char *err, size_t errlen);
int ig_parse_prefix64(const char *txt, struct in6_addr *out, char *err, size_t errlen);
/* Any IPv6 prefix PREFIX/LEN, 0..128, bits past LEN clear. */
int ig_parse_prefix6(const char *txt, struct in6_addr *out, uint8_t *plen, char *err,
		     size_t errlen);
const char *ig_mode_name(enum ig_xdp_mode mode);

#endif /* IG_CONFIG_H */
