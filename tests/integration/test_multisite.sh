#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_multisite.sh - multisite Manage Out: two isagate routers ("sites") on
# one IPv4 LAN, one Linux ISATAP host (the VM of tests/vm) that hears both and
# sends each site's remote prefix to the router that serves it (RFC 4191 route
# information options, docs/multisite.md).
#
#                              ┌─ A lan0 192.0.2.1 (isagate) A up0 2001:db8:fa::1 ── DA 2001:db8:da1::100
#   VM 192.0.2.10 (tap) ── LAN bridge br0
#                              └─ B lan0 192.0.2.3 (isagate) B up0 2001:db8:fb::1 ── DB 2001:db8:da2::100
#
# Both routers advertise the same ISATAP prefix 2001:db8:1:8000::/64 with
# router lifetime 0 (neither is a default router); A adds the route
# 2001:db8:da1::/64, B 2001:db8:da2::/64 (B's settings come from an INI file),
# both with a 20 s route lifetime.  The VM's potential router list holds both.
#
# Run 1, the VM is a member of both: it must install both routes, reach DA
# (ping, TCP) through A and DB through B only (the capture on its tap shows
# every tunnelled packet's router, the per-router counters move on the right
# router).  Then site A's router is detached: the VM's route to DA must expire
# within the route lifetime while DB stays reachable through B.
# Run 2, the VM is a member of neither: no address, and with the address and
# both routes configured by hand it reaches neither site.
#
# Prints "N passed, N failed"; "SKIP: reason" + exit 77 when qemu cannot run.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$HERE/lib.sh"
# shellcheck source=tests/vm/lib.sh
source "$HERE/../vm/lib.sh"
lib_init igm
PIN_A=/sys/fs/bpf/$LIB_ID-a
PIN_B=/sys/fs/bpf/$LIB_ID-b
NS_A='' NS_B='' NS_DA='' NS_DB=''

# Both routers leave through the CLI (the operator's path), the VM before the
# namespaces its tap lives in, then lib_cleanup removes the rest.
ms_cleanup() {
	local ns pin
	for ns in A B; do
		pin=PIN_$ns
		ns=NS_$ns
		if [[ -n ${!ns} && -e ${!pin} && -e /run/netns/${!ns} ]]; then
			nsenter --net="/run/netns/${!ns}" -- "$ISAGATE" detach --pin-dir "${!pin}" >/dev/null 2>&1 ||
				info "cleanup: 'isagate detach --pin-dir ${!pin}' failed (pins removed by hand)"
		fi
		[[ -e ${!pin} ]] && rm -rf -- "${!pin}"
	done
}
trap 'rc=$?; igvm_stop; ms_cleanup; (exit $rc); lib_cleanup' EXIT

T_START=$SECONDS
VM_MAC=52:54:00:c0:00:0a
VM_TAP="tap-vm"
VM_V4=192.0.2.10
VM_ADDR=2001:db8:1:8000:0:5efe:c000:20a/64   # as iproute2 prints it
A_V4=192.0.2.1
B_V4=192.0.2.3
A_LL=fe80::5efe:c000:201
B_LL=fe80::5efe:c000:203
DA_NET=2001:db8:da1::/64
DB_NET=2001:db8:da2::/64
DA_V6=2001:db8:da1::100
DB_V6=2001:db8:da2::100
ROUTE_LT=20                         # s: site failover time, kept short for the test
BOOT_TIMEOUT=${IGVM_TIMEOUT:-150}   # seconds for one whole VM run (TCG is slow)

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/) print "?"; else printf "%.1f", b - a }'; }

iga() { nsx "$NS_A" "$ISAGATE" "$@" --pin-dir "$PIN_A"; }
igb() { nsx "$NS_B" "$ISAGATE" "$@" --pin-dir "$PIN_B"; }

