#!/usr/bin/env python3
"""Servers that speak first or answer a probe, for probe --banner tests. Binds three
ports on 127.0.0.1 and prints them on one line ("SMTP HTTP SILENT"), then serves each
connection in a thread of its own (a scan's connections, reset at once, are shrugged
off) for 60 s:

  SMTP    a two-line greeting, "220-mail.test ESMTP\\r\\n220 ready\\r\\n", sent 50 ms apart
  HTTP    says nothing until it reads "HEAD ", then answers a status line and a header
  SILENT  accepts and says nothing
"""
import socket
import threading
import time


def listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def smtp(connection):
    connection.sendall(b"220-mail.test ESMTP\r\n")
    time.sleep(0.05)
    connection.sendall(b"220 ready\r\n")
    time.sleep(1)


def http(connection):
    connection.settimeout(3)
    if connection.recv(100).startswith(b"HEAD "):
        connection.sendall(b"HTTP/1.0 200 OK\r\nServer: banner-test\r\n\r\n")


def silent(connection):
    time.sleep(3)


def serve(server, handler):
    while True:
        connection, _ = server.accept()

        def run(connection=connection):
            try:
                handler(connection)
            except OSError:
                pass
            finally:
                connection.close()

        threading.Thread(target=run, daemon=True).start()


servers = [(listener(), handler) for handler in (smtp, http, silent)]
print(" ".join(str(server.getsockname()[1]) for server, _ in servers), flush=True)
for server, handler in servers:
    threading.Thread(target=serve, args=(server, handler), daemon=True).start()
time.sleep(60)
