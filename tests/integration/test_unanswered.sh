#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_unanswered.sh - one-way conversations shown everywhere the operator
# looks (issue 18 point 2), end to end in network namespaces (lib.sh's
# two-armed topology, D's real Linux stack as the far end).
#
# Member H pings D (answered), then opens TCP to D port 3389 for longer than
# the unanswered threshold (3 s) while D's stack drops everything it would
# send to H (a blackhole route, as a laptop's firewall dropping the inbound
# SYN looks from the router).  Then: `flows -j` marks the RDP conversation
# unanswered and not the ping, `flows --unanswered` lists it alone, a
# `flows --follow -j` running meanwhile emitted a record when it became
# unanswered, `stats -j` counts it and the Prometheus textfile carries
# isagate_flows_unanswered{member="192.0.2.10"} 1.
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init igu

RDP=3389

# flows_json JSON PY-EXPR: evaluate EXPR over the flows list f
flows_eval() {
	"$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
f = d["flows"]
print(eval(sys.argv[2]))
' "$1" "$2" 2>&1
}

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup two
# shellcheck disable=SC2119
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
MF=$(members_file members.h "$H_V4")
check_rc "members sync (H)" 0 ig members sync "$MF"

step "an answered conversation: H pings D"
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6"; then
	pass "H's echo request answered by D"
else
	fail "no echo reply: $REPLY"
fi

step "a one-way conversation: H's SYNs to D:$RDP, D's answers dropped in D"
FOLLOW_OUT=$LIB_TMP/follow.jsonl
bg_start "$NS_R" "$FOLLOW_OUT" "$ISAGATE" flows --follow -j --interval 0.5 --pin-dir "$PIN_DIR"
run "D drops what it sends to H" nsx "$NS_D" ip -6 route add blackhole "$H_V6/128"
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn \
	--dport "$RDP" --timeout 4.5 --resend 0.5; then
	fail "a reply came back through D's blackhole: $REPLY"
else
	pass "no answer to H's SYNs for 4.5 s"
fi
sleep 1.2   # the follower's next interval

step "flows: the one-way conversation marked, the answered one not"
J=$(ig flows -j 2>&1) || fail "flows -j failed: ${J:0:300}"
check_eq "RDP conversation unanswered" \
	"$(flows_eval "$J" "[x['unanswered'] for x in f if x['proto_name']=='tcp' and x['remote_port']==$RDP]")" \
	"[True]"
check_eq "echo conversation answered" \
	"$(flows_eval "$J" "[x['unanswered'] for x in f if x['proto_name']=='icmpv6']")" "[False]"
check_eq "flows -j: unanswered count" "$(jget "$J" unanswered)" 1
J=$(ig flows -j --unanswered 2>&1) || fail "flows -j --unanswered failed: ${J:0:300}"
check_eq "flows --unanswered lists the RDP conversation alone" \
	"$(flows_eval "$J" "[(x['proto_name'], x['remote_port'], x['packets_from_member'] > 1, x['packets_to_member']) for x in f]")" \
	"[('tcp', $RDP, True, 0)]"
T=$(ig flows 2>&1)
check_contains "flows (text) marks it" "$T" "tcp .* $RDP .*UNANSWERED"

step "flows --follow: a record when it became unanswered"
kill "${LIB_PIDS[-1]}" 2>/dev/null
wait "${LIB_PIDS[-1]}" 2>/dev/null
n=$("$PY" -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("became_unanswered") and r["remote_port"] == int(sys.argv[2]) and r["unanswered"]:
        n += 1
print(n)
' "$FOLLOW_OUT" "$RDP" 2>&1)
check_eq "follow records with became_unanswered for the RDP conversation" "$n" 1

step "stats and Prometheus"
S=$(ig stats -j 2>&1) || fail "stats -j failed: ${S:0:300}"
check_eq "stats -j flows_unanswered" "$(jget "$S" flows_unanswered)" 1
PROM=$LIB_TMP/isagate.prom
check_rc "stats --prometheus" 0 ig stats --prometheus "$PROM"
check_contains "isagate_flows_unanswered for H" "$(cat "$PROM")" \
	"^isagate_flows_unanswered\\{member=\"$H_V4\"\\} 1\$"

lib_summary
