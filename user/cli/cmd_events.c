// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_events.c - `isagate events [-j] [--follow]`: the refused admissions
 * the datapath reported through the "events" ring buffer, one line each
 * (text or JSON), suitable for journald/syslog under systemd.  Without
 * --follow, prints what is waiting in the ring and exits.
 *
 * The ring has one read position: events read here are gone for any other
 * reader, so run one `events --follow` (the service) per router.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "common.h"
#include "opts.h"
#include "commands.h"
#include "events.h"
#include "flows.h"
#include "loader.h"

/* clang-format off */
static void usage(FILE *f)
{
	fprintf(f,
"usage: isagate events [-j] [--follow] [--pin-dir DIR]\n"
"\n"
"Print the refused admissions reported by the datapath (non-member, spoofed or\n"
"invalid source, loop, malformed), one line each: reason, outer IPv4 source\n"
"and destination, inner IPv6 addresses and protocol.  Each source reports at\n"
"most one event per interval (attach's event rate limit); what was held back is\n"
"counted ('isagate stats').\n"
"\n"
"  -j, --json       one JSON object per line (stable snake_case keys)\n"
"  -f, --follow     keep reading until interrupted (for a systemd service)\n"
"\n"
"Events are consumed: a second reader does not see what the first one read.\n"
"Exit codes: 0 ok, 1 failed, 2 bad usage, 4 nothing attached under DIR.\n");
}
/* clang-format on */

struct ev_ctx {
	bool json;
	unsigned long n;
};

static int on_event(void *arg, void *data, size_t size)
{
	struct ev_ctx *c = arg;
	struct ig_event ev;
	char line[512];

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	if (c->json) {
		json_object *o = ig_event_json(&ev);

		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		ig_event_text(&ev, line, sizeof(line));
		puts(line);
	}
	c->n++;
	return 0;
}

int cmd_events(int argc, char **argv)
{
	static const struct option options[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct ev_ctx c = { 0 };
	struct ring_buffer *rb = NULL;
	static const struct ig_cmd cmd = { "events", "f", options, usage, true };
	struct ig_getopt g;
	const char *pin_dir;
	bool follow = false;
	int opt, fd = -1, rc, err;

	ig_getopt_init(&g, &cmd, argc, argv, false);
	while ((opt = ig_getopt(&g)) > 0) {
		switch (opt) {
		case 'f': follow = true; break;
		}
	}
	if (opt < 0)
		return g.rc;
	if (ig_getopt_done(&g))
		return IG_EXIT_USAGE;
	c.json = ig_globals.json;
	pin_dir = ig_pin_dir(ig_globals.pin_dir);
	rc = ig_pin_dir_prepare(pin_dir, false);
	if (rc)
		return ig_exit_code(rc);
	fd = ig_map_open(pin_dir, IG_MAP_EVENTS);
	if (fd < 0)
		return ig_exit_pins(fd);
	rc = IG_EXIT_FAIL;
	rb = ring_buffer__new(fd, on_event, &c, NULL);
	if (!rb) {
		ig_err("opening the event ring buffer: %s", strerror(errno));
		goto cleanup;
	}
	if (!follow) {
		err = ring_buffer__consume(rb);
		if (err < 0) {
			ig_err("reading events: %s", strerror(-err));
			goto cleanup;
		}
		rc = IG_EXIT_OK;
		goto cleanup;
	}
	ig_stop_on_signals();
	setvbuf(stdout, NULL, _IOLBF, 0);   /* one line at a time to journald */
	while (!ig_stop) {
		err = ring_buffer__poll(rb, 500);
		if (err < 0 && err != -EINTR) {
			ig_err("reading events: %s", strerror(-err));
			goto cleanup;
		}
		fflush(stdout);
	}
	rc = IG_EXIT_OK;
cleanup:
	ig_dbg("%lu events", c.n);
	ring_buffer__free(rb);
	close(fd);
	return rc;
}
