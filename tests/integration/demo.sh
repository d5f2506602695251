#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# demo.sh (make demo) - isagate's whole story on a throw-away topology built
# in network namespaces, narrated for an operator:
#
#   1. the router R gets isagate attached and a membership file synced;
#   2. a member - the Linux kernel's own ISATAP host (Debian's kernel, sit,
#      isatapd) in a small qemu VM - solicits the router, configures its
#      ISATAP address from isagate's Router Advertisement, pings the remote
#      IPv6 host D and opens TCP to it through the router;
#   3. a non-member N sends the same (router solicitation, echo, TCP SYN) and
#      is refused;
#   4. the manage-out policy; `isagate explain` on the non-member and on the
#      member whose RDP the remote laptop's firewall drops;
#   5. `isagate status` and `isagate members list`, as an operator reads them.
#
# When qemu cannot run here (or the VM image cannot be built), a namespace
# host H plays the member with a scripted ISATAP host (isatap_host.py), and
# the demo says that the VM part was skipped and why.
#
#   ISAGATE_DEMO_VM=auto (default) | yes (the VM is required) | no (namespace host only)
#   IGVM_TIMEOUT=150     seconds allowed for the whole VM run (boot, RA, ping, TCP)
#
# Exits 0 when every step worked, 1 otherwise (the failed steps say "not ok").
# Needs root; namespaces igd-$$-*, pins /sys/fs/bpf/igd-$$; leaves nothing behind.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$HERE/lib.sh"
# shellcheck source=tests/vm/lib.sh
source "$HERE/../vm/lib.sh"
lib_init igd
# The VM must go before the namespace its tap lives in.
trap 'rc=$?; igvm_stop; (exit $rc); lib_cleanup' EXIT

T0=$SECONDS
WANT_VM=${ISAGATE_DEMO_VM:-auto}
VM_MAC=52:54:00:c0:00:0a
VM_TAP="tap-vm"
VM_TIMEOUT=${IGVM_TIMEOUT:-150}   # seconds for the whole VM run (TCG is slow)
R_LL=fe80::5efe:c000:201          # the router's ISATAP link-local for 192.0.2.1
H_LL=fe80::5efe:c000:20a
N_LL=fe80::5efe:c000:242

case $WANT_VM in
auto | yes | no) ;;
*) die "ISAGATE_DEMO_VM=$WANT_VM: use auto, yes or no" ;;
esac

# --- narration helpers -----------------------------------------------------------

show() { # print a command as the operator would type it, run it in R, indent its output
	local rc
	printf '%s   $ isagate %s%s\n' "$C_DIM" "$*" "$C_0"
	ig "$@" 2>&1 | sed 's/^/   /'
	rc=${PIPESTATUS[0]}
	((rc == 0)) || printf '   (exit %d)\n' "$rc"
	return "$rc"
}

note() { printf '   %s\n' "$*"; }

# counter KEY OLDJSON MEANING: one counter's movement since OLDJSON (reads STATUS_JSON).
counter() {
	local a b
	a=$(ctr "$1" "$2")
	b=$(ctr "$1")
	if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]]; then
		printf '   %-19s %s%-4s%s total %-4s %s\n' "$1" "$C_B" "+$((b - a))" "$C_0" "$b" "$3"
	else
		printf '   %-19s unreadable (%s / %s)\n' "$1" "$a" "$b"
	fi
}

delta() { # KEY OLDJSON: how much KEY moved since OLDJSON ("ERR" when unreadable)
	local a b
	a=$(ctr "$1" "$2")
	b=$(ctr "$1")
	if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]]; then
		echo $((b - a))
	else
		echo ERR
	fi
}

# D's log spells addresses the way Python's ipaddress does.
d_hits() { # KIND ADDR: how many KIND lines (echo_request, tcp_accept) from ADDR D logged
	local n
	n=$(grep -c -- "\"$1\": \"$(norm6 "$2")\"" "$D_LOG" 2>/dev/null)
	echo "${n:-0}"
}

# --- which member: the VM or the namespace host ---------------------------------------

USE_VM=0
VM_WHY=
if [[ $WANT_VM != no ]]; then
	if VM_WHY=$(igvm_unavailable); then
		[[ $WANT_VM == yes ]] && die "ISAGATE_DEMO_VM=yes but the VM cannot run here: $VM_WHY"
	else
		USE_VM=1
		VM_WHY=
	fi
