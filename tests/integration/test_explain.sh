#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_explain.sh - `isagate explain` end to end (issue 18 point 1), in
# lib.sh's two-armed topology with D's real Linux stack as the far end:
#   - a member that never solicited: admitted, "not using this router" (3);
#   - after its RS was answered and its ping came back: works (0), and the
#     dry run to D says "would be forwarded";
#   - a policy without RDP: the dry run to D tcp/3389 names the default (3);
#   - D's firewall (nft) dropping inbound RDP while H opens it: the one-way
#     conversation is named, with the Windows Firewall fix (3);
#   - a spoofed solicitation (3), a member without an IPv4 neighbour (3);
#   - the flag cleared once D answers;
#   - a non-member that solicited: not admitted, its RS refused (7);
#   - the ISATAP address form, a name that does not resolve (2), and a pin
#     directory with nothing attached (4).
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init ige

command -v nft >/dev/null 2>&1 || skip "'nft' not found: apt-get install nftables (or 'make deps')"

LL_H=fe80::5efe:c000:20a
LL_N=fe80::5efe:c000:242

# explain ARGS...: run it with -j, EXPLAIN holds the JSON, EXPLAIN_RC the status
explain() {
	EXPLAIN=$(ig explain "$@" -j 2>&1)
	EXPLAIN_RC=$?
}

# has KEY [LEVEL]: the last explain has a finding KEY (of LEVEL)
has() {
	"$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
ok = any(f["key"] == sys.argv[2] and (len(sys.argv) < 4 or f["level"] == sys.argv[3])
         for f in d["findings"])
sys.exit(0 if ok else 1)
' "$EXPLAIN" "$@" 2>/dev/null
}

check_finding() { # DESC KEY [LEVEL]
	local desc=$1
	shift
	if has "$@"; then
		pass "$desc"
	else
		fail "$desc (no finding $*)"
		info "${EXPLAIN:0:3000}"
	fi
}

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup two
# shellcheck disable=SC2119
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
remote_start
MF=$(members_file members.h "$H_V4")
check_rc "members sync (H)" 0 ig members sync "$MF"

step "a member that never solicited the router"
explain "$H_V4"
check_eq "exit status: admitted, something wrong" "$EXPLAIN_RC" 3
check_eq "verdict" "$(jget "$EXPLAIN" verdict)" degraded
check_finding "member, through its entry" member ok
check_contains "the entry's file and line" "$EXPLAIN" "member through the entry $H_V4/32 at $MF:2"
check_finding "no solicitation seen: not using this router" rs_never warn
check_contains "the fix names the router addresses" "$EXPLAIN" "must resolve to one of: .*$R_V4"

step "after its RS was answered and its ping came back"
if isatap "$NS_H" --router "$R_V4" --inner-src "$LL_H" --dst ff02::2 --kind rs --hlim 255; then
	pass "H's RS answered"
else
	fail "H's RS not answered: $REPLY"
fi
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6"; then
	pass "H's echo answered"
else
	fail "H's echo not answered: $REPLY"
fi
explain "$H_V4"
check_eq "exit status: works" "$EXPLAIN_RC" 0
check_eq "verdict" "$(jget "$EXPLAIN" verdict)" works
check_finding "its solicitation answered" rs_answered ok
check_finding "its IPv4 neighbour resolved" resolved ok
T=$(ig explain "$H_V4" 2>&1)
check_contains "text: the verdict line first" "$(head -1 <<<"$T")" "^$H_V4: works through this router"
explain "$H_V6"
check_eq "the ISATAP address explains the same host" "$(jget "$EXPLAIN" address)" "$H_V4"
explain "$H_V4" --to "$D_V6" --port tcp/$D_PORT
check_eq "dry run to D tcp/$D_PORT without a policy: exit 0" "$EXPLAIN_RC" 0
check_finding "dry run: would be forwarded" result ok
check_finding "dry run: the route to D" route ok
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport "$D_PORT"; then
	pass "and a real SYN to D:$D_PORT is forwarded and answered, as the dry run said"
else
	fail "the dry run said forwarded, a real SYN to D:$D_PORT got no answer: $REPLY"
fi
explain "$H_V4" --to fe80::1
check_finding "dry run to a link-local destination refused" destination bad

step "a spoofed solicitation: H's RS from another host's ISATAP address"
if isatap "$NS_H" --router "$R_V4" --inner-src fe80::5efe:c000:207 --dst ff02::2 --kind rs \
	--hlim 255 --timeout 1; then
	fail "a spoofed RS was answered"
else
	pass "the spoofed RS was not answered"