# snap_ab: both routers' `status -j` into SA and SB.
snap_ab() {
	SA=$(iga status -j 2>&1) || { fail "site A: status -j failed: ${SA:0:300}"; SA='{}'; }
	SB=$(igb status -j 2>&1) || { fail "site B: status -j failed: ${SB:0:300}"; SB='{}'; }
}
snap_b() { SB=$(igb status -j 2>&1) || { fail "site B: status -j failed: ${SB:0:300}"; SB='{}'; }; }
# delta SITE KEY OLDJSON: how far counter KEY of SITE (A|B) moved since OLDJSON.
delta() {
	local cur=S$1 a b
	a=$(ctr "$2" "$3")
	b=$(ctr "$2" "${!cur}")
	[[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && echo $((b - a)) || echo "ERR($a,$b)"
}

# Console helpers: the fields after "IGVM KEY " of the last line naming PEER
# (a whole word), with PEER itself left out.
vm_peer() {
	tr -d '\r' <"$CONSOLE" | sed -n "s/^IGVM $1 //p" |
		awk -v p="$2" '{ for (i = 1; i <= NF; i++) if ($i == p) { $i = ""; l = $0 } } END { print l }' |
		sed 's/^ *//; s/  */ /g'
}
vm_lines() { tr -d '\r' <"$CONSOLE" | sed -n "s/^IGVM $1 //p"; }

why=$(igvm_unavailable) && skip "$why"

step "VM image (tests/vm/build-image.sh, cached in ${IGVM_DIR#"$IG_ROOT"/})"
out=$(igvm_build 2>&1) || die "building the VM image failed: ${out:0:2000}"
info "$(tail -n1 <<<"$out")"
pass "VM image ready ($(head -n1 "$IGVM_DIR/image.info"))"

# --- topology -------------------------------------------------------------------
step "topology: namespaces $LIB_ID-*, pins $PIN_A and $PIN_B"
ns_add NS_LAN lan
ns_add NS_A a
ns_add NS_B b
ns_add NS_DA da
ns_add NS_DB db
v4_only "$NS_LAN"
run "bridge" nsx "$NS_LAN" ip link add br0 type bridge
run "bridge up" nsx "$NS_LAN" ip link set br0 up
run "tap $VM_TAP" nsx "$NS_LAN" ip tuntap add dev "$VM_TAP" mode tap
run "tap on the bridge" nsx "$NS_LAN" ip link set "$VM_TAP" master br0 up

# site NS V4 PORT NET6 DNS REMOTE-NET: router NS on the LAN (lan0 = V4), its
# IPv6 side up0 = NET6::1 to the remote namespace DNS (eth0 = NET6::2, lo =
# the remote host's address in REMOTE-NET).
site() {
	local ns=$1 v4=$2 port=$3 net6=$4 dns=$5 rnet=$6 raddr=$7
	lan_host "$ns" lan0 "$port" "$v4/24"
	# isagate redirects into lan0 and up0: their peers need an XDP program.
	run "xdp_pass on LAN/$port" nsx "$NS_LAN" ip link set dev "$port" xdpdrv obj "$XDP_PASS_OBJ" sec xdp
	run "veth $ns/up0-$dns/eth0" nsx "$ns" ip link add up0 type veth peer name eth0 netns "$dns"
	run "$ns up0 up" nsx "$ns" ip link set up0 up
	run "$dns eth0 up" nsx "$dns" ip link set eth0 up
	run "xdp_pass on $dns/eth0" nsx "$dns" ip link set dev eth0 xdpdrv obj "$XDP_PASS_OBJ" sec xdp
	run "$dns: checksums in software" nsx "$dns" ethtool -K eth0 tx off
	run "$ns IPv6 address" nsx "$ns" ip addr add "${net6}1/64" dev up0 nodad
	run "$dns IPv6 address" nsx "$dns" ip addr add "${net6}2/64" dev eth0 nodad
	run "$dns remote address" nsx "$dns" ip addr add "$raddr/64" dev lo nodad
	run "$dns default route" nsx "$dns" ip -6 route add default via "${net6}1" dev eth0
	run "$ns route to $rnet" nsx "$ns" ip -6 route add "$rnet" via "${net6}2" dev up0
	run "$ns forwarding" nsx "$ns" sysctl -qw net.ipv4.conf.all.forwarding=1 \
		net.ipv6.conf.all.forwarding=1
	wait_for 5 nsx "$ns" ping -c1 -W1 -q "$raddr" || die "$ns cannot ping $raddr over its IPv6 link"
	# The router's kernel has no protocol-41 handler: without a raw socket it
	# answers tunnelled packets that reach its stack (e.g. once isagate is
	# detached) with ICMP protocol unreachable.
	bg_start "$ns" "$LIB_TMP/raw41.$port.out" "$PY" -c \
		'import socket, time; s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 41); time.sleep(900)'
}
site "$NS_A" "$A_V4" p-a 2001:db8:fa:: "$NS_DA" "$DA_NET" "$DA_V6"
site "$NS_B" "$B_V4" p-b 2001:db8:fb:: "$NS_DB" "$DB_NET" "$DB_V6"

# remote NS LOG: a TCP listener on D_PORT and a log of echo requests.
remote() {
	bg_start "$1" "$2.out" "$PY" "$ISATAP_HOST" remote --tcp-port "$D_PORT" --log "$2" --lifetime 900
	wait_for 5 grep -q '"ready"' "$2" || die "remote helper in $1 did not start: $(cat "$2.out" 2>/dev/null)"
}
DA_LOG=$LIB_TMP/da.log
DB_LOG=$LIB_TMP/db.log
remote "$NS_DA" "$DA_LOG"
remote "$NS_DB" "$DB_LOG"
pass "topology up: LAN bridge with the VM's tap, site A ($A_V4 -> DA $DA_V6), site B ($B_V4 -> DB $DB_V6)"

# --- settings: command line, INI file, refusals -----------------------------------
step "isagate on both sites"
ISATAP_P=$ISATAP_PREFIX
attach_a() {
	iga attach --ipv4-dev lan0 --ipv6-dev up0 --router "$A_V4" --prefix "$ISATAP_P" --mode native \
		--ra-lifetime 0 --route "$DA_NET" --route-lifetime "$ROUTE_LT" --route-preference medium
}
check_rc "bad route (host bits set) refused, exit 2" 2 \
	iga attach --ipv4-dev lan0 --ipv6-dev up0 --router "$A_V4" --prefix "$ISATAP_P" \
	--route 2001:db8:da1::1/64
check_rc "route inside the ISATAP prefix refused, exit 2" 2 \
	iga attach --ipv4-dev lan0 --ipv6-dev up0 --router "$A_V4" --prefix "$ISATAP_P" \
	--route 2001:db8:1:8000::/80
check_rc "route preference 'urgent' refused, exit 2" 2 \
	iga attach --ipv4-dev lan0 --ipv6-dev up0 --router "$A_V4" --prefix "$ISATAP_P" \
	--route "$DA_NET" --route-preference urgent
check_eq "nothing attached by the refused commands" "$(ls -A "$PIN_A" 2>/dev/null)" ""
out=$(attach_a 2>&1) || die "site A: isagate attach failed: ${out:0:2000}"
pass "site A attached (command line: --ra-lifetime 0 --route $DA_NET --route-lifetime $ROUTE_LT)"
CONF_B=$LIB_TMP/site-b.conf
cat >"$CONF_B" <<EOF
# site B ($LIB_ID)
[router]
ipv4-dev = lan0
ipv6-dev = up0
router = $B_V4
prefix = $ISATAP_P
mode = native
[ra]
router-lifetime = 0
route = $DB_NET
route-preference = medium
route-lifetime = $ROUTE_LT
EOF
out=$(igb attach --config "$CONF_B" 2>&1) || die "site B: isagate attach --config failed: ${out:0:2000}"
pass "site B attached (INI file: [ra] router-lifetime = 0, route = $DB_NET)"

snap_ab
check_eq "site A status -j: advertised routes (decoded from ra_tmpl)" \
	"$(jget "$SA" settings.ra.routes)" \
	"[{\"prefix\": \"$DA_NET\", \"preference\": \"medium\", \"lifetime\": $ROUTE_LT}]"
check_eq "site B status -j: advertised routes" "$(jget "$SB" settings.ra.routes)" \
	"[{\"prefix\": \"$DB_NET\", \"preference\": \"medium\", \"lifetime\": $ROUTE_LT}]"
check_eq "site A status -j: not a default router" "$(jget "$SA" settings.ra.default_router)" false
check_contains "site A status: route line" "$(iga status 2>&1)" \
	"route +$DA_NET \(preference medium, lifetime $ROUTE_LT s\)"

# --- VM runs ------------------------------------------------------------------------
# vm_start NAME PARAMS...: boot the VM with a capture of the tunnelled traffic
# on its tap; sets CONSOLE, PCAP, CAP_PID, T_VM0.
vm_start() {
	local name=$1
	shift
	CONSOLE=$LIB_TMP/console.$name.log
	PCAP=$LIB_TMP/tap.$name.pcap
	nsenter --net="/run/netns/$NS_LAN" -- tcpdump -n -U -i "$VM_TAP" -w "$PCAP" 'ip proto 41' \
		>"$LIB_TMP/tcpdump.$name.out" 2>&1 &
	CAP_PID=$!
	LIB_PIDS+=("$CAP_PID")
	wait_for 5 grep -q 'listening on' "$LIB_TMP/tcpdump.$name.out" || info "tcpdump on $VM_TAP did not say it listens"
	T_VM0=$(now)
	igvm_start "$NS_LAN" "$VM_TAP" "$CONSOLE" "$VM_MAC" igvm.ip="$VM_V4/24" \
		igvm.prl="$A_V4,$B_V4" igvm.peer="$DA_V6,$DB_V6" igvm.port="$D_PORT" igvm.rtinfo=64 "$@" ||
		die "cannot start the VM"
}

# vm_finish NAME: wait for the VM to end, stop the capture.
vm_finish() {
	local name=$1 rc p keep=()
	igvm_wait_line "$CONSOLE" '^IGVM DONE' "$BOOT_TIMEOUT"
	rc=$?
	case $rc in
	0) pass "VM run '$name' finished ($(secs "$T_VM0" "$(now)") s)" ;;
	1) fail "VM run '$name' did not finish within ${BOOT_TIMEOUT}s" ;;
	*) fail "VM run '$name': qemu exited before the VM said DONE: $(tail -n5 "$CONSOLE.qemu")" ;;
	esac
	igvm_wait_exit 15 || info "VM did not power off; killed"
	kill "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	for p in "${LIB_PIDS[@]}"; do [[ $p == "$CAP_PID" ]] || keep+=("$p"); done
	LIB_PIDS=("${keep[@]}")
	if ((rc != 0)) || [[ $(igvm_result "$CONSOLE" MODULES) != ok ]]; then
		info "VM console ($CONSOLE):"
		tr -d '\r' <"$CONSOLE" | tail -n 50 | sed 's/^/     | /'
	fi
	check_eq "VM: sit/ISATAP and NIC modules loaded" "$(igvm_result "$CONSOLE" MODULES)" ok
}

