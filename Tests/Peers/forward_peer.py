#!/usr/bin/env python3
"""Peers for sockscope forward's tests, written with Python's socket module.

forward_peer.py target            bind 127.0.0.1 on a free port, print it; for each client
                                  (a thread each), echo every byte back until its FIN, then
                                  send b"bye" and close (20 s limit)
forward_peer.py client HOST PORT SIZE [COUNT]
                                  COUNT clients at once (default 1), each sending SIZE random
                                  bytes while reading, then FIN; each must get its bytes back
                                  followed by b"bye" and the end of the stream. Prints
                                  "ok COUNT" or exits 1 with what went wrong.
"""
import hashlib
import os
import socket
import sys
import threading
import time


def target():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    listener.settimeout(20)
    print(listener.getsockname()[1], flush=True)

    def serve(connection):
        with connection:
            while True:
                data = connection.recv(1 << 16)
                if not data:
                    break
                connection.sendall(data)
            connection.sendall(b"bye")

    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            connection, _ = listener.accept()
        except socket.timeout:
            break
        threading.Thread(target=serve, args=(connection,), daemon=True).start()


def client(host, port, size, count):
    failures = []

    def one():
        payload = os.urandom(size)
        with socket.create_connection((host, port), timeout=20) as connection:
            def send():
                connection.sendall(payload)
                connection.shutdown(socket.SHUT_WR)
            sender = threading.Thread(target=send)
            sender.start()
            received = bytearray()
            while True:
                data = connection.recv(1 << 16)
                if not data:
                    break
                received += data
            sender.join()
        expected = payload + b"bye"
        if hashlib.sha256(received).digest() != hashlib.sha256(expected).digest():
            failures.append(f"{len(received)} bytes back, {len(expected)} expected")

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        print("; ".join(failures[:5]), file=sys.stderr)
        sys.exit(1)
    print(f"ok {count}")


if sys.argv[1] == "target":
    target()
else:
    client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 1)
