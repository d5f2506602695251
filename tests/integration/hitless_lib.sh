# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034
#
# tests/integration/hitless_lib.sh - the loaded topology of test_hitless.sh
# and test_fwd_coherence.sh (sourced after lib.sh).
#
#   gen: g0 ──veth── r0 (rtr: isagate IPv4 side)   rtr: r1 ──veth── s0 (sink)
#                        isagate IPv6 side: r1
#
# The generator is the benchmark's (bench/gen.c: `igbench live`, frames
# written by bench/gen.bpf.c and sent with BPF_F_TEST_XDP_LIVE_FRAMES from
# g0 into the router); the sink (hitless_sink.bpf.c, compiled here) counts
# each frame per inner source (= member) and per destination MAC, with the
# first and last arrival time, and drops it.
#
#   hl_init                builds what is missing, sets the topology up, attaches
#                          isagate (native XDP) and the sink
#   hl_gen_start OUT SECS SRCS   igbench live in the background (JSON into OUT),
#                          pinned to CPU $HL_GEN_CPU; hl_gen_wait waits for it
#   hl_gen_total OUT       frames the generator sent (warm-up included)
#   hl_sink [--mac]        the sink's counts as JSON (hitless_util.py read)
#   hl_sink_reset          a fresh sink (empty counts)
#
# Set IGH_BUILD=DIR to use binaries built elsewhere (make BUILD=DIR all bench-build).

HL_BUILD=${IGH_BUILD:-$IG_ROOT/build}
ISAGATE=$HL_BUILD/isagate
XDP_PASS_OBJ=$HL_BUILD/xdp_pass.bpf.o
IGB=$HL_BUILD/bench/igbench
GEN_OBJ=$HL_BUILD/bench/gen.bpf.o
HL_UTIL=$IG_ROOT/tests/integration/hitless_util.py
HL_SINK_SRC=$IG_ROOT/tests/integration/hitless_sink.bpf.c

MAC_G0=02:00:00:00:71:01 MAC_R0=02:00:00:00:71:02
MAC_R1=02:00:00:00:72:01 MAC_S0=02:00:00:00:72:02
HL_ROUTER=192.0.2.1
HL_PREFIX=2001:db8:1:8000::
HL_REMOTE=2001:db8:dac::
HL_NH1=2001:db8:f1::2
HL_GEN_CPU=${IGH_GEN_CPU:-1}
# igbench's arguments for member traffic from g0 into the router (decap mix);
# the callers add the sources, the flows and the timing
HL_IGB_LIVE=(live --obj "$GEN_OBJ" --dev g0 --mix decap --dmac "$MAC_R0" --smac "$MAC_G0"
	--router "$HL_ROUTER" --prefix "$HL_PREFIX" --remote "$HL_REMOTE")
# igbench live: frames per test_run call; the warm-up is one call of a quarter
HL_REPEAT=65536

NS_G='' NS_S=''

# The generator and the sink come from bench/ (built by `make bench-build`,
# which `make test`'s `all` does not build): build them when missing.
hl_build() {
	if [[ ! -x $IGB || ! -r $GEN_OBJ ]]; then
		info "building the traffic generator: make BUILD=$HL_BUILD bench-build"
		make -C "$IG_ROOT" --no-print-directory BUILD="$HL_BUILD" bench-build >"$LIB_TMP/make.log" 2>&1 ||
			die "make bench-build failed: $(tail -n 20 "$LIB_TMP/make.log")"
	fi
	local arch
	arch=/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
	clang -O2 -g -Wall -Werror -target bpf -D__bpf__ -idirafter "$arch" \
		-c "$HL_SINK_SRC" -o "$LIB_TMP/hitless_sink.bpf.o" 2>"$LIB_TMP/clang.log" ||
		die "compiling $HL_SINK_SRC failed: $(cat "$LIB_TMP/clang.log")"
}

# the sink's pins live next to isagate's pin directory (isagate's detach
# leaves a directory holding foreign files in place); removed at exit
hl_cleanup() {
	local rc=$?
	[[ -n ${HL_PIN:-} && -d $HL_PIN ]] && rm -rf -- "$HL_PIN"
	(exit $rc)
	lib_cleanup
}

