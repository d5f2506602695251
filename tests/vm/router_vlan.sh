#!/bin/sh
# router_vlan.sh - isagate with VLAN sides, end to end, inside the test VM
# (Debian's kernel with 8021q; run by tests/vm/init in igvm.mode=router, driven
# by tests/integration/test_vlan_vm.sh).  busybox sh.
#
# Scenarios (igvm.scen=1,2,3 picks some; default all), each in fresh network
# namespaces joined by veth pairs, VLAN offload off so tags are in the frames:
#   1  member M eth0.110 (802.1Q) -- R lan0.110 | R up0 (untagged) -- remote D
#   2  member M eth0.10.20 (802.1ad 10 + 802.1Q 20) -- R lan0.10.20 | R up0 -- D
#   3  one trunk: R trunk0.110 (IPv4 side) and trunk0.200 (IPv6 side) on a
#      bridge (namespace S) with M eth0.110 and D eth0.200
# M is a real Linux ISATAP host (sit in ISATAP mode + isatapd) on the VLAN; D
# is the Linux IPv6 stack (ping, busybox nc listening on TCP 5985).  isagate
# runs in R in native XDP mode on the real devices.  Checked: attach follows
# the VLAN stack (links on the real device, vlan_in/vlan_out), M configures
# its ISATAP address from isagate's RA over the VLAN, ping and TCP M <-> D,
# D -> M ping, the counters (fwd_decap, fwd_encap, rd_ra_sent move; pass_vlan
# does not for the configured VID), a frame on an unconfigured VID counts
# pass_vlan, detach removes the links and the vlan_in/vlan_out pins.
#
# Output: "ok - ..." / "not ok - ..." lines, diagnostics as "# ..." lines, a
# last "N passed, N failed"; exit status 0 when nothing failed.
IPR=/sbin/ip
DIR=/igvm-router
XDP_PASS=$DIR/xdp_pass.bpf.o
PIN=/sys/fs/bpf/igvlan
T=/tmp/router_vlan
R_V4=192.0.2.1
M_V4=192.0.2.10
PREFIX=2001:db8:1:8000::/64
M_V6=2001:db8:1:8000:0:5efe:c000:20a
R_LL=fe80::5efe:c000:201
D_V6=2001:db8:dac::100
D_PORT=5985
PASSED=0
FAILED=0
PIDS=
mkdir -p "$T"

SCEN=1,2,3
WAIT=25
for w in $(cat /proc/cmdline); do
	case "$w" in
		igvm.scen=*) SCEN=${w#*=} ;;
		igvm.wait=*) WAIT=${w#*=} ;;
	esac
done

uptime_i() { read -r u _ < /proc/uptime; echo "${u%%.*}"; }
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
nok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
note() { echo "# $*"; }
# show FILE|-: a command's output as diagnostics
show() { sed 's/^/#   /' "$@" | head -n 40; }

# check DESC CMD...: ok when CMD exits 0, else its output as diagnostics.
check() {
	d=$1
	shift
	if "$@" > "$T/out" 2>&1; then
		ok "$d"
		return 0
	fi
	nok "$d"
	note "command: $*"
	show "$T/out"
	return 1
}
check_eq() { # DESC GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (got '$2', want '$3')"; fi
}
# check_has DESC HAYSTACK NEEDLE: fixed string
check_has() {
	case "$2" in
		*"$3"*) ok "$1" ;;
		*) nok "$1 (no '$3')"; echo "$2" | show - ;;
	esac
}

nsx() { n=$1; shift; nsenter --net="/run/netns/$n" -- "$@"; }
# run DESC CMD...: a setup step; a failure is counted and stops the scenario
run() {
	d=$1
	shift
	"$@" > "$T/out" 2>&1 && return 0
	nok "setup: $d: $*"
	show "$T/out"
	return 1
}
bg() { # NS LOG CMD...: background process, killed at the scenario's end
	n=$1 l=$2
	shift 2
	nsenter --net="/run/netns/$n" -- "$@" > "$l" 2>&1 &
	PIDS="$PIDS $!"
}

