#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/integration/test_directory.sh - `isagate members sync --ldap` against
# a real Active Directory: Samba's AD DC (Debian's samba-ad-dc), provisioned
# into the test's temporary directory and started in its own network
# namespace on the router's LAN.  Its own DNS answers the computers' names:
# the sync runs in a private mount namespace whose /etc/resolv.conf points
# at the DC (the host's resolver is never touched).
#
# Covered: nested groups (in-chain rule and client-side nesting, a cycle),
# disabled accounts, multiple A records, an extra-entries file, an
# unresolvable name (fail static), a renamed and a removed computer,
# fail-over between servers, directory down, TLS with the wrong CA, wrong
# password, an unsafe password file, the mass-removal guard and --force,
# LDAPS and StartTLS, and a group of 5,000 computers read in pages.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_init igl
for t in samba samba-tool ldapmodify ldapsearch unshare; do
	command -v "$t" >/dev/null 2>&1 ||
		skip "'$t' not found: install samba-ad-dc samba-ad-provision ldap-utils ('make deps')"
done
/usr/bin/python3 -c 'import samba.samdb' 2>/dev/null ||
	skip "python3-samba not importable by /usr/bin/python3: install samba-ad-provision"
# Every sync runs in a private mount namespace (its own /etc/resolv.conf):
# that needs / to be a mount point, as it is on every machine but not in a
# bare chroot (tests/fresh.sh provides one).
mountpoint -q / ||
	skip "/ is not a mount point here (a chroot without one), so no private mount namespace for the syncs' resolver; run on a machine or in tests/fresh.sh"

T0=$SECONDS
REALM=CORP.EXAMPLE
DOM_DN=DC=corp,DC=example
DC_V4=192.0.2.53
DC_NAME=dc1.corp.example
ADMIN_DN="CN=Administrator,CN=Users,$DOM_DN"
ADMIN_PW='Adm1n-Pass.word'
LAB="OU=Lab,$DOM_DN"
GROUP="CN=DirectAccess ISATAP computers,$LAB"
BIG=5000

NS_DC=''
DC=$LIB_TMP/dc
SMBCONF=$DC/etc/smb.conf

step "topology: router R with isagate, a Samba AD DC on the LAN ($DC_V4)"
topo_setup two
ns_add NS_DC dc
v4_only "$NS_DC"
lan_host "$NS_DC" eth0 p-dc "$DC_V4/24"
check "isagate attached" ig_attach

step "provision the domain $REALM (samba-tool, private target directory)"
: >"$LIB_TMP/empty.conf"
t=$SECONDS
run "samba-tool domain provision" /usr/bin/python3 /usr/bin/samba-tool domain provision \
	-s "$LIB_TMP/empty.conf" --targetdir="$DC" --realm="$REALM" --domain=CORP \
	--host-name=dc1 --host-ip="$DC_V4" --server-role=dc --dns-backend=SAMBA_INTERNAL \
	--adminpass="$ADMIN_PW"
info "provisioned in $((SECONDS - t)) s"
mkdir -p "$DC/run" "$DC/log"
# Our paths, only the services the test needs, plain LDAP simple binds for
# the admin's test set-up (the sync itself uses StartTLS / LDAPS), no DNS
# forwarding (names outside the zone fail at once).
/usr/bin/python3 - "$SMBCONF" "$DC" "$DC_V4" <<'EOF' || die "patching smb.conf"
import sys
p, d, ip = sys.argv[1:4]
s = open(p).read()
extra = f"""\tpid directory = {d}/run
\tncalrpc dir = {d}/run/ncalrpc
\twinbindd socket directory = {d}/run/winbindd
\tlog file = {d}/log/samba.log
\tlog level = 1
\tinterfaces = {ip}
\tbind interfaces only = yes
\tserver services = ldap, dns, kdc
\tldap server require strong auth = no
\tdns forwarder =
"""
open(p, "w").write(s.replace("[global]\n", "[global]\n" + extra, 1))
EOF

