#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_top.sh - `isagate top` in a real terminal: tmux runs a shell, the
# test types the command, reads the screen (capture-pane) and presses keys
# (send-keys).  Member H keeps two conversations going through the router:
# echoes to D (answered by D's real stack) and echoes to an address D
# silently drops (unanswered).  The screen must show H with both, the rates,
# the unanswered one marked; the sort and filter keys must change what is
# shown; H removed from the members must be marked REFUSED; redraws must
# not clear the screen (no flicker); q and Ctrl-C (SIGINT) must end it with
# exit status 0 and the terminal restored (the shell's screen back, echo
# and canonical mode on).
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init h18t

command -v tmux >/dev/null 2>&1 || skip "'tmux' not found: apt-get install tmux (or 'make deps')"

QUIET_V6=2001:db8:dac::200           # routed to D, which drops it silently
H_V6T=$(norm6 "$H_V6")                # as isagate prints addresses (RFC 5952)
TMUX_SOCK=$LIB_ID                     # a private tmux server (-L), never the user's
tm() { tmux -L "$TMUX_SOCK" "$@"; }
# the tmux server is ours: kill it on every exit path, before lib's cleanup
trap 'tm kill-server >/dev/null 2>&1; lib_cleanup' EXIT

step "topology: namespaces $LIB_ID-*, pins $PIN_DIR"
topo_setup two
remote_start
run "D: $QUIET_V6 silently dropped" nsx "$NS_D" ip -6 route add blackhole "$QUIET_V6"
out=$(ig_attach 2>&1) || die "isagate attach failed: $out"
MF=$(members_file members.h "$H_V4")
check_rc "members sync (H)" 0 ig members sync "$MF"

# H: an echo every 0.2 s to D (answered) and to QUIET_V6 (never answered)
cat >"$LIB_TMP/talk.py" <<'PY'
import socket, sys, time
from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest
router, src, dsts = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 41)
s.setblocking(False)
end, seq = time.time() + 300, 0
while time.time() < end:
    for i, d in enumerate(dsts):
        s.sendto(bytes(IPv6(src=src, dst=d, hlim=64) / ICMPv6EchoRequest(id=0x4000 + i, seq=seq)), (router, 0))
    try:
        while s.recv(4096):
            pass
    except BlockingIOError:
        pass
    seq += 1
    time.sleep(0.2)
PY
bg_start "$NS_H" "$LIB_TMP/talk.log" "$PY" "$LIB_TMP/talk.py" "$R_V4" "$H_V6" "$D_V6" "$QUIET_V6"

check_rc "top without a terminal: exit 2" 2 ig top </dev/null
check_rc "top --interval 0: exit 2" 2 ig top --interval 0

# --- the terminal ------------------------------------------------------------------------
step "tmux (private server -L $TMUX_SOCK), 200x50, a plain shell"
tm -f /dev/null new-session -d -s top -x 200 -y 50 "env -i PATH=$PATH TERM=screen HOME=$LIB_TMP PS1='prompt\$ ' bash --norc --noprofile" ||
	die "tmux new-session failed"
tm set-option -t top status off >/dev/null
screen_text() { tm capture-pane -p -t top; }
shows() { screen_text | grep -qE -- "$1"; }     # shows REGEX
line_of() { screen_text | grep -E -- "$1" | head -n 1; }
wait_for 10 shows 'prompt\$' || die "no shell prompt in tmux: $(screen_text)"
tm pipe-pane -o -t top "cat >>'$LIB_TMP/raw.out'"

TOP_CMD="nsenter --net=/run/netns/$NS_R $ISAGATE top --pin-dir $PIN_DIR; echo top-rc=\$?"
start_top() {
	tm send-keys -t top "clear" Enter
	tm send-keys -t top "$TOP_CMD" Enter
	wait_for 10 shows '^isagate top ' || return 1
}

step "top: the member and its two conversations"
check "top starts and shows its header" start_top
check "H ($H_V4) is listed with 2 conversations" wait_for 10 shows "^$H_V4 +2 conversations"
check "the conversation to D is listed" shows "icmpv6 $H_V6T > $D_V6"
check "the conversation to $QUIET_V6 is marked UNANSWERED (after 3 s of silence)" \
	wait_for 10 shows "> $QUIET_V6 .*UNANSWERED"
check "the answered conversation to D is not marked" bash -c "! grep -E -- '> $D_V6 .*UNANSWERED' <<<\"\$1\"" _ "$(screen_text)"
check "the member line counts the unanswered one" shows "^$H_V4 .*unanswered"
# rates: 5 echoes/s each way to D: out 5.0 (4.x-5.x), in the same
rate_line=$(line_of "> $D_V6 ")
read -r _ _ _ _ pout pin _ <<<"$rate_line"
if [[ $pout =~ ^[3-6]\.[0-9]$ && $pin =~ ^[3-6]\.[0-9]$ ]]; then
	pass "D's conversation: $pout pkt/s out, $pin pkt/s in (5/s sent)"
else
	fail "D's conversation rates: '$rate_line'"
