#!/usr/bin/env python3
"""Symmetric-key probes for system tests (an implementation independent of ntp-lite's: Python's
hashlib computes the SHA1 MAC, RFC 5905 style: SHA1(key || packet)).

  auth_probe.py probe ADDR PORT KEYID HEXKEY   -> sends 3 requests and prints one line per case:
      valid    : MAC'd with KEYID/HEXKEY (SHA1); the reply must carry a valid MAC by KEYID
      badmac   : same key id, one bit of the MAC flipped; no reply may come back
      unknown  : key id KEYID+1000, zero digest; no reply may come back
      nak      : a crypto-NAK (4 zero bytes) as a request; no reply may come back
    Exit 0 only if every case behaved.
  auth_probe.py count ADDR PORT KEYID HEXKEY N  -> sends N requests MAC'd with KEYID/HEXKEY
      (SHA1), each from a fresh socket (so SO_REUSEPORT spreads them over the server's workers),
      and prints "answered A of N" (A counts only replies with a valid MAC by KEYID). Exit 0;
      exit 1 if a reply came back with a bad MAC.
  auth_probe.py proxy LISTEN_PORT UPSTREAM_PORT MODE  -> UDP relay on 127.0.0.1 that forwards
      requests to 127.0.0.1:UPSTREAM_PORT and changes each reply: MODE flip (one bit of the
      header's transmit timestamp), flipmac (one bit of the digest), strip (MAC removed).
      Runs until killed.
"""
import hashlib
import os
import socket
import struct
import sys


def request(transmit):
    return bytes([0x23]) + bytes(39) + transmit


def sha1_mac(key, data):
    return hashlib.sha1(key + data).digest()


def ask(addr, port, pkt, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(pkt, (addr, port))
    try:
        return s.recv(2048)
    except socket.timeout:
        return None
    finally:
        s.close()


def probe(addr, port, key_id, key):
    ok = True
    tx = os.urandom(8)
    pkt = request(tx)
    valid = pkt + struct.pack(">I", key_id) + sha1_mac(key, pkt)
    r = ask(addr, port, valid)
    if r is None:
        print("valid: no reply"); ok = False
    elif len(r) != len(valid):
        print(f"valid: reply of {len(r)} bytes, want {len(valid)}"); ok = False
    else:
        rid = struct.unpack(">I", r[48:52])[0]
        good = rid == key_id and sha1_mac(key, r[:48]) == r[52:] and r[24:32] == tx
        print(f"valid: reply {len(r)} bytes key {rid} mac {'ok' if good else 'BAD'}")
        ok = ok and good
    bad = bytearray(valid); bad[-1] ^= 0x01
    r = ask(addr, port, bytes(bad))
    print(f"badmac: {'no reply' if r is None else 'REPLY of %d bytes' % len(r)}"); ok = ok and r is None
    unk = pkt + struct.pack(">I", key_id + 1000) + bytes(20)
    r = ask(addr, port, unk)
    print(f"unknown: {'no reply' if r is None else 'REPLY of %d bytes' % len(r)}"); ok = ok and r is None
    r = ask(addr, port, pkt + bytes(4))
    print(f"nak: {'no reply' if r is None else 'REPLY of %d bytes' % len(r)}"); ok = ok and r is None
    return 0 if ok else 1


def count(addr, port, key_id, key, n):
    answered = 0
    for _ in range(n):
        tx = os.urandom(8)
        pkt = request(tx)
        r = ask(addr, port, pkt + struct.pack(">I", key_id) + sha1_mac(key, pkt), timeout=0.3)
        if r is None:
            continue
        rid = struct.unpack(">I", r[48:52])[0] if len(r) >= 52 else None
        if len(r) != 48 + 4 + 20 or rid != key_id or sha1_mac(key, r[:48]) != r[52:] or r[24:32] != tx:
            print(f"bad reply of {len(r)} bytes (key {rid})")
            return 1
        answered += 1
    print(f"answered {answered} of {n}")
    return 0


def proxy(listen_port, upstream_port, mode):
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", listen_port))
    while True:
        data, client = front.recvfrom(2048)
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(1.0)
        up.sendto(data, ("127.0.0.1", upstream_port))
        try:
            r = bytearray(up.recv(2048))
        except socket.timeout:
            continue
        finally:
            up.close()
        if mode == "flip":
            r[47] ^= 0x01
        elif mode == "flipmac" and len(r) > 52:
            r[-1] ^= 0x80
        elif mode == "strip":
            r = r[:48]
        front.sendto(bytes(r), client)


if __name__ == "__main__":
    if sys.argv[1] == "count":
        sys.exit(count(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), bytes.fromhex(sys.argv[5]),
                       int(sys.argv[6])))
    if sys.argv[1] == "probe":
        sys.exit(probe(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), bytes.fromhex(sys.argv[5])))
    proxy(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
