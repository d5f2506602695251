// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_attach.c - `isagate attach`: settings from flags and/or an INI file,
 * validated in full, then handed to the loader; then the forwarding
 * sysctls the datapath's FIB lookups need.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "commands.h"
#include "config.h"
#include "loader.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: isagate attach --ipv4-dev DEV --ipv6-dev DEV --router A.B.C.D [--router ...]\n"
"                      --prefix PREFIX/64 [--prefix ...] [options]\n"
"       isagate attach --config FILE [options]\n"
"\n"
"Load the ISATAP router and attach it to the IPv4-side and IPv6-side interfaces\n"
"(the same interface for a one-armed router).  Running it again updates the\n"
"running router in place: the program is replaced atomically, membership and\n"
"counters are kept, interfaces no longer given are detached.\n"
"\n"
"  --ipv4-dev DEV          interface facing the ISATAP hosts (IPv4 LAN)\n"
"  --ipv6-dev DEV          interface facing the IPv6 network\n"
"  --router A.B.C.D        an IPv4 address of this router that hosts send ISATAP\n"
"                          to; repeat (or comma-separate) for every cluster address.\n"
"                          The first one is the source of encapsulated packets\n"
"  --prefix PREFIX/64      ISATAP prefix advertised to members; repeatable\n"
"  --peer-router A.B.C.D   another ISATAP router (loop protection); repeatable\n"
"  --pin-dir DIR           bpffs directory for the pins (default $ISAGATE_PIN_DIR,\n"
"                          else %s)\n"
"  --mode native|generic   XDP mode (default native; generic works on any driver)\n"
"  --ttl N                 outer IPv4 TTL (default %d)\n"
"  --mtu N                 tunnel MTU for inner IPv6 packets (default %d)\n"
"  --dynamic-mtu           set DF on encapsulated packets and lower a member's\n"
"                          tunnel MTU (never below 1280) when an IPv4 router\n"
"                          reports fragmentation needed; --mtu is then the MTU\n"
"                          before anything is learned (IPv4 link MTU - 20)\n"
"  --no-sysctl             do not enable IPv4/IPv6 forwarding\n"
"  --fwd-cache-ms MS       reuse a forwarding decision for at most MS (default %d,\n"
"                          0 = a FIB lookup per packet); 'isagate watch' makes\n"
"                          route/neighbour changes apply at once\n"
"  --flows N               flow table entries for 'isagate flows' (default 65536;\n"
"                          0 = no per-flow accounting); changing it replaces the\n"
"                          table (its flows start again)\n"
"  --conns N               connection-table entries of the manage-out policy\n"
"                          (default 131072, 1024..16777216); changing it replaces\n"
"                          the table: members' connections are picked up again\n"
"                          from their next packet, remote-opened ones end\n"
"  --source-quota PCT      share of the flow and connection tables one source\n"
"                          (a member, or a remote /64) may create per minute,\n"
"                          0..100 %% (default 10, 0 = no quota); over it its new\n"
"                          flows are counted in one aggregate entry per member\n"
"                          and its new connections refused (drop_conn_quota)\n"
"  --config FILE           read settings from an INI file; flags given here\n"
"                          override it (see deploy/isagate.conf)\n"
"router advertisement settings:\n"
"  --ra-lifetime S         router lifetime, 0..9000 s (default %d); 0: not a\n"
"                          default router (hosts use it only for --route)\n"
"  --ra-hop-limit N        current hop limit, 0 = unspecified (default %d)\n"
"  --ra-mtu N              MTU option, 0 = omit (default %d)\n"
"  --ra-reachable MS       reachable time, 0 = unspecified (default 0)\n"
"  --ra-retrans MS         retransmission timer, 0 = unspecified (default 0)\n"
"  --ra-interval MS        at most one RA per host per MS (default %d)\n"
"  --valid-lifetime S      prefix valid lifetime, or 'infinity' (default %d)\n"
"  --preferred-lifetime S  prefix preferred lifetime, or 'infinity' (default %d)\n"
"  --onlink | --no-onlink  set the prefix on-link (L) flag (default off)\n"
"  --route PREFIX/LEN      a remote IPv6 prefix this router serves, advertised as\n"
"                          an RFC 4191 route information option; repeatable (at\n"
"                          most %d).  Hosts need accept_ra_rt_info_max_plen >= LEN\n"
"  --route-preference P    high, medium or low (default medium)\n"
"  --route-lifetime S      route lifetime, or 'infinity' (default %d); when a\n"
"                          router goes down its routes expire on the hosts after\n"
"                          at most this long (see docs/multisite.md)\n"
"  -v, --verbose           show what is done, and libbpf's messages\n"
"\n"
"Exit codes: 0 ok, 1 failed, 2 bad usage or input (nothing changed),\n"
"3 attached with warnings (e.g. a sysctl could not be set), 8 another isagate\n"
"command held the pin directory's lock for $ISAGATE_LOCK_WAIT s (nothing changed).\n",
		IG_DEFAULT_PIN_DIR, IG_CFG_DEFAULT_TTL, IG_CFG_DEFAULT_MTU,
		IG_CFG_DEFAULT_FWD_CACHE_MS, IG_CFG_DEFAULT_RA_LIFETIME, IG_CFG_DEFAULT_RA_HOPLIMIT, IG_CFG_DEFAULT_MTU,
		IG_CFG_DEFAULT_RA_MIN_MS, IG_CFG_DEFAULT_VALID_LT, IG_CFG_DEFAULT_PREFERRED_LT,
		IG_RA_MAX_ROUTES, IG_RA_DEFAULT_ROUTE_LT);
}

