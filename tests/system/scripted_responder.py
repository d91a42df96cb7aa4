#!/usr/bin/env python3
"""An NTP server with one scripted behaviour, for the reason column of `ntpq-lite peers`:

  good        correct stratum-1 replies (timestamps from this machine's clock)
  lie         replies off by --offset seconds (a falseticker when the others agree)
  silent:N    answers the first N requests, then never again (becomes unreachable)
  kiss:CODE   answers every request with a Kiss-o'-Death CODE (RATE, DENY, RSTR)

Loopback only (refuses any other bind address) and bounded: exits after --lifetime seconds.
"""
import argparse
import ipaddress
import os
import select
import socket
import struct
import sys
import time

NTP_UNIX_DELTA = 2208988800


def ntp_ts(t):
    secs = int(t) + NTP_UNIX_DELTA
    frac = int((t - int(t)) * (1 << 32)) & 0xFFFFFFFF
    return (secs & 0xFFFFFFFF) << 32 | frac


def reply(request, rx_time, behaviour, offset):
    if len(request) < 48:
        return None
    version = (request[0] >> 3) & 7
    if request[0] & 7 != 3 or version < 1:
        return None
    kiss = behaviour.startswith("kiss:")
    if kiss:
        code = behaviour[5:].encode()[:4].ljust(4, b"\0")
        # KoD: LI 3, stratum 0, refid = the code; timestamps echo the request (RFC 5905 7.4).
        return struct.pack("!BBBbII4sQQQQ", (3 << 6) | (version << 3) | 4, 0, request[2], -20,
                           0, 0, code, 0, int.from_bytes(request[40:48], "big"), 0, 0)
    shift = offset if behaviour == "lie" else 0.0
    return struct.pack("!BBBbII4sQ8sQQ", (0 << 6) | (version << 3) | 4, 1, request[2], -20, 0,
                       int(0.001 * 65536), b"GPS\0", ntp_ts(time.time() + shift - 1),
                       request[40:48], ntp_ts(rx_time + shift), ntp_ts(time.time() + shift))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--behaviour", required=True)
    ap.add_argument("--offset", type=float, default=0.5)
    ap.add_argument("--lifetime", type=float, default=120.0)
    ap.add_argument("--count-file", help="keep the number of requests received in this file")
    a = ap.parse_args()
    if not ipaddress.ip_address(a.address).is_loopback:
        sys.exit("loopback addresses only")
    silent_after = int(a.behaviour[7:]) if a.behaviour.startswith("silent:") else None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.address, a.port))
    end = time.time() + a.lifetime
    answered = 0
    received = 0
    while time.time() < end:
        if not select.select([s], [], [], 0.5)[0]:
            continue
        data, peer = s.recvfrom(1024)
        rx = time.time()
        received += 1
        if a.count_file:
            with open(a.count_file + ".new", "w") as f:
                f.write(f"{received}\n")
            os.replace(a.count_file + ".new", a.count_file)
        if silent_after is not None and answered >= silent_after:
            continue
        out = reply(data, rx, a.behaviour, a.offset)
        if out:
            s.sendto(out, peer)
            answered += 1


if __name__ == "__main__":
    main()
