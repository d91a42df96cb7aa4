#!/usr/bin/python3
"""UDP relay with a fixed added delay and optional loss, for namespace tests (tc netem is not
available in these kernels).

Listens on LISTEN (ADDR:PORT) and forwards every datagram to TARGET (ADDR:PORT) from a socket of
its own per client, so replies find their way back to the right client. Each direction is delayed
by --delay-ms (so a round trip gains twice that) and dropped with probability --loss-pct.
It exits after --lifetime-s seconds so a forgotten relay cannot linger.

Only for test networks: it binds where it is told and talks only to TARGET.
"""

import argparse
import heapq
import random
import select
import socket
import sys
import time

MAX_CLIENTS = 256  # per-client upstream sockets kept at once; the oldest is closed beyond this


def host_port(text):
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected ADDR:PORT, got {text!r}")
    return host, int(port)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=host_port, required=True, help="ADDR:PORT to serve")
    ap.add_argument("--target", type=host_port, required=True, help="ADDR:PORT to forward to")
    ap.add_argument("--delay-ms", type=float, default=0.0, help="added delay, each direction")
    ap.add_argument("--loss-pct", type=float, default=0.0, help="datagrams dropped, percent")
    ap.add_argument("--lifetime-s", type=float, default=300.0, help="exit after this long")
    ap.add_argument("--seed", type=int, default=None, help="loss RNG seed (repeatable runs)")
    args = ap.parse_args()
    if args.delay_ms < 0 or not 0 <= args.loss_pct <= 100 or args.lifetime_s <= 0:
        ap.error("delay must be >= 0, loss within 0..100, lifetime > 0")
    rng = random.Random(args.seed)
    delay_s = args.delay_ms / 1000.0

    front = socket.socket(family_of(args.listen[0]), socket.SOCK_DGRAM)
    front.bind(args.listen)
    upstream = {}  # client address -> socket towards the target
    owner = {}  # upstream socket fileno -> client address
    last_use = {}  # client address -> monotonic time of its last datagram
    pending = []  # heap of (due time, sequence, socket, datagram, destination)
    seq = 0
    counts = {"forwarded": 0, "returned": 0, "dropped": 0}
    end = time.monotonic() + args.lifetime_s
    print(f"relay {args.listen} -> {args.target} delay {args.delay_ms} ms each way, "
          f"loss {args.loss_pct} %", flush=True)

    def schedule(sock, data, dest):
        nonlocal seq
        if args.loss_pct and rng.random() * 100.0 < args.loss_pct:
            counts["dropped"] += 1
            return False
        seq += 1
        heapq.heappush(pending, (time.monotonic() + delay_s, seq, sock, data, dest))
        return True

    def socket_for(client):
        sock = upstream.get(client)
        if sock is None:
            if len(upstream) >= MAX_CLIENTS:
                oldest = min(last_use, key=last_use.get)
                old = upstream.pop(oldest)
                owner.pop(old.fileno(), None)
                last_use.pop(oldest, None)
                old.close()
            sock = socket.socket(family_of(args.target[0]), socket.SOCK_DGRAM)
            sock.connect(args.target)
            upstream[client] = sock
            owner[sock.fileno()] = client
        last_use[client] = time.monotonic()
        return sock

    while True:
        now = time.monotonic()
        if now >= end:
            break
        while pending and pending[0][0] <= now:
            _, _, sock, data, dest = heapq.heappop(pending)
            try:
                if dest is None:
                    sock.send(data)
                else:
                    sock.sendto(data, dest)
            except OSError:
                pass  # target down (port unreachable): the client just sees no answer
        timeout = end - now
        if pending:
            timeout = min(timeout, max(0.0, pending[0][0] - now))
        socks = [front] + list(upstream.values())
        readable, _, _ = select.select(socks, [], [], timeout)
        for s in readable:
            try:
                data, addr = s.recvfrom(65535)
            except OSError:
                continue  # ICMP port unreachable from a dead target
            if s is front:
                if schedule(socket_for(addr), data, None):
                    counts["forwarded"] += 1
            else:
                client = owner.get(s.fileno())
                if client is not None and schedule(front, data, client):
                    counts["returned"] += 1
    print(f"relay done: {counts}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
