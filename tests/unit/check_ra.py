#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""
check_ra.py - decode the Router and Neighbour Advertisements that the XDP
datapath produced in build/test_datapath, independently, with scapy.

build/test_datapath writes every RA/NA it got from the program to
<dir>/nd-replies.pcap and describes each one, from the test row's expected
values, in <dir>/nd-replies.expect (see nd_out_record() there).  This script
decodes each frame field by field (Ether / IP / IPv6 / ICMPv6ND_RA with its
ICMPv6NDOptPrefixInfo and ICMPv6NDOptMTU options, or ICMPv6ND_NA) and checks:

  - outer IPv4: version 4, IHL 5, protocol 41, TTL, DF as expected (clear by
    default), not a fragment, TOS 0, total length, addresses, and a header
    checksum equal to the one scapy recomputes;
  - the ISATAP relation: inner source and destination are ISATAP link-locals
    (fe80::[200:]5efe:a.b.c.d) embedding the outer source and destination;
  - inner IPv6: version 6, traffic class and flow label 0, next header 58,
    hop limit 255, payload length, addresses;
  - ICMPv6 checksum equal to scapy's recomputation and verified by hand
    (RFC 4443 §2.3 pseudo-header, RFC 1071 sum);
  - RA (RFC 4861 §4.2): type 134 code 0, cur hop limit, M/O/H/Prf/P flags,
    router lifetime, reachable time, retrans timer; options: one Prefix
    Information option per expected prefix in order (length 4, /len, L, A,
    R clear, lifetimes, valid >= preferred, reserved zero), the MTU option
    when expected (length 1, reserved zero), one Route Information option
    (RFC 4191 §2.3, ICMPv6NDOptRouteInfo) per expected route in order, after
    every PIO: type 24, Length 1 for /0, 2 up to /64, 3 beyond (checked
    against the prefix length here), prefix length 0..128, Prf not the
    reserved 10, reserved bits zero, route lifetime, prefix bytes with
    nothing set past the prefix length; no source link-layer address
    option, nothing else, nothing after the options; a router lifetime of 0
    with the default router preference 00 (RFC 4191 §2.2);
  - NA (RFC 4861 §4.4): type 136 code 0, R/S/O flags, target, no options;
  - the RA of BRIEF §6 case 1 also against the defaults written here
    (hop limit 64, lifetime 1800, reachable 0, retrans 0, MTU 1280,
    P 2001:db8:1:8000::/64 L=0 A=1 valid 86400 preferred 14400).

usage: /usr/bin/python3 tests/unit/check_ra.py [DIR]
DIR defaults to $IG_TEST_OUT, else build/test-out next to this repository's
Makefile.  Prints "ok - ..." / "not ok - ..." per frame and ends with
"N passed, N failed"; exits 1 on any failure (or when there is nothing to check).
"""
import ipaddress
import logging
import os
import shlex
import struct
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import raw, rdpcap  # noqa: E402
from scapy.layers.inet import IP  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    IPv6,
    ICMPv6ND_NA,
    ICMPv6ND_RA,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptRouteInfo,
    ICMPv6NDOptSrcLLAddr,
)
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Padding, Raw  # noqa: E402

PCAP = "nd-replies.pcap"
EXPECT = "nd-replies.expect"

# BRIEF §3/§6 defaults, written independently of the C test.
CASE1_DEFAULTS = {
    "chlim": 64, "rlife": 1800, "reach": 0, "retrans": 0, "mtu": 1280,
    "pio": [("2001:db8:1:8000::", 64, 0, 1, 86400, 14400)],
    "outer_src": "192.0.2.1", "outer_dst": "192.0.2.10",
    "src": "fe80::5efe:c000:201", "dst": "fe80::5efe:c000:20a",
}


def default_dir():
    env = os.environ.get("IG_TEST_OUT")
    if env:
        return env
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(root, os.environ.get("BUILD", "build"), "test-out")


def parse_expect(path):
    """One dict per line; 'pio' is a list of (prefix, len, L, A, valid, preferred),
    'rio' a list of (prefix, len, option length, prf, lifetime)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            row = {"pio": [], "rio": [], "line": lineno}
            for word in shlex.split(line):
                key, sep, val = word.partition("=")
                if not sep:
                    raise ValueError(f"{path}:{lineno}: '{word}' is not key=value")
                if key == "pio":
                    pfx, rest = val.split("/", 1)
                    plen, l_flag, a_flag, valid, pref = (int(x) for x in rest.split(","))
                    row["pio"].append((pfx, plen, l_flag, a_flag, valid, pref))
                elif key == "rio":
                    pfx, rest = val.split("/", 1)
                    plen, olen, prf, life = (int(x) for x in rest.split(","))
                    row["rio"].append((pfx, plen, olen, prf, life))
                else:
                    row[key] = val
            rows.append(row)
    return rows


