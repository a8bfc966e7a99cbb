#!/usr/bin/env python3
"""A TLS server that ends its stream in a chosen way, for the truncation tests: the
TLS records are made with Python's ssl module over memory BIOs and written to the TCP
socket by hand, so the stream can be cut anywhere.

tls_cut_server.py CERT KEY MODE [BYTES]
Binds 127.0.0.1 on a free port and prints it; after the handshake sends BYTES (default
50,000) bytes of 'x' in TLS records, then:
  close-notify   close_notify, then FIN (a clean end)
  boundary       FIN after the last whole record, no close_notify
  mid-record     FIN in the middle of the last record (its last 100 bytes never sent)
Reads what the client sends until it closes, and exits 0. Bounded: 20 s.
"""
import socket
import ssl
import sys

certificate, key, mode = sys.argv[1], sys.argv[2], sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 50_000
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(certificate, key)
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(1)
print(listener.getsockname()[1], flush=True)
listener.settimeout(20)
conn, _ = listener.accept()
conn.settimeout(20)
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = context.wrap_bio(incoming, outgoing, server_side=True)


def flush():
    data = outgoing.read()
    if data:
        conn.sendall(data)


while True:
    try:
        tls.do_handshake()
        flush()
        break
    except ssl.SSLWantReadError:
        flush()
        data = conn.recv(65536)
        if not data:
            sys.exit(2)
        incoming.write(data)
tls.write(b"x" * count)
records = outgoing.read()
if mode == "mid-record":
    conn.sendall(records[:-100])
elif mode == "boundary":
    conn.sendall(records)
else:
    conn.sendall(records)
    try:
        tls.unwrap()
    except ssl.SSLError:
        pass
    flush()
conn.shutdown(socket.SHUT_WR)
while conn.recv(65536):
    pass
