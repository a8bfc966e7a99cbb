#!/usr/bin/env python3
"""Hostile and careful peers for the hardening tests.

usage:
  hostile.py client-from SOURCE PORT [TEXT]   connect from SOURCE to 127.0.0.1:PORT, send TEXT, half-close,
                                              print what came back (repr) or 'REFUSED' when closed with nothing
  hostile.py counting-echo                    echo server on 127.0.0.1: print its port, echo for 1.5 s after the
                                              first connection, then print how many bytes it received
  hostile.py blocking-echo                    print its port; echo with blocking sendall, reading only when its
                                              writes are done (a peer that writes while it reads), until EOF
  hostile.py binary-frames                    print its port; send three u32be frames (bytes that are not UTF-8,
                                              an embedded newline, plain text) to one client, then close
  hostile.py nonblocking-stdout SOCKSCOPE      run `sockscope listen -k` with a non-blocking pipe as stdout that is
                                              read slowly; send it 4,000,000 bytes; print how many came out
  hostile.py chat PORT NICK...                one chat client per NICK, each sends '/nick NICK' then 'hi from NICK';
                                              prints every line each client received
"""
import socket, sys, time

mode = sys.argv[1]


def one_client(accept_timeout):
    """Listens on a free loopback port, prints it, and returns the first client's socket."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    print(server.getsockname()[1], flush=True)
    server.settimeout(accept_timeout)
    return server.accept()[0]


if mode == "client-from":
    source, port = sys.argv[2], int(sys.argv[3])
    text = sys.argv[4].encode() if len(sys.argv) > 4 else b""
    s = socket.socket()
    s.settimeout(5)
    s.bind((source, 0))
    try:
        s.connect(("127.0.0.1", port))  # a refusal's RST can come before connect() returns
        if text:
            s.sendall(text)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:  # reset, broken pipe, or not connected any more: the server refused us
        data = b""
    print(repr(data) if data else "REFUSED", flush=True)
elif mode == "counting-echo":
    conn = one_client(10)
    conn.settimeout(0.1)
    total, deadline = 0, time.monotonic() + 1.5
    while time.monotonic() < deadline:
        try:
            data = conn.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        total += len(data)
        try:
            conn.sendall(data)
        except OSError:
            break
    print(total, flush=True)
elif mode == "blocking-echo":
    conn = one_client(30)
    conn.settimeout(60)
    while True:
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(data)
    conn.close()
elif mode == "binary-frames":
    import struct
    conn = one_client(30)
    for message in (b"\xff\xfe\x00ok\x80", b"two\nlines", b"plain"):
        conn.sendall(struct.pack(">I", len(message)) + message)
    conn.close()
elif mode == "nonblocking-stdout":
    import fcntl, os, subprocess
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETFL, fcntl.fcntl(write_end, fcntl.F_GETFL) | os.O_NONBLOCK)
    proc = subprocess.Popen([sys.argv[2], "listen", "-k", "127.0.0.1", "0"], stdin=subprocess.DEVNULL,
                            stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    line = proc.stderr.readline().decode()
    port = int(line.rsplit(":", 1)[1].split()[0])
    import threading

    def send():
        c = socket.create_connection(("127.0.0.1", port), timeout=30)
        c.sendall(b"y" * 4_000_000)
        c.close()

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    time.sleep(1)  # let the pipe fill: the server meets EAGAIN on its stdout
    total, deadline = 0, time.monotonic() + 20
    os.set_blocking(read_end, False)
    while total < 4_000_000 and time.monotonic() < deadline:
        try:
            data = os.read(read_end, 65536)
        except BlockingIOError:
            time.sleep(0.01)
            continue
        if not data:
            break
        total += len(data)
    proc.kill()
    proc.wait()
    print(total, flush=True)
elif mode == "chat":
    port, nicks = int(sys.argv[2]), sys.argv[3:]
    clients = []
    for nick in nicks:
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        clients.append((nick, c))
        time.sleep(0.2)
    for nick, c in clients:
        c.sendall(("/nick %s\n" % nick).encode())
        time.sleep(0.2)
    for nick, c in clients:
        c.sendall(("hi from %s\n" % nick).encode())
    time.sleep(0.5)
    for nick, c in clients:
        c.settimeout(0.3)
        data = b""
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        for line in data.decode(errors="replace").splitlines():
            print("%s got: %s" % (nick, line), flush=True)
        c.close()
