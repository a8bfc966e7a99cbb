#!/usr/bin/env python3
"""Many concurrent clients of an echo server, for tests and benchmarks.

usage: echo_load.py HOST PORT CLIENTS MESSAGES SIZE [TIMEOUT]
Opens CLIENTS connections at once; each sends MESSAGES messages of SIZE random bytes,
one at a time, and waits for each to come back whole before sending the next.
Prints: "clients C messages M bytes B seconds S rate R" and exits 0 when every byte
came back as sent; 1 with the first problem otherwise.
"""
import os
import selectors
import socket
import sys
import time

host, port, clients, messages, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
limit = float(sys.argv[6]) if len(sys.argv) > 6 else 60.0
selector = selectors.DefaultSelector()
state = {}
start = time.monotonic()
for index in range(clients):
    sock = socket.socket()
    sock.setblocking(False)
    sock.connect_ex((host, port))
    state[sock] = {"left": messages, "expect": b"", "got": b"", "sent": False}
    selector.register(sock, selectors.EVENT_WRITE)

done = 0
total = 0
problem = None
while done < clients and time.monotonic() - start < limit and problem is None:
    for key, events in selector.select(timeout=1):
        sock = key.fileobj
        entry = state[sock]
        if events & selectors.EVENT_WRITE and not entry["sent"]:
            payload = os.urandom(size)
            entry["expect"], entry["got"], entry["sent"] = payload, b"", True
            try:
                sock.sendall(payload)
            except OSError as error:
                problem = f"send failed: {error}"
                break
            selector.modify(sock, selectors.EVENT_READ)
        elif events & selectors.EVENT_READ:
            try:
                chunk = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as error:
                problem = f"recv failed: {error}"
                break
            if not chunk:
                problem = "the server closed a connection early"
                break
            entry["got"] += chunk
            if len(entry["got"]) >= size:
                if entry["got"] != entry["expect"]:
                    problem = "an echo differed from what was sent"
                    break
                total += size
                entry["left"] -= 1
                entry["sent"] = False
                if entry["left"] == 0:
                    selector.unregister(sock)
                    sock.close()
                    done += 1
                else:
                    selector.modify(sock, selectors.EVENT_WRITE)
seconds = time.monotonic() - start
if problem is None and done < clients:
    problem = f"only {done} of {clients} clients finished within {limit} s"
print(f"clients {clients} messages {clients * messages} bytes {total} seconds {seconds:.3f} rate {clients * messages / seconds:.0f}")
if problem:
    print(problem)
    sys.exit(1)
