#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# bench/run.sh - the isagate benchmark (issue 4), run by `make bench`.
#
#   bench/run.sh [--quick] [--rounds N] [--secs S] [--cpu N] [--no-scale] [--flows N]
#                [--scale members|flows|routes] [--out DIR] [--perf SCEN:FLOWS] [--ab OBJ]
#                [--ab-live BIN] [--ab-watch BIN]
#
# --scale members|flows|routes: only that part of the scaling measurements.
# --perf decap:1000000 also records a cpu-clock profile (perf, Debian
# linux-perf) of that flow-scaling measurement's CPU (decap:10000, the main
# rounds' flow count: of every main round's decap measurement), live and
# test_run repeat, into $BUILD/bench/perf-SCEN-FLOWS.txt and -ns.txt
# (this VM has no PMU, so no cycle counts and no `bpftool prog profile`;
# sampling cpu-clock works).
# --ab OBJ (a development aid, no report): per-packet cost of the attached
# isagate and of another build of it (OBJ, e.g. an older commit's
# build/isagate.bpf.o, sharing the pinned maps) alternately, ROUNDS times,
# for decap, encap and the non-member drop; prints medians and minima, exits.
# --ab-live BIN (a development aid, no report): the live rates of another
# isagate build (BIN, its binary: same ABI, it re-attaches in place over the
# same pinned maps) and of this one, alternately ROUNDS times, each round
# with the ceiling; prints the medians of each path's rate ÷ the ceiling.
# --ab-watch BIN (a development aid, no report): the flow cache's round-robin
# rows (decap, encap; 100,000 and 1,000,000 flows) folded by `isagate watch`
# of another build (BIN: same ABI, over the same pinned maps) and of this one,
# alternately ROUNDS times; prints each one's live rate, per-packet ns and
# the share of the packets spilled (medians).
#
# Topology (three network namespaces igb-$$-{gen,rtr,sink}, native XDP on
# every veth):
#
#   gen: g0 ──veth── r0 ┐ rtr: isagate (attach + members sync)     ┌ r1 ──veth── s0 :sink
#   gen: g1 ──veth── r2 ┘      reference program under test        ┘      (count + drop)
#
# The generator (build/bench/igbench live) runs bench/gen.bpf.c with
# BPF_F_TEST_XDP_LIVE_FRAMES on g0 or g1; its XDP_TX puts the frame into the
# router's ingress veth.  isagate stays attached to r0 (and r1) for the whole
# run, as in production; the references are swapped on r2, an identical
# ingress veth of the same router, so no scenario ever re-attaches isagate.
# Both paths leave through r1 to the same sink.
#
# Where the work runs: the generator process is pinned to one CPU (taskset,
# --cpu, default 1).  A veth hands XDP frames to its peer's NAPI, scheduled on
# the CPU that transmits, and test_run flushes each batch with bottom halves
# enabled, so the router's and the sink's XDP (and the kernel's forwarding in
# the kernel scenario) run in softirq on that same CPU: generator, router and
# sink share one core, as in the issue's orientation figures.
#
# Scenarios, interleaved, ROUNDS times (the start rotates every round):
#   ceiling  ref_fwd.bpf.c on r2 (MAC rewrite + redirect), ISATAP frames
#   route    ref_route.bpf.c on r2 (parse, bpf_fib_lookup, MACs, redirect)
#   kernel   xdp_pass on r2, already-decapsulated IPv6, Linux forwards it
#   decap    isagate on r0, member ISATAP -> remote
#   encap    isagate on r0, remote -> <prefix>::5efe:<member>
#   drop     isagate on r0, non-member ISATAP flood (rate = drop_not_member)
#   refdrop  sink.bpf.c (count + XDP_DROP) on r2, the same flood (rate = its counter)
# Then decap and encap with a manage-out policy loaded and without (the
# policy's cost, ROUNDS interleaved rounds).
# Each live scenario is followed by the per-packet cost of the same program
# through plain BPF_PROG_TEST_RUN repeat (igbench ns: xdp_wrap rebuilds the
# frame and tail-calls the program; the trivial programs measure the
# wrapper).  Then the scaling phase: members 10, 10k, 100k, 1M (loaded with
# `isagate members sync`, timed) and 1k, 100k, 1M flows, round robin and
# under a Zipf mix (s = 1.0), beside the floor of exact per-flow state at
# each flow scale (ref_flowline.bpf.c: one 64-byte line per flow in a flat
# array, on r2 like the references).
#
# Raw results: $BUILD/bench/results.jsonl; report: bench/results.md and
# bench/results.png (bench/report.py, bench/plot.gp).
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd || echo "$BUILD")
ISAGATE=$BUILD/isagate
IGB=$BUILD/bench/igbench
GEN_OBJ=$BUILD/bench/gen.bpf.o
PASS_OBJ=$BUILD/xdp_pass.bpf.o
PY=/usr/bin/python3

ROUNDS=5
SECS=3
SCALE_SECS=2
CPU=1
SCALE=1
OUT=$ROOT/bench
NS_REPEAT=500000
MAIN_FLOWS=10000
FC_SLOTS=16384   # attach --flow-cache of the flow-cache rows: 1 MiB per CPU
PERF_SPEC=
ZIPF=          # set per measurement: the generator's --zipf exponent, empty: round robin
AB_OBJ=
AB_BIN=
AB_WATCH=
SCALE_WHAT=     # --scale: members, flows or routes only, empty: all
ROUTES=         # set per measurement: the generator's --routes N, empty: one route
REMOTE_GEN=     # set per measurement: the generator's --remote, empty: $REMOTE

usage() {
	sed -n '4,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 2
}

