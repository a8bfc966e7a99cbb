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
forward_peer.py tls-target CERT KEY
                                  the target above, over TLS (Python's ssl module)
forward_peer.py tls-client CA HOST PORT SIZE [COUNT]
                                  COUNT clients over TLS (verifying the server with CA), each
                                  sending SIZE random bytes 16 KiB at a time and reading each
                                  chunk's echo before the next (one thread per socket: an ssl
                                  socket is not for two threads), then closing. Prints "ok COUNT"
forward_peer.py probe HOST PORT SIZE WAIT
                                  one client: sends SIZE bytes (no FIN) and reads what comes
                                  back until the end of the stream, a reset, or WAIT seconds of
                                  silence; prints JSON: received, end (eof, reset, silence),
                                  sizes (each recv's length, the first 200), elapsed_ms (from
                                  the first byte back to the last)
forward_peer.py rtt HOST PORT COUNT
                                  one client: COUNT rounds of 1 byte there and back; prints the
                                  median round trip in milliseconds
"""
import json
import ssl
import statistics
import hashlib
import os
import socket
import sys
import threading
import time


def target(wrap=None):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    listener.settimeout(20)
    print(listener.getsockname()[1], flush=True)

    def serve(connection):
        with connection:
            try:
                while True:
                    data = connection.recv(1 << 16)
                    if not data:
                        break
                    connection.sendall(data)
                connection.sendall(b"bye")
            except OSError:
                pass  # a reset (the faults' tests ask for them)

    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            connection, _ = listener.accept()
        except socket.timeout:
            break
        if wrap:
            try:
                connection = wrap(connection)
            except (OSError, ssl.SSLError):
                continue
        threading.Thread(target=serve, args=(connection,), daemon=True).start()


def run_clients(one, count, failures):
    """Runs COUNT clients at once, a thread each; prints "ok COUNT" or the failures (exit 1)."""
    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        print("; ".join(failures[:5]), file=sys.stderr)
        sys.exit(1)
    print(f"ok {count}")


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

    run_clients(one, count, failures)


def tls_client(ca, host, port, size, count):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(ca)
    failures = []

    def one():
        payload = os.urandom(size)
        try:
            with context.wrap_socket(socket.create_connection((host, port), timeout=20), server_hostname=host) as connection:
                for start in range(0, size, 16384):
                    chunk = payload[start:start + 16384]
                    connection.sendall(chunk)
                    back = bytearray()
                    while len(back) < len(chunk):
                        data = connection.recv(len(chunk) - len(back))
                        if not data:
                            raise OSError(f"the stream ended after {start + len(back)} bytes")
                        back += data
                    if bytes(back) != chunk:
                        raise OSError(f"different bytes back at {start}")
        except (OSError, ssl.SSLError) as error:
            failures.append(str(error))

    run_clients(one, count, failures)


def probe(host, port, size, wait):
    with socket.create_connection((host, port), timeout=20) as connection:
        connection.sendall(os.urandom(size))
        connection.settimeout(wait)
        sizes, received, end, first, last = [], 0, "eof", None, None
        while True:
            try:
                data = connection.recv(1 << 16)
            except ConnectionResetError:
                end = "reset"
                break
            except socket.timeout:
                end = "silence"
                break
            if not data:
                break
            last = time.monotonic()
            first = first or last
            received += len(data)
            if len(sizes) < 200:
                sizes.append(len(data))
    elapsed = (last - first) * 1000 if first else 0
    print(json.dumps({"received": received, "end": end, "sizes": sizes, "elapsed_ms": round(elapsed, 1)}))


def rtt(host, port, count):
    with socket.create_connection((host, port), timeout=20) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        times = []
        for _ in range(count):
            start = time.monotonic()
            connection.sendall(b"x")
            if connection.recv(1) != b"x":
                sys.exit("no echo")
            times.append((time.monotonic() - start) * 1000)
    print(round(statistics.median(times), 2))


if sys.argv[1] == "target":
    target()
elif sys.argv[1] == "tls-target":
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(sys.argv[2], sys.argv[3])
    target(lambda connection: server_context.wrap_socket(connection, server_side=True))
elif sys.argv[1] == "tls-client":
    tls_client(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]) if len(sys.argv) > 6 else 1)
elif sys.argv[1] == "tls-hold":
    # tls-hold CA HOST PORT N PID: N TLS connections at once, each echoing a line; then
    # the thread count of process PID (/proc/PID/status) while all are open
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(sys.argv[2])
    held = []
    for number in range(int(sys.argv[5])):
        connection = context.wrap_socket(socket.create_connection((sys.argv[3], int(sys.argv[4])), timeout=20), server_hostname=sys.argv[3])
        connection.sendall(b"line %d\n" % number)
        if connection.recv(100) != b"line %d\n" % number:
            sys.exit("no echo on connection %d" % number)
        held.append(connection)
    threads = [line.split()[1] for line in open("/proc/%s/status" % sys.argv[6]) if line.startswith("Threads:")]
    print("threads", threads[0], "connections", len(held), flush=True)
elif sys.argv[1] == "tls-broker":
    # tls-broker CA HOST PORT N: N TLS clients of a broker or chat; the first sends a line
    # of 50,000 bytes (several TLS records, under the chat's 64 KiB line) and each of the others prints the line it got ("got LENGTH TEXT[:20]")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(sys.argv[2])
    clients = [
        context.wrap_socket(socket.create_connection((sys.argv[3], int(sys.argv[4])), timeout=20), server_hostname=sys.argv[3])
        for _ in range(int(sys.argv[5]))
    ]
    time.sleep(0.5)  # every client admitted (and, in a chat, its greeting sent) before the line
    clients[0].sendall(b"x" * 50000 + b" end\n")
    for other in clients[1:]:
        received = b""
        while not received.endswith(b" end\n"):
            data = other.recv(65536)
            if not data:
                break
            received += data
        line = received.split(b"\n")[-2]
        print("got", len(line), line[:20].decode(), flush=True)
elif sys.argv[1] == "probe":
    probe(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
elif sys.argv[1] == "rtt":
    rtt(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
else:
    client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 1)
