#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_prometheus.sh - the metrics end to end, through the real monitoring
# stack: `isagate stats --prometheus` writes the textfile, Debian's
# prometheus-node-exporter (textfile collector) serves it, a real Prometheus
# server scrapes it every second and a PromQL query over its HTTP API must
# return exactly the counter values `isagate stats -j` shows, the members
# by source, the members syncs' outcome (a good sync, a malformed file, a
# refused mass removal) and, after `isagate detach`, isagate_attached 0 with
# the old counters gone; a removed interface (defunct link) is
# isagate_attached 0 too.  The shipped alerting rules are loaded into that
# server: it must accept them, and IsagateDetached must go pending once the
# router is detached.
#
# Both servers run inside the router's test namespace on its loopback, with
# their own data directory in the test's temporary directory: the system's
# prometheus/node-exporter services (if the packages started them) are
# never used or disturbed.
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init h18b

for t in prometheus prometheus-node-exporter promtool; do
	command -v "$t" >/dev/null 2>&1 ||
		skip "'$t' not found: apt-get install prometheus prometheus-node-exporter (or 'make deps')"
done

RULES=$IG_ROOT/deploy/prometheus/isagate.rules.yml
PROM_PORT=19090 NODE_PORT=19100
N_ECHO=6

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup two
remote_start
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
[[ -e $PIN_DIR/sync_state ]] && pass "map sync_state pinned" || fail "sync_state not pinned under $PIN_DIR"

# --- membership syncs: one good, one malformed file, one refused ------------------------
step "members syncs and their outcome"
MF=$(members_file members.good "$H_V4" 198.51.100.0/28)
check_rc "members sync (H and a subnet)" 0 ig members sync "$MF"
BAD=$(members_file members.bad "$H_V4" "not an entry!")
check_rc "members sync of a malformed file fails, nothing changed" 2 ig members sync "$BAD"
EMPTY=$(members_file members.empty)
check_rc "members sync that would remove every member is refused" 6 ig members sync "$EMPTY"
check_rc "a dry run is not recorded" 0 ig members sync --dry-run "$MF"

SJ=$(ig stats -j 2>&1) || die "stats -j failed: $SJ"
check_eq "stats -j: members_sync.runs.ok" "$(jget "$SJ" members_sync.runs.ok)" 1
check_eq "stats -j: members_sync.runs.input" "$(jget "$SJ" members_sync.runs.input)" 1
check_eq "stats -j: members_sync.runs.refused" "$(jget "$SJ" members_sync.runs.refused)" 1
check_eq "stats -j: members_sync.last_exit (the refused one)" "$(jget "$SJ" members_sync.last_exit)" 6
LAST_OK=$(jget "$SJ" members_sync.last_success)
LAST_RUN=$(jget "$SJ" members_sync.last_run)
if [[ $LAST_OK =~ ^[0-9]+$ && $LAST_RUN =~ ^[0-9]+$ ]] && ((LAST_OK > 0 && LAST_RUN >= LAST_OK)); then
	pass "stats -j: last success $LAST_OK, last run $LAST_RUN"
else
	fail "stats -j: last success '$LAST_OK', last run '$LAST_RUN'"
fi
check_eq "stats -j: members_by_source.address" "$(jget "$SJ" members_by_source.address)" 1
check_eq "stats -j: members_by_source.subnet" "$(jget "$SJ" members_by_source.subnet)" 1
check_eq "stats -j: attached" "$(jget "$SJ" attached)" true

# --- known traffic: echoes H -> D (answered), refused ones from N ---------------------------
step "traffic: $N_ECHO echoes from member H, $N_ECHO from non-member N"
for ((i = 0; i < N_ECHO; i++)); do
	isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind echo --timeout 2 ||
		fail "echo $i from H: no reply ($REPLY)"
	isatap "$NS_N" --router "$R_V4" --inner-src "$N_V6" --dst "$D_V6" --kind echo --timeout 0.2 &&
		fail "echo $i from N was answered ($REPLY)"
done

# --- the monitoring stack ----------------------------------------------------------------------
step "node_exporter (textfile collector) and Prometheus in $NS_R on 127.0.0.1"
TEXTDIR=$LIB_TMP/textfile
mkdir -p "$TEXTDIR" "$LIB_TMP/tsdb"
cat >"$LIB_TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $RULES
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$NODE_PORT']
        labels: { instance: router }
YML
run "promtool check config" promtool check config "$LIB_TMP/prometheus.yml"
bg_start "$NS_R" "$LIB_TMP/node.log" prometheus-node-exporter \
	--web.listen-address="127.0.0.1:$NODE_PORT" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$TEXTDIR"
bg_start "$NS_R" "$LIB_TMP/prom.log" prometheus --config.file="$LIB_TMP/prometheus.yml" \
	--storage.tsdb.path="$LIB_TMP/tsdb" --web.listen-address="127.0.0.1:$PROM_PORT" \
	--web.enable-lifecycle

