/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * syncstate.h - the outcome of `members sync`, kept in the pinned map
 * "sync_state" (struct ig_sync_state, include/isagate.h).
 *
 * Why a map and not a state file: the map lives in the pin directory with
 * the router it describes (attach creates it, detach removes it), so every
 * reader that knows the pin directory (stats, the Prometheus textfile, top)
 * finds it with no second path to configure, and the members and metrics
 * units already have exactly the access it needs (CAP_BPF, /sys/fs/bpf).
 * A sync writes it once, at the end, whatever the result.
 */
#ifndef IG_SYNCSTATE_H
#define IG_SYNCSTATE_H

#include <stdbool.h>

#include "isagate.h"

extern const char *const ig_sync_result_key[IG_SYNC_RESULT_MAX];
extern const char *const ig_sync_result_text[IG_SYNC_RESULT_MAX];

/* The result for a members-sync exit code; -1 for codes a sync that ran
 * does not record (4: nothing attached, so nowhere to record it). */
int ig_sync_result_of_exit(int exit_code);

/*
 * Record one sync that exited with exit_code at unix time now, from source
 * (IG_SYNC_SRC_*); an applied sync also records file, the membership file it
 * read ("" or NULL: none).  0; -ENOENT when the map is not pinned (not attached, or
 * pins of a version without it); else -errno.  Prints nothing: the sync
 * has said what happened and a failure to record must not change its exit.
 * The read-modify-write is one writer's when the caller holds the pin
 * directory's lock (a sync that failed before taking it may, rarely, lose
 * one count to a concurrent sync).
 */
int ig_sync_state_record(const char *pin_dir, int exit_code, unsigned int source,
			 unsigned long long now, const char *file);

/* Read it: 0, -ENOENT (not pinned) or -errno (message printed). */
int ig_sync_state_read(const char *pin_dir, struct ig_sync_state *out);

#endif /* IG_SYNCSTATE_H */
