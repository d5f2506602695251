#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""isatap_host.py - a scripted ISATAP host and remote IPv6 host for the
integration tests (this kernel has no `sit`, so the member's ISATAP side is
played by this script).

  send    run on an ISATAP host: send one IPv6 packet tunnelled in IPv4
          (protocol 41) to the router and wait for the tunnelled reply:
          echo -> echo reply (or, with --expect time-exceeded, an ICMPv6
          Time Exceeded), syn -> SYN-ACK (--expect admin-prohibited: an
          ICMPv6 administratively prohibited instead, for echo too), rs (router solicitation) -> router
          advertisement, ns (NUD for --dst) -> neighbour advertisement.
          Prints one JSON object; exits 0 when the expected reply came back,
          1 when none did before --timeout, 2 on bad usage.
  remote  run on the remote IPv6 host: listen on a TCP port (the kernel
          answers SYNs) and log each ICMPv6 echo request received, with its
          hop limit, as JSON lines to --log.

The tunnel uses a raw IPv4 socket for protocol 41: the kernel builds the
outer header (routing, ARP) and, while the socket is open, delivers the
tunnelled replies to it instead of answering with ICMP protocol-unreachable.
"""
import argparse
import ipaddress
import json
import random
import select
import signal
import socket
import struct
import sys
import time

IPPROTO_IPV6 = 41


def inet_csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def norm6(a):
    return str(ipaddress.IPv6Address(a))


def build_inner(args, ident, seq, sport):
    from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest
    from scapy.layers.inet import TCP

    from scapy.layers.inet6 import ICMPv6ND_RS, ICMPv6ND_NS

    ip6 = IPv6(src=args.inner_src, dst=args.dst, hlim=args.hlim, tc=args.tclass)
    if args.kind == "rs":
        pkt = ip6 / ICMPv6ND_RS()
    elif args.kind == "ns":
        pkt = ip6 / ICMPv6ND_NS(tgt=args.dst)
    elif args.kind == "echo":
        pkt = ip6 / ICMPv6EchoRequest(id=ident, seq=seq, data=b"isagate-test" * 4)
    else:
        pkt = ip6 / TCP(sport=sport, dport=args.dport, flags="S", seq=random.getrandbits(32),
                        window=64240, options=[("MSS", 1220)])
    return bytes(pkt)


def build_rst(args, sport, seq):
    from scapy.layers.inet6 import IPv6
    from scapy.layers.inet import TCP

    return bytes(IPv6(src=args.inner_src, dst=args.dst, hlim=args.hlim, tc=args.tclass) /
                 TCP(sport=sport, dport=args.dport, flags="R", seq=seq, window=0))


def l4_csum_ok(ip6):
    """Verify the inner L4 checksum over the IPv6 pseudo-header."""
    from scapy.layers.inet6 import in6_chksum

    raw = bytes(ip6.payload)
    return in6_chksum(ip6.nh, ip6, raw) == 0


def parse_reply(data, args, ident, seq, sport):
    """Return a dict describing a protocol-41 packet, with 'match' set when
    it is the reply we wait for."""
    from scapy.layers.inet6 import (IPv6, ICMPv6EchoReply, ICMPv6TimeExceeded, ICMPv6DestUnreach,
                                    ICMPv6ND_RA, ICMPv6ND_NA, ICMPv6NDOptPrefixInfo,
                                    ICMPv6NDOptMTU)
    from scapy.layers.inet import TCP

    if len(data) < 20:
        return None
    ver_ihl, tos, tot_len, ip_id, frag, ttl, proto, _csum = struct.unpack("!BBHHHBBH", data[:12])
    ihl = (ver_ihl & 0x0F) * 4
    hdr = data[:ihl]
    out = {
        "outer_src": socket.inet_ntoa(data[12:16]),
        "outer_dst": socket.inet_ntoa(data[16:20]),
        "proto": proto,
        "ttl": ttl,
        "tos": tos,
        "ihl": ihl,
        "df": bool(frag & 0x4000),
        "outer_csum_ok": inet_csum(hdr) == 0,
        "match": False,
    }
    inner = data[ihl:]
    if len(inner) < 40:
        out["kind"] = "truncated"
        return out
    ip6 = IPv6(inner)
    out.update({
        "inner_src": norm6(ip6.src),
        "inner_dst": norm6(ip6.dst),
        "hlim": ip6.hlim,
        "tclass": ip6.tc,
        "nh": ip6.nh,
        "l4_csum_ok": l4_csum_ok(ip6),
    })
    if ip6.haslayer(ICMPv6ND_RA):
        ra = ip6[ICMPv6ND_RA]
        out["kind"] = "ra"
        out["router_lifetime"] = ra.routerlifetime
        out["prefixes"] = []
        opt = ra.payload
        while opt and not isinstance(opt, bytes) and opt.__class__.__name__ != "NoPayload":
            if isinstance(opt, ICMPv6NDOptPrefixInfo):
                out["prefixes"].append("%s/%d" % (norm6(opt.prefix), opt.prefixlen))
            elif isinstance(opt, ICMPv6NDOptMTU):
                out["mtu"] = opt.mtu
            opt = opt.payload
        out["match"] = args.kind == "rs"
    elif ip6.haslayer(ICMPv6ND_NA):
        na = ip6[ICMPv6ND_NA]
        out["kind"] = "na"
        out["na_router"], out["na_solicited"] = bool(na.R), bool(na.S)
        out["match"] = args.kind == "ns" and norm6(na.tgt) == norm6(args.dst)
    elif ip6.haslayer(ICMPv6TimeExceeded):
        out["kind"] = "time-exceeded"
        out["match"] = args.expect == "time-exceeded"
    elif ip6.haslayer(ICMPv6DestUnreach):
        out["kind"] = "dest-unreach"
        out["code"] = ip6[ICMPv6DestUnreach].code
        out["match"] = args.expect == "admin-prohibited" and out["code"] == 1
    elif ip6.haslayer(ICMPv6EchoReply):
        e = ip6[ICMPv6EchoReply]
        out["kind"] = "echo-reply"
        out["match"] = (args.kind == "echo" and args.expect == "reply" and e.id == ident
                        and e.seq == seq)
    elif ip6.haslayer(TCP):
        t = ip6[TCP]
        flags = int(t.flags)
        out["kind"] = "tcp"
        out["tcp_flags"] = str(t.flags)
        out["tcp_ack"] = t.ack
        out["match"] = (args.kind == "syn" and t.sport == args.dport and t.dport == sport
                        and flags & 0x12 == 0x12)
        if out["match"]:
            out["kind"] = "syn-ack"
    else:
        out["kind"] = "ipv6-nh-%d" % ip6.nh
    out["match"] = out["match"] and out["inner_dst"] == norm6(args.inner_src)
    return out


def cmd_send(args):
    ident = random.randrange(1, 0xFFFF)
    seq = 1
    sport = args.sport or random.randrange(33000, 60000)
    inner = build_inner(args, ident, seq, sport)

    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPV6)
    if args.bind:
        s.bind((args.bind, 0))
    s.sendto(inner, (args.router, 0))

    result = {
        "sent": {"outer_dst": args.router, "inner_src": norm6(args.inner_src),
                 "inner_dst": norm6(args.dst), "kind": args.kind, "hlim": args.hlim,
                 "bytes": len(inner)},
        "reply": None,
        "other": [],
    }
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    next_send = t0 + args.resend if args.resend > 0 else None
    sends = 1
    while True:
        now = time.monotonic()
        left = deadline - now
        if left <= 0:
            break
        if next_send is not None and now >= next_send:
            # the same packet again (same ident/seq): any one reply matches
            s.sendto(inner, (args.router, 0))
            sends += 1
            next_send = now + args.resend
        wait = left if next_send is None else max(0.0, min(left, next_send - now))
        r, _, _ = select.select([s], [], [], wait)
        if not r:
            if next_send is None or time.monotonic() >= deadline:
                break
            continue
        data = s.recv(65535)
        info = parse_reply(data, args, ident, seq, sport)
        if info is None:
            continue
        if info["match"]:
            result["reply"] = info
            result["reply_after_s"] = round(time.monotonic() - t0, 4)
            result["sends"] = sends
            if args.kind == "syn" and info["kind"] == "syn-ack":
                # Like a host whose SYN was a probe: reset, so the remote
                # stops retransmitting its SYN-ACK.
                s.sendto(build_rst(args, sport, info["tcp_ack"]), (args.router, 0))
            break
        if len(result["other"]) < 8:
            result["other"].append(info)
    s.close()
    print(json.dumps(result, sort_keys=True))
    return 0 if result["reply"] else 1


def cmd_remote(args):
    deadline = time.monotonic() + args.lifetime
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    tcp = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("::", args.tcp_port))
    tcp.listen(64)
    tcp.setblocking(False)

    icmp = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    icmp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)

    log = open(args.log, "a", buffering=1)
    log.write(json.dumps({"ready": True, "tcp_port": args.tcp_port}) + "\n")
    while not stop and time.monotonic() < deadline:
        try:
            r, _, _ = select.select([tcp, icmp], [], [], 0.5)
        except InterruptedError:
            continue
        if tcp in r:
            try:
                c, peer = tcp.accept()
                log.write(json.dumps({"tcp_accept": norm6(peer[0])}) + "\n")
                c.close()
            except OSError:
                pass
        if icmp in r:
            data, anc, _flags, peer = icmp.recvmsg(65535, socket.CMSG_SPACE(4))
            if not data or data[0] != 128:  # echo request only
                continue
            hlim = None
            for level, typ, val in anc:
                if level == socket.IPPROTO_IPV6 and typ == socket.IPV6_HOPLIMIT:
                    hlim = struct.unpack("i", val[:4])[0]
            log.write(json.dumps({"echo_request": norm6(peer[0].split("%")[0]),
                                  "hlim": hlim}) + "\n")
    log.close()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("send", help="send one tunnelled packet, wait for the reply")
    s.add_argument("--router", required=True, help="router IPv4 address (outer destination)")
    s.add_argument("--inner-src", required=True, help="inner IPv6 source")
    s.add_argument("--dst", required=True, help="inner IPv6 destination")
    s.add_argument("--kind", choices=("echo", "syn", "rs", "ns"), default="echo")
    s.add_argument("--expect", choices=("reply", "time-exceeded", "admin-prohibited"),
                   default="reply",
                   help="wait for the reply, a Time Exceeded (echo) or a Destination "
                        "Unreachable, administratively prohibited (echo, syn)")
    s.add_argument("--dport", type=int, default=5985, help="TCP port for --kind syn")
    s.add_argument("--sport", type=int, default=0,
                   help="TCP source port for --kind syn (default: random)")
    s.add_argument("--hlim", type=int, default=64, help="inner hop limit")
    s.add_argument("--tclass", type=int, default=0, help="inner traffic class")
    s.add_argument("--bind", help="outer IPv4 source (default: the kernel's choice)")
    s.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for the reply")
    s.add_argument("--resend", type=float, default=0,
                   help="send the packet again every this many seconds until the reply")

    r = sub.add_parser("remote", help="TCP listener and ICMPv6 echo log")
    r.add_argument("--tcp-port", type=int, default=5985)
    r.add_argument("--log", required=True)
    r.add_argument("--lifetime", type=float, default=600, help="exit after this many seconds")

    args = ap.parse_args()
    try:
        if args.cmd == "send":
            return cmd_send(args)
        return cmd_remote(args)
    except PermissionError as e:
        print("isatap_host: %s (needs root / CAP_NET_RAW)" % e, file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:
        print("isatap_host: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
