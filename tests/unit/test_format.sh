#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/unit/test_format.sh - C written since .clang-format arrived follows it
# (the kernel's style as clang-format 14 can express it, 100 columns).  The
# code older than the style file is not reformatted in bulk (a mass reformat
# would bury every line's history for no behaviour); instead every line a
# commit since then added or changed is checked: `git clang-format --diff`
# against the commit that added .clang-format, plus what is not committed
# yet.  Needs a git checkout (a tree without history is skipped: SKIP).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pass=0 fail=0

ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }

GCF=$(command -v git-clang-format-14 || command -v git-clang-format) || {
	echo "SKIP: git-clang-format not found (apt-get install clang-format)"
	exit 77
}
if ! git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	echo "SKIP: $ROOT is not a git checkout: no history to tell new lines from old"
	exit 77
fi
base=$(git -C "$ROOT" log --diff-filter=A --format=%H -n 1 -- .clang-format)
if [[ -z $base ]]; then
	bad ".clang-format is not committed"
else
	# --diff prints the changes it would make, or a "no modified files" /
	# "did not modify any files" line when there are none
	out=$(cd "$ROOT" && "$GCF" --binary "$(command -v clang-format-14 || command -v clang-format)" \
		--diff --extensions c,h "$base" -- bpf include user tests bench 2>&1)
	if [[ -z $out || $out == *"no modified files to format"* ||
		$out == *"did not modify any files"* ]]; then
		ok "every C line changed since $(git -C "$ROOT" log -1 --format=%h "$base") follows .clang-format"
	else
		bad "lines changed since $(git -C "$ROOT" log -1 --format=%h "$base") do not follow .clang-format (fix: git clang-format $base):"
		printf '%s\n' "$out" | head -n 60
	fi
fi
echo "$pass passed, $fail failed"
((fail == 0))
