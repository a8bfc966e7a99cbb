#!/usr/bin/env python3
"""Holds idle connections open, for benchmarks of servers with many quiet clients.

usage: idle_clients.py HOST PORT N SECONDS [flood BYTES]
Opens N connections (never reading), prints "ready N", and keeps them for SECONDS.
With "flood BYTES": one more client then sends BYTES of 64-byte lines (a broker
relays them to the N clients that never read) and the script ends when it has sent them.
"""
import socket, sys, time

host, port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
held = []
for _ in range(count):
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    held.append(s)
print("ready", len(held), flush=True)
if len(sys.argv) > 6 and sys.argv[5] == "flood":
    total = int(sys.argv[6])
    sender = socket.create_connection((host, port), timeout=10)
    sender.settimeout(30)
    line = b"x" * 63 + b"\n"
    chunk = line * 1024
    sent = 0
    try:
        while sent < total:
            sender.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    print("sent", sent, flush=True)
    time.sleep(1)
else:
    time.sleep(seconds)
