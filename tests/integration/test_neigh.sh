#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_neigh.sh - members in subnets are always reachable (issue 15, point 13).
#
# Encapsulated replies need the member's IPv4 neighbour resolved on the
# router (drop_enc_no_neigh otherwise).  /32 members get managed entries
# from `members sync`; hosts inside subnet members get one on demand: the
# datapath's neighbour request (neigh_req ring) and `isagate watch`.
#
#  1. H (192.0.2.10) inside the subnet member 192.0.2.8/29, no neighbour
#     entry for it on R (flushed): H's echo to D is answered within one
#     second of its first packet (H resends every 100 ms, as a real
#     application retrying would).
#  2. H as a /32 member, then the file becomes 192.0.2.8/29: a ping in
#     flight across the sync loses no reply, and H's entry stays.
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init ign

SUBNET=192.0.2.8/29    # holds H (192.0.2.10); not R (192.0.2.1) nor N

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup two
remote_start
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
pass "isagate attach"

# H knows R's MAC for good, so it never ARPs R (which would teach R H's MAC
# as a side effect and hide what this test is about).
R_MAC=$(nsx "$NS_R" ip -br link show lan0 | awk "{print \$3}")
for a in "$R_V4" "$R_V4B"; do
	run "H: permanent neighbour $a" nsx "$NS_H" ip neigh replace "$a" lladdr "$R_MAC" dev eth0 nud permanent
done

WLOG=$LIB_TMP/watch.log
nsenter --net="/run/netns/$NS_R" -- "$ISAGATE" watch --pin-dir "$PIN_DIR" -v >"$WLOG" 2>&1 &
WATCH_PID=$!
LIB_PIDS+=("$WATCH_PID")
wait_for 5 grep -q "watching" "$WLOG" || die "isagate watch did not start: $(cat "$WLOG")"
pass "isagate watch running"

r_neigh() { nsx "$NS_R" ip -d neigh show "$H_V4" dev lan0 2>/dev/null; }
flush_h() {
	nsx "$NS_R" ip neigh del "$H_V4" dev lan0 2>/dev/null
	nsx "$NS_R" ip neigh flush dev lan0 2>/dev/null
	[[ -z $(r_neigh) ]]
}

# neigh_req_stats summed over the CPUs: FIELD
req_stat() {
	bpftool -j map dump pinned "$PIN_DIR/neigh_req_stats" 2>/dev/null | "$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
    print(sum(v["value"][sys.argv[1]] for e in d for v in e.get("formatted", e)["values"]))
except Exception as e:
    print(0)  # no map: an isagate without neighbour requests
' "$1"
}

# --- 1. a host inside a subnet member, no neighbour entry ---------------------------
step "1: H inside the subnet member $SUBNET, no neighbour entry for it on R"
MF=$(members_file members.net "$SUBNET")
check_rc "members sync ($SUBNET)" 0 ig members sync "$MF" --force
check "R has no neighbour entry for H (flushed)" flush_h
snap; s0=$STATUS_JSON
rq0=$(req_stat requests)
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --resend 0.1 --timeout 1; then
	pass "H's echo answered $(jget "$REPLY" reply_after_s) s after its first packet ($(jget "$REPLY" sends) sent)"
else
	fail "H's echo got no reply within 1 s of its first packet: $REPLY"
fi
snap
rq1=$(req_stat requests)
check_ge "neighbour requests counted (neigh_req_stats.requests)" $((rq1 - rq0)) 1
check_contains "R now has a neighbour entry of isagate's for H" "$(r_neigh)" "proto 73"
check_contains "the watch made it" "$(cat "$WLOG")" "member $H_V4: next hop $H_V4 unresolved: now a managed neighbour"
check_delta "encapsulated replies after it went through" fwd_encap 1 "$s0"
info "drop_enc_no_neigh moved by $(($(ctr drop_enc_no_neigh) - $(ctr drop_enc_no_neigh "$s0")))"

step "1b: the rate limit: a burst to the unresolved host makes one request"
check "R has no neighbour entry for H (flushed again)" flush_h
# step 1's request for H may be younger than the limit's interval
# (IG_NEIGH_REQ_INTERVAL_MS, 500 ms): outlast it, or the burst is held back
sleep 0.6
rq0=$(req_stat requests) sp0=$(req_stat suppressed)
for _ in 1 2 3 4 5; do
	nsx "$NS_D" ping -c1 -W0.05 -q "$H_V6" >/dev/null 2>&1
done &
wait $!
rq1=$(req_stat requests) sp1=$(req_stat suppressed)
info "requests +$((rq1 - rq0)), suppressed +$((sp1 - sp0))"
check_ge "at least one request" $((rq1 - rq0)) 1
[[ $((rq1 - rq0)) -le 2 ]] && pass "at most two requests for five packets within 0.5 s" ||
	fail "$((rq1 - rq0)) requests for five packets within 0.5 s"

# --- 2. /32 -> subnet across a sync, a ping in flight -------------------------------
step "2: H as a /32 member, then covered by $SUBNET: no reply lost across the sync"
MF=$(members_file members.h "$H_V4")
check_rc "members sync ($H_V4)" 0 ig members sync "$MF" --force
wait_for 3 isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --timeout 0.5 ||
	fail "H's echo as a /32 member not answered: $REPLY"
check_contains "H's entry on R is isagate's (managed)" "$(r_neigh)" "proto 73"
snap; s0=$STATUS_JSON
LOSTF=$LIB_TMP/lost
: >"$LOSTF"
(
	end=$((SECONDS + 4))
	while ((SECONDS < end)); do
		isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --timeout 1 ||
			echo "lost: $REPLY" >>"$LOSTF"
		echo x >>"$LOSTF.n"
	done
) &
PING_PID=$!
sleep 1.5
MF=$(members_file members.net2 "$SUBNET")
check_rc "members sync ($H_V4 -> $SUBNET) with echoes in flight" 0 ig members sync "$MF" --force
# the kernel must not get H's MAC back by itself in between: no ARP from H
wait "$PING_PID"
n=$(wc -l <"$LOSTF.n")
check_eq "no echo of $n lost across the sync" "$(wc -l <"$LOSTF")" 0
[[ -s $LOSTF ]] && info "$(head -3 "$LOSTF")"
snap
check_nodelta "no encapsulation dropped for want of a neighbour" drop_enc_no_neigh "$s0"
check_nodelta "no encapsulation refused as not a member" drop_enc_not_member "$s0"
check_contains "H's managed entry kept after the sync" "$(r_neigh)" "proto 73"

# --- 3. the subnet goes: its hosts' on-demand entries go with it ------------------------
step "3: $SUBNET removed (N's address only): H's entry deleted, N's kept"
MF=$(members_file members.n "$N_V4")
check_rc "members sync ($SUBNET -> $N_V4)" 0 ig members sync "$MF" --force
[[ -z $(r_neigh) ]] && pass "H's managed entry deleted with its subnet" ||
	fail "H's entry left after its subnet was removed: $(r_neigh)"
check_contains "N's managed entry (a /32 member) kept" \
	"$(nsx "$NS_R" ip -d neigh show "$N_V4" dev lan0)" "proto 73"

kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check_eq "isagate watch stops cleanly on SIGTERM" "$?" 0
lib_summary
