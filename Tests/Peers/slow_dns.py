#!/usr/bin/env python3
"""A DNS server that never answers, and `sockscope proxy` serving an open tunnel while a
client asks it for a name: run inside a lookup sandbox of its own network namespace
(resolv.conf: nameserver 127.0.0.1), as root.

slow_dns.py SOCKSCOPE
Starts a silent DNS server on 127.0.0.1:53 (UDP; TCP port 53 is closed), an echo
server, and `sockscope proxy -w 3`; opens a SOCKS5 tunnel to the echo server by address
and sends a line every 50 ms; after 0.3 s a second client asks the proxy (SOCKS5) for
the name slow.test. Prints:
  queries N            DNS queries the silent server saw
  max_rtt_ms X         the slowest echo through the open tunnel while the lookup hung
  echoes N             how many echoes came back
  name_reply R T       the SOCKS5 reply code for slow.test and the seconds it took
Every process started is killed by its PID; every wait is bounded.
"""
import os, re, select, signal, socket, struct, subprocess, sys, threading, time

SOCKSCOPE = sys.argv[1]
started = []
try:
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", 53))
    queries = [0]

    def silent():
        while True:
            try:
                dns.recvfrom(4096)
                queries[0] += 1
            except OSError:
                return

    threading.Thread(target=silent, daemon=True).start()

    echo = socket.socket()
    echo.bind(("127.0.0.1", 0))
    echo.listen(8)

    def serve_echo():
        while True:
            try:
                conn, _ = echo.accept()
            except OSError:
                return

            def one(c):
                while data := c.recv(4096):
                    c.sendall(data)

            threading.Thread(target=one, args=(conn,), daemon=True).start()

    threading.Thread(target=serve_echo, daemon=True).start()

    proxy = subprocess.Popen([SOCKSCOPE, "proxy", "-w", "3", "127.0.0.1", "0"], stderr=subprocess.PIPE, start_new_session=True)
    started.append(proxy)
    line = b""
    deadline = time.monotonic() + 10
    while b"listening on" not in line and time.monotonic() < deadline:
        line += proxy.stderr.readline()
    port = int(re.search(rb":(\d+)", line.split(b"listening on")[1]).group(1))

    def socks5(address_bytes, port_number):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"\x05\x01\x00")
        s.recv(2)
        s.sendall(b"\x05\x01\x00" + address_bytes + struct.pack("!H", port_number))
        return s

    tunnel = socks5(b"\x01" + socket.inet_aton("127.0.0.1"), echo.getsockname()[1])
    reply = tunnel.recv(10)
    assert reply[1] == 0, reply
    result = {}

    def ask_name():
        time.sleep(0.3)
        began = time.monotonic()
        s = socks5(b"\x03" + bytes([len(b"slow.test")]) + b"slow.test", 80)
        s.settimeout(15)
        answer = s.recv(10)
        result["name"] = (answer[1] if len(answer) > 1 else -1, time.monotonic() - began)

    asker = threading.Thread(target=ask_name)
    asker.start()
    rtts = []
    end = time.monotonic() + 2.5
    while time.monotonic() < end:
        sent = time.monotonic()
        tunnel.sendall(b"ping\n")
        ready, _, _ = select.select([tunnel], [], [], 5)
        if not ready:
            rtts.append(5.0)
            break
        tunnel.recv(100)
        rtts.append(time.monotonic() - sent)
        time.sleep(0.05)
    asker.join(15)
    print("queries", queries[0])
    print("max_rtt_ms %.1f" % (max(rtts) * 1000))
    print("echoes", len(rtts))
    code, took = result.get("name", (-1, -1))
    print("name_reply %d %.2f" % (code, took), flush=True)
finally:
    for p in started:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