enum {
	OPT_CONFIG = 256,
	OPT_NO_SYSCTL,
	OPT_ONLINK,
	OPT_NO_ONLINK,
	OPT_DYNAMIC_MTU,
	OPT_SETTING,            /* generic: long option name == setting name */
};

static const struct option options[] = {
	{ "ipv4-dev",           required_argument, NULL, OPT_SETTING },
	{ "ipv6-dev",           required_argument, NULL, OPT_SETTING },
	{ "router",             required_argument, NULL, OPT_SETTING },
	{ "peer-router",        required_argument, NULL, OPT_SETTING },
	{ "prefix",             required_argument, NULL, OPT_SETTING },
	{ "pin-dir",            required_argument, NULL, OPT_SETTING },
	{ "mode",               required_argument, NULL, OPT_SETTING },
	{ "ttl",                required_argument, NULL, OPT_SETTING },
	{ "mtu",                required_argument, NULL, OPT_SETTING },
	{ "ra-lifetime",        required_argument, NULL, OPT_SETTING },
	{ "ra-hop-limit",       required_argument, NULL, OPT_SETTING },
	{ "ra-mtu",             required_argument, NULL, OPT_SETTING },
	{ "ra-reachable",       required_argument, NULL, OPT_SETTING },
	{ "ra-retrans",         required_argument, NULL, OPT_SETTING },
	{ "ra-interval",        required_argument, NULL, OPT_SETTING },
	{ "fwd-cache-ms",       required_argument, NULL, OPT_SETTING },
	{ "flows",              required_argument, NULL, OPT_SETTING },
	{ "conns",              required_argument, NULL, OPT_SETTING },
	{ "source-quota",       required_argument, NULL, OPT_SETTING },
	{ "valid-lifetime",     required_argument, NULL, OPT_SETTING },
	{ "preferred-lifetime", required_argument, NULL, OPT_SETTING },
	{ "route",              required_argument, NULL, OPT_SETTING },
	{ "route-preference",   required_argument, NULL, OPT_SETTING },
	{ "route-lifetime",     required_argument, NULL, OPT_SETTING },
	{ "config",             required_argument, NULL, OPT_CONFIG },
	{ "no-sysctl",          no_argument,       NULL, OPT_NO_SYSCTL },
	{ "onlink",             no_argument,       NULL, OPT_ONLINK },
	{ "no-onlink",          no_argument,       NULL, OPT_NO_ONLINK },
	{ "dynamic-mtu",        no_argument,       NULL, OPT_DYNAMIC_MTU },
	{ "verbose",            no_argument,       NULL, 'v' },
	{ "help",               no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int apply_sysctls(const struct ig_settings *s)
{
	struct ig_sysctl sc[4];
	int n, i, err, rc = IG_EXIT_OK;

	n = ig_forwarding_sysctls(s->ipv4_dev, s->ipv6_dev, sc);
	for (i = 0; i < n; i++) {
		if (sc[i].value == 1)
			continue;
		if (!s->sysctl) {
			ig_err("warning: %s is off (--no-sysctl): packets will be counted as "
			       "drop_fwd_disabled until it is 1", sc[i].name);
			continue;
		}
		err = ig_sysctl_enable(&sc[i]);
		if (err) {
			ig_err("warning: could not set %s=1: %s", sc[i].name,
			       strerror(-err));
			rc = IG_EXIT_PARTIAL;
			continue;
		}
		printf("set %s=1 (was %d)\n", sc[i].name, sc[i].value);
		/* conf/all propagates: re-read the rest */
		n = ig_forwarding_sysctls(s->ipv4_dev, s->ipv6_dev, sc);
	}
	return rc;
}

static void print_report(const struct ig_attach_report *rep, const char *pin_dir)
{
	unsigned int i;

	for (i = 0; i < rep->n; i++) {
		const struct ig_link_state *l = &rep->ifs[i].link;

		switch (rep->ifs[i].action) {
		case IG_LINK_CREATED:
			printf("attached to %s (ifindex %u, %s, link %u, prog %u)\n", l->ifname,
			       l->ifindex, l->mode, l->link_id, l->prog_id);
			break;
		case IG_LINK_UPDATED:
			printf("updated %s (ifindex %u, %s, link %u now runs prog %u)\n", l->ifname,
			       l->ifindex, l->mode, l->link_id, l->prog_id);
			break;
		case IG_LINK_REPLACED:
			printf("re-attached %s in %s mode (ifindex %u, link %u, prog %u)\n", l->ifname,
			       l->mode, l->ifindex, l->link_id, l->prog_id);
			break;
		case IG_LINK_REMOVED:
			printf("detached from %s (no longer configured)\n", l->ifname);
			break;
		}
	}
	printf("pins under %s%s\n", pin_dir,
	       rep->reused_maps ? " (maps re-used: members and counters kept)" : "");
}

int cmd_attach(int argc, char **argv)
{
	struct ig_settings cli, s;
	struct ig_attach_report rep;
	const char *config = NULL;
	char err[256], pin_dir[PATH_MAX];
	int opt, idx, rc, rc2;

	ig_settings_init(&cli);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "vh", options, &idx)) != -1) {
		switch (opt) {
		case OPT_SETTING:
			if (ig_settings_set(&cli, options[idx].name, optarg, err, sizeof(err))) {
				ig_err("--%s: %s", options[idx].name, err);
				return IG_EXIT_USAGE;
			}
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_NO_SYSCTL:
			ig_settings_set(&cli, "sysctl", "no", err, sizeof(err));
			break;
		case OPT_ONLINK:
			ig_settings_set(&cli, "onlink", "yes", err, sizeof(err));
			break;
		case OPT_NO_ONLINK:
			ig_settings_set(&cli, "onlink", "no", err, sizeof(err));
			break;
		case OPT_DYNAMIC_MTU:
			ig_settings_set(&cli, "dynamic-mtu", "yes", err, sizeof(err));
			break;
		case 'v': ig_verbose++; break;
		case 'h':
			usage(stdout);
			return IG_EXIT_OK;
		default:
			fprintf(stderr, "see 'isagate attach --help'\n");
			return IG_EXIT_USAGE;
		}
	}
	if (ig_no_more_args(argc, argv, "attach"))
		return IG_EXIT_USAGE;

	ig_settings_init(&s);
	if (config) {
		rc = ig_settings_load_ini(&s, config);
		if (rc)
			return rc;
	}
	ig_settings_merge(&s, &cli);
	rc = ig_settings_resolve(&s);
	if (rc)
		return rc;

	/* --pin-dir / config file, else $ISAGATE_PIN_DIR, else the default */
	snprintf(pin_dir, sizeof(pin_dir), "%s", ig_pin_dir(s.pin_dir));
	if (pin_dir[0] != '/') {
		ig_err("pin directory '%s' must be an absolute path", pin_dir);
		return IG_EXIT_USAGE;
	}

	rc = ig_loader_attach(&s, pin_dir, &rep);
	if (rc)
		return rc;
	print_report(&rep, pin_dir);
	rc2 = apply_sysctls(&s);
	return rc2;
}