fi
q_line=$(line_of "> $QUIET_V6 ")
read -r _ _ _ _ qout qin _ <<<"$q_line"
[[ $qout =~ ^[3-6]\.[0-9]$ && $qin == 0.0 ]] && pass "the unanswered one: $qout pkt/s out, 0.0 in" ||
	fail "the unanswered conversation's rates: '$q_line'"
check "refusal rates are shown in the header" shows '^refused pkt/s: not member'

step "keys: sort, reverse, filter, marked only"
check "sort is pkt/s at start" shows '^isagate top .* sort pkt/s'
tm send-keys -t top s
check "s: sort by bit/s" wait_for 5 shows '^isagate top .* sort bit/s'
tm send-keys -t top s s s
check "s s s: sort by age" wait_for 5 shows '^isagate top .* sort age'
tm send-keys -t top r
check "r: reversed" wait_for 5 shows '^isagate top .* sort age \(reversed\)'
tm send-keys -t top s r
check "s r: back to pkt/s, not reversed" wait_for 5 shows '^isagate top .* sort pkt/s$'
tm send-keys -t top / 
check "/: the filter prompt" wait_for 5 shows '^filter \(member or address'
tm send-keys -t top "dac::200" Enter
check "filter 'dac::200' in the header" wait_for 5 shows "sort pkt/s +filter 'dac::200'"
check "the filter keeps the matching conversation" shows "> $QUIET_V6 "
check "the filter hides the other" bash -c "! grep -qE -- '> $D_V6 ' <<<\"\$1\"" _ "$(screen_text)"
tm send-keys -t top / Enter
check "/ Enter (empty) clears the filter" wait_for 5 shows "> $D_V6 "
tm send-keys -t top c
check "c: members only" wait_for 5 bash -c "! tmux -L '$TMUX_SOCK' capture-pane -p -t top | grep -qE -- '> $D_V6 '"
tm send-keys -t top c
check "c again: the conversations are back" wait_for 5 shows "> $D_V6 "

step "a member removed by a sync: REFUSED"
MF2=$(members_file members.other 192.0.2.20)
check_rc "members sync without H (--force: it removes every member)" 0 ig members sync --force "$MF2"
check "H is marked REFUSED" wait_for 5 shows "^$H_V4 .*REFUSED"
check "the header counts 1 refused member" shows 'members refused 1 '
check "refused pkt/s from H shows in the header (not member > 0)" \
	wait_for 5 shows '^refused pkt/s: not member [1-9]'
tm send-keys -t top u
check "u: marked only still shows the refused member" wait_for 5 shows "^$H_V4 .*REFUSED"
tm send-keys -t top u

step "no flicker: redraws never clear the screen"
# the terminal's clear-screen sequence (TERM=screen in the pane)
CLEAR=$(TERM=screen tput clear)
nclears() { grep -aoF -- "$CLEAR" "$LIB_TMP/raw.out" | wc -l; }
clears_before=$(nclears)
size_before=$(stat -c %s "$LIB_TMP/raw.out")
check_ge "the raw output holds top's first clear (the count below can see one)" "$clears_before" 1
sleep 3.5   # three refreshes
check_eq "screen clears during 3 refreshes" "$(($(nclears) - clears_before))" 0
size_after=$(stat -c %s "$LIB_TMP/raw.out")
check_ge "the screen was redrawn meanwhile (bytes written, only the changes)" \
	"$((size_after - size_before))" 1
(( size_after - size_before < 3 * 200 * 50 )) && pass "each redraw sends less than a full screen ($((size_after - size_before)) bytes for 3)" ||
	fail "3 redraws sent $((size_after - size_before)) bytes: full repaints"

step "q: exit 0, terminal restored"
tm send-keys -t top q
check "top exits on q with status 0" wait_for 5 shows '^top-rc=0'
check "the shell's screen is back (top's screen gone)" bash -c "! tmux -L '$TMUX_SOCK' capture-pane -p -t top | grep -q '^isagate top '"
tm send-keys -t top "stty -a | tr ' ;' '\n\n' | grep -xE 'icanon|echo|-icanon|-echo' | tr '\n' ' '; echo" Enter
check "echo and canonical mode restored" wait_for 5 shows '^icanon echo *$'

step "Ctrl-C (SIGINT): exit 0, terminal restored"
check "top starts again" start_top
tm send-keys -t top C-c
check "top exits on SIGINT with status 0" wait_for 5 shows '^top-rc=0'
check "the shell's screen is back" bash -c "! tmux -L '$TMUX_SOCK' capture-pane -p -t top | grep -q '^isagate top '"
tm send-keys -t top "clear; stty -a | tr ' ;' '\n\n' | grep -xE 'icanon|echo|-icanon|-echo' | tr '\n' ' '; echo" Enter
check "echo and canonical mode restored after SIGINT" wait_for 5 shows '^icanon echo *$'

step "detached under it: top ends with exit 4"
check "top starts again" start_top
check_rc "isagate detach" 0 ig detach
check "top exits 4 once the router is detached" wait_for 5 shows '^top-rc=4'

lib_summary
