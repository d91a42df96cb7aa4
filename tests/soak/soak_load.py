#!/usr/bin/env python3
"""Bounded load helpers for tests/soak/soak.sh (loopback only, fixed rate and duration).

  mode6 ADDR PORT --bind SRC --rate N --duration S   mode 6 READVAR requests from SRC at N/s
  hold ADDR PORT --conns N --duration S                keep N idle TCP connections open,
                                                       re-opening those the server closes
Each prints one JSON line of counts on exit.
"""
import argparse
import json
import selectors
import socket
import struct
import time


def mode6(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.bind, 0))
    s.setblocking(False)
    sent = replies = reply_bytes = 0
    seq = 0
    t0 = time.monotonic()
    end = t0 + a.duration
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - t0) * a.rate) + 1
        while sent < due:
            seq = (seq + 1) & 0xFFFF
            # READVAR (opcode 2), association 0: the system variables.
            pkt = struct.pack("!BBHHHHH", (2 << 3) | 6, 2, seq, 0, 0, 0, 0)
            try:
                s.sendto(pkt, (a.addr, a.port))
            except (BlockingIOError, ConnectionRefusedError):
                pass
            sent += 1
        while True:
            try:
                data = s.recv(2048)
            except (BlockingIOError, ConnectionRefusedError):
                break
            replies += 1
            reply_bytes += len(data)
        time.sleep(0.002)
    print(json.dumps({"bind": a.bind, "sent": sent, "replies": replies,
                      "reply_bytes": reply_bytes, "request_bytes": sent * 12}))


def hold(a):
    sel = selectors.DefaultSelector()
    opened = closed_by_server = refused = 0
    live = set()

    def open_one():
        nonlocal opened, refused
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect((a.addr, a.port))
        except BlockingIOError:
            pass
        except OSError:
            refused += 1
            c.close()
            return
        opened += 1
        live.add(c)
        sel.register(c, selectors.EVENT_READ)

    end = time.monotonic() + a.duration
    max_live = 0
    while time.monotonic() < end:
        # Top up at most 200 connections per round (bounded connect rate).
        for _ in range(min(200, a.conns - len(live))):
            open_one()
        max_live = max(max_live, len(live))
        for key, _ in sel.select(timeout=0.1):
            c = key.fileobj
            try:
                data = c.recv(4096)
            except OSError:
                data = b""
            if not data:  # the server closed it (deadline or eviction)
                closed_by_server += 1
                sel.unregister(c)
                live.discard(c)
                c.close()
    for c in live:
        c.close()
    print(json.dumps({"opened": opened, "closed_by_server": closed_by_server,
                      "refused": refused, "max_held": max_live}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("mode6")
    m.add_argument("addr")
    m.add_argument("port", type=int)
    m.add_argument("--bind", required=True)
    m.add_argument("--rate", type=float, default=500)
    m.add_argument("--duration", type=float, default=5)
    h = sub.add_parser("hold")
    h.add_argument("addr")
    h.add_argument("port", type=int)
    h.add_argument("--conns", type=int, default=1000)
    h.add_argument("--duration", type=float, default=5)
    a = p.parse_args()
    assert a.addr.startswith("127."), "loopback only"
    assert a.duration <= 120 and (a.cmd != "mode6" or a.rate <= 20000), "bounded load only"
    (mode6 if a.cmd == "mode6" else hold)(a)


if __name__ == "__main__":
    main()
