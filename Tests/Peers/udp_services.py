#!/usr/bin/env python3
"""Answers probe -u's service requests the way the services do, on 127.0.0.1, for the
services the tests cannot start a real daemon for. Each request is checked against its
specification first; a request that is not what the RFC says gets no answer.

  69    TFTP (RFC 1350): RRQ → ERROR 1 "File not found", sent from a new port (a new TID)
  111   portmapper (RFC 5531, RFC 1833): CALL prog 100000 v2 NULL → accepted, SUCCESS
  137   NetBIOS-NS (RFC 1002): NBSTAT for * → node status with one name, SOCKSCOPE-TEST
  500   IKE (RFC 2408): main-mode SA → informational notify NO-PROPOSAL-CHOSEN (14)
  1900  SSDP (UPnP 1.1): M-SEARCH → HTTP/1.1 200 OK with a SERVER header
  5353  mDNS (RFC 6762): legacy unicast PTR query → a reply with one answer

Prints 'ready', serves for 60 s. usage: udp_services.py
"""
import select
import socket
import struct
import time


def tftp(request, address, sock):
    opcode = struct.unpack("!H", request[:2])[0]
    parts = request[2:].split(b"\0")
    if opcode != 1 or len(parts) < 3 or parts[1].lower() != b"octet":
        return None
    transfer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    transfer.bind(("127.0.0.1", 0))
    transfer.sendto(struct.pack("!HH", 5, 1) + b"File not found\0", address)
    transfer.close()
    return None


def portmapper(request, address, sock):
    xid, kind, rpcvers, program, version, procedure = struct.unpack("!6I", request[:24])
    if kind != 0 or rpcvers != 2 or program != 100000 or version != 2 or procedure != 0:
        return None
    return struct.pack("!6I", xid, 1, 0, 0, 0, 0)


def netbios(request, address, sock):
    if request[12] != 0x20 or request[13:45] != b"CK" + b"A" * 30 or request[46:50] != b"\0\x21\0\x01":
        return None
    name = b"SOCKSCOPE-TEST".ljust(15) + b"\0" + b"\x04\x00"
    answer = request[12:46] + struct.pack("!HHIH", 0x21, 1, 0, 1 + 18 + 46) + b"\x01" + name + b"\0" * 46
    return request[:2] + b"\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00" + answer


def ike(request, address, sock):
    if len(request) < 28 or request[17] != 0x10 or request[18] != 2 or struct.unpack("!I", request[24:28])[0] != len(request):
        return None
    notify = struct.pack("!BBHIBBH", 0, 0, 12, 1, 1, 0, 14)
    header = request[:8] + b"responder" [:8] + bytes([11, 0x10, 5, 0]) + b"\0\0\0\0" + struct.pack("!I", 28 + len(notify))
    return header + notify


def ssdp(request, address, sock):
    if not request.startswith(b"M-SEARCH * HTTP/1.1\r\n") or b'MAN: "ssdp:discover"' not in request:
        return None
    return b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nSERVER: Linux/6.1 UPnP/1.1 sockscope-test/1\r\nST: upnp:rootdevice\r\n\r\n"


def mdns(request, address, sock):
    name = b"\x09_services\x07_dns-sd\x04_udp\x05local\x00"
    if request[4:6] != b"\0\x01" or request[12:12 + len(name)] != name:
        return None
    answer = name + struct.pack("!HHIH", 12, 1, 10, 2) + b"\xc0\x0c"
    return request[:2] + b"\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00" + request[12:12 + len(name) + 4] + answer


handlers = {69: tftp, 111: portmapper, 137: netbios, 500: ike, 1900: ssdp, 5353: mdns}
sockets = {}
for port in handlers:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    sockets[s] = port
print("ready", flush=True)

deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    readable, _, _ = select.select(list(sockets), [], [], 1)
    for s in readable:
        data, address = s.recvfrom(2048)
        try:
            reply = handlers[sockets[s]](data, address, s)
        except (struct.error, IndexError):
            reply = None
        if reply:
            s.sendto(reply, address)