hl_init() {
	local t
	HL_PIN=$PIN_DIR-sink
	mkdir -p "$HL_PIN" || die "cannot create $HL_PIN"
	trap hl_cleanup EXIT
	for t in taskset clang gcc make; do
		command -v "$t" >/dev/null 2>&1 || skip "'$t' not found: run 'make deps'"
	done
	(($(nproc) > HL_GEN_CPU)) || HL_GEN_CPU=0
	hl_build
	ns_add NS_G gen
	ns_add NS_R rtr
	ns_add NS_S sink
	run "veth g0-r0" nsx "$NS_G" ip link add g0 address $MAC_G0 type veth peer name r0 netns "$NS_R" address $MAC_R0
	run "veth r1-s0" nsx "$NS_R" ip link add r1 address $MAC_R1 type veth peer name s0 netns "$NS_S" address $MAC_S0
	# No kernel chatter into the measured veths (RS, MLD from g0 or s0): a
	# frame sent by a namespace's stack on another CPU schedules the peer's
	# NAPI there, and the generator's frames then wait for that CPU (ring
	# overflow, counted as g0's xdp_xmit_errors).  The sink's next hops are
	# permanent neighbours: it needs no IPv6 stack.
	v4_only "$NS_G"
	v4_only "$NS_S"
	run "router sysctls" nsx "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	run "g0 address" nsx "$NS_G" ip addr add 192.0.2.2/26 dev g0
	run "r0 address" nsx "$NS_R" ip addr add $HL_ROUTER/26 dev r0
	run "r1 address" nsx "$NS_R" ip -6 addr add 2001:db8:f1::1/64 dev r1 nodad
	for t in "$NS_G g0" "$NS_R r0" "$NS_R r1" "$NS_S s0"; do
		# shellcheck disable=SC2086
		run "link up $t" nsx ${t% *} ip link set ${t#* } up
	done
	hl_probe_live
	# the next hop is a permanent neighbour: XDP's FIB lookup never finds it unresolved
	run "next hop" nsx "$NS_R" ip -6 neigh replace $HL_NH1 lladdr $MAC_S0 dev r1 nud permanent
	run "route to the remote side" nsx "$NS_R" ip -6 route add ${HL_REMOTE}/48 via $HL_NH1 dev r1
	hl_sink_reset
	run "isagate attach" ig_attach_hl
}

# The generator needs BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES.  Some
# kernels or sandboxes refuse it with EPERM even to root (seen in a Firecracker
# VM whose processes run without CAP_SYS_RESOURCE): the zero-loss tests then
# cannot run at all, which is a skip with the reason, not a failure of
# isagate.  Any other error is left to the test, which reports it.
hl_probe_live() {
	local err=$LIB_TMP/probe.err
	nsenter --net="/run/netns/$NS_G" -- "$IGB" "${HL_IGB_LIVE[@]}" --src 203.0.113.1 --flows 1 \
		--secs 0.01 --warmup 0 --repeat 1 >/dev/null 2>"$err" && return 0
	grep -q 'Operation not permitted' "$err" &&
		skip "the kernel refuses BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES here ($(head -c 200 "$err"));" \
			"capabilities: $(awk '/^CapEff/ { print $2 }' /proc/self/status); the generator cannot send"
	return 0
}

ig_attach_hl() {
	ig attach --ipv4-dev r0 --ipv6-dev r1 --router $HL_ROUTER --prefix ${HL_PREFIX}/64 --mode native "$@"
}

# hl_gen_start OUT SECS SRCS: member traffic (decap mix), one flow per source
hl_gen_start() {
	local out=$1 secs=$2 srcs=$3 n
	n=$(hl_nsrc "$srcs")
	HL_GEN_N=$n
	HL_XERR0=$(hl_xmit_errors)
	taskset -c "$HL_GEN_CPU" nsenter --net="/run/netns/$NS_G" -- "$IGB" "${HL_IGB_LIVE[@]}" \
		--src "$srcs" --flows "$n" --secs "$secs" --warmup 0 --repeat $HL_REPEAT >"$out" 2>"$out.err" &
	HL_GEN_PID=$!
	LIB_PIDS+=("$HL_GEN_PID")
	# running once the sink sees traffic
	wait_for 5 hl_sink_busy || info "the sink saw no packet within 5 s of starting the generator"
}

# the veth counters of the generator's link (where frames could be lost before
# the router's XDP sees them) as "dev:counter=N ..."
hl_veth_stats() {
	local d
	for d in "$NS_G g0" "$NS_R r0"; do
		# shellcheck disable=SC2086
		nsx ${d% *} ethtool -S ${d#* } 2>/dev/null | awk -v d="${d#* }" '
			/xdp|drop|err/ && $2 != 0 { sub(":", "", $1); printf "%s:%s=%s ", d, $1, $2 }'
	done
}

# frames the generator's veth could not hand to the router (its ring was full)
hl_xmit_errors() {
	local n
	n=$(nsx "$NS_G" ethtool -S g0 2>/dev/null | awk '/xdp_xmit_err/ { s += $2 } END { print s + 0 }')
	echo "${n:-0}"
}

hl_sink_busy() {
	local n
	n=$(bpftool -j map dump pinned "$HL_PIN/by_src" 2>/dev/null | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[[ $n =~ ^[0-9]+$ ]] && ((n > 0))
}

hl_gen_wait() {
	wait "$HL_GEN_PID"
	local rc=$?
	((rc == 0)) || fail "generator exited $rc: $(head -c 500 "$1.err")"
	return $rc
}

# frames sent = the timed part (JSON "sent") + the one warm-up call
hl_gen_total() {
	local sent
	sent=$(jget "$(cat "$1")" sent)
	[[ $sent =~ ^[0-9]+$ ]] || {
		echo ERR
		return 1
	}
	echo $((sent + HL_REPEAT / 4))
}

# number of addresses in an igbench --src list (A.B.C.D or A.B.C.D-E, comma separated)
hl_nsrc() {
	local IFS=, s n=0 lo hi
	for s in $1; do
		if [[ $s == *-* ]]; then
			lo=${s%-*}
			lo=${lo##*.}
			hi=${s##*-}
			n=$((n + hi - lo + 1))
		else
			n=$((n + 1))
		fi
	done
	echo $n
}

# the addresses of a --src list, one a line, in the generator's order
hl_srcs() {
	local IFS=, s p lo hi i
	for s in $1; do
		if [[ $s == *-* ]]; then
			p=${s%-*}
			lo=${p##*.}
			p=${p%.*}
			hi=${s##*-}
			for ((i = lo; i <= hi; i++)); do echo "$p.$i"; done
		else
			echo "$s"
		fi
	done
}

hl_sink() {
	if [[ ${1:-} == --mac ]]; then
		"$PY" "$HL_UTIL" read "$HL_PIN/by_dmac" --mac
	else
		"$PY" "$HL_UTIL" read "$HL_PIN/by_src"
	fi
}

# a fresh sink: attaching it again replaces the program and its (re-pinned) maps
hl_sink_reset() {
	run "sink on s0 (reset)" nsx "$NS_S" "$IGB" attach --obj "$LIB_TMP/hitless_sink.bpf.o" --dev s0 \
		--pin "by_src=$HL_PIN/by_src" --pin "by_dmac=$HL_PIN/by_dmac"
}

# hl_compare GEN_OUT SRCS SINK_JSON CLASSES: per-source check of one generator
# run.  CLASSES maps each source to what must hold:
#   all=stay              every source: received == sent
#   stay:N1-N2,gone:..    source indexes (0-based) by class:
#      stay  received == sent (not one packet lost)
#      gone  0 < received < sent (removed during the run)
#      new   0 < received < sent (added during the run)
# Prints one line per failing class; returns non-zero when any fails.
#
# Returns 2 (inconclusive) when frames were lost between the generator and
# the router (g0's ring into r0 was full: never seen by isagate), since
# which member's frames those were is unknown.
hl_compare() {
	local out=$1 srcs=$2 sink=$3 classes=$4 total xerr
	total=$(hl_gen_total "$out") || {
		echo "the generator reported nothing: $(cat "$out" "$out.err" 2>/dev/null | head -c 500)"
		return 1
	}
	xerr=$(($(hl_xmit_errors) - HL_XERR0))
	if ((xerr > 0)); then
		echo "inconclusive: $xerr frames were lost on the generator's veth before the router (g0 xdp_xmit_errors: the machine was too busy to drain the ring)"
		return 2
	fi
	"$PY" - "$total" "$sink" "$classes" <<EOF
import json, sys
total, sink, classes = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
srcs = """$(hl_srcs "$srcs")""".split()
n = len(srcs)
exp = [total // n + (1 if j < total % n else 0) for j in range(n)]
cls = ["stay"] * n
if classes != "all=stay":
    for part in classes.split(","):
        c, rng = part.split(":")
        lo, hi = (int(x) for x in rng.split("-"))
        for j in range(lo, hi + 1):
            cls[j] = c
bad = {}
summ = {}
for j, a in enumerate(srcs):
    got = sink.get(a, {}).get("packets", 0)
    c = cls[j]
    s = summ.setdefault(c, [0, 0, 0])
    s[0] += 1; s[1] += exp[j]; s[2] += got
    ok = got == exp[j] if c == "stay" else 0 < got < exp[j]
    if not ok:
        bad.setdefault(c, []).append("%s sent %d got %d" % (a, exp[j], got))
extra = sum(v["packets"] for k, v in sink.items() if k not in srcs)
for c, (k, e, g) in sorted(summ.items()):
    print("%s: %d sources, %d sent, %d received%s" % (c, k, e, g,
          " (%d sources wrong: %s%s)" % (len(bad[c]), "; ".join(bad[c][:5]),
          " ..." if len(bad[c]) > 5 else "") if c in bad else ""))
if extra:
    # the router's own IPv6 chatter on r1 (MLD, RS): not generator traffic
    print("(also %d packets from other sources: the router's own IPv6 chatter)" % extra)
sys.exit(1 if bad else 0)
EOF
}