# Tags in the frame (what XDP sees with 'ethtool -K DEV rxvlan off' on a real
# NIC), checksums in software (XDP cannot finish a partial checksum).
no_offload() { # NS DEV
	nsx "$1" ethtool -K "$2" txvlan off rxvlan off > /dev/null 2>&1
	nsx "$1" ethtool -K "$2" tx-vlan-stag-hw-insert off rx-vlan-stag-hw-parse off > /dev/null 2>&1
	nsx "$1" ethtool -K "$2" tx off > /dev/null 2>&1
	return 0
}
ns_new() { # NAME...
	for n in "$@"; do
		$IPR netns add "$n" || return 1
		nsx "$n" $IPR link set lo up || return 1
	done
}
veth() { # NS1 DEV1 NS2 DEV2
	$IPR -n "$1" link add "$2" type veth peer name "$4" netns "$3" || return 1
	no_offload "$1" "$2"
	no_offload "$3" "$4"
	$IPR -n "$1" link set "$2" up && $IPR -n "$3" link set "$4" up
}
vlan() { # NS LOWER NAME PROTO ID [ADDR]
	$IPR -n "$1" link add link "$2" name "$3" type vlan proto "$4" id "$5" || return 1
	no_offload "$1" "$3"
	$IPR -n "$1" link set "$3" up || return 1
	[ -z "${6:-}" ] || $IPR -n "$1" addr add "$6" dev "$3" nodad
}
# no_ipv6 NS DEV: a device that only carries another VLAN device stays quiet
# (its IPv6 link-local chatter would be frames with only its own tag).
no_ipv6() { nsx "$1" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$2/disable_ipv6"; }
xdp_pass() { # NS DEV: isagate redirects into DEV's peer: it needs an XDP program
	$IPR -n "$1" link set dev "$2" xdpdrv obj "$XDP_PASS" sec xdp
}
# (nsenter keeps the VM's /sys: ask rtnetlink, "N: name@lower: ...")
ifindex() { $IPR -n "$1" -o link show dev "$2" | sed -n 's/^\([0-9]*\):.*/\1/p'; }

ig() { nsx r isagate "$@" --pin-dir "$PIN"; }
# ctr KEY: packets counted under reason KEY in the last snap
snap() { ig status -j > "$T/status.json" 2>&1 || { note "isagate status -j failed:"; show "$T/status.json"; }; }
ctr() {
	tr -d ' \n\t' < "$T/status.json" | sed -n "s/.*\"$1\":{\"packets\":\([0-9]*\).*/\1/p"
}
# delta KEY OLD: how much KEY moved since OLD (a ctr value)
delta() { n=$(ctr "$1"); echo $(( ${n:-0} - ${2:-0} )); }
check_moved() { # DESC KEY OLD MIN
	d=$(delta "$2" "$3")
	if [ "$d" -ge "$4" ]; then ok "$1 ($2 +$d)"; else nok "$1 ($2 +$d, want +$4)"; fi
}
check_still() { # DESC KEY OLD
	d=$(delta "$2" "$3")
	if [ "$d" -eq 0 ]; then ok "$1 ($2 unchanged)"; else nok "$1 ($2 +$d)"; fi
}

teardown() {
	for p in $PIDS; do kill "$p" 2> /dev/null; done
	for p in $PIDS; do wait "$p" 2> /dev/null; done
	PIDS=
	[ -e "$PIN" ] && { nsx r isagate detach --pin-dir "$PIN" > /dev/null 2>&1; rm -rf "$PIN"; }
	for n in m r d s; do
		[ -e "/run/netns/$n" ] && $IPR netns del "$n"
	done
	return 0
}

# remote_side NS DEV: D's IPv6 link address, remote prefix, route, TCP listener
remote_side() {
	run "D $2 address" $IPR -n d addr add 2001:db8:ff::2/64 dev "$2" nodad &&
	run "D remote prefix" $IPR -n d addr add "$D_V6/64" dev lo nodad &&
	run "D default route" $IPR -n d -6 route add default via 2001:db8:ff::1 dev "$2" || return 1
	# busybox nc: -ll keeps listening, -e runs true per connection (accept, close)
	bg d "$T/nc.log" nc -ll -p "$D_PORT" -e /bin/true
}
router_side() { # V6DEV
	run "R $1 address" $IPR -n r addr add 2001:db8:ff::1/64 dev "$1" nodad &&
	run "R route to D" $IPR -n r -6 route add 2001:db8:dac::/64 via 2001:db8:ff::2 dev "$1"
}

# member_isatap VLANDEV: M is an ISATAP host on VLANDEV (isatapd makes is0)
member_isatap() {
	nsx m sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv6.conf.all.accept_ra=1 \
		net.ipv6.conf.default.accept_ra=1 > /dev/null 2>&1
	bg m "$T/isatapd.log" isatapd --name is0 --link "$1" --mtu 1280 --user nobody -v "$R_V4"
}

# scenario NAME V4DEV V6DEV REALV4 M_VLANDEV: the checks once the topology is up
scenario() {
	name=$1 v4dev=$2 v6dev=$3 real=$4 mdev=$5
	echo "# --- scenario $name: --ipv4-dev $v4dev --ipv6-dev $v6dev"
	t0=$(uptime_i)
	if ! nsx m ping -c 1 -W 2 "$R_V4" > "$T/out" 2>&1 && ! nsx m ping -c 2 -W 2 "$R_V4" > "$T/out" 2>&1; then
		nok "$name: M reaches R ($R_V4) over $mdev"
		show "$T/out"
		return 1
	fi
	ok "$name: M reaches R ($R_V4) over $mdev before isagate"
	check "$name: R reaches D ($D_V6) over $v6dev" nsx r ping -c 1 -W 3 "$D_V6" || return 1

	if ! ig -v attach --ipv4-dev "$v4dev" --ipv6-dev "$v6dev" --router "$R_V4" --prefix "$PREFIX" \
		--mode native > "$T/attach.log" 2>&1; then
		nok "$name: isagate attach --ipv4-dev $v4dev --ipv6-dev $v6dev (native XDP) on $(uname -r)"
		grep -v '^[0-9]*: \|^;' "$T/attach.log" | tail -n 30 | show -
		return 1
	fi
	ok "$name: isagate attach --ipv4-dev $v4dev --ipv6-dev $v6dev (native XDP; the program loads on $(uname -r), $(( $(uptime_i) - t0 )) s)"
	check "$name: XDP link pinned on the real device $real" test -e "$PIN/link_$real"
	check_has "$name: $real runs XDP" "$(nsx r $IPR -d link show "$real" 2>&1)" "prog/xdp"
	check_has "$name: status names $real's link as the IPv4 side (under $v4dev)" \
		"$(ig status 2>&1 | grep "$real")" "side ipv4"
	if [ "$v6dev" = up0 ]; then
		check "$name: XDP link pinned on up0" test -e "$PIN/link_up0"
	fi
	if command -v bpftool > /dev/null 2>&1; then
		vin=$(bpftool -j map dump pinned "$PIN/vlan_in" 2>&1 | tr -d ' \n\t')
		vout=$(bpftool -j map dump pinned "$PIN/vlan_out" 2>&1 | tr -d ' \n\t')
		rif=$(ifindex r "$real")
		check_has "$name: vlan_in maps ($real, tags) to $v4dev" "$vin" \
			"\"ifindex\":$rif,$VIN_TAGS},\"value\":{\"ifindex\":$(ifindex r "$v4dev")}"
		check_has "$name: vlan_out sends $v4dev out of $real with $VOUT_NTAGS tag(s)" "$vout" \
			"\"key\":$(ifindex r "$v4dev"),\"value\":{\"lower_ifindex\":$rif,\"ntags\":$VOUT_NTAGS"
	else
		check "$name: vlan_in and vlan_out pinned" test -e "$PIN/vlan_in" -a -e "$PIN/vlan_out"
	fi
	echo "$M_V4   # the ISATAP host M on $mdev" > "$T/members.txt"
	check "$name: members sync (M $M_V4)" ig members sync "$T/members.txt"

	snap
	ra0=$(ctr rd_ra_sent) dec0=$(ctr fwd_decap) enc0=$(ctr fwd_encap) pv0=$(ctr pass_vlan)
	member_isatap "$mdev"
	addr=
	t_end=$(( $(uptime_i) + WAIT ))
	while [ "$(uptime_i)" -lt "$t_end" ]; do
		addr=$(nsx m $IPR -6 -o addr show dev is0 scope global 2> /dev/null | awk '!/tentative/ {print $4; exit}')
		[ -n "$addr" ] && break
		sleep 0.2
	done
	if [ "$addr" = "$M_V6/64" ]; then
		ok "$name: M configured $addr from isagate's RA over $mdev ($(( $(uptime_i) - t0 )) s)"
	else
		nok "$name: M configured no ISATAP address from an RA over $mdev (got '${addr:-none}', want $M_V6/64)"
		note "isatapd:"
		show "$T/isatapd.log"
		nsx m $IPR -d link show is0 2>&1 | show -
	fi
	check_has "$name: M's default route via R's ISATAP link-local, from the RA" \
		"$(nsx m $IPR -6 route show default 2>&1)" "default via $R_LL dev is0 proto ra"
	check "$name: M pings D ($D_V6) through isagate" nsx m ping -6 -c 3 -i 0.5 -W 5 -w 8 "$D_V6"
	check "$name: M opens TCP to D port $D_PORT" nsx m timeout 10 nc "$D_V6" "$D_PORT"
	check "$name: D pings M ($M_V6) through isagate" nsx d ping -6 -c 2 -i 0.5 -W 5 -w 8 "$M_V6"
	snap
	check_moved "$name: RA sent over $v4dev" rd_ra_sent "$ra0" 1
	check_moved "$name: M's packets decapsulated in XDP" fwd_decap "$dec0" 5
	check_moved "$name: D's packets encapsulated in XDP onto $v4dev" fwd_encap "$enc0" 5
	check_still "$name: no frame of the configured VLAN passed as unknown" pass_vlan "$pv0"
	return 0
}

# unknown_vid NAME DEV DESC: an ARP from M on DEV (a VLAN isagate does not
# serve) reaches R's real device tagged: pass_vlan
unknown_vid() {
	snap
	pv0=$(ctr pass_vlan)
	run "M $2 address" $IPR -n m addr add 198.51.100.1/24 dev "$2" || return 1
	nsx m ping -c 2 -W 1 198.51.100.2 > /dev/null 2>&1
	snap
	check_moved "$1: a frame on $3 is passed to the kernel" pass_vlan "$pv0" 1
}

detach_check() { # NAME REAL
	check "$1: isagate detach" ig detach
	check "$1: vlan_in and vlan_out pins removed" test ! -e "$PIN/vlan_in" -a ! -e "$PIN/vlan_out"
	check "$1: link pin on $2 removed" test ! -e "$PIN/link_$2"
	x=$(nsx r $IPR -d link show "$2" 2>&1)
	case "$x" in
		*prog/xdp*) nok "$1: $2 still runs XDP" ;;
		*) ok "$1: $2 runs no XDP after detach" ;;
	esac
}

