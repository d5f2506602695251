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
# (tests/fresh_lib.sh); every run unpacks a new copy under /var/tmp and
# removes it on every exit path.
# /proc, /sys and /dev are bound in, so XDP and namespace tests run too.
# Needs root and the Debian mirror (debootstrap is installed if missing).
# COMMAND sees ISAGATE_FRESH=1; ISAGATE_FRESH_FILES="F ..." copies built files
# (not committed ones, e.g. a .deb) into /src/.fresh/ first.
# Exit status: COMMAND's, or 2 when the tree could not be prepared.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/fresh_lib.sh"
die() { fresh_die "$@"; }

top=$(cd "$here/.." && git rev-parse --show-toplevel 2>/dev/null) ||
	die "run from a git checkout of isagate (it copies the committed files)"
cmd=${1:-"apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends make >/dev/null && make deps && make -j2 all && make unit"}

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot, mounts)"

root=$(mktemp -d /var/tmp/isagate-fresh.XXXXXX)
trap 'set +e; fresh_release "$root"' EXIT
trap 'exit 130' INT TERM
fresh_unpack "$root"
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

echo "fresh: commit $(git -C "$top" rev-parse --short HEAD) in a new Debian $FRESH_SUITE minbase tree: $cmd"
rc=0
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
	LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive CI="${CI:-}" ISAGATE_FRESH=1 \
	/bin/bash -c "cd /src && $cmd" || rc=$?
echo "fresh: exit status $rc"
exit "$rc"
