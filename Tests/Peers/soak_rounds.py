#!/usr/bin/env python3
"""Rounds of many concurrent connections through a server, and its memory after each.

soak_rounds.py echo-server                      an echo server on 127.0.0.1 (one thread a
                                                client, closing at the client's end): prints its port
soak_rounds.py PID MODE PORT TARGET_PORT ROUNDS CLIENTS [SIZE]
  MODE forward   clients connect to 127.0.0.1:PORT (a forwarder to an echo server)
  MODE socks5    clients ask the SOCKS5 proxy at PORT for 127.0.0.1:TARGET_PORT
  MODE connect   clients ask the HTTP proxy at PORT (HTTP CONNECT) for 127.0.0.1:TARGET_PORT
  MODE echo      clients connect to 127.0.0.1:PORT (listen -k --echo)
Each round opens CLIENTS connections at once, sends SIZE bytes (default 1 KiB) on each, waits for each echo
whole, then closes them all; once the server holds no more descriptors than before the
first round (its side of every connection closed: under CPU load that can take seconds,
and memory measured earlier counts live connections, not a leak; at most 30 s), and after a
0.5 s pause, the server's VmRSS (KiB, from /proc/PID/status) is printed:
"round N rss KIB echoed M fds F of BASELINE". Bounded: 60 s a round.
"""
import os, selectors, socket, struct, sys, threading, time

if sys.argv[1] == "echo-server":
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    print(listener.getsockname()[1], flush=True)

    def serve(conn):
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)

    deadline = time.monotonic() + 600
    listener.settimeout(5)
    while time.monotonic() < deadline:
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
    sys.exit(0)

pid, mode, port, target_port, rounds, clients = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
PAYLOAD = (bytes(range(256)) * 1024)[: int(sys.argv[7]) if len(sys.argv) > 7 else 1024]


def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def descriptors():
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def settle(baseline):
    deadline = time.monotonic() + 30
    while descriptors() > baseline and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    return descriptors()


problems = {}


def one_round():
    selector = selectors.DefaultSelector()
    state = {}
    for _ in range(clients):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        greeting, skip = b"", 0
        if mode == "socks5":
            greeting = b"\x05\x01\x00" + b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", target_port)
            skip = 2 + 10
        elif mode == "connect":
            greeting = b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (target_port, target_port)
            skip = None  # the proxy's answer head, however long: known once its blank line came
        state[s] = {"out": greeting + PAYLOAD, "skip": skip, "got": 0, "head": b""}
        selector.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ)
    echoed = 0
    deadline = time.monotonic() + 60
    while state and time.monotonic() < deadline:
        for key, events in selector.select(1):
            s = key.fileobj
            st = state.get(s)
            if st is None:
                continue
            try:
                if events & selectors.EVENT_WRITE and st["out"]:
                    sent = s.send(st["out"])
                    st["out"] = st["out"][sent:]
                    if not st["out"]:
                        selector.modify(s, selectors.EVENT_READ)
                if events & selectors.EVENT_READ:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("closed early")
                    st["got"] += len(data)
                    if st["skip"] is None:
                        st["head"] += data
                        end = st["head"].find(b"\r\n\r\n")
                        if end < 0:
                            continue
                        if not st["head"].startswith(b"HTTP/1.1 200"):
                            raise OSError("refused: " + st["head"][:40].decode(errors="replace"))
                        st["skip"] = end + 4
                    if st["got"] >= len(PAYLOAD) + st["skip"]:
                        echoed += 1
                        selector.unregister(s)
                        s.close()
                        del state[s]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError as error:
                problems[str(error)] = problems.get(str(error), 0) + 1
                selector.unregister(s)
                s.close()
                del state[s]
    for s in list(state):
        s.close()
    return echoed


baseline = descriptors()
for number in range(1, rounds + 1):
    echoed = one_round()
    fds = settle(baseline)
    print("round %d rss %d echoed %d fds %d of %d" % (number, rss(), echoed, fds, baseline), flush=True)
    if problems:
        print("problems", problems, file=sys.stderr, flush=True)
        problems.clear()
