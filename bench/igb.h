/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * igb.h - layouts shared by the benchmark's BPF programs (bench/NAME.bpf.c)
 * and its driver (bench/gen.c).  Nothing here is part of isagate itself.
 */
#ifndef IGB_H
#define IGB_H

#include <linux/types.h>

/* What the generator sends (struct igb_gen_cfg.mix). */
enum igb_mix {
	IGB_MIX_DECAP = 1,  /* (a) ISATAP member -> remote: IPv4 proto 41, inner IPv6/UDP */
	IGB_MIX_ENCAP,      /* (b) remote -> <prefix>::5efe:<member>: IPv6/UDP */
	IGB_MIX_NONMEMBER,  /* (c) like (a) from addresses that are not members */
	IGB_MIX_NATIVE6,    /* (d) (a) already decapsulated: IPv6/UDP for the kernel */
};

#define IGB_PAYLOAD   18                            /* UDP payload bytes */
#define IGB_LEN6      (14 + 40 + 8 + IGB_PAYLOAD)   /* Ethernet + IPv6 + UDP: 80 */
#define IGB_LEN4      (IGB_LEN6 + 20)               /* + outer IPv4: 100 */
#define IGB_TMPL_MAX  128
#define IGB_MAX_SRC   1024                          /* IPv4 addresses cycled through */
#define IGB_SEQ_LEN (1u << 20)			    /* flow sequence of a --zipf mix */

/*
 * The generator's settings (array of one).  tmpl holds a complete frame
 * (len bytes); every field that varies is rewritten from it on every run,
 * because live-frame pages are recycled with whatever the router left in
 * them (BRIEF §8).  For run number i of this CPU:
 *   flow = i % n_flows, addr = src[flow % n_src]
 * (a)/(c): outer IPv4 source = addr, inner source low 32 bits = addr,
 *          inner destination low 32 bits = flow + 1, outer checksum redone;
 * (b):     source low 32 bits = flow + 1, destination low 32 bits = addr;
 * (d):     as (a) without the outer header.
 * UDP source port = 49152 + flow % 16384 in every mix.
 * With n_routes set, (a), (c) and (d) spread the destinations over that many
 * routes: destination low 32 bits = (flow % n_routes) << 16 | (flow /
 * n_routes + 1), so route r is <remote>::r:0/112 (bench/run.sh adds them).
 * With zipf set, flow = gen_seq[i % IGB_SEQ_LEN] % n_flows instead: a
 * sequence of flows the driver drew from a Zipf distribution (rank k, from
 * 0, drawn with probability proportional to 1 / (k + 1)^s).
 */
struct igb_gen_cfg {
	__u32 mix;             /* enum igb_mix */
	__u32 len;             /* IGB_LEN4 or IGB_LEN6 */
	__u32 n_src;           /* 1..IGB_MAX_SRC */
	__u32 n_flows;         /* >= 1 */
	__u32 zipf;	       /* 1: flows from gen_seq, 0: round robin */
	__u32 n_routes;	       /* destinations spread over this many /112s, 0: not */
	__u8  tmpl[IGB_TMPL_MAX];
	__u32 src[IGB_MAX_SRC]; /* IPv4, network order */
};

/* ref_flowline.bpf.c's line index mask: its flow_lines entries - 1 (igbench
 * attach --entries flow_lines=N sets both), array of one. */
struct igb_line_cfg {
	__u32 mask;
};

/* Reference forwarder's MAC rewrite (ref_fwd.bpf.c), array of one. */
struct igb_fwd_cfg {
	__u8 dmac[6];
	__u8 smac[6];
};

#endif /* IGB_H */
