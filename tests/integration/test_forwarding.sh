#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_forwarding.sh [two|one] - isagate end to end in network namespaces.
#
# A member H and a non-member N on an IPv4 LAN (a Linux bridge), the router R
# running isagate, and a remote IPv6 host D running the real Linux stack
# (BRIEF §6 addresses).  H's ISATAP traffic is crafted by isatap_host.py; D's
# real echo replies and TCP SYN-ACKs must come back tunnelled to H, N gets
# nothing through, and `members sync` changes apply to the next packet.
#
# two: separate IPv4 and IPv6 interfaces on R (default); one: one-armed, both
# sides on R's LAN interface.
set -u -o pipefail

MODE=${1:-two}
case $MODE in
two | one) ;;
*) echo "usage: $0 [two|one]" >&2; exit 2 ;;
esac

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init igt

H_V6_UBIT=2001:db8:1:8000:200:5efe:c000:20a
SPOOF_V6=2001:db8:1:8000::5efe:c000:207   # embeds 192.0.2.7, sent from H
OUTSIDE_V6=2001:db8:99::5efe:c000:20a     # not under the ISATAP prefix
N_NET=192.0.2.64/28                        # a subnet holding N (192.0.2.66), not H

step "topology ($MODE-armed): namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup "$MODE"
remote_start
pass "topology up: H, N, R, D and the LAN bridge; D listens on TCP $D_PORT"

# --- attach and membership ----------------------------------------------------
step "attach isagate on R ($R_V4_DEV / $R_V6_DEV)"
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
pass "isagate attach"
missing=
for m in config members member_nets routers prefixes stats tx_ports; do
	[[ -e $PIN_DIR/$m ]] || missing+=" $m"
done
[[ -z $missing ]] && pass "maps pinned under $PIN_DIR" || fail "maps not pinned under $PIN_DIR:$missing"
snap && pass "isagate status -j"

step "membership: H only"
MF=$(members_file members.h "$H_V4   # helpdesk PC H")
check_rc "members sync (H)" 0 ig members sync "$MF"
dump=$(bpftool map dump pinned "$PIN_DIR/members" 2>&1 | tr -d ' \t\n')
check_contains "bpftool map dump members prints named fields" "$dump" '"name_hash":[0-9]+,"flags":'
check_contains "bpftool map dump members shows H's address readably" "$dump" '"addr":\[192,0,2,10\]'
list=$(ig members list -j 2>&1)
check_contains "members list -j shows H" "$list" "\"$H_V4(/32)?\""

# --- BRIEF §6 cases 1-4: router discovery over the real (native XDP) veth ----------
step "case 1/2: router solicitations from H get a router advertisement"
snap; s0=$STATUS_JSON
H_LL=fe80::5efe:c000:20a
for dst in fe80::5efe:c000:201 ff02::2; do
	if isatap "$NS_H" --router "$R_V4" --inner-src "$H_LL" --dst "$dst" --kind rs --hlim 255; then
		pass "RS to $dst answered with an RA"
		check_eq "RA inner source is the router's ISATAP link-local" "$(jget "$REPLY" reply.inner_src)" fe80::5efe:c000:201
		check_eq "RA advertises the ISATAP prefix" "$(jget "$REPLY" reply.prefixes.0)" 2001:db8:1:8000::/64
		check_eq "RA carries the MTU option" "$(jget "$REPLY" reply.mtu)" 1280
		check_eq "RA hop limit 255" "$(jget "$REPLY" reply.hlim)" 255
		check_eq "RA outer checksum valid" "$(jget "$REPLY" reply.outer_csum_ok)" true
		check_eq "RA ICMPv6 checksum valid" "$(jget "$REPLY" reply.l4_csum_ok)" true
	else
		fail "RS to $dst got no RA: $REPLY"
	fi
	sleep 1.1   # the per-host RA rate limit (1 s)
