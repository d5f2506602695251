#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_icmp4_relay.sh - ICMPv4 errors about tunnelled packets relayed as
# ICMPv6 (RFC 4213 3.4) and the per-member tunnel MTU, against real Linux
# kernels on every hop.
#
# The BRIEF §6 topology (tests/integration/lib.sh) plus a real IPv4 router X
# between the router R and a member M on another subnet, over a link with a
# smaller MTU:
#
#   R lan0 192.0.2.1 ── LAN bridge ── X x0 192.0.2.254
#                                     X x1 198.51.100.1/24  (MTU 1300)
#                                         └── M m0 198.51.100.10/24 (MTU 1300)
#   R up0 2001:db8:ff::1 ── D eth0 2001:db8:ff::2, lo 2001:db8:dac::100
#
# M is a member with no ISATAP interface.  Before any traffic, errors X
# forges about R -> M (time exceeded, fragmentation needed) must be refused
# (icmp4_no_flow: nothing was tunnelled) and teach no MTU.  Then D's traffic
# to M's ISATAP address P::5efe:198.51.100.10 is encapsulated by isagate and:
#   - fits, reaches M, whose kernel answers protocol 41 with an ICMPv4
#     destination unreachable: D's ping must report the relayed ICMPv6
#     destination unreachable;
#   - with dynamic MTU (DF set) and 1348 inner bytes, X answers fragmentation
#     needed (MTU 1300): D must get an ICMPv6 Packet Too Big 1280 (its route
#     cache shows mtu 1280) and 'isagate status' must list M's learned MTU;
#   - with outer TTL 1, X answers time exceeded: D's ping must report the
#     relayed ICMPv6 time exceeded from the router's ISATAP address.
# The counters must match what D saw.
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init igi4

X_LAN=192.0.2.254
X_NET=198.51.100.1
M_V4=198.51.100.10
M_V6=2001:db8:1:8000::5efe:c633:640a      # P::5efe:198.51.100.10
R_ISATAP=2001:db8:1:8000:0:5efe:c000:201  # P::5efe:192.0.2.1 as ping prints it: the errors' source
LINK_MTU=1300

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup two
ns_add NS_X x
ns_add NS_M m
v4_only "$NS_X"
v4_only "$NS_M"
lan_host "$NS_X" x0 p-x "$X_LAN/24"
run "veth X/x1-M/m0" nsx "$NS_X" ip link add x1 type veth peer name m0 netns "$NS_M"
run "X x1 mtu $LINK_MTU" nsx "$NS_X" ip link set x1 mtu "$LINK_MTU" up
run "M m0 mtu $LINK_MTU" nsx "$NS_M" ip link set m0 mtu "$LINK_MTU" up
run "X x1 address" nsx "$NS_X" ip addr add "$X_NET/24" dev x1
run "M m0 address" nsx "$NS_M" ip addr add "$M_V4/24" dev m0
run "M default route" nsx "$NS_M" ip route add default via "$X_NET"
run "X forwarding" nsx "$NS_X" sysctl -qw net.ipv4.ip_forward=1
# Every error X and M send must reach R: no kernel ICMP rate limit there.
run "X: no ICMP rate limit" nsx "$NS_X" sysctl -qw net.ipv4.icmp_ratelimit=0
run "M: no ICMP rate limit" nsx "$NS_M" sysctl -qw net.ipv4.icmp_ratelimit=0
run "R route to M's subnet" nsx "$NS_R" ip route add 198.51.100.0/24 via "$X_LAN" dev lan0
# The encapsulation needs R's neighbour X resolved (BRIEF §8): a plain ping does it.
wait_for 5 nsx "$NS_R" ping -c1 -W1 -q "$M_V4" || die "R cannot ping M ($M_V4) through X"
pass "topology up: R -- X -- M (MTU $LINK_MTU), R -- D"