# by_router PCAP: "<to A, for DA> <to B, for DB> <wrong router>" counts of the
# VM's tunnelled packets (outer destination vs inner destination's site).
by_router() {
	"$PY" - "$1" "$VM_V4" "$A_V4" "$B_V4" <<'EOF' 2>/dev/null || echo "ERR ERR ERR"
import ipaddress, logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import rdpcap
from scapy.layers.inet import IP
from scapy.layers.inet6 import IPv6
pcap, vm, ra, rb = sys.argv[1:5]
da, db = ipaddress.ip_network("2001:db8:da1::/64"), ipaddress.ip_network("2001:db8:da2::/64")
good_a = good_b = wrong = 0
for p in rdpcap(pcap):
    if IP not in p or IPv6 not in p or p[IP].src != vm:
        continue
    dst = ipaddress.ip_address(p[IPv6].dst)
    if dst in da:
        good_a += p[IP].dst == ra
        wrong += p[IP].dst != ra
    elif dst in db:
        good_b += p[IP].dst == rb
        wrong += p[IP].dst != rb
print(good_a, good_b, wrong)
EOF
}

H_V6_LOG=$(norm6 "$H_V6")
hits() { grep -c -- "\"$2\": \"$H_V6_LOG\"" "$1" 2>/dev/null; }