else
	VM_WHY="ISAGATE_DEMO_VM=no"
fi

if ((USE_VM)); then
	MEMBER="VM" THE_MEMBER="the VM"
	MEMBER_DESC="the Linux kernel's own ISATAP host (Debian kernel, sit, isatapd) in a qemu VM"
	MEMBER_NOTE="helpdesk PC (the Linux ISATAP host VM)"
else
	MEMBER="H" THE_MEMBER="H"
	MEMBER_DESC="the helpdesk PC, a scripted ISATAP host (isatap_host.py) in a namespace"
	MEMBER_NOTE="helpdesk PC H"
fi

cat <<EOF

${C_B}isagate demo${C_0} - selective ISATAP routing in XDP

  $(printf '%-3s' "$MEMBER") $H_V4  member        ─┐
                                 ├─ IPv4 LAN ─ R  $R_V4, $R_V4B  (isagate in XDP)
  N   $N_V4  not a member  ─┘              │
                                                └─ IPv6 ─ D  $D_V6  (remote laptop)

  $MEMBER: $MEMBER_DESC.
  N: another PC, not in the group (scripted ISATAP host).
  They speak ISATAP: IPv6 inside IPv4 (protocol 41) to the router; the ISATAP prefix is
  $ISATAP_PREFIX, so $THE_MEMBER's address is $H_V6.
  Namespaces $LIB_ID-*, pins in $PIN_DIR (all removed at the end).
EOF
if ((!USE_VM)); then
	printf '\n  %sThe Linux ISATAP host VM part is skipped: %s.%s\n' "$C_B" "$VM_WHY" "$C_0"
	note "H (a network namespace, isatap_host.py) plays the member instead."
fi
echo

# --- 0. the VM image --------------------------------------------------------------------
if ((USE_VM)); then
	step "0. the ISATAP host VM image"
	info "tests/vm/build-image.sh: Debian's kernel, sit, isatapd, busybox; cached in ${IGVM_DIR#"$IG_ROOT"/}"
	info "(the first run downloads the Debian packages; later runs reuse the cache)"
	if out=$(igvm_build 2>&1); then
		note "$(tail -n1 <<<"$out" | sed 's/^build-image: //')"
		note "$(head -n1 "$IGVM_DIR/image.info")"
		pass "VM image ready"
	else
		[[ $WANT_VM == yes ]] && die "building the VM image failed: $(tail -n5 <<<"$out")"
		USE_VM=0
		VM_WHY="the VM image could not be built ($(tail -n1 <<<"$out"))"
		MEMBER=H THE_MEMBER=H MEMBER_NOTE="helpdesk PC H"
		MEMBER_DESC="the helpdesk PC, a scripted ISATAP host (isatap_host.py) in a namespace"
		printf '   %sThe Linux ISATAP host VM part is skipped: %s.%s\n' "$C_B" "$VM_WHY" "$C_0"
		note "H (a network namespace, isatap_host.py) plays the member instead."
	fi
fi

# --- 1. topology ----------------------------------------------------------------------
step "1. build the topology"
topo_setup two
if ((USE_VM)); then
	# The VM takes H's address: unplug the namespace host H and make R forget
	# H's MAC, so ARP for 192.0.2.10 finds the VM on its tap.
	run "unplug H" nsx "$NS_H" ip link del eth0
	run "R forgets H's MAC" nsx "$NS_R" ip neigh flush to "$H_V4"
	run "tap $VM_TAP" nsx "$NS_LAN" ip tuntap add dev "$VM_TAP" mode tap
	run "tap on the bridge" nsx "$NS_LAN" ip link set "$VM_TAP" master br0 up
	# R's kernel has no protocol-41 handler: without a raw socket it would
	# answer tunnelled packets that reach its stack with ICMP unreachable.
	bg_start "$NS_R" "$LIB_TMP/raw41.out" "$PY" -c \
		'import socket, time; s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 41); time.sleep(900)'
	info "the VM's NIC is a tap on the LAN bridge; namespace H is unplugged (the VM has its address)"
fi
remote_start
info "D runs the real Linux IPv6 stack and listens on TCP $D_PORT (WinRM)"
pass "topology up"

