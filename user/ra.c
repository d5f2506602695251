// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ra.c - build the Router Advertisement template for the ra_tmpl map. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ra.h"

#define ND_RA            134
#define ND_OPT_PREFIX    3
#define ND_OPT_MTU       5
#define PIO_LEN          32
#define MTU_OPT_LEN      8
#define RA_HDR_LEN       16
#define PIO_F_ONLINK     0x80
#define PIO_F_AUTONOMOUS 0x40

static void put16(__u8 *p, __u16 v)
{
	v = htons(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(__u8 *p, __u32 v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

/* Folded one's-complement sum of native-order 16-bit words (len even). */
static __u32 partial_sum(const __u8 *p, __u32 len)
{
	__u64 sum = 0;
	__u16 w;
	__u32 i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, sizeof(w));
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u32)sum;
}

int ig_ra_build(const struct ig_config *cfg, const struct ig_prefix_key *keys,
		const struct ig_prefix *vals, unsigned int n, struct ig_ra_template *out)
{
	__u32 len = RA_HDR_LEN + n * PIO_LEN + (cfg->ra_mtu ? MTU_OPT_LEN : 0);
	__u8 *b = out->body, *o;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	if (len > IG_RA_MAX)
		return -E2BIG;

	b[0] = ND_RA;
	b[4] = cfg->ra_hop_limit;
	b[5] = 0;                       /* M=0 O=0: addresses by SLAAC */
	put16(b + 6, cfg->ra_router_lifetime);
	put32(b + 8, cfg->ra_reachable_ms);
	put32(b + 12, cfg->ra_retrans_ms);

	o = b + RA_HDR_LEN;
	for (i = 0; i < n; i++, o += PIO_LEN) {
		o[0] = ND_OPT_PREFIX;
		o[1] = PIO_LEN / 8;
		o[2] = 64;
		o[3] = PIO_F_AUTONOMOUS | ((vals[i].flags & IG_PREFIX_F_ONLINK) ? PIO_F_ONLINK : 0);
		put32(o + 4, vals[i].valid_lifetime);
		put32(o + 8, vals[i].preferred_lifetime);
		memcpy(o + 16, keys[i].prefix, sizeof(keys[i].prefix));
	}
	if (cfg->ra_mtu) {
		o[0] = ND_OPT_MTU;
		o[1] = MTU_OPT_LEN / 8;
		put32(o + 4, cfg->ra_mtu);
	}
	out->len = len;
	out->csum = partial_sum(b, len);
	return 0;
}
