#!/usr/bin/env python3
"""Sends NTP datagrams to a server on loopback and reports what came back, as JSON.

Used by tests/system/test_server_*.sh to do what real clients cannot: bind a chosen source
address, flood, send mode 6 or malformed packets. Loopback only.

  server_probe.py ADDR PORT [--bind ADDR] [--count N] [--kind client|mode6|short|badversion]
                  [--version V] [--wait SECONDS] [--interval SECONDS]
"""
import argparse
import ipaddress
import json
import os
import socket
import struct
import time

NTP_EPOCH_OFFSET = 2208988800


def ntp_now():
    t = time.time()
    sec = int(t) + NTP_EPOCH_OFFSET
    frac = int((t - int(t)) * (1 << 32))
    return (sec << 32) | frac


def build(kind, version, transmit):
    if kind == "client":
        return struct.pack("!BBbb II I QQQQ", (0 << 6) | (version << 3) | 3, 0, 6, -20, 0, 0, 0,
                           0, 0, 0, transmit)
    if kind == "mac":  # client request + key id + 20-byte SHA-1 digest (24 bytes)
        return build("client", version, transmit) + struct.pack("!I", 1) + b"\x5a" * 20
    if kind == "mode6":  # ntpq READSTAT, sequence 1
        return struct.pack("!BBHHHHH", (2 << 3) | 6, 1, 1, 0, 0, 0, 0)
    if kind == "short":
        return b"\x23" + b"\x00" * 20
    if kind == "badversion":
        return struct.pack("!B", (0 << 3) | 3) + b"\x00" * 47
    raise SystemExit("unknown kind " + kind)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--bind", default=None)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--kind", default="client")
    ap.add_argument("--version", type=int, default=4)
    ap.add_argument("--wait", type=float, default=1.0)
    ap.add_argument("--interval", type=float, default=0.0)
    a = ap.parse_args()
    if not ipaddress.ip_address(a.addr).is_loopback:
        raise SystemExit("refusing a non-loopback target")

    family = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    if a.bind:
        s.bind((a.bind, 0))
    s.connect((a.addr, a.port))
    sent_transmits = set()
    out = {"sent": 0, "replies": 0, "normal": 0, "kod_rate": 0, "bad_origin": 0,
           "max_len": 0, "request_len": 0, "stratum": None, "leap": None, "version": None,
           "mode": None, "refid": None, "offset_s": None}
    for i in range(a.count):
        tx = ntp_now() + i  # distinct per request so replies can be matched
        pkt = build(a.kind, a.version, tx)
        out["request_len"] = len(pkt)
        sent_transmits.add(tx)
        try:
            s.send(pkt)
            out["sent"] += 1
        except OSError:
            pass
        if a.interval:
            time.sleep(a.interval)
    s.settimeout(a.wait)
    while True:
        try:
            data = s.recv(2048)
        except (socket.timeout, ConnectionRefusedError):
            break
        t4 = ntp_now()
        out["replies"] += 1
        out["max_len"] = max(out["max_len"], len(data))
        if len(data) < 48:
            continue
        b0, stratum, _poll, _prec, _rd, _rdisp, refid, _ref, org, rx, xmt = struct.unpack(
            "!BBbbIII QQQQ", data[:48])
        if org not in sent_transmits:
            out["bad_origin"] += 1
            continue
        refid_s = refid.to_bytes(4, "big").rstrip(b"\0").decode("ascii", "replace")
        if stratum == 0 and refid_s == "RATE":
            out["kod_rate"] += 1
            continue
        out["normal"] += 1
        out.update(stratum=stratum, leap=b0 >> 6, version=(b0 >> 3) & 7, mode=b0 & 7,
                   refid_ascii=refid.to_bytes(4, "big").rstrip(b"\0").decode("ascii", "replace"),
                   refid=refid_s if stratum <= 1 else str(ipaddress.IPv4Address(refid)))
        # The request's transmit field carried our send time (T1 = org, up to the +i tag).
        off = ((rx - org) + (xmt - t4)) / 2 / (1 << 32)
        out["offset_s"] = off
    print(json.dumps(out))


if __name__ == "__main__":
    main()