# --- 2. attach ----------------------------------------------------------------------------
step "2. attach isagate to the router R"
printf '%s   $ isagate attach --ipv4-dev %s --ipv6-dev %s --router %s --router %s --prefix %s --mode native%s\n' \
	"$C_DIM" "$R_V4_DEV" "$R_V6_DEV" "$R_V4" "$R_V4B" "$ISATAP_PREFIX" "$C_0"
# shellcheck disable=SC2119
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
[[ -n $out ]] && printf '   %s\n' "${out//$'\n'/$'\n'   }"
pass "isagate attached: one XDP program on $R_V4_DEV (IPv4 side) and $R_V6_DEV (IPv6 side)"

# --- 3. membership ---------------------------------------------------------------------------
step "3. membership: only $THE_MEMBER ($H_V4)"
MF=$(members_file members.txt "$H_V4   # $MEMBER_NOTE")
sed 's/^/     | /' "$MF"
show members sync "$MF" || die "members sync failed"
pass "membership synced: $H_V4 is admitted, everyone else is not"

# --- 4. the member -------------------------------------------------------------------------------

# vm_stage REGEX: wait (within the VM's overall deadline) for a console line.
vm_stage() {
	local left=$((VM_DEADLINE - SECONDS)) rc
	((left > 0)) || left=1
	igvm_wait_line "$CONSOLE" "$1" "$left"
	rc=$?
	case $rc in
	0) return 0 ;;
	1) fail "the VM did not reach '$1' within ${VM_TIMEOUT}s" ;;
	*)
		if [[ -n $(igvm_result "$CONSOLE" ERROR) ]]; then
			fail "the VM stopped before '$1': $(igvm_result "$CONSOLE" ERROR)"
		else
			fail "qemu exited before the VM reached '$1': $(tail -n3 "$CONSOLE.qemu" 2>/dev/null)"
		fi
		;;
	esac
	VM_BROKEN=1
	return 1
}

console() { tr -d '\r' <"$CONSOLE"; }