step "directory content: nested groups, disabled/unresolvable computers, $BIG computers in one bulk add"
# Computers (address by number): pc1..pc8 members (pc3 has two A records,
# pc6..pc8 through nested groups, one of them twice), pc9 disabled, pc10
# without an A record, a user (not a computer) in the group, a cycle
# (nested group 'deep' contains the top group), and the group 'all' =
# $BIG computers + the top group.  DNS records are dnsNode objects (what
# the DNS server serves), added with the computers in one transaction.
t=$SECONDS
/usr/bin/python3 - "$SMBCONF" "$BIG" <<'EOF' || die "bulk add of the directory content"
import sys, base64, struct
from samba.samdb import SamDB
from samba.auth import system_session
from samba.param import LoadParm

conf, big = sys.argv[1], int(sys.argv[2])
lp = LoadParm()
lp.load(conf)
# batch_mode: one index pass at the end (5x faster for a bulk load).
db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp,
           options=["batch_mode:1"])
dom = str(db.domain_dn())
lab = "OU=Lab," + dom
zone = "DC=corp.example,CN=MicrosoftDNS,DC=DomainDnsZones," + dom

def a_rec(ip):                      # MS-DNSP 2.3.2.2 DNS_RPC_RECORD, type A
    data = bytes(int(x) for x in ip.split("."))
    return (struct.pack("<HHBBHI", len(data), 1, 5, 240, 0, 1) + struct.pack(">I", 900)
            + struct.pack("<II", 0, 0) + data)

def dns(name, *ips):
    return "dn: DC=%s,%s\nobjectClass: dnsNode\n" % (name, zone) + "".join(
        "dnsRecord:: %s\n" % base64.b64encode(a_rec(ip)).decode() for ip in ips)

def computer(cn, uac=4096, host=True):
    s = "dn: CN=%s,%s\nobjectClass: computer\nsAMAccountName: %s$\nuserAccountControl: %d\n" % (
        cn, lab, cn, uac)
    return s + ("dNSHostName: %s.corp.example\n" % cn if host else "")

def group(cn, *members):
    return "dn: CN=%s,%s\nobjectClass: group\n" % (cn, lab) + "".join(
        "member: %s\n" % m for m in members)

def dn(cn):
    return "CN=%s,%s" % (cn, lab)

out = ["dn: %s\nobjectClass: organizationalUnit\n" % lab]
for i in range(1, 11):
    out.append(computer("pc%d" % i, uac=4098 if i == 9 else 4096))
    if i == 3:
        out.append(dns("pc3", "192.0.2.23", "192.0.2.33"))
    elif i != 10:
        out.append(dns("pc%d" % i, "192.0.2.%d" % (20 + i)))
out.append(dns("pc4-new", "192.0.2.34"))
out.append("dn: CN=alice,%s\nobjectClass: user\nsAMAccountName: alice\n" % lab)
out.append(group("deep", dn("pc8"), dn("pc7")))
out.append(group("inner", dn("pc6"), dn("pc7"), dn("deep")))
out.append(group("DirectAccess ISATAP computers", *[dn("pc%d" % i) for i in (1, 2, 3, 4, 5, 9, 10)],
                 dn("inner"), dn("alice")))
out.append(group("empty"))
for i in range(big):
    out.append(computer("big%d" % i, host=True))
    out.append(dns("big%d" % i, "203.0.113.%d" % (i % 254 + 1)))
out.append(group("all", *[dn("big%d" % i) for i in range(big)], dn("DirectAccess ISATAP computers")))
db.transaction_start()
db.add_ldif("\n".join(out))
# The cycle: deep -> top group (AD allows circular nesting).
db.modify_ldif("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (
    dn("deep"), dn("DirectAccess ISATAP computers")))
db.transaction_commit()
# The sync account: an ordinary user.
db.newuser("isagate-sync", "Sync-Pass.w0rd")
# The DC's LDAP service principal (samba's dnsupdate service, not started
# here, would add it) for the Kerberos bind.
db.modify_ldif("dn: CN=DC1,OU=Domain Controllers,%s\nchangetype: modify\n"
               "add: servicePrincipalName\nservicePrincipalName: ldap/dc1.corp.example\n" % dom)