def rfc1071(data, start=0):
    if len(data) % 2:
        data += b"\0"
    s = start
    for (w,) in struct.iter_unpack("!H", data):
        s += w
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def icmp6_sum_ok(ip6):
    """RFC 4443 §2.3: the sum over pseudo-header + message folds to 0xffff."""
    msg = raw(ip6.payload)[: ip6.plen]
    pseudo = (ipaddress.IPv6Address(ip6.src).packed + ipaddress.IPv6Address(ip6.dst).packed
              + struct.pack("!I", len(msg)) + b"\0\0\0\x3a")
    return rfc1071(msg, rfc1071(pseudo)) == 0xFFFF


def isatap_v4(addr6):
    """The IPv4 address embedded in an ISATAP link-local, or None."""
    b = ipaddress.IPv6Address(addr6).packed
    if b[:8] != bytes.fromhex("fe80000000000000"):
        return None
    if b[8:12] not in (bytes.fromhex("00005efe"), bytes.fromhex("02005efe")):
        return None
    return str(ipaddress.IPv4Address(b[12:16]))


class Frame:
    def __init__(self, n, name):
        self.n, self.name, self.errors = n, name, []

    def eq(self, what, got, want):
        if got != want:
            self.errors.append(f"{what}: got {got!r}, expected {want!r}")

    def ok(self, what, cond, detail=""):
        if not cond:
            self.errors.append(f"{what}{': ' + detail if detail else ''}")


def addr6(a):
    return str(ipaddress.IPv6Address(a))


def check_outer(fr, pkt, exp):
    fr.eq("Ether dst", pkt[Ether].dst, exp["dmac"])
    fr.eq("Ether src", pkt[Ether].src, exp["smac"])
    fr.eq("EtherType", pkt[Ether].type, 0x0800)
    if IP not in pkt:
        fr.errors.append("no IPv4 header")
        return False
    ip = pkt[IP]
    fr.eq("IPv4 version", ip.version, 4)
    fr.eq("IPv4 IHL", ip.ihl, 5)
    fr.eq("IPv4 protocol", ip.proto, 41)
    fr.eq("IPv4 TTL", ip.ttl, int(exp["ttl"]))
    fr.eq("IPv4 TOS", ip.tos, 0)
    fr.eq("IPv4 DF", int(ip.flags.DF), int(exp["df"]))
    fr.eq("IPv4 MF", int(ip.flags.MF), 0)
    fr.eq("IPv4 fragment offset", ip.frag, 0)
    fr.eq("IPv4 total length", ip.len, len(raw(pkt)) - 14)
    fr.eq("IPv4 source", ip.src, exp["outer_src"])
    fr.eq("IPv4 destination", ip.dst, exp["outer_dst"])
    c = ip.copy()
    c.chksum = None
    fr.eq("IPv4 checksum (scapy recomputed)", ip.chksum, IP(raw(c)).chksum)
    fr.ok("IPv4 checksum (RFC 1071)", rfc1071(raw(ip)[: ip.ihl * 4]) == 0xFFFF)
    return True


def check_inner(fr, pkt, exp, layer):
    if IPv6 not in pkt:
        fr.errors.append("no inner IPv6 header")
        return False
    ip, ip6 = pkt[IP], pkt[IPv6]
    fr.eq("IPv6 version", ip6.version, 6)
    fr.eq("IPv6 traffic class", ip6.tc, 0)
    fr.eq("IPv6 flow label", ip6.fl, 0)
    fr.eq("IPv6 next header", ip6.nh, 58)
    fr.eq("IPv6 hop limit", ip6.hlim, 255)
    fr.eq("IPv6 hop limit (manifest)", ip6.hlim, int(exp["hlim"]))
    fr.eq("IPv6 payload length", ip6.plen, len(raw(ip6)) - 40)
    fr.eq("IPv6 source", addr6(ip6.src), addr6(exp["src"]))
    fr.eq("IPv6 destination", addr6(ip6.dst), addr6(exp["dst"]))
    fr.eq("IPv6 source embeds the outer source (ISATAP)", isatap_v4(ip6.src), ip.src)
    fr.eq("IPv6 destination embeds the outer destination (ISATAP)", isatap_v4(ip6.dst), ip.dst)
    if layer not in pkt:
        fr.errors.append(f"no {layer.__name__} after the IPv6 header "
                         f"(decoded as {ip6.payload.summary()})")
        return False
    msg = pkt[layer]
    fr.eq("ICMPv6 code", msg.code, 0)
    c = ip6.copy()
    c[layer].cksum = None
    fr.eq("ICMPv6 checksum (scapy recomputed)", msg.cksum, IPv6(raw(c))[layer].cksum)
    fr.ok("ICMPv6 checksum (RFC 4443 pseudo-header)", icmp6_sum_ok(ip6))
    return True


