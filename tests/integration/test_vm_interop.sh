#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_vm_interop.sh - isagate against the Linux kernel's own ISATAP host.
#
# A small VM (Debian's kernel, sit in ISATAP mode, Debian's isatapd; built by
# tests/vm/build-image.sh, cached in build/vm) boots under qemu (TCG) with its
# NIC on a tap device bridged into the LAN namespace:
#
#   VM 192.0.2.10 (tap) ─┐
#                        LAN bridge br0 ── R lan0 192.0.2.1, .2 (isagate, IPv4 side)
#                                          R up0  2001:db8:ff::1 ── D 2001:db8:ff::2,
#                                                                     2001:db8:dac::100
#
# Run 1, the VM is a member: it must configure 2001:db8:1:8000::5efe:c000:20a
# from isagate's Router Advertisement, ping D and open a TCP connection to D.
# Run 2, the VM is not a member: no Router Advertisement, no address; the same
# address configured by hand gets no traffic through; isagate counts the
# refusals.  Prints "N passed, N failed"; "SKIP: reason" + exit 77 when qemu
# cannot run here at all.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$HERE/lib.sh"
# shellcheck source=tests/vm/lib.sh
source "$HERE/../vm/lib.sh"
lib_init igv
# The VM must go before the namespaces its tap lives in.
trap 'rc=$?; igvm_stop; (exit $rc); lib_cleanup' EXIT

T_START=$SECONDS
VM_MAC=52:54:00:c0:00:0a
VM_TAP="tap-vm"
VM_ADDR=2001:db8:1:8000:0:5efe:c000:20a/64   # as iproute2 prints it
R_LL=fe80::5efe:c000:201
BOOT_TIMEOUT=${IGVM_TIMEOUT:-150}   # seconds for one whole VM run (TCG is slow)

now() { date +%s.%N; }
secs() { # START END: END - START in seconds, "?" when either is unknown
	awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/) print "?"; else printf "%.1f", b - a }'
}

# counters_moved OLDJSON: the counters that moved since OLDJSON (from STATUS_JSON).
counters_moved() {
	"$PY" -c '
import json, sys
try:
    a = json.loads(sys.argv[1])["counters"]; b = json.loads(sys.argv[2])["counters"]
    print(" ".join("%s+%d" % (k, v["packets"] - a.get(k, {}).get("packets", 0))
                   for k, v in sorted(b.items()) if v["packets"] != a.get(k, {}).get("packets", 0)) or "none")
except Exception as e:
    print("unreadable (%s)" % e)
' "$1" "$STATUS_JSON"
}

why=$(igvm_unavailable) && skip "$why"

step "VM image (tests/vm/build-image.sh, cached in ${IGVM_DIR#"$IG_ROOT"/})"
out=$(igvm_build 2>&1) || die "building the VM image failed: ${out:0:2000}"
info "$(tail -n1 <<<"$out")"
pass "VM image ready ($(head -n1 "$IGVM_DIR/image.info"))"

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup two
# The VM takes H's address (192.0.2.10): unplug the namespace host H and make
# R forget H's MAC, so ARP for 192.0.2.10 finds the VM.
run "unplug H" nsx "$NS_H" ip link del eth0
run "R forgets H's MAC" nsx "$NS_R" ip neigh flush to "$H_V4"
run "tap $VM_TAP" nsx "$NS_LAN" ip tuntap add dev "$VM_TAP" mode tap
run "tap on the bridge" nsx "$NS_LAN" ip link set "$VM_TAP" master br0 up
remote_start
# R's kernel has no protocol-41 handler: without a raw socket it answers any
# tunnelled packet that reaches its stack with ICMP protocol unreachable.
bg_start "$NS_R" "$LIB_TMP/raw41.out" "$PY" -c \
	'import socket, time; s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 41); time.sleep(900)'
pass "topology up: LAN bridge with the VM's tap, R, D listening on TCP $D_PORT"

step "attach isagate on R"
out=$(ig_attach 2>&1) || die "isagate attach failed: ${out:0:2000}"
pass "isagate attach"

