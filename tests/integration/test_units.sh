#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/integration/test_units.sh - the hardened systemd units under a real
# systemd: a brand-new Debian 12 tree (tests/fresh_lib.sh) with systemd and
# the isagate package (make deb) is booted with systemd-nspawn (its own
# network namespace with two veth pairs, its own bpffs directory); then
#   - every unit's `systemd-analyze security` exposure is at most 3.0 (the
#     scores are printed; the README lists them before and after hardening);
#   - isagate.service starts (attach + policy + members sync), each helper
#     unit starts and works under its sandbox: members sync, watch, events,
#     flows (state file 0600), metrics (textfile written);
#   - stopping isagate.service detaches and stops the units bound to it;
#   - every applied sync saves the last known membership (0600), and a boot
#     with the directory down (a DC address nothing answers at, as a stopped
#     DC) starts the router with those members, the sync unit reporting the
#     outage (exit 5) without changing them;
#   - a start that fails half way (malformed policy) leaves nothing attached.
# When this already runs inside a fresh chroot (ISAGATE_FRESH=1: no init
# system to boot containers from) the test says so and skips.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/fresh_lib.sh"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
finish() { echo "$pass passed, $fail failed"; ((fail == 0)); exit; }

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (a container)"; exit 77; }
# a chroot: tests/fresh.sh's (ISAGATE_FRESH), or one whose / is not even a
# mount point (a fresh-machine chroot's, as tests/fresh.sh makes)
if [[ ${ISAGATE_FRESH:-} == 1 ]] || ! mountpoint -q /; then
	echo "SKIP: this runs in a fresh chroot, which has no init system to boot a systemd container from;" \
		"run on the machine itself (.ci/run does)"
	exit 77
fi
if ! command -v systemd-nspawn >/dev/null; then
	echo "SKIP: systemd-nspawn missing (package systemd-container; make deps installs it)"
	exit 77
fi