EOF
info "added in $((SECONDS - t)) s"
KEYTAB=$LIB_TMP/isagate-sync.keytab
run "keytab of the sync account" /usr/bin/python3 /usr/bin/samba-tool domain exportkeytab \
	-s "$SMBCONF" "$KEYTAB" --principal=isagate-sync@$REALM
cat >"$LIB_TMP/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
[realms]
	$REALM = {
		kdc = $DC_V4
	}
[domain_realm]
	.corp.example = $REALM
EOF

step "start samba (AD DC: LDAP, DNS, KDC) in its namespace"
t=$SECONDS
bg_start "$NS_DC" "$LIB_TMP/samba.out" samba -F --no-process-group -s "$SMBCONF"
root_dse() { nsx "$NS_DC" ldapsearch -LLL -x -H "ldap://$DC_V4" -s base -b "" supportedCapabilities; }
wait_for 90 root_dse || die "samba did not answer LDAP within 90 s: $(tail -5 "$DC/log/samba.log" 2>/dev/null)"
info "LDAP up after $((SECONDS - t)) s"

# Directory changes as the administrator (plain LDAP, test set-up only).
admin_ldif() { nsx "$NS_DC" ldapmodify -x -H "ldap://$DC_V4" -D "$ADMIN_DN" -w "$ADMIN_PW" >/dev/null; }

# The sync account (created above), its password in a file only root may read.
SYNC_DN="CN=isagate-sync,CN=Users,$DOM_DN"
SYNC_PW='Sync-Pass.w0rd'
PWFILE=$LIB_TMP/ldap.secret
(umask 077 && printf '%s\n' "$SYNC_PW" >"$PWFILE")

# The resolver of the sync: the DC's DNS.
printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$DC_V4" >"$LIB_TMP/resolv.conf"

EXTRA=$(members_file extra.txt "198.51.100.0/28   # jump-box subnet" "203.0.113.250")
CONF=$LIB_TMP/isagate.conf
cat >"$CONF" <<EOF
[router]
pin-dir = $PIN_DIR

[directory]
uri = ldap://dc1.corp.example:1389, ldap://$DC_NAME
ca-file = $DC/private/tls/ca.pem
bind-dn = $SYNC_DN
password-file = $PWFILE
base = $DOM_DN
group = $GROUP
extra = $EXTRA
page-size = 500
; Samba evaluates the in-chain rule object by object: generous on a busy CI machine.
timeout = 120
EOF

# in_r CMD...: CMD in R's network namespace, with the DC as resolver
# (private mount namespace).  OUT, ERR and RC hold the result.
in_r() {
	local o e
	o=$LIB_TMP/cmd.out e=$LIB_TMP/cmd.err
	# shellcheck disable=SC2016 # expanded by the inner shell
	nsenter --net="/run/netns/$NS_R" -- unshare -m --propagation private \
		sh -c 'mount --bind "$0" /etc/resolv.conf && shift && exec "$@"' \
		"$LIB_TMP/resolv.conf" _ "$@" >"$o" 2>"$e"
	RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
}
# dsync ARGS...: members sync --ldap with the test's config.
dsync() { in_r "$ISAGATE" members sync --ldap --config "$CONF" "$@"; }
# explain_dir HOST ARGS...: explain -j with the test's config; DIR holds
# '"computer" ; "disabled" ; chain's first RDNs joined by " > "' and KEYS
# the findings' keys.
explain_dir() {
	in_r "$ISAGATE" explain "$@" -j
	DIR=$(/usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])["directory"]
print("none" if d is None else "%s ; %s ; %s" % (d["computer"], d["disabled"],
      " > ".join(c.split(",")[0][3:] for c in d["chain"])))' "$OUT" 2>&1)
	KEYS=$(/usr/bin/python3 -c '
import json, sys
print(" ".join(f["key"] for f in json.loads(sys.argv[1])["findings"]))' "$OUT" 2>&1)
}

