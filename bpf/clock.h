/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * clock.h - the datapath's clock: CLOCK_MONOTONIC at tick resolution
 * (bpf_ktime_get_coarse_ns), read from the kernel at most once per jiffy
 * per CPU.  The coarse clock only moves at a tick, so between two jiffies
 * its last reading is still its value; a reading taken while another CPU is
 * between updating jiffies and the clock lags by one more tick.  Every user
 * (cache lifetimes, timeouts, rate limits, flow times) works in
 * milliseconds or more.  A refused packet in a flood then costs a load of
 * jiffies instead of a clock read.
 */
#ifndef IG_CLOCK_H
#define IG_CLOCK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct clock_cache {
	__u64 jiffies;
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clock_cache);
} clock_cache SEC(".maps");

static __always_inline __u64 coarse_now(void)
{
	__u32 zero = 0;
	struct clock_cache *c = bpf_map_lookup_elem(&clock_cache, &zero);
	__u64 j = bpf_jiffies64();

	if (!c)
		return bpf_ktime_get_coarse_ns();
	if (c->jiffies != j || !c->ns) {
		c->ns = bpf_ktime_get_coarse_ns();
		c->jiffies = j;
	}
	return c->ns;
}

#endif /* IG_CLOCK_H */
