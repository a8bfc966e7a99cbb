#!/usr/bin/env python3
"""A TCP server written the way socket tutorials write it, as a peer for tests.

usage: tcp_server.py MODE [--host HOST] [--file FILE]
Binds HOST (default 127.0.0.1) on a free port, prints the port on stdout, serves one client.
  upper      the classic: conn.recv(1024), conn.send(data.upper()) until recv returns b''
  after-eof  read until EOF (the client's FIN), then reply b'received N bytes\n' and close
  send       send the bytes of --file, then close
  eof        read until EOF, then close without sending anything (the client closes first)
  close-first  send b'data\n' and FIN at once, then read until EOF; print 'received N' on stdout
  record     read until EOF; print the bytes received, as hex, on stdout
  flood      send 64 KiB while reading until EOF; print 'received N' on stdout
  slow-flood the same, the 64 KiB sent after 0.2 s and read 64 KiB every 10 ms (the
             client is done sending long before this side has read it all or sent)
  read-then-reset  read 100,000 bytes, then close with unread data pending: RST
  echo-once  read one chunk, send it back, then read again: print 'reset' when that
             read fails with ECONNRESET (the client closed with RST), 'eof' when it returns b''
"""
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["upper", "after-eof", "send", "eof", "close-first", "record", "flood", "slow-flood", "echo-once", "read-then-reset"])
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--file")
arguments = parser.parse_args()
mode, host = arguments.mode, arguments.host
family = socket.AF_INET6 if ":" in host else socket.AF_INET

server = socket.socket(family, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((host, 0))
server.listen(1)
print(server.getsockname()[1], flush=True)
server.settimeout(30)
conn, address = server.accept()
conn.settimeout(30)

if mode == "upper":
    while True:
        data = conn.recv(1024)
        if not data:
            break
        conn.sendall(data.upper())
elif mode == "after-eof":
    total = 0
    while True:
        data = conn.recv(65536)
        if not data:
            break
        total += len(data)
    conn.sendall(b"received %d bytes\n" % total)
elif mode == "eof":
    while conn.recv(65536):
        pass
elif mode == "send":
    with open(arguments.file, "rb") as f:
        conn.sendall(f.read())
elif mode == "close-first":
    conn.sendall(b"data\n")
    conn.shutdown(socket.SHUT_WR)
    total = 0
    while data := conn.recv(65536):
        total += len(data)
    print("received %d" % total, flush=True)
elif mode == "read-then-reset":
    import struct
    total = 0
    while total < 100_000:
        data = conn.recv(65536)
        if not data:
            break
        total += len(data)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
elif mode == "record":
    received = b""
    while data := conn.recv(65536):
        received += data
    print(received.hex(), flush=True)
elif mode in ("flood", "slow-flood"):
    import threading
    import time
    pause = 0.2 if mode == "slow-flood" else 0
    sender = threading.Thread(target=lambda: (time.sleep(pause), conn.sendall(b"x" * (64 << 10))))
    sender.start()
    total = 0
    while data := conn.recv(65536):
        total += len(data)
        if mode == "slow-flood":
            time.sleep(0.01)
    sender.join(30)
    print("received %d" % total, flush=True)
elif mode == "echo-once":
    conn.sendall(conn.recv(65536))
    try:
        print("eof" if conn.recv(65536) == b"" else "more", flush=True)
    except ConnectionResetError:
        print("reset", flush=True)
conn.close()
server.close()