# The member set, one "prefix name" per line, sorted.
members_now() {
	ig members list -j | /usr/bin/python3 -c '
import json, sys
for m in sorted(json.load(sys.stdin), key=lambda m: m["prefix"]):
    print(m["prefix"], m["name"])'
}
members_count() { ig members list -j | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
has() { grep -qx -- "$1" <<<"$MEMBERS"; }
check_rc_is() { # DESC WANT
	if ((RC == $2)); then
		pass "$1 (exit $RC)"
	else
		fail "$1 (exit $RC, want $2)"
		info "stdout: ${OUT:0:1500}"
		info "stderr: ${ERR:0:1500}"
	fi
}

step "first sync: StartTLS with CA verification, fail-over past a dead server, in-chain nesting"
dsync
check_rc_is "sync exits 3 (applied, a name unresolved)" 3
MEMBERS=$(members_now)
info "$(tr '\n' ';' <<<"$MEMBERS")"
check "direct member pc1" has "192.0.2.21/32 pc1.corp.example"
check "pc3: both A records" has "192.0.2.23/32 pc3.corp.example"
check "pc3: second A record" has "192.0.2.33/32 pc3.corp.example"
check "nested member pc6 (group in group)" has "192.0.2.26/32 pc6.corp.example"
check "nested member pc8 (two levels down, inside a cycle)" has "192.0.2.28/32 pc8.corp.example"
check "extra file: subnet" has "198.51.100.0/28 "
check "extra file: address" has "203.0.113.250/32 "
check_eq "disabled pc9 is not a member" "$(grep -c '192.0.2.29/' <<<"$MEMBERS")" 0
check_eq "11 entries (pc1-8, pc3 twice, 2 extra)" "$(wc -l <<<"$MEMBERS")" 11
check_contains "summary line" "$OUT" '^members: 11 added, 0 removed, 0 kept, 1 unresolved; directory ldap://dc1.corp.example: 10 computers, 1 disabled, 0 skipped, in-chain nesting'
check_contains "pc10 reported unresolved" "$ERR" 'pc10.corp.example did not resolve'
check_contains "fail-over reported" "$ERR" 'dc1.corp.example:1389.*trying ldap://dc1.corp.example'

step "explain: the directory's nesting chain, or why a computer is not a member"
explain_dir pc8.corp.example --config "$CONF"
check_eq "pc8: the shortest chain through two nested groups (inside a cycle)" "$DIR" \
	"CN=pc8,$LAB ; False ; DirectAccess ISATAP computers > inner > deep > pc8"
check_contains "pc8: finding directory_chain" "$KEYS" 'directory_chain'
in_r "$ISAGATE" explain pc8.corp.example --config "$CONF"
check_contains "pc8: the chain in the text" "$OUT" \
	'ok +in the directory group through DirectAccess ISATAP computers > inner > deep > pc8 \(2 levels of nesting; ldap://dc1.corp.example\)'
info "$OUT"
explain_dir 192.0.2.21 --config "$CONF"
check_eq "pc1 by address: a direct member (its entry's name asked)" "$DIR" \
	"CN=pc1,$LAB ; False ; DirectAccess ISATAP computers > pc1"
explain_dir pc9.corp.example --config "$CONF"
check_rc_is "pc9 (disabled) not admitted" 7
check_eq "pc9: in the group, the account disabled" "$DIR" \
	"CN=pc9,$LAB ; True ; DirectAccess ISATAP computers > pc9"
check_contains "pc9: finding directory_disabled" "$KEYS" 'not_member .*directory_disabled'
explain_dir big7.corp.example --config "$CONF"
check_rc_is "big7 (in 'all', which contains the group, not in it) not admitted" 7
check_eq "big7: found, no chain" "$DIR" "CN=big7,$LAB ; False ; "
check_contains "big7: finding directory_not_in_group" "$KEYS" 'directory_not_in_group'
check_contains "big7: the fix names the group" "$OUT" "add the computer to the group '$GROUP'"
explain_dir pc4-new.corp.example --config "$CONF"
check_rc_is "pc4-new (a DNS name, no computer yet) not admitted" 7
check_eq "pc4-new: no computer object" "$DIR" "None ; False ; "
check_contains "pc4-new: finding directory_no_computer" "$KEYS" 'directory_no_computer'
ISAGATE_CONFIG='' explain_dir pc8.corp.example --pin-dir "$PIN_DIR"
check_eq "without --config: the directory is not asked" "$DIR" "none"
check_contains "without --config: says how to ask it" "$KEYS" 'directory_not_asked'

step "client-side nesting (breadth-first over member, cycle-safe) gives the same set"
dsync --nesting client --dry-run -j
check_rc_is "client nesting dry run" 3
check_contains "nothing to add or remove" "$ERR" '^members: 0 added, 0 removed, 11 kept, 1 unresolved.*client nesting'

step "LDAPS"
dsync --uri "ldaps://$DC_NAME"
check_rc_is "sync over ldaps://" 3
check_contains "no change over LDAPS" "$OUT" '0 added, 0 removed, 11 kept.*directory ldaps://dc1'

step "Kerberos: GSSAPI bind with the account's keytab (over StartTLS)"
if [[ -n $(find /usr/lib -name 'libgssapiv2.so*' 2>/dev/null | head -1) ]]; then
	KRB5_CONFIG=$LIB_TMP/krb5.conf dsync --bind gssapi --keytab "$KEYTAB" --dry-run
	check_rc_is "sync with a GSSAPI bind" 3
	check_contains "same members" "$OUT" '0 added, 0 removed, 11 kept'
	install -m 600 "$LIB_TMP/krb5.conf" "$LIB_TMP/not.keytab"
	KRB5_CONFIG=$LIB_TMP/krb5.conf dsync --bind gssapi --keytab "$LIB_TMP/not.keytab" --dry-run
	check_rc_is "not a keytab: bind fails, exit 5" 5
	KRB5_CONFIG=$LIB_TMP/krb5.conf dsync --bind gssapi --keytab "$LIB_TMP/krb5.conf" --dry-run
	check_rc_is "a world-readable keytab is refused, exit 2" 2
	check_contains "says what to chmod" "$OUT" "chmod 600 $LIB_TMP/krb5.conf"
else
	info "SKIP GSSAPI: libsasl2-modules-gssapi-mit is not installed"
fi

# Only a temporary failure keeps addresses (fail static; the unit tests
# cover it): a name that no longer exists must not (issue 15), the address
# of a scavenged PC goes to someone else with DHCP.
step "a name whose DNS record was scavenged (NXDOMAIN) loses its address"
admin_ldif <<EOF
dn: DC=pc1,DC=corp.example,CN=MicrosoftDNS,DC=DomainDnsZones,$DOM_DN
changetype: delete
EOF
dsync
check_rc_is "sync exits 3" 3
MEMBERS=$(members_now)
check_eq "pc1's 192.0.2.21 removed" "$(grep -c '192.0.2.21/' <<<"$MEMBERS")" 0
check_contains "pc1 reported, address removed" "$ERR" 'pc1.corp.example did not resolve.*no such address.*1 address\(es\) removed'
check_contains "summary: 2 unresolved" "$OUT" '0 added, 1 removed, 10 kept, 2 unresolved'

step "disabled account leaves"
admin_ldif <<EOF
dn: CN=pc2,$LAB
changetype: modify
replace: userAccountControl
userAccountControl: 4098
EOF
dsync
MEMBERS=$(members_now)
check_eq "pc2 removed" "$(grep -c '192.0.2.22/' <<<"$MEMBERS")" 0
check_contains "summary: 1 removed" "$OUT" '0 added, 1 removed, 9 kept'

step "renamed computer (new dNSHostName) and removed computer"
admin_ldif <<EOF
dn: CN=pc4,$LAB
changetype: modify
replace: dNSHostName
dNSHostName: pc4-new.corp.example
EOF
dsync
MEMBERS=$(members_now)
check "renamed pc4: new address" has "192.0.2.34/32 pc4-new.corp.example"
check_eq "renamed pc4: old address gone" "$(grep -c '192.0.2.24/' <<<"$MEMBERS")" 0
nsx "$NS_DC" ldapdelete -x -H "ldap://$DC_V4" -D "$ADMIN_DN" -w "$ADMIN_PW" "CN=pc5,$LAB" ||
	fail "deleting pc5"
dsync
MEMBERS=$(members_now)
check_eq "deleted pc5 removed" "$(grep -c '192.0.2.25/' <<<"$MEMBERS")" 0
check_eq "8 entries now" "$(wc -l <<<"$MEMBERS")" 8
SNAP=$MEMBERS

step "directory down, TLS with the wrong CA, wrong password, unsafe password file: nothing changes"
dsync --uri "ldap://$DC_NAME:1389"
check_rc_is "directory down: exit 5" 5
check_contains "says nothing changed" "$OUT" 'directory sync failed, nothing changed'
check_eq "members unchanged" "$(members_now)" "$SNAP"
dsync --ca-file /etc/ssl/certs/ca-certificates.crt
check_rc_is "certificate not signed by the CA: exit 5" 5
check_contains "TLS failure reported" "$ERR" 'StartTLS failed'
check_eq "members unchanged" "$(members_now)" "$SNAP"
BADPW=$LIB_TMP/bad.secret
(umask 077 && echo 'not-the-password' >"$BADPW")
dsync --password-file "$BADPW"
check_rc_is "wrong password: exit 5" 5
check_contains "bind refusal reported" "$ERR" 'bind as .* refused: Invalid credentials'
check_eq "members unchanged" "$(members_now)" "$SNAP"
chmod 0644 "$PWFILE"
dsync
check_rc_is "world-readable password file refused: exit 2" 2
check_contains "says chmod 600" "$ERR" 'accessible to everyone \(mode 0644\).*chmod 600'
chmod 0600 "$PWFILE"
dsync --group "CN=no such group,$LAB"
check_rc_is "missing group: exit 5" 5
check_eq "members unchanged" "$(members_now)" "$SNAP"

step "mass-removal guard (default 20%) and --force"
dsync --group "CN=empty,$LAB"
check_rc_is "empty group would remove 6 of 8: refused, exit 6" 6
check_contains "refusal summary" "$OUT" '^members: refused, nothing changed: would remove 6 of 8 entries \(max-removal 20%\)'
check_eq "members unchanged" "$(members_now)" "$SNAP"
admin_ldif <<EOF
dn: $GROUP
changetype: modify
delete: member
member: CN=pc1,$LAB
member: CN=pc3,$LAB
EOF
dsync
check_rc_is "2 of 8 entries (25%): refused" 6
dsync --max-removal 40
check_rc_is "within --max-removal 40: applied (pc10 still unresolved)" 3
MEMBERS=$(members_now)
check_eq "pc1 and pc3 gone" "$(grep -cE '192.0.2.(21|23|33)/' <<<"$MEMBERS")" 0
dsync --group "CN=empty,$LAB" --force
check_rc_is "empty group with --force: applied" 0
check_eq "only the extra entries left" "$(members_now | wc -l)" 2

step "a group of $BIG computers (+ the nested group): paged results"
dsync --group "CN=all,$LAB" --page-size 1000 -j
check_rc_is "big group sync (pc10 unresolved)" 3
/usr/bin/python3 - "$OUT" "$BIG" >"$LIB_TMP/big.txt" 2>&1 <<'EOF'
import json, sys
d = json.loads(sys.argv[1])["directory"]
print(d["computers"], d["pages"], d["max_page"])
EOF
read -r n_comp n_pages max_page <"$LIB_TMP/big.txt"
# + pc2 pc4 pc9 pc10 (direct), pc6 pc7 pc8 (nested) of the top group
check_eq "all computers read ($BIG + 7 through the nested top group)" "$n_comp" "$((BIG + 7))"
check_ge "read in pages of 1000: at least 6 pages" "$n_pages" 6
if [[ $max_page =~ ^[0-9]+$ ]] && ((max_page <= 1000)); then
	pass "no page above the page size ($max_page)"
else
	fail "a page had $max_page entries (page size 1000)"
fi
# 203.0.113.1-254 (.250 also the extra literal), the subnet, pc4-new pc6 pc7 pc8
check_eq "members: 254 + 1 + 4 entries" "$(members_count)" 259
MEMBERS=$(members_now)
check "203.0.113.174 is a member, named after a big computer" grep -qE '^203\.0\.113\.174/32 big[0-9]+\.corp\.example$' <<<"$MEMBERS"

info "test runtime $((SECONDS - T0)) s"
lib_summary
