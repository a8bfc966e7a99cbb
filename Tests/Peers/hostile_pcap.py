#!/usr/bin/env python3
"""Writes pcaps that have broken readers, for the tap --read tests (127.0.0.1 to
127.0.0.2 port 80, Ethernet, microsecond stamps).

  hostile_pcap.py backwards FILE   a whole conversation (handshake, data each way, FIN
                                   each way) whose third packet is stamped 500 µs before
                                   the second, and whose last is stamped before the first
  hostile_pcap.py extremes FILE    stamps at 0 s, at 2^32-1 s, with 999,999 µs; lengths
                                   of 0 captured bytes and a 65,535-byte claimed length
  hostile_pcap.py cut FILE         a data segment cut by a 54-byte snap length (the TCP
                                   header whole, no payload), then one cut inside the TCP
                                   header, then a packet whose IPv4 header length is 4
                                   words (less than the 5 of a header with no options)
  hostile_pcap.py syns N FILE      N SYNs from distinct source ports, none answered (a SYN
                                   scan or flood), a microsecond apart
"""
import struct
import sys

from pcap_build import CLIENT, SERVER, ip, pcap, tcp

mode = sys.argv[1]
base = 1700000000
if mode == "backwards":
    packets = [
        tcp(CLIENT, SERVER, 40010, 80, 0x02, 1000),
        tcp(SERVER, CLIENT, 80, 40010, 0x12, 5000, 1001),
        tcp(CLIENT, SERVER, 40010, 80, 0x10, 1001, 5001),
        tcp(CLIENT, SERVER, 40010, 80, 0x18, 1001, 5001, b"hello"),
        tcp(SERVER, CLIENT, 80, 40010, 0x18, 5001, 1006, b"world"),
        tcp(CLIENT, SERVER, 40010, 80, 0x11, 1006, 5006),
        tcp(SERVER, CLIENT, 80, 40010, 0x11, 5006, 1007),
        tcp(CLIENT, SERVER, 40010, 80, 0x10, 1007, 5007),
    ]
    stamps = [(base, 2000), (base, 3000), (base, 2500), (base, 4000), (base, 5000), (base, 6000), (base, 7000), (base, 1000)]
    records = [(s, u, p) for (s, u), p in zip(stamps, packets)]
    path = sys.argv[2]
elif mode == "extremes":
    records = [
        (0, 0, tcp(CLIENT, SERVER, 40020, 80, 0x02, 1)),
        (0xFFFFFFFF, 999999, tcp(SERVER, CLIENT, 80, 40020, 0x12, 7, 2)),
        (1, 0, tcp(CLIENT, SERVER, 40020, 80, 0x10, 2, 8), 0),
        (base, 999999, tcp(CLIENT, SERVER, 40020, 80, 0x18, 2, 8, bytes(1000))),
    ]
    path = sys.argv[2]
elif mode == "cut":
    segment = tcp(CLIENT, SERVER, 40030, 80, 0x18, 1, 1, b"x" * 100)
    records = [
        (base, 0, segment, 54),  # Ethernet 14 + IPv4 20 + TCP 20: no payload captured
        (base, 1000, segment, 44),  # ten bytes of the TCP header only
        (base, 2000, ip(6, CLIENT, SERVER, segment[20:], version_ihl=0x44)),  # IHL 4 words
    ]
    path = sys.argv[2]
elif mode == "syns":
    count = int(sys.argv[2])
    path = sys.argv[3]
    with open(path, "wb") as f:
        f.write(pcap([]))
        for index in range(count):
            port = 1024 + index % 64000
            source = bytes([10, (index >> 16) & 255, (index >> 8) & 255, index & 255])
            packet = tcp(source, SERVER, port, 80, 0x02, index)
            f.write(pcap([(base + index // 1000000, index % 1000000, packet)])[24:])
    sys.exit(0)
else:
    sys.exit("unknown mode " + mode)
open(path, "wb").write(pcap(records))
