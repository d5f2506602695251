#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/unit/test_cli.sh - the command-line layer (user/cli/opts.c): every
# command and subcommand takes the global options the same way:
#  - -h and --help print the command's usage and the global options, exit 0;
#  - -V and --version print the version, exit 0;
#  - -p DIR, --pin-dir DIR, --pin-dir=DIR and the option before the command
#    name behave the same (same exit code, same message);
#  - an unknown option and a missing value are refused alike (exit 2, named);
#  - -j is refused (exit 2) exactly by the commands without JSON output;
#  - -vv reaches libbpf's debug level (the usage says so).
# And attach's options and usage come from the settings table: every row of
# IG_SETTINGS (user/lib/config.h) is an option in `attach --help`, and the
# man page names each with the same argument and default
# (tests/unit/check_man_attach.py).
# No root needed: the pin directory given does not exist.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${ISAGATE_BIN:-$ROOT/build/isagate}
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

[[ -x $BIN ]] || { echo "not ok - $BIN missing (make)"; echo "0 passed, 1 failed"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/isagate-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
nopin=$tmp/none

# run NAME ARGS...: exit code in $tmp/NAME.rc, stdout+stderr in $tmp/NAME.out
run() {
	local name=$1; shift
	ISAGATE_LOCK_WAIT=0 timeout 20 "$BIN" "$@" </dev/null >"$tmp/$name.out" 2>&1
	echo $? >"$tmp/$name.rc"
}
same() { cmp -s "$tmp/$1.rc" "$tmp/$2.rc" && cmp -s "$tmp/$1.out" "$tmp/$2.out"; }
rc_is() { [[ $(cat "$tmp/$1.rc") == "$2" ]]; }
has() { grep -qF -- "$2" "$tmp/$1.out"; }

# the commands as words, with an operand where one is needed
cmds=("attach" "detach" "status" "watch" "flows" "stats" "events" "top"
      "explain 192.0.2.10" "members list" "members sync -" "policy list"
      "policy clear" "policy conns" "policy sync -")
nojson=" attach detach watch top "
version=$("$BIN" version)

for c in "${cmds[@]}"; do
	read -ra w <<<"$c"
	name=${w[0]}
	[[ $name == members ]] && name="members ${w[1]}"
	run h "${w[@]}" -h
	run help "${w[@]}" --help
	check "$c: -h and --help print the same usage, exit 0" \
		eval 'same h help && rc_is h 0 && has help "global options" && has help "-vv"'
	run V "${w[@]}" -V
	check "$c: -V prints the version" eval 'rc_is V 0 && [[ $(cat "$tmp/V.out") == "$version" ]]'
	run version "${w[@]}" --version
	check "$c: --version prints the version" eval 'same V version'

	run p "${w[@]}" -p "$nopin"
	run pin "${w[@]}" --pin-dir "$nopin"
	run pineq "${w[@]}" --pin-dir="$nopin"
	run before -p "$nopin" "${w[@]}"
	check "$c: -p, --pin-dir, --pin-dir= and before the command are the same (exit $(cat "$tmp/p.rc"))" \
		eval 'same p pin && same p pineq && same p before'
	check "$c: a missing pin directory is not taken for the default" \
		eval '! has p "/sys/fs/bpf/isagate"'

	run bogus "${w[@]}" --bogus -p "$nopin"
	check "$c: an unknown option is refused by name (exit 2)" \
		eval 'rc_is bogus 2 && has bogus "unknown option --bogus" && has bogus "isagate $name --help"'
	run bogus_s "${w[@]}" -Z -p "$nopin"
	check "$c: an unknown short option is refused by name (exit 2)" \
		eval 'rc_is bogus_s 2 && has bogus_s "unknown option -Z"'
	run noval "${w[@]}" --pin-dir
	check "$c: --pin-dir without a value is refused (exit 2)" \
		eval 'rc_is noval 2 && has noval "--pin-dir needs a value"'

	run j "${w[@]}" -j -p "$nopin"
	if [[ $nojson == *" ${w[0]} "* ]]; then
		check "$c: -j is refused: no JSON output (exit 2)" \
			eval 'rc_is j 2 && has j "has no JSON output"'
	else
		check "$c: -j is accepted" eval '! has j "has no JSON output" && ! has j "unknown option"'
	fi
done

run top_h --help
check "isagate --help lists the global options" eval 'rc_is top_h 0 && has top_h "--pin-dir DIR"'
run top_bad --bogus
check "isagate --bogus: refused (exit 2)" eval 'rc_is top_bad 2 && has top_bad "unknown option --bogus"'

# attach: one option per row of the settings table
rows=$(sed -n 's/^X([A-Z_0-9]*, "\([a-z0-9-]*\)", "[a-z]*", "[a-z0-9-]*", [A-Z_0-9]*, \([A-Z]*\),.*/\1 \2/p' \
	"$ROOT/user/lib/config.h")
n=$(wc -l <<<"$rows")
check "IG_SETTINGS has its rows ($n)" test "$n" -ge 25
run ah attach --help
while read -r key how; do
	case $how in
	VALUE) want="--$key " ;;
	SWITCH) want="--$key | --no-$key" ;;
	ON) want="--$key " ;;
	OFF) want="--no-$key " ;;
	GLOBAL) want="--$key DIR" ;;
	esac
	check "attach --help: the setting $key as '$want'" has ah "$want"
done <<<"$rows"
# the man page's attach options: the same names, arguments and defaults
while read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	*) bad "${line#not ok - }" ;;
	esac
done < <(python3 "$ROOT/tests/unit/check_man_attach.py" "$tmp/ah.out" "$ROOT/user/isagate.8")

run ttl attach --ttl 0
check "attach --ttl 0: the table's limits (exit 2, names 1..255)" \
	eval 'rc_is ttl 2 && has ttl "--ttl: '"'"'0'"'"' out of range (1..255)"'
run raw attach --ra-mtu 1000
check "attach --ra-mtu 1000: below 1280 and not 0 (exit 2)" eval 'rc_is raw 2 && has raw "below 1280"'
run rel attach --pin-dir relative
check "attach --pin-dir relative: refused (exit 2)" eval 'rc_is rel 2 && has rel "absolute path"'

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
