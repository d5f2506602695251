#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_vlan.sh - isagate with VLAN sub-interfaces as router sides.
#
#   H 192.0.2.10 eth0.110 ─┐                     R lan0.110 192.0.2.1 (802.1Q 110)
#   N 192.0.2.66 eth0.110 ─┤ LAN bridge br0 ── R lan0 (XDP)
#   H eth0.300 (unknown)  ─┘
#                                                R up0 (XDP) ── D eth0
#                     R up0.10.20 2001:db8:ff::1 (802.1ad 10 + 802.1Q 20, QinQ)
#                                                   D eth0.10.20 2001:db8:ff::2,
#                                                   lo 2001:db8:dac::100
#
# `isagate attach --ipv4-dev lan0.110 --ipv6-dev up0.10.20` must put XDP on
# lan0 and up0 and fill vlan_in/vlan_out.  Proven: RS -> RA on VLAN 110, a
# member's echo and TCP SYN decapsulated onto the QinQ side and the real Linux
# stack's replies encapsulated back onto VLAN 110, a non-member refused, an
# unknown VID passed (pass_vlan), the counters, and detach.
#
# The veths send tags inline (tx VLAN offload off): XDP sees only what is in
# the frame.  Needs a kernel with 802.1Q (CONFIG_VLAN_8021Q); skipped without
# (test_vlan_vm.sh runs VLAN sides end to end in the test VM, whose Debian
# kernel has 8021q, with a real Linux ISATAP host as the member).
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init igvl

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
ns_add NS_LAN lan
ns_add NS_H h
ns_add NS_N n
ns_add NS_R r
ns_add NS_D d
if ! nsx "$NS_R" ip link add igvlprobe type veth peer name igvlprobe1 2>/dev/null ||
	! nsx "$NS_R" ip link add link igvlprobe name igvlprobe.5 type vlan id 5 2>/dev/null; then
	skip "this kernel cannot create VLAN devices (CONFIG_VLAN_8021Q / module 8021q missing);" \
		"test_vlan_vm.sh runs the VLAN tests in the VM on Debian's kernel"
fi
nsx "$NS_R" ip link del igvlprobe 2>/dev/null

v4_only "$NS_LAN"
v4_only "$NS_H"
v4_only "$NS_N"

# no_offload NS DEV: tags inline in the frame (what XDP sees on a real NIC
# with 'ethtool -K DEV rxvlan off'), checksums in software.
no_offload() {
	nsx "$1" ethtool -K "$2" txvlan off rxvlan off >/dev/null 2>&1
	nsx "$1" ethtool -K "$2" tx-vlan-stag-hw-insert off rx-vlan-stag-hw-parse off >/dev/null 2>&1
	nsx "$1" ethtool -K "$2" tx off >/dev/null 2>&1
	return 0
}

run "bridge" nsx "$NS_LAN" ip link add br0 type bridge
run "bridge up" nsx "$NS_LAN" ip link set br0 up
lan_host "$NS_H" eth0 p-h ""
lan_host "$NS_N" eth0 p-n ""
lan_host "$NS_R" lan0 p-r ""
run "xdp_pass on LAN/p-r" nsx "$NS_LAN" ip link set dev p-r xdpdrv obj "$XDP_PASS_OBJ" sec xdp
for x in "$NS_H eth0" "$NS_N eth0" "$NS_R lan0"; do
	# shellcheck disable=SC2086
	no_offload $x
done
vlan_dev() { # NS LOWER NAME ID [PROTO] ADDR
	local ns=$1 lower=$2 name=$3 id=$4 proto=$5 addr=$6
	run "$ns: $name" nsx "$ns" ip link add link "$lower" name "$name" type vlan proto "$proto" id "$id"
	no_offload "$ns" "$name"
	run "$ns: $name up" nsx "$ns" ip link set "$name" up
	[[ -n $addr ]] && run "$ns: $addr on $name" nsx "$ns" ip addr add "$addr" dev "$name" nodad
	return 0
}
vlan_dev "$NS_H" eth0 eth0.110 110 802.1Q "$H_V4/24"
vlan_dev "$NS_H" eth0 eth0.300 300 802.1Q 198.51.100.1/24
vlan_dev "$NS_N" eth0 eth0.110 110 802.1Q "$N_V4/24"
vlan_dev "$NS_R" lan0 lan0.110 110 802.1Q "$R_V4/24"
run "second router address" nsx "$NS_R" ip addr add "$R_V4B/24" dev lan0.110

