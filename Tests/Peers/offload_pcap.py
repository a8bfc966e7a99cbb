#!/usr/bin/env python3
"""Writes the captures tap --read must read as tshark does, into DIRECTORY:
  vlan.pcap    a TCP conversation in 802.1Q-tagged frames and another in QinQ (802.1ad
               outer, 802.1Q inner) frames, with data both ways
  tso.pcap     a TCP conversation whose data segments are TSO/GRO super-packets: IPv4 total
               length 0, 3000 to 9000 bytes of payload in one frame
  jumbo6.pcap  an IPv6 TCP conversation with 70,000- and 66,000-byte segments as RFC 2675
               jumbograms (payload length 0, hop-by-hop Jumbo Payload option)
  bigtcp6.pcap the same as Linux BIG TCP captures them: payload length 0 and no hop-by-hop
               header (tshark 4.0 does not decode these; the lengths are the frames')
  lying.pcap   a conversation where one 66-byte frame's IPv4 header claims 820 bytes (the
               wire carried 66: the header lies) and another frame was cut by the snap length
               to 54 bytes of its 854 (the header is right)
  vxlan.pcap, geneve.pcap, gre.pcap, ip6gre.pcap
               TCP conversations inside tunnels, as tshark decodes them: VXLAN (UDP 4789,
               Ethernet inside; IPv4 and IPv6), Geneve (UDP 6081, with an option; Ethernet
               and bare IPv4 inside), GRE over IPv4 (checksum, key and sequence number
               present; IPv4 inside, and Ethernet as gretap sends) and GRE over IPv6 (IPv4
               and IPv6 inside)
  nested.pcap  a TCP packet inside 12 GRE headers (a hostile nesting), then a plain conversation
  ppp.pcap, ppp_hdlc.pcap, ipoib.pcap
               a TCP conversation on link types 9 (PPP: the address and control bytes left
               out on the server's frames, as a compressing peer sends), 50 (PPP in HDLC-like
               framing) and 242 (IP over InfiniBand: 40 bytes, then the EtherType), IPv4 and IPv6
usage: offload_pcap.py DIRECTORY"""
import os
import struct
import sys

from pcap_build import checksum

A4, B4 = bytes([10, 90, 0, 1]), bytes([10, 90, 0, 2])
A6 = bytes.fromhex("fd000000000000000000000000000001")
B6 = bytes.fromhex("fd000000000000000000000000000002")


def tcp_header(sport, dport, flags, seq, ack):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)


def ipv4(source, destination, payload, zero_length=False):
    length = 0 if zero_length else 20 + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, 0, 0x4000, 64, 6, 0, source, destination)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def ipv6(source, destination, payload, jumbo=None):
    if jumbo is None:
        return struct.pack("!IHBB", 6 << 28, len(payload), 6, 64) + source + destination + payload
    if jumbo == "hop-by-hop":  # next header 6; Jumbo Payload option (0xC2, 4 bytes) fills the 8
        hop = struct.pack("!BBBBI", 6, 0, 0xC2, 4, 8 + len(payload))
        return struct.pack("!IHBB", 6 << 28, 0, 0, 64) + source + destination + hop + payload
    return struct.pack("!IHBB", 6 << 28, 0, 6, 64) + source + destination + payload  # BIG TCP


def conversation(make_ip, source, destination, sport, sizes):
    """A handshake, data segments of `sizes` (positive: client → server, negative: back),
    then FINs; yields (from client, ip packet, payload size)."""
    c, s = 1000, 5000
    yield True, make_ip(source, destination, tcp_header(sport, 80, 0x02, c, 0), 0), 0
    yield False, make_ip(destination, source, tcp_header(80, sport, 0x12, s, c + 1), 0), 0
    yield True, make_ip(source, destination, tcp_header(sport, 80, 0x10, c + 1, s + 1), 0), 0
    c, s = c + 1, s + 1
    for size in sizes:
        data = bytes([0x61 + abs(size) % 26]) * abs(size)
        if size > 0:
            yield True, make_ip(source, destination, tcp_header(sport, 80, 0x18, c, s) + data, size), size
            c += size
        else:
            yield False, make_ip(destination, source, tcp_header(80, sport, 0x18, s, c) + data, -size), -size
            s += -size
    yield True, make_ip(source, destination, tcp_header(sport, 80, 0x11, c, s), 0), 0
    yield False, make_ip(destination, source, tcp_header(80, sport, 0x11, s, c + 1), 0), 0
    yield True, make_ip(source, destination, tcp_header(sport, 80, 0x10, c + 1, s + 1), 0), 0


