# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034
#
# tests/integration/lib.sh - helpers for namespace topologies (sourced).
#
#   lib_init PREFIX        names become PREFIX-$$-*, pins go to /sys/fs/bpf/PREFIX-$$;
#                          installs the cleanup trap (EXIT, INT, TERM, HUP)
#   nsx NS CMD...          run CMD in NS's network namespace only (nsenter --net),
#                          so bpffs pins made there persist (unlike 'ip netns exec')
#   ns_add VAR NAME        create namespace PREFIX-$$-NAME, its name in VAR
#   bg_start NS LOG CMD... start CMD in NS in the background, killed at cleanup
#   topo_setup two|one     the BRIEF §6 topology (see below)
#   ig CMD...              run build/isagate CMD... --pin-dir $PIN_DIR in the router
#   pass/fail/check/check_eq/check_ge/check_delta   assertions, counted
#   die MSG                fatal setup error: counted as a failure, summary, exit 1
#   skip MSG               "SKIP: MSG", exit 77 (not root, tools missing)
#   lib_summary            prints "N passed, N failed"; returns non-zero on failure
#
# Everything a test creates (namespaces, background processes, pin directory,
# temporary files) is removed on every exit path; the root namespace's
# interfaces, addresses and routes are never touched.

IG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ISAGATE=$IG_ROOT/build/isagate
XDP_PASS_OBJ=$IG_ROOT/build/xdp_pass.bpf.o
PY=/usr/bin/python3
# `ip ... xdp obj` pins its maps in the first bpffs it finds; another mount
# of one elsewhere on the machine (a chroot's bound /sys, as tests/fresh.sh
# makes) must not be chosen: iproute2 takes this one.
export TC_BPF_MNT=${TC_BPF_MNT:-/sys/fs/bpf}
ISATAP_HOST=$IG_ROOT/tests/integration/isatap_host.py

LIB_ID=
NS_LAN='' NS_H='' NS_N='' NS_R='' NS_D=''
PIN_DIR=
LIB_TMP=
LIB_NS=()
LIB_PIDS=()
LIB_PASSED=0
LIB_FAILED=0
LIB_CLEANED=0

# --- output ----------------------------------------------------------------

# Colours only on a terminal.
if [[ -t 1 ]]; then
	C_OK=$'\e[32m' C_BAD=$'\e[31m' C_DIM=$'\e[2m' C_B=$'\e[1m' C_0=$'\e[0m'
else
	C_OK='' C_BAD='' C_DIM='' C_B='' C_0=''
fi

say() { printf '%s\n' "$*"; }
step() { printf '%s== %s%s\n' "$C_B" "$*" "$C_0"; }
info() { printf '%s   %s%s\n' "$C_DIM" "$*" "$C_0"; }

# --- assertions --------------------------------------------------------------

pass() {
	LIB_PASSED=$((LIB_PASSED + 1))
	printf '%sok%s - %s\n' "$C_OK" "$C_0" "$*"
}

fail() {
	LIB_FAILED=$((LIB_FAILED + 1))
	printf '%snot ok%s - %s\n' "$C_BAD" "$C_0" "$*"
}

# check DESC CMD...: passes when CMD exits 0; shows CMD's output when it fails.
check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if ((rc == 0)); then
		pass "$desc"
	else
		fail "$desc"
		info "command: $*"
		info "exit $rc: ${out:0:2000}"
	fi
	return $rc
}

# check_rc DESC WANT CMD...: passes when CMD exits with status WANT.
check_rc() {
	local desc=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if ((rc == want)); then
		pass "$desc"
	else
		fail "$desc (exit $rc, want $want)"
		info "command: $*"
		info "${out:0:2000}"
	fi
	((rc == want))
}

check_eq() { # DESC GOT WANT
	if [[ $2 == "$3" ]]; then
		pass "$1"
	else
		fail "$1 (got '$2', want '$3')"
		return 1
	fi
}

