#!/usr/bin/env python3
"""Writes a pcap (Ethernet, IPv4) of three short TCP conversations that go wrong, for the
tap --read tests, 127.0.0.1 to 127.0.0.2 port 80, a millisecond apart:

  1. from port 40001: a SYN, answered by ICMP "administratively prohibited" (type 3,
     code 13) quoting it — SYN unanswered, with the ICMP error
  2. from port 40002: a SYN and the SYN/ACK, never the last ACK — half-open
  3. from port 40003: data and its ACK with no handshake before — joined mid-stream

tcp_anomalies_pcap.py FILE
"""
import struct
import sys

CLIENT, SERVER = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2])


def checksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip(protocol, source, destination, payload):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, protocol, 0, source, destination)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def tcp(source, destination, sport, dport, flags, seq, ack=0, data=b""):
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return ip(6, source, destination, header + data)


def icmp_unreachable(code, quoted):
    body = struct.pack("!BBHI", 3, code, 0, 0) + quoted[:28]
    return ip(1, SERVER, CLIENT, body[:2] + struct.pack("!H", checksum(body)) + body[4:])


syn = tcp(CLIENT, SERVER, 40001, 80, 0x02, 1000)
packets = [
    syn,
    icmp_unreachable(13, syn),
    tcp(CLIENT, SERVER, 40002, 80, 0x02, 2000),
    tcp(SERVER, CLIENT, 80, 40002, 0x12, 9000, 2001),
    tcp(CLIENT, SERVER, 40003, 80, 0x18, 3000, 7000, b"0123456789"),
    tcp(SERVER, CLIENT, 80, 40003, 0x10, 7000, 3010),
]
data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
for index, packet in enumerate(packets):
    frame = bytes(12) + b"\x08\x00" + packet
    data += struct.pack("<IIII", 1700000000, index * 1000, len(frame), len(frame)) + frame
open(sys.argv[1], "wb").write(data)
