#!/usr/bin/env python3
"""A network link with delay, for tests and benchmarks on a kernel without netem.

Joins two existing network namespaces through two TUN devices and forwards every
packet between them in user space, holding each for DELAY_MS (one way), so the
round-trip time between the namespaces is twice that.

usage: delay_link.py NS_A ADDR_A NS_B ADDR_B DELAY_MS [LOSS_PERCENT [JITTER_MS [MTU]]]
  ADDR_A and ADDR_B become point-to-point addresses (ADDR_A peer ADDR_B).
  LOSS_PERCENT drops that share of packets at random; JITTER_MS adds up to that much
  random extra delay per packet, so packets overtake each other (reordering).
Prints "ready" when packets flow, then forwards until killed (SIGTERM) or stdin closes.
"""
import collections
import fcntl
import heapq
import os
import random
import select
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def ip(*words):
    subprocess.run(["ip", *words], check=True)


def main():
    ns_a, addr_a, ns_b, addr_b, delay_ms = sys.argv[1:6]
    delay = float(delay_ms) / 1000
    loss = float(sys.argv[6]) / 100 if len(sys.argv) > 6 else 0.0
    jitter = float(sys.argv[7]) / 1000 if len(sys.argv) > 7 else 0.0
    mtu = sys.argv[8] if len(sys.argv) > 8 else None
    tag = str(os.getpid() % 100000)
    name_a, name_b = "dla" + tag, "dlb" + tag
    fd_a, fd_b = open_tun(name_a), open_tun(name_b)
    for name, ns, local, peer in ((name_a, ns_a, addr_a, addr_b), (name_b, ns_b, addr_b, addr_a)):
        ip("link", "set", name, "netns", ns)
        ip("-n", ns, "addr", "add", local, "peer", peer, "dev", name)
        if mtu:
            ip("-n", ns, "link", "set", name, "mtu", mtu)
        ip("-n", ns, "link", "set", name, "up")
    other = {fd_a: fd_b, fd_b: fd_a}
    print("ready", flush=True)
    if jitter:
        forward_jittered(fd_a, fd_b, other, delay, loss, jitter)
    else:
        forward_fifo(fd_a, fd_b, other, delay, loss)


def forward_jittered(fd_a, fd_b, other, delay, loss, jitter):
    """Each packet held its own random time: a heap by due time (packets overtake)."""
    pending = []  # (due, sequence, out_fd, packet)
    sequence = 0
    while True:
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else 1.0
        readable, _, _ = select.select([fd_a, fd_b, sys.stdin.fileno()], [], [], timeout)
        now = time.monotonic()
        for fd in readable:
            if fd == sys.stdin.fileno():
                if not os.read(fd, 4096):
                    return
                continue
            while True:
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    return  # the device went away with its namespace
                if loss and random.random() < loss:
                    continue  # lost on the way
                heapq.heappush(pending, (now + delay + random.uniform(0, jitter), sequence, other[fd], packet))
                sequence += 1
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, out, packet = heapq.heappop(pending)
            write(out, packet)


def forward_fifo(fd_a, fd_b, other, delay, loss):
    """Every packet held the same time: a queue in arrival order (cheaper per packet, so
    the link keeps up with a fast scan)."""
    pending = collections.deque()  # (due, out_fd, packet)
    stdin = sys.stdin.fileno()
    watched = [fd_a, fd_b, stdin]
    read, write_out, monotonic = os.read, write, time.monotonic
    while True:
        timeout = max(0.0, pending[0][0] - monotonic()) if pending else 1.0
        readable, _, _ = select.select(watched, [], [], timeout)
        due = monotonic() + delay
        for fd in readable:
            if fd == stdin:
                if not read(fd, 4096):
                    return
                continue
            out = other[fd]
            while True:
                try:
                    packet = read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    return  # the device went away with its namespace
                if loss and random.random() < loss:
                    continue  # lost on the way
                pending.append((due, out, packet))
        now = monotonic()
        while pending and pending[0][0] <= now:
            _, out, packet = pending.popleft()
            write_out(out, packet)


def write(out, packet):
    try:
        os.write(out, packet)
    except (BlockingIOError, OSError):
        pass  # a full queue drops the packet, as a real link would


if __name__ == "__main__":
    main()
