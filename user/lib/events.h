/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* events.h - formatting the datapath's refusal events (struct ig_event). */
#ifndef IG_EVENTS_H
#define IG_EVENTS_H

#include <stddef.h>
#include <json-c/json.h>

#include "isagate.h"

/* One line of text: "<reason> from <outer src> to <outer dst> inner <src> -> <dst> ...". */
void ig_event_text(const struct ig_event *ev, char *buf, size_t len);
/* The event as a JSON object (stable snake_case keys). */
json_object *ig_event_json(const struct ig_event *ev);

#endif /* IG_EVENTS_H */
