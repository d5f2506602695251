#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""hitless_util.py - helpers of test_hitless.sh and test_fwd_coherence.sh.

  read PIN [--mac]        the sink's per-CPU counts (hitless_sink.bpf.c), summed
                          over CPUs: one JSON object {key: {packets, first_ns,
                          last_ns}}; key = dotted IPv4 (by_src) or a MAC (--mac)
  timed CMD...            run CMD, print {"t0": ns, "t1": ns, "rc": N} with
                          CLOCK_MONOTONIC (the clock of bpf_ktime_get_ns) read
                          just before and just after it
  expect TOTAL N          per-index packet counts of igbench's round robin:
                          run i goes to source index i % N (flows == sources)
  flowsum FILE...         sum the per-flow deltas of `flows --follow -j` output
                          (packets_from_member), by flow key: JSON object
  flowmap FILE            the same per-flow totals from `flows -j` (one read)
"""
import json
import subprocess
import sys
import time


def b(x):
    return int(x, 16) if isinstance(x, str) else int(x)


def read(pin, mac):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", pin],
                         capture_output=True, text=True, check=True).stdout
    res = {}
    for e in json.loads(out or "[]"):
        kb = bytes(b(x) for x in e["key"])
        if mac:
            key = ":".join("%02x" % c for c in kb[:6])
        else:
            key = ".".join(str(c) for c in kb[:4])
        tot = {"packets": 0, "first_ns": 0, "last_ns": 0}
        for v in e["values"]:
            vb = bytes(b(x) for x in v["value"])
            p, f, l = (int.from_bytes(vb[i:i + 8], "little") for i in (0, 8, 16))
            if not p:
                continue
            tot["packets"] += p
            if f and (not tot["first_ns"] or f < tot["first_ns"]):
                tot["first_ns"] = f
            tot["last_ns"] = max(tot["last_ns"], l)
        res[key] = tot
    print(json.dumps(res, sort_keys=True))


def timed(cmd):
    t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    rc = subprocess.run(cmd).returncode
    t1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    print(json.dumps({"t0": t0, "t1": t1, "rc": rc}))
    return 0


def flow_key(r):
    return "%s|%s|%s|%s|%s|%s" % (r["member"], r["member_addr"], r["member_port"],
                                  r["remote_addr"], r["remote_port"], r["proto"])


def flowsum(files):
    tot = {}
    for fn in files:
        with open(fn) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    r = json.loads(line)
                except ValueError:
                    continue  # a line cut by SIGKILL
                k = flow_key(r)
                tot[k] = tot.get(k, 0) + int(r["packets_from_member"])
    print(json.dumps(tot, sort_keys=True))


def flowmap(fn):
    with open(fn) as f:
        d = json.load(f)
    recs = d["flows"] if isinstance(d, dict) else d
    print(json.dumps({flow_key(r): int(r["packets_from_member"]) for r in recs},
                     sort_keys=True))


def main(a):
    if len(a) >= 2 and a[0] == "read":
        read(a[1], "--mac" in a[2:])
    elif len(a) >= 2 and a[0] == "timed":
        return timed(a[1:])
    elif len(a) == 3 and a[0] == "expect":
        total, n = int(a[1]), int(a[2])
        print(json.dumps([total // n + (1 if j < total % n else 0) for j in range(n)]))
    elif len(a) >= 2 and a[0] == "flowsum":
        flowsum(a[1:])
    elif len(a) == 2 and a[0] == "flowmap":
        flowmap(a[1])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
