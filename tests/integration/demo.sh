#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# demo.sh (make demo) - isagate's main job on a throw-away topology built in
# network namespaces: a helpdesk PC that is a member reaches a remote IPv6
# laptop through the ISATAP router; a PC that is not a member is refused, and
# the counters say so.  Needs root; leaves nothing behind.
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init igd

show() { # print a command as the operator would type it, then run it in R
	printf '%s   # %s%s\n' "$C_DIM" "isagate $*" "$C_0"
	ig "$@"
}

cat <<EOF

${C_B}isagate demo${C_0} - selective ISATAP routing in XDP

  H  $H_V4  helpdesk PC (member)  ──┐
  N  $N_V4  other PC (not member) ──┴── IPv4 LAN ──  R  $R_V4, $R_V4B  (isagate in XDP)
                                                          │
                                                          └── IPv6 ──  D  $D_V6  remote laptop

  H and N speak ISATAP: IPv6 inside IPv4 (protocol 41) to the router.
  ISATAP prefix $ISATAP_PREFIX: H is $H_V6
  Namespaces $LIB_ID-*, pins in $PIN_DIR (all removed at the end).

EOF

step "1. build the topology"
topo_setup two
remote_start
info "D runs the real Linux IPv6 stack and listens on TCP $D_PORT (WinRM)"

step "2. attach isagate to the router"
printf '%s   # isagate attach --ipv4-dev %s --ipv6-dev %s --router %s --router %s --prefix %s%s\n' \
	"$C_DIM" "$R_V4_DEV" "$R_V6_DEV" "$R_V4" "$R_V4B" "$ISATAP_PREFIX" "$C_0"
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
[[ -n $out ]] && printf '%s\n' "$out"
pass "isagate attached (XDP on $R_V4_DEV and $R_V6_DEV)"

step "3. membership: only the helpdesk PC"
MF=$(members_file members.txt "$H_V4   # helpdesk PC H")
sed 's/^/     | /' "$MF"
show members sync "$MF" || die "members sync failed"
pass "membership synced"

step "4. the member pings the remote laptop through the router"
ok=0
for i in 1 2 3; do
	if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6"; then
		ok=$((ok + 1))
		printf '   H: reply from %s, inner hop limit %s, tunnelled from %s (TTL %s)\n' \
			"$(jget "$REPLY" reply.inner_src)" "$(jget "$REPLY" reply.hlim)" \
			"$(jget "$REPLY" reply.outer_src)" "$(jget "$REPLY" reply.ttl)"
	else
		printf '   H: echo %d - no reply\n' "$i"
	fi
done
check_eq "member H: 3 of 3 echo requests answered" "$ok" 3
if isatap "$NS_H" --router "$R_V4" --inner-src "$H_V6" --dst "$D_V6" --kind syn --dport "$D_PORT"; then
	printf '   H: TCP [%s]:%s answered with %s\n' "$D_V6" "$D_PORT" "$(jget "$REPLY" reply.tcp_flags)"
	pass "member H: TCP connection to port $D_PORT answered (SYN-ACK)"
else
	fail "member H: TCP SYN to port $D_PORT got no answer"
fi

step "5. the non-member tries the same"
snap
before=$(ctr drop_not_member)
ok=0
for i in 1 2 3; do
	if isatap "$NS_N" --router "$R_V4" --inner-src "$N_V6" --dst "$D_V6" --timeout 1; then
		ok=$((ok + 1))
		printf '   N: echo %d - answered (should not be)\n' "$i"
	else
		printf '   N: echo %d - no reply\n' "$i"
	fi
done
snap
check_eq "non-member N: 0 of 3 echo requests answered" "$ok" 0
check_ge "refusals counted as drop_not_member" $(($(ctr drop_not_member) - before)) 3

step "6. what the operator sees"
show status
echo
show members list

step "7. clean up"
info "detaching and removing the namespaces and $PIN_DIR"
echo
if lib_summary; then
	say "${C_OK}Demo complete${C_0}: the member was routed, the non-member refused and counted."
else
	say "${C_BAD}Demo failed${C_0}: see the 'not ok' lines above."
	exit 1
fi
