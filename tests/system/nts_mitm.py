#!/usr/bin/env python3
"""On-path attacker for NTS tests: a UDP relay LISTEN_PORT -> 127.0.0.1:UPSTREAM_PORT that
tampers with replies. Modes:
  flip    flip one bit of the transmit timestamp (byte 40) of every reply (authenticated data)
  replay  answer every request after the first with the first reply (a replayed reply)
  pass    relay unchanged (the control case)
Counts go to COUNT_FILE as "requests=N replies=N" after each datagram. Stops after 120 s.
Usage: nts_mitm.py MODE LISTEN_PORT UPSTREAM_PORT COUNT_FILE"""
import select
import socket
import sys
import time

mode, listen_port, up_port, count_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("127.0.0.1", listen_port))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.connect(("127.0.0.1", up_port))
client = None
first_reply = None
requests = replies = 0
deadline = time.time() + 120
while time.time() < deadline:
    ready, _, _ = select.select([front, back], [], [], 1.0)
    for s in ready:
        if s is front:
            data, client = front.recvfrom(2048)
            requests += 1
            if mode == "replay" and first_reply is not None:
                front.sendto(first_reply, client)
                replies += 1
            else:
                back.send(data)
        else:
            data = back.recv(2048)
            if mode == "flip" and len(data) > 40:
                data = data[:40] + bytes([data[40] ^ 0x01]) + data[41:]
            if mode == "replay" and first_reply is None:
                first_reply = data
            if client is not None:
                front.sendto(data, client)
                replies += 1
        with open(count_file, "w") as f:
            f.write(f"requests={requests} replies={replies}\n")