def check_ra(fr, pkt, exp):
    ra = pkt[ICMPv6ND_RA]
    fr.eq("RA type", ra.type, 134)
    fr.eq("RA cur hop limit", ra.chlim, int(exp["chlim"]))
    flags = ra.M << 7 | ra.O << 6 | ra.H << 5 | ra.prf << 3 | ra.P << 2 | ra.res
    fr.eq("RA flags byte (M/O/H/Prf/P)", flags, int(exp["raflags"]))
    fr.eq("RA router lifetime", ra.routerlifetime, int(exp["rlife"]))
    fr.eq("RA reachable time", ra.reachabletime, int(exp["reach"]))
    fr.eq("RA retrans timer", ra.retranstimer, int(exp["retrans"]))

    pios, mtus, rios = [], [], []
    opt = ra.payload
    while opt and not isinstance(opt, (Raw, Padding)):
        if isinstance(opt, ICMPv6NDOptPrefixInfo):
            if rios:
                fr.errors.append("Prefix Information option after a Route Information option")
            fr.eq("PIO length", opt.len, 4)
            fr.eq("PIO R flag", opt.R, 0)
            fr.eq("PIO reserved1", opt.res1, 0)
            fr.eq("PIO reserved2", opt.res2, 0)
            fr.ok("PIO valid lifetime >= preferred lifetime (RFC 4862 5.5.3 c)",
                  opt.validlifetime >= opt.preferredlifetime)
            pios.append((addr6(opt.prefix), opt.prefixlen, opt.L, opt.A,
                         opt.validlifetime, opt.preferredlifetime))
        elif isinstance(opt, ICMPv6NDOptMTU):
            fr.eq("MTU option length", opt.len, 1)
            fr.eq("MTU option reserved", opt.res, 0)
            mtus.append(opt.mtu)
        elif isinstance(opt, ICMPv6NDOptRouteInfo):
            rios.append(check_rio(fr, opt))
        elif isinstance(opt, ICMPv6NDOptSrcLLAddr):
            fr.errors.append("source link-layer address option present (RFC 5214 8.2: none)")
        else:
            fr.errors.append(f"unexpected option {opt.summary()}")
        opt = opt.payload
    if opt:
        fr.errors.append(f"{len(raw(opt))} bytes after the options ({opt.summary()})")

    want_pios = [(addr6(p), ln, l_, a, v, pr) for (p, ln, l_, a, v, pr) in exp["pio"]]
    fr.eq("Prefix Information options (prefix, len, L, A, valid, preferred), in order",
          pios, want_pios)
    fr.ok("at least one Prefix Information option", len(pios) >= 1)
    for p in pios:
        fr.eq(f"PIO {p[0]} prefix length", p[1], 64)
        fr.eq(f"PIO {p[0]} A flag", p[3], 1)
    want_mtu = [] if exp["mtu"] == "none" else [int(exp["mtu"])]
    fr.eq("MTU options", mtus, want_mtu)
    want_rios = [(addr6(p), ln, ol, prf, lt) for (p, ln, ol, prf, lt) in exp["rio"]]
    fr.eq("Route Information options (prefix, len, length, prf, lifetime), in order",
          rios, want_rios)
    if ra.routerlifetime == 0:
        fr.eq("RA default router preference with router lifetime 0 (RFC 4191 2.2)", ra.prf, 0)

    if exp["name"].startswith("case 1:"):
        d = CASE1_DEFAULTS
        fr.eq("case 1 default cur hop limit", ra.chlim, d["chlim"])
        fr.eq("case 1 default router lifetime", ra.routerlifetime, d["rlife"])
        fr.eq("case 1 default reachable time", ra.reachabletime, d["reach"])
        fr.eq("case 1 default retrans timer", ra.retranstimer, d["retrans"])
        fr.eq("case 1 default MTU option", mtus, [d["mtu"]])
        fr.eq("case 1 default PIO", pios, d["pio"])
        fr.eq("case 1 outer source", pkt[IP].src, d["outer_src"])
        fr.eq("case 1 outer destination", pkt[IP].dst, d["outer_dst"])
        fr.eq("case 1 inner source", addr6(pkt[IPv6].src), d["src"])
        fr.eq("case 1 inner destination", addr6(pkt[IPv6].dst), d["dst"])


