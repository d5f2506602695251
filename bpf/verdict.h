/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* verdict.h - what the datapath decided for one packet. */
#ifndef IG_VERDICT_H
#define IG_VERDICT_H

/* An XDP action and the enum ig_reason the packet is counted under. */
struct verdict {
	int action;
	int reason;
};

static __always_inline struct verdict mk(int action, int reason)
{
	struct verdict v = { .action = action, .reason = reason };
	return v;
}

#endif /* IG_VERDICT_H */
