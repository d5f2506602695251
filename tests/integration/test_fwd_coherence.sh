#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/integration/test_fwd_coherence.sh - the forwarding-decision cache
# follows route and neighbour changes within a second (issue 4).
#
# Member traffic (igbench live, 16 members, one flow each) is decapsulated by
# isagate and forwarded to the remote prefix 2001:db8:dac::/48 through next
# hops on r1 that all lead to the one sink (hitless_sink.bpf.c), each next hop
# with its own MAC; the sink records per destination MAC the first and last
# arrival (CLOCK_MONOTONIC ns), so the moment a change takes effect is exact:
#
#   route      ip -6 route replace 2001:db8:dac::/48 via <new next hop>
#   neighbour  ip -6 neigh replace <current next hop> lladdr <new MAC>
#
# For each change: "new" = first packet with the new MAC minus the moment the
# change was started; "old" = last packet with the previous MAC minus the same
# moment (when every flow's cached decision was gone).  Both must be < 1 s;
# with `isagate watch` running (netlink invalidation) they must be < 200 ms,
# without it the cache's age limit (fwd_cache_ms = 500 ms) is the bound.
#
# Set IGH_BUILD=DIR to test binaries built with `make BUILD=DIR all bench-build`.
set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/hitless_lib.sh"

lib_init igh
hl_init

SRCS=198.51.100.1-16
WATCH_MAX_MS=200
MAX_MS=1000
GAP=1.2           # seconds between changes

run "members" ig members sync <(hl_srcs "$SRCS") --no-neigh
CACHE_MS=$(jget "$(ig status -j)" settings.fwd_cache_ms)
check_eq "forwarding cache on, 500 ms age limit" "$CACHE_MS" 500

# next hops 2001:db8:f1::10.. on r1, each a permanent neighbour with its own MAC
nh_addr() { echo "2001:db8:f1::$((16 + $1))"; }
mac() { printf '02:00:00:00:7a:%02x' "$1"; }
CUR_NH=$HL_NH1 CUR_MAC=$MAC_S0
NEXT=1

# change KIND: route to a fresh next hop, or a fresh MAC for the current one;
# appends "kind old_mac new_mac t0 t1" to CHANGES
change() {
	local kind=$1 nh mac_new t
	mac_new=$(mac $NEXT)
	if [[ $kind == route ]]; then
		nh=$(nh_addr $NEXT)
		run "neighbour $nh" nsx "$NS_R" ip -6 neigh replace "$nh" lladdr "$mac_new" dev r1 nud permanent
		t=$("$PY" "$HL_UTIL" timed nsenter --net="/run/netns/$NS_R" -- \
			ip -6 route replace ${HL_REMOTE}/48 via "$nh" dev r1)
		CUR_NH=$nh
	else
		t=$("$PY" "$HL_UTIL" timed nsenter --net="/run/netns/$NS_R" -- \
			ip -6 neigh replace "$CUR_NH" lladdr "$mac_new" dev r1 nud permanent)
	fi
	[[ $(jget "$t" rc) == 0 ]] || fail "$kind change failed: $t"
	CHANGES+=("$kind $CUR_MAC $mac_new $(jget "$t" t0) $(jget "$t" t1)")
	CUR_MAC=$mac_new
	NEXT=$((NEXT + 1))
}

# one_run LABEL MAX_MS: traffic, route / neighbour / route / neighbour changes
one_run() {
	local label=$1 max=$2 sink c kind old new t0 t1 r st0 total got
	CHANGES=()
	hl_sink_reset
	snap
	st0=$STATUS_JSON
	info "veth counters before: $(hl_veth_stats)"
	hl_gen_start "$LIB_TMP/g.$label" 6.5 "$SRCS"
	sleep 1
	for kind in route neigh route neigh; do
		change $kind
		sleep $GAP
	done
	hl_gen_wait "$LIB_TMP/g.$label"
	sleep 0.2
	sink=$(hl_sink --mac)
	info "generator: $(cat "$LIB_TMP/g.$label")"
	# not a target here (changes of the path are not promised hitless), but say it
	total=$(hl_gen_total "$LIB_TMP/g.$label")
	got=$(hl_sink | "$PY" -c '
import json, sys
print(sum(v["packets"] for k, v in json.load(sys.stdin).items() if k.startswith("198.51.100.")))')
	snap
	info "sent $total, received $got at the sink ($((total - got)) not delivered); counters moved: $("$PY" -c '
import json, sys
a, b = json.loads(sys.argv[1])["counters"], json.loads(sys.argv[2])["counters"]
print(", ".join("%s +%d" % (k, b[k]["packets"] - a.get(k, {}).get("packets", 0))
                for k in sorted(b) if b[k]["packets"] != a.get(k, {}).get("packets", 0)))
' "$st0" "$STATUS_JSON")"
	info "veth counters after: $(hl_veth_stats)"
	for c in "${CHANGES[@]}"; do
		read -r kind old new t0 t1 <<<"$c"
		r=$("$PY" - "$sink" "$old" "$new" "$t0" "$t1" "$max" <<'EOF'
import json, sys
sink, old, new, t0, t1, mx = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
n, o = sink.get(new), sink.get(old)
if not n or not o:
    print("FAIL no packets with %s %s" % ("the new MAC" if not n else "the old MAC", new if not n else old))
    sys.exit(0)
first_new = (n["first_ns"] - t0) / 1e6
last_old = (o["last_ns"] - t0) / 1e6
worst = max(first_new, last_old)
print("%s new MAC first seen %+.1f ms, old MAC last seen %+.1f ms after the change started "
      "(the command took %.1f ms); %d packets with the new MAC"
      % ("OK" if worst < mx else "FAIL", first_new, last_old, (t1 - t0) / 1e6, n["packets"]))
EOF
		)
		if [[ $r == OK* ]]; then
			pass "$label: $kind change took effect within $max ms (${r#OK })"
		else
			fail "$label: $kind change took effect within $max ms (${r#FAIL })"
		fi
	done
}

# ---------------------------------------------------------------------------
step "with 'isagate watch' (netlink invalidation): every change applies at once"
WLOG=$LIB_TMP/watch.log
nsenter --net="/run/netns/$NS_R" -- "$ISAGATE" watch --pin-dir "$PIN_DIR" -v >"$WLOG" 2>&1 &
WATCH_PID=$!
LIB_PIDS+=("$WATCH_PID")
wait_for 5 grep -q "watching" "$WLOG" || die "isagate watch did not start: $(cat "$WLOG")"
one_run watch $WATCH_MAX_MS
info "watch: $(grep -c 'invalidated' "$WLOG") invalidations logged"
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check_eq "isagate watch stops cleanly on SIGTERM" "$?" 0

step "without 'isagate watch': the cache's age limit ($CACHE_MS ms) bounds the delay"
one_run nowatch $MAX_MS

lib_summary
