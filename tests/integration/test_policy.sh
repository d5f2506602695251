#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_policy.sh - the manage-out policy end to end in network namespaces.
#
# Member H (scripted ISATAP host), non-member N, router R running isagate,
# remote host D running the real Linux IPv6 stack.  A policy allows H to open
# TCP to D's service port and to ping D, and answers everything else with
# ICMPv6 administratively prohibited: D's own stack must see that (ping prints
# it, connect() fails with EACCES); replies pass by connection state; a
# malformed policy changes nothing; an 'in' rule lets D ping H; clearing the
# policy makes members unrestricted again.  sync, clear and attach wait for
# the pin directory's lock (held here by flock(1)) and give up with exit 8;
# parallel syncs of different policies leave exactly one of them running
# with the generation advanced once per sync.
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init igp

H_LL=fe80::5efe:c000:20a
CLOSED_PORT=$((D_PORT + 1))    # nothing listens there: D's kernel would answer RST

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup two
remote_start
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
MF=$(members_file members.h "$H_V4   # helpdesk PC H")
check_rc "members sync (H)" 0 ig members sync "$MF"

# D's view: a ping to H and a TCP connect to H:5985, from D's real stack.
d_ping_h() { nsx "$NS_D" ping -6 -c1 -W2 -I "$D_V6" "$H_V6" 2>&1; }
d_connect_h() { tcp_connect "$NS_D" "$H_V6" 5985 4; }

step "no policy loaded: members are unrestricted"
out=$(ig policy list 2>&1)
check_contains "policy list says none is loaded" "$out" "no policy loaded"
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport "$CLOSED_PORT"; then
	fail "closed port answered with a SYN-ACK?"
else
	check_contains "SYN to D's closed port reaches D (its RST comes back)" "$REPLY" '"tcp_flags": "RA"'
fi

step "a malformed policy changes nothing"
BAD=$LIB_TMP/bad-policy.txt
printf 'allow out tcp %s\nallow out tcp 99999\n' "$D_PORT" >"$BAD"
check_rc "policy sync of a bad file: exit 2" 2 ig policy sync "$BAD"
out=$(ig policy list -j 2>&1)
check_eq "still no policy loaded" "$(jget "$out" active)" false

step "policy: H may open TCP $D_PORT and ping; everything else is rejected"
POL=$LIB_TMP/policy.txt
cat >"$POL" <<EOF
# test policy ($LIB_ID)
allow out tcp $D_PORT remote 2001:db8:dac::/48 name svc
allow out icmpv6 echo-request name ping
default reject
EOF
out=$(ig policy sync --dry-run "$POL" 2>&1)
check_contains "dry run says what would change" "$out" "would change: 2 rules"
out=$(ig policy list -j 2>&1)
check_eq "dry run loaded nothing" "$(jget "$out" active)" false
out=$(ig policy sync -j "$POL" 2>&1)
check_eq "policy sync -j: changed" "$(jget "$out" changed)" true
check_eq "policy sync -j: 2 rules" "$(jget "$out" rules)" 2
out=$(ig policy sync "$POL" 2>&1)
check_contains "the same file again: unchanged" "$out" "policy unchanged"
snap
s0=$STATUS_JSON
check_eq "status -j: a policy is active" "$(jget "$s0" policy.active)" true
check_eq "status -j: with 2 rules" "$(jget "$s0" policy.rules)" 2
check_eq "status -j: default reject" "$(jget "$s0" policy.default)" reject

if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport "$D_PORT"; then
	pass "allowed: H's SYN to D:$D_PORT answered, the SYN-ACK passed by connection state"
else
	fail "allowed SYN to D:$D_PORT got no SYN-ACK: $REPLY"
fi
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind echo; then
	pass "allowed: H's ping to D answered"
else
	fail "allowed echo got no reply: $REPLY"
fi
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport "$CLOSED_PORT" \
	--expect admin-prohibited; then
	pass "refused: H's SYN to D:$CLOSED_PORT answered with administratively prohibited"
	check_eq "the error comes from the router's ISATAP address" "$(jget "$REPLY" reply.inner_src)" \
		"$(norm6 2001:db8:1:8000::5efe:c000:201)"
	check_eq "its ICMPv6 checksum is valid" "$(jget "$REPLY" reply.l4_csum_ok)" true
