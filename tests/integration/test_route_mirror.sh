#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/integration/test_route_mirror.sh - the route mirror (bpf/route.h,
# user/lib/routemirror.c) against the kernel's own routing, end to end.
#
# The test_forwarding topology (member H on the IPv4 LAN, router R, remote
# host D with the real Linux IPv6 stack).  `isagate watch` on R mirrors R's
# routes; H pings D through the tunnel.  What must hold:
#   - the mirror holds R's routes and the gateway D with D's MAC, and H's
#     traffic is forwarded by it (route_stats: decisions by the mirror);
#   - a route moved to a next hop whose MAC nobody answers stops H's pings at
#     once, and moving it back restores them (the mirror follows the FIB);
#   - policy routing (an ip rule sending H's traffic to another table) turns
#     the IPv6 mirror off, and the packets go where the kernel says;
#   - forwarding off on an interface, a local-table prefix over main routes:
#     the family goes off, with the reason in `status`;
#   - a watch stopped (SIGTERM) or killed (SIGKILL) leaves no mirror in use.
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init igm

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup two
remote_start
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
MF=$(members_file members.h "$H_V4   # helpdesk PC H")
check_rc "members sync (H)" 0 ig members sync "$MF"
# an IPv4 route through a gateway (H, resolved: it pinged R), so that both
# families have a next hop to mirror
run "R: IPv4 route via H" nsx "$NS_R" ip route add 198.51.100.0/24 via "$H_V4" dev lan0
D_MAC=$(nsx "$NS_D" ip -br link show eth0 | awk '{print $3}')
BOGUS_MAC=02:00:00:00:0b:0b   # nobody's: frames to it are dropped by D's eth0

