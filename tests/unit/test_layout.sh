#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/unit/test_layout.sh - the layering rule of user/: the command line
# (user/cli/) sits over the library (user/lib/), never the reverse.  No
# user/lib/ file includes a user/cli/ header, by name or by path.  (The
# library's include path holds no cli/ directory either, so such an include
# also fails to build; this names the file and the line.)  And no function
# in user/ is over 80 lines.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pass=0 fail=0

ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

cli_hdrs=()
for h in "$ROOT"/user/cli/*.h; do
	[[ -e $h ]] && cli_hdrs+=("${h##*/}")
done

for f in "$ROOT"/user/lib/*.[ch]; do
	name=${f#"$ROOT"/}
	found=0
	while IFS=: read -r line inc; do
		inc=${inc#*\"}
		inc=${inc%%\"*}
		base=${inc##*/}
		if [[ $inc == *cli/* ]]; then
			bad "$name:$line includes $inc (a user/cli/ path)"
			found=1
			continue
		fi
		for h in "${cli_hdrs[@]}"; do
			if [[ $base == "$h" && ! -e $ROOT/user/lib/$base ]]; then
				bad "$name:$line includes $inc (user/cli/$h)"
				found=1
			fi
		done
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
	((found)) || ok "$name includes no user/cli/ header"
done

# every source is in one of the two layers
stray=$(find "$ROOT/user" -maxdepth 1 -name '*.[ch]' | sed "s|$ROOT/||")
if [[ -z $stray ]]; then
	ok "no source directly in user/ (each is in cli/ or lib/)"
else
	bad "sources outside user/cli/ and user/lib/: $stray"
fi

# No function in user/ longer than 80 lines (kernel style: a body opens with
# '{' and closes with '}' in column 0): long ones are split along their steps.
long=$(awk 'FNR == 1 { name = "" }
	index($0, "(") && $0 !~ /^[ \t]/ { name = $0 }
	$0 == "{" { start = FNR }
	$0 == "}" && start { n = FNR - start + 1
		if (n > 80) { sub(/\(.*/, "", name); k = split(name, w, /[ *]+/)
			printf " %s:%d:%s(%d lines)", FILENAME, start, w[k], n }
		start = 0 }' "$ROOT"/user/*/*.c)
if [[ -z $long ]]; then
	ok "no function in user/ over 80 lines"
else
	bad "functions over 80 lines:${long//$ROOT\//}"
fi

echo "$pass passed, $fail failed"
((fail == 0))
