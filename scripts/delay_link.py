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
    pending = []  # (due, sequence, out_fd, packet)
    sequence = 0
    print("ready", flush=True)
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
                if loss and random.random() < loss:
                    continue  # lost on the way
                extra = random.uniform(0, jitter) if jitter else 0.0
                heapq.heappush(pending, (now + delay + extra, sequence, other[fd], packet))
                sequence += 1
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, out, packet = heapq.heappop(pending)
            try:
                os.write(out, packet)
            except (BlockingIOError, OSError):
                pass  # a full queue drops the packet, as a real link would


if __name__ == "__main__":
    main()
