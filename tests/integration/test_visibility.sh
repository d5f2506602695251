#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_visibility.sh - flow accounting, refusal events, Prometheus and IPFIX
# export, end to end in network namespaces (lib.sh's two-armed topology).
#
# Known traffic goes through the router: two ICMPv6 echo conversations from
# member H to the remote host D (D's real stack answers every request) and
# one from D to H (no answer: H has no IPv6 stack).  Then `flows -j`,
# `bpftool map dump` of the pinned flow table (one value per flow), the
# Prometheus file of `stats --prometheus` and the IPFIX records a real
# collector (nfcapd, read back with nfdump) received from `flows --follow
# --ipfix` must all agree with what was sent; the follower is killed and
# restarted in the middle without losing or repeating anything.  Refused
# packets (non-member, spoofed source) must appear as events with their
# reasons, and the per-source event rate limit must count what it held back.
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init igf

for t in nfcapd nfdump; do
	command -v "$t" >/dev/null 2>&1 || skip "'$t' not found: apt-get install nfdump (or 'make deps')"
done

SPOOF_V6=2001:db8:1:8000::5efe:c000:207   # embeds 192.0.2.7, sent from H
IPFIX_PORT=4739
ID1=4369     # 0x1111
ID2=8738     # 0x2222
N1=5 N2=3 N3=4
PAY1=56 PAY2=200                           # echo payload bytes
LEN1=$((40 + 8 + PAY1)) LEN2=$((40 + 8 + PAY2))

# send.py: N ICMPv6 echo requests (fixed identifier) tunnelled in protocol
# 41 to the router, then count the tunnelled echo replies that come back.
SEND_PY=$LIB_TMP/send.py
cat >"$SEND_PY" <<'PY'
import socket, sys, time
from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest, ICMPv6EchoReply
router, src, dst, ident, count, pay = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 41)
for seq in range(count):
    s.sendto(bytes(IPv6(src=src, dst=dst, hlim=64) / ICMPv6EchoRequest(id=ident, seq=seq, data=b"v" * pay)), (router, 0))
    time.sleep(0.02)
got, end = set(), time.time() + 1.5
s.settimeout(0.2)
while time.time() < end and len(got) < count:
    try:
        data = s.recv(4096)
    except socket.timeout:
        continue
    ihl = (data[0] & 15) * 4
    p = IPv6(data[ihl:])
    if p.haslayer(ICMPv6EchoReply) and p[ICMPv6EchoReply].id == ident:
        got.add(p[ICMPv6EchoReply].seq)
print(len(got))
PY

send_echo() { # NS ID COUNT PAYLOAD [SRC]: prints the number of replies
	nsx "$1" "$PY" "$SEND_PY" "$R_V4" "${5:-$H_V6}" "$D_V6" "$2" "$3" "$4" 2>&1
}

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup two
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
for m in flows events vis_stats; do
	[[ -e $PIN_DIR/$m ]] && pass "map $m pinned" || fail "map $m not pinned under $PIN_DIR"
done
MF=$(members_file members.h "$H_V4")
check_rc "members sync (H)" 0 ig members sync "$MF"
PROM=$LIB_TMP/isagate.prom
check_rc "stats --prometheus before any traffic" 0 ig stats --prometheus "$PROM"
cp "$PROM" "$LIB_TMP/before.prom"

# --- the IPFIX collector and the first follower ----------------------------------
step "nfcapd (IPFIX collector) on 127.0.0.1:$IPFIX_PORT in R; flows --follow exporting to it"
NFDIR=$LIB_TMP/nfcapd
mkdir -p "$NFDIR"
bg_start "$NS_R" "$LIB_TMP/nfcapd.log" nfcapd -w "$NFDIR" -b 127.0.0.1 -p "$IPFIX_PORT" -t 3600
NFCAPD_PID=${LIB_PIDS[-1]}
# ready when its UDP socket is bound (a fixed sleep races on a loaded machine)
wait_for 10 nsx "$NS_R" sh -c "ss -Hlun 'sport = :$IPFIX_PORT' | grep -q ." ||
	die "nfcapd did not bind 127.0.0.1:$IPFIX_PORT: $(cat "$LIB_TMP/nfcapd.log")"