while (($#)); do
	case $1 in
	--quick) ROUNDS=1 SECS=1 SCALE_SECS=0.5 NS_REPEAT=100000 ;;
	--rounds) ROUNDS=${2:?}; shift ;;
	--secs) SECS=${2:?}; shift ;;
	--cpu) CPU=${2:?}; shift ;;
	--no-scale) SCALE=0 ;;
	--scale) SCALE_WHAT=${2:?}; shift
		[[ $SCALE_WHAT == members || $SCALE_WHAT == flows || $SCALE_WHAT == routes ]] ||
			{ echo "bench: --scale members|flows|routes" >&2; exit 2; } ;;
	--flows) MAIN_FLOWS=${2:?}; shift ;;
	--out) OUT=${2:?}; shift ;;
	--perf) PERF_SPEC=${2:?}; shift ;;
	--ab) AB_OBJ=$(realpath "${2:?}"); shift ;;
	--ab-live) AB_BIN=$(realpath "${2:?}"); shift ;;
	--ab-watch) AB_WATCH=$(realpath "${2:?}"); shift ;;
	-h | --help) usage ;;
	*) echo "bench: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# --- preflight --------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, XDP, bpffs): run 'sudo make bench'"
for f in "$ISAGATE" "$IGB" "$GEN_OBJ" "$PASS_OBJ" "$BUILD"/bench/{sink,ref_fwd,ref_route}.bpf.o; do
	[[ -e $f ]] || die "$f is missing: run 'make bench' (it builds everything first)"
done
for t in ip nsenter taskset bpftool jq gnuplot; do
	command -v "$t" >/dev/null 2>&1 ||
		die "'$t' not found (Debian: iproute2 util-linux bpftool jq gnuplot-nox; 'make deps')"
done
[[ -x $PY ]] || die "$PY not found (Debian: python3)"
[[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]] ||
	die "/sys/fs/bpf is not a bpffs: mount -t bpf bpf /sys/fs/bpf"
((CPU < $(nproc))) || die "--cpu $CPU: this machine has $(nproc) CPUs"

ID=igb-$$
PIN=/sys/fs/bpf/$ID
IGPIN=$PIN/isagate
NS_G=$ID-gen NS_R=$ID-rtr NS_S=$ID-sink
TMP=
RAW=$BUILD/bench/results.jsonl

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	[[ -n ${WATCH_PID:-} ]] && kill "$WATCH_PID" 2>/dev/null
	for ns in "$NS_G" "$NS_R" "$NS_S"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$PIN" 2>/dev/null
	[[ -n $TMP ]] && rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

TMP=$(mktemp -d /tmp/igb-$$.XXXXXX)
mkdir -p "$BUILD/bench" "$OUT" || die "cannot create $BUILD/bench or $OUT"
: >"$RAW" || die "cannot write $RAW"

nsx() { local ns=$1; shift; nsenter --net="/run/netns/$ns" -- "$@"; }
ig() { nsx "$NS_R" "$ISAGATE" "$@" --pin-dir "$IGPIN"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
raw() { printf '%s\n' "$1" >>"$RAW"; }

# --- addresses (documentation ranges only, BRIEF/COMMON) ---------------------------
MAC_G0=02:00:00:00:01:01 MAC_R0=02:00:00:00:01:02
MAC_G1=02:00:00:00:02:01 MAC_R2=02:00:00:00:02:02
MAC_R1=02:00:00:00:03:01 MAC_S0=02:00:00:00:03:02
ROUTER_V4=192.0.2.1
SINK_V4=192.0.2.130
SINK_V6=2001:db8:f1::2
PREFIX=2001:db8:1:8000::
REMOTE=2001:db8:dac::
MEMBERS_SRC=198.51.100.1-254,203.0.113.1-254   # 508 active members
SCALE_SRC=198.51.100.1-10                       # the members of the 10-member scale
NONMEMBER_SRC=192.0.2.193-254                   # never members

# --- topology ------------------------------------------------------------------------
setup() {
	local ns
	for ns in "$NS_G" "$NS_R" "$NS_S"; do
		ip netns add "$ns" || die "ip netns add $ns failed"
	done
	ip -n "$NS_G" link add g0 address $MAC_G0 type veth peer name r0 netns "$NS_R" address $MAC_R0 &&
		ip -n "$NS_G" link add g1 address $MAC_G1 type veth peer name r2 netns "$NS_R" address $MAC_R2 &&
		ip -n "$NS_R" link add r1 address $MAC_R1 type veth peer name s0 netns "$NS_S" address $MAC_S0 ||
		die "creating the veth pairs failed"
	nsx "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.forwarding=1 \
		net.ipv4.conf.all.forwarding=1 net.ipv4.conf.default.forwarding=1 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 >/dev/null ||
		die "setting the router's forwarding sysctls failed"
	{
		ip -n "$NS_G" addr add 192.0.2.2/26 dev g0 &&
			ip -n "$NS_G" addr add 192.0.2.66/26 dev g1 &&
			ip -n "$NS_R" addr add $ROUTER_V4/26 dev r0 &&
			ip -n "$NS_R" addr add 192.0.2.65/26 dev r2 &&
			ip -n "$NS_R" addr add 192.0.2.129/26 dev r1 &&
			ip -n "$NS_S" addr add $SINK_V4/26 dev s0 &&
			ip -n "$NS_R" -6 addr add 2001:db8:f1::1/64 dev r1 nodad &&
			ip -n "$NS_S" -6 addr add $SINK_V6/64 dev s0 nodad &&
			ip -n "$NS_G" link set g0 up && ip -n "$NS_G" link set g1 up &&
			ip -n "$NS_R" link set r0 up && ip -n "$NS_R" link set r1 up &&
			ip -n "$NS_R" link set r2 up && ip -n "$NS_S" link set s0 up &&
			# the sink is the next hop for everything; permanent neighbours so
			# that XDP's bpf_fib_lookup never sees an unresolved one
			ip -n "$NS_R" neigh replace $SINK_V4 lladdr $MAC_S0 dev r1 nud permanent &&
			ip -n "$NS_R" -6 neigh replace $SINK_V6 lladdr $MAC_S0 dev r1 nud permanent &&
			ip -n "$NS_R" -6 route add ${REMOTE}/48 via $SINK_V6 dev r1 &&
			ip -n "$NS_R" route add 198.51.100.0/24 via $SINK_V4 dev r1 &&
			ip -n "$NS_R" route add 203.0.113.0/24 via $SINK_V4 dev r1
	} || die "configuring addresses and routes failed"

	mkdir -p "$PIN" || die "cannot create $PIN"
	nsx "$NS_S" "$IGB" attach --obj "$BUILD/bench/sink.bpf.o" --dev s0 --pin "count=$PIN/sink" ||
		die "attaching the sink to s0 failed"
	ref_attach kernel
	ig_attach
}

# (Re-)attach isagate to r0/r1 with extra options "$@" (a re-attach replaces
# the programs in place; a new --flows size starts an empty flow table).
ig_attach() {
	local out
	# shellcheck disable=SC2086 # IG_BENCH_ATTACH_ARGS: extra attach options, word-split on purpose
	out=$(ig attach --ipv4-dev r0 --ipv6-dev r1 --router $ROUTER_V4 --prefix ${PREFIX}/64 ${IG_BENCH_ATTACH_ARGS:-} "$@" 2>&1) ||
		die "isagate attach $* failed: $out"
	log "isagate: $(tr '\n' ' ' <<<"$out")"
}

# Put reference program NAME on r2.
ref_attach() {
	case $1 in
	ceiling) nsx "$NS_R" "$IGB" attach --obj "$BUILD/bench/ref_fwd.bpf.o" --dev r2 --tx r1 \
		--dmac $MAC_S0 --smac $MAC_R1 ;;
	route) nsx "$NS_R" "$IGB" attach --obj "$BUILD/bench/ref_route.bpf.o" --dev r2 --tx r1 ;;
	# floor N: one 64-byte line per flow of an N-line array (N a power of two)
	floor) nsx "$NS_R" "$IGB" attach --obj "$BUILD/bench/ref_flowline.bpf.o" --dev r2 --tx r1 \
		--dmac $MAC_S0 --smac $MAC_R1 --entries "flow_lines=${2:?}" ;;
	kernel) nsx "$NS_R" "$IGB" attach --obj "$PASS_OBJ" --dev r2 ;;
	refdrop) nsx "$NS_R" "$IGB" attach --obj "$BUILD/bench/sink.bpf.o" --dev r2 \
		--pin "count=$PIN/refdrop" ;;
	esac
}

