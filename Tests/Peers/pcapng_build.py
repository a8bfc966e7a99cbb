"""Writes a pcapng file by hand for tap --read: another tool's file, in the byte order
asked for, with packet comments where tshark shows them (enhanced, obsolete and simple
packet blocks, a name resolution block and a statistics block between them, a second
section), so sockscope's reading of the comments can be checked against tshark's.

usage: pcapng_build.py OUT big|little"""
import struct
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from pcap_build import CLIENT, SERVER, tcp  # noqa: E402

order = ">" if sys.argv[2] == "big" else "<"


def pad(data):
    return data + bytes(-len(data) % 4)


def options(pairs):
    if not pairs:
        return b""
    body = b"".join(struct.pack(order + "HH", code, len(value)) + pad(value) for code, value in pairs)
    return body + struct.pack(order + "HH", 0, 0)


def block(kind, body):
    total = 12 + len(body)
    return struct.pack(order + "II", kind, total) + body + struct.pack(order + "I", total)


def section(comment):
    body = struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1) + options([(1, comment.encode()), (4, b"hand-made")])
    return block(0x0A0D0D0A, body)


def interface():
    return block(1, struct.pack(order + "HHI", 1, 0, 65535) + options([(2, b"eth9")]))


def frame(packet):
    return bytes(12) + b"\x08\x00" + packet


def enhanced(micros, packet, comment=None):
    data = frame(packet)
    body = struct.pack(order + "IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, len(data), len(data)) + pad(data)
    return block(6, body + options([(1, comment.encode())] if comment else []))


def obsolete(micros, packet, comment):
    data = frame(packet)
    body = struct.pack(order + "HHIIII", 0, 0, micros >> 32, micros & 0xFFFFFFFF, len(data), len(data)) + pad(data)
    return block(2, body + options([(1, comment.encode())]))


def simple(packet):
    data = frame(packet)
    return block(3, struct.pack(order + "I", len(data)) + pad(data))


start = 1_700_000_000_000_000
port = 40000
out = section("made by hand") + interface()
out += enhanced(start, tcp(CLIENT, SERVER, port, 80, 0x02, 100), "SYN from the hand-made client")
out += block(4, struct.pack(order + "HH", 0, 0))  # an empty name resolution block
out += enhanced(start + 10, tcp(SERVER, CLIENT, 80, port, 0x12, 500, 101))
out += obsolete(start + 20, tcp(CLIENT, SERVER, port, 80, 0x10, 101, 501), "an obsolete packet block's comment")
out += simple(tcp(CLIENT, SERVER, port, 80, 0x18, 101, 501, b"hello"))
out += block(5, struct.pack(order + "III", 0, start >> 32, start & 0xFFFFFFFF))  # interface statistics
out += section("a second section") + interface()
out += enhanced(start + 40, tcp(SERVER, CLIENT, 80, port, 0x11, 501, 106), "escape \x1b[31m and\na newline")
out += enhanced(start + 50, tcp(CLIENT, SERVER, port, 80, 0x11, 106, 502))
open(sys.argv[1], "wb").write(out)