STATE=$LIB_TMP/flows.state
follow_start() { # LOG [ARGS...]
	bg_start "$NS_R" "$1" "$ISAGATE" flows --follow -j --interval 0.5 --idle-timeout 300 \
		--ipfix "127.0.0.1:$IPFIX_PORT" --state "$STATE" --pin-dir "$PIN_DIR" "${@:2}"
	FOLLOW_PID=${LIB_PIDS[-1]}
}
follow_stop() {
	sleep 1.2   # at least two intervals after the last packet
	kill -TERM "$FOLLOW_PID" 2>/dev/null
	wait "$FOLLOW_PID" 2>/dev/null
	return 0
}
# The first follower exports uniflow records (one per direction), the
# second the default biflow ones (RFC 5103: both directions in one record).
follow_start "$LIB_TMP/follow1.jsonl" --ipfix-format uniflow
sleep 0.3
kill -0 "$FOLLOW_PID" 2>/dev/null && pass "flows --follow --ipfix running" ||
	fail "flows --follow died: $(cat "$LIB_TMP/follow1.jsonl")"

# --- traffic ------------------------------------------------------------------------
step "traffic: H -> D echo x$N1 (id $ID1), follower killed, H -> D echo x$N2 (id $ID2), follower restarted, D -> H ping x$N3"
got=$(send_echo "$NS_H" $ID1 $N1 $PAY1)
check_eq "D answered all $N1 echo requests of flow 1" "$got" "$N1"
follow_stop
got=$(send_echo "$NS_H" $ID2 $N2 $PAY2)
check_eq "D answered all $N2 echo requests of flow 2 (no follower running)" "$got" "$N2"
follow_start "$LIB_TMP/follow2.jsonl"
nsx "$NS_D" ping -c "$N3" -i 0.05 -W 0.2 -q -I "$D_V6" "$H_V6" >/dev/null 2>&1
follow_stop
kill -TERM "$NFCAPD_PID" 2>/dev/null
wait "$NFCAPD_PID" 2>/dev/null

# --- what the router says ------------------------------------------------------------
step "flows -j"
FLOWS=$(ig flows -j 2>&1) || fail "flows -j failed: $FLOWS"
EXPECT="1:$ID1:$N1:$((N1 * LEN1)):$N1:$((N1 * LEN1)) 2:$ID2:$N2:$((N2 * LEN2)):$N2:$((N2 * LEN2)) 3:d:0:0:$N3:$((N3 * LEN1))"
# flow_check SOURCE-NAME JSON-OF-{flows:[...]}: compares every expected flow
flow_check() {
	"$PY" - "$1" "$2" "$EXPECT" "$H_V4" "$H_V6" "$D_V6" <<'PY'
import ipaddress, json, sys
name, doc, expect, h4, h6, d6 = sys.argv[1:]
flows = json.loads(doc)["flows"]
n6 = lambda a: str(ipaddress.IPv6Address(a))
bad = 0
for e in expect.split():
    idx, ident, pf, bf, pt, bt = e.split(":")
    if ident == "d":   # D -> H: the one flow from D towards H
        m = [f for f in flows if f["proto"] == 58 and f["member_addr"] == n6(h6) and f["packets_from_member"] == 0]
    else:
        m = [f for f in flows if f["proto"] == 58 and f["member_port"] == int(ident) and f["remote_port"] == 0x8000]
    if len(m) != 1:
        print("not ok - %s: flow %s: %d entries, want 1" % (name, idx, len(m))); bad += 1; continue
    f = m[0]
    got = (f["packets_from_member"], f["bytes_from_member"], f["packets_to_member"], f["bytes_to_member"])
    want = (int(pf), int(bf), int(pt), int(bt))
    same = f["member"] == h4 and f["member_addr"] == n6(h6) and f["remote_addr"] == n6(d6)
    if got == want and same:
        print("ok - %s: flow %s: from member %d pkts %d bytes, to member %d pkts %d bytes" % ((name, idx) + got))
    else:
        print("not ok - %s: flow %s: got %s %s, want %s" % (name, idx, got, (f["member"], f["member_addr"], f["remote_addr"]), want)); bad += 1
print("FLOWS", len(flows))
sys.exit(1 if bad else 0)
PY
}
# count "ok -"/"not ok -" lines of a python check into the summary
tally() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) pass "${line#ok - }" ;;
		"not ok - "*) fail "${line#not ok - }" ;;
		*) info "$line" ;;
		esac
	done <<<"$1"
}
tally "$(flow_check "flows -j" "$FLOWS")"
check_eq "flows -j: 3 entries in the table" "$(jget "$FLOWS" entries)" 3
check_eq "flows -j: no evictions" "$(jget "$FLOWS" flow_evictions)" 0
check_eq "last verdict of flow 3 is fwd_encap" \
	"$("$PY" -c 'import json,sys; print([f["last_verdict"] for f in json.loads(sys.argv[1])["flows"] if f["packets_from_member"] == 0][0])' "$FLOWS" 2>&1)" fwd_encap
