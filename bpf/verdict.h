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

/* A verdict as one int, for global (separately verified) functions. */
static __always_inline int verdict_pack(struct verdict v)
{
	return v.reason << 8 | (v.action & 0xff);
}

static __always_inline struct verdict verdict_unpack(int x)
{
	return mk(x & 0xff, (x >> 8) & 0xff);
}

#endif /* IG_VERDICT_H */
