#!/usr/bin/env python3
"""Opens TCP (and with --udp, UDP echo) listeners on the given ports, prints 'ready',
and serves until killed or 60 s pass.

usage: listeners.py [--host ADDR] [--udp] PORT...
"""
import argparse
import select
import socket
import time

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="0.0.0.0")
parser.add_argument("--udp", action="store_true")
parser.add_argument("ports", type=int, nargs="+")
arguments = parser.parse_args()
family = socket.AF_INET6 if ":" in arguments.host else socket.AF_INET

sockets = []
for port in arguments.ports:
    if arguments.udp:
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.bind((arguments.host, port))
    else:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((arguments.host, port))
        s.listen(4096)
    sockets.append(s)
print("ready", flush=True)

deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    readable, _, _ = select.select(sockets, [], [], 1)
    for s in readable:
        if arguments.udp:
            data, address = s.recvfrom(2048)
            s.sendto(data, address)
        else:
            conn, _ = s.accept()
            conn.close()
