/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * harness.h - a minimal test harness.  Each CHECK counts as one assertion;
 * each TEST() function is one test, failed if any CHECK in it failed.
 * The binary ends with "N passed, N failed" and exits non-zero on failure.
 */
#ifndef IG_HARNESS_H
#define IG_HARNESS_H

#include <stdio.h>
#include <string.h>

static int h_passed, h_failed, h_cur_failed;
static const char *h_cur_name;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			h_cur_failed++;                                         \
			fprintf(stderr, "  FAIL %s:%d: %s: ", __FILE__, __LINE__, \
				h_cur_name);                                    \
			fprintf(stderr, __VA_ARGS__);                           \
			fprintf(stderr, "\n");                                  \
		}                                                               \
	} while (0)

static inline void h_begin(const char *name)
{
	h_cur_name = name;
	h_cur_failed = 0;
}

static inline void h_end(void)
{
	if (h_cur_failed) {
		h_failed++;
		printf("not ok - %s\n", h_cur_name);
	} else {
		h_passed++;
		printf("ok - %s\n", h_cur_name);
	}
	fflush(stdout);
}

#define RUN(fn)                 \
	do {                    \
		h_begin(#fn);   \
		fn();           \
		h_end();        \
	} while (0)

static inline int h_summary(void)
{
	printf("%d passed, %d failed\n", h_passed, h_failed);
	return h_failed ? 1 : 0;
}

#endif /* IG_HARNESS_H */