# --- run 1: the VM is a member of both sites ----------------------------------------
step "run 1: the VM ($VM_V4) is a member at both sites; then site A goes down"
mf=$(members_file members.vm "$VM_V4   # the ISATAP host VM")
check_rc "site A: members sync" 0 iga members sync "$mf"
check_rc "site B: members sync (same source)" 0 igb members sync "$mf"
snap_ab
A0=$SA B0=$SB
vm_start member igvm.wait=30 igvm.tmo=6 igvm.routes="$DA_NET,$DB_NET" \
	igvm.gone="$DA_V6" igvm.gonewait=$((ROUTE_LT + 25))
T_READY="" T_DET="" T_GONE="" T1_VM0=$T_VM0
if igvm_wait_line "$CONSOLE" '^IGVM READY' "$BOOT_TIMEOUT"; then
	T_READY=$(now)
	snap_ab
	A1=$SA B1=$SB
	# Site A's router goes down: its XDP program leaves, nobody answers the
	# VM's solicitations for A any more.
	out=$(iga detach 2>&1) || fail "site A: isagate detach failed: ${out:0:500}"
	T_DET=$(now)
	info "site A detached $(secs "$T_READY" "$T_DET") s after the VM's first probes"
	if igvm_wait_line "$CONSOLE" '^IGVM GONE [0-9]' $((ROUTE_LT + 30)); then
		T_GONE=$(now)
	fi
else
	fail "the VM never finished its first probes (no IGVM READY)"
	A1=$A0 B1=$B0
