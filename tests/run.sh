#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/run.sh [unit|integration|all] - run isagate's test suites.
#
# unit:        build/test_datapath, tests/unit/check_ra.py, build/test_members,
#              build/test_directory, build/test_files, build/test_ipfix, build/test_maps,
#              build/fuzz_datapath (20 s),
#              tests/fuzz/run_user.sh (the parsers' fuzzers, 30 s in all),
#              tests/unit/test_install.sh, tests/unit/test_layout.sh, tests/unit/test_cli.sh,
#              tests/unit/test_rules.sh, tests/unit/test_format.sh
# integration: every tests/integration/test_*.sh (needs root; test_vlan.sh is
#              skipped on kernels without 802.1Q, test_vlan_vm.sh runs the
#              same in the test VM on Debian's kernel)
#
# Each suite's output is streamed.  A suite reports with a last
# "N passed, N failed" line; one that exits non-zero without it counts as one
# failure; one that prints "SKIP: reason" and exits 77 is skipped.  The last
# line is the total, "N passed, N failed[, N skipped]"; the exit status is
# non-zero when anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}   # seconds per suite

usage() {
	echo "usage: $0 [unit|integration|all]" >&2
	exit 2
}

what=${1:-all}
(($# <= 1)) || usage
case $what in
unit | integration | all) ;;
-h | --help) usage ;;
*) usage ;;
esac

suites=()
if [[ $what == unit || $what == all ]]; then
	# check_ra.py decodes the RAs/NAs test_datapath wrote: keep it after it.
	suites+=("$ROOT/$BUILD/test_datapath" "$ROOT/tests/unit/check_ra.py" "$ROOT/$BUILD/test_members"
		"$ROOT/$BUILD/test_directory"
		"$ROOT/$BUILD/test_files"       # files root writes: planted links, modes, failures
		"$ROOT/$BUILD/test_ipfix"       # the IPFIX encoder's bytes (both templates)
		"$ROOT/$BUILD/test_maps"        # reading the tables: batches, fallback, evictions
		"$ROOT/$BUILD/fuzz_datapath"    # a bounded 20 s run; make fuzz for long ones
		"$ROOT/tests/fuzz/run_user.sh"  # regressions + 30 s; make fuzz-user for long ones
		"$ROOT/tests/unit/test_install.sh"  # make install/uninstall, isagate(8)
		"$ROOT/tests/unit/test_layout.sh"   # user/lib/ never includes user/cli/
		"$ROOT/tests/unit/test_cli.sh"      # global options alike in every command
		"$ROOT/tests/unit/test_rules.sh"    # promtool check/test of the alerting rules
		"$ROOT/tests/unit/test_format.sh")  # lines changed since .clang-format follow it
fi
if [[ $what == integration || $what == all ]]; then
	for t in "$ROOT"/tests/integration/test_*.sh; do
		[[ -e $t ]] && suites+=("$t")
	done
fi

# On a terminal keep the suite in the foreground process group so that ^C
# reaches it (and its cleanup trap runs); elsewhere let timeout kill the
# whole group of a suite that hangs.
fg=()
[[ -t 0 ]] && fg=(--foreground)

total_pass=0 total_fail=0 total_skip=0
results=()
log=$(mktemp "${TMPDIR:-/tmp}/isagate-run.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT

for s in "${suites[@]}"; do
	name=${s#"$ROOT"/}
	echo "=== $name"
	if [[ ! -x $s ]]; then
		echo "$name: not found or not executable (run 'make' first)"
		total_fail=$((total_fail + 1))
		results+=("FAIL  $name (missing)")
		continue
	fi
	start=$SECONDS
	(cd "$ROOT" && timeout "${fg[@]}" -k 10 "$SUITE_TIMEOUT" "$s") 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	secs=$((SECONDS - start))

	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [[ $rc -eq 77 ]] && grep -q '^SKIP:' "$log"; then
		total_skip=$((total_skip + 1))
		results+=("SKIP  $name: $(grep '^SKIP:' "$log" | tail -n 1 | sed 's/^SKIP: *//')")
		continue
	fi
	if [[ -z $summary ]]; then
		# No report: a crash, a timeout, or a broken suite.
		total_fail=$((total_fail + 1))
		case $rc in
		0) why="exited 0 without a 'N passed, N failed' line" ;;
		124 | 137) why="timed out after ${SUITE_TIMEOUT}s" ;;
		*) why="exited $rc without a 'N passed, N failed' line" ;;
		esac
		echo "$name: $why"
		results+=("FAIL  $name ($why)")
		continue
	fi
	read -r p f < <(sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/' <<<"$summary")
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		# It said all passed but exited non-zero: do not trust it.
		f=1
		echo "$name: reported no failure but exited $rc"
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if ((f)); then
		results+=("FAIL  $name: $p passed, $f failed (${secs}s)")
	else
		results+=("ok    $name: $p passed (${secs}s)")
	fi
done

echo "=== summary"
for r in "${results[@]}"; do
	echo "  $r"
done
line="$total_pass passed, $total_fail failed"
((total_skip)) && line+=", $total_skip skipped"
echo "$line"
((total_fail == 0))