# members_file N FILE: the scale's active members, then filler up to N
# entries.  The filler is map data only (never an address on an interface,
# in a route or in a packet): 10.0.0.0/12 host entries, because the
# documentation ranges hold only 768 addresses.
members_file() {
	local n=$1 f=$2 skip=${3:-0}
	{
		echo "# isagate bench: $n members"
		for i in $(seq 1 $((n < 10 ? n : 10))); do echo "198.51.100.$i"; done
		if ((n > 10)); then
			awk -v n=$((n - 10)) -v s="$skip" 'BEGIN {
				for (i = s; i < n + s; i++)
					printf "10.%d.%d.%d\n", int(i / 65536) % 16, int(i / 256) % 256, i % 256 }'
		fi
	} >"$f"
}

main_members_file() {
	local f=$1 h
	{
		echo "# isagate bench: the 508 active members"
		for h in $(seq 1 254); do echo "198.51.100.$h"; done
		for h in $(seq 1 254); do echo "203.0.113.$h"; done
	} >"$f"
}

# sync_timed LABEL FILE: members sync, wall time recorded.
sync_timed() {
	local label=$1 f=$2 t0 t1 out rc
	t0=$(now_ms)
	# --force: the scales replace most of the table on purpose (max-removal)
	out=$(ig members sync "$f" --no-neigh --force -j 2>&1)
	rc=$?
	t1=$(now_ms)
	if ((rc != 0 && rc != 3)); then
		log "members sync ($label) failed (exit $rc): $(head -c 400 <<<"$out")"
		raw "$(jq -cn --arg l "$label" --arg e "$out" --argjson rc $rc '{phase:"sync",label:$l,error:$e,rc:$rc}')"
		return 1
	fi
	log "members sync $label: $((t1 - t0)) ms"
	raw "$(jq -cn --arg l "$label" --argjson ms $((t1 - t0)) --argjson n "$(grep -vc '^#' "$f")" \
		'{phase:"sync",label:$l,ms:$ms,entries:$n}')"
}

