#!/usr/bin/env python3
"""A small scripted NTP server for system tests: answers client requests (mode 3) with a reply
whose receive/transmit timestamps are off by --offset seconds (default +0.1 s), at --stratum
(default 1) with leap indicator --leap (default 0): a falseticker, a leap announcer, or (offset 0)
one of several equally good servers on this machine's clock.

Loopback only (refuses any other bind address) and bounded: exits after --lifetime seconds
(default 120), so a test that dies cannot leave it running for long.
"""
import argparse
import ipaddress
import select
import socket
import struct
import sys
import time

NTP_UNIX_DELTA = 2208988800


def ntp_ts(t):
    """Unix seconds (float) -> 64-bit NTP timestamp."""
    secs = int(t) + NTP_UNIX_DELTA
    frac = int((t - int(t)) * (1 << 32)) & 0xFFFFFFFF
    return (secs & 0xFFFFFFFF) << 32 | frac


def reply(request, rx_time, offset, stratum=1, leap=0):
    if len(request) < 48:
        return None
    li_vn_mode = request[0]
    version = (li_vn_mode >> 3) & 7
    mode = li_vn_mode & 7
    if mode != 3 or version < 1:
        return None
    client_transmit = request[40:48]
    now = time.time()
    header = struct.pack(
        "!BBBbII4sQ",
        (leap << 6) | (version << 3) | 4,  # LI, the client's version, mode 4 (server)
        stratum,
        request[2],  # echo the poll
        -20,  # precision ~1 us
        0,  # root delay
        (1 << 16) // 1000,  # root dispersion ~1 ms (NTP short format)
        b"FAKE",
        ntp_ts(now - 1.0 + offset),  # reference time
    )
    rx = ntp_ts(rx_time + offset)
    tx = ntp_ts(time.time() + offset)
    # origin = the client's transmit timestamp
    return header + client_transmit + struct.pack("!QQ", rx, tx)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--address", default="127.0.0.12")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--offset", type=float, default=0.1, help="seconds added to timestamps")
    ap.add_argument("--lifetime", type=float, default=120.0, help="exit after this many seconds")
    ap.add_argument("--stratum", type=int, default=1, choices=range(1, 16))
    ap.add_argument("--leap", type=int, default=0, choices=range(0, 4))
    args = ap.parse_args()
    if not ipaddress.ip_address(args.address).is_loopback:
        sys.exit("falseticker_responder: loopback addresses only")
    sock = socket.socket(socket.AF_INET6 if ":" in args.address else socket.AF_INET,
                         socket.SOCK_DGRAM)
    sock.bind((args.address, args.port))
    deadline = time.monotonic() + args.lifetime
    answered = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([sock], [], [], min(left, 1.0))
        if not ready:
            continue
        data, peer = sock.recvfrom(2048)
        rx_time = time.time()
        out = reply(data, rx_time, args.offset, args.stratum, args.leap)
        if out is not None:
            sock.sendto(out, peer)
            answered += 1
    print(f"falseticker_responder: lifetime over, answered {answered} requests", flush=True)


if __name__ == "__main__":
    main()
