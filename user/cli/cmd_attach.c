// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_attach.c - `isagate attach`: settings from flags and/or an INI file,
 * validated in full, then handed to the loader; then the forwarding
 * sysctls the datapath's FIB lookups need.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "commands.h"
#include "config.h"
#include "loader.h"
#include "opts.h"

static void usage(FILE *f)
{
	const char *section = "router";
	char opt[64], help[640], lim[64];
	unsigned int i;

	fprintf(f,
		"usage: isagate attach --ipv4-dev DEV --ipv6-dev DEV --router A.B.C.D [--router "
		"...]\n"
		"                      --prefix PREFIX/64 [--prefix ...] [options]\n"
		"       isagate attach --config FILE [options]\n"
		"\n"
		"Load the ISATAP router and attach it to the IPv4-side and IPv6-side interfaces\n"
		"(the same interface for a one-armed router).  Running it again updates the\n"
		"running router in place: the program is replaced atomically, membership and\n"
		"counters are kept, interfaces no longer given are detached.\n"
		"\n");
	/* one line per row of IG_SETTINGS (user/lib/config.h) */
	for (i = 0; i < IG_SET_MAX; i++) {
		const struct ig_setting_desc *d = &ig_settings_desc[i];

		if (d->cli == IG_CLI_GLOBAL)
			continue;
		if (strcmp(d->section, section)) {
			section = d->section;
			fprintf(f, "router advertisement settings ([%s] in --config FILE):\n",
				section);
		}
		if (d->cli == IG_CLI_VALUE)
			snprintf(opt, sizeof(opt), "--%s %s", d->key, d->arg);
		else if (d->cli == IG_CLI_SWITCH)
			snprintf(opt, sizeof(opt), "--%s | --no-%s", d->key, d->key);
		else
			snprintf(opt, sizeof(opt), "--%s%s", d->cli == IG_CLI_OFF ? "no-" : "",
				 d->key);
		ig_setting_limits(d, lim, sizeof(lim));
		snprintf(help, sizeof(help), "%s%s%s", d->help, *lim ? " " : "", lim);
		ig_usage_opt(f, opt, help);
		if (i == IG_SET_SOURCE_QUOTA)
			ig_usage_opt(
				f, "--config FILE",
				"read settings from an INI file ([router] and "
				"[ra]); flags given here override it (see deploy/isagate.conf)");
	}
	fprintf(f, "\n"
		   "Exit codes: 0 ok, 1 failed, 2 bad usage or input (nothing changed),\n"
		   "3 attached with warnings (e.g. a sysctl could not be set), 8 another isagate\n"
		   "command held the pin directory's lock for $ISAGATE_LOCK_WAIT s (nothing "
		   "changed).\n");
}

/* Option values: a row's --key is OPT_ON + row, its --no-key OPT_OFF + row. */
enum {
	OPT_CONFIG = 0x100,
	OPT_ON = 0x200,
	OPT_OFF = 0x400,
};

/* attach's options, from IG_SETTINGS. */
static const struct option *attach_options(void)
{
	static struct option opts[2 * IG_SET_MAX + 2];
	static char no_names[IG_SET_MAX][40];
	unsigned int i, n = 0;

	if (opts[0].name)
		return opts;
	for (i = 0; i < IG_SET_MAX; i++) {
		const struct ig_setting_desc *d = &ig_settings_desc[i];

		if (d->cli == IG_CLI_VALUE || d->cli == IG_CLI_SWITCH || d->cli == IG_CLI_ON)
			opts[n++] = (struct option){ d->key,
						     d->cli == IG_CLI_VALUE ? required_argument
									    : no_argument,
						     NULL, OPT_ON + (int)i };
		if (d->cli == IG_CLI_SWITCH || d->cli == IG_CLI_OFF) {
			snprintf(no_names[i], sizeof(no_names[i]), "no-%s", d->key);
			opts[n++] =
				(struct option){ no_names[i], no_argument, NULL, OPT_OFF + (int)i };
		}
	}
	opts[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	return opts;
}

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
	struct ig_cmd cmd = { "attach", "", attach_options(), usage, false };
	struct ig_settings cli, s;
	struct ig_attach_report rep;
	const struct ig_setting_desc *d;
	const char *config = NULL, *value;
	char err[256], pin_dir[PATH_MAX];
	struct ig_getopt g;
	int opt, rc, rc2;

	ig_settings_init(&cli);
	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((opt = ig_getopt(&g)) > 0) {
		if (opt == OPT_CONFIG) {
			config = optarg;
			continue;
		}
		d = &ig_settings_desc[(opt & (OPT_ON - 1))];
		value = d->cli == IG_CLI_VALUE ? optarg : opt & OPT_OFF ? "no" : "yes";
		if (ig_settings_set(&cli, d->key, value, err, sizeof(err))) {
			ig_err("--%s: %s", d->key, err);
			return IG_EXIT_USAGE;
		}
	}
	if (opt < 0)
		return g.rc;
	if (ig_getopt_done(&g))
		return IG_EXIT_USAGE;
	if (ig_globals.pin_dir &&
	    ig_settings_set(&cli, "pin-dir", ig_globals.pin_dir, err, sizeof(err))) {
		ig_err("--pin-dir: %s", err);
		return IG_EXIT_USAGE;
	}

	ig_settings_init(&s);
	if (config) {
		rc = ig_settings_load_ini(&s, config);
		if (rc)
			return ig_exit_input(rc);
	}
	ig_settings_merge(&s, &cli);
	rc = ig_settings_resolve(&s);
	if (rc)
		return ig_exit_input(rc);

	/* --pin-dir / config file, else $ISAGATE_PIN_DIR, else the default */
	snprintf(pin_dir, sizeof(pin_dir), "%s", ig_pin_dir(s.pin_dir));
	if (pin_dir[0] != '/') {
		ig_err("pin directory '%s' must be an absolute path", pin_dir);
		return IG_EXIT_USAGE;
	}

	rc = ig_loader_attach(&s, pin_dir, &rep);
	if (rc)
		return ig_exit_code(rc);
	print_report(&rep, pin_dir);
	rc2 = apply_sysctls(&s);
	return rc2;
}
