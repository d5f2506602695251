#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/integration/test_deb.sh - the Debian package, end to end:
#   make deb (debhelper; lintian with no error), then in a brand-new Debian 12
#   tree (tests/fresh.sh; when this already runs in one, in it): apt-get
#   install of the .deb (Depends from dh_shlibdeps resolved by apt),
#   isagate --version, man -w isagate, systemd-analyze verify of every unit,
#   the units neither enabled nor started, isagate attach --help, the sample
#   settings registered as conffiles; dpkg -r keeps an edited conffile,
#   dpkg -P leaves nothing.
# Root; needs the Debian mirror (as make deps does).  Each stage's time is
# printed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
finish() { echo "$pass passed, $fail failed"; ((fail == 0)); exit; }

if [[ ${1:-} == --inside ]]; then
	# ---- runs inside the fresh tree, DEB=$2 ---------------------------------
	deb=$2
	check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
	t0=$SECONDS
	apt-get update -q >/dev/null 2>&1
	if apt-get install -y -q --no-install-recommends "$deb" man-db systemd >/tmp/apt.log 2>&1; then
		ok "apt-get install $(basename "$deb") (dependencies from the mirror, $((SECONDS - t0)) s)"
	else
		bad "apt-get install $(basename "$deb"): $(tail -n 5 /tmp/apt.log)"
		finish
	fi
	v=$(isagate --version 2>&1)
	check "isagate --version: $v" grep -q '^isagate [0-9]' <<<"$v"
	m=$(man -w isagate 2>&1)
	check "man -w isagate: $m" test "$m" = /usr/share/man/man8/isagate.8.gz
	check "isagate attach --help exits 0" bash -c 'isagate attach --help >/dev/null 2>&1'
	units=(/lib/systemd/system/isagate*.service /lib/systemd/system/isagate*.timer)
	check "the package installs ${#units[@]} units" test "${#units[@]}" -ge 8
	out=$(systemd-analyze verify "${units[@]}" 2>&1)
	check "systemd-analyze verify: every unit${out:+ ($out)}" test -z "$out"
	# (postinst re-enables a unit only where the operator had enabled it)
	for u in "${units[@]##*/}"; do
		st=$(systemctl is-enabled "$u" 2>&1)
		check "$u is installed, not enabled ($st)" bash -c "[[ $st == disabled || $st == static ]]"
	done
	# (the tree shares this machine's /sys, so the pins say nothing: read
	# what the maintainer scripts do instead)
	pi=$(dpkg-query --control-show isagate postinst 2>/dev/null)
	check "postinst starts no unit" bash -c '! grep -Eq "deb-systemd-invoke (start|restart)|systemctl (start|restart)" <<<"$1"' _ "$pi"
	cf=$(dpkg-query -W -f='${Conffiles}' isagate | awk '{print $1}' | sort | tr '\n' ' ')
	check "conffiles: $cf" test "$cf" = "/etc/default/isagate /etc/isagate/isagate.conf /etc/isagate/members.txt /etc/isagate/policy.txt "
	check "bash completion installed" test -s /usr/share/bash-completion/completions/isagate
	echo "192.0.2.77   # added by the operator" >>/etc/isagate/members.txt
	check "dpkg -r isagate" bash -c 'dpkg -r isagate >/tmp/dpkg.log 2>&1'
	check "after dpkg -r: the binary is gone" test ! -e /usr/sbin/isagate
	check "after dpkg -r: the edited conffile is kept" grep -q 192.0.2.77 /etc/isagate/members.txt
	check "after dpkg -r: the package is in state rc" \
		bash -c "dpkg-query -W -f='\${db:Status-Abbrev}' isagate | grep -q '^rc'"
	check "dpkg -P isagate" bash -c 'dpkg -P isagate >/tmp/dpkg.log 2>&1'
	left=$(ls -d /etc/isagate /etc/default/isagate /usr/sbin/isagate /lib/systemd/system/isagate* \
		/usr/share/doc/isagate /usr/share/man/man8/isagate.8.gz 2>/dev/null | tr '\n' ' ')
	check "after dpkg -P nothing is left${left:+ (left: $left)}" test -z "$left"
	check "after dpkg -P dpkg no longer knows isagate" bash -c '! dpkg-query -W isagate >/dev/null 2>&1'
	finish
fi

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (a chroot and dpkg)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/isagate-deb.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

t0=$SECONDS
if make -C "$ROOT" --no-print-directory BUILD="$tmp/build" deb >"$tmp/deb.log" 2>&1; then
	ok "make deb: package built, lintian reports no error ($((SECONDS - t0)) s)"
else
	bad "make deb failed: $(tail -n 15 "$tmp/deb.log")"
	finish
fi
deb=$(ls "$tmp"/build/deb/isagate_*_amd64.deb 2>/dev/null | head -n 1)
tags=$(grep -E '^[EW]: ' "$tmp/deb.log" | grep -c . || true)
ok "lintian: $tags error/warning tags not overridden"

t0=$SECONDS
# already in a brand-new tree: tests/fresh.sh's (ISAGATE_FRESH), or a chroot
# whose / is not even a mount point (a fresh-machine chroot's, as tests/fresh.sh makes)
if [[ ${ISAGATE_FRESH:-} == 1 ]] || ! mountpoint -q /; then
	# already in a brand-new tree (tests/fresh.sh "make test"): install here
	echo "# this runs in a fresh tree already: installing the package in it"
	bash "$0" --inside "$deb" | tee "$tmp/inside.log"
else
	ISAGATE_FRESH_FILES="$deb $0" "$ROOT/tests/fresh.sh" \
		"bash .fresh/${0##*/} --inside /src/.fresh/$(basename "$deb")" | tee "$tmp/inside.log"
fi
sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/inside.log" | tail -n 1)
if [[ -n $sum ]]; then
	pass=$((pass + ${sum%% passed*}))
	f=${sum#*passed, }
	fail=$((fail + ${f%% failed*}))
else
	bad "the fresh-tree stage printed no result"
fi
# the inner lines were printed already; print the totals of both stages
echo "# fresh-tree stage: $((SECONDS - t0)) s"
finish
