#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/fresh.sh [COMMAND] - run COMMAND (default: the build and the unit
# tests, as the README gives them for a new machine) as root inside a
# brand-new Debian 12 minbase tree that holds only this checkout's committed
# files.  Whatever this machine has installed by hand is absent there, so a
# package that `make deps` forgets fails here as it would for a new user.
#
# The pristine tree comes from debootstrap once and is kept as a tarball
# (ISAGATE_FRESH_CACHE, default /var/cache/isagate/fresh-bookworm.tar); every
# run unpacks a new copy under /var/tmp and removes it on every exit path.
# /proc, /sys and /dev are bound in, so XDP and namespace tests run too.
# Needs root and the Debian mirror (debootstrap is installed if missing).
# COMMAND sees ISAGATE_FRESH=1; ISAGATE_FRESH_FILES="F ..." copies built files
# (not committed ones, e.g. a .deb) into /src/.fresh/ first.
# Exit status: COMMAND's, or 2 when the tree could not be prepared.
set -euo pipefail

die() { echo "fresh: $*" >&2; exit 2; }

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && git rev-parse --show-toplevel 2>/dev/null) ||
	die "run from a git checkout of isagate (it copies the committed files)"
cmd=${1:-"apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends make >/dev/null && make deps && make -j2 all && make unit"}
cache=${ISAGATE_FRESH_CACHE:-/var/cache/isagate/fresh-bookworm.tar}
suite=${ISAGATE_FRESH_SUITE:-bookworm}

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot, mounts)"

if [[ ! -s $cache ]]; then
	if ! command -v debootstrap >/dev/null 2>&1; then
		echo "fresh: installing debootstrap"
		apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends debootstrap >/dev/null ||
			die "could not install debootstrap: apt-get install debootstrap"
	fi
	echo "fresh: building a minimal Debian tree ($suite, once; kept in $cache)"
	mkdir -p "$(dirname "$cache")"
	build=$(mktemp -d /var/tmp/isagate-fresh-build.XXXXXX)
	trap 'rm -rf --one-file-system "$build"' EXIT
	debootstrap --variant=minbase "$suite" "$build" >"$build.log" 2>&1 ||
		die "debootstrap $suite failed; its log: $build.log"
	tar --numeric-owner -C "$build" -cf "$cache.part" . && mv "$cache.part" "$cache"
	rm -rf --one-file-system "$build" "$build.log"
	trap - EXIT
fi

root=$(mktemp -d /var/tmp/isagate-fresh.XXXXXX)
unmount_all() {
	local m
	for m in dev/pts dev sys proc run/netns; do
		mountpoint -q "$root/$m" 2>/dev/null && umount -R -l "$root/$m"
	done
	mountpoint -q "$root" && umount -R -l "$root"
	return 0
}
cleanup() {
	set +e
	unmount_all
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The tree's root is a mount point, as / is on every machine: `ip netns`
# makes / a slave mount ("mount --make-rslave /"), which fails on a plain
# directory with EINVAL.
mount --bind "$root" "$root" && mount --make-private "$root"
tar --numeric-owner -C "$root" -xf "$cache" || die "unpacking $cache failed (remove it to rebuild)"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# The package sources of a Debian 12 machine as its installer leaves them
# (debootstrap alone writes only the release suite, without its updates and
# security fixes, and would fetch older packages than any real machine runs).
if [[ $suite == bookworm ]]; then
	rm -f "$root/etc/apt/sources.list"
	cat >"$root/etc/apt/sources.list.d/debian.sources" <<-EOF
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: bookworm bookworm-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb
		URIs: http://deb.debian.org/debian-security
		Suites: bookworm-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
fi
mkdir -p "$root/src"
git -C "$top" archive HEAD | tar -C "$root/src" -x || die "git archive HEAD failed"
# ISAGATE_FRESH_FILES: built files a test brings along (a .deb), in /src/.fresh
if [[ -n ${ISAGATE_FRESH_FILES:-} ]]; then
	mkdir -p "$root/src/.fresh"
	for f in $ISAGATE_FRESH_FILES; do
		cp -- "$f" "$root/src/.fresh/" || die "cannot copy $f into the tree"
	done
fi
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"

echo "fresh: commit $(git -C "$top" rev-parse --short HEAD) in a new Debian $suite minbase tree: $cmd"
rc=0
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
	LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive CI="${CI:-}" ISAGATE_FRESH=1 \
	/bin/bash -c "cd /src && $cmd" || rc=$?
echo "fresh: exit status $rc"
exit "$rc"