# q PROMQL: the instant query's result as JSON lines {"labels", "value"}, or
# "ERR ..." on an HTTP/API error.
q() {
	nsx "$NS_R" "$PY" - "$PROM_PORT" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url = "http://127.0.0.1:%s/api/v1/query?%s" % (sys.argv[1], urllib.parse.urlencode({"query": sys.argv[2]}))
try:
    d = json.load(urllib.request.urlopen(url, timeout=5))
except Exception as e:
    print("ERR %s" % e); sys.exit(1)
if d.get("status") != "success":
    print("ERR %s" % d); sys.exit(1)
for r in d["data"]["result"]:
    print(json.dumps({"labels": r["metric"], "value": r["value"][1]}, sort_keys=True))
PY
}
# qv PROMQL: the single value of a query returning one series ("" for none)
qv() {
	local out
	out=$(q "$1") || { echo "$out"; return 1; }
	[[ -z $out ]] && return 0
	[[ $(wc -l <<<"$out") -eq 1 ]] || { echo "ERR several series: $out"; return 1; }
	"$PY" -c 'import json, sys; print(json.loads(sys.argv[1])["value"])' "$out"
}

# prom_is PROMQL VALUE: the query's one value is VALUE (for wait_for)
prom_is() { [[ $(qv "$1") == "$2" ]]; }
# prom_has PROMQL: the query returns at least one series; prom_none: none
prom_has() { local out; out=$(q "$1") && [[ -n $out ]]; }
prom_none() { local out; out=$(q "$1") && [[ -z $out ]]; }

wait_for 20 nsx "$NS_R" "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PROM_PORT/-/ready', timeout=1)" ||
	die "Prometheus did not become ready: $(tail -n 5 "$LIB_TMP/prom.log")"
pass "Prometheus ready on 127.0.0.1:$PROM_PORT in $NS_R"
check "node_exporter's scrape target is up" wait_for 20 prom_is 'up{job="node"}' 1
# rule groups loaded: the server parsed the shipped rules
RULES_JSON=$(nsx "$NS_R" "$PY" -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$PROM_PORT/api/v1/rules', timeout=5).read().decode())")
n_rules=$("$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(sum(len(g["rules"]) for g in d["data"]["groups"]))' "$RULES_JSON" 2>/dev/null)
check_eq "Prometheus loaded the shipped rules (as many as promtool counts)" "$n_rules" \
	"$(promtool check rules "$RULES" | sed -n 's/.*SUCCESS: \([0-9]*\) rules found.*/\1/p')"

# --- the textfile, between two snapshots of stats -j -------------------------------------
step "stats --prometheus into the textfile directory; the same numbers from PromQL"
J1=$(ig stats -j 2>&1) || die "stats -j failed: $J1"
check_rc "stats --prometheus $TEXTDIR/isagate.prom" 0 ig stats --prometheus "$TEXTDIR/isagate.prom"
J2=$(ig stats -j 2>&1) || die "stats -j failed: $J2"
MTIME=$(stat -c %Y "$TEXTDIR/isagate.prom")

# wait until a scrape after the write is in (the textfile's mtime, as node_exporter reports it)
check "Prometheus scraped the new textfile (node_textfile_mtime_seconds = its mtime)" \
	wait_for 20 prom_is 'node_textfile_mtime_seconds{file=~"(.*/)?isagate.prom"}' "$MTIME"
check_eq "node_exporter read the textfile without error (node_textfile_scrape_error)" \
	"$(qv node_textfile_scrape_error)" 0

# Every reason whose counter did not move between the snapshots (the
# router's own IPv6 neighbour chatter may) must be exactly what Prometheus
# returns, packets and bytes.
"$PY" - "$J1" "$J2" >"$LIB_TMP/stable" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1])["counters"], json.loads(sys.argv[2])["counters"]
for k in sorted(a):
    if a[k] == b[k]:
        print(k, a[k]["packets"], a[k]["bytes"])
PY
n_stable=0 n_nonzero=0
while read -r key pkts bytes; do
	n_stable=$((n_stable + 1))
	((pkts > 0)) && n_nonzero=$((n_nonzero + 1))
	gp=$(qv "isagate_packets_total{reason=\"$key\"}")
	gb=$(qv "isagate_bytes_total{reason=\"$key\"}")
	if [[ $gp == "$pkts" && $gb == "$bytes" ]]; then
		((pkts > 0)) && pass "PromQL isagate_packets_total/bytes_total{reason=\"$key\"} = $pkts / $bytes, as stats -j"
	else
		fail "PromQL reason $key: packets '$gp' bytes '$gb', stats -j says $pkts / $bytes"
	fi
done <"$LIB_TMP/stable"
check_ge "reasons compared (stable between the snapshots)" "$n_stable" 30
for key in fwd_decap fwd_encap drop_not_member; do
	grep -q "^$key " "$LIB_TMP/stable" && want=$(awk -v k="$key" '$1 == k { print $2 }' "$LIB_TMP/stable") ||
		want=unstable
	check_ge "stats -j: $key counted our echoes (and compared above: $want)" "${want//unstable/-1}" "$N_ECHO"