def rio_length(plen):
    """RFC 4191 §2.3: the smallest Length (8-byte units) that holds the prefix."""
    return 1 if plen == 0 else 2 if plen <= 64 else 3


def check_rio(fr, opt):
    """One Route Information option, field by field; returns its tuple."""
    data = raw(opt)[: opt.len * 8]
    fr.eq("RIO type", opt.type, 24)
    fr.ok("RIO prefix length 0..128", 0 <= opt.plen <= 128, str(opt.plen))
    where = f"RIO /{opt.plen}"
    fr.eq(f"{where} Length (RFC 4191 2.3: 1 for /0, 2 up to /64, else 3)", opt.len,
          rio_length(opt.plen))
    fr.eq(f"{where} option bytes", len(data), opt.len * 8)
    fr.ok(f"{where} Prf is not the reserved value 10", opt.prf != 2)
    fr.eq(f"{where} reserved bits before Prf", opt.res1, 0)
    fr.eq(f"{where} reserved bits after Prf", opt.res2, 0)
    # The prefix bytes, from the wire: 0, 8 or 16 of them.
    pbytes = data[8:] + bytes(16 - len(data[8:]))
    as_int = int.from_bytes(pbytes, "big")
    host_bits = as_int & ((1 << (128 - opt.plen)) - 1) if opt.plen < 128 else 0
    fr.eq(f"{where} bits past the prefix length", host_bits, 0)
    prefix = str(ipaddress.IPv6Address(pbytes))
    if opt.len > 1:
        fr.eq(f"{where} prefix (scapy)", addr6(opt.prefix), prefix)
    return (prefix, opt.plen, opt.len, opt.prf, opt.rtlifetime)


def check_na(fr, pkt, exp):
    na = pkt[ICMPv6ND_NA]
    fr.eq("NA type", na.type, 136)
    flags = na.R << 31 | na.S << 30 | na.O << 29 | na.res
    fr.eq("NA flags (R/S/O)", flags, int(exp["naflags"], 0))
    fr.eq("NA R flag (router)", na.R, 1)
    fr.eq("NA S flag (solicited)", na.S, 1)
    fr.eq("NA target", addr6(na.tgt), addr6(exp["target"]))
    fr.eq("NA source is the target", addr6(pkt[IPv6].src), addr6(na.tgt))
    fr.ok("NA carries no options", not na.payload, na.payload.summary() if na.payload else "")


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print(__doc__.strip().split("\n\n")[-2], file=sys.stderr)
        return 2
    out = argv[1] if len(argv) == 2 else default_dir()
    pcap, expect = os.path.join(out, PCAP), os.path.join(out, EXPECT)
    passed = failed = 0

    try:
        frames = list(rdpcap(pcap))
        rows = parse_expect(expect)
    except (OSError, ValueError) as e:
        print(f"check_ra: {e}")
        print("check_ra: run build/test_datapath (as root) first; it writes "
              f"{PCAP} and {EXPECT} under {out}")
        print("0 passed, 1 failed")
        return 1

    if not frames or len(frames) != len(rows):
        print(f"not ok - {len(frames)} frames in {pcap}, {len(rows)} lines in {expect}")
        failed += 1
    for i, (pkt, exp) in enumerate(zip(frames, rows), 1):
        fr = Frame(i, exp.get("name", "?"))
        try:
            fr.eq("frame number", int(exp["frame"]), i)
            if not isinstance(pkt, Ether):
                fr.errors.append(f"not an Ethernet frame: {pkt.summary()}")
            elif check_outer(fr, pkt, exp):
                kind = exp["kind"]
                layer = ICMPv6ND_RA if kind == "ra" else ICMPv6ND_NA
                if check_inner(fr, pkt, exp, layer):
                    (check_ra if kind == "ra" else check_na)(fr, pkt, exp)
        except (KeyError, ValueError, AttributeError, IndexError) as e:
            fr.errors.append(f"checker error: {type(e).__name__}: {e}")
        if fr.errors:
            failed += 1
            print(f"not ok - frame {i} ({exp.get('kind', '?').upper()}): {fr.name}")
            for err in fr.errors:
                print(f"  FAIL {err}")
        else:
            passed += 1
            print(f"ok - frame {i} ({exp['kind'].upper()}): {fr.name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