# Sum of bytes_memlock over the maps the program on r0 uses (+ per map).
memlock_json() {
	local id ids
	id=$(ip -n "$NS_R" -j link show dev r0 | jq -r '.[0].xdp.prog.id // empty')
	[[ -n $id ]] || { echo '{}'; return; }
	ids=$(bpftool -j prog show id "$id" | jq -r '.map_ids[]?')
	for m in $ids; do bpftool -j map show id "$m"; done |
		jq -cs '{total: (map(.bytes_memlock // 0 | tonumber) | add),
		         maps: (map({key: .name, value: (.bytes_memlock // 0 | tonumber)}) | from_entries),
		         max: (map({key: .name, value: .max_entries}) | from_entries)}'
}

# --- one measurement -------------------------------------------------------------------
IGSTATS=
gen_common() {
	printf '%s\n' --obj "$GEN_OBJ" --router $ROUTER_V4 --prefix $PREFIX --remote "${REMOTE_GEN:-$REMOTE}" \
		${ZIPF:+--zipf $ZIPF} ${ROUTES:+--routes $ROUTES}
}

# live SCEN FLOWS SRC SECS: prints the generator's JSON (or nothing on error)
live() {
	local scen=$1 flows=$2 src=$3 secs=$4 warmup=${5:-0.3} dev mix dmac smac
	local -a cnt
	case $scen in
	ceiling | route | floor) dev=g1 mix=decap cnt=(--count "rate=$PIN/sink") ;;
	kernel) dev=g1 mix=native6 cnt=(--count "rate=$PIN/sink") ;;
	refdrop) dev=g1 mix=nonmember cnt=(--count "rate=$PIN/refdrop" --count "sink=$PIN/sink") ;;
	decap) dev=g0 mix=decap cnt=(--count "rate=$PIN/sink" --count "router=$IGSTATS@fwd_decap") ;;
	encap) dev=g0 mix=encap cnt=(--count "rate=$PIN/sink" --count "router=$IGSTATS@fwd_encap") ;;
	drop) dev=g0 mix=nonmember cnt=(--count "rate=$IGSTATS@drop_not_member" --count "sink=$PIN/sink") ;;
	esac
	if [[ $dev == g0 ]]; then dmac=$MAC_R0 smac=$MAC_G0; else dmac=$MAC_R2 smac=$MAC_G1; fi
	# shellcheck disable=SC2046
	taskset -c "$CPU" nsenter --net="/run/netns/$NS_G" -- "$IGB" live $(gen_common) \
		--dev $dev --mix $mix --dmac $dmac --smac $smac --src "$src" --flows "$flows" \
		--secs "$secs" --warmup "$warmup" "${cnt[@]}"
}

