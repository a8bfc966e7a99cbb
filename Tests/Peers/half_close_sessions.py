#!/usr/bin/env python3
"""A half-close (Ctrl-D) ends only one direction, in the sessions people hold by hand.

    half_close_sessions.py SOCKSCOPE

  terminal-half-close  `listen` and `connect` each with a terminal (a pty) as stdin:
                       Ctrl-D on the client sends FIN; the listener goes on (and says the
                       peer finished sending), what is typed there still reaches the
                       client, and Ctrl-D there ends both with exit 0.
  chat-half-close      `listen --chat` with two clients: one half-closes, and still receives
                       what the other says; nobody is told it left.

Prints `PASS name` or `FAIL name: why` per case; exit 0 when all pass. Every wait is
bounded; every process started is killed by its PID. Loopback only.
"""
import os, pty, re, select, signal, socket, subprocess, sys, termios, time

SOCKSCOPE = sys.argv[1]
STARTED = []


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def start_on_pty(args):
    """Starts args with a new pty as stdin; returns (process, master fd)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    os.close(slave)
    os.set_blocking(p.stdout.fileno(), False)
    os.set_blocking(p.stderr.fileno(), False)
    STARTED.append(p)
    return p, master


def read_until(fd, pattern, timeout=10):
    deadline, seen = time.monotonic() + timeout, b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                break
            seen += chunk
            if re.search(pattern, seen):
                return seen
    raise Failure(f"waited for {pattern!r}, saw {seen!r}")


def eof(master):
    """Ctrl-D at the start of a line: the reader of the terminal gets end of file."""
    os.write(master, bytes([termios.tcgetattr(master)[6][termios.VEOF][0]]))


def terminal_half_close():
    listener, lmaster = start_on_pty([SOCKSCOPE, "listen", "127.0.0.1", "0"])
    port = int(re.search(rb"listening on 127\.0\.0\.1:(\d+)", read_until(listener.stderr.fileno(), rb"listening on \S+:\d+")).group(1))
    client, cmaster = start_on_pty([SOCKSCOPE, "connect", "127.0.0.1", str(port)])
    os.write(cmaster, b"from the client\n")
    read_until(listener.stdout.fileno(), rb"from the client\n")
    eof(cmaster)  # the client's Ctrl-D: FIN to the listener
    read_until(listener.stderr.fileno(), rb"the peer has finished sending")
    time.sleep(0.5)
    check(listener.poll() is None, "the listener ended at the client's Ctrl-D")
    check(client.poll() is None, "the client ended at its own Ctrl-D, before the listener closed")
    os.write(lmaster, b"still heard\n")
    read_until(client.stdout.fileno(), rb"still heard\n")
    eof(lmaster)  # the listener's Ctrl-D: both directions are done
    check(listener.wait(10) == 0, "the listener's exit status")
    check(client.wait(10) == 0, "the client's exit status")


def chat_half_close():
    server = subprocess.Popen([SOCKSCOPE, "listen", "--chat", "127.0.0.1", "0"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    STARTED.append(server)
    os.set_blocking(server.stderr.fileno(), False)
    port = int(re.search(rb":(\d+)", read_until(server.stderr.fileno(), rb"listening on \S+:\d+")).group(1))
    a = socket.create_connection(("127.0.0.1", port), timeout=10)
    read_until(a.fileno(), rb"you are user1")
    b = socket.create_connection(("127.0.0.1", port), timeout=10)
    read_until(b.fileno(), rb"you are user2")
    a.sendall(b"bye for now\n")
    a.shutdown(socket.SHUT_WR)  # Ctrl-D
    read_until(b.fileno(), rb"<user1> bye for now\n")
    time.sleep(0.3)
    b.sendall(b"are you still there?\n")
    seen = read_until(a.fileno(), rb"<user2> are you still there\?\n")
    check(b"has left" not in seen, f"the half-closed client was said to have left: {seen!r}")
    b.setblocking(False)
    time.sleep(0.2)
    try:
        late = b.recv(65536)
    except BlockingIOError:
        late = b""
    check(b"user1 has left" not in late, f"user2 was told user1 left: {late!r}")
    a.close()
    b.close()


status = 0
for name, case in [("terminal-half-close", terminal_half_close), ("chat-half-close", chat_half_close)]:
    try:
        case()
        print("PASS", name, flush=True)
    except (Failure, OSError, subprocess.TimeoutExpired) as error:
        print("FAIL", name + ":", error, flush=True)
        status = 1
    finally:
        for p in STARTED:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        STARTED.clear()
sys.exit(status)
