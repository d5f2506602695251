#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/unit/test_install.sh - `make install` / `make uninstall` into a
# staging DESTDIR, and the manual page isagate(8):
#  - the tree is laid out as a Debian network daemon's, for PREFIX=/usr and
#    the default /usr/local; the installed units name the installed binary;
#  - a second install keeps an operator's edited settings; uninstall removes
#    everything else and leaves them;
#  - isagate.8 has no groff/man warnings, lexgrog reads its NAME line, and
#    every command, long option and exit code the binary's own --help prints
#    is documented in it (the page cannot drift from the code unnoticed).
# Needs no root and no network; runs from the checkout after `make all`.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
BIN=$ROOT/$BUILD/isagate
MAN=$ROOT/user/isagate.8
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/isagate-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

[[ -x $BIN ]] || { echo "$BIN missing: run 'make all' first"; echo "0 passed, 1 failed"; exit 1; }

mk() { make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$@" >"$tmp/make.log" 2>&1; }

# ---- install with PREFIX=/usr (a package's layout) -----------------------
d=$tmp/usr
check "make install PREFIX=/usr DESTDIR=... succeeds" mk install PREFIX=/usr DESTDIR="$d"
for f in usr/sbin/isagate usr/share/man/man8/isagate.8 usr/share/bash-completion/completions/isagate usr/lib/systemd/system/isagate.service \
	usr/lib/systemd/system/isagate-members.timer usr/share/doc/isagate/README.md \
	usr/share/doc/isagate/examples/isagate.cron etc/isagate/isagate.conf etc/isagate/members.txt \
	etc/isagate/policy.txt etc/default/isagate usr/share/isagate/prometheus/isagate.rules.yml; do
	check "PREFIX=/usr installs /$f" test -s "$d/$f"
done
check "the binary is executable" test -x "$d/usr/sbin/isagate"
check "the units name the installed binary /usr/sbin/isagate" \
	grep -q '^ExecStart=/usr/sbin/isagate attach' "$d/usr/lib/systemd/system/isagate.service"
check "no installed unit names /usr/local" \
	bash -c "! grep -l '/usr/local' '$d'/usr/lib/systemd/system/*"
check "every unit in deploy/ is installed" \
	bash -c "for u in '$ROOT'/deploy/*.service '$ROOT'/deploy/*.timer; do [ -s '$d/usr/lib/systemd/system/'\${u##*/} ] || exit 1; done"

# ---- the default PREFIX, a second install, uninstall ----------------------
d=$tmp/local
check "make install (default PREFIX) succeeds" mk install DESTDIR="$d"
check "default PREFIX is /usr/local: /usr/local/sbin/isagate" test -x "$d/usr/local/sbin/isagate"
check "default units go where systemd looks for /usr/local: /usr/local/lib/systemd/system" \
	grep -q '^ExecStart=/usr/local/sbin/isagate attach' "$d/usr/local/lib/systemd/system/isagate.service"
check "SYSCONFDIR stays /etc with the default PREFIX" test -s "$d/etc/isagate/isagate.conf"
echo "router = 198.51.100.7 ; edited by the operator" >>"$d/etc/isagate/isagate.conf"
echo "ISAGATE_POLICY=/etc/isagate/policy.txt" >>"$d/etc/default/isagate"
cp "$d/etc/isagate/isagate.conf" "$tmp/conf.edited"
cp "$d/etc/default/isagate" "$tmp/default.edited"
check "a second install succeeds" mk install DESTDIR="$d"
check "a second install keeps the edited isagate.conf" cmp -s "$tmp/conf.edited" "$d/etc/isagate/isagate.conf"
check "a second install keeps the edited /etc/default/isagate" cmp -s "$tmp/default.edited" "$d/etc/default/isagate"
check "... and says so" grep -q 'keep .*isagate.conf' "$tmp/make.log"
check "make uninstall succeeds" mk uninstall DESTDIR="$d"
left=$(cd "$d" && find . -type f | sort | tr '\n' ' ')
check "uninstall leaves only the settings (left: $left)" \
	test "$left" = "./etc/default/isagate ./etc/isagate/isagate.conf ./etc/isagate/members.txt ./etc/isagate/policy.txt "
check "uninstall keeps the edited isagate.conf" cmp -s "$tmp/conf.edited" "$d/etc/isagate/isagate.conf"

# ---- the manual page --------------------------------------------------------
if command -v man >/dev/null && command -v lexgrog >/dev/null; then
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$MAN" 2>&1 >/dev/null)
	check "man --warnings: no warnings${out:+ ($out)}" test -z "$out"
	check "lexgrog reads the NAME section" bash -c "lexgrog '$MAN' | grep -q 'isagate - '"
else
	bad "man and lexgrog missing (package man-db; make deps installs it)"
fi

src=$(sed 's/\\-/-/g' "$MAN")
documented() { grep -qF -- "$1" <<<"$src"; }
# an option as a whole word: --ra-retrans is not documented by --ra-retransmit
documented_opt() { grep -qE -- "$1([^A-Za-z0-9_-]|\$)" <<<"$src"; }

mapfile -t cmds < <("$BIN" --help 2>&1 | sed -n 's/^  isagate \([a-z]*\).*/\1/p' | sort -u)
check "isagate --help lists commands (${#cmds[@]})" test "${#cmds[@]}" -ge 10
for c in "${cmds[@]}"; do
	check "isagate.8 documents the command '$c'" documented ".SS \"$c"
	# every long option and exit code of the command's own help
	help=$("$BIN" "$c" --help 2>&1)
	for o in $(grep -oE -- '--[a-z][a-z0-9-]+' <<<"$help" | sort -u); do
		check "isagate.8 documents $c's option $o" documented_opt "$o"
	done
	for e in $(sed -n '/Exit codes:/,/^$/p' <<<"$help" | grep -oE '(^|[ ,:])[0-9]( |$)' | tr -dc '0-9\n' | sort -u); do
		check "isagate.8 documents $c's exit code $e" documented ".B $e"
	done
done
for e in $("$BIN" --help 2>&1 | sed -n '/Exit codes:/,$p' | grep -oE '(^|[ ,:])[0-9] ' | tr -dc '0-9\n' | sort -u); do
	check "isagate.8 documents the exit code $e" documented ".B $e"
done
for v in $(grep -rhoE 'getenv\("[A-Z_]+"\)' "$ROOT/user" | sed 's/getenv("\(.*\)")/\1/' | sort -u); do
	check "isagate.8 documents the environment variable $v" documented "$v"
done

# ---- bash completion ---------------------------------------------------------
# complete WORDS...: what the completion offers for the last word (may be "")
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_isagate; printf "%s\n" "${COMPREPLY[@]}"' _ "$ROOT/user/isagate.bash" "$BIN" "$@" | sort | tr '\n' ' '
}
got=$(complete_words "")
check "completion: the commands (got: $got)" test "$got" = "$(printf '%s\n' "${cmds[@]}" | sort | tr '\n' ' ')"
got=$(complete_words me)
check "completion: 'me' -> members (got: $got)" test "$got" = "members "
got=$(complete_words members "")
check "completion: members -> sync list (got: $got)" test "$got" = "list sync "
got=$(complete_words policy c)
check "completion: policy c -> clear conns (got: $got)" test "$got" = "clear conns "
got=$(complete_words attach --ra-re)
check "completion: attach --ra-re -> --ra-reachable --ra-retrans (got: $got)" \
	test "$got" = "--ra-reachable --ra-retrans "
want=$("$BIN" members sync --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u | tr '\n' ' ')
got=$(complete_words members sync --)
check "completion: members sync -- offers every option of its --help" test "$got" = "$want"
got=$(complete_words attach --mode "")
check "completion: attach --mode -> generic native (got: $got)" test "$got" = "generic native "
got=$(complete_words attach --ipv4-dev l)
check "completion: --ipv4-dev l offers the interface lo (got: $got)" grep -qw lo <<<"$got"

echo "$pass passed, $fail failed"
((fail == 0))
