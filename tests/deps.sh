#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/deps.sh - install the Debian packages that building and testing
# isagate need, only those missing, and make sure a bpffs is mounted at
# /sys/fs/bpf.  Idempotent and quiet when there is nothing to do.
# Run as root (make deps).  Debian 12 (bookworm) or later.
set -euo pipefail

PACKAGES=(
	# build: BPF objects, skeleton, loader
	make gcc libc6-dev pkg-config clang llvm bpftool
	# the format check (tests/unit/test_format.sh): clang-format, git clang-format
	clang-format git
	# the parsers' fuzzers: clang's libFuzzer and sanitizer runtimes
	libclang-rt-14-dev
	libbpf-dev libelf-dev zlib1g-dev libjson-c-dev libinih-dev libmnl-dev libldap-dev libsasl2-dev
	# tests and demo: namespaces, packet crafting, captures
	iproute2 util-linux procps python3 python3-scapy tcpdump iputils-ping ethtool
	# the Linux ISATAP host VM (tests/vm: Debian's kernel, isatapd and busybox
	# are fetched with apt-get download, not installed)
	qemu-system-x86
	# visibility: a real IPFIX collector (nfcapd) and reader (nfdump)
	nfdump
	# the directory tests: a real Active Directory (Samba AD DC), its tools
	samba-ad-dc samba-ad-provision ldap-utils libsasl2-modules-gssapi-mit
	# the manual page's checks (man --warnings, lexgrog); make deb and its checks
	man-db build-essential debhelper dpkg-dev lintian
	# the units test: a systemd container on a fresh tree
	systemd-container debootstrap
	# make bench: the plot
	gnuplot-nox jq
	# the alerting rules (promtool) and the Prometheus end-to-end test: a real
	# node_exporter and server.  On a systemd machine both packages enable and
	# start their own services (root namespace, :9090, :9100); the tests never
	# use those: theirs run in the test's network namespace on its loopback,
	# with their own data directory.
	prometheus prometheus-node-exporter
	# isagate top: ncurses; its test drives it in tmux
	libncurses-dev tmux
	# explain's tests and the demo: the remote laptop's firewall (nft in D)
	nftables
)

die() { echo "deps: $*" >&2; exit 1; }

installed() {
	local st
	st=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
	[[ $st == *" ok installed" ]]
}

command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 ||
	die "this script installs Debian packages with apt-get; install these by hand: ${PACKAGES[*]}"

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done

if ((${#missing[@]})); then
	[[ $(id -u) -eq 0 ]] || die "missing packages: ${missing[*]} - run 'make deps' as root (or: sudo apt-get install ${missing[*]})"
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Refresh the package lists once, only when they are needed.
	apt-get update -q ||
		die "apt-get update failed: check the network and /etc/apt/sources.list"
	apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		die "apt-get install failed for: ${missing[*]}"
	for p in "${missing[@]}"; do
		installed "$p" || die "package $p is still not installed after apt-get install"
	done
fi

# isagate pins its maps and links in a bpffs (default /sys/fs/bpf/isagate).
if [[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) != bpf_fs ]]; then
	[[ $(id -u) -eq 0 ]] || die "no bpffs at /sys/fs/bpf - run 'make deps' as root (or: mount -t bpf bpf /sys/fs/bpf)"
	mkdir -p /sys/fs/bpf
	mount -t bpf bpf /sys/fs/bpf ||
		die "cannot mount a bpffs at /sys/fs/bpf (in a container: run it privileged)"
	echo "deps: mounted bpffs at /sys/fs/bpf"
fi