# --- 1: 802.1Q on the IPv4 side, IPv6 side untagged --------------------------------
scen1() {
	ns_new m r d || { nok "setup: namespaces"; return 1; }
	run "veth M/eth0 - R/lan0" veth m eth0 r lan0 &&
	run "xdp_pass on M/eth0" xdp_pass m eth0 &&
	run "M eth0.110" vlan m eth0 eth0.110 802.1Q 110 "$M_V4/24" &&
	run "R lan0.110" vlan r lan0 lan0.110 802.1Q 110 "$R_V4/24" &&
	run "veth R/up0 - D/eth0" veth r up0 d eth0 &&
	run "xdp_pass on D/eth0" xdp_pass d eth0 &&
	router_side up0 && remote_side d eth0 || return 1
	VIN_TAGS='"outer":{"proto":33024,"vid":110},"inner":{"proto":0,"vid":0}' VOUT_NTAGS=1
	scenario 1 lan0.110 up0 lan0 eth0.110 || return 1
	run "M eth0.300" vlan m eth0 eth0.300 802.1Q 300 &&
	unknown_vid 1 eth0.300 "VID 300 (not configured)"
	detach_check 1 lan0
}

# --- 2: QinQ (802.1ad 10 + 802.1Q 20) on the IPv4 side ----------------------------------
scen2() {
	ns_new m r d || { nok "setup: namespaces"; return 1; }
	run "veth M/eth0 - R/lan0" veth m eth0 r lan0 &&
	run "xdp_pass on M/eth0" xdp_pass m eth0 &&
	run "M eth0.10 (802.1ad)" vlan m eth0 eth0.10 802.1ad 10 &&
	run "M eth0.10 without IPv6" no_ipv6 m eth0.10 &&
	run "M eth0.10.20" vlan m eth0.10 eth0.10.20 802.1Q 20 "$M_V4/24" &&
	run "R lan0.10 (802.1ad)" vlan r lan0 lan0.10 802.1ad 10 &&
	run "R lan0.10 without IPv6" no_ipv6 r lan0.10 &&
	run "R lan0.10.20" vlan r lan0.10 lan0.10.20 802.1Q 20 "$R_V4/24" &&
	run "veth R/up0 - D/eth0" veth r up0 d eth0 &&
	run "xdp_pass on D/eth0" xdp_pass d eth0 &&
	router_side up0 && remote_side d eth0 || return 1
	VIN_TAGS='"outer":{"proto":34984,"vid":10},"inner":{"proto":33024,"vid":20}' VOUT_NTAGS=2
	scenario 2 lan0.10.20 up0 lan0 eth0.10.20 || return 1
	# the outer tag alone is not the side
	unknown_vid 2 eth0.10 "802.1ad 10 without the inner tag"
	detach_check 2 lan0
}