step "attach isagate on R (dynamic MTU, tunnel MTU 1480), member M"
out=$(ig_attach --dynamic-mtu --mtu 1480 2>&1) || die "isagate attach failed: $out"
pass "isagate attach --dynamic-mtu --mtu 1480"
[[ -e $PIN_DIR/member_mtu ]] && pass "member_mtu map pinned" || fail "member_mtu not pinned under $PIN_DIR"
MF=$(members_file members "$M_V4   # member behind the IPv4 router X")
check_rc "members sync (M)" 0 ig members sync "$MF"
st=$(ig status 2>&1)
check_contains "status: dynamic mode" "$st" 'mtu 1480 \(dynamic, DF set\)'
check_contains "status: member MTU section" "$st" 'member tunnel MTUs'
# (grep -E takes a newline in the pattern as "or": check the JSON instead)
snap
check_eq "status -j: no member MTU learned yet" "$(jget "$STATUS_JSON" member_mtu)" "[]"

# --- forged errors: nothing was tunnelled to M yet (issue 15) --------------------
step "forged ICMPv4 errors about R -> M (no such flow): not relayed, no MTU learned"
snap; s0=$STATUS_JSON
# X (or anyone on the LAN) claims R tunnelled D::dead -> M and it failed:
# time exceeded, and fragmentation needed (next-hop MTU 1200) with DF.
nsx "$NS_X" "$PY" - "$X_LAN" "$R_V4" "$M_V4" "$M_V6" <<'EOF' >/dev/null 2>&1
import sys
from scapy.all import IP, ICMP, IPv6, UDP, Raw, send, conf
conf.verb = 0
x, r, m4, m6 = sys.argv[1:5]
inner = IPv6(src="2001:db8:dac::dead", dst=m6, hlim=63) / UDP(sport=4000, dport=9) / Raw(b"x" * 1100)
q = bytes(IP(src=r, dst=m4, proto=41, ttl=1, flags="DF") / inner)[:576 - 28]
send(IP(src=x, dst=r) / ICMP(type=11, code=0) / Raw(q))
send(IP(src=x, dst=r) / ICMP(type=3, code=4, nexthopmtu=1200) / Raw(q))
EOF
snap
check_eq "both forged errors refused as icmp4_no_flow" \
	"$(($(ctr icmp4_no_flow) - $(ctr icmp4_no_flow "$s0")))" 2
check_nodelta "nothing relayed" icmp4_relayed "$s0"
check_eq "status -j: still no member MTU learned" "$(jget "$STATUS_JSON" member_mtu)" "[]"

# --- destination unreachable: M's kernel has no protocol-41 handler -------------
step "ICMPv4 unreachable from M -> ICMPv6 destination unreachable at D"
snap; s0=$STATUS_JSON
out=$(nsx "$NS_D" ping -6 -c1 -W2 -s 56 "$M_V6" 2>&1)
check_contains "D's ping reports the relayed destination unreachable" "$out" \
	'Destination unreachable|Address unreachable'
check_contains "the error comes from the router's ISATAP address" "$out" "From $R_ISATAP"
snap
check_delta "relayed" icmp4_relayed 1 "$s0"
check_nodelta "nothing refused as unrelayable" icmp4_not_relayed "$s0"

# --- fragmentation needed: X cannot forward 1368-byte DF packets ------------------
step "ICMPv4 fragmentation needed from X (MTU $LINK_MTU) -> Packet Too Big 1280 at D"
sleep 0.2   # the per-destination ICMPv6 rate limit (100 ms)
snap; s0=$STATUS_JSON
out=$(nsx "$NS_D" ping -6 -c1 -W2 -s 1300 -M do "$M_V6" 2>&1)
info "D: ${out//$'\n'/ | }"
rt=$(nsx "$NS_D" ip -6 route get "$M_V6" 2>&1)
check_contains "D's route cache learned mtu 1280 for M's ISATAP address" "$rt" 'mtu 1280'
snap
check_delta "frag needed relayed" icmp4_relayed 1 "$s0"
check_delta "encapsulated with DF" fwd_encap 1 "$s0"
mtu_json=$(jget "$STATUS_JSON" member_mtu.0)
check_eq "status -j: learned member" "$(jget "$STATUS_JSON" member_mtu.0.member)" "$M_V4"
check_eq "status -j: learned tunnel MTU" "$(jget "$STATUS_JSON" member_mtu.0.mtu)" 1280
check_eq "status -j: reported IPv4 path MTU" "$(jget "$STATUS_JSON" member_mtu.0.path_mtu)" "$LINK_MTU"
check_eq "status -j: DF still set (1300 - 20 >= 1280)" "$(jget "$STATUS_JSON" member_mtu.0.df)" true
info "member_mtu: $mtu_json"
st=$(ig status 2>&1)
check_contains "status lists M's learned MTU" "$st" "$M_V4 +mtu 1280 \\(IPv4 path $LINK_MTU\\)"
dump=$(bpftool map dump pinned "$PIN_DIR/member_mtu" 2>&1 | tr -d ' \t\n')
check_contains "bpftool prints member_mtu with named fields" "$dump" \
	'"addr":\[198,51,100,10\].*"mtu":1280,"path_mtu":1300'

