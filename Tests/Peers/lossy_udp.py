"""A UDP forwarder on 127.0.0.1 that loses chosen datagrams, to make DTLS retransmit.

usage: lossy_udp.py TARGET_PORT [--drop-to-server N]... [--drop-to-client N]... [--deaf-after-drop SECS]

Prints "port P" (where clients send) and then one line per datagram dropped. Datagram
numbers count from 1 in each direction. With --deaf-after-drop, every datagram from the
client is dropped for SECS seconds after a server datagram was, so only the server's own
retransmission timer can move the handshake on. One client; ends after 20 s of silence.
"""
import argparse
import selectors
import socket
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("target", type=int)
parser.add_argument("--drop-to-server", type=int, action="append", default=[])
parser.add_argument("--drop-to-client", type=int, action="append", default=[])
parser.add_argument("--deaf-after-drop", type=float, default=0.0)
options = parser.parse_args()

front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("127.0.0.1", 0))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.connect(("127.0.0.1", options.target))
print(f"port {front.getsockname()[1]}", flush=True)

selector = selectors.DefaultSelector()
selector.register(front, selectors.EVENT_READ)
selector.register(back, selectors.EVENT_READ)
client = None
counts = {"server": 0, "client": 0}
deaf_until = 0.0
last = time.monotonic()
while time.monotonic() - last < 20:
    for key, _ in selector.select(timeout=1):
        last = time.monotonic()
        if key.fileobj is front:
            data, client = front.recvfrom(70000)
            counts["server"] += 1
            if counts["server"] in options.drop_to_server or time.monotonic() < deaf_until:
                print(f"dropped to-server {counts['server']} ({len(data)} bytes)", flush=True)
                continue
            back.send(data)
        else:
            try:
                data = back.recv(70000)
            except ConnectionRefusedError:
                continue
            counts["client"] += 1
            if counts["client"] in options.drop_to_client:
                print(f"dropped to-client {counts['client']} ({len(data)} bytes)", flush=True)
                deaf_until = time.monotonic() + options.deaf_after_drop
                continue
            if client is not None:
                front.sendto(data, client)
sys.exit(0)
