#!/usr/bin/env python3
"""Three (or more) clients of a broker: each sends N numbered lines and must receive
exactly the other clients' lines — none of its own, none lost, none twice.

usage: broker_clients.py HOST PORT N [CLIENTS]
Prints one line per client ("client 0: received 20000 lines from 2 others") and exits 0
only when everything matched; 1 otherwise (with what was wrong).
"""
import socket
import sys
import threading
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
clients = int(sys.argv[4]) if len(sys.argv) > 4 else 3
sockets = [socket.create_connection((host, port), timeout=30) for _ in range(clients)]
time.sleep(0.3)  # let the broker register every client before anyone talks
received = [[] for _ in range(clients)]

def reader(index):
    buffer = b""
    want = count * (clients - 1)
    while len(received[index]) < want:
        chunk = sockets[index].recv(65536)
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        received[index].extend(lines)

threads = [threading.Thread(target=reader, args=(i,)) for i in range(clients)]
for thread in threads:
    thread.start()
for index, sock in enumerate(sockets):
    sock.sendall(b"".join(b"c%d-%d\n" % (index, i) for i in range(count)))
for thread in threads:
    thread.join(60)

ok = True
for index in range(clients):
    lines = received[index]
    expected = sorted(b"c%d-%d" % (other, i) for other in range(clients) if other != index for i in range(count))
    if sorted(lines) != expected:
        ok = False
        own = sum(1 for line in lines if line.startswith(b"c%d-" % index))
        print(f"client {index}: {len(lines)} lines, {len(set(lines))} distinct, {own} of its own; expected {len(expected)}")
    else:
        print(f"client {index}: received {len(lines)} lines from {clients - 1} others")
sys.exit(0 if ok else 1)