member_vm() {
	local s0 addr t r p tcp f0=$LIB_FAILED n
	CONSOLE=$LIB_TMP/console.log
	VM_BROKEN=0
	snap
	s0=$STATUS_JSON

	step "4. the member: Linux's own ISATAP host boots and solicits the router"
	info "qemu (software emulation) boots Debian's kernel; init loads sit, starts isatapd with"
	info "potential router $R_V4; isatapd creates the ISATAP interface is0 and sends Router Solicitations"
	info "(t+N s: seconds since qemu started; software emulation takes ~15 s to boot)"
	VM_DEADLINE=$((SECONDS + VM_TIMEOUT))
	igvm_start "$NS_LAN" "$VM_TAP" "$CONSOLE" "$VM_MAC" igvm.ip="$H_V4/24" igvm.prl="$R_V4" \
		igvm.peer="$D_V6" igvm.port="$D_PORT" igvm.wait=25 || die "cannot start the VM"
	t=$SECONDS
	if vm_stage '^IGVM BOOT '; then
		note "t+$((SECONDS - t))s  VM: kernel up, init running"
	fi
	if ((!VM_BROKEN)) && vm_stage '^IGVM (ISATAPD|ERROR|MODULES fail)'; then
		if [[ -n $(igvm_result "$CONSOLE" ERROR) || $(igvm_result "$CONSOLE" MODULES) != ok ]]; then
			fail "VM setup failed: $(igvm_result "$CONSOLE" ERROR) $(igvm_result "$CONSOLE" MODULES)"
			VM_BROKEN=1
		else
			note "t+$((SECONDS - t))s  VM: sit, tunnel4, e1000 loaded; isatapd started"
		fi
	fi

	if ((!VM_BROKEN)) && vm_stage '^IGVM ADDR '; then
		addr=$(igvm_result "$CONSOLE" ADDR | awk '{print $1}')
		snap
		console | grep -E '^isatapd: .*(Soliciting|Prefix|[Rr]outer)' | head -n 4 | sed 's/^/   | /'
		if [[ $addr != none ]]; then
			note "t+$((SECONDS - t))s  VM: is0 configured ${C_B}$addr${C_0} from isagate's Router Advertisement"
			pass "the VM got its ISATAP address from isagate's RA"
		else
			fail "the VM got no address: no Router Advertisement within 25 s"
			n=$(delta drop_not_member "$s0")
			[[ $n =~ ^[1-9] ]] &&
				note "isagate refused $n packet(s) as drop_not_member: is $H_V4 in the membership file?"
		fi
		counter rd_ra_sent "$s0" "Router Solicitations answered with an RA (built in XDP, sent back with XDP_TX)"
		[[ $(delta rd_ra_sent "$s0") =~ ^[1-9] ]] || fail "rd_ra_sent did not move"
	fi

	if ((!VM_BROKEN)) && vm_stage '^IGVM ROUTE '; then
		r=$(igvm_result "$CONSOLE" ROUTE)
		note "VM: default route: $r"
		check_contains "the VM's default route points at the router's ISATAP link-local $R_LL" \
			"$r" "^default via $R_LL dev is0"
	fi

	step "5. the member pings D and opens TCP to it through the router"
	info "the VM's packets leave is0 as IPv4 protocol 41 to $R_V4; isagate decapsulates them in XDP,"
	info "looks the route up in R's FIB and redirects them to $R_V6_DEV; D's answers are encapsulated back"
	if ((!VM_BROKEN)) && vm_stage '^IGVM (PING|DONE)'; then
		console | grep -E 'bytes from|packets transmitted' | sed 's/^/   | /'
		p=$(igvm_result "$CONSOLE" PING | awk '{print $1}')
		check_eq "VM: ping6 $D_V6 answered through isagate" "${p:-none}" ok
	fi
	if ((!VM_BROKEN)) && vm_stage '^IGVM (TCP|DONE)'; then
		tcp=$(igvm_result "$CONSOLE" TCP)
		note "VM: nc $D_V6 $D_PORT -> $(case ${tcp%% *} in ok) echo connected ;; "") echo "no result" ;; *) echo "$tcp" ;; esac)"
		check_eq "VM: TCP connection to [$D_V6]:$D_PORT established" "${tcp%% *}" ok
	fi
	if ((!VM_BROKEN)) && vm_stage '^IGVM DONE'; then
		igvm_wait_exit 15 || info "the VM did not power off; stopped"
		note "t+$((SECONDS - t))s  VM: done, powered off"
	fi
	igvm_stop
	note "D saw $(d_hits echo_request "$H_V6") echo request(s) and $(d_hits tcp_accept "$H_V6") TCP connection(s) from $H_V6"
	snap
	counter fwd_decap "$s0" "member -> D: decapsulated in XDP, redirected to the IPv6 side"
	counter kernel_decap_neigh "$s0" "decapsulated, D's neighbour entry not yet resolved: handed to the kernel"
	counter fwd_encap "$s0" "D -> member: encapsulated in XDP, redirected to the IPv4 side"
	counter drop_not_member "$s0" "refused: outer IPv4 source not a member (none expected here)"
	check_ge "isagate decapsulated the member's traffic" \
		$(($(delta fwd_decap "$s0") + $(delta kernel_decap_neigh "$s0"))) 1
	check_ge "isagate encapsulated D's replies" "$(delta fwd_encap "$s0")" 1
	check_eq "no refusal of the member" "$(delta drop_not_member "$s0")" 0
	if ((VM_BROKEN || LIB_FAILED > f0)); then
		info "VM console, last lines:"
		console | tail -n 30 | sed 's/^/     | /'
	fi
}