# vm_run NAME MEMBERS-FILE PARAMS...: one VM boot with a capture of the
# tunnelled traffic on the tap; sets CONSOLE, PCAP, T_VM0, T_ADDR.
vm_run() {
	local name=$1 mf=$2 cap rc
	shift 2
	check_rc "members sync ($name)" 0 ig members sync "$mf" ${VM_SYNC_ARGS:-}
	CONSOLE=$LIB_TMP/console.$name.log
	PCAP=$LIB_TMP/tap.$name.pcap
	# nsenter itself, not the nsx function: $! must be tcpdump's pid.
	nsenter --net="/run/netns/$NS_LAN" -- tcpdump -n -U -i "$VM_TAP" -w "$PCAP" 'ip proto 41' \
		>"$LIB_TMP/tcpdump.$name.out" 2>&1 &
	cap=$!
	LIB_PIDS+=("$cap")   # killed at cleanup if we never get to stop it
	wait_for 5 grep -q 'listening on' "$LIB_TMP/tcpdump.$name.out" || info "tcpdump on $VM_TAP did not say it listens"
	T_VM0=$(now)
	igvm_start "$NS_LAN" "$VM_TAP" "$CONSOLE" "$VM_MAC" igvm.ip="$H_V4/24" igvm.prl="$R_V4" \
		igvm.peer="$D_V6" igvm.port="$D_PORT" "$@" ||
		die "cannot start the VM"
	T_ADDR=
	if igvm_wait_line "$CONSOLE" '^IGVM ADDR ' "$BOOT_TIMEOUT" &&
		! tr -d '\r' <"$CONSOLE" | grep -q '^IGVM ADDR none'; then
		T_ADDR=$(now)   # host time the VM reported an address from an RA
	fi
	igvm_wait_line "$CONSOLE" '^IGVM DONE' "$BOOT_TIMEOUT"
	rc=$?
	case $rc in
	0) pass "VM run '$name' finished ($(secs "$T_VM0" "$(now)") s)" ;;
	1) fail "VM run '$name' did not finish within ${BOOT_TIMEOUT}s" ;;
	*) fail "VM run '$name': qemu exited before the VM said DONE: $(tail -n5 "$CONSOLE.qemu")" ;;
	esac
	igvm_wait_exit 15 || info "VM did not power off; killed"
	kill "$cap" 2>/dev/null
	wait "$cap" 2>/dev/null
	local keep=() p
	for p in "${LIB_PIDS[@]}"; do
		[[ $p == "$cap" ]] || keep+=("$p")
	done
	LIB_PIDS=("${keep[@]}")
	if ((rc != 0)) || [[ $(igvm_result "$CONSOLE" MODULES) != ok ]]; then
		info "VM console ($CONSOLE):"
		tr -d '\r' <"$CONSOLE" | tail -n 40 | sed 's/^/     | /'
	fi
	check_eq "VM: sit/ISATAP and NIC modules loaded" "$(igvm_result "$CONSOLE" MODULES)" ok
	check_contains "VM: isatapd created is0 and solicited the router" "$(tr -d '\r' <"$CONSOLE")" \
		"isatapd.*Soliciting $R_LL"
}

