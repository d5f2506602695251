#!/bin/bash
# Build the Linux ISATAP test host VM: Debian's kernel + a small initramfs
# (busybox-static, iproute2's ip, isatapd, the sit/ISATAP and NIC modules).
#
#   tests/vm/build-image.sh [--force] [--router]
#
# Output (cached, rebuilt only when this script, tests/vm/init or the host's
# ip binary change, or with --force) in $IGVM_DIR (default build/vm):
#   vmlinuz  initramfs.cpio.gz  image.info  stamp
# Downloaded .deb files are kept in build/vm/debs so a rebuild needs no network.
# Needs: apt-get (with package lists: `apt-get update`), dpkg-deb, tar, gzip,
# ldd; xz or zstd only if the kernel ships compressed modules.
#
# The base image also carries, unloaded, the modules a router test needs
# (8021q, veth, bridge and their dependencies; listed in /etc/modules.router).
# --router additionally packs the "router test" payload, an initramfs overlay
# appended to the base image (the kernel unpacks concatenated archives):
#   router.cpio.gz            /igvm-router/: build/isagate, build/xdp_pass.bpf.o,
#                             tests/vm/router_*.sh, the host's ethtool and
#                             bpftool (if installed), the shared libraries
#                             ldd lists for them
#   initramfs-router.cpio.gz  initramfs.cpio.gz + router.cpio.gz (boot this
#                             with igvm.mode=router, see tests/vm/init)
#   router.stamp
# rebuilt whenever one of those files (or the base image) changes.  The
# binaries come from $IGVM_BUILD (default build/: run `make` first).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${IGVM_DIR:-$ROOT/build/vm}
FORCE=0
ROUTER=0
for arg in "$@"; do
	case "$arg" in
		--force) FORCE=1 ;;
		--router) ROUTER=1 ;;
		*) echo "usage: $0 [--force] [--router]" >&2; exit 2 ;;
	esac
done

die() { echo "build-image: $*" >&2; exit 1; }
log() { echo "build-image: $*" >&2; }

# Kernel config symbols the VM needs, and the module providing each when =m.
NEED_BUILTIN="CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_DEVTMPFS CONFIG_SERIAL_8250_CONSOLE"
NEED_FEATURES="CONFIG_IPV6:ipv6 CONFIG_IPV6_SIT:sit CONFIG_E1000:e1000"
ROUTER_FEATURES="CONFIG_VLAN_8021Q:8021q CONFIG_VETH:veth CONFIG_BRIDGE:bridge"

IP_BIN=$(command -v ip || true)
[ -n "$IP_BIN" ] || die "iproute2's ip not found on this machine (apt-get install iproute2)"
IP_BIN=$(readlink -f "$IP_BIN")

stamp_input() {
	sha256sum "$HERE/build-image.sh" "$HERE/init" "$IP_BIN" | awk '{print $1}' | sha256sum | awk '{print $1}'
}
STAMP=$(stamp_input)

WORK=
RWORK=
trap 'rm -rf ${WORK:+"$WORK"} ${RWORK:+"$RWORK"}' EXIT

