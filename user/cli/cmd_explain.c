// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_explain.c - `isagate explain HOST [--to ADDR [--port PROTO/PORT]]`:
 * presents the findings of ig_explain_run() (user/lib/explain.c), a
 * verdict line first, as text or JSON, and maps the verdict to the exit
 * status.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "commands.h"
#include "common.h"
#include "opts.h"
#include "config.h"
#include "directory.h"
#include "explain.h"

/* clang-format off */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: isagate explain HOST [--to ADDR [--port PROTO/PORT]] [--config FILE] [-j]\n"
		"                       [--pin-dir DIR]\n"
		"\n"
		"Why does HOST (a name, an IPv4 address or an ISATAP IPv6 address) get no\n"
		"IPv6 through this router, or why do its conversations time out?  A verdict\n"
		"line, then the evidence, each finding with the fix: its addresses, its\n"
		"membership and the entry that admits it, its router solicitations and how\n"
		"they were answered, its last refusal, its conversations (unanswered ones\n"
		"flagged), its IPv4 neighbour and tunnel MTU.  Nothing is sent or changed.\n"
		"\n"
		"  --to ADDR               also a dry run of the member's packet to the IPv6\n"
		"                          address ADDR: admission, destination rules, policy\n"
		"                          rule, route, ending 'would be forwarded' or the\n"
		"                          first step that refuses\n"
		"  --port PROTO/PORT       with --to: tcp/3389, udp/53 (default: ICMPv6 echo)\n"
		"  --config FILE           the router's config (default $ISAGATE_CONFIG): when\n"
		"                          the membership comes from the directory, ask it\n"
		"                          ([directory]) which group nesting admits HOST, or\n"
		"                          why not; [router] pin-dir unless --pin-dir\n"
		"  -j, --json              JSON (stable keys)\n"
		"\n"
		"Exit codes: 0 the host works through this router, 3 admitted but something\n"
		"is wrong, 7 not admitted, 2 bad usage or a host that cannot be explained,\n"
		"4 nothing attached under DIR, 1 failed.\n");
}
/* clang-format on */

static int parse_port(const char *s, struct ig_explain_req *r)
{
	char *end;
	unsigned long p;

	if (!strncmp(s, "tcp/", 4))
		r->proto = 6;
	else if (!strncmp(s, "udp/", 4))
		r->proto = 17;
	else
		return -1;
	errno = 0;
	p = strtoul(s + 4, &end, 10);
	if (errno || end == s + 4 || *end || !p || p > 65535)
		return -1;
	r->port = (__u16)p;
	return 0;
}

static const char *verdict_key(enum ig_explain_verdict v)
{
	return v == IG_EXPLAIN_WORKS ? "works" : v == IG_EXPLAIN_DEGRADED ? "degraded" :
	       "not_admitted";
}

/* What the directory said: "computer" null when it has none by that name,
 * "chain" from the configured group down to the computer, [] when not in it. */
static json_object *dir_json(const struct ig_dir_chain *d)
{
	json_object *o = json_object_new_object(), *chain = json_object_new_array();
	size_t i;

	json_object_object_add(o, "server", json_object_new_string(d->server));
	json_object_object_add(o, "computer",
			       d->computer ? json_object_new_string(d->computer) : NULL);
	json_object_object_add(o, "disabled", json_object_new_boolean(d->disabled));
	for (i = 0; i < d->n_chain; i++)
		json_object_array_add(chain, json_object_new_string(d->chain[i]));
	json_object_object_add(o, "chain", chain);
	return o;
}

static void print_json(const struct ig_explain_req *req, const struct ig_explain *x, int rc)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	char a[16];
	size_t i;

	json_object_object_add(root, "host", json_object_new_string(req->host));
	json_object_object_add(root, "address",
			       json_object_new_string(ig_fmt_v4(x->v4, a, sizeof(a))));
	json_object_object_add(root, "member", json_object_new_boolean(x->member));
	json_object_object_add(root, "verdict", json_object_new_string(verdict_key(x->verdict)));
	json_object_object_add(root, "verdict_text", json_object_new_string(x->verdict_text));
	json_object_object_add(root, "exit", json_object_new_int(rc));
	for (i = 0; i < x->n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "section", json_object_new_string(x->f[i].section));
		json_object_object_add(o, "key", json_object_new_string(x->f[i].key));
		json_object_object_add(o, "level",
				       json_object_new_string(ig_find_level_name(x->f[i].level)));
		json_object_object_add(o, "text", json_object_new_string(x->f[i].text));
		json_object_object_add(o, "fix", x->f[i].fix[0] ?
				       json_object_new_string(x->f[i].fix) : NULL);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "findings", arr);
	json_object_object_add(root, "directory", x->have_dir ? dir_json(&x->dir) : NULL);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void print_text(const struct ig_explain_req *req, const struct ig_explain *x)
{
	const char *section = "";
	size_t i;

	printf("%s: %s\n", req->host, x->verdict_text);
	for (i = 0; i < x->n; i++) {
		const struct ig_finding *f = &x->f[i];

		if (strcmp(section, f->section)) {
			section = f->section;
			printf("%s\n", section);
		}
		printf("  %-4s  %s\n", ig_find_level_name(f->level), f->text);
		if (f->fix[0])
			printf("        fix: %s\n", f->fix);
	}
}