# pkt_ns SCEN FLOWS SRC REPS: per-packet ns of the scenario's program (test_run repeat)
pkt_ns() {
	local scen=$1 flows=$2 src=$3 reps=$4 dev mix
	local -a cnt=() tgt=()
	case $scen in
	baseline) dev=r2 mix=decap tgt=(--target-obj "$PASS_OBJ") ;;
	ceiling | route | floor) dev=r2 mix=decap ;;
	refdrop) dev=r2 mix=nonmember ;;  # the XDP_DROP (+ counter) baseline
	decap) dev=r0 mix=decap cnt=(--count "ok=$IGSTATS@fwd_decap") ;;
	encap) dev=r0 mix=encap cnt=(--count "ok=$IGSTATS@fwd_encap") ;;
	drop) dev=r0 mix=nonmember cnt=(--count "ok=$IGSTATS@drop_not_member") ;;
	esac
	((${#tgt[@]})) || tgt=(--target-dev $dev)
	[[ -n ${AB_USE:-} ]] && tgt=(--target-obj "$AB_USE")
	# shellcheck disable=SC2046
	taskset -c "$CPU" nsenter --net="/run/netns/$NS_R" -- "$IGB" ns $(gen_common) \
		--dev $dev "${tgt[@]}" --mix $mix --dmac $MAC_R0 --smac $MAC_G0 --src "$src" \
		--flows "$flows" --repeat "$NS_REPEAT" --reps "$reps" "${cnt[@]}"
}

# perf_run KIND SCEN FLOWS SRC ARG: the live run (KIND live, ARG the seconds)
# or the test_run repeat (KIND pkt_ns, ARG the repetitions) under perf record
# (cpu-clock on the generator's CPU, where both run); the report is kept in
# $BUILD/bench/perf-SCEN-FLOWS[-ns].txt, samples per source line of isagate's
# program beside it (-lines.txt).
perf_run() {
	local kind=$1 sfx= data=$BUILD/bench/perf.data txt
	shift
	[[ $kind == pkt_ns ]] && sfx=-ns
	txt=$BUILD/bench/perf-$1-$2$sfx.txt
	command -v perf >/dev/null 2>&1 || { log "--perf: perf not found (Debian: linux-perf)"; "$kind" "$@"; return; }
	perf record -q -e cpu-clock -C "$CPU" -g -o "$data" -- bash -c "$(declare -f live pkt_ns gen_common); $(
		declare -p CPU NS_G NS_R IGB GEN_OBJ PASS_OBJ ROUTER_V4 PREFIX REMOTE REMOTE_GEN PIN IGSTATS MAC_R0 MAC_G0 MAC_R2 MAC_G1 NS_REPEAT ZIPF ROUTES
	); $kind $*" || return 1
	{ perf report -i "$data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v "^$" | sed -E 's/ {3,}/  /g' | head -45; echo "# callers of the top symbols:"; perf report -i "$data" --no-children --sort symbol --stdio -g caller,0.5,callee --percent-limit 5 2>/dev/null | grep -v "^$" | sed -E 's/ {3,}/  /g' | head -150; } >"$txt"
	# where inside isagate's program: samples per source line (bench/jitlines.c)
	perf script -i "$data" -F ip,sym,symoff -G 2>/dev/null | grep -o 'xdp_isagate+0x[0-9a-f]*' |
		sort | uniq -c | "$BUILD/bench/jitlines" \
		"$(ip -n "$NS_R" -j link show dev r0 | jq -r '.[0].xdp.prog.id')" >"${txt%.txt}-lines.txt" 2>&1
	log "perf profile of $1 at $2 flows ($kind): $txt"
}

# Warm-up seconds before a flow-scaling measurement: long enough for the
# generator to send every flow at least once at 0.5 Mpps.
flows_warmup() {
	awk -v f="$1" 'BEGIN { w = f / 500000; print (w < 0.3 ? 0.3 : w) }'
}

# The flow table an operator would give N active flows: the next power of
# two at or above 2N, at least the default 65,536 (attach --flows).
flows_table() {
	local t=65536
	while ((t < 2 * $1)); do t=$((t * 2)); done
	echo $t
}

# measure PHASE ROUND SCEN FLOWS SRC SECS [EXTRA-JSON]
measure() {
	local phase=$1 round=$2 scen=$3 flows=$4 src=$5 secs=$6 extra=${7:-'{}'} l n
	local reps=5 n2
	[[ $phase == main ]] && reps=3
	: >"$TMP/err"
	if [[ $scen == baseline ]]; then
		l='{}'
	elif [[ ($phase == flows || $phase == main) && $PERF_SPEC == "$scen:$flows" ]]; then
		l=$(perf_run live "$scen" "$flows" "$src" "$secs" 2>"$TMP/err") || l=
	elif [[ $phase == flows || $phase == zipf || $phase == fcache || $phase == fczipf ]]; then
		# every flow seen before the clock starts: steady state, not inserts
		l=$(live "$scen" "$flows" "$src" "$secs" "$(flows_warmup "$flows")" 2>"$TMP/err") || l=
	else
		l=$(live "$scen" "$flows" "$src" "$secs" 2>"$TMP/err") || l=
	fi
	if [[ $scen == kernel ]]; then
		n='{}'  # no XDP program of its own: the baseline row measures the wrapper
	elif [[ ($phase == flows || $phase == main) && $PERF_SPEC == "$scen:$flows" ]]; then
		n=$(perf_run pkt_ns "$scen" "$flows" "$src" $reps 2>>"$TMP/err") || n=
	else
		n=$(pkt_ns "$scen" "$flows" "$src" $reps 2>>"$TMP/err") || n=
	fi
	if [[ $phase != main && -n $n ]]; then
		# scaling rows have no rounds: time the program again after the live
		# run and keep the better of the two (interference only adds time)
		n2=$(pkt_ns "$scen" "$flows" "$src" $reps 2>>"$TMP/err") || n2=
		[[ -n $n2 ]] && (($(jq .ns_min <<<"$n2") < $(jq .ns_min <<<"$n"))) && n=$n2
	fi
	if [[ -z $l || -z $n ]]; then
		log "$phase/$scen round $round failed: $(head -c 400 "$TMP/err")"
	fi
	raw "$(jq -cn --arg p "$phase" --argjson r "$round" --arg s "$scen" --argjson f "$flows" \
		--argjson live "${l:-null}" --argjson ns "${n:-null}" --argjson x "$extra" \
		--arg err "$(head -c 400 "$TMP/err")" \
		'{phase:$p,round:$r,scen:$s,flows:$f,live:$live,ns:$ns} + $x +
		 (if ($live == null or $ns == null) then {error:$err} else {} end)')"
	[[ -n $l && $l != '{}' ]] && log "$(printf '%-6s r%-2s %-8s %9s pps (offered %s)  %s ns' "$phase" "$round" "$scen" \
		"$(jq -r .rate_pps <<<"$l")" "$(jq -r .offered_pps <<<"$l")" "$(jq -r '.ns_min // "?"' <<<"${n:-null}")")"
}

# The flow cache's per-CPU counters summed (flow_log_pos), as JSON.
fc_counts() {
	bpftool -j map dump pinned "$IGPIN/flow_log_pos" 2>/dev/null |
		jq -c '[.[] | .formatted.value] | {fills: (map(.fills) | add),
			evictions: (map(.evictions) | add), spilled: (map(.spilled_packets) | add),
			records: (map(.head) | add)}' 2>/dev/null || echo '{}'
}

# measure_fc PHASE ROUND SCEN FLOWS [EXTRA-JSON]: measure, with what the
# cache did meanwhile
measure_fc() {
	local a b x=${5:-}
	[[ -n $x ]] || x='{}'
	a=$(fc_counts)
	measure "$1" "$2" "$3" "$4" "$MEMBERS_SRC" "$SCALE_SECS" \
		"$(jq -cn --arg p "$1" --argjson f "$4" --argjson x "$x" '{members:508,($p):$f} + $x')"
	b=$(fc_counts)
	raw "$(jq -cn --arg p "$1" --argjson r "$2" --arg s "$3" --argjson f "$4" --argjson a "$a" \
		--argjson b "$b" '{phase:"fc_counts",of:$p,round:$r,scen:$s,flows:$f,
		fills:(($b.fills // 0) - ($a.fills // 0)), evictions:(($b.evictions // 0) - ($a.evictions // 0)),
		records:(($b.records // 0) - ($a.records // 0)),
		spilled:(($b.spilled // 0) - ($a.spilled // 0))}')"
}

# watch_start [ARGS]: isagate watch on the other CPU; waits until the route
# mirror is as asked (on unless --no-route-mirror)
watch_start() {
	local want=true i
	[[ ${1:-} == --no-route-mirror ]] && want=false
	taskset -c $(((CPU + 1) % $(nproc))) nsenter --net="/run/netns/$NS_R" -- "$ISAGATE" watch \
		--pin-dir "$IGPIN" "$@" >>"$TMP/watch.log" 2>&1 &
	WATCH_PID=$!
	for i in $(seq 50); do
		[[ $(ig status -j 2>/dev/null | jq -r '.route_mirror.ipv6.on') == "$want" ]] && return 0
		sleep 0.1
	done
	log "route mirror not $want with watch $*: $(ig status -j 2>/dev/null | jq -c .route_mirror)"
}

watch_stop() {
	kill "$WATCH_PID" 2>/dev/null
	wait "$WATCH_PID" 2>/dev/null
	WATCH_PID=
}

# --- run -----------------------------------------------------------------------------------
T_START=$(now_ms)
log "namespaces $NS_G/$NS_R/$NS_S, pins $PIN, generator on CPU $CPU, $ROUNDS rounds x ${SECS}s"
raw "$(jq -cn --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
	--argjson cores "$(nproc)" --arg kernel "$(uname -r)" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --argjson gcpu "$CPU" --argjson rounds "$ROUNDS" \
	--argjson secs "$SECS" --argjson flows $MAIN_FLOWS --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" \
	--arg obj_sum "$(sha256sum "$BUILD/isagate.bpf.o" | cut -c1-12)" \
	--arg cc "$(clang --version | head -1)" --arg mem "$(free -g | awk '/^Mem:/ {print $2}')" \
	--arg busy "$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 >= 10 {printf "%s%s %s%%", n++ ? ", " : "", $2, $1}')" \
	'{phase:"meta",cpu:$cpu,cores:$cores,kernel:$kernel,date:$date,load_start:$load,gen_cpu:$gcpu,
	  rounds:$rounds,secs:$secs,flows:$flows,commit:$commit,isagate_obj:$obj_sum,clang:$cc,mem_gb:$mem,
	  busy:$busy}')"

setup
IGSTATS=$IGPIN/stats
[[ -e $IGSTATS ]] || die "isagate did not pin its stats map at $IGSTATS"
main_members_file "$TMP/members.main"
sync_timed "main (508)" "$TMP/members.main" || die "members sync failed"
raw "$(jq -cn --argjson m "$(memlock_json)" '{phase:"memlock",label:"main",members:508,mem:$m}')"
raw "$(jq -cn --arg s "$(ig status -j 2>/dev/null | jq -c '{links: .links, config: .config}' 2>/dev/null)" \
	'{phase:"isagate_status",status:$s}')"

# ab_med "V1 V2 ...": the median of the numbers (the lower of the middle two)
ab_med() {
	tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'
}

if [[ -n $AB_OBJ ]]; then
	export IGB_PIN_ROOT=$IGPIN
	declare -A AB=()
	for ((r = 0; r < ROUNDS; r++)); do
		for s in decap encap drop; do
			[[ $s == drop ]] && src=$NONMEMBER_SRC || src=$MEMBERS_SRC
			for v in new old; do
				[[ $v == old ]] && AB_USE=$AB_OBJ || AB_USE=
				n=$(pkt_ns "$s" $MAIN_FLOWS "$src" 3 2>"$TMP/aberr" | jq -r .ns_min) || { n=?; head -c 300 "$TMP/aberr" >&2; }
				AB[$s-$v]+="$n "
			done
		done
	done
	for s in decap encap drop; do
		for v in new old; do
			# the minimum too: interference only ever adds time
			printf '%-6s %-4s median %s ns, min %s ns  (%s)\n' $s $v "$(ab_med "${AB[$s-$v]}")" \
				"$(tr ' ' '\n' <<<"${AB[$s-$v]}" | grep . | sort -n | head -1)" "${AB[$s-$v]}"
		done
	done
	exit 0
fi

if [[ -n $AB_BIN ]]; then
	declare -A AB=()
	OWN_ISAGATE=$ISAGATE
	for ((r = 0; r < ROUNDS; r++)); do
		ref_attach ceiling || die "attaching the ceiling failed"
		c=$(live ceiling $MAIN_FLOWS "$MEMBERS_SRC" "$SECS" 2>/dev/null | jq -r .rate_pps)
		order="new old"
		((r % 2)) && order="old new"
		for v in $order; do
			[[ $v == old ]] && ISAGATE=$AB_BIN || ISAGATE=$OWN_ISAGATE
			ig_attach 2>/dev/null
			for s in decap encap drop; do
				[[ $s == drop ]] && src=$NONMEMBER_SRC || src=$MEMBERS_SRC
				n=$(live "$s" $MAIN_FLOWS "$src" "$SECS" 2>/dev/null | jq -r .rate_pps)
				AB[$s-$v]+="$(awk -v n="$n" -v c="$c" 'BEGIN { printf "%.3f", n / c }') "
			done
		done
	done
	ISAGATE=$OWN_ISAGATE
	for s in decap encap drop; do
		for v in new old; do
			printf '%-6s %-4s rate / ceiling median %s  (%s)\n' $s $v "$(ab_med "${AB[$s-$v]}")" \
				"${AB[$s-$v]}"
		done
	done
	exit 0
fi

if [[ -n $AB_WATCH ]]; then
	declare -A AB=()
	OWN_ISAGATE=$ISAGATE
	for ((r = 0; r < ROUNDS; r++)); do
		for f in 100000 1000000; do
			ISAGATE=$OWN_ISAGATE
			ig_attach --flows "$(flows_table $f)" --flow-cache $FC_SLOTS
			order="new old"
			((r % 2)) && order="old new"
			for v in $order; do
				[[ $v == old ]] && ISAGATE=$AB_WATCH
				watch_start
				ISAGATE=$OWN_ISAGATE
				for s in decap encap; do
					a=$(fc_counts)
					l=$(live "$s" "$f" "$MEMBERS_SRC" "$SCALE_SECS" "$(flows_warmup "$f")" 2>"$TMP/aberr") ||
						log "live $s $f failed: $(head -c 300 "$TMP/aberr")"
					n=$(pkt_ns "$s" "$f" "$MEMBERS_SRC" 5 2>"$TMP/aberr" | jq -r .ns_min) ||
						log "test_run $s $f failed: $(head -c 300 "$TMP/aberr")"
					b=$(fc_counts)
					# round robin over more flows than slots: every packet a
					# miss, so fills + spilled = the packets (live and test_run)
					AB[$f-$s-$v-pps]+="$(jq -r '.rate_pps // "?"' <<<"${l:-null}") "
					AB[$f-$s-$v-ns]+="${n:-?} "
					AB[$f-$s-$v-sp]+="$(jq -rn --argjson a "$a" --argjson b "$b" \
						'(($b.spilled // 0) - ($a.spilled // 0)) / ((($b.fills // 0) - ($a.fills // 0)) +
						(($b.spilled // 0) - ($a.spilled // 0)) + 1e-9) | . * 1000 | round / 1000') "
				done
				watch_stop
			done
		done
	done
	for f in 100000 1000000; do
		for s in decap encap; do
			for v in new old; do
				printf '%7s %-5s %-3s rate %s pps, %s ns, spilled / (fills + spilled) %s  (%s | %s | %s)\n' \
					$f $s $v "$(ab_med "${AB[$f-$s-$v-pps]}")" "$(ab_med "${AB[$f-$s-$v-ns]}")" \
					"$(ab_med "${AB[$f-$s-$v-sp]}")" "${AB[$f-$s-$v-pps]}" "${AB[$f-$s-$v-ns]}" \
					"${AB[$f-$s-$v-sp]}"
			done
		done
	done
	exit 0
fi

SCENS=(ceiling route kernel decap encap drop refdrop)
for ((r = 0; r < ROUNDS; r++)); do
	measure main "$r" baseline $MAIN_FLOWS "$MEMBERS_SRC" 0
	for ((k = 0; k < ${#SCENS[@]}; k++)); do
		s=${SCENS[$(((k + r) % ${#SCENS[@]}))]}
		ref_attach "$s" || die "attaching the $s reference to r2 failed"
		case $s in
		drop | refdrop) src=$NONMEMBER_SRC ;;
		*) src=$MEMBERS_SRC ;;
		esac
		measure main "$r" "$s" $MAIN_FLOWS "$src" "$SECS"
	done
done
ref_attach kernel

# The manage-out policy's cost: decap and encap with a policy loaded (every
# flow a tracked connection, the rules on its first packet) and without,
# interleaved, same flows.
log "policy: decap and encap with and without a manage-out policy"
printf '# bench: everything allowed, every flow tracked\nallow out any\nallow in any\ndefault drop\n' \
	>"$TMP/policy.txt"
for ((r = 0; r < ROUNDS; r++)); do
	for mode in policy nopolicy; do
		if [[ $mode == policy ]]; then
			ig policy sync "$TMP/policy.txt" >/dev/null || die "policy sync failed"
		else
			ig policy clear >/dev/null || die "policy clear failed"
		fi
		for s in decap encap; do
			measure "$mode" "$r" $s $MAIN_FLOWS "$MEMBERS_SRC" "$SECS"
		done
	done
	# the ceiling in the same round: issue 16's "with a policy, >= 0.75 x
	# the ceiling" is a same-round ratio
	ref_attach ceiling || die "attaching the ceiling reference to r2 failed"
	measure polceil "$r" ceiling $MAIN_FLOWS "$MEMBERS_SRC" "$SECS"
	ref_attach kernel
done
raw "$(jq -cn --argjson n "$(ig policy conns -j 2>/dev/null | jq length 2>/dev/null || echo null)" \
	'{phase:"policy_conns",conns:$n}')"
ig policy clear >/dev/null

if ((SCALE)) && [[ -z $SCALE_WHAT || $SCALE_WHAT == members ]]; then
	log "scaling: members"
	for n in 10 10000 100000 1000000; do
		members_file $n "$TMP/members.$n"
		sync_timed "load $n" "$TMP/members.$n" || continue
		if ((n >= 100000)); then
			# 1% churn: replace 1% of the filler with new entries
			members_file $n "$TMP/members.$n.churn" $((n / 100))
			sync_timed "churn 1% of $n" "$TMP/members.$n.churn" || continue
		fi
		raw "$(jq -cn --argjson n $n --argjson m "$(memlock_json)" '{phase:"memlock",label:"members",members:$n,mem:$m}')"
		sleep 1   # let the kernel finish freeing replaced entries (RCU) before timing
		# the wrapper's cost at this scale (subtracted from the paths' ns)
		measure members 0 baseline $MAIN_FLOWS "$SCALE_SRC" 0 "{\"members\":$n}"
		for s in decap encap drop; do
			[[ $s == drop ]] && src=$NONMEMBER_SRC || src=$SCALE_SRC
			measure members 0 $s $MAIN_FLOWS "$src" "$SCALE_SECS" "{\"members\":$n}"
		done
	done
	sync_timed "back to 508 from 1M" "$TMP/members.main"
fi
if ((SCALE)) && [[ -z $SCALE_WHAT || $SCALE_WHAT == flows ]]; then
	log "scaling: flows"
	ref_attach route
	for fr in 0 1; do   # two interleaved passes over the flow scales
		for f in 1000 100000 1000000; do
			ig_attach --flows "$(flows_table $f)"
			# the minimal routing forwarder too: does the kernel's FIB lookup
			# itself depend on the number of destinations?
			for s in baseline decap encap drop route; do
				[[ $s == drop ]] && src=$NONMEMBER_SRC || src=$MEMBERS_SRC
				measure flows $fr $s $f "$src" "$SCALE_SECS" "{\"members\":508}"
			done
			# the floor of exact per-flow state: one line per flow in a
			# flat array as large as the flow table's entries
			ref_attach floor "$(flows_table $f)" || die "attaching the flow-line floor failed"
			measure flows $fr floor $f "$MEMBERS_SRC" "$SCALE_SECS" "{\"members\":508}"
			ref_attach route
			# the same flows under a Zipf mix (s = 1.0): what caches see in
			# real traffic, next to round robin, their worst case
			ZIPF=1.0
			for s in baseline decap encap drop; do
				[[ $s == drop ]] && src=$NONMEMBER_SRC || src=$MEMBERS_SRC
				measure zipf $fr $s $f "$src" "$SCALE_SECS" "{\"members\":508,\"zipf\":$f}"
			done
			ZIPF=
			((fr)) || raw "$(jq -cn --argjson f $f --argjson m "$(memlock_json)" \
				'{phase:"memlock",label:"flows",flows:$f,mem:$m}')"
		done
	done
	# The same flows through the per-CPU flow cache (attach --flow-cache),
	# folded as in production by `isagate watch` on the other CPU (a look at
	# the logs every 20 ms, draining them while they keep filling); when the
	# misses outrun it, a full log makes new
	# flows spill into the shared table instead of evicting: each row says
	# how its packets went (fills, evictions, spilled).
	log "scaling: flows through the flow cache (--flow-cache $FC_SLOTS)"
	ig_attach --flow-cache $FC_SLOTS
	watch_start
	for fr in 0 1; do
		for f in 1000 100000 1000000; do
			ig_attach --flows "$(flows_table $f)" --flow-cache $FC_SLOTS
			for s in baseline decap encap; do
				measure_fc fcache $fr $s $f
			done
			ZIPF=1.0
			for s in baseline decap encap; do
				measure_fc fczipf $fr $s $f
			done
			ZIPF=
		done
	done
	watch_stop
	ig_attach   # back to the default table
	ref_attach kernel
fi

# The forwarding decisions (issue 16): N destinations behind 100 routes
# (<remote>::r:0/112 through 10 gateways, the sink's MAC) and 10,000 on-link
# destinations (2001:db8:f2::/64 on r1, a permanent neighbour each), decap
# through the flow cache (so decisions come from the per-destination cache,
# 16,384 slots per CPU: more destinations miss it), with `isagate watch`
# keeping the route mirror and with `watch --no-route-mirror` (every miss a
# FIB lookup), interleaved.  Each row says how the misses were decided
# (route_stats: mirror, FIB).
route_counts() {
	bpftool -j map dump pinned "$IGPIN/route_stats" 2>/dev/null |
		jq -c '[.[] | .formatted.values[]?.value // .formatted.value] | flatten |
			{mirror: (map(.mirror) | add), fib: (map(.fib) | add)}' 2>/dev/null || echo '{}'
}

# measure_rt PHASE ROUND FLOWS MIRROR(on|off)
measure_rt() {
	local a b
	a=$(route_counts)
	measure_fc "$1" "$2" decap "$3" "{\"mirror\":\"$4\"}"
	b=$(route_counts)
	raw "$(jq -cn --arg p "$1" --argjson r "$2" --argjson f "$3" --arg m "$4" --argjson a "$a" \
		--argjson b "$b" '{phase:"rt_counts",of:$p,round:$r,flows:$f,mirror:$m,
		by_mirror:(($b.mirror // 0) - ($a.mirror // 0)), by_fib:(($b.fib // 0) - ($a.fib // 0))}')"
}

if ((SCALE)) && [[ -z $SCALE_WHAT || $SCALE_WHAT == routes ]]; then
	log "scaling: destinations behind 100 routes and on-link, route mirror against FIB"
	{
		for g in $(seq 0 9); do
			echo "neigh replace 2001:db8:f1::$((16 + g)) lladdr $MAC_S0 dev r1 nud permanent"
		done
		for r in $(seq 0 99); do
			printf -- 'route add %s%x:0/112 via 2001:db8:f1::%d dev r1\n' "$REMOTE" $r $((16 + r % 10))
		done
		echo "addr add 2001:db8:f2::ffff:1/64 dev r1 nodad"
		for d in $(seq 1 10000); do
			printf -- 'neigh replace 2001:db8:f2::%x lladdr %s dev r1 nud permanent\n' $d $MAC_S0
		done
	} >"$TMP/routes.batch"
	# (permanent neighbours are exempt from the table's gc_thresh limits)
	nsx "$NS_R" ip -batch "$TMP/routes.batch" || die "adding the 100 routes and 10k neighbours failed"
	for fr in 0 1; do
		for f in 10000 100000 1000000; do
			ig_attach --flows "$(flows_table $f)" --flow-cache $FC_SLOTS
			for m in on off; do
				if [[ $m == on ]]; then watch_start; else watch_start --no-route-mirror; fi
				ROUTES=100
				measure_fc rtbase $fr baseline $f "{\"mirror\":\"$m\"}"
				measure_rt routes $fr $f $m
				ROUTES=
				if ((f == 10000)); then
					REMOTE_GEN=2001:db8:f2::
					measure_rt onlink $fr $f $m
					REMOTE_GEN=
				fi
				watch_stop
			done
		done
	done
	ig_attach   # back to the default table
fi

raw "$(jq -cn --argjson st "$(ig status -j 2>/dev/null || echo null)" '{phase:"final_status",status:$st}')"
T_END=$(now_ms)
raw "$(jq -cn --argjson s $(((T_END - T_START) / 1000)) --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
	'{phase:"end",run_secs:$s,load_end:$load}')"
log "measured in $(((T_END - T_START) / 1000)) s; writing the report"

"$PY" "$ROOT/bench/report.py" "$RAW" "$OUT/results.md" "$BUILD/bench" ||
	die "bench/report.py failed (raw results kept in $RAW)"
if [[ -n $SCALE_WHAT ]]; then
	log "--scale $SCALE_WHAT: no plot (it needs both halves)"
else
	gnuplot -e "datadir='$BUILD/bench'; outfile='$OUT/results.png'" "$ROOT/bench/plot.gp" ||
		die "gnuplot failed (data in $BUILD/bench/*.dat)"
fi
log "wrote $OUT/results.md and $OUT/results.png (raw: $RAW)"