# pcap_times PCAP: "<count> <first time>" of router solicitations (133) and
# advertisements (134) in the capture, as RS_N RS_T RA_N RA_T.
pcap_times() {
	read -r RS_N RS_T RA_N RA_T < <(tcpdump -n -tt -v -r "$1" 2>/dev/null | awk -v vm="$H_V4" -v r="$R_V4" '
		/^[0-9]+\.[0-9]+ IP / { ts = $1; next }
		index($0, vm " > " r ":") && /router solicitation/ { if (!rs++) rst = ts }
		index($0, r " > " vm ":") && /router advertisement/ { if (!ra++) rat = ts }
		END { printf "%d %s %d %s\n", rs, (rst ? rst : "-"), ra, (rat ? rat : "-") }')
}

# The address the VM reported first (from an RA, or "none").
first_addr() { tr -d '\r' <"$CONSOLE" | sed -n 's/^IGVM ADDR \([^ ]*\).*/\1/p' | head -n1; }

# D's log spells addresses as Python's ipaddress does.
H_V6_LOG=$("$PY" -c 'import ipaddress, sys; print(ipaddress.IPv6Address(sys.argv[1]))' "$H_V6")
d_hits() { grep -c -- "\"$1\": \"$H_V6_LOG\"" "$D_LOG" 2>/dev/null; }

# --- run 1: the VM is a member ------------------------------------------------
step "run 1: the VM ($H_V4) is a member"
snap
s0=$STATUS_JSON
# isatapd sends three solicitations ~4 s apart, then pauses for 120 s: an RA
# that has not come after ~20 s will not come.
vm_run member "$(members_file members.vm "$H_V4   # the ISATAP host VM")" igvm.wait=25
snap
info "counters moved: $(counters_moved "$s0")"
pcap_times "$PCAP"
c=$(tr -d '\r' <"$CONSOLE")
check_eq "VM configured its ISATAP address from the RA" "$(first_addr)" "$VM_ADDR"
check_contains "VM: default route via the router's ISATAP link-local, learnt from the RA" \
	"$(igvm_result "$CONSOLE" ROUTE)" "^default via $R_LL dev is0 proto ra "
check_contains "VM: isatapd saw the RA with prefix ${ISATAP_PREFIX}" "$c" \
	"isatapd.*Prefix ${ISATAP_PREFIX%::/64}::/64"
check_eq "VM pinged D ($D_V6) through isagate" "$(igvm_result "$CONSOLE" PING | awk '{print $1}')" ok
check_eq "VM opened a TCP connection to D port $D_PORT" "$(igvm_result "$CONSOLE" TCP | awk '{print $1}')" ok
check_ge "D received the VM's echo requests from $H_V6" "$(d_hits echo_request)" 1 ||
	info "D's log ($D_LOG): $(tail -n 5 "$D_LOG" | tr '\n' ' ')"
req=$(grep -F "\"echo_request\": \"$H_V6_LOG\"" "$D_LOG" | tail -n 1)
check_eq "D: echo request hop limit 63 (VM's 64, decremented once by R)" "$(jget "$req" hlim)" 63
check_ge "D accepted the VM's TCP connection from $H_V6" "$(d_hits tcp_accept)" 1
check_ge "capture: the VM's RS tunnelled to $R_V4" "$RS_N" 1
check_ge "capture: isagate's RA tunnelled back to $H_V4" "$RA_N" 1
check_delta "isagate counted the RA" rd_ra_sent 1 "$s0"
check_delta "isagate decapsulated the VM's packets" fwd_decap 1 "$s0"
check_delta "isagate encapsulated D's replies" fwd_encap 1 "$s0"
check_nodelta "no refusal of a member" drop_not_member "$s0"
T1_BOOT=$(secs "$T_VM0" "$RS_T") T1_RA=$(secs "$RS_T" "$RA_T") T1_ADDR=$(secs "$RS_T" "$T_ADDR")
g_isatapd=$(igvm_result "$CONSOLE" ISATAPD)
g_addr=$(igvm_result "$CONSOLE" ADDR | awk '{print $2}')
info "capture: $RS_N RS, $RA_N RA"
info "timing: qemu start -> first RS ${T1_BOOT} s, first RS -> RA ${T1_RA} s, first RS -> address seen ${T1_ADDR} s" \
	"(guest uptime: init $(igvm_result "$CONSOLE" BOOT), isatapd $g_isatapd, address $g_addr)"

# --- run 2: the VM is not a member --------------------------------------------
step "run 2: the VM ($H_V4) is not a member"
snap
s1=$STATUS_JSON
e0=$(d_hits echo_request) a0=$(d_hits tcp_accept)
# Wait out isatapd's three solicitations (4 s apart), then configure the
# address by hand as a host pointing at the router without admission would.
VM_SYNC_ARGS=--force   # the empty file removes the VM on purpose
vm_run nonmember "$(members_file members.none)" igvm.wait=16 igvm.tmo=6 igvm.manual="$ISATAP_PREFIX"
snap
info "counters moved: $(counters_moved "$s1")"
pcap_times "$PCAP"
check_eq "VM got no address from isagate" "$(first_addr)" none
check_contains "VM: address configured by hand for the traffic checks" \
	"$(igvm_result "$CONSOLE" ADDR)" "^${VM_ADDR} .* manual$"
check_eq "non-member VM's ping to D fails" "$(igvm_result "$CONSOLE" PING | awk '{print $1}')" fail
check_eq "non-member VM's TCP connection to D fails" "$(igvm_result "$CONSOLE" TCP | awk '{print $1}')" fail
check_eq "D received no echo request from the non-member" "$(d_hits echo_request)" "$e0"
check_eq "D accepted no TCP connection from the non-member" "$(d_hits tcp_accept)" "$a0"
info "capture: $RS_N RS, $RA_N RA"
check_ge "capture: the VM solicited 3 times" "$RS_N" 3
check_eq "capture: no RA to the non-member" "$RA_N" 0
check_delta "isagate refused the non-member (RS, echo, SYN)" drop_not_member 5 "$s1"
check_nodelta "no RA sent to the non-member" rd_ra_sent "$s1"
check_nodelta "nothing decapsulated for the non-member" fwd_decap "$s1"
check_nodelta "nothing encapsulated to the non-member" fwd_encap "$s1"

info "timing: whole test $((SECONDS - T_START)) s"
lib_summary