rm_json() { ig status -j 2>/dev/null | "$PY" -c '
import json, sys
r = json.load(sys.stdin).get("route_mirror") or {}
print(json.dumps(r))'; }
rm_get() { jget "$(rm_json)" "$1"; }
# wait_rm PATH WANT: until status route_mirror PATH equals WANT (3 s)
wait_rm() {
	local i got
	for i in $(seq 30); do
		got=$(rm_get "$1")
		[[ $got == "$2" ]] && return 0
		sleep 0.1
	done
	return 1
}
fwd() { jget "$(ig stats -j)" "fwd_decisions.$1"; }
echo_ok() { isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind echo \
	--hlim 64 --timeout "${1:-2}"; }

step "without watch: the mirror is off and says why"
check_eq "status: ipv6 off" "$(rm_get ipv6.on)" false
check_eq "status: the reason is no watch" "$(rm_get ipv6.off_reason)" no-watch

step "isagate watch mirrors R's routes"
WLOG=$LIB_TMP/watch.log
start_watch() {
	nsenter --net="/run/netns/$NS_R" -- "$ISAGATE" watch --pin-dir "$PIN_DIR" -v >>"$WLOG" 2>&1 &
	WATCH_PID=$!
	LIB_PIDS+=("$WATCH_PID")
}
start_watch
wait_rm ipv6.on true || die "route mirror not on with watch running: $(rm_json); $(cat "$WLOG")"
pass "status: ipv6 mirrored"
wait_rm ipv4.on true && pass "status: ipv4 mirrored" || fail "ipv4 not mirrored: $(rm_json)"
RM=$(rm_json)   # one snapshot (a rebuild in between reports 0 routes while off)
check_ge "status: ipv6 routes in the trie" "$(jget "$RM" ipv6.routes)" 3
check_ge "status: next hops (D and H)" "$(jget "$RM" nexthops)" 2
info "route_mirror: $RM"
# trie_nh MAP PREFIX/LEN: the next hop the trie MAP (routes4, routes6) holds
# for PREFIX/LEN, read back with bpftool (named fields)
trie_nh() {
	"$PY" -c '
import ipaddress, json, sys
net = ipaddress.ip_network(sys.argv[2])
for e in json.loads(sys.argv[1]):
    k = e["formatted"]["key"] if "formatted" in e else e["key"]
    v = e["formatted"]["value"] if "formatted" in e else e["value"]
    a = bytes(int(x, 0) if isinstance(x, str) else x for x in k["addr"])
    if k["prefixlen"] == net.prefixlen and a == net.network_address.packed:
        print(v["nh"])' "$(bpftool map dump pinned "$PIN_DIR/$1" -j 2>&1)" "$2" 2>&1
}
# nh_mac ID: the destination MAC of next hop ID
nh_mac() {
	"$PY" -c '
import json, sys
v = json.loads(sys.argv[1])
v = v["formatted"]["value"] if "formatted" in v else v["value"]
print(":".join("%02x" % (int(x, 0) if isinstance(x, str) else x) for x in v["dmac"]))' \
		"$(bpftool map lookup pinned "$PIN_DIR/nexthops" key "$1" 0 0 0 -j 2>&1)" 2>&1
}
H_MAC=$(nsx "$NS_H" ip -br link show eth0 | awk '{print $3}')
# a gateway route of each family, and H, an on-link neighbour, as a host route
for t in "routes6 2001:db8:dac::/64 D $D_MAC" "routes4 198.51.100.0/24 H $H_MAC" \
	"routes4 $H_V4/32 H $H_MAC"; do
	read -r map pfx who mac <<<"$t"
	nh=$(trie_nh "$map" "$pfx")
	if [[ $nh =~ ^[0-9]+$ && $nh -gt 0 ]]; then
		pass "$map holds $pfx -> next hop $nh"
		check_eq "next hop $nh has $who's MAC" "$(nh_mac "$nh")" "$mac"
	else
		fail "$map has no next hop for $pfx: $nh"
	fi
done

step "H's traffic is forwarded by the mirror"
# a fresh topology still moves (DAD ends, the kernel adds routes): each move
# switches the mirror off until its rebuild; wait until a second passes with
# no rebuild, so the traffic below meets the mirror on
for i in $(seq 20); do
	b=$(rm_get builds)
	sleep 1
	[[ $(rm_get builds) == "$b" && $(rm_get ipv6.on) == true ]] && break
done
m0=$(fwd route_mirror) f0=$(fwd fib)
if echo_ok; then pass "H's echo to D answered"; else fail "H's echo to D: $REPLY"; fi
# both ways: decap to D (its gateway route), encap to H (on-link, a host route)
check_ge "decisions by the route mirror moved (to D and back to H)" "$(($(fwd route_mirror) - m0))" 2
check_eq "no FIB lookup for either" "$(($(fwd fib) - f0))" 0 ||
	info "watch: $(tail -5 "$WLOG" | tr '\n' '|')"

step "a route change applies at once: to a next hop nobody answers, and back"
run "neighbour with a bogus MAC" nsx "$NS_R" ip -6 neigh replace 2001:db8:ff::3 lladdr "$BOGUS_MAC" \
	dev up0 nud permanent
b0=$(rm_get builds)
run "route via it" nsx "$NS_R" ip -6 route replace 2001:db8:dac::/64 via 2001:db8:ff::3 dev up0
if echo_ok 1; then fail "H's echo answered through a next hop with a bogus MAC: $REPLY"; else
	pass "H's echo lost, as the kernel routes it (bogus next hop)"; fi
wait_rm ipv6.on true && check_ge "mirror rebuilt" "$(($(rm_get builds) - b0))" 1 ||
	fail "mirror not back on after the change: $(rm_json)"
run "route back via D" nsx "$NS_R" ip -6 route replace 2001:db8:dac::/64 via 2001:db8:ff::2 dev up0
if echo_ok; then pass "H's echo answered again with the route back"; else
	fail "H's echo to D after the route came back: $REPLY"; fi

step "policy routing: the IPv6 mirror goes off and the kernel's answer holds"
run "table 100: D's prefix via the bogus next hop" nsx "$NS_R" ip -6 route add 2001:db8:dac::/64 \
	via 2001:db8:ff::3 dev up0 table 100
run "rule: H's traffic to table 100" nsx "$NS_R" ip -6 rule add from "$H_V6" lookup 100 pref 100
wait_rm ipv6.off_reason rules && pass "status: ipv6 off (rules)" ||
	fail "ipv6 not off with a policy rule: $(rm_json)"
check_eq "status: ipv4 still mirrored" "$(rm_get ipv4.on)" true
if echo_ok 1; then fail "H's echo answered although the rule sends it to the bogus next hop"; else
	pass "H's echo goes where the rule says (lost at the bogus next hop)"; fi
run "rule removed" nsx "$NS_R" ip -6 rule del from "$H_V6" lookup 100 pref 100
wait_rm ipv6.on true && pass "status: ipv6 mirrored again" || fail "ipv6 not back: $(rm_json)"
if echo_ok; then pass "H's echo answered again"; else fail "H's echo after the rule: $REPLY"; fi

step "forwarding off on an interface, a local-table prefix over main routes"
run "IPv6 forwarding off on up0" nsx "$NS_R" sysctl -qw net.ipv6.conf.up0.forwarding=0
wait_rm ipv6.off_reason forwarding-off && pass "status: ipv6 off (forwarding-off)" ||
	fail "ipv6 not off with forwarding off on up0: $(rm_json)"
run "IPv6 forwarding back on" nsx "$NS_R" sysctl -qw net.ipv6.conf.up0.forwarding=1
wait_rm ipv6.on true && pass "status: ipv6 mirrored again" || fail "ipv6 not back: $(rm_json)"
run "local 198.51.0.0/16 in the local table" nsx "$NS_R" ip route add local 198.51.0.0/16 dev lo \
	table local
wait_rm ipv4.off_reason local-table-prefix && pass "status: ipv4 off (local-table-prefix)" ||
	fail "ipv4 not off with a local prefix over 198.51.100.0/24: $(rm_json)"
run "local prefix removed" nsx "$NS_R" ip route del local 198.51.0.0/16 dev lo table local
wait_rm ipv4.on true && pass "status: ipv4 mirrored again" || fail "ipv4 not back: $(rm_json)"

step "a stopped watch leaves no mirror in use"
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check_eq "watch stops cleanly on SIGTERM" "$?" 0
check_eq "status: ipv6 off (no-watch) after SIGTERM" "$(rm_get ipv6.off_reason)" no-watch
start_watch
wait_rm ipv6.on true || fail "mirror not on with watch restarted: $(rm_json)"
exec 3>&2 2>/dev/null          # not bash's "Killed" notice
kill -KILL "$WATCH_PID"
wait "$WATCH_PID"
exec 2>&3 3>&-
sleep 0.6   # fwd_cache_ms (500 ms): valid_until passes
check_eq "status: ipv6 off (no-watch) after SIGKILL" "$(rm_get ipv6.off_reason)" no-watch
m0=$(fwd route_mirror) f0=$(fwd fib)
if echo_ok; then pass "H's echo answered by the FIB's decision"; else fail "H's echo: $REPLY"; fi
check_eq "no decision by the mirror after its watch died" "$(($(fwd route_mirror) - m0))" 0
check_ge "the FIB decided" "$(($(fwd fib) - f0))" 1

lib_summary
