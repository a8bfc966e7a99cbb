#!/usr/bin/env python3
"""A TCP server written the way socket tutorials write it, as a peer for tests.

usage: tcp_server.py MODE [--host HOST] [--file FILE]
Binds HOST (default 127.0.0.1) on a free port, prints the port on stdout, serves one client.
  upper      the classic: conn.recv(1024), conn.send(data.upper()) until recv returns b''
  after-eof  read until EOF (the client's FIN), then reply b'received N bytes\n' and close
  send       send the bytes of --file, then close
  eof        read until EOF, then close without sending anything (the client closes first)
"""
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["upper", "after-eof", "send", "eof"])
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
conn.close()
server.close()