txt=$(ig flows --member "$H_V4" --top 2 2>&1)
check_contains "flows (text) --member --top 2 shows a table" "$txt" 'MEMBER +PROTO'
check_eq "flows --top 2 shows 2 rows" "$(grep -c '^192\.0\.2\.10 ' <<<"$txt")" 2
check_eq "flows --member of a non-member shows nothing" "$(jget "$(ig flows -j --member 192.0.2.99 2>&1)" flows)" "[]"

# with the flow cache the readers' table is what the collector folded
# (nothing here fills a log, so nothing spills into "flows")
FLOW_MAP=flows
[[ ${IG_TEST_ATTACH_ARGS:-} == *--flow-cache* ]] && FLOW_MAP=flows_folded
step "bpftool map dump pinned $PIN_DIR/$FLOW_MAP (one value per flow)"
DUMP=$(bpftool -j map dump pinned "$PIN_DIR/$FLOW_MAP" 2>&1) || fail "bpftool map dump failed: ${DUMP:0:300}"
raw=$(bpftool map dump pinned "$PIN_DIR/$FLOW_MAP" 2>&1 | tr -d ' \t\n')
check_contains "bpftool shows the member address readably" "$raw" '"member":\[192,0,2,10\]'
check_contains "bpftool shows named value fields" "$raw" '"from_member":\{"packets":'
BDOC=$("$PY" - "$DUMP" <<'PY'
import ipaddress, json, sys
out = []
for e in json.loads(sys.argv[1]):
    k = e["formatted"]["key"] if "formatted" in e else e["key"]
    v = (e["formatted"] if "formatted" in e else e)["value"]
    s = {"fp": v["from_member"]["packets"], "fb": v["from_member"]["bytes"],
         "tp": v["to_member"]["packets"], "tb": v["to_member"]["bytes"]}
    out.append({"proto": k["proto"], "member_port": k["member_port"], "remote_port": k["remote_port"],
                "member": ".".join(map(str, k["member"])),
                "member_addr": str(ipaddress.IPv6Address(bytes(k["member_addr"]))),
                "remote_addr": str(ipaddress.IPv6Address(bytes(k["remote_addr"]))),
                "packets_from_member": s["fp"], "bytes_from_member": s["fb"],
                "packets_to_member": s["tp"], "bytes_to_member": s["tb"]})
print(json.dumps({"flows": out}))
PY
)
tally "$(flow_check "bpftool map dump" "$BDOC")"