else
	fail "refused SYN got no administratively prohibited: $REPLY"
fi
sleep 0.2   # the per-source ICMPv6 rate limit (100 ms)
out=$(d_ping_h)
check_contains "D's ping to H: D's stack reports administratively prohibited" "$out" \
	"[Aa]dministratively prohibited"
sleep 0.2
check_eq "D's connect() to H:5985 fails with EACCES" "$(d_connect_h)" EACCES
snap
check_delta "both directions: refusals counted" policy_reject 3 "$s0"
check_delta "allowed traffic forwarded" fwd_decap 2 "$s0"

out=$(ig policy list -j 2>&1)
check_eq "policy list: rule 0 is svc" "$(jget "$out" rules.0.name)" svc
check_ge "policy list: svc admitted a connection" "$(jget "$out" rules.0.conns)" 1
check_ge "policy list: ping admitted a connection" "$(jget "$out" rules.1.conns)" 1
check_ge "policy list: the default refused 3 packets" "$(jget "$out" default.packets)" 3
check_eq "policy list: default reject" "$(jget "$out" default.action)" reject
PROM=$LIB_TMP/isagate.prom
check_rc "stats --prometheus" 0 ig stats --prometheus "$PROM"
prom=$(cat "$PROM" 2>/dev/null)
check_contains "Prometheus: per-rule connections" "$prom" \
	'isagate_policy_connections_total\{rule="0",name="svc",action="allow"\} [1-9]'
check_contains "Prometheus: the default's refusals" "$prom" \
	'isagate_policy_packets_total\{rule="default",name="",action="reject"\} [3-9]'
check_contains "Prometheus: the connection table size" "$prom" 'isagate_policy_connections [0-9]+'
out=$(ig policy conns -j 2>&1)
check_contains "policy conns lists H's connection to D:$D_PORT" "$out" "\"remote_port\": ?$D_PORT"
check_contains "policy conns: opened by the member" "$out" '"opened_by": ?"member"'
dump=$(bpftool map dump pinned "$PIN_DIR/conns" 2>&1 | tr -d ' \t\n')
check_contains "bpftool map dump conns prints named fields" "$dump" '"state":[0-9]+,"dir":'
dump=$(bpftool map dump pinned "$PIN_DIR/policy_rules" 2>&1 | tr -d ' \t\n')
check_contains "bpftool map dump policy_rules shows the rule name" "$dump" '"name":"svc"'

step "the non-member stays out whatever the policy"
snap
s1=$STATUS_JSON
if isatap "$NS_N" --router "$R_V4" --inner-src 2001:db8:1:8000::5efe:c000:242 --dst "$D_V6" \
	--kind syn --dport "$D_PORT" --timeout 1; then
	fail "non-member N got through"
else
	snap
	check_delta "N refused as a non-member, before the policy" drop_not_member 1 "$s1"
fi

step "an 'in' rule lets D ping H"
printf 'allow in icmpv6 echo-request remote %s/128 name ping-in\n' "$D_V6" >>"$POL"
out=$(ig policy sync "$POL" 2>&1)
check_contains "policy sync: one rule added" "$out" "loaded: 3 rules, default reject, 1 added, 0 removed"
snap
s2=$STATUS_JSON
d_ping_h >/dev/null   # H (scripted) does not answer: count at the router
snap
check_delta "D's echo request to H encapsulated" fwd_encap 1 "$s2"
check_nodelta "and not refused" policy_reject "$s2"
out=$(ig policy list -j 2>&1)
check_ge "rule ping-in admitted a connection" "$(jget "$out" rules.2.conns)" 1
check_ge "the kept rules kept their counters" "$(jget "$out" rules.0.conns)" 1

step "attach --conns: the connection table's size"
check_rc "attach again with --conns 4096" 0 ig_attach --conns 4096
out=$(bpftool -j map show pinned "$PIN_DIR/conns" 2>&1)
check_eq "the pinned conns table has 4096 entries" "$(jget "$out" max_entries)" 4096
out=$(ig policy list -j 2>&1)
check_eq "the policy survived the re-attach" "$(jget "$out" active)" true
check_rc "attach --conns 10 is refused (exit 2)" 2 ig_attach --conns 10