run "veth R/up0-D/eth0" nsx "$NS_R" ip link add up0 type veth peer name eth0 netns "$NS_D"
run "up0 up" nsx "$NS_R" ip link set up0 up
run "D eth0 up" nsx "$NS_D" ip link set eth0 up
no_offload "$NS_R" up0
no_offload "$NS_D" eth0
run "xdp_pass on D/eth0" nsx "$NS_D" ip link set dev eth0 xdpdrv obj "$XDP_PASS_OBJ" sec xdp
vlan_dev "$NS_R" up0 up0.10 10 802.1ad ""
vlan_dev "$NS_R" up0.10 up0.10.20 20 802.1Q 2001:db8:ff::1/64
vlan_dev "$NS_D" eth0 eth0.10 10 802.1ad ""
vlan_dev "$NS_D" eth0.10 eth0.10.20 20 802.1Q 2001:db8:ff::2/64
run "D remote prefix" nsx "$NS_D" ip addr add "$D_V6/64" dev lo nodad
run "D default route" nsx "$NS_D" ip -6 route add default via 2001:db8:ff::1 dev eth0.10.20
run "R route to D" nsx "$NS_R" ip -6 route add 2001:db8:dac::/64 via 2001:db8:ff::2 dev up0.10.20
run "R forwarding" nsx "$NS_R" sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1
wait_for 5 nsx "$NS_H" ping -c1 -W1 -q "$R_V4" || die "H cannot ping R ($R_V4) on VLAN 110"
wait_for 5 nsx "$NS_R" ping -c1 -W1 -q "$D_V6" || die "R cannot ping D ($D_V6) over QinQ 10/20"
remote_start
pass "topology up: VLAN 110 on the LAN, QinQ 10/20 on the IPv6 link; D listens on TCP $D_PORT"

# --- attach ----------------------------------------------------------------------
step "attach on the VLAN sides lan0.110 / up0.10.20"
out=$(ig attach --ipv4-dev lan0.110 --ipv6-dev up0.10.20 --router "$R_V4" --router "$R_V4B" \
	--prefix "$ISATAP_PREFIX" --mode native 2>&1) || die "isagate attach failed: $out"
pass "isagate attach with VLAN sides"
check "XDP link pinned for lan0 (the real device under lan0.110)" test -e "$PIN_DIR/link_lan0"
check "XDP link pinned for up0 (the real device under up0.10.20)" test -e "$PIN_DIR/link_up0"
xdp=$(nsx "$NS_R" ip -d link show lan0 2>&1)
check_contains "lan0 runs XDP" "$xdp" 'prog/xdp|xdp id|xdpdrv'
IF_LAN0=$(nsx "$NS_R" cat /sys/class/net/lan0/ifindex)
IF_V110=$(nsx "$NS_R" cat /sys/class/net/lan0.110/ifindex)
IF_UP0=$(nsx "$NS_R" cat /sys/class/net/up0/ifindex)
IF_Q=$(nsx "$NS_R" cat /sys/class/net/up0.10.20/ifindex)
vin=$(bpftool map dump pinned "$PIN_DIR/vlan_in" 2>&1 | tr -d ' \t\n')
check_contains "vlan_in: (lan0, 802.1Q 110) -> lan0.110" "$vin" \
	"\"ifindex\":$IF_LAN0,\"outer\":\\{\"proto\":33024,\"vid\":110\\},\"inner\":\\{\"proto\":0,\"vid\":0\\}\\},\"value\":\\{\"ifindex\":$IF_V110\\}"
check_contains "vlan_in: (up0, 802.1ad 10, 802.1Q 20) -> up0.10.20" "$vin" \
	"\"ifindex\":$IF_UP0,\"outer\":\\{\"proto\":34984,\"vid\":10\\},\"inner\":\\{\"proto\":33024,\"vid\":20\\}\\},\"value\":\\{\"ifindex\":$IF_Q\\}"
vout=$(bpftool map dump pinned "$PIN_DIR/vlan_out" 2>&1 | tr -d ' \t\n')
check_contains "vlan_out: up0.10.20 -> up0 with two tags" "$vout" \
	"\"key\":$IF_Q,\"value\":\\{\"lower_ifindex\":$IF_UP0,\"ntags\":2"
snap
check_eq "status names the IPv4 side lan0.110" "$(jget "$STATUS_JSON" settings.ipv4_dev)" lan0.110
out=$(ig attach --ipv4-dev lan0.110 --ipv6-dev up0.10.20 --router "$R_V4" --router "$R_V4B" \
	--prefix "$ISATAP_PREFIX" --mode native 2>&1)
check_eq "attach again (idempotent) succeeds" "$?" 0