step "Prometheus textfile (stats --prometheus)"
check_rc "stats --prometheus" 0 ig stats --prometheus "$PROM"
check "no temporary file left next to it" test -z "$(ls -A "$LIB_TMP" | grep -E '^\.?isagate\.prom\..*tmp')"
check_eq "Prometheus file is 0644 (node_exporter reads it)" "$(stat -c %a "$PROM")" 644
check_eq "flow state file is 0600 (who talked to whom)" "$(stat -c %a "$STATE")" 600
prom() { # FILE METRIC-WITH-LABELS
	awk -v m="$2" '$1 == m { print $2 }' "$1"
}
check_contains "HELP and TYPE lines" "$(cat "$PROM")" '^# TYPE isagate_packets_total counter'
snap
for r in fwd_encap drop_not_member; do
	check_eq "isagate_packets_total{reason=\"$r\"} equals status" \
		"$(prom "$PROM" "isagate_packets_total{reason=\"$r\"}")" "$(ctr $r)"
done
enc=$(($(prom "$PROM" 'isagate_packets_total{reason="fwd_encap"}') - $(prom "$LIB_TMP/before.prom" 'isagate_packets_total{reason="fwd_encap"}')))
dec=$(($(prom "$PROM" 'isagate_packets_total{reason="fwd_decap"}') + $(prom "$PROM" 'isagate_packets_total{reason="kernel_decap_neigh"}') -
	$(prom "$LIB_TMP/before.prom" 'isagate_packets_total{reason="fwd_decap"}') - $(prom "$LIB_TMP/before.prom" 'isagate_packets_total{reason="kernel_decap_neigh"}')))
check_eq "Prometheus: encapsulated packets = replies + D's requests" "$enc" $((N1 + N2 + N3))
check_eq "Prometheus: decapsulated packets = H's requests" "$dec" $((N1 + N2))
check_eq "Prometheus: isagate_flows" "$(prom "$PROM" isagate_flows)" 3
check_eq "Prometheus: isagate_members" "$(prom "$PROM" isagate_members)" 1
check_eq "Prometheus: isagate_flow_evictions_total" "$(prom "$PROM" isagate_flow_evictions_total)" 0

step "flows --follow: killed and restarted, nothing lost or repeated"
FDOC=$("$PY" - "$LIB_TMP/follow1.jsonl" "$LIB_TMP/follow2.jsonl" <<'PY'
import json, sys
acc = {}
for path in sys.argv[1:]:
    for line in open(path):
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        k = (r["member"], r["member_addr"], r["member_port"], r["remote_addr"], r["remote_port"], r["proto"])
        a = acc.setdefault(k, dict(member=r["member"], member_addr=r["member_addr"], member_port=r["member_port"],
                                   remote_addr=r["remote_addr"], remote_port=r["remote_port"], proto=r["proto"],
                                   packets_from_member=0, bytes_from_member=0, packets_to_member=0, bytes_to_member=0))
        for f in ("packets_from_member", "bytes_from_member", "packets_to_member", "bytes_to_member"):
            if r[f] < 0:
                raise SystemExit("negative delta")
            a[f] += r[f]
print(json.dumps({"flows": list(acc.values())}))
PY
) || fail "reading the follower output: $FDOC"
tally "$(flow_check "flows --follow deltas (two runs)" "$FDOC")"
check_contains "the follower printed JSON lines with deltas" "$(head -n 1 "$LIB_TMP/follow1.jsonl")" '"total_packets_from_member"'