step "one writer at a time: sync and clear wait for the pin directory's lock"
pol_gen() { jget "$(ig policy list -j 2>&1)" generation; }
# policy K: 64 rules named pK-I (the most a bank holds: the widest window)
mkpol() {
	local k=$1 i
	for ((i = 0; i < 64; i++)); do
		printf 'allow out tcp %d name p%d-%d\n' $((10000 + 100 * k + i)) "$k" "$i"
	done
}
LOCKPOL=$LIB_TMP/lock-policy.txt
mkpol 99 >"$LOCKPOL"
g0=$(pol_gen)
flock -x "$PIN_DIR" sleep 8 &   # the checks below take ~4 s
holder=$!
for ((i = 0; i < 50; i++)); do
	flock -n "$PIN_DIR" true 2>/dev/null || break
	sleep 0.1
done
export ISAGATE_LOCK_WAIT=1
check_rc "policy sync while another command holds the lock: exit 8" 8 ig policy sync "$LOCKPOL"
out=$(ig policy sync "$LOCKPOL" 2>&1)
check_contains "it names the directory and the holder" "$out" \
	"another isagate command holds the lock on $PIN_DIR .pid $holder."
check_rc "policy clear while the lock is held: exit 8" 8 ig policy clear
check_rc "attach while the lock is held: exit 8" 8 ig_attach --conns 4096
check_rc "a dry run needs no lock" 0 ig policy sync --dry-run "$LOCKPOL"
check_eq "nothing changed while the lock was held" "$(pol_gen)" "$g0"
export ISAGATE_LOCK_WAIT=30
t0=$SECONDS
check_rc "a sync waits for the holder, then applies" 0 ig policy sync "$LOCKPOL"
wait "$holder"
check_eq "applied once the lock was released" "$(pol_gen)" $((g0 + 1))
check_ge "and it had waited for it" $((SECONDS - t0)) 2
unset ISAGATE_LOCK_WAIT

step "concurrent policy syncs: the result is exactly one of them"
NPAR=8
for ((k = 0; k < NPAR; k++)); do mkpol "$k" >"$LIB_TMP/par-$k.txt"; done
for round in 1 2 3 4 5; do
	ig policy sync "$LOCKPOL" >/dev/null 2>&1   # running: none of the inputs
	g0=$(pol_gen)
	pids=()
	for ((k = 0; k < NPAR; k++)); do
		ig policy sync "$LIB_TMP/par-$k.txt" >"$LIB_TMP/par-$k.out" 2>&1 &
		pids+=($!)
	done
	nok=0
	for p in "${pids[@]}"; do wait "$p" && nok=$((nok + 1)); done
	check_eq "round $round: all $NPAR syncs succeeded" "$nok" "$NPAR"
	check_eq "round $round: the generation advanced by exactly $NPAR" "$(pol_gen)" $((g0 + NPAR))
	verdict=$("$PY" -c '
import json, re, sys
rules = json.loads(sys.argv[1])["rules"]
names = [r["name"] for r in rules]
ks = {re.sub(r"-\d+$", "", n) for n in names}
want = ["%s-%d" % (next(iter(ks)), i) for i in range(64)] if len(ks) == 1 else None
print("one" if names == want else "mixed: %d rules from %s" % (len(names), sorted(ks)))
' "$(ig policy list -j 2>&1)" 2>&1)
	check_eq "round $round: the running bank is exactly one input, not interleaved" "$verdict" one
done

step "clear: members unrestricted again"
check_rc "policy clear" 0 ig policy clear
snap
s3=$STATUS_JSON
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport "$CLOSED_PORT"; then
	fail "closed port answered with a SYN-ACK?"
else
	check_contains "SYN to the closed port reaches D again (RST back)" "$REPLY" '"tcp_flags": "RA"'
fi
snap
check_nodelta "nothing refused by the policy" policy_reject "$s3"
out=$(ig policy list -j 2>&1)
check_eq "policy list: none loaded" "$(jget "$out" active)" false
check_eq "status -j: no policy active" "$(jget "$STATUS_JSON" policy.active)" false
out=$(ig status 2>&1)
check_contains "status says members are unrestricted" "$out" "policy: none loaded"

lib_summary
