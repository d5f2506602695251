// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_members.c - libFuzzer harness for the membership file and what
 * `members sync FILE` does with it before touching the maps.
 *
 * Each input is a membership file.  It is read with ig_msrc_parse_stream()
 * (as `members sync -` reads stdin); every line on its own also goes through
 * ig_member_parse_entry() unstripped and ig_msrc_add_name().  A file that
 * parses goes through the rest of the pipeline: the parallel resolver cache
 * with a fake resolver, ig_members_resolve(), a current map content derived
 * from the input, ig_members_plan() (see fuzz_user.h for the invariants).
 * A rejected file must say where: "fuzz:LINE: reason".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_user.h"
#include "members.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every line alone, as given (whitespace and comments included). */
static void each_line(const char *text)
{
	struct ig_msrc src = { 0 };
	struct ig_msrc_item it;
	char err[512], *copy, *line, *save = NULL;
	int ret;

	copy = strdup(text);
	FZ_CHECK(copy, "out of memory");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		err[0] = '\0';
		ret = ig_member_parse_entry(line, &it, err, sizeof(err));
		FZ_CHECK(ret == 0 || ret == -EINVAL, "ig_member_parse_entry returned %d", ret);
		if (ret) {
			FZ_CHECK(err[0], "rejected without a reason: '%s'", line);
			continue;
		}
		fz_check_item(&it);
		free(it.name);
		ret = ig_msrc_add_name(&src, line, IG_MEMBER_F_DIRECTORY, 1, err, sizeof(err));
		FZ_CHECK(ret == 0, "ig_msrc_add_name refused what parse_entry took: %s", err);
		FZ_CHECK(src.items[src.n - 1].flags == IG_MEMBER_F_DIRECTORY, "flags not kept");
	}
	for (size_t i = 0; i < src.n; i++)
		fz_check_item(&src.items[i]);
	ig_msrc_free(&src);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ig_msrc src = { 0 };
	char err[1024], *text;
	FILE *f;
	int ret;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	FZ_CHECK(f, "fmemopen failed");
	err[0] = '\0';
	ret = ig_msrc_parse_stream(&src, f, "fuzz", err, sizeof(err));
	fclose(f);
	FZ_CHECK(ret == 0 || ret == -EINVAL, "ig_msrc_parse_stream returned %d (%s)", ret, err);
	if (ret)
		FZ_CHECK(!strncmp(err, "fuzz:", 5) && strlen(err) > 7, "error without a line: %s",
			 err);
	else
		fz_pipeline(&src, data, size);
	ig_msrc_free(&src);

	if (!memchr(data, '\0', size)) {
		text = fz_strdup(data, size);
		each_line(text);
		free(text);
	}
	return 0;
}