step "IPFIX: what nfcapd received (nfdump)"
NFCSV=$(nfdump -R "$NFDIR" -q -N -o csv 2>&1 | head -n 200) || fail "nfdump -R failed: ${NFCSV:0:300}"
info "nfdump: $(wc -l <<<"$NFCSV") lines"
# Totals by direction: a record's in counts go source -> destination, its
# out counts (a biflow's reverse ones) destination -> source.  "records"
# counts the records of each form: uniflow (out 0; the remote side as
# source for the other direction), two-way biflow, one-way biflow (nothing
# from the source, the member's side: an unanswered conversation).
NDOC=$("$PY" - "$NFCSV" "$(norm6 "$H_V6")" <<'PY'
import csv, io, json, sys
rows = list(csv.reader(io.StringIO(sys.argv[1])))
hdr = rows[0] if rows and "sa" in rows[0] else ["ts","te","td","sa","da","sp","dp","pr","flg","fwd","stos","ipkt","ibyt","opkt","obyt"]
col = {n: i for i, n in enumerate(hdr)}
acc, forms, oneway = {}, {"from_remote": 0, "two_way": 0, "one_way": 0}, 0
def add(k, p, b):
    p0, b0 = acc.get(k, (0, 0))
    acc[k] = (p0 + p, b0 + b)
for r in rows:
    if len(r) < 15 or r[0] == "ts" or not r[col["sa"]].count(":"):
        continue
    sa, da = r[col["sa"]], r[col["da"]]
    ip, ib, op, ob = (int(r[col[c]]) for c in ("ipkt", "ibyt", "opkt", "obyt"))
    add("%s>%s" % (sa, da), ip, ib)
    if op or ob:
        add("%s>%s" % (da, sa), op, ob)
    if sa != sys.argv[2]:
        forms["from_remote"] += 1
    elif ip and op:
        forms["two_way"] += 1
    elif op:
        forms["one_way"] += 1
        oneway += op
out = {k: list(v) for k, v in acc.items()}
out["records"] = forms
out["one_way_packets"] = oneway
print(json.dumps(out))
PY
) || fail "parsing nfdump's CSV: $NDOC"
info "nfdump totals by source>destination: $NDOC"
h6=$(norm6 "$H_V6") d6=$(norm6 "$D_V6")
check_eq "IPFIX member->remote (H -> D): packets, bytes" "$(jget "$NDOC" "$h6>$d6")" \
	"[$((N1 + N2)), $((N1 * LEN1 + N2 * LEN2))]"
check_eq "IPFIX remote->member (D -> H): packets, bytes" "$(jget "$NDOC" "$d6>$h6")" \
	"[$((N1 + N2 + N3)), $((N1 * LEN1 + N2 * LEN2 + N3 * LEN1))]"
check_ge "uniflow (first follower): records with the remote side as source" \
	"$(jget "$NDOC" records.from_remote)" 1
check_ge "biflow (second follower): records with both directions' counts" \
	"$(jget "$NDOC" records.two_way)" 1
check_eq "biflow: D's unanswered pings to H as one-way records (nothing from H), all $N3" \
	"$(jget "$NDOC" one_way_packets)" "$N3"
NFLONG=$(nfdump -R "$NFDIR" -q -o 'fmt:%sa %da %nh %pr %pkt' 2>&1 | head -n 20)
check_contains "IPFIX carries the member's IPv4 address (ipNextHopIPv4Address)" "$NFLONG" "$H_V4"

# --- refusals -> events ------------------------------------------------------------------
step "refusals become events"
ig events >/dev/null 2>&1   # drain anything older
got=$(send_echo "$NS_N" 1 5 8 "$N_V6")
check_eq "non-member N: no reply" "$got" 0
got=$(send_echo "$NS_H" 2 1 8 "$SPOOF_V6")
check_eq "spoofed source from H: no reply" "$got" 0
EV=$(ig events -j 2>&1) || fail "events -j failed: $EV"
info "events: $EV"
ev_n=$(grep -c '"reason":"drop_not_member"' <<<"$EV")
check_eq "one drop_not_member event for N's 5 packets (rate limit per source)" "$ev_n" 1
check_contains "the event names N's outer address" "$(grep drop_not_member <<<"$EV")" "\"outer_src\":\"$N_V4\""
check_contains "the event carries the inner addresses" "$(grep drop_not_member <<<"$EV")" \
	"\"inner_src\":\"$(norm6 "$N_V6")\",\"inner_dst\":\"$d6\""