fi
vm_finish member
T1_END=$(now)
snap_b
B2=$SB
read -r TO_A TO_B WRONG < <(by_router "$PCAP")

check_eq "VM configured its ISATAP address from the RAs" \
	"$(vm_lines ADDR | head -n1 | awk '{print $1}')" "$VM_ADDR"
check_eq "VM has no default route (both routers advertise router lifetime 0)" \
	"$(igvm_result "$CONSOLE" ROUTE)" none
check_eq "VM installed the route to site A's prefix $DA_NET" "$(vm_peer RTINFO "$DA_NET" | awk '{print $1}')" ok
check_eq "VM installed the route to site B's prefix $DB_NET" "$(vm_peer RTINFO "$DB_NET" | awk '{print $1}')" ok
check_contains "VM: $DA_NET via site A's link-local, from an RA, expiring" "$(vm_lines RT)" \
	"^$DA_NET via $A_LL proto ra .*expires"
check_contains "VM: $DB_NET via site B's link-local, from an RA, expiring" "$(vm_lines RT)" \
	"^$DB_NET via $B_LL proto ra .*expires"
check_contains "VM: route lookup for DA picks site A" "$(vm_peer VIA "$DA_V6")" "via $A_LL dev is0"
check_contains "VM: route lookup for DB picks site B" "$(vm_peer VIA "$DB_V6")" "via $B_LL dev is0"
check_eq "VM pinged DA ($DA_V6)" "$(vm_peer PING "$DA_V6" | awk '{print $1}')" ok
check_eq "VM opened a TCP connection to DA port $D_PORT" "$(vm_peer TCP "$DA_V6" | awk '{print $1}')" ok
check_eq "VM pinged DB ($DB_V6)" "$(vm_peer PING "$DB_V6" | awk '{print $1}')" ok
check_eq "VM opened a TCP connection to DB port $D_PORT" "$(vm_peer TCP "$DB_V6" | awk '{print $1}')" ok
req=$(grep -F "\"echo_request\": \"$H_V6_LOG\"" "$DA_LOG" | tail -n 1)
check_eq "DA: the VM's echo request arrived with hop limit 63 (one router hop)" "$(jget "$req" hlim)" 63
check_ge "DA accepted the VM's TCP connection" "$(hits "$DA_LOG" tcp_accept)" 1
check_ge "DB received the VM's echo requests" "$(hits "$DB_LOG" echo_request)" 1
check_ge "DB accepted the VM's TCP connection" "$(hits "$DB_LOG" tcp_accept)" 1
check_ge "capture: the VM's packets for DA tunnelled to site A ($A_V4)" "$TO_A" 4
check_ge "capture: the VM's packets for DB tunnelled to site B ($B_V4)" "$TO_B" 4
check_eq "capture: no packet for one site's prefix sent to the other site's router" "$WRONG" 0
# Per-router counters over the first probes (before A went down).
SA=$A1 SB=$B1
info "capture: $TO_A packets for DA to A, $TO_B for DB to B, $WRONG to the wrong router;" \
	"site A fwd_decap +$(delta A fwd_decap "$A0") rd_ra_sent +$(delta A rd_ra_sent "$A0")," \
	"site B fwd_decap +$(delta B fwd_decap "$B0") rd_ra_sent +$(delta B rd_ra_sent "$B0")"
check_ge "site A answered the VM's solicitations (rd_ra_sent)" "$(delta A rd_ra_sent "$A0")" 1
check_ge "site B answered the VM's solicitations (rd_ra_sent)" "$(delta B rd_ra_sent "$B0")" 1
# Every packet the VM tunnelled for DA went out before A went down (then it
# had no route), so site A decapsulated exactly what the capture saw.
check_eq "site A decapsulated exactly the VM's packets for DA (fwd_decap + kernel_decap_neigh = capture)" \
	"$(($(delta A fwd_decap "$A0") + $(delta A kernel_decap_neigh "$A0")))" "$TO_A"
check_ge "site A encapsulated DA's replies (fwd_encap)" "$(delta A fwd_encap "$A0")" 4
check_ge "site B encapsulated DB's replies (fwd_encap)" "$(delta B fwd_encap "$B0")" 4
for s in A B; do
	o=${s}0
	check_eq "site $s: no drop_no_route (no packet for the other site)" "$(delta $s drop_no_route "${!o}")" 0
	check_eq "site $s: no drop_not_member" "$(delta $s drop_not_member "${!o}")" 0
done