/* --config FILE: [directory] (asked only when it names a server) and
 * [router] pin-dir.  0 or an exit code (the reason printed). */
static int read_config(const char *path, struct ig_dir_settings *ds, char *pin, size_t len)
{
	struct ig_settings rs;
	int rc;

	rc = ig_dir_load_ini(ds, path);
	if (!rc && ds->n_uris)
		rc = ig_dir_check(ds);
	if (rc)
		return ig_exit_input(rc);
	ig_settings_init(&rs);
	rc = ig_settings_load_ini(&rs, path);
	if (!rc)
		snprintf(pin, len, "%s", rs.pin_dir);
	return ig_exit_input(rc);
}

struct explain_opts {
	struct ig_explain_req req;
	const char *pin_dir; /* -p; NULL: the config's, else the default */
	const char *config;  /* --config, else $ISAGATE_CONFIG */
};

/* 0 to go on, -1 when done (--help), or an exit code. */
static int explain_parse(int argc, char **argv, struct explain_opts *o)
{
	/* clang-format off */
	static const struct option options[] = {
		{ "to",      required_argument, NULL, 't' },
		{ "port",    required_argument, NULL, 'P' },
		{ "config",  required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	/* clang-format on */
	static const struct ig_cmd cmd = { "explain", "", options, usage, true };
	const char *port = NULL;
	struct ig_getopt g;
	int opt;

	o->config = getenv("ISAGATE_CONFIG");
	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((opt = ig_getopt(&g)) > 0) {
		switch (opt) {
		case 't':
			if (inet_pton(AF_INET6, optarg, o->req.to) != 1) {
				ig_err("--to %s: expected an IPv6 address", optarg);
				return IG_EXIT_USAGE;
			}
			o->req.have_to = true;
			break;
		case 'P': port = optarg; break;
		case 'c': o->config = optarg; break;
		}
	}
	if (opt < 0)
		return g.rc ? g.rc : -1;
	o->pin_dir = ig_globals.pin_dir;
	if (optind + 1 != argc) {
		ig_err("explain: expected one HOST (see 'isagate explain --help')");
		return IG_EXIT_USAGE;
	}
	o->req.host = argv[optind];
	if (port && (!o->req.have_to || parse_port(port, &o->req))) {
		ig_err("--port %s: expected tcp/PORT or udp/PORT, with --to", port);
		return IG_EXIT_USAGE;
	}
	return 0;
}

/* The explanation x (err: what ig_explain_run() returned) printed; its exit
 * code. */
static int explain_report(const struct explain_opts *o, const char *pin_dir, int err,
			  const struct ig_explain *x)
{
	int rc;

	if (err == -EINVAL) {
		ig_err("%s", x->verdict_text);
		return IG_EXIT_USAGE;
	}
	if (err == -ENOENT) {
		ig_err("nothing attached under %s (isagate attach)", pin_dir);
		return IG_EXIT_NOT_ATTACHED;
	}
	if (err)
		return IG_EXIT_FAIL;
	rc = x->verdict == IG_EXPLAIN_WORKS	 ? IG_EXIT_OK
	     : x->verdict == IG_EXPLAIN_DEGRADED ? IG_EXIT_PARTIAL
						 : IG_EXIT_NOT_ADMITTED;
	if (ig_globals.json)
		print_json(&o->req, x, rc);
	else
		print_text(&o->req, x);
	return rc;
}

int cmd_explain(int argc, char **argv)
{
	struct explain_opts o = { 0 };
	struct ig_explain *x = NULL;
	struct ig_dir_settings ds;
	char cfg_pin[PATH_MAX] = "";
	const char *pin_dir;
	int rc;

	rc = explain_parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? IG_EXIT_OK : rc;
	ig_dir_settings_init(&ds);
	if (o.config && o.config[0]) {
		rc = read_config(o.config, &ds, cfg_pin, sizeof(cfg_pin));
		if (rc)
			goto cleanup;
		if (ds.n_uris)
			o.req.dir = &ds;
	}
	pin_dir = ig_pin_dir(o.pin_dir ? o.pin_dir : cfg_pin[0] ? cfg_pin : NULL);
	x = calloc(1, sizeof(*x));
	if (!x) {
		ig_err("out of memory");
		rc = IG_EXIT_FAIL;
		goto cleanup;
	}
	rc = explain_report(&o, pin_dir, ig_explain_run(pin_dir, &o.req, x), x);
cleanup:
	if (x)
		ig_explain_free(x);
	free(x);
	ig_dir_settings_free(&ds);
	return rc;
}
