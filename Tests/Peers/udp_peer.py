#!/usr/bin/env python3
"""UDP peers written the way tutorials write them.

usage:
  udp_peer.py echo-server [HOST]     bind a free port, print it, answer each datagram
                                     (recvfrom(1024)) with data.upper(), until 10 s of silence
  udp_peer.py chorus                 the same on 127.0.0.1, answering each datagram three times
                                     ("1 DATA", "2 DATA", "3 DATA")
  udp_peer.py client HOST PORT TEXT  sendto TEXT, print the reply from recvfrom(1024)
  udp_peer.py send HOST PORT SIZE    sendto one datagram of SIZE bytes of 'x' (0: empty)
  udp_peer.py spray HOST PORT N      send N one-byte datagrams, each from a new socket (a new source port)
  udp_peer.py collect N              bind a free port, print it, then print each of N datagrams
                                     received with recvfrom(65535) as "LENGTH HEX" (10 s limit)
"""
import socket
import sys

mode = sys.argv[1]
if mode == "echo-server":
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.socket(family, socket.SOCK_DGRAM)
    server.bind((host, 0))
    print(server.getsockname()[1], flush=True)
    server.settimeout(10)
    try:
        while True:
            data, address = server.recvfrom(1024)
            server.sendto(data.upper(), address)
    except socket.timeout:
        pass
elif mode == "chorus":
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    print(server.getsockname()[1], flush=True)
    server.settimeout(10)
    try:
        while True:
            data, address = server.recvfrom(1024)
            for number in (1, 2, 3):
                server.sendto(b"%d %s" % (number, data.upper()), address)
    except socket.timeout:
        pass
elif mode == "send":
    host, port, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    client = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    client.sendto(b"x" * size, (host, port))
elif mode == "spray":
    host, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", (host, port))
        s.close()
elif mode == "collect":
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    print(server.getsockname()[1], flush=True)
    server.settimeout(10)
    for _ in range(int(sys.argv[2])):
        data, address = server.recvfrom(65535)
        print(len(data), data.hex(), flush=True)
elif mode == "client":
    host, port, text = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    client = socket.socket(family, socket.SOCK_DGRAM)
    client.settimeout(10)
    client.sendto(text.encode(), (host, port))
    data, address = client.recvfrom(1024)
    sys.stdout.buffer.write(data)
