#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/fuzz/run_user.sh [NAME...] - run the libFuzzer harnesses of the
# userspace parsers ($BUILD/fuzz/fuzz_NAME, built from tests/fuzz/fuzz_NAME.c;
# default: every one but the datapath fuzzer).
#
# Short mode (default, part of `make test`): for each harness, one test
# replays tests/fuzz/regress/NAME/ (inputs that once crashed) and the seed
# corpus tests/fuzz/corpus/NAME/, one test fuzzes for a share of
# FUZZ_USER_BUDGET seconds (default 30 in all) in a scratch directory under
# /tmp.  Long mode (FUZZ_MODE=long, `make fuzz-user`): replay, then
# FUZZ_SECS seconds (default 600) per harness, one at a time, the corpus
# kept and grown in $BUILD/fuzz/corpus/NAME.  FUZZ_USER_ARGS adds libFuzzer
# options.  Crashes are saved under $BUILD/fuzz/crashes/ with the command
# that replays them.  Ends with "N passed, N failed".
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
MODE=${FUZZ_MODE:-short}
BUDGET=${FUZZ_USER_BUDGET:-30}
SECS=${FUZZ_SECS:-600}
read -r -a EXTRA <<<"${FUZZ_USER_ARGS:-}"

names=("$@")
if ((${#names[@]} == 0)); then
	for src in "$ROOT"/tests/fuzz/fuzz_*.c; do
		n=$(basename "$src" .c)
		n=${n#fuzz_}
		[[ $n == datapath ]] || names+=("$n")
	done
fi
((${#names[@]})) || { echo "run_user: no harness in tests/fuzz/"; echo "0 passed, 1 failed"; exit 1; }

if [[ $MODE == long ]]; then
	per=$SECS
else
	per=$((BUDGET / ${#names[@]}))
	((per >= 2)) || per=2
fi

crashes=$BUILD/fuzz/crashes
mkdir -p "$crashes" || exit 1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/isagate-fuzz-user.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
notok() { failed=$((failed + 1)); echo "not ok - $1"; }

for n in "${names[@]}"; do
	bin=$BUILD/fuzz/fuzz_$n
	seeds=$ROOT/tests/fuzz/corpus/$n
	regress=$ROOT/tests/fuzz/regress/$n
	log=$scratch/$n.log
	if [[ ! -x $bin ]]; then
		notok "fuzz_$n: $bin missing (run 'make')"
		continue
	fi
	opts=(-timeout=10 -rss_limit_mb=2048 "-artifact_prefix=$crashes/$n-")
	[[ -f $ROOT/tests/fuzz/$n.dict ]] && opts+=("-dict=$ROOT/tests/fuzz/$n.dict")

	# 1. every saved regression input and every seed, once
	dirs=()
	[[ -d $regress ]] && dirs+=("$regress")
	[[ -d $seeds ]] && dirs+=("$seeds")
	if (cd "$scratch" && "$bin" "${opts[@]}" -runs=0 "${dirs[@]}") >"$log" 2>&1; then
		ok "fuzz_$n: $(find "${dirs[@]}" -type f | wc -l) regression and seed inputs replayed"
	else
		tail -n 40 "$log"
		notok "fuzz_$n: replay of tests/fuzz/regress/$n and corpus/$n"
		continue
	fi

	# 2. fuzz
	if [[ $MODE == long ]]; then
		work=$BUILD/fuzz/corpus/$n
	else
		work=$scratch/corpus-$n
	fi
	mkdir -p "$work" || exit 1
	echo "fuzz_$n: fuzzing ${per}s"
	(cd "$scratch" && "$bin" "${opts[@]}" -max_total_time="$per" -print_final_stats=1 \
		"${EXTRA[@]}" "$work" "${dirs[@]}") >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if ((rc == 0)); then
		ok "fuzz_$n: ${execs:-?} executions in ${per}s, ${cov:-cov: ?}, no crash, leak or UB"
	else
		grep -E 'INVARIANT|ERROR: |SUMMARY: |runtime error' "$log" | head -n 20
		grep -E 'Test unit written to' "$log" | sed 's/^/  /'
		echo "  replay: $bin $crashes/$n-<file>   (log: tail of it below)"
		tail -n 15 "$log"
		notok "fuzz_$n: crashed after ${execs:-?} executions (rc $rc)"
	fi
done

echo "$passed passed, $failed failed"
((failed == 0))