# --- 3: both sides VLANs of one trunk ------------------------------------------------------
scen3() {
	ns_new m r d s || { nok "setup: namespaces"; return 1; }
	run "bridge in S" $IPR -n s link add br0 type bridge &&
	run "bridge up" $IPR -n s link set br0 up &&
	run "veth R/trunk0 - S/p-r" veth r trunk0 s p-r &&
	run "veth M/eth0 - S/p-m" veth m eth0 s p-m &&
	run "veth D/eth0 - S/p-d" veth d eth0 s p-d &&
	run "p-r on the bridge" $IPR -n s link set p-r master br0 &&
	run "p-m on the bridge" $IPR -n s link set p-m master br0 &&
	run "p-d on the bridge" $IPR -n s link set p-d master br0 &&
	run "xdp_pass on S/p-r" xdp_pass s p-r &&
	run "M eth0.110" vlan m eth0 eth0.110 802.1Q 110 "$M_V4/24" &&
	run "R trunk0.110" vlan r trunk0 trunk0.110 802.1Q 110 "$R_V4/24" &&
	run "R trunk0.200" vlan r trunk0 trunk0.200 802.1Q 200 &&
	run "D eth0.200" vlan d eth0 eth0.200 802.1Q 200 &&
	router_side trunk0.200 && remote_side d eth0.200 || return 1
	VIN_TAGS='"outer":{"proto":33024,"vid":110},"inner":{"proto":0,"vid":0}' VOUT_NTAGS=1
	scenario 3 trunk0.110 trunk0.200 trunk0 eth0.110 || return 1
	if command -v bpftool > /dev/null 2>&1; then
		vin=$(bpftool -j map dump pinned "$PIN/vlan_in" 2>&1 | tr -d ' \n\t')
		check_has "3: vlan_in maps (trunk0, 802.1Q 200) to trunk0.200" "$vin" \
			"\"outer\":{\"proto\":33024,\"vid\":200},\"inner\":{\"proto\":0,\"vid\":0}},\"value\":{\"ifindex\":$(ifindex r trunk0.200)}"
	fi
	run "M eth0.300" vlan m eth0 eth0.300 802.1Q 300 &&
	unknown_vid 3 eth0.300 "VID 300 of the trunk (not configured)"
	detach_check 3 trunk0
}

echo "# router_vlan.sh on $(uname -r): scenarios $SCEN"
for s in $(echo "$SCEN" | tr ',' ' '); do
	case "$s" in
		1) scen1 ;;
		2) scen2 ;;
		3) scen3 ;;
		*) nok "unknown scenario '$s' (igvm.scen=)" ;;
	esac
	teardown
done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