MF=$(members_file members.h "$H_V4   # helpdesk PC H on VLAN 110")
check_rc "members sync (H)" 0 ig members sync "$MF"

# --- router discovery on VLAN 110 --------------------------------------------------
step "RS from H on VLAN 110 -> RA back on VLAN 110"
snap; s0=$STATUS_JSON
H_LL=fe80::5efe:c000:20a
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_LL" --dst ff02::2 --kind rs --hlim 255; then
	pass "RS answered with an RA on VLAN 110"
	check_eq "RA advertises the ISATAP prefix" "$(jget "$REPLY" reply.prefixes.0)" 2001:db8:1:8000::/64
	check_eq "RA ICMPv6 checksum valid" "$(jget "$REPLY" reply.l4_csum_ok)" true
else
	fail "RS on VLAN 110 got no RA: $REPLY"
fi
snap
check_delta "RA counted" rd_ra_sent 1 "$s0"

# --- decap onto QinQ, encap back onto VLAN 110 ---------------------------------------
step "H pings D: decapsulated onto QinQ 10/20, D's reply encapsulated onto VLAN 110"
snap; s0=$STATUS_JSON
ok=0
for i in 1 2 3; do
	isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind echo --hlim 64 && {
		ok=1
		break
	}
done
if ((ok)); then
	pass "H's echo to $D_V6 answered through the tunnel"
	check_eq "reply outer source is the router" "$(jget "$REPLY" reply.outer_src)" "$R_V4"
	check_eq "reply inner hop limit decremented (64 -> 63)" "$(jget "$REPLY" reply.hlim)" 63
	check_eq "reply ICMPv6 checksum valid" "$(jget "$REPLY" reply.l4_csum_ok)" true
else
	fail "H's echo to $D_V6 got no reply: $REPLY"
fi
check "D saw H's echo request" d_saw "$H_V6"
isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind echo ||
	fail "second echo got no reply: $REPLY"
snap
check_delta "decapsulated in XDP onto the QinQ side" fwd_decap 1 "$s0"
check_delta "encapsulated in XDP onto VLAN 110" fwd_encap 1 "$s0"

step "H opens TCP to D port $D_PORT"
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport "$D_PORT"; then
	pass "SYN got D's SYN-ACK back through the tunnel"
	check_eq "SYN-ACK TCP checksum valid" "$(jget "$REPLY" reply.l4_csum_ok)" true
else
	fail "TCP SYN to [$D_V6]:$D_PORT got no SYN-ACK: $REPLY"
fi

# --- refusals and unknown tags ---------------------------------------------------------
step "non-member N on VLAN 110 is refused; an unknown VID is passed"
snap; s0=$STATUS_JSON
N_LL=fe80::5efe:c000:242
isatap "$NS_N" --router "$R_V4" --inner-src "$N_LL" --dst ff02::2 --kind rs --hlim 255 --timeout 1 &&
	fail "non-member N got an RA" || pass "non-member N gets no RA"
isatap "$NS_N" --router "$R_V4" --inner-src "$N_V6" --dst "$D_V6" --kind echo --timeout 1 &&
	fail "non-member N's echo was answered" || pass "non-member N's echo not forwarded"
nsx "$NS_H" ping -c2 -W1 -q 198.51.100.2 >/dev/null 2>&1   # ARP on VID 300 (unknown)
snap
check_delta "non-member refusals counted" drop_not_member 2 "$s0"
check_delta "VID 300 (no configured interface) passed and counted" pass_vlan 1 "$s0"
check "D never saw N's echo" bash -c "! grep -qF '\"echo_request\": \"$(norm6 "$N_V6")\"' '$D_LOG'"

# every packet counted exactly once: the sum of all reasons moves by at least
# the packets we sent and the forwarding reasons by exactly what we forwarded
tot=$("$PY" -c '
import json, sys
d = json.loads(sys.argv[1])["counters"]
print(sum(int(v["packets"]) for v in d.values()))' "$STATUS_JSON")
check_ge "counters: packets accounted in all" "$tot" 8

# --- detach -----------------------------------------------------------------------------
step "detach removes the links and the VLAN maps"
check_rc "isagate detach" 0 ig detach
check "vlan_in pin gone" test ! -e "$PIN_DIR/vlan_in"
xdp=$(nsx "$NS_R" ip -d link show lan0 2>&1)
if grep -Eq 'prog/xdp|xdpdrv' <<<"$xdp"; then fail "lan0 still runs XDP"; else pass "lan0 runs no XDP"; fi

lib_summary
