// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ra.c - build the Router Advertisement template for the ra_tmpl map. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "ra.h"

#define ND_RA            134
#define ND_OPT_PREFIX    3
#define ND_OPT_MTU       5
#define ND_OPT_ROUTE     24        /* RFC 4191 §2.3 */
#define PIO_LEN          32
#define MTU_OPT_LEN      8
#define RIO_MAX_LEN      24
#define RA_HDR_LEN       16
#define PIO_F_ONLINK     0x80
#define PIO_F_AUTONOMOUS 0x40
#define RIO_PRF_SHIFT    3         /* |Resvd(3)|Prf(2)|Resvd(3)| */
#define RIO_PRF_MASK     0x18

_Static_assert(RA_HDR_LEN + IG_MAX_PREFIXES * PIO_LEN + MTU_OPT_LEN +
	       IG_RA_MAX_ROUTES * RIO_MAX_LEN <= IG_RA_MAX,
	       "the largest RA (every prefix and route) must fit the ra_tmpl map");

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

static __u32 get32(const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
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

/* RFC 4191 §2.3: Length 1 (no prefix bytes) for /0, 2 (8 bytes) up to /64, else 3. */
static __u32 rio_len(__u8 plen)
{
	return plen == 0 ? 8 : plen <= 64 ? 16 : 24;
}

/* Host bits (past plen) all clear. */
static int prefix_clean(const struct in6_addr *a, __u8 plen)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int bits = plen > i * 8 ? plen - i * 8 : 0;
		__u8 mask = bits >= 8 ? 0xff : (__u8)(0xff00 >> bits);

		if (a->s6_addr[i] & (__u8)~mask)
			return 0;
	}
	return 1;
}

int ig_ra_build(const struct ig_config *cfg, const struct ig_prefix_key *keys,
		const struct ig_prefix *vals, unsigned int n,
		const struct ig_ra_route *routes, unsigned int n_routes,
		struct ig_ra_template *out)
{
	__u32 len = RA_HDR_LEN + n * PIO_LEN + (cfg->ra_mtu ? MTU_OPT_LEN : 0);
	__u8 *b = out->body, *o;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	if (n_routes > IG_RA_MAX_ROUTES)
		return -EINVAL;
	for (i = 0; i < n_routes; i++) {
		const struct ig_ra_route *r = &routes[i];

		if (r->plen > 128 || !prefix_clean(&r->prefix, r->plen) ||
		    (r->pref != IG_ROUTE_PREF_MEDIUM && r->pref != IG_ROUTE_PREF_HIGH &&
		     r->pref != IG_ROUTE_PREF_LOW))
			return -EINVAL;
		len += rio_len(r->plen);
	}
	if (len > IG_RA_MAX)
		return -E2BIG;

	b[0] = ND_RA;
	b[4] = cfg->ra_hop_limit;
	b[5] = 0;                       /* M=0 O=0: addresses by SLAAC; Prf 00 */
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
		o += MTU_OPT_LEN;
	}
	for (i = 0; i < n_routes; i++) {
		const struct ig_ra_route *r = &routes[i];
		__u32 olen = rio_len(r->plen);

		o[0] = ND_OPT_ROUTE;
		o[1] = (__u8)(olen / 8);
		o[2] = r->plen;
		o[3] = (__u8)(r->pref << RIO_PRF_SHIFT);
		put32(o + 4, r->lifetime);
		memcpy(o + 8, &r->prefix, olen - 8);    /* the rest is zero (memset) */
		o += olen;
	}
	out->len = len;
	out->csum = partial_sum(b, len);
	return 0;
}

int ig_ra_routes(const struct ig_ra_template *t, struct ig_ra_route *out, unsigned int max)
{
	const __u8 *b = t->body;
	__u32 off = RA_HDR_LEN, olen;
	int found = 0;

	if (t->len < RA_HDR_LEN || t->len > IG_RA_MAX || b[0] != ND_RA)
		return -EINVAL;
	while (off < t->len) {
		const __u8 *o = b + off;

		if (t->len - off < 8 || o[1] == 0)
			return -EINVAL;
		olen = (__u32)o[1] * 8;
		if (olen > t->len - off)
			return -EINVAL;
		if (o[0] == ND_OPT_ROUTE) {
			if (o[2] > 128 || olen > RIO_MAX_LEN || olen < rio_len(o[2]))
				return -EINVAL;
			if ((unsigned int)found < max) {
				struct ig_ra_route *r = &out[found];

				memset(r, 0, sizeof(*r));
				r->plen = o[2];
				r->pref = (o[3] & RIO_PRF_MASK) >> RIO_PRF_SHIFT;
				r->lifetime = get32(o + 4);
				memcpy(&r->prefix, o + 8, olen - 8);
			}
			found++;
		}
		off += olen;
	}
	return found;
}

const char *ig_route_pref_name(unsigned int pref)
{
	switch (pref) {
	case IG_ROUTE_PREF_HIGH:
		return "high";
	case IG_ROUTE_PREF_MEDIUM:
		return "medium";
	case IG_ROUTE_PREF_LOW:
		return "low";
	default:
		return NULL;
	}
}

int ig_route_pref_parse(const char *name)
{
	if (!strcasecmp(name, "high"))
		return IG_ROUTE_PREF_HIGH;
	if (!strcasecmp(name, "medium"))
		return IG_ROUTE_PREF_MEDIUM;
	if (!strcasecmp(name, "low"))
		return IG_ROUTE_PREF_LOW;
	return -1;
}
