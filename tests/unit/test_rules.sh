#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/unit/test_rules.sh - the Prometheus alerting rules that ship with
# isagate (deploy/prometheus/isagate.rules.yml):
#  - `promtool check rules` accepts them;
#  - `promtool test rules` runs their unit tests (isagate.rules.test.yml):
#    each alert fires on the series that should raise it, with its labels
#    and rendered annotations, and stays silent on the others;
#  - every isagate_* metric a rule reads is one `isagate stats --prometheus`
#    writes (its HELP line is in user/lib/metrics.c), except the ones another
#    part of isagate is to provide, which are named here.
# Needs no root; promtool is Debian's `prometheus` package (make deps).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RULES=$ROOT/deploy/prometheus/isagate.rules.yml
TESTS=$ROOT/deploy/prometheus/isagate.rules.test.yml
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

command -v promtool >/dev/null 2>&1 ||
	{ echo "SKIP: promtool not found: apt-get install prometheus (or 'make deps')"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/isagate-rules.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if promtool check rules "$RULES" >"$tmp/check.log" 2>&1; then
	ok "promtool check rules: $(grep -o '[0-9]* rules found' "$tmp/check.log")"
else
	bad "promtool check rules:"; cat "$tmp/check.log"
fi
# promtool resolves rule_files relative to the test file
if (cd "$(dirname "$TESTS")" && promtool test rules "$(basename "$TESTS")") >"$tmp/test.log" 2>&1; then
	ok "promtool test rules: every alert's unit tests pass"
else
	bad "promtool test rules:"; cat "$tmp/test.log"
fi

# Every alert has a unit test.
for a in $(sed -n 's/^ *- alert: *//p' "$RULES"); do
	if grep -q "alertname: $a\$" "$TESTS"; then
		ok "alert $a is unit-tested"
	else
		bad "alert $a has no test in $(basename "$TESTS")"
	fi
done

# The metrics the rules read are written by isagate.
for m in $(grep -o 'isagate_[a-z_]*' "$RULES" | sort -u); do
	[[ $m == isagate_rules* ]] && continue
	if grep -q "HELP $m " "$ROOT/user/lib/metrics.c" || grep -rq "\"$m\"\\|HELP $m " "$ROOT/user"; then
		ok "metric $m is written by isagate stats --prometheus"
	else
		bad "metric $m is read by a rule but written nowhere in user/"
	fi
done

echo "$pass passed, $fail failed"
((fail == 0))
