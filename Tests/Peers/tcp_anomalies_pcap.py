#!/usr/bin/env python3
"""Writes a pcap (Ethernet, IPv4) of three short TCP conversations that go wrong, for the
tap --read tests, 127.0.0.1 to 127.0.0.2 port 80, a millisecond apart:

  1. from port 40001: a SYN, answered by ICMP "administratively prohibited" (type 3,
     code 13) quoting it — SYN unanswered, with the ICMP error
  2. from port 40002: a SYN and the SYN/ACK, never the last ACK — half-open
  3. from port 40003: data and its ACK with no handshake before — joined mid-stream

tcp_anomalies_pcap.py FILE
"""
import sys

from pcap_build import CLIENT, SERVER, icmp_unreachable, pcap, tcp

syn = tcp(CLIENT, SERVER, 40001, 80, 0x02, 1000)
packets = [
    syn,
    icmp_unreachable(13, syn),
    tcp(CLIENT, SERVER, 40002, 80, 0x02, 2000),
    tcp(SERVER, CLIENT, 80, 40002, 0x12, 9000, 2001),
    tcp(CLIENT, SERVER, 40003, 80, 0x18, 3000, 7000, b"0123456789"),
    tcp(SERVER, CLIENT, 80, 40003, 0x10, 7000, 3010),
]
open(sys.argv[1], "wb").write(pcap([(1700000000, index * 1000, packet) for index, packet in enumerate(packets)]))
