// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* syncstate.c - the outcome of `members sync` in the sync_state map (syncstate.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common.h"
#include "syncstate.h"

const char *const ig_sync_result_key[IG_SYNC_RESULT_MAX] = {
#define IG_X_KEY(name, code, key, text) [IG_SYNC_##name] = key,
	IG_SYNC_RESULTS(IG_X_KEY)
#undef IG_X_KEY
};

const char *const ig_sync_result_text[IG_SYNC_RESULT_MAX] = {
#define IG_X_TEXT(name, code, key, text) [IG_SYNC_##name] = text,
	IG_SYNC_RESULTS(IG_X_TEXT)
#undef IG_X_TEXT
};

int ig_sync_result_of_exit(int exit_code)
{
#define IG_X_CODE(name, code, key, text) if (exit_code == code) return IG_SYNC_##name;
	IG_SYNC_RESULTS(IG_X_CODE)
#undef IG_X_CODE
	return -1;
}

static int open_state(const char *pin_dir)
{
	char path[512];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, IG_MAP_SYNC_STATE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int ig_sync_state_record(const char *pin_dir, int exit_code, unsigned int source,
			 unsigned long long now, const char *file)
{
	struct ig_sync_state st;
	int fd, res, err = 0;
	__u32 zero = 0;

	res = ig_sync_result_of_exit(exit_code);
	if (res < 0)
		return 0;
	fd = open_state(pin_dir);
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, &st)) {
		err = -errno;
		goto cleanup;
	}
	st.last_run = now;
	if (res == IG_SYNC_OK || res == IG_SYNC_PARTIAL) {
		st.last_success = now;
		snprintf(st.file, sizeof(st.file), "%s", file ? file : "");
	}
	st.runs[res]++;
	st.last_exit = (__u32)exit_code;
	st.last_source = source;
	st.seq++;
	if (bpf_map_update_elem(fd, &zero, &st, BPF_ANY))
		err = -errno;
cleanup:
	close(fd);
	return err;
}

int ig_sync_state_read(const char *pin_dir, struct ig_sync_state *out)
{
	struct ig_sync_state again;
	int fd, err = 0, tries;
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	fd = open_state(pin_dir);
	if (fd < 0)
		return fd;
	/* An array map's value is copied without a lock: a read that races
	 * the one write of a sync could mix two values.  Two equal reads in a
	 * row are one value. */
	for (tries = 0; tries < 8; tries++) {
		if (bpf_map_lookup_elem(fd, &zero, out) ||
		    bpf_map_lookup_elem(fd, &zero, &again)) {
			err = -errno;
			ig_err("reading %s/%s: %s", pin_dir, IG_MAP_SYNC_STATE, strerror(errno));
			break;
		}
		if (!memcmp(out, &again, sizeof(again)))
			break;
	}
	close(fd);
	return err;
}
