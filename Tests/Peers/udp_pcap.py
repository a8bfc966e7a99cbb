#!/usr/bin/env python3
"""Writes a pcap of UDP datagrams (Ethernet, IPv4, UDP) for the tap --read tests.

udp_pcap.py FILE SPEC...   each SPEC is SRCPORT:DSTPORT:LENGTH, a datagram from
127.0.0.1:SRCPORT to 127.0.0.1:DSTPORT carrying LENGTH zero bytes, a millisecond apart.
"""
import struct
import sys


def checksum(header):
    total = sum(struct.unpack("!10H", header))
    total = (total & 0xFFFF) + (total >> 16)
    return ~(total + (total >> 16)) & 0xFFFF


def datagram(source_port, destination_port, length):
    udp = struct.pack("!HHHH", source_port, destination_port, 8 + length, 0) + bytes(length)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return bytes(12) + b"\x08\x00" + ip + udp


data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
for index, spec in enumerate(sys.argv[2:]):
    source, destination, length = (int(part) for part in spec.split(":"))
    frame = datagram(source, destination, length)
    data += struct.pack("<IIII", 1700000000, index * 1000, len(frame), len(frame)) + frame
open(sys.argv[1], "wb").write(data)