member_ns() {
	local s0 i ok=0 pfx
	step "4. the member solicits the router"
	info "H sends a Router Solicitation from $H_LL to ff02::2, tunnelled to $R_V4"
	snap
	s0=$STATUS_JSON
	if isatap "$NS_H" --router "$R_V4" --inner-src "$H_LL" --dst ff02::2 --kind rs --hlim 255; then
		pfx=$(jget "$REPLY" reply.prefixes)
		note "H: Router Advertisement from $(jget "$REPLY" reply.inner_src) (tunnelled from $(jget "$REPLY" reply.outer_src))"
		note "    prefix ${C_B}$(jget "$REPLY" reply.prefixes.0)${C_0}, router lifetime $(jget "$REPLY" reply.router_lifetime) s, MTU $(jget "$REPLY" reply.mtu)"
		note "    H configures $H_V6 and a default route via $R_LL"
		check_contains "H got an RA advertising $ISATAP_PREFIX" "$pfx" "\"$ISATAP_PREFIX\""
	else
		fail "H's Router Solicitation got no Router Advertisement: $REPLY"
	fi
	snap
	counter rd_ra_sent "$s0" "Router Solicitations answered with an RA (built in XDP, sent back with XDP_TX)"

	step "5. the member pings D and opens TCP to it through the router"
	info "H's packets are IPv4 protocol 41 to $R_V4; isagate decapsulates them in XDP, looks the"
	info "route up in R's FIB and redirects them to $R_V6_DEV; D's answers are encapsulated back"
	snap
	s0=$STATUS_JSON
	for i in 1 2 3; do
		if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6"; then
			ok=$((ok + 1))
			note "H: echo reply from $(jget "$REPLY" reply.inner_src), hop limit $(jget "$REPLY" reply.hlim), tunnelled from $(jget "$REPLY" reply.outer_src)"
		else
			note "H: echo $i - no reply"
		fi
	done
	check_eq "H: 3 of 3 echo requests to $D_V6 answered" "$ok" 3
	if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport "$D_PORT"; then
		note "H: TCP SYN to [$D_V6]:$D_PORT answered with $(jget "$REPLY" reply.tcp_flags) (SYN-ACK)"
		pass "H: TCP connection to [$D_V6]:$D_PORT answered"
	else
		fail "H: TCP SYN to [$D_V6]:$D_PORT got no SYN-ACK: $REPLY"
	fi
	snap
	counter fwd_decap "$s0" "member -> D: decapsulated in XDP, redirected to the IPv6 side"
	counter kernel_decap_neigh "$s0" "decapsulated, D's neighbour entry not yet resolved: handed to the kernel"
	counter fwd_encap "$s0" "D -> member: encapsulated in XDP, redirected to the IPv4 side"
	check_ge "isagate decapsulated H's traffic" \
		$(($(delta fwd_decap "$s0") + $(delta kernel_decap_neigh "$s0"))) 4
	check_ge "isagate encapsulated D's replies" "$(delta fwd_encap "$s0")" 4
}

if ((USE_VM)); then
	member_vm
else
	member_ns
fi

# --- 6. the non-member ------------------------------------------------------------------------
step "6. the non-member N ($N_V4) tries the same"
info "N sends a Router Solicitation, an echo request and a TCP SYN, each tunnelled to $R_V4"
snap
s0=$STATUS_JSON
e0=$(d_hits echo_request "$N_V6")
isatap "$NS_N" --router "$R_V4" --inner-src "$N_LL" --dst ff02::2 --kind rs --hlim 255 --timeout 1
rs_rc=$? rs_reply=$REPLY
note "N: router solicitation -> $( ((rs_rc == 0)) && echo "RA (should not be)" || echo "no RA: N cannot configure an ISATAP address")"
isatap "$NS_N" --router "$R_V4" --inner-src "$N_V6" --dst "$D_V6" --timeout 1
echo_rc=$?
note "N: echo request to $D_V6 -> $( ((echo_rc == 0)) && echo "answered (should not be)" || echo "no reply")"
isatap "$NS_N" --router "$R_V4" --inner-src "$N_V6" --dst "$D_V6" --kind syn --dport "$D_PORT" --timeout 1
syn_rc=$?
note "N: TCP SYN to [$D_V6]:$D_PORT -> $( ((syn_rc == 0)) && echo "answered (should not be)" || echo "no answer")"
snap
counter drop_not_member "$s0" "refused in XDP: outer IPv4 source is not a member"
counter rd_ra_sent "$s0" "no Router Advertisement for a non-member"
counter fwd_decap "$s0" "nothing of N's reaches the IPv6 side"
if ((rs_rc != 0)); then
	pass "non-member N got no Router Advertisement"
else
	fail "non-member N got a Router Advertisement: $rs_reply"
fi
if ((echo_rc != 0 && syn_rc != 0)); then
	pass "non-member N's echo and SYN got nothing back"
else
	fail "non-member N's traffic was answered"
fi
check_eq "D never saw N's packets" "$(d_hits echo_request "$N_V6")" "$e0"
check_ge "N's three packets counted as drop_not_member" "$(delta drop_not_member "$s0")" 3
check_eq "no RA sent to N" "$(delta rd_ra_sent "$s0")" 0

