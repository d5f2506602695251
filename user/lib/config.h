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
#include <stddef.h>
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

#define IG_LIFETIME_INFINITY 0xffffffffu

struct ig_settings {
	uint32_t set; /* 1u << enum ig_set_bit (below) */

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
	uint32_t flow_cache;		       /* flow cache slots per CPU, 0 = off */
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

/*
 * IG_SETTINGS(X): every setting of `attach`, one row each, in the order of
 * its usage text.  Adding a setting is one row here, its field in struct
 * ig_settings, and its use.  From the rows come: the IG_SET_* bits, the
 * defaults (ig_settings_init), parsing and limits (ig_settings_set), the
 * merge of file and command line, the INI keys, attach's options and usage
 * text (user/cli/cmd_attach.c); the man page's option list is checked
 * against that usage text (names, arguments, defaults: tests/unit/test_cli.sh).
 *
 *   X(ID, key, section, ini, type, cli, field, count, dflt, min, max, arg, help)
 *
 * ID       the bit IG_SET_<ID> that marks the setting as given
 * key      its --long-option and ig_settings_set() name
 * section, ini   where it sits in the INI file ([section] ini = value)
 * type     IG_ST_*: how a value is parsed and stored
 * cli      IG_CLI_*: --key VALUE, or a switch (--key and/or --no-key)
 * field    the member of struct ig_settings; count: a list's element count
 *          (IG_COUNT(member)) or 0
 * dflt, min, max   default and limits; a list's max is its capacity
 * arg, help      the usage text; the limits and default are added from the row
 */
#define IG_COUNT(member) (offsetof(struct ig_settings, member) + 1)
#define IG_U32_MAX 0xffffffffu

/* clang-format off */
#define IG_SETTINGS(X) \
X(IPV4_DEV, "ipv4-dev", "router", "ipv4-dev", IFNAME, VALUE, ipv4_dev, 0, 0, 0, 0, "DEV", \
  "interface facing the ISATAP hosts (IPv4 LAN)") \
X(IPV6_DEV, "ipv6-dev", "router", "ipv6-dev", IFNAME, VALUE, ipv6_dev, 0, 0, 0, 0, "DEV", \
  "interface facing the IPv6 network") \
X(ROUTERS, "router", "router", "router", V4LIST, VALUE, routers, IG_COUNT(n_routers), \
  0, 0, IG_MAX_ROUTERS, "A.B.C.D", \
  "an IPv4 address of this router that hosts send ISATAP to; repeat (or " \
  "comma-separate) for every cluster address. The first one is the source of " \
  "encapsulated packets") \
X(PREFIXES, "prefix", "router", "prefix", P64LIST, VALUE, prefixes, IG_COUNT(n_prefixes), \
  0, 0, IG_MAX_PREFIXES, "PREFIX/64", \
  "ISATAP prefix advertised to members; repeatable") \
X(PEERS, "peer-router", "router", "peer-router", V4LIST, VALUE, peers, IG_COUNT(n_peers), \
  0, 0, IG_MAX_ROUTERS, "A.B.C.D", \
  "another ISATAP router (loop protection); repeatable") \
X(PIN_DIR, "pin-dir", "router", "pin-dir", PATH, GLOBAL, pin_dir, 0, 0, 0, 0, "DIR", \
  "bpffs directory for the pins (default $ISAGATE_PIN_DIR, else " IG_DEFAULT_PIN_DIR ")") \
X(MODE, "mode", "router", "mode", MODE, VALUE, mode, 0, IG_MODE_NATIVE, 0, 0, \
  "native|generic", "XDP mode; generic works on any driver") \
X(TTL, "ttl", "router", "ttl", UINT, VALUE, ttl, 0, IG_CFG_DEFAULT_TTL, 1, 255, "N", \
  "outer IPv4 TTL") \
X(MTU, "mtu", "router", "mtu", UINT, VALUE, mtu, 0, IG_CFG_DEFAULT_MTU, 1280, 65535 - 20, \
  "N", "tunnel MTU for inner IPv6 packets") \
X(DYNAMIC_MTU, "dynamic-mtu", "router", "dynamic-mtu", BOOL, ON, dynamic_mtu, 0, 0, 0, 0, \
  "", "set DF on encapsulated packets and lower a member's tunnel MTU (never below " \
  "1280) when an IPv4 router reports fragmentation needed; --mtu is then the MTU " \
  "before anything is learned (IPv4 link MTU - 20)") \
X(SYSCTL, "sysctl", "router", "sysctl", BOOL, OFF, sysctl, 0, 1, 0, 0, "", \
  "do not enable IPv4/IPv6 forwarding") \
X(FWD_CACHE, "fwd-cache-ms", "router", "fwd-cache-ms", UINT, VALUE, fwd_cache_ms, 0, \
  IG_CFG_DEFAULT_FWD_CACHE_MS, 0, 60000, "MS", \
  "reuse a forwarding decision for at most MS, 0 = a FIB lookup per packet; " \
  "'isagate watch' makes route/neighbour changes apply at once") \
X(FLOWS, "flows", "router", "flows", UINT, VALUE, flows, 0, IG_CFG_DEFAULT_FLOWS, 0, \
  IG_FLOWS_MAX, "N", \
  "flow table entries for 'isagate flows', 0 = no per-flow accounting; changing it " \
  "replaces the table (its flows start again)") \
X(FLOW_CACHE, "flow-cache", "router", "flow-cache", UINT, VALUE, flow_cache, 0, 0, 0, \
  IG_FC_SLOTS_MAX, "N", \
  "account flows in a per-CPU cache of N slots (a power of two, 64 or more) that " \
  "'isagate watch' and every reader fold into the flow table, instead of in the " \
  "table per packet; 0 = off. Changing it replaces the cache") \
X(CONNS, "conns", "router", "conns", UINT, VALUE, conns, 0, IG_CFG_DEFAULT_CONNS, \
  IG_CONNS_MIN, IG_CONNS_MAX, "N", \
  "connection-table entries of the manage-out policy; changing it replaces the " \
  "table: members' connections are picked up again from their next packet, " \
  "remote-opened ones end") \
X(SOURCE_QUOTA, "source-quota", "router", "source-quota", UINT, VALUE, source_quota, 0, \
  IG_QUOTA_DEFAULT_PERCENT, 0, 100, "PCT", \
  "percent of the flow and connection tables one source (a member, or a remote " \
  "/64) may create per minute, 0 = no quota; over it its new flows are counted in " \
  "one aggregate entry per member and its new connections refused (drop_conn_quota)") \
X(RA_LIFETIME, "ra-lifetime", "ra", "router-lifetime", UINT, VALUE, ra_lifetime, 0, \
  IG_CFG_DEFAULT_RA_LIFETIME, 0, 9000, "S", \
  "router lifetime in s (RFC 4861 6.2.1); 0: not a default router (hosts use it " \
  "only for --route)") \
X(RA_HOPLIMIT, "ra-hop-limit", "ra", "hop-limit", UINT, VALUE, ra_hop_limit, 0, \
  IG_CFG_DEFAULT_RA_HOPLIMIT, 0, 255, "N", "current hop limit, 0 = unspecified") \
X(RA_MTU, "ra-mtu", "ra", "mtu", UINT_OR_0, VALUE, ra_mtu, 0, IG_CFG_DEFAULT_MTU, 1280, \
  65535, "N", "MTU option, 0 = omit") \
X(RA_REACHABLE, "ra-reachable", "ra", "reachable-ms", UINT, VALUE, ra_reachable_ms, 0, 0, \
  0, 3600000, "MS", "reachable time, 0 = unspecified") \
X(RA_RETRANS, "ra-retrans", "ra", "retrans-ms", UINT, VALUE, ra_retrans_ms, 0, 0, 0, \
  IG_U32_MAX, "MS", "retransmission timer, 0 = unspecified") \
X(RA_INTERVAL, "ra-interval", "ra", "min-interval-ms", UINT, VALUE, ra_interval_ms, 0, \
  IG_CFG_DEFAULT_RA_MIN_MS, 0, 3600000, "MS", "at most one RA per host per MS") \
X(VALID_LT, "valid-lifetime", "ra", "valid-lifetime", LIFETIME, VALUE, valid_lifetime, 0, \
  IG_CFG_DEFAULT_VALID_LT, 0, IG_U32_MAX, "S", "prefix valid lifetime in s, or 'infinity'") \
X(PREFERRED_LT, "preferred-lifetime", "ra", "preferred-lifetime", LIFETIME, VALUE, \
  preferred_lifetime, 0, IG_CFG_DEFAULT_PREFERRED_LT, 0, IG_U32_MAX, "S", \
  "prefix preferred lifetime in s, or 'infinity'") \
X(ONLINK, "onlink", "ra", "onlink", BOOL, SWITCH, onlink, 0, 0, 0, 0, "", \
  "set the prefix on-link (L) flag") \
X(ROUTES, "route", "ra", "route", ROUTELIST, VALUE, routes, IG_COUNT(n_routes), 0, 0, \
  IG_RA_MAX_ROUTES, "PREFIX/LEN", \
  "a remote IPv6 prefix this router serves, advertised as an RFC 4191 route " \
  "information option; repeatable. Hosts need accept_ra_rt_info_max_plen >= LEN") \
X(ROUTE_PREF, "route-preference", "ra", "route-preference", ROUTE_PREF, VALUE, route_pref, \
  0, IG_ROUTE_PREF_MEDIUM, 0, 0, "P", "high, medium or low") \
X(ROUTE_LT, "route-lifetime", "ra", "route-lifetime", LIFETIME, VALUE, route_lifetime, 0, \
  IG_RA_DEFAULT_ROUTE_LT, 0, IG_U32_MAX, "S", \
  "route lifetime in s, or 'infinity'; when a router goes down its routes expire " \
  "on the hosts after at most this long (see docs/multisite.md)")
/* clang-format on */

/* How a setting's value is parsed and stored. */
enum ig_setting_type {
	IG_ST_IFNAME,	  /* char[IF_NAMESIZE] */
	IG_ST_PATH,	  /* char[PATH_MAX], absolute */
	IG_ST_V4LIST,	  /* struct in_addr[], unicast, no repeats */
	IG_ST_P64LIST,	  /* struct in6_addr[]: global /64s */
	IG_ST_ROUTELIST,  /* struct ig_ra_route[]: PREFIX/LEN, not link-local */
	IG_ST_UINT,	  /* min..max */
	IG_ST_UINT_OR_0,  /* 0, or min..max */
	IG_ST_LIFETIME,	  /* min..max or "infinity" (IG_LIFETIME_INFINITY) */
	IG_ST_BOOL,	  /* yes/no, true/false, on/off, 1/0 */
	IG_ST_MODE,	  /* enum ig_xdp_mode: native|drv, generic|skb */
	IG_ST_ROUTE_PREF, /* enum ig_route_pref: high, medium, low */
};

/* How a setting appears on attach's command line. */
enum ig_setting_cli {
	IG_CLI_VALUE,  /* --key VALUE */
	IG_CLI_SWITCH, /* --key and --no-key */
	IG_CLI_ON,     /* --key only (sets yes) */
	IG_CLI_OFF,    /* --no-key only (sets no) */
	IG_CLI_GLOBAL, /* the global option of the same name (user/cli/opts.c) */
};

/* Which fields were given explicitly (to merge file and command line). */
enum ig_set_bit {
#define IG_X_BIT(id, ...) IG_SET_##id,
	IG_SETTINGS(IG_X_BIT)
#undef IG_X_BIT
	IG_SET_MAX
};

/* One row of IG_SETTINGS, as data (ig_settings_desc[IG_SET_*]). */
struct ig_setting_desc {
	const char *key, *section, *ini, *arg, *help;
	enum ig_setting_type type;
	enum ig_setting_cli cli;
	size_t off, size; /* the field */
	size_t count_off; /* lists: offset of the count + 1, else 0 */
	unsigned long long dflt, min, max;
};
extern const struct ig_setting_desc ig_settings_desc[IG_SET_MAX];

/* The row for a --key / ig_settings_set() name, or NULL. */
const struct ig_setting_desc *ig_setting_find(const char *key);
/* "(1..255, default 64)", "(default infinity)", "(at most 8)" or "": what
 * the usage text adds to a row's help. */
void ig_setting_limits(const struct ig_setting_desc *d, char *buf, size_t len);

/* Defaults (IG_CFG_DEFAULT_*), nothing marked as set. */
void ig_settings_init(struct ig_settings *s);

/*
 * Read an INI file into *s (fields it sets are marked).  On error prints
 * "FILE:LINE: reason" and returns -EINVAL, or the -errno of opening the
 * file (-ENOENT: none); 0 on success.
 */
int ig_settings_load_ini(struct ig_settings *s, const char *path);

/*
 * Apply one setting by its INI key name ("router", "ttl", "ra-hop-limit"
 * style names are the command-line long options minus "--").  Lists append.
 * On error writes a message into err and returns -EINVAL (-ENOMEM).
 */
int ig_settings_set(struct ig_settings *s, const char *key, const char *value,
		    char *err, size_t errlen);

/* Fields marked set in `over` replace those of `base` (lists as a whole). */
void ig_settings_merge(struct ig_settings *base, const struct ig_settings *over);

/*
 * Check completeness and consistency and resolve the device names in the
 * current network namespace.  Prints what is wrong; returns 0, -EINVAL (the
 * settings are wrong or a device is missing) or another -errno.
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