check_ge() { # DESC GOT MIN
	if [[ $2 =~ ^[0-9]+$ ]] && (($2 >= $3)); then
		pass "$1"
	else
		fail "$1 (got '$2', want >= $3)"
		return 1
	fi
}

check_contains() { # DESC HAYSTACK NEEDLE-REGEX
	if grep -Eq -- "$3" <<<"$2"; then
		pass "$1"
	else
		fail "$1 (no match for /$3/)"
		info "${2:0:2000}"
		return 1
	fi
}

die() {
	fail "FATAL: $*"
	lib_summary
	exit 1
}

skip() {
	say "SKIP: $*"
	exit 77
}

lib_summary() {
	say "$LIB_PASSED passed, $LIB_FAILED failed"
	((LIB_FAILED == 0))
}

# --- setup and cleanup ---------------------------------------------------------

lib_init() {
	local prefix=$1
	LIB_ID=$prefix-$$
	PIN_DIR=/sys/fs/bpf/$LIB_ID
	# Safety net: even a command that missed --pin-dir stays in our pins.
	export ISAGATE_PIN_DIR=$PIN_DIR

	[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, XDP); run as root or 'sudo make test'"
	local t
	for t in ip nsenter bpftool ethtool ping; do
		command -v "$t" >/dev/null 2>&1 || skip "'$t' not found: run 'make deps'"
	done
	"$PY" -c 'import scapy.layers.inet6' 2>/dev/null || skip "python3-scapy not importable by $PY: run 'make deps'"
	[[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]] || skip "no bpffs at /sys/fs/bpf: run 'make deps'"
	[[ -x $ISAGATE && -r $XDP_PASS_OBJ ]] || die "build/isagate or build/xdp_pass.bpf.o missing: run 'make'"

	# The SIGPIPE guard keeps cleanup running if our reader (tee) went away.
	trap lib_cleanup EXIT
	trap 'lib_interrupted INT 130' INT
	trap 'lib_interrupted TERM 143' TERM
	trap 'lib_interrupted HUP 129' HUP
	trap '' PIPE
	LIB_TMP=$(mktemp -d "/tmp/$LIB_ID.XXXXXX") || die "mktemp failed"
}

lib_interrupted() { # SIGNAL STATUS
	trap - INT TERM HUP
	fail "interrupted by SIG$1"
	lib_summary
	exit "$2"
}

lib_cleanup() {
	local rc=$? ns pid left i
	((LIB_CLEANED)) && return
	LIB_CLEANED=1
	trap - EXIT INT TERM HUP
	# Detach through the CLI first (the operator's path), then tear down.
	if [[ -n ${NS_R:-} && -e $PIN_DIR && -e /run/netns/$NS_R ]]; then
		nsenter --net="/run/netns/$NS_R" -- "$ISAGATE" detach --pin-dir "$PIN_DIR" >/dev/null 2>&1 ||
			info "cleanup: 'isagate detach --pin-dir $PIN_DIR' failed (pins removed by hand)"
	fi
	for pid in "${LIB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LIB_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ((i = ${#LIB_NS[@]} - 1; i >= 0; i--)); do
		ip netns del "${LIB_NS[i]}" 2>/dev/null
	done
	[[ -n $PIN_DIR && -e $PIN_DIR ]] && rm -rf -- "$PIN_DIR"
	# A daemon's children (samba's) may still be exiting and leave a socket
	# behind the first pass: try again for a moment.
	for i in 1 2 3 4 5 6; do
		[[ -n $LIB_TMP && -d $LIB_TMP ]] || break
		rm -rf -- "$LIB_TMP" 2>/dev/null || sleep 0.5
	done
	[[ -n $LIB_TMP && -d $LIB_TMP ]] && rm -rf -- "$LIB_TMP"
	# Say so loudly if anything survived.
	left=
	for ns in "${LIB_NS[@]}"; do
		[[ -e /run/netns/$ns ]] && left+=" netns:$ns"
	done
	[[ -n $PIN_DIR && -e $PIN_DIR ]] && left+=" $PIN_DIR"
	if [[ -n $left ]]; then
		say "cleanup: could not remove:$left"
		((rc == 0)) && rc=1
	fi
	exit $rc
}