# copy_libs_into ROOT BINARY: BINARY's shared libraries and ELF interpreter,
# at the paths ldd reports, under ROOT.
copy_libs_into() {
	local root=$1 bin=$2 lib
	ldd "$bin" | grep -q 'not found' && die "$bin: unresolved shared libraries: $(ldd "$bin" | grep 'not found')"
	for lib in $(ldd "$bin" | awk '/=> \// {print $3} /^\t\// {print $1}'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# The router test payload (--router): an overlay for the base image.
build_router() {
	local b=${IGVM_BUILD:-$ROOT/build} rstamp missing bb f r
	local bins=() scripts=()
	if [ ! -x "$b/isagate" ] || [ ! -r "$b/xdp_pass.bpf.o" ]; then
		die "$b/isagate or $b/xdp_pass.bpf.o missing: run 'make' first"
	fi
	for f in "$HERE"/router_*.sh; do [ -e "$f" ] && scripts+=("$f"); done
	[ "${#scripts[@]}" -gt 0 ] || die "no router test scripts ($HERE/router_*.sh)"
	grep -q '^router-modules ' "$OUT/image.info" 2>/dev/null ||
		die "$OUT/image.info lists no router modules: rebuild the base image (--force)"
	missing=$(sed -n 's/^router-missing //p' "$OUT/image.info")
	[ -z "$missing" ] || die "kernel $(sed -n 's/^kernel //p' "$OUT/image.info") lacks $missing: no router tests"
	f=$(command -v ethtool || true)
	[ -n "$f" ] || die "ethtool is needed in the VM (VLAN offload off on the veths): apt-get install ethtool"
	bins=("$b/isagate" "$(readlink -f "$f")")
	f=$(command -v bpftool || true)
	if [ -n "$f" ]; then
		bins+=("$(readlink -f "$f")")
	else
		log "no bpftool on this machine: the router tests skip the map dumps"
	fi
	rstamp=$( { cat "$OUT/stamp"; sha256sum "${bins[@]}" "$b/xdp_pass.bpf.o" "${scripts[@]}"; } |
		sha256sum | awk '{print $1}')
	if [ "$FORCE" = 0 ] && [ -s "$OUT/initramfs-router.cpio.gz" ] &&
	   [ "$(cat "$OUT/router.stamp" 2>/dev/null)" = "$rstamp" ]; then
		log "router payload in $OUT is up to date"
		return 0
	fi
	bb=$(for f in "$OUT"/debs/busybox-static_*.deb; do [ -e "$f" ] && echo "$f"; done | sort -V | tail -n1)
	[ -n "$bb" ] || die "no busybox-static .deb in $OUT/debs (rebuild the base image)"
	RWORK=$(mktemp -d "$OUT/rwork.XXXXXX")
	dpkg-deb -x "$bb" "$RWORK/bb"
	r="$RWORK/root"
	mkdir -p "$r/igvm-router/bin"
	for f in "${bins[@]}"; do
		cp "$f" "$r/igvm-router/bin/"
		copy_libs_into "$r" "$f"
	done
	cp "$b/xdp_pass.bpf.o" "$r/igvm-router/"
	for f in "${scripts[@]}"; do install -m 0755 "$f" "$r/igvm-router/${f##*/}"; done
	(cd "$r" && find . | LC_ALL=C sort | "$RWORK/bb/bin/busybox" cpio -o -H newc 2>/dev/null) |
		gzip -6 > "$RWORK/router.cpio.gz"
	cat "$OUT/initramfs.cpio.gz" "$RWORK/router.cpio.gz" > "$RWORK/initramfs-router.cpio.gz"
	mv -f "$RWORK/router.cpio.gz" "$OUT/router.cpio.gz"
	mv -f "$RWORK/initramfs-router.cpio.gz" "$OUT/initramfs-router.cpio.gz"
	echo "$rstamp" > "$OUT/router.stamp"
	log "built the router payload $OUT/router.cpio.gz ($(du -h "$OUT/router.cpio.gz" | cut -f1):" \
		"$(cd "$r/igvm-router" && echo bin/* *.bpf.o router_*.sh))"
}

if [ "$FORCE" = 0 ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.cpio.gz" ] &&
   [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$STAMP" ]; then
	log "image in $OUT is up to date"
	[ "$ROUTER" = 0 ] || build_router
	exit 0
fi

mkdir -p "$OUT/debs"
WORK=$(mktemp -d "$OUT/work.XXXXXX")

# --- 1. packages -----------------------------------------------------------
# Stale or missing package lists: refresh them once (as root), else say how.
LISTS_REFRESHED=0
refresh_lists() {
	[ "$LISTS_REFRESHED" = 0 ] || return 0
	LISTS_REFRESHED=1
	if [ "$(id -u)" = 0 ]; then
		log "refreshing the package lists (apt-get update)"
		apt-get update -q >&2 || log "apt-get update failed"
	fi
}

# newest FILE...: the existing file with the highest version in its name.
newest() {
	local f
	for f in "$@"; do if [ -e "$f" ]; then echo "$f"; fi; done | sort -V | tail -n1
}

# Download into debs/ unless a .deb of that package is already there.
fetch() {	# fetch PACKAGE -> prints path of the .deb
	local pkg=$1 f
	f=$(newest "$OUT/debs/${pkg}"_*.deb)
	if [ -z "$f" ]; then
		log "downloading $pkg"
		if ! (cd "$OUT/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
			refresh_lists
			(cd "$OUT/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
				die "apt-get download $pkg failed (run 'apt-get update'; the Debian mirror is needed once, then build/vm/debs is reused)"
		fi
		f=$(newest "$OUT/debs/${pkg}"_*.deb)
		[ -n "$f" ] || die "apt-get download $pkg produced no .deb"
	fi
	echo "$f"
}

KDEB=$(newest "$OUT"/debs/linux-image-[0-9]*-amd64_*.deb)
if [ -z "$KDEB" ]; then
	# linux-image-amd64 is a metapackage: find the versioned image it depends on.
	kpkg() {
		apt-cache depends linux-image-amd64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ {print $2; exit}'
	}
	KPKG=$(kpkg)
	[ -n "$KPKG" ] || { refresh_lists; KPKG=$(kpkg); }
	[ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 (run 'apt-get update')"
	KDEB=$(fetch "$KPKG")
fi
IDEB=$(fetch isatapd)
BDEB=$(fetch busybox-static)

# --- 2. kernel and modules ---------------------------------------------------
log "extracting $(basename "$KDEB")"
mkdir -p "$WORK/k"
dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C "$WORK/k" --wildcards './boot/*' './lib/modules/*'
VMLINUZ=$(newest "$WORK"/k/boot/vmlinuz-*)
KCONFIG=$(newest "$WORK"/k/boot/config-*)
[ -n "$VMLINUZ" ] && [ -n "$KCONFIG" ] || die "no /boot/vmlinuz-* or config-* in $KDEB"
KVER=${VMLINUZ##*/vmlinuz-}
MODDIR="$WORK/k/lib/modules/$KVER"
[ -d "$MODDIR/kernel" ] || die "no modules for $KVER in $KDEB"

kconf() { sed -n "s/^$1=//p" "$KCONFIG"; }
for sym in $NEED_BUILTIN; do
	[ "$(kconf "$sym")" = y ] || die "kernel $KVER: $sym is not built in; this VM image cannot boot it"
done

# Locate a module file by name (kernel treats - and _ alike).
declare -A MODPATH=()
while IFS= read -r -d '' f; do
	b=${f##*/}; b=${b%%.ko*}; MODPATH[${b//-/_}]=$f
done < <(find "$MODDIR/kernel" -name '*.ko*' -print0)

modfile() {	# modfile NAME -> uncompressed .ko path in $WORK/mods
	local n=${1//-/_} src dst
	src=${MODPATH[$n]:-}
	[ -n "$src" ] || die "module $1 not found in $KDEB"
	dst="$WORK/mods/$n.ko"
	if [ ! -e "$dst" ]; then
		mkdir -p "$WORK/mods"
		case "$src" in
			*.ko) cp "$src" "$dst" ;;
			*.ko.xz) xz -dc "$src" > "$dst" || die "xz -d $src failed (apt-get install xz-utils)" ;;
			*.ko.zst) zstd -qdc "$src" > "$dst" || die "zstd -d $src failed (apt-get install zstd)" ;;
			*.ko.gz) gzip -dc "$src" > "$dst" ;;
			*) die "unknown module format: $src" ;;
		esac
	fi
	echo "$dst"
}

moddeps() {	# moddeps NAME -> its direct dependencies, one per line
	local f
	f=$(modfile "$1")
	tr '\0' '\n' < "$f" | sed -n 's/^depends=//p' | head -n1 | tr ',' '\n' | sed '/^$/d'
}

# Depth-first: dependencies before the module itself.
ORDER=()
declare -A SEEN=()
add_mod() {
	local n=${1//-/_} d
	[ -z "${SEEN[$n]:-}" ] || return 0
	SEEN[$n]=1
	for d in $(moddeps "$n"); do add_mod "$d"; done
	ORDER+=("$n")
}
for pair in $NEED_FEATURES; do
	sym=${pair%%:*}; mod=${pair#*:}
	case "$(kconf "$sym")" in
		y) ;;
		m) add_mod "$mod" ;;
		*) die "kernel $KVER: $sym is not enabled" ;;
	esac
done
# The router tests' modules (loaded only with igvm.mode=router): a kernel
# without them still makes a good ISATAP host image.
N_BASE=${#ORDER[@]}
ROUTER_MISSING=
for pair in $ROUTER_FEATURES; do
	sym=${pair%%:*}; mod=${pair#*:}
	case "$(kconf "$sym")" in
		y) ;;
		m) add_mod "$mod" ;;
		*) ROUTER_MISSING+=" $sym" ;;
	esac
done
ROUTER_ORDER=("${ORDER[@]:N_BASE}")
ORDER=("${ORDER[@]:0:N_BASE}")

# --- 3. root file system -----------------------------------------------------
R="$WORK/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,lib/modules}
mkdir -p "$WORK/bb" "$WORK/isatapd"
dpkg-deb -x "$BDEB" "$WORK/bb"
dpkg-deb -x "$IDEB" "$WORK/isatapd"
BB="$WORK/bb/bin/busybox"
[ -x "$BB" ] || die "no bin/busybox in $BDEB"
cp "$BB" "$R/bin/busybox"
for a in $("$BB" --list); do
	case "$a" in busybox|ip) continue ;; esac	# ip: busybox's cannot make ISATAP tunnels
	ln -s busybox "$R/bin/$a"
done
cp "$IP_BIN" "$R/sbin/ip"
cp "$WORK/isatapd/usr/sbin/isatapd" "$R/usr/sbin/isatapd"

# Shared libraries and the ELF interpreter, at the paths ldd reports.
copy_libs_into "$R" "$R/sbin/ip"
copy_libs_into "$R" "$R/usr/sbin/isatapd"

for n in "${ORDER[@]}" "${ROUTER_ORDER[@]}"; do
	cp "$(modfile "$n")" "$R/lib/modules/$n.ko"
done
printf '%s\n' "${ORDER[@]}" > "$R/etc/modules.order"
printf '%s\n' "${ROUTER_ORDER[@]}" > "$R/etc/modules.router"
[ -z "$ROUTER_MISSING" ] || echo "kernel $KVER lacks$ROUTER_MISSING" > "$R/etc/modules.router.missing"
mkdir -p "$R/run/netns"

cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$R/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files\n' > "$R/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$R/etc/hosts"
echo igvm > "$R/etc/hostname"
install -m 0755 "$HERE/init" "$R/init"

# --- 4. initramfs and metadata ---------------------------------------------
(cd "$R" && find . | LC_ALL=C sort | "$BB" cpio -o -H newc 2>/dev/null) | gzip -9 > "$WORK/initramfs.cpio.gz"
cp "$VMLINUZ" "$WORK/vmlinuz"
{
	echo "kernel $KVER ($(basename "$KDEB"))"
	echo "isatapd $(basename "$IDEB")"
	echo "busybox $(basename "$BDEB")"
	echo "ip $IP_BIN (iproute2 $(dpkg-query -W -f '${Version}' iproute2 2>/dev/null || echo unknown))"
	echo "modules ${ORDER[*]}"
	echo "router-modules ${ROUTER_ORDER[*]}"
	[ -z "$ROUTER_MISSING" ] || echo "router-missing${ROUTER_MISSING}"
} > "$WORK/image.info"
mv -f "$WORK/vmlinuz" "$OUT/vmlinuz"
mv -f "$WORK/initramfs.cpio.gz" "$OUT/initramfs.cpio.gz"
mv -f "$WORK/image.info" "$OUT/image.info"
echo "$STAMP" > "$OUT/stamp"
log "built $OUT (kernel $KVER, modules: ${ORDER[*]}, router modules: ${ROUTER_ORDER[*]:-none}, initramfs $(du -h "$OUT/initramfs.cpio.gz" | cut -f1))"
[ "$ROUTER" = 0 ] || build_router
