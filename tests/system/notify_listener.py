#!/usr/bin/env python3
"""A stand-in for systemd's notification socket: binds a Unix datagram socket and appends every
message it receives (one per line, newlines inside a message shown as '|') to a file, until
the given number of seconds passed.  notify_listener.py SOCKET_PATH OUT_FILE SECONDS"""
import os
import socket
import sys
import time

path, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)
deadline = time.monotonic() + seconds
with open(out, "a", buffering=1) as f:
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        f.write("%.3f %s\n" % (time.monotonic(), data.decode(errors="replace").replace("\n", "|")))
