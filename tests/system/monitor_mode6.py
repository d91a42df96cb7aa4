#!/usr/bin/env python3
"""Raw mode 6 probes for the monitoring system tests (loopback only).

  monitor_mode6.py HOST PORT --bind ADDR            one READSTAT; prints the JSON verdict
  monitor_mode6.py HOST PORT --bind ADDR --amplify  every request type: bytes in/out and ratio

Output is one JSON document: {"answered": bool, ...} or {"requests": [{name, opcode, assoc,
request_bytes, response_bytes, fragments, ratio, error}]}.
"""
import argparse
import ipaddress
import json
import select
import socket
import struct
import sys
import time


def request(opcode, assoc, data=b"", seq=1):
    pad = (-len(data)) % 4
    return struct.pack("!BBHHHHH", (0 << 6) | (2 << 3) | 6, opcode & 0x1F, seq, 0, assoc, 0,
                       len(data)) + data + b"\0" * pad


def exchange(sock, dst, pkt, wait=1.0):
    """Sends pkt, collects response datagrams until the last fragment or `wait` s of silence."""
    sock.sendto(pkt, dst)
    got = []
    deadline = time.monotonic() + wait
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            break
        d, _ = sock.recvfrom(4096)
        got.append(d)
        if len(d) >= 2 and not (d[1] & 0x20):  # M bit clear: last fragment
            break
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--bind", required=True)
    ap.add_argument("--amplify", action="store_true")
    ap.add_argument("--wait", type=float, default=1.0)
    a = ap.parse_args()
    for addr in (a.host, a.bind):
        if not ipaddress.ip_address(addr).is_loopback:
            sys.exit("loopback addresses only")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((a.bind, 0))
    dst = (a.host, a.port)
    if not a.amplify:
        got = exchange(sock, dst, request(1, 0), a.wait)
        print(json.dumps({"answered": bool(got), "datagrams": len(got)}))
        return
    cases = [
        ("readstat", 1, 0, b""),
        ("readvar system", 2, 0, b""),
        ("readvar system (2 names)", 2, 0, b"stratum,offset"),
        ("readvar association 1", 2, 1, b""),
        ("readvar unknown association", 2, 999, b""),
        ("readclock", 4, 0, b""),
        ("writevar (refused)", 3, 0, b"leap=1"),
        ("settrap (refused)", 6, 0, b""),
        ("configure (refused)", 8, 0, b"server 192.0.2.1"),
        ("mrulist (refused)", 10, 0, b"nonce=0"),
        ("nonce (refused)", 12, 0, b""),
    ]
    out = []
    for i, (name, op, assoc, data) in enumerate(cases):
        pkt = request(op, assoc, data, seq=i + 1)
        got = exchange(sock, dst, pkt, a.wait)
        resp = sum(len(d) for d in got)
        err = None
        if got and got[0][1] & 0x40:
            err = struct.unpack("!H", got[0][4:6])[0] >> 8
        out.append({"name": name, "opcode": op, "assoc": assoc, "request_bytes": len(pkt),
                    "response_bytes": resp, "fragments": len(got),
                    "ratio": round(resp / len(pkt), 2), "error": err})
    print(json.dumps({"bind": a.bind, "requests": out}))


if __name__ == "__main__":
    main()