OUTER4 = (bytes([192, 168, 7, 1]), bytes([192, 168, 7, 2]))
OUTER6 = (bytes.fromhex("fd070000000000000000000000000001"), bytes.fromhex("fd070000000000000000000000000002"))


def outer(proto, payload, version=4):
    if version == 6:
        return struct.pack("!IHBB", 6 << 28, len(payload), proto, 64) + OUTER6[0] + OUTER6[1] + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0, *OUTER4)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def gre(ether_type, payload, key=None, with_checksum=False, sequence=None):
    flags = (0x8000 if with_checksum else 0) | (0x2000 if key is not None else 0) | (0x1000 if sequence is not None else 0)
    header = struct.pack("!HH", flags, ether_type)
    if with_checksum:
        header += struct.pack("!HH", 0, 0)
    if key is not None:
        header += struct.pack("!I", key)
    if sequence is not None:
        header += struct.pack("!I", sequence)
    return header + payload


def tunnels(directory):
    v4 = lambda source, destination, segment, size: ipv4(source, destination, segment)
    v6 = lambda source, destination, segment, size: ipv6(source, destination, segment)
    vxlan = lambda frame: outer(17, udp(51000, 4789, struct.pack("!BBHI", 0x08, 0, 0, 42 << 8) + frame))
    frames = [ethernet(0x0800, vxlan(ethernet(0x0800, p))) for _, p, _ in conversation(v4, A4, B4, 40010, [300, -1200])]
    frames += [ethernet(0x0800, vxlan(ethernet(0x86DD, p))) for _, p, _ in conversation(v6, A6, B6, 40011, [64, -900])]
    write(os.path.join(directory, "vxlan.pcap"), frames)
    option = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\x00\x00\x00\x07"  # class, type, length 1 word, data
    geneve = lambda kind, inner: outer(17, udp(52000, 6081, struct.pack("!BBHI", len(option) // 4, 0, kind, 7 << 8) + option + inner))
    frames = [ethernet(0x0800, geneve(0x6558, ethernet(0x0800, p))) for _, p, _ in conversation(v4, A4, B4, 40012, [500, -40])]
    frames += [ethernet(0x0800, geneve(0x0800, p)) for _, p, _ in conversation(v4, A4, B4, 40013, [20, -3000])]
    write(os.path.join(directory, "geneve.pcap"), frames)
    frames = [ethernet(0x0800, outer(47, gre(0x0800, p, key=5, with_checksum=True, sequence=n))) for n, (_, p, _) in enumerate(conversation(v4, A4, B4, 40014, [100, -700]))]
    frames += [ethernet(0x0800, outer(47, gre(0x6558, ethernet(0x0800, p), key=9))) for _, p, _ in conversation(v4, A4, B4, 40015, [900, -10])]
    write(os.path.join(directory, "gre.pcap"), frames)
    frames = [ethernet(0x86DD, outer(47, gre(0x0800, p), version=6)) for _, p, _ in conversation(v4, A4, B4, 40016, [33, -333])]
    frames += [ethernet(0x86DD, outer(47, gre(0x86DD, p), version=6)) for _, p, _ in conversation(v6, A6, B6, 40017, [444, -44])]
    write(os.path.join(directory, "ip6gre.pcap"), frames)
    deep = next(conversation(v4, A4, B4, 40018, []))[1]
    for _ in range(12):
        deep = outer(47, gre(0x0800, deep))
    frames = [ethernet(0x0800, deep)] + [ethernet(0x0800, p) for _, p, _ in conversation(v4, A4, B4, 40019, [10, -10])]
    write(os.path.join(directory, "nested.pcap"), frames)


def write(path, frames, snaplen=262144, linktype=1):
    data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for number, frame in enumerate(frames):
        frame, wire = frame if isinstance(frame, tuple) else (frame, len(frame))  # (kept bytes, length on the wire)
        data += struct.pack("<IIII", 1000 + number // 10, (number % 10) * 1000, len(frame), wire) + frame
    with open(path, "wb") as out:
        out.write(data)


def ethernet(ether_type, payload, tags=()):
    header = bytes(12)
    for tpid, vid in tags:
        header += struct.pack("!HH", tpid, vid)
    return header + struct.pack("!H", ether_type) + payload


def main():
    directory = sys.argv[1]
    v4 = lambda source, destination, segment, size: ipv4(source, destination, segment)
    frames = [ethernet(0x0800, packet, [(0x8100, 100)]) for _, packet, _ in conversation(v4, A4, B4, 40001, [300, -1200, 50])]
    frames += [ethernet(0x0800, packet, [(0x88A8, 7), (0x8100, 200)]) for _, packet, _ in conversation(v4, A4, B4, 40002, [700, -90])]
    write(os.path.join(directory, "vlan.pcap"), frames)
    tso = lambda source, destination, segment, size: ipv4(source, destination, segment, zero_length=size > 0)
    write(os.path.join(directory, "tso.pcap"), [ethernet(0x0800, p) for _, p, _ in conversation(tso, A4, B4, 40003, [3000, -9000, 4500])])
    hop = lambda source, destination, segment, size: ipv6(source, destination, segment, "hop-by-hop" if size > 0 else None)
    big = lambda source, destination, segment, size: ipv6(source, destination, segment, "big-tcp" if size > 0 else None)
    frames = [ethernet(0x86DD, p) for _, p, _ in conversation(hop, A6, B6, 40004, [70000, -66000])]
    write(os.path.join(directory, "jumbo6.pcap"), frames)
    plain4 = lambda source, destination, segment, size: ipv4(source, destination, segment)
    frames = []
    for client, packet, size in conversation(plain4, A4, B4, 40008, [12, 800, -40]):
        frame = ethernet(0x0800, packet)
        if size == 12:  # the header claims 820 bytes; the wire had 66
            frame = frame[:16] + struct.pack("!H", 820) + frame[18:]
        elif size == 800:  # kept to the headers, by a snap length of 54
            frame = (frame[:54], len(frame))
        frames.append(frame)
    write(os.path.join(directory, "lying.pcap"), frames)
    plain6 = lambda source, destination, segment, size: ipv6(source, destination, segment)
    for name, linktype, head4, head6 in [
        ("ppp", 9, lambda client: (b"\xff\x03" if client else b"") + b"\x00\x21", lambda client: b"\xff\x03\x00\x57"),
        ("ppp_hdlc", 50, lambda client: b"\xff\x03\x00\x21", lambda client: b"\xff\x03\x00\x57"),
        ("ipoib", 242, lambda client: bytes(40) + b"\x08\x00\x00\x00", lambda client: bytes(40) + b"\x86\xdd\x00\x00"),
    ]:
        frames = [head4(client) + p for client, p, _ in conversation(plain4, A4, B4, 40006, [500, -1500])]
        frames += [head6(client) + p for client, p, _ in conversation(plain6, A6, B6, 40007, [64, -4000])]
        write(os.path.join(directory, name + ".pcap"), frames, linktype=linktype)
    tunnels(directory)
    write(os.path.join(directory, "bigtcp6.pcap"), [ethernet(0x86DD, p) for _, p, _ in conversation(big, A6, B6, 40005, [80000, -5000])])


main()
