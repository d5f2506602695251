# shellcheck shell=bash
# Helpers to run the Linux ISATAP test host VM (tests/vm/build-image.sh,
# tests/vm/init) with its NIC on a tap device inside a network namespace.
# Source from bash:  . tests/vm/lib.sh
#
#   igvm_unavailable [router]   prints why the VM cannot run here (status 0), or status 1 if it can;
#                               "router": the router test VM (no NIC: no tap, no nsenter needed)
#   igvm_build                  builds or refreshes the cached image (build/vm)
#   igvm_build_router           the same, plus the router test payload (isagate,
#                               xdp_pass, tests/vm/router_*.sh; build-image.sh --router)
#   igvm_start NETNS TAP CONSOLE MAC PARAMS...
#                               boots the VM (qemu runs inside NETNS, opens the existing tap TAP);
#                               PARAMS are igvm.* kernel parameters (see tests/vm/init);
#                               the serial console goes to the file CONSOLE; sets IGVM_PID
#   igvm_start_router CONSOLE SCRIPT PARAMS...
#                               boots the router test image (no NIC, no namespace
#                               needed) running /igvm-router/SCRIPT; PARAMS are
#                               igvm.* parameters for SCRIPT; sets IGVM_PID
#   igvm_wait_line CONSOLE REGEX TIMEOUT
#                               waits until a console line matches REGEX (extended);
#                               0 matched, 1 timed out, 2 the VM exited without it
#   igvm_result CONSOLE KEY     prints the fields after "IGVM KEY " of the last such line
#   igvm_wait_exit TIMEOUT      waits for the VM to power off; kills it after TIMEOUT s (status 1)
#   igvm_stop                   kills the VM if it still runs (safe to call from a trap)

IGVM_ROOT=${IGVM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
IGVM_DIR=${IGVM_DIR:-$IGVM_ROOT/build/vm}
IGVM_QEMU=${IGVM_QEMU:-qemu-system-x86_64}
IGVM_MEM=${IGVM_MEM:-256}
IGVM_ROUTER_MEM=${IGVM_ROUTER_MEM:-512}   # isagate's maps, three namespaces' stacks
IGVM_PID=

igvm_unavailable() {
	if ! command -v "$IGVM_QEMU" >/dev/null 2>&1; then
		echo "$IGVM_QEMU not installed (apt-get install qemu-system-x86)"
		return 0
	fi
	if ! "$IGVM_QEMU" -accel help 2>/dev/null | grep -qx tcg; then
		echo "$IGVM_QEMU has no TCG accelerator"
		return 0
	fi
	[ "${1:-}" != router ] || return 1
	if [ ! -c /dev/net/tun ]; then
		echo "/dev/net/tun missing (no tap devices for the VM's NIC)"
		return 0
	fi
	if ! command -v nsenter >/dev/null 2>&1; then
		echo "nsenter not installed (util-linux)"
		return 0
	fi
	return 1
}

igvm_build() {
	"$IGVM_ROOT/tests/vm/build-image.sh"
}

igvm_start() {
	local ns=$1 tap=$2 console=$3 mac=$4
	shift 4
	if [ ! -s "$IGVM_DIR/vmlinuz" ] || [ ! -s "$IGVM_DIR/initramfs.cpio.gz" ]; then
		echo "igvm_start: no VM image in $IGVM_DIR (run tests/vm/build-image.sh)" >&2
		return 1
	fi
	: > "$console"
	# TCG only: /dev/kvm may exist but its guests hang on this kind of machine.
	nsenter --net="/run/netns/$ns" -- "$IGVM_QEMU" \
		-accel tcg -cpu max -m "$IGVM_MEM" -smp 1 \
		-nodefaults -no-user-config -display none -monitor none -no-reboot \
		-serial "file:$console" \
		-kernel "$IGVM_DIR/vmlinuz" -initrd "$IGVM_DIR/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet loglevel=4 panic=-1 $*" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
		-device "e1000,netdev=n0,mac=$mac,romfile=" \
		</dev/null >"$console.qemu" 2>&1 &
	IGVM_PID=$!
	return 0
}

igvm_build_router() {
	"$IGVM_ROOT/tests/vm/build-image.sh" --router
}

igvm_start_router() {
	local console=$1 script=$2
	shift 2
	if [ ! -s "$IGVM_DIR/vmlinuz" ] || [ ! -s "$IGVM_DIR/initramfs-router.cpio.gz" ]; then
		echo "igvm_start_router: no router test image in $IGVM_DIR (run tests/vm/build-image.sh --router)" >&2
		return 1
	fi
	: > "$console"
	"$IGVM_QEMU" \
		-accel tcg -cpu max -m "$IGVM_ROUTER_MEM" -smp 1 \
		-nodefaults -no-user-config -display none -monitor none -no-reboot \
		-serial "file:$console" \
		-kernel "$IGVM_DIR/vmlinuz" -initrd "$IGVM_DIR/initramfs-router.cpio.gz" \
		-append "console=ttyS0 quiet loglevel=4 panic=-1 igvm.mode=router igvm.run=$script $*" \
		</dev/null >"$console.qemu" 2>&1 &
	IGVM_PID=$!
	return 0
}

igvm_running() {
	[ -n "$IGVM_PID" ] && kill -0 "$IGVM_PID" 2>/dev/null
}

igvm_wait_line() {
	local console=$1 re=$2 timeout=$3 end
	end=$(( $(date +%s%N) / 1000000 + timeout * 1000 ))
	while :; do
		if tr -d '\r' < "$console" | grep -Eq "$re"; then return 0; fi
		if ! igvm_running; then
			tr -d '\r' < "$console" | grep -Eq "$re" && return 0
			return 2
		fi
		[ $(( $(date +%s%N) / 1000000 )) -lt "$end" ] || return 1
		sleep 0.2
	done
}

igvm_result() {
	tr -d '\r' < "$1" | sed -n "s/^IGVM $2 //p" | tail -n1
}

igvm_wait_exit() {
	local timeout=$1 end
	[ -n "$IGVM_PID" ] || return 0
	end=$(( $(date +%s) + timeout ))
	while igvm_running; do
		if [ "$(date +%s)" -ge "$end" ]; then
			igvm_stop
			return 1
		fi
		sleep 0.2
	done
	wait "$IGVM_PID" 2>/dev/null
	IGVM_PID=
	return 0
}

igvm_stop() {
	local n=0
	[ -n "$IGVM_PID" ] || return 0
	if kill -0 "$IGVM_PID" 2>/dev/null; then
		kill "$IGVM_PID" 2>/dev/null
		while ((n++ < 10)) && kill -0 "$IGVM_PID" 2>/dev/null; do
			sleep 0.2
		done
		kill -9 "$IGVM_PID" 2>/dev/null
	fi
	wait "$IGVM_PID" 2>/dev/null
	IGVM_PID=
	return 0
}