nsx() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

ns_add() { # VAR NAME: create namespace $LIB_ID-NAME, store its name in VAR
	local ns=$LIB_ID-$2
	ip netns add "$ns" || die "ip netns add $ns failed"
	LIB_NS+=("$ns")
	printf -v "$1" '%s' "$ns"
	nsx "$ns" ip link set lo up || die "lo up in $ns failed"
}

# run DESC CMD...: a setup step that must succeed.
run() {
	local desc=$1 out
	shift
	out=$("$@" 2>&1) || die "$desc: '$*' failed: $out"
}

bg_start() { # NS LOGFILE CMD...
	local ns=$1 log=$2
	shift 2
	nsenter --net="/run/netns/$ns" -- "$@" >"$log" 2>&1 &
	LIB_PIDS+=($!)
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local tries=$(($1 * 10))
	shift
	while ((tries-- > 0)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# --- the topology ---------------------------------------------------------------
#
# two-armed (BRIEF §6):
#
#   H 192.0.2.10 ─┐
#   N 192.0.2.66 ─┤ LAN bridge br0 ── R lan0 192.0.2.1, 192.0.2.2   (isagate, IPv4 side)
#                                       R up0  2001:db8:ff::1/64     (isagate, IPv6 side)
#                                         └── D eth0 2001:db8:ff::2/64, lo 2001:db8:dac::100/64
#
# one-armed: D hangs off the same bridge and R's lan0 carries both sides.
#
# R routes 2001:db8:dac::/64 via 2001:db8:ff::2; D's default route is R.
# xdp_pass runs on the peer of every veth isagate redirects into (BRIEF §8).

H_V4=192.0.2.10
N_V4=192.0.2.66
R_V4=192.0.2.1
R_V4B=192.0.2.2
ISATAP_PREFIX=2001:db8:1:8000::/64
H_V6=2001:db8:1:8000::5efe:c000:20a
N_V6=2001:db8:1:8000::5efe:c000:242
D_V6=2001:db8:dac::100
D_PORT=5985

# lan_host NS IFNAME BRIDGE-PORT ADDR/LEN: veth from NS to the LAN bridge.
lan_host() {
	local ns=$1 ifn=$2 port=$3 addr=$4
	run "veth $ns/$ifn" nsx "$ns" ip link add "$ifn" type veth peer name "$port" netns "$NS_LAN"
	run "bridge port $port" nsx "$NS_LAN" ip link set "$port" master br0 up
	[[ -n $addr ]] && run "address $addr" nsx "$ns" ip addr add "$addr" dev "$ifn"
	run "$ns/$ifn up" nsx "$ns" ip link set "$ifn" up
}

v4_only() { # NS: an IPv4-only host (no IPv6 chatter on the LAN)
	run "disable IPv6 in $1" nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

topo_setup() {
	local mode=${1:-two}
	TOPO_MODE=$mode
	ns_add NS_LAN lan
	ns_add NS_H h
	ns_add NS_N n
	ns_add NS_R r
	ns_add NS_D d
	v4_only "$NS_LAN"
	v4_only "$NS_H"
	v4_only "$NS_N"

	run "bridge" nsx "$NS_LAN" ip link add br0 type bridge
	run "bridge up" nsx "$NS_LAN" ip link set br0 up

	lan_host "$NS_H" eth0 p-h "$H_V4/24"
	lan_host "$NS_N" eth0 p-n "$N_V4/24"
	lan_host "$NS_R" lan0 p-r "$R_V4/24"
	run "second router address" nsx "$NS_R" ip addr add "$R_V4B/24" dev lan0
	# isagate redirects into lan0: its peer needs an XDP program.  'ip -n'
	# (private mount namespace) keeps iproute2's tc/ip/xdp pin directories
	# out of the real /sys/fs/bpf; the attachment itself outlives ip.
	run "xdp_pass on LAN/p-r" nsx "$NS_LAN" ip link set dev p-r xdpdrv obj "$XDP_PASS_OBJ" sec xdp

	if [[ $mode == two ]]; then
		R_V4_DEV=lan0
		R_V6_DEV=up0
		run "veth R/up0-D/eth0" nsx "$NS_R" ip link add up0 type veth peer name eth0 netns "$NS_D"
		run "up0 up" nsx "$NS_R" ip link set up0 up
		run "D eth0 up" nsx "$NS_D" ip link set eth0 up
		# isagate redirects into up0: its peer (D's eth0) needs an XDP program.
		run "xdp_pass on D/eth0" nsx "$NS_D" ip link set dev eth0 xdpdrv obj "$XDP_PASS_OBJ" sec xdp
	else
		R_V4_DEV=lan0
		R_V6_DEV=lan0
		lan_host "$NS_D" eth0 p-d ""
	fi
	# D's stack must put full L4 checksums on the wire, as a real host's NIC
	# does: with veth checksum offload its TCP segments leave with only the
	# pseudo-header sum (CHECKSUM_PARTIAL), which XDP cannot see or finish, and
	# they would arrive at H with a bad checksum (BRIEF §8).
	run "D: checksums in software" nsx "$NS_D" ethtool -K eth0 tx off
	run "R IPv6 address" nsx "$NS_R" ip addr add 2001:db8:ff::1/64 dev "$R_V6_DEV" nodad
	run "D IPv6 address" nsx "$NS_D" ip addr add 2001:db8:ff::2/64 dev eth0 nodad
	run "D remote prefix" nsx "$NS_D" ip addr add "$D_V6/64" dev lo nodad
	run "D default route" nsx "$NS_D" ip -6 route add default via 2001:db8:ff::1 dev eth0
	run "R route to D" nsx "$NS_R" ip -6 route add 2001:db8:dac::/64 via 2001:db8:ff::2 dev "$R_V6_DEV"
	run "R forwarding" nsx "$NS_R" sysctl -qw net.ipv4.conf.all.forwarding=1 \
		net.ipv6.conf.all.forwarding=1

	# Fail now, not later, if the plain IPv4 LAN or the IPv6 link is broken.
	wait_for 5 nsx "$NS_H" ping -c1 -W1 -q "$R_V4" || die "H cannot ping R ($R_V4) over the LAN bridge"
	wait_for 5 nsx "$NS_R" ping -c1 -W1 -q "$D_V6" || die "R cannot ping D ($D_V6) over the IPv6 link"
}

# The remote host's services: a TCP listener on D_PORT and a log of the
# ICMPv6 echo requests D receives (with their hop limit).
remote_start() {
	D_LOG=$LIB_TMP/remote.log
	bg_start "$NS_D" "$LIB_TMP/remote.out" "$PY" "$ISATAP_HOST" remote \
		--tcp-port "$D_PORT" --log "$D_LOG" --lifetime 900
	wait_for 5 grep -q '"ready"' "$D_LOG" ||
		die "remote helper in D did not start: $(cat "$LIB_TMP/remote.out" 2>/dev/null)"
}

# --- isagate -------------------------------------------------------------------------

ig() { # run the CLI in the router's namespace with our pin directory
	nsx "$NS_R" "$ISAGATE" "$@" --pin-dir "$PIN_DIR"
}

# $IG_TEST_ATTACH_ARGS: options every attach of the test adds (the *_fcache.sh
# variants: --flow-cache N).
ig_attach() {
	# shellcheck disable=SC2086 # word-split on purpose
	ig attach --ipv4-dev "$R_V4_DEV" --ipv6-dev "$R_V6_DEV" --router "$R_V4" --router "$R_V4B" \
		--prefix "$ISATAP_PREFIX" --mode native ${IG_TEST_ATTACH_ARGS:-} "$@"
}

# members_file NAME ENTRY...: write a membership file, print its path.
members_file() {
	local f=$LIB_TMP/$1
	shift
	{
		echo "# isagate members ($LIB_ID)"
		printf '%s\n' "$@"
	} >"$f"
	printf '%s' "$f"
}

# Counters: snapshot `status -j` into STATUS_JSON, read one with ctr KEY.
snap() {
	STATUS_JSON=$(ig status -j 2>&1) || {
		fail "isagate status -j failed: ${STATUS_JSON:0:500}"
		STATUS_JSON='{}'
		return 1
	}
}

ctr() { # KEY [JSON]: packets counted under reason KEY
	"$PY" -c '
import json, sys
try:
    d = json.loads(sys.argv[2])
    print(int(d["counters"][sys.argv[1]]["packets"]))
except Exception as e:
    print("ERR:%s" % e)
' "$1" "${2:-$STATUS_JSON}"
}

# check_delta DESC KEY MIN OLDJSON: counter KEY moved by at least MIN since OLDJSON
# (reads the current STATUS_JSON; call snap first).
check_delta() {
	local desc=$1 key=$2 min=$3 old=$4 a b
	a=$(ctr "$key" "$old")
	b=$(ctr "$key")
	if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && ((b - a >= min)); then
		pass "$desc ($key +$((b - a)))"
	else
		fail "$desc ($key: before '$a', after '$b', want +$min)"
		return 1
	fi
}

check_nodelta() { # DESC KEY OLDJSON: counter KEY did not move
	local a b
	a=$(ctr "$2" "$3")
	b=$(ctr "$2")
	if [[ $a =~ ^[0-9]+$ && $a == "$b" ]]; then
		pass "$1 ($2 unchanged)"
	else
		fail "$1 ($2: before '$a', after '$b')"
		return 1
	fi
}

# --- ISATAP host traffic ----------------------------------------------------------

# isatap NS ARGS...: run the scapy helper in NS; REPLY holds its JSON,
# the return status is 0 when the expected reply came back.
isatap() {
	local ns=$1
	shift
	REPLY=$(nsx "$ns" "$PY" "$ISATAP_HOST" send "$@" 2>&1)
}

norm6() { # ADDR: the canonical text form (RFC 5952), as isatap_host.py logs it
	"$PY" -c 'import ipaddress, sys; print(ipaddress.IPv6Address(sys.argv[1]))' "$1"
}

# tcp_connect NS ADDR PORT TIMEOUT: a real TCP connect() from NS; prints
# "connected", the errno name it failed with (EACCES for an ICMPv6
# administratively prohibited, ...) or "timeout".
tcp_connect() {
	nsx "$1" "$PY" - "$2" "$3" "$4" <<'EOF'
import errno, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(float(sys.argv[3]))
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, "timeout") if e.errno else "timeout")
EOF
}

# d_saw ADDR: D's log has an echo request from ADDR
d_saw() {
	grep -qF "\"echo_request\": \"$(norm6 "$1")\"" "$D_LOG"
}

# d_firewall PORT | d_firewall off: the remote laptop D's own firewall (nft in
# D) drops inbound TCP to PORT, as Windows Firewall does by default for RDP
# from outside; "off" removes it.
d_firewall() {
	if [[ $1 == off ]]; then
		nsx "$NS_D" nft delete table inet igfw
		return
	fi
	nsx "$NS_D" nft -f - <<NFT
table inet igfw {
	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport $1 drop
	}
}
NFT
}

# one_way_tcp PORT [SPORT]: H opens TCP to D:PORT for 4.5 s (a SYN every
# 0.5 s, from SPORT or a random port); 0 when nothing came back
one_way_tcp() {
	! isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn \
		--dport "$1" --sport "${2:-0}" --timeout 4.5 --resend 0.5
}

jget() { # JSON PATH (dot separated; numbers index lists): print the value
	"$PY" -c '
import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    if v is None:
        break
    v = v[int(k)] if isinstance(v, list) else v.get(k)
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$1" "$2" 2>/dev/null || echo "ERR"
}
