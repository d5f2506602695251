#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_vlan_vm.sh - isagate with VLAN sides, end to end, on Debian's kernel.
#
# This machine's kernel may have no 802.1Q (then test_vlan.sh skips); the test
# VM's Debian kernel has it as a module.  The VM (qemu, TCG; image from
# tests/vm/build-image.sh --router, cached in build/vm) boots with the router
# test payload (build/isagate, build/xdp_pass.bpf.o, tests/vm/router_vlan.sh)
# and runs, in namespaces joined by veth pairs inside the VM:
#   1  member on 802.1Q VLAN 110, IPv6 side untagged
#   2  member on QinQ (802.1ad 10 + 802.1Q 20)
#   3  both sides VLANs (110, 200) of one trunk through a bridge
# with a real Linux ISATAP host (sit + isatapd) as the member and the Linux
# IPv6 stack as the remote host; isagate in native XDP mode on the real
# devices.  See tests/vm/router_vlan.sh for every check.  Its "ok"/"not ok"
# lines come back over the serial console and are counted here.
#
# Prints "N passed, N failed"; "SKIP: reason" + exit 77 only when qemu cannot
# run here.  IGVM_TIMEOUT (default 170) bounds the VM run in seconds.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$HERE/lib.sh"
# shellcheck source=tests/vm/lib.sh
source "$HERE/../vm/lib.sh"

TIMEOUT=${IGVM_TIMEOUT:-170}
T_START=$SECONDS
TMP=

cleanup() {
	local rc=$?
	igvm_stop
	[[ -n $TMP && -d $TMP ]] && rm -rf -- "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'fail "interrupted"; lib_summary; exit 130' INT TERM HUP

why=$(igvm_unavailable router) && skip "$why"
[[ -x $ISAGATE && -r $XDP_PASS_OBJ ]] || die "build/isagate or build/xdp_pass.bpf.o missing: run 'make'"
TMP=$(mktemp -d /tmp/igvv-$$.XXXXXX) || die "mktemp failed"

step "VM image with the router test payload (tests/vm/build-image.sh --router, cached in ${IGVM_DIR#"$IG_ROOT"/})"
out=$(igvm_build_router 2>&1) || die "building the VM image failed: ${out:0:2000}"
info "$(tail -n1 <<<"$out")"
pass "VM image ready ($(head -n1 "$IGVM_DIR/image.info"))"

step "boot the VM: tests/vm/router_vlan.sh (scenarios: 802.1Q, QinQ, one trunk)"
CONSOLE=$TMP/console.log
T0=$SECONDS
igvm_start_router "$CONSOLE" router_vlan.sh "${IGVM_VLAN_PARAMS:-}" || die "cannot start the VM"
igvm_wait_line "$CONSOLE" '^IGVM DONE' "$TIMEOUT"
rc=$?
case $rc in
0) pass "VM run finished ($((SECONDS - T0)) s)" ;;
1) fail "VM run did not finish within ${TIMEOUT}s" ;;
*) fail "qemu exited before the VM said DONE: $(tail -n5 "$CONSOLE.qemu" 2>/dev/null)" ;;
esac
igvm_wait_exit 15 || info "VM did not power off; killed"

# The VM's results: its own check lines, counted here; diagnostics shown.
c=$(tr -d '\r' <"$CONSOLE")
vm_pass=0 vm_fail=0
while IFS= read -r l; do
	case $l in
	"ok - "*)
		pass "VM: ${l#ok - }"
		vm_pass=$((vm_pass + 1))
		;;
	"not ok - "*)
		fail "VM: ${l#not ok - }"
		vm_fail=$((vm_fail + 1))
		;;
	"# "*) info "${l#\# }" ;;
	esac
done <<<"$c"
check_eq "VM: modules (8021q, veth, bridge, sit) loaded" "$(igvm_result "$CONSOLE" MODULES)" ok
sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$c" | tail -n1)
check_eq "VM: its summary matches the lines received" "$sum" "$vm_pass passed, $vm_fail failed"
check_eq "VM: router_vlan.sh exit status" "$(igvm_result "$CONSOLE" RUN | awk '{print $2}')" 0
# 3 scenarios x 20-odd checks: fewer means a scenario stopped early
check_ge "VM: checks run" "$vm_pass" 60
if ((rc != 0 || vm_fail != 0)) || [[ -z $sum ]]; then
	info "VM console (last 60 lines of $CONSOLE):"
	grep -Ev '^(ok|not ok) - ' <<<"$c" | tail -n 60 | sed 's/^/     | /'
	err=$(igvm_result "$CONSOLE" ERROR)
	[[ -z $err ]] || fail "VM: $err"
fi

info "timing: whole test $((SECONDS - T_START)) s"
lib_summary