# Now D fragments at 1280 itself: every fragment fits the path, nothing more to report.
sleep 0.2
snap; s0=$STATUS_JSON
out=$(nsx "$NS_D" ping -6 -c1 -W2 -s 1300 "$M_V6" 2>&1)
snap
check_nodelta "D's next 1300-byte ping: no new Packet Too Big from the router" icmp_too_big "$s0"
check_delta "D's 1280-byte fragments encapsulated" fwd_encap 2 "$s0"

# An over-size packet that ignores the PMTU (sent raw) gets the PTB from isagate
# itself, with the learned MTU.
sleep 0.2
snap; s0=$STATUS_JSON
nsx "$NS_D" "$PY" - "$M_V6" <<'EOF' >/dev/null 2>&1
import sys
from scapy.all import IPv6, UDP, Raw, send, conf
conf.verb = 0
send(IPv6(src="2001:db8:dac::100", dst=sys.argv[1], hlim=64) / UDP(sport=40000, dport=9) / Raw(b"x" * 1300))
EOF
snap
check_delta "raw 1348-byte packet to M: Packet Too Big from isagate" icmp_too_big 1 "$s0"

# --- time exceeded: outer TTL 1 expires at X -----------------------------------
step "outer TTL 1 expires at X -> ICMPv6 time exceeded at D"
out=$(ig_attach --dynamic-mtu --mtu 1480 --ttl 1 2>&1) || die "isagate re-attach --ttl 1 failed: $out"
pass "isagate re-attach --ttl 1"
sleep 0.2
snap; s0=$STATUS_JSON
out=$(nsx "$NS_D" ping -6 -c1 -W2 -s 56 "$M_V6" 2>&1)
check_contains "D's ping reports the relayed time exceeded" "$out" 'Time exceeded'
check_contains "from the router's ISATAP address" "$out" "From $R_ISATAP"
snap
check_delta "time exceeded relayed" icmp4_relayed 1 "$s0"
check_eq "learned MTU survived the re-attach" "$(jget "$STATUS_JSON" member_mtu.0.mtu)" 1280

# --- rate limit: a burst of errors towards D ------------------------------------
step "rate limit: 5 quick pings, at most one relayed error per 100 ms"
sleep 0.2
snap; s0=$STATUS_JSON
nsx "$NS_D" ping -6 -c5 -i 0.01 -W1 -q "$M_V6" >/dev/null 2>&1
snap
a=$(ctr icmp4_relayed "$s0"); b=$(ctr icmp4_relayed)
c=$(ctr icmp4_relay_rate_limited "$s0"); d=$(ctr icmp4_relay_rate_limited)
check_eq "5 errors: relayed + rate limited = 5" "$(((b - a) + (d - c)))" 5
check_ge "some were rate limited" "$((d - c))" 3

# --- not ours: ICMPv4 to the router about anything else stays the kernel's -------
step "an ICMPv4 echo to the router is the kernel's (pass_not_isatap4)"
snap; s0=$STATUS_JSON
check "X pings R" nsx "$NS_X" ping -c1 -W2 -q "$R_V4"
snap
check_delta "counted pass_not_isatap4" pass_not_isatap4 1 "$s0"
check_nodelta "not taken for a tunnel error" icmp4_not_relayed "$s0"

step "detach removes member_mtu with the other pins"
check_rc "isagate detach" 0 ig detach
[[ -e $PIN_DIR/member_mtu ]] && fail "member_mtu still pinned" || pass "member_mtu unpinned"

lib_summary