# Site A down.
g=$(igvm_result "$CONSOLE" GONE)
check_contains "VM: the route to DA expired after site A went down" "$g" '^[0-9.]+ [0-9]+$'
if [[ -n $T_DET && -n $T_GONE ]]; then
	el=$(secs "$T_DET" "$T_GONE")
	info "route to DA gone $el s after site A's detach (route lifetime $ROUTE_LT s; VM waited ${g#* } s by its clock)"
	check "the route outlived site A's router by at most its lifetime ($ROUTE_LT s, +3 s slack): $el s" \
		awk -v e="$el" -v l="$ROUTE_LT" 'BEGIN { exit !(e <= l + 3) }'
	check "the route was still there when site A went down" \
		awk -v e="$el" 'BEGIN { exit !(e > 0) }'
fi
check_contains "after expiry: no route to DA" "$(vm_peer VIA2 "$DA_V6")" "unreachable|none"
check_eq "after expiry: ping DA fails" "$(vm_peer PING2 "$DA_V6" | awk '{print $1}')" fail
check_eq "after expiry: TCP to DA fails" "$(vm_peer TCP2 "$DA_V6" | awk '{print $1}')" fail
check_contains "after expiry: DB still via site B" "$(vm_peer VIA2 "$DB_V6")" "via $B_LL dev is0"
check_eq "after expiry: site B still works: ping DB" "$(vm_peer PING2 "$DB_V6" | awk '{print $1}')" ok
check_eq "after expiry: site B still works: TCP to DB" "$(vm_peer TCP2 "$DB_V6" | awk '{print $1}')" ok
SB=$B2
check_ge "site B forwarded the second probes (fwd_decap)" "$(delta B fwd_decap "$B1")" 4
check_ge "site B kept answering the VM's solicitations" "$(delta B rd_ra_sent "$B0")" 2
T1=$(secs "$T_VM0" "$T1_END")

# --- run 2: the VM is a member of neither site ----------------------------------------
step "run 2: the VM ($VM_V4) is a member of neither site"
out=$(attach_a 2>&1) || die "site A: re-attach failed: ${out:0:2000}"
pass "site A back up"
mf=$(members_file members.none)
# an empty file that removes every member: refused without --force
check_rc "site A: members sync (empty)" 0 iga members sync "$mf" --force
check_rc "site B: members sync (empty)" 0 igb members sync "$mf" --force
snap_ab
A0=$SA B0=$SB
ea=$(hits "$DA_LOG" echo_request) ta=$(hits "$DA_LOG" tcp_accept)
eb=$(hits "$DB_LOG" echo_request) tb=$(hits "$DB_LOG" tcp_accept)
vm_start nonmember igvm.wait=16 igvm.tmo=5 igvm.manual="$ISATAP_P" \
	igvm.mroute="$DA_NET@$A_V4,$DB_NET@$B_V4"
vm_finish nonmember
T2=$(secs "$T_VM0" "$(now)")
snap_ab
check_eq "non-member VM got no address from either router" "$(vm_lines ADDR | head -n1 | awk '{print $1}')" none
check_contains "non-member VM: address and both routes configured by hand" "$(vm_lines RT)" \
	"^$DB_NET via $B_LL "
for p in "$DA_V6" "$DB_V6"; do
	check_eq "non-member VM's ping to $p fails" "$(vm_peer PING "$p" | awk '{print $1}')" fail
	check_eq "non-member VM's TCP connection to $p fails" "$(vm_peer TCP "$p" | awk '{print $1}')" fail
done
check_eq "DA received nothing from the non-member" "$(hits "$DA_LOG" echo_request) $(hits "$DA_LOG" tcp_accept)" "$ea $ta"
check_eq "DB received nothing from the non-member" "$(hits "$DB_LOG" echo_request) $(hits "$DB_LOG" tcp_accept)" "$eb $tb"
for s in A B; do
	o=${s}0
	check_ge "site $s refused the non-member (drop_not_member)" "$(delta $s drop_not_member "${!o}")" 3
	check_eq "site $s sent no RA to the non-member" "$(delta $s rd_ra_sent "${!o}")" 0
	check_eq "site $s decapsulated nothing for the non-member" "$(delta $s fwd_decap "${!o}")" 0
done

info "timing: run 1 (member, site A down) ${T1} s, of which boot to end of first probes $(secs "$T1_VM0" "$T_READY") s" \
	"and site A down to route gone ${el:-?} s; run 2 (non-member) ${T2} s; whole test $((SECONDS - T_START)) s"
lib_summary
