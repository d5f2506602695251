# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/fresh_lib.sh - brand-new Debian 12 trees for tests/fresh.sh (a
# chroot) and tests/integration/test_units.sh (a container booted with
# systemd).  Sourced; needs root.
#   fresh_unpack DIR   DIR becomes a new minbase tree with a Debian 12
#                      machine's package sources, and a mount point of its own
#   fresh_release DIR  unmount everything under DIR and remove it
# The pristine tree comes from debootstrap once and is kept as a tarball
# (ISAGATE_FRESH_CACHE, default /var/cache/isagate/fresh-bookworm.tar).

FRESH_CACHE=${ISAGATE_FRESH_CACHE:-/var/cache/isagate/fresh-bookworm.tar}
FRESH_SUITE=${ISAGATE_FRESH_SUITE:-bookworm}

fresh_die() { echo "fresh: $*" >&2; exit 2; }

fresh_cache_ensure() {
	local build
	[[ -s $FRESH_CACHE ]] && return 0
	if ! command -v debootstrap >/dev/null 2>&1; then
		echo "fresh: installing debootstrap"
		{ apt-get update -q && apt-get install -y -q --no-install-recommends debootstrap; } >/dev/null ||
			fresh_die "could not install debootstrap: apt-get install debootstrap"
	fi
	echo "fresh: building a minimal Debian tree ($FRESH_SUITE, once; kept in $FRESH_CACHE)"
	mkdir -p "$(dirname "$FRESH_CACHE")"
	build=$(mktemp -d /var/tmp/isagate-fresh-build.XXXXXX)
	if ! debootstrap --variant=minbase "$FRESH_SUITE" "$build" >"$build.log" 2>&1; then
		rm -rf --one-file-system "$build"
		fresh_die "debootstrap $FRESH_SUITE failed; its log: $build.log"
	fi
	tar --numeric-owner -C "$build" -cf "$FRESH_CACHE.part" . && mv "$FRESH_CACHE.part" "$FRESH_CACHE"
	rm -rf --one-file-system "$build" "$build.log"
}

fresh_unpack() {
	local root=$1
	fresh_cache_ensure
	# The tree's root is a mount point, as / is on every machine: `ip netns`
	# makes / a slave mount ("mount --make-rslave /"), which fails on a plain
	# directory with EINVAL.
	mount --bind "$root" "$root" && mount --make-private "$root" || fresh_die "cannot bind-mount $root"
	tar --numeric-owner -C "$root" -xf "$FRESH_CACHE" ||
		fresh_die "unpacking $FRESH_CACHE failed (remove it to rebuild)"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	# The package sources of a Debian 12 machine as its installer leaves them
	# (debootstrap writes only the release suite, without its updates and
	# security fixes, and would fetch older packages than any machine runs).
	[[ $FRESH_SUITE == bookworm ]] || return 0
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
}

fresh_release() {
	local root=$1 m
	[[ -n $root && -d $root ]] || return 0
	for m in dev/pts dev sys proc run/netns; do
		mountpoint -q "$root/$m" 2>/dev/null && umount -R -l "$root/$m"
	done
	mountpoint -q "$root" && umount -R -l "$root"
	rm -rf --one-file-system "$root"
	return 0
}
