#!/usr/bin/env python3
"""Writes the seed corpora for tests/fuzz (valid packets of each kind). Run from anywhere:
tests/fuzz/make_corpus.py  -> tests/fuzz/corpus/packet/*.bin and tests/fuzz/corpus/control/*.bin"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def ntp(li, vn, mode, stratum=0, poll=6, prec=-20, rdelay=0, rdisp=0, refid=b"\0\0\0\0",
        ref=0, org=0, rx=0, tx=0):
    return struct.pack(">BBbbII4sQQQQ", li << 6 | vn << 3 | mode, stratum, poll, prec, rdelay, rdisp,
                       refid, ref, org, rx, tx)


def ext(ftype, length):
    return struct.pack(">HH", ftype, length) + bytes(range(length - 4))


def control(vn, r, e, m, op, seq, status, assoc, offset, data, mac=b""):
    hdr = struct.pack(">BBHHHHH", vn << 3 | 6, r << 7 | e << 6 | m << 5 | op, seq, status, assoc,
                      offset, len(data))
    body = hdr + data
    body += b"\0" * (-len(body) % 4)
    return body + mac


T = 0xEAAD4A4A12345678
packets = {
    "client_v4": ntp(0, 4, 3, tx=T),
    "client_v3": ntp(0, 3, 3, poll=10, tx=T),
    "client_v1_mode0": ntp(0, 1, 0, tx=T),
    "server_synced": ntp(0, 4, 4, 2, 6, -24, 0x800, 0x400, bytes([192, 0, 2, 1]), T - (1 << 36), T, T + 5, T + 9),
    "server_unsync": ntp(3, 4, 4, 0, 6, -26, 0x10000, 0x10000, b"\0\0\0\0", 0, T, T + 5, T + 9),
    "kod_rate": ntp(3, 4, 4, 0, 6, -20, 0, 0, b"RATE", 0, T, T + 5, T + 5),
    "local_stratum": ntp(0, 4, 4, 10, 6, -20, 0, 0, b"LOCL", T - 100, T, T + 5, T + 9),
    "symmetric_active": ntp(0, 4, 1, 3, 6, -20, 0x100, 0x100, bytes([10, 0, 0, 1]), T, T, T, T),
    "broadcast": ntp(0, 4, 5, 2, 6, -20, 0x100, 0x100, bytes([10, 0, 0, 1]), T, 0, 0, T),
    "client_crypto_nak": ntp(0, 4, 3, tx=T) + b"\0\0\0\0",
    "client_mac_md5": ntp(0, 4, 3, tx=T) + struct.pack(">I", 1) + bytes(16),
    "client_mac_sha1": ntp(0, 4, 3, tx=T) + struct.pack(">I", 2) + bytes(20),
    "client_ext16": ntp(0, 4, 3, tx=T) + ext(0x0104, 16),
    "client_ext28": ntp(0, 4, 3, tx=T) + ext(0x0104, 28),
    "client_ext_mac": ntp(0, 4, 3, tx=T) + ext(0x0104, 16) + ext(0x0204, 32) + struct.pack(">I", 1) + bytes(16),
    "era1_times": ntp(0, 4, 4, 1, 4, -30, 0, 0, b"GPS\0", 5 << 32, 0xFFFFFFFF00000000, 1 << 32, (1 << 32) + 1),
}

vars_ = b'version="ntp-lite 0.1", processor="x86_64", leap=0, stratum=2, precision=-24, ' \
        b'rootdelay=0.500, rootdisp=1.250, refid=192.0.2.1, reftime=0xeaad4a4a.12345678'
controls = {
    "readvar_request": control(2, 0, 0, 0, 2, 1, 0, 0, 0, b""),
    "readvar_request_names": control(2, 0, 0, 0, 2, 2, 0, 0, 0, b"stratum,offset"),
    "readstat_request": control(2, 0, 0, 0, 1, 3, 0, 0, 0, b""),
    "readvar_response": control(2, 1, 0, 0, 2, 1, 0x0615, 0, 0, vars_),
    "readstat_response": control(2, 1, 0, 0, 1, 3, 0x0615, 0, 0, struct.pack(">HHHH", 1, 0x9624, 2, 0x1314)),
    "fragment_more": control(2, 1, 0, 1, 2, 4, 0x0615, 0, 0, b"a" * 468),
    "fragment_last": control(2, 1, 0, 0, 2, 4, 0x0615, 0, 468, b"b" * 100),
    "error_response": control(2, 1, 1, 0, 9, 5, 0x0300, 0, 0, b""),
    "peer_readvar": control(4, 0, 0, 0, 2, 6, 0, 0xBEEF, 0, b""),
    "request_mac": control(2, 0, 0, 0, 2, 7, 0, 0, 0, b"x=1") + struct.pack(">I", 1) + bytes(16),
}


def write(kind, items):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    for name, blob in items.items():
        with open(os.path.join(d, name + ".bin"), "wb") as f:
            f.write(blob)


write("packet", packets)
write("control", controls)
