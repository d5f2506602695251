#!/bin/bash
# Build the Linux ISATAP test host VM: Debian's kernel + a small initramfs
# (busybox-static, iproute2's ip, isatapd, the sit/ISATAP and NIC modules).
#
#   tests/vm/build-image.sh [--force]
#
# Output (cached, rebuilt only when this script, tests/vm/init or the host's
# ip binary change, or with --force) in $IGVM_DIR (default build/vm):
#   vmlinuz  initramfs.cpio.gz  image.info  stamp
# Downloaded .deb files are kept in build/vm/debs so a rebuild needs no network.
# Needs: apt-get (with package lists: `apt-get update`), dpkg-deb, tar, gzip,
# ldd; xz or zstd only if the kernel ships compressed modules.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${IGVM_DIR:-$ROOT/build/vm}
FORCE=0
case "${1:-}" in
	--force) FORCE=1 ;;
	"") ;;
	*) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

die() { echo "build-image: $*" >&2; exit 1; }
log() { echo "build-image: $*" >&2; }

# Kernel config symbols the VM needs, and the module providing each when =m.
NEED_BUILTIN="CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_DEVTMPFS CONFIG_SERIAL_8250_CONSOLE"
NEED_FEATURES="CONFIG_IPV6:ipv6 CONFIG_IPV6_SIT:sit CONFIG_E1000:e1000"

IP_BIN=$(command -v ip || true)
[ -n "$IP_BIN" ] || die "iproute2's ip not found on this machine (apt-get install iproute2)"
IP_BIN=$(readlink -f "$IP_BIN")

stamp_input() {
	sha256sum "$HERE/build-image.sh" "$HERE/init" "$IP_BIN" | awk '{print $1}' | sha256sum | awk '{print $1}'
}
STAMP=$(stamp_input)

if [ "$FORCE" = 0 ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.cpio.gz" ] &&
   [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$STAMP" ]; then
	log "image in $OUT is up to date"
	exit 0
fi

mkdir -p "$OUT/debs"
WORK=$(mktemp -d "$OUT/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

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
copy_libs() {
	local lib
	ldd "$1" | grep -q 'not found' && die "$1: unresolved shared libraries: $(ldd "$1" | grep 'not found')"
	for lib in $(ldd "$1" | awk '/=> \// {print $3} /^\t\// {print $1}'); do
		[ -e "$R$lib" ] && continue
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
}
copy_libs "$R/sbin/ip"
copy_libs "$R/usr/sbin/isatapd"

for n in "${ORDER[@]}"; do
	cp "$(modfile "$n")" "$R/lib/modules/$n.ko"
done
printf '%s\n' "${ORDER[@]}" > "$R/etc/modules.order"

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
} > "$WORK/image.info"
mv -f "$WORK/vmlinuz" "$OUT/vmlinuz"
mv -f "$WORK/initramfs.cpio.gz" "$OUT/initramfs.cpio.gz"
mv -f "$WORK/image.info" "$OUT/image.info"
echo "$STAMP" > "$OUT/stamp"
log "built $OUT (kernel $KVER, modules: ${ORDER[*]}, initramfs $(du -h "$OUT/initramfs.cpio.gz" | cut -f1))"
