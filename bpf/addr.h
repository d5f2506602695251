/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * addr.h - generic IPv6 address classes (RFC 4291) and the IPv4-mapped
 * form; the ISATAP address rules are isatap.h's.
 */
#ifndef IG_ADDR_H
#define IG_ADDR_H

#include <linux/types.h>
#include <linux/in6.h>
#include <bpf/bpf_endian.h>

/* fe80::/64, the link-local prefix ISATAP interface identifiers use */
static __always_inline int ipv6_is_linklocal64(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[0] == bpf_htonl(0xfe800000) && a->in6_u.u6_addr32[1] == 0;
}

/* fe80::/10 */
static __always_inline int ipv6_is_linklocal(const struct in6_addr *a)
{
	return (a->in6_u.u6_addr32[0] & bpf_htonl(0xffc00000)) == bpf_htonl(0xfe800000);
}

/* ff00::/8 */
static __always_inline int ipv6_is_multicast(const struct in6_addr *a)
{
	return a->in6_u.u6_addr8[0] == 0xff;
}

/* :: */
static __always_inline int ipv6_is_unspecified(const struct in6_addr *a)
{
	const __u32 *w = a->in6_u.u6_addr32;

	return !(w[0] | w[1] | w[2] | w[3]);
}

/* ::1 */
static __always_inline int ipv6_is_loopback(const struct in6_addr *a)
{
	const __u32 *w = a->in6_u.u6_addr32;

	return !(w[0] | w[1] | w[2]) && w[3] == bpf_htonl(1);
}

/* ff02::2, all routers on the link */
static __always_inline int ipv6_is_all_routers(const struct in6_addr *a)
{
	const __u32 *w = a->in6_u.u6_addr32;

	return w[0] == bpf_htonl(0xff020000) && w[1] == 0 && w[2] == 0 && w[3] == bpf_htonl(2);
}

/* ::ffff:a.b.c.d (the rate-limit and event-source key of an IPv4 host). */
static __always_inline void v4_mapped(__u32 v4, struct in6_addr *a)
{
	a->in6_u.u6_addr32[0] = 0;
	a->in6_u.u6_addr32[1] = 0;
	a->in6_u.u6_addr32[2] = bpf_htonl(0x0000ffff);
	a->in6_u.u6_addr32[3] = v4;
}

#endif /* IG_ADDR_H */