id=igu-$$
tmp=$(mktemp -d "/var/tmp/isagate-units.XXXXXX") || exit 1
tree=$tmp/tree
bpf=/sys/fs/bpf/$id
nsp_pid=
cleanup() {
	set +e
	if [[ -n $nsp_pid ]]; then
		kill -TERM "$nsp_pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$nsp_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$nsp_pid" 2>/dev/null
		wait "$nsp_pid" 2>/dev/null
	fi
	fresh_release "$tree"
	rm -rf "$tmp"
	rm -rf "$bpf"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the tree: systemd + the package --------------------------------------
t0=$SECONDS
make -C "$ROOT" --no-print-directory BUILD="$tmp/build" deb >"$tmp/deb.log" 2>&1 ||
	{ bad "make deb failed: $(tail -n 15 "$tmp/deb.log")"; finish; }
deb=$(ls "$tmp"/build/deb/isagate_*_amd64.deb | head -n 1)
mkdir -p "$tree"
fresh_unpack "$tree"
cp "$deb" "$tree/tmp/"
if ! chroot "$tree" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
	sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends systemd systemd-sysv dbus \
		iproute2 ca-certificates /tmp/${deb##*/}" >"$tmp/apt.log" 2>&1; then
	bad "installing systemd and the package in the tree: $(tail -n 5 "$tmp/apt.log")"
	finish
fi
ok "tree with systemd and ${deb##*/} ready ($((SECONDS - t0)) s)"

# ---- exposure scores ---------------------------------------------------------
for u in "$tree"/lib/systemd/system/isagate*.service; do
	score=$(systemd-analyze security --offline=yes --root="$tree" "${u##*/}" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	check "${u##*/}: systemd-analyze security exposure ${score:-?} (at most 3.0)" \
		awk -v s="${score:-99}" 'BEGIN { exit !(s <= 3.0) }'
done

# ---- the router's settings, then boot -------------------------------------------
cat >"$tree/etc/isagate/isagate.conf" <<'EOF'
[router]
ipv4-dev = ig4
ipv6-dev = ig6
router = 192.0.2.1
prefix = 2001:db8:1:8000::/64
EOF
echo "192.0.2.10" >"$tree/etc/isagate/members.txt"
echo "ISAGATE_POLICY=/etc/isagate/policy.txt" >>"$tree/etc/default/isagate"
# the container's own network: two veth pairs, created at boot
cat >"$tree/etc/systemd/system/igtest-net.service" <<'EOF'
[Unit]
Description=test topology: two veth pairs
Before=isagate.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'ip link add ig4 type veth peer name ig4p && ip link add ig6 type veth peer name ig6p && for d in ig4 ig4p ig6 ig6p; do ip link set $d up; done && ip addr add 192.0.2.1/24 dev ig4 && ip -6 addr add 2001:db8:dac::1/64 dev ig6'
[Install]
WantedBy=multi-user.target
EOF
ln -s /etc/systemd/system/igtest-net.service "$tree/etc/systemd/system/multi-user.target.wants/igtest-net.service"
mkdir -p "$bpf"

systemd-nspawn -q -D "$tree" --boot --register=no --keep-unit --private-network --machine="$id" \
	--bind="$bpf:/sys/fs/bpf" --capability=CAP_BPF,CAP_PERFMON,CAP_NET_ADMIN \
	--system-call-filter='bpf perf_event_open' >"$tmp/console.log" 2>&1 </dev/null &
nsp_pid=$!
leader=
for _ in $(seq 300); do
	c=$(pgrep -P "$nsp_pid" -x systemd-nspawn || echo "$nsp_pid")
	leader=$(pgrep -P "$c" -x systemd | head -n 1)
	[[ -n $leader ]] && break
	sleep 0.1
done
[[ -n $leader ]] || { bad "the container did not boot: $(tail -n 20 "$tmp/console.log")"; finish; }
X() { nsenter -t "$leader" -m -u -i -n -p -- "$@"; }
# booted far enough: the bus answers and the test topology is up (a
# minimal tree never reaches "running": nothing provides network-online)
state=
for _ in $(seq 600); do
	state=$(X systemctl is-active igtest-net.service 2>/dev/null)
	[[ $state == active ]] && break
	sleep 0.1
done
check "systemd booted in the container, test topology up ($state, $((SECONDS - t0)) s)" test "$state" = active
unit_ok() { # UNIT: it ran (or runs) without failure
	local r
	r=$(X systemctl show -p Result --value "$1")
	[[ $r == success ]] || { X journalctl -u "$1" --no-pager -n 15 | sed 's/^/     /'; return 1; }
}

# ---- start, work, stop -------------------------------------------------------------
is_member() { X isagate members list 2>/dev/null | grep -qwF -- "$1"; }
members_done() { # isagate-members.service ran since it was last reset
	[[ $(X systemctl show -p ExecMainExitTimestampMonotonic --value isagate-members.service) != 0 ]]
}
wait_members() { # the sync pulled in by isagate.service has finished
	local _
	for _ in $(seq 300); do members_done && return 0; sleep 0.1; done
	return 1
}

X systemctl start isagate.service >/dev/null 2>&1
check "isagate.service starts under its sandbox (attach, policy sync)" unit_ok isagate.service
st=$(X isagate status -j 2>&1)
check "the router is attached to ig4 and ig6" grep -q '"ig6"' <<<"$st"
check "isagate.service pulls in isagate-members.service, which syncs once the router is up" wait_members
check "the member from members.txt is loaded" is_member 192.0.2.10
policy_loaded() { X isagate policy list 2>/dev/null | grep -qi allow; }
check "the policy from /etc/default/isagate is loaded" policy_loaded

echo "192.0.2.11" >>"$tree/etc/isagate/members.txt"
X systemctl start isagate-members.service >/dev/null 2>&1
check "isagate-members.service syncs under its sandbox" unit_ok isagate-members.service
check "... and its sync applied (192.0.2.11 is a member)" is_member 192.0.2.11

for u in isagate-watch.service isagate-events.service isagate-flows.service; do
	X systemctl start "$u" >/dev/null 2>&1
done
sleep 2   # the followers have started their first interval (Restart= would show up)
for u in isagate-watch.service isagate-events.service isagate-flows.service; do
	a=$(X systemctl is-active "$u")
	n=$(X systemctl show -p NRestarts --value "$u")
	check "$u runs under its sandbox ($a, restarts $n)" test "$a" = active -a "$n" = 0
done
rm_ok() { # the watch read the kernel's tables under its sandbox: a mirror built, no error
	X isagate status -j 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)["route_mirror"]
sys.exit(0 if r["builds"] >= 1 and "error" not in (r["ipv4"]["off_reason"], r["ipv6"]["off_reason"]) else 1)'
}
check "isagate-watch.service keeps the route mirror under its sandbox" rm_ok
X systemctl start isagate-metrics.service >/dev/null 2>&1
check "isagate-metrics.service writes the textfile under its sandbox" unit_ok isagate-metrics.service
check "... /var/lib/prometheus/node-exporter/isagate.prom holds the counters" \
	grep -q '^isagate_packets_total' "$tree/var/lib/prometheus/node-exporter/isagate.prom"
X systemctl stop isagate-flows.service
m=$(stat -c %a "$tree/var/lib/isagate/flows.state" 2>/dev/null)
check "isagate-flows.service saved its state file with mode 0600 (${m:-none})" test "$m" = 600

last=$tree/var/lib/isagate/members.last
m=$(stat -c %a "$last" 2>/dev/null)
check "each applied sync saves the last known membership, mode 0600 (${m:-none})" test "$m" = 600
check "... holding both members" bash -c "grep -q '^192.0.2.10/32' '$last' && grep -q '^192.0.2.11/32' '$last'"

X systemctl stop isagate.service
check "stopping isagate.service detaches (no pins left)" test -z "$(ls -A "$bpf")"
a=$(X systemctl is-active isagate-watch.service isagate-events.service | tr '\n' ' ')
check "the units bound to it stopped with it ($a)" test "$a" = "inactive inactive "

# ---- boot with the directory down: the last known members, no lock-out --------------
# The directory: a DC address nothing answers at (no route in the container:
# the bind fails at once, exactly as with a stopped DC).
(umask 077 && printf 'secret\n' >"$tree/etc/isagate/ldap.secret")
printf '%s\n' '[directory]' 'uri = ldap://198.51.100.99' 'bind = simple' \
	'bind-dn = CN=isagate-sync,DC=corp,DC=example' 'password-file = /etc/isagate/ldap.secret' \
	'base = DC=corp,DC=example' 'group = CN=ISATAP,DC=corp,DC=example' 'timeout = 2' \
	>>"$tree/etc/isagate/isagate.conf"
echo "ISAGATE_MEMBERS_SOURCE=--ldap --config /etc/isagate/isagate.conf" >>"$tree/etc/default/isagate"
X systemctl reset-failed >/dev/null 2>&1
X systemctl start isagate.service >/dev/null 2>&1
check "directory down at boot: isagate.service still starts" unit_ok isagate.service
check "... and loads the last known members (192.0.2.10)" is_member 192.0.2.10
check "... both of them (192.0.2.11)" is_member 192.0.2.11
wait_members
r=$(X systemctl show -p ExecMainStatus --value isagate-members.service)
check "... isagate-members.service reports the outage (exit $r, want 5: directory unreachable)" test "$r" = 5
[[ $r == 5 ]] || X journalctl -u isagate-members.service --no-pager -n 8 | sed 's/^/     /'
check "... and changed nothing: the members stay" is_member 192.0.2.11
a=$(X systemctl is-active isagate.service)
check "... the router stays up and managed ($a), the timer retries the sync" test "$a" = active
X systemctl stop isagate.service

# ---- a start that fails half way leaves nothing attached -------------------------------
echo "allow sideways tcp 22" >"$tree/etc/isagate/policy.bad"
echo "ISAGATE_POLICY=/etc/isagate/policy.bad" >>"$tree/etc/default/isagate"
X systemctl start isagate.service >/dev/null 2>&1
r=$(X systemctl show -p Result --value isagate.service)
check "a malformed policy fails isagate.service ($r)" test "$r" != success
check "... and the failed start detached again (no pins left: never attached but unmanaged)" \
	test -z "$(ls -A "$bpf")"
sed -i '/policy.bad/d' "$tree/etc/default/isagate"
X systemctl reset-failed >/dev/null 2>&1
check "no isagate unit failed" bash -c "! nsenter -t $leader -m -u -i -n -p -- systemctl --failed --no-legend | grep -q isagate"
finish
