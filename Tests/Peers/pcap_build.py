"""Builds pcap files by hand for the tap --read tests: IPv4 headers with their checksum,
TCP segments, ICMP errors, and the file itself (Ethernet frames, microsecond stamps).
Imported by tcp_anomalies_pcap.py and hostile_pcap.py."""
import struct

CLIENT, SERVER = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2])


def checksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip(protocol, source, destination, payload, version_ihl=0x45):
    header = struct.pack("!BBHHHBBH4s4s", version_ihl, 0, 20 + len(payload), 0, 0x4000, 64, protocol, 0, source, destination)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def tcp(source, destination, sport, dport, flags, seq, ack=0, data=b""):
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return ip(6, source, destination, header + data)


def icmp_unreachable(code, quoted):
    body = struct.pack("!BBHI", 3, code, 0, 0) + quoted[:28]
    return ip(1, SERVER, CLIENT, body[:2] + struct.pack("!H", checksum(body)) + body[4:])


def pcap(records, snaplen=65535):
    """records: (seconds, microseconds, ip_packet[, captured_length]) — each packet in
    an Ethernet frame, cut to captured_length bytes of frame when given."""
    data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1)
    for record in records:
        seconds, microseconds, packet = record[:3]
        frame = bytes(12) + b"\x08\x00" + packet
        captured = frame[: record[3]] if len(record) > 3 else frame
        data += struct.pack("<IIII", seconds, microseconds, len(captured), len(frame)) + captured
    return data