# --- 7. the manage-out policy ---------------------------------------------------------------------
step "7. the manage-out policy: what members may do"
info "membership says who may use the tunnel; a policy says what: deploy/policy.txt allows the"
info "usual manage-out set (ping, RDP, WinRM, SMB, RPC, remote control) from members to the"
info "clients, and only ping from the clients to members; everything else is refused with an"
info "ICMPv6 administratively prohibited"
show policy sync "$IG_ROOT/deploy/policy.txt" || fail "isagate policy sync failed"
snap
s0=$STATUS_JSON
info "D (the remote laptop, real Linux stack) pings $THE_MEMBER, then opens TCP to its port 3389"
nsx "$NS_D" ping -6 -c1 -W1 -I "$D_V6" "$H_V6" >/dev/null 2>&1   # no answer needed: counted at R
out=$(tcp_connect "$NS_D" "$H_V6" 3389 3)
note "D: ping $H_V6 -> allowed by 'ping-in', tunnelled to $THE_MEMBER"
note "D: TCP connect to [$H_V6]:3389 -> ${out:-no result} ($( [[ $out == EACCES ]] && echo "administratively prohibited: no 'in' rule for it"))"
snap
counter fwd_encap "$s0" "D -> member: the allowed ping, encapsulated"
counter drop_enc_no_neigh "$s0" "(or: the powered-off member's IPv4 neighbour no longer answers)"
counter policy_reject "$s0" "refused by the policy, answered with administratively prohibited"
# the rule's own counter: whether the (powered-off) member's IPv4 neighbour is
# still resolved decides between fwd_encap and drop_enc_no_neigh, not the policy
pin=$(ig policy list -j 2>/dev/null)
admitted=$("$PY" -c 'import json, sys
try:
    print(sum(r["conns"] for r in json.loads(sys.argv[1])["rules"] if r["name"] == "ping-in"))
except Exception:
    print(0)' "$pin")
check_ge "D's ping to $THE_MEMBER admitted by the policy (rule ping-in)" "$admitted" 1
check_eq "D's connect() to $THE_MEMBER:3389 refused (EACCES)" "${out:-none}" EACCES
show policy list || fail "isagate policy list failed"

# --- 8. isagate explain ---------------------------------------------------------------------------
step "8. isagate explain: \"why does this host get no IPv6?\", \"why does RDP time out?\""
info "the non-member N asked for a router in step 6 and got nothing; explain says why:"
show explain "$N_V4"
rc=$?
check_eq "explain N: not admitted (exit 7)" "$rc" 7
if ((USE_VM)); then
	# the VM is off: the namespace host H takes its address back for this step
	lan_host "$NS_H" eth0 p-h "$H_V4/24"
	nsx "$NS_R" ip neigh flush to "$H_V4" >/dev/null 2>&1
	info "(the VM is off: namespace H, plugged in again with $H_V4, plays the member here)"
fi
info "the remote laptop D's own firewall drops inbound RDP (nft in D: tcp dport 3389 drop);"
info "the policy allows RDP out, so the member's SYNs are forwarded and nothing comes back:"
d_firewall 3389 || fail "nft in D failed"
if one_way_tcp 3389; then
	note "H: TCP SYNs to [$D_V6]:3389 for 4.5 s -> no answer"
else
	fail "an answer to RDP came through D's firewall"
fi
show explain "$H_V4"
rc=$?
check_eq "explain $H_V4: admitted, but one conversation is one-way (exit 3)" "$rc" 3
out=$(ig explain "$H_V4" -j 2>&1)
check_contains "explain names the unanswered RDP conversation" "$out" "unanswered: tcp $D_V6 port 3389"
d_firewall off

# --- 9. what the operator sees ------------------------------------------------------------------
step "9. what the operator sees"
show status || fail "isagate status failed"
echo
show members list || fail "isagate members list failed"

# --- the end -------------------------------------------------------------------------------------
step "10. clean up"
info "isagate detach, then the namespaces, background helpers and $PIN_DIR are removed"
echo
if ((USE_VM)); then
	how="the Linux ISATAP host VM got its address from isagate and reached D"
else
	how="the member H (scripted) got an RA and reached D"
fi
if lib_summary; then
	say "${C_OK}Demo complete${C_0} in $((SECONDS - T0)) s: $how; the non-member was refused and counted;"
	say "the manage-out policy admitted D's ping to the member and refused its TCP connection;"
	say "isagate explain said why N gets nothing and named the member's one-way RDP conversation."
	((USE_VM)) || say "(The Linux ISATAP host VM part was skipped: $VM_WHY.)"
else
	say "${C_BAD}Demo failed${C_0} after $((SECONDS - T0)) s: see the 'not ok' lines above."
	exit 1
fi
