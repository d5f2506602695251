// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_policy.c - libFuzzer harness for the manage-out policy file
 * (`isagate policy sync FILE`, user/policy.c).
 *
 * Each input is a policy file.  Invariants: the parser accepts or says
 * where and why ("fuzz:LINE: ..." or "fuzz: ..."); an accepted policy is
 * within the limits the datapath relies on (rule count, actions, ranges,
 * prefixes with clear host bits, names, "after" rules with an anchor,
 * timeouts); and its canonical text (ig_rule_fmt, one rule per line) parses
 * back to exactly the same policy.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_user.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int bits_clear(const uint8_t *a, unsigned int len, unsigned int plen)
{
	unsigned int i;

	for (i = plen; i < len * 8; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

static void check_rule(const struct ig_policy *p, unsigned int i)
{
	const struct ig_rule *r = &p->rules[i];
	size_t nl = strnlen(r->name, sizeof(r->name));
	unsigned int j;

	FZ_CHECK(r->action >= IG_PA_ALLOW && r->action <= IG_PA_REJECT, "rule %u action %u", i,
		 r->action);
	FZ_CHECK(r->dir == IG_PD_OUT || r->dir == IG_PD_IN, "rule %u dir %u", i, r->dir);
	FZ_CHECK(r->port_lo <= r->port_hi, "rule %u ports %u-%u", i, r->port_lo, r->port_hi);
	if (r->proto == 58 && !(r->port_lo == 0 && r->port_hi == 0xffff))
		FZ_CHECK(r->port_hi <= 255, "rule %u ICMPv6 types up to %u", i, r->port_hi);
	if (!r->proto)
		FZ_CHECK(r->port_lo == 0 && r->port_hi == 0xffff, "rule %u: any protocol with ports",
			 i);
	FZ_CHECK(r->member_plen <= 32 && bits_clear(r->member_net, 4, r->member_plen),
		 "rule %u member prefix /%u with host bits", i, r->member_plen);
	FZ_CHECK(r->remote_plen <= 128 && bits_clear(r->remote_net, 16, r->remote_plen),
		 "rule %u remote prefix /%u with host bits", i, r->remote_plen);
	FZ_CHECK(nl < sizeof(r->name), "rule %u name not terminated", i);
	for (j = 0; j < nl; j++)
		FZ_CHECK(isalnum((unsigned char)r->name[j]) || strchr("._-", r->name[j]),
			 "rule %u name byte 0x%02x", i, (unsigned char)r->name[j]);
	if (r->flags & IG_RULE_F_AFTER) {
		int anchored = 0;

		FZ_CHECK(r->action == IG_PA_ALLOW && r->after_port && r->after_proto,
			 "rule %u: bad 'after'", i);
		for (j = 0; j < p->n; j++) {
			const struct ig_rule *a = &p->rules[j];

			if ((a->flags & IG_RULE_F_ANCHOR) && a->dir == r->dir &&
			    a->proto == r->after_proto && a->port_lo <= r->after_port &&
			    r->after_port <= a->port_hi)
				anchored = 1;
		}
		FZ_CHECK(anchored, "rule %u: 'after' without an anchor rule", i);
	}
	FZ_CHECK(!(r->flags & ~(IG_RULE_F_AFTER | IG_RULE_F_ANCHOR)), "rule %u flags %#x", i,
		 r->flags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ig_policy p, q;
	char err[700], line[256], *canon;
	size_t cap, off = 0;
	unsigned int i;
	int rc;

	err[0] = '\0';
	rc = ig_policy_parse_buf((const char *)data, size, "fuzz", &p, err, sizeof(err));
	FZ_CHECK(rc == 0 || rc == -1, "parse returned %d", rc);
	if (rc) {
		FZ_CHECK(!strncmp(err, "fuzz:", 5), "rejected without saying where: '%s'", err);
		return 0;
	}
	FZ_CHECK(p.n <= IG_POLICY_MAX_RULES, "%u rules", p.n);
	FZ_CHECK(p.default_action == IG_PA_DROP || p.default_action == IG_PA_REJECT,
		 "default %u", p.default_action);
	for (i = 0; i < IG_CT_T_MAX; i++)
		FZ_CHECK(p.timeout_s[i] >= 1 && p.timeout_s[i] <= 2592000, "timeout %u = %u", i,
			 p.timeout_s[i]);
	for (i = 0; i < p.n; i++)
		check_rule(&p, i);

	/* the canonical text parses back to the same policy */
	cap = (size_t)(p.n + IG_CT_T_MAX + 2) * sizeof(line);
	canon = malloc(cap);
	FZ_CHECK(canon, "out of memory");
	for (i = 0; i < p.n; i++)
		off += (size_t)snprintf(canon + off, cap - off, "%s\n",
					ig_rule_fmt(&p.rules[i], line, sizeof(line)));
	off += (size_t)snprintf(canon + off, cap - off, "default %s\n",
				ig_policy_action_name(p.default_action));
	for (i = 0; i < IG_CT_T_MAX; i++)
		off += (size_t)snprintf(canon + off, cap - off, "timeout %s %u\n",
					ig_ct_timeout_name(i), p.timeout_s[i]);
	rc = ig_policy_parse_buf(canon, off, "canonical", &q, err, sizeof(err));
	FZ_CHECK(rc == 0, "canonical text refused: %s\n%s", err, canon);
	FZ_CHECK(q.n == p.n && q.default_action == p.default_action &&
		 !memcmp(q.timeout_s, p.timeout_s, sizeof(p.timeout_s)),
		 "canonical text differs: %u/%u rules\n%s", q.n, p.n, canon);
	for (i = 0; i < p.n; i++)
		FZ_CHECK(ig_rule_equal(&p.rules[i], &q.rules[i]), "rule %u differs after the round "
			 "trip: '%s'", i, ig_rule_fmt(&p.rules[i], line, sizeof(line)));
	free(canon);
	return 0;
}