check_contains "a drop_spoof event with the spoofed inner source" "$(grep drop_spoof <<<"$EV")" \
	"\"outer_src\":\"$H_V4\".*\"inner_src\":\"$(norm6 "$SPOOF_V6")\""
ST=$(ig stats -j 2>&1)
check_ge "stats: suppressed events counted" "$(jget "$ST" events.suppressed)" 4
check_ge "stats: sent events counted" "$(jget "$ST" events.sent)" 2
check_eq "refusals created no flow" "$(jget "$(ig flows -j 2>&1)" entries)" 3
txt=$(ig events 2>&1)
check_eq "events without --follow: the ring was drained" "$txt" ""

if [[ ${IG_TEST_ATTACH_ARGS:-} == *--flow-cache* ]]; then
	step "the flow cache: everything folded, nothing kept out"
	check_eq "stats: no packet spilled to the table by a full log" "$(jget "$ST" flow_cache.spilled_packets)" 0
	check_eq "stats: no log record left to fold" "$(jget "$ST" flow_cache.pending)" 0
	check_contains "status names the flow cache" "$(ig status 2>&1)" 'flow cache +64 slots per CPU'
	check_eq "status -j: settings.flow_cache" "$(jget "$(ig status -j 2>&1)" settings.flow_cache)" 64
	check_ge "stats: the collector folded the packets" "$(jget "$ST" flow_cache.collected_packets)" \
		$((2 * N1 + 2 * N2 + N3))
	out=$(bpftool map dump pinned "$PIN_DIR/flow_cache" 2>&1 | head -c 20000)
	check_contains "bpftool map dump of flow_cache names the slots' fields" "$out" '"fill_id"'

	step "isagate watch folds the cache on its own (no reader involved)"
	bg_start "$NS_R" "$LIB_TMP/watch.log" "$ISAGATE" watch --pin-dir "$PIN_DIR"
	WATCH_PID=${LIB_PIDS[-1]}
	got=$(send_echo "$NS_H" 4660 2 8)   # id 0x1234: a new flow
	check_eq "D answered the new flow's 2 requests" "$got" 2
	# bpftool reads the folded table and folds nothing: only watch can have written it
	in_table() {
		bpftool -j map dump pinned "$PIN_DIR/flows_folded" | "$PY" -c '
import json, sys
for e in json.load(sys.stdin):
    k, v = e["formatted"]["key"], e["formatted"]["value"]
    if k["member_port"] == 4660 and v["from_member"]["packets"] == 2 and v["to_member"]["packets"] == 2:
        sys.exit(0)
sys.exit(1)'
	}
	wait_for 5 in_table && pass "the flow reached the table within a second or so, 2 packets each way" ||
		fail "watch did not fold the new flow into the table: $(cat "$LIB_TMP/watch.log")"
	kill -TERM "$WATCH_PID" 2>/dev/null
	wait "$WATCH_PID" 2>/dev/null
fi

step "stats --follow prints rates"
out=$(timeout -s INT 2.5 nsenter --net="/run/netns/$NS_R" -- "$ISAGATE" stats --follow -j --interval 1 --pin-dir "$PIN_DIR" 2>&1)
check_contains "stats --follow -j: a JSON line per interval" "$out" '"rates":'

step "attach --flows 1024 replaces the flow table"
check_rc "attach --flows 1024" 0 ig_attach --flows 1024
check_eq "the pinned flow table has 1024 entries" \
	"$(bpftool -j map show pinned "$PIN_DIR/flows" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["max_entries"])')" 1024
got=$(send_echo "$NS_H" 77 2 8)
check_eq "traffic still answered after the resize" "$got" 2
check_eq "the new table holds the new flow" "$(jget "$(ig flows -j 2>&1)" entries)" 1

lib_summary