done
if isatap "$NS_H" --router "$R_V4B" --inner-src "$H_LL" --dst ff02::2 --kind rs --hlim 255; then
	check_eq "RS to the second cluster address: RA from its own link-local" \
		"$(jget "$REPLY" reply.inner_src)" fe80::5efe:c000:202
else
	fail "RS to $R_V4B got no RA: $REPLY"
fi
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_LL" --dst fe80::5efe:c000:201 --kind ns --hlim 255; then
	check_eq "NUD: NA with the router flag" "$(jget "$REPLY" reply.na_router)" true
else
	fail "NS for the router's link-local got no NA: $REPLY"
fi
snap
check_delta "RAs counted" rd_ra_sent 3 "$s0"
check_delta "NA counted" rd_na_sent 1 "$s0"
sleep 1.1
snap; s0=$STATUS_JSON
isatap "$NS_H" --router "$R_V4" --inner-src "$H_LL" --dst ff02::2 --kind rs --hlim 254 --timeout 1 &&
	fail "RS with hop limit 254 was answered" || pass "case 3: RS with hop limit 254 not answered"
N_LL=fe80::5efe:c000:242
isatap "$NS_N" --router "$R_V4" --inner-src "$N_LL" --dst ff02::2 --kind rs --hlim 255 --timeout 1 &&
	fail "non-member N got an RA" || pass "case 4: non-member N gets no RA"
snap
check_delta "malformed RS counted" rd_bad_rs 1 "$s0"
check_delta "non-member RS counted" drop_not_member 1 "$s0"

# --- BRIEF §6 case 6: member's ICMPv6 echo to D -----------------------------------
step "case 6/14: H pings D through the tunnel"
snap; s0=$STATUS_JSON
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind echo --hlim 64; then
	pass "H's ICMPv6 echo to $D_V6 got D's reply back through the tunnel"
	check_eq "reply outer source is the router" "$(jget "$REPLY" reply.outer_src)" "$R_V4"
	check_eq "reply outer destination is H" "$(jget "$REPLY" reply.outer_dst)" "$H_V4"
	check_eq "reply outer protocol 41" "$(jget "$REPLY" reply.proto)" 41
	check_eq "reply outer TTL 64" "$(jget "$REPLY" reply.ttl)" 64
	check_eq "reply outer DF clear (static MTU mode)" "$(jget "$REPLY" reply.df)" false
	check_eq "reply outer header checksum valid" "$(jget "$REPLY" reply.outer_csum_ok)" true
	check_eq "reply inner source is D" "$(jget "$REPLY" reply.inner_src)" "$D_V6"
	check_eq "reply inner hop limit decremented by R (64 -> 63)" "$(jget "$REPLY" reply.hlim)" 63
	check_eq "reply ICMPv6 checksum valid" "$(jget "$REPLY" reply.l4_csum_ok)" true
else
	fail "H's ICMPv6 echo to $D_V6 got no reply: $REPLY"
fi
req=$(grep -F "\"echo_request\": \"$(norm6 "$H_V6")\"" "$D_LOG" | tail -n 1)
check_eq "D received H's echo request with hop limit 63 (decremented by R)" "$(jget "$req" hlim)" 63
snap
dec0=$(($(ctr fwd_decap "$s0") + $(ctr kernel_decap_neigh "$s0")))
dec1=$(($(ctr fwd_decap) + $(ctr kernel_decap_neigh)))
check_ge "decapsulation counted (fwd_decap + kernel_decap_neigh)" $((dec1 - dec0)) 1
check_delta "encapsulation counted" fwd_encap 1 "$s0"

snap; s0=$STATUS_JSON
isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind echo ||
	fail "second echo got no reply: $REPLY"
snap
check_delta "second echo takes the XDP fast path (neighbour now resolved)" fwd_decap 1 "$s0"