done
check_eq "isagate_members" "$(qv isagate_members)" "$(jget "$J2" members)"
check_eq "isagate_flows" "$(qv isagate_flows)" "$(jget "$J2" flows)"
check_eq "isagate_flow_inserts_total" "$(qv isagate_flow_inserts_total)" "$(jget "$J2" flow_inserts)"
check_eq "isagate_events_total{result=\"sent\"}" "$(qv 'isagate_events_total{result="sent"}')" \
	"$(jget "$J2" events.sent)"
check_eq "isagate_members_by_source{source=\"address\"}" "$(qv 'isagate_members_by_source{source="address"}')" 1
check_eq "isagate_members_by_source{source=\"subnet\"}" "$(qv 'isagate_members_by_source{source="subnet"}')" 1
check_eq "isagate_members_by_source{source=\"directory\"}" "$(qv 'isagate_members_by_source{source="directory"}')" 0
check_eq "isagate_members_sync_last_success_timestamp_seconds" \
	"$(qv isagate_members_sync_last_success_timestamp_seconds)" "$LAST_OK"
check_eq "isagate_members_sync_failures_total{reason=\"input\"}" \
	"$(qv 'isagate_members_sync_failures_total{reason="input"}')" 1
check_eq "isagate_members_sync_failures_total{reason=\"refused\"}" \
	"$(qv 'isagate_members_sync_failures_total{reason="refused"}')" 1
check_eq "isagate_members_sync_failures_total{reason=\"directory\"}" \
	"$(qv 'isagate_members_sync_failures_total{reason="directory"}')" 0
check_eq "isagate_members_sync_runs_total (dry runs not counted)" "$(qv isagate_members_sync_runs_total)" 3
check_eq "isagate_members_sync_last_exit_code" "$(qv isagate_members_sync_last_exit_code)" 6
check_eq "isagate_attached" "$(qv isagate_attached)" 1
check_eq "isagate_xdp_links{state=\"running\"}" "$(qv 'isagate_xdp_links{state="running"}')" 2
check_eq "no alert pending or firing while attached" "$(q 'ALERTS{alertname="IsagateDetached"}')" ""

# --- a sync that succeeds again: the success time moves, the failures stay -----------------
step "a good sync after the failures"
MF2=$(members_file members.good2 "$H_V4" 198.51.100.0/28 192.0.2.20)
check_rc "members sync (one more address)" 0 ig members sync "$MF2"
check_rc "stats --prometheus" 0 ig stats --prometheus "$TEXTDIR/isagate.prom"
SJ=$(ig stats -j)
check "Prometheus sees the last exit code 0 again" \
	wait_for 20 prom_is isagate_members_sync_last_exit_code 0
check_eq "isagate_members_sync_last_success_timestamp_seconds = stats -j" \
	"$(qv isagate_members_sync_last_success_timestamp_seconds)" "$(jget "$SJ" members_sync.last_success)"
check_eq "isagate_members_by_source{source=\"address\"} now 2" "$(qv 'isagate_members_by_source{source="address"}')" 2
check_eq "failures unchanged: input" "$(qv 'isagate_members_sync_failures_total{reason="input"}')" 1

# --- an interface removed under the router: its link is defunct -------------------------------
step "the IPv6-side device removed: isagate_attached 0, one link defunct"
run "delete up0 (and D's end of the veth)" nsx "$NS_R" ip link del up0
check_rc "stats --prometheus (still pinned: exit 0)" 0 ig stats --prometheus "$TEXTDIR/isagate.prom"
check "PromQL isagate_attached = 0" wait_for 20 prom_is isagate_attached 0
check_eq "isagate_xdp_links{state=\"defunct\"}" "$(qv 'isagate_xdp_links{state="defunct"}')" 1
check_eq "isagate_xdp_links{state=\"running\"}" "$(qv 'isagate_xdp_links{state="running"}')" 1
check "the counters are still exported while pinned" prom_has 'isagate_packets_total{reason="fwd_decap"}'

# --- detached ---------------------------------------------------------------------------------
step "detach: the textfile says isagate_attached 0 and drops the counters"
check_rc "isagate detach" 0 ig detach
check_rc "stats --prometheus while detached exits 4 (not attached)" 4 ig stats --prometheus "$TEXTDIR/isagate.prom"
check "the textfile holds isagate_attached 0" grep -qx 'isagate_attached 0' "$TEXTDIR/isagate.prom"
check "the textfile holds no counters" bash -c "! grep -q '^isagate_packets_total' '$TEXTDIR/isagate.prom'"
check "PromQL: isagate_packets_total gone (stale) after detach" wait_for 20 prom_none 'isagate_packets_total'
check_eq "PromQL isagate_attached = 0" "$(qv isagate_attached)" 0
check "the shipped alert IsagateDetached goes pending" \
	wait_for 20 prom_has 'ALERTS{alertname="IsagateDetached",alertstate="pending",instance="router"}'

lib_summary