fi
explain "$H_V4"
check_eq "exit status" "$EXPLAIN_RC" 3
check_finding "its RS refused as spoofed" rs_refused bad
check_contains "the fix: NAT between host and router?" "$EXPLAIN" "does not embed its IPv4 address"
if isatap "$NS_H" --router "$R_V4" --inner-src "$LL_H" --dst ff02::2 --kind rs --hlim 255; then
	pass "H's own RS answered again"
else
	fail "H's own RS not answered: $REPLY"
fi

step "a member nobody answers ARP for: no IPv4 neighbour"
MF2=$(members_file members.h2 "$H_V4" 192.0.2.77)
check_rc "members sync (H, 192.0.2.77)" 0 ig members sync "$MF2"
sleep 3   # the managed entry's resolution fails
explain 192.0.2.77
check_eq "exit status" "$EXPLAIN_RC" 3
check_finding "its neighbour unresolved" unresolved warn
check_rc "members sync (H)" 0 ig members sync "$MF"

step "a policy without RDP: the dry run names the rule that refuses"
printf 'allow out icmpv6 echo-request name ping\ndefault drop\n' >"$LIB_TMP/policy"
check_rc "policy sync" 0 ig policy sync "$LIB_TMP/policy"
explain "$H_V4" --to "$D_V6" --port tcp/3389
check_eq "exit status" "$EXPLAIN_RC" 3
check_finding "policy: the default refuses tcp/3389" policy bad
explain "$H_V4" --to "$D_V6"
check_finding "policy: echo allowed by rule 'ping'" policy ok
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport 3389 \
	--timeout 1; then
	fail "H's RDP SYN answered under a policy without RDP"
else
	pass "H's RDP SYN refused by the policy"
fi
explain "$H_V4"
check_finding "the refusal recorded, as the policy's" drop_policy warn
check_contains "with what was refused and the rule" "$EXPLAIN" \
	"tcp to $D_V6 port 3389\\): refused by the policy.*by the default \\(drop\\)"
check_rc "policy clear" 0 ig policy clear

step "D's firewall drops inbound RDP while H opens it: a one-way conversation"
run "D's firewall: drop inbound TCP 3389" d_firewall 3389
if one_way_tcp 3389 40404; then
	pass "no answer for 4.5 s"
else
	fail "an answer came through D's firewall: $REPLY"
fi
explain "$H_V4"
check_eq "exit status: admitted, something wrong" "$EXPLAIN_RC" 3
check_finding "the unanswered conversation named" unanswered warn
check_contains "with the Windows Firewall fix" "$EXPLAIN" "Windows Firewall"
check_contains "verdict text names it" "$(jget "$EXPLAIN" verdict_text)" "unanswered: tcp"
run "D's firewall removed" d_firewall off
isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport 3389 \
	--sport 40404 --timeout 1   # D answers now (RST: nothing listens)
explain "$H_V4"
if has unanswered; then
	fail "the conversation is still unanswered after D answered"
else
	pass "the unanswered flag cleared once D answered"
fi
J=$(ig flows -j --unanswered 2>&1)
check_eq "flows --unanswered: none left" "$(jget "$J" unanswered)" 0

step "a non-member that solicited"
if isatap "$NS_N" --router "$R_V4" --inner-src "$LL_N" --dst ff02::2 --kind rs --hlim 255 \
	--timeout 1; then
	fail "N's RS answered"
else
	pass "N's RS not answered"
fi
explain "$N_V4"
check_eq "exit status: not admitted" "$EXPLAIN_RC" 7
check_eq "verdict" "$(jget "$EXPLAIN" verdict)" not_admitted
check_finding "not a member, with the group to add it to" not_member bad
check_finding "its RS refused" rs_refused bad
check_finding "its refusal recorded" drop_not_member
check_contains "the fix: the security group" "$EXPLAIN" "ISATAP security group"

step "-vv reaches libbpf's debug output (a re-attach in place)"
# shellcheck disable=SC2119
out=$(ig_attach -vv 2>&1) || fail "attach -vv failed: ${out:0:300}"
check_contains "libbpf debug lines with -vv" "$out" "^libbpf: "
out=$(ig_attach -v 2>&1) || fail "attach -v failed: ${out:0:300}"
if grep -q "^libbpf: .*\(loading\|map '\)" <<<"$out"; then
	fail "libbpf debug lines with a single -v"
else
	pass "no libbpf debug lines with a single -v"
fi

step "bad input and nothing attached"
explain no-such-host.invalid
check_eq "a name that does not resolve: exit 2" "$EXPLAIN_RC" 2
explain "$H_V4" --port tcp/3389
check_eq "--port without --to: exit 2" "$EXPLAIN_RC" 2
out=$(nsx "$NS_R" "$ISAGATE" explain "$H_V4" --pin-dir "$PIN_DIR-none" 2>&1)
check_eq "nothing attached: exit 4" "$?" 4

lib_summary