step "case 6: H opens TCP to D port $D_PORT"
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport "$D_PORT"; then
	pass "H's TCP SYN got D's SYN-ACK back through the tunnel"
	check_eq "SYN-ACK outer source is the router" "$(jget "$REPLY" reply.outer_src)" "$R_V4"
	check_eq "SYN-ACK TCP checksum valid" "$(jget "$REPLY" reply.l4_csum_ok)" true
else
	fail "H's TCP SYN to [$D_V6]:$D_PORT got no SYN-ACK: $REPLY"
fi

step "case 2/7: second cluster address, 0200:5efe form"
if isatap "$NS_H" --router "$R_V4B" --inner-src "$H_V6" --dst "$D_V6"; then
	pass "echo sent to the second router address $R_V4B answered"
	o=$(jget "$REPLY" reply.outer_src)
	[[ $o == "$R_V4" || $o == "$R_V4B" ]] && pass "its outer source is a router address ($o)" ||
		fail "its outer source $o is not a router address"
else
	fail "echo sent to $R_V4B got no reply: $REPLY"
fi
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6_UBIT" --dst "$D_V6"; then
	pass "echo from the u-bit ISATAP form $H_V6_UBIT answered"
	check_eq "its reply goes to the u-bit form" "$(jget "$REPLY" reply.inner_dst)" "$H_V6_UBIT"
else
	fail "echo from $H_V6_UBIT got no reply: $REPLY"
fi

step "attach again: settings re-applied in place, membership kept"
check_rc "attach with the same settings again" 0 ig_attach
isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" &&
	pass "H still answered after the re-attach" || fail "H's echo after the re-attach got no reply: $REPLY"
check_contains "members list still shows H" "$(ig members list -j 2>&1)" "\"$H_V4(/32)?\""

# --- refusals -------------------------------------------------------------------
step "case 9: non-member N is refused"
snap; s0=$STATUS_JSON
isatap "$NS_N" --router "$R_V4" --inner-src "$N_V6" --dst "$D_V6" --timeout 1.5 &&
	fail "N's echo was answered: $REPLY" || pass "N's echo got nothing back"
isatap "$NS_N" --router "$R_V4" --inner-src "$N_V6" --dst "$D_V6" --kind syn --dport "$D_PORT" --timeout 1.5 &&
	fail "N's SYN was answered: $REPLY" || pass "N's TCP SYN got nothing back"
snap
check_delta "N's packets counted as not members" drop_not_member 2 "$s0"
d_saw "$N_V6" && fail "D received N's echo request" || pass "D never saw N's packets"

step "case 8: spoofed inner sources from H"
snap; s0=$STATUS_JSON
isatap "$NS_H" --router "$R_V4" --inner-src "$SPOOF_V6" --dst "$D_V6" --timeout 1.5 &&
	fail "spoofed source $SPOOF_V6 was answered: $REPLY" || pass "inner source embedding another IPv4 dropped"
isatap "$NS_H" --router "$R_V4" --inner-src "$OUTSIDE_V6" --dst "$D_V6" --timeout 1.5 &&
	fail "source outside the prefix $OUTSIDE_V6 was answered: $REPLY" || pass "inner source outside the ISATAP prefix dropped"
snap
check_delta "spoofed packets counted" drop_spoof 2 "$s0"
{ d_saw "$SPOOF_V6" || d_saw "$OUTSIDE_V6"; } && fail "D received a spoofed packet" ||
	pass "D never saw the spoofed packets"

step "case 11: inner hop limit 1"
snap; s0=$STATUS_JSON
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --hlim 1 --expect time-exceeded; then
	pass "hop limit 1: ICMPv6 Time Exceeded tunnelled back to H"
	check_eq "Time Exceeded from the router's ISATAP address" "$(jget "$REPLY" reply.inner_src)" \
		"$(norm6 2001:db8:1:8000::5efe:c000:201)"
	check_eq "Time Exceeded ICMPv6 checksum valid" "$(jget "$REPLY" reply.l4_csum_ok)" true
