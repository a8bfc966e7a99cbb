#!/usr/bin/env python3
"""A TCP client written the way socket tutorials write it, as a peer for tests.

usage: tcp_client.py HOST PORT MODE [ARG]
  classic TEXT   connect, send TEXT, print conn.recv(1024) until the server closes
  file PATH      sendall the file, shutdown(SHUT_WR), write everything received to stdout
  read           send nothing: read until the server closes, print it, then close
                 (so the server's side is the one that closes first)
"""
import socket
import sys

host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
family = socket.AF_INET6 if ":" in host else socket.AF_INET
client = socket.socket(family, socket.SOCK_STREAM)
client.settimeout(30)
client.connect((host, port))

if mode == "classic":
    client.send(sys.argv[4].encode())
    client.shutdown(socket.SHUT_WR)
elif mode == "file":
    with open(sys.argv[4], "rb") as f:
        client.sendall(f.read())
    client.shutdown(socket.SHUT_WR)

received = bytearray()
while True:
    data = client.recv(1024)
    if not data:
        break
    received += data
client.close()
sys.stdout.buffer.write(received)
