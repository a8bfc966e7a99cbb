#!/usr/bin/env python3
"""Length-prefixed messages the way Python programs write them: struct.pack('>I', n).

usage:
  frame_peer.py server          bind a free port, print it, then for one client: read each
                                message, and answer it upper-cased — the first answer written
                                a byte at a time (split), the rest two frames per sendall
                                (coalesced) — until the client closes
  frame_peer.py huge            bind a free port, print it, then send one header announcing
                                4 GiB - 1 bytes and wait for the client to hang up
  frame_peer.py client PORT M…  connect, send the messages in one sendall (coalesced),
                                shut down writing, print each framed answer on its own line
"""
import socket
import struct
import sys
import time

def read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data

def read_message(conn):
    header = read_exactly(conn, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    return read_exactly(conn, length)

mode = sys.argv[1]
if mode in ("server", "huge"):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    print(server.getsockname()[1], flush=True)
    server.settimeout(30)
    conn, _ = server.accept()
    conn.settimeout(30)
    if mode == "huge":
        conn.sendall(struct.pack(">I", 0xFFFFFFFF))
        conn.recv(1)
        sys.exit(0)
    answers = []
    while True:
        message = read_message(conn)
        if message is None:
            break
        answers.append(struct.pack(">I", len(message)) + message.upper())
    if answers:
        for byte in answers[0]:
            conn.send(bytes([byte]))
            time.sleep(0.001)
        rest = answers[1:]
        for i in range(0, len(rest), 2):
            conn.sendall(b"".join(rest[i:i + 2]))
    conn.close()
elif mode == "client":
    port = int(sys.argv[2])
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.sendall(b"".join(struct.pack(">I", len(m.encode())) + m.encode() for m in sys.argv[3:]))
    conn.shutdown(socket.SHUT_WR)
    while True:
        message = read_message(conn)
        if message is None:
            break
        print(message.decode())