else
	fail "hop limit 1 got no Time Exceeded: $REPLY"
fi
d_saw_hlim0=$(grep -c '"hlim": 0' "$D_LOG" || true)
check_eq "D never saw a packet with hop limit 0" "$d_saw_hlim0" 0
snap
check_delta "Time Exceeded counted" icmp_time_exceeded 1 "$s0"

step "case 12: plain IPv4 to the router passes to the kernel"
snap; s0=$STATUS_JSON
check "H pings $R_V4 (ICMPv4, kernel answers)" nsx "$NS_H" ping -c1 -W2 -q "$R_V4"
snap
check_delta "counted as passed" pass_not_isatap4 1 "$s0"

step "case 15: D sends to a non-member and to the router's own ISATAP address"
snap; s0=$STATUS_JSON
nsx "$NS_D" ping -c1 -W1 -q "$N_V6" >/dev/null 2>&1 && fail "D's ping to non-member N answered" ||
	pass "D -> non-member N not delivered"
nsx "$NS_D" ping -c1 -W1 -q 2001:db8:1:8000::5efe:c000:201 >/dev/null 2>&1 &&
	fail "D's ping to R's own ISATAP address answered" || pass "D -> R's own ISATAP address not delivered"
snap
check_delta "non-member destination counted" drop_enc_not_member 1 "$s0"
check_delta "router-address destination counted (RFC 6324)" drop_enc_loop 1 "$s0"

# --- case 17: membership changes apply to the next packet ------------------------------
step "case 17: add N (as a subnet entry, $N_NET)"
MF=$(members_file members.hn "$H_V4" "$N_NET")
check_rc "members sync - (H, N's subnet from stdin)" 0 ig members sync - <"$MF"
isatap "$NS_N" --router "$R_V4" --inner-src "$N_V6" --dst "$D_V6" &&
	pass "N's next echo is answered" || fail "N's echo after being added got no reply: $REPLY"
check "D received N's echo request" d_saw "$N_V6"
isatap "$NS_N" --router "$R_V4" --inner-src "$N_V6" --dst "$D_V6" --kind syn --dport "$D_PORT" &&
	pass "N's next TCP SYN is answered" || fail "N's SYN after being added got no SYN-ACK: $REPLY"

step "case 17: remove H"
MF=$(members_file members.n "$N_NET")
check_rc "members sync (N's subnet only)" 0 ig members sync "$MF"
snap; s0=$STATUS_JSON
isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --timeout 1.5 &&
	fail "H's echo after removal was answered: $REPLY" || pass "H's next echo is refused"
nsx "$NS_D" ping -c1 -W1 -q "$H_V6" >/dev/null 2>&1 && fail "D's ping to removed H answered" ||
	pass "D -> removed H not delivered"
snap
check_delta "H counted as not a member" drop_not_member 1 "$s0"
check_delta "encapsulation to H refused" drop_enc_not_member 1 "$s0"

step "a malformed membership file changes nothing"
MF=$(members_file members.bad "$H_V4" "$N_NET" "192.0.2.300")
out=$(ig members sync "$MF" 2>&1)
check_eq "members sync of a malformed file exits 2" "$?" 2
check_contains "the error names FILE:LINE" "$out" "members\.bad:4"
isatap "$NS_N" --router "$R_V4" --inner-src "$N_V6" --dst "$D_V6" &&
	pass "N still admitted" || fail "N lost admission after a rejected sync: $REPLY"
isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --timeout 1.5 &&
	fail "H admitted by a rejected sync" || pass "H still refused"

# --- detach -------------------------------------------------------------------------
step "detach"
check_rc "isagate detach" 0 ig detach
check_rc "status after detach says not attached (exit 4)" 4 ig status -j
left=$(nsx "$NS_R" ip -d link show 2>/dev/null | grep -c 'prog/xdp')
check_eq "no XDP program left on R's interfaces" "$left" 0

lib_summary
