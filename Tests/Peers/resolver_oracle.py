#!/usr/bin/env python3
"""Python's socket module as an oracle for `sockscope resolve`.

usage:
  resolver_oracle.py getaddrinfo NAME|- SERVICE|- FAMILY(unspec|inet|inet6) TYPE(0|stream|dgram|raw) FLAGS(comma list of AI_*)
  resolver_oracle.py gethostbyname_ex NAME
  resolver_oracle.py getfqdn
  resolver_oracle.py getnameinfo ADDRESS [NI_NAMEREQD]
Prints one line per result, in the same words sockscope's --json uses.
"""
import socket
import sys

PROTOCOLS = {socket.IPPROTO_TCP: "tcp", socket.IPPROTO_UDP: "udp", 0: "ip"}
TYPES = {socket.SOCK_STREAM: "SOCK_STREAM", socket.SOCK_DGRAM: "SOCK_DGRAM", socket.SOCK_RAW: "SOCK_RAW"}
FAMILIES = {"unspec": socket.AF_UNSPEC, "inet": socket.AF_INET, "inet6": socket.AF_INET6}
TYPE_HINTS = {"0": 0, "stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM, "raw": socket.SOCK_RAW}

mode = sys.argv[1]
try:
    if mode == "getaddrinfo":
        name, service, family, kind, flags = sys.argv[2:7]
        bits = 0
        for flag in filter(None, flags.split(",")):
            bits |= getattr(socket, flag)
        for fam, typ, proto, canon, address in socket.getaddrinfo(
                None if name == "-" else name, None if service == "-" else service,
                FAMILIES[family], TYPE_HINTS[kind], 0, bits):
            print(f"{fam.name} {TYPES.get(typ, typ)} {PROTOCOLS.get(proto, proto)} {address[0]} {address[1]} {canon or '-'}")
    elif mode == "gethostbyname_ex":
        official, aliases, addresses = socket.gethostbyname_ex(sys.argv[2])
        print(official, ",".join(aliases) or "-", ",".join(addresses))
    elif mode == "getfqdn":
        print(socket.gethostname(), socket.getfqdn())
    elif mode == "getnameinfo":
        flags = socket.NI_NAMEREQD if len(sys.argv) > 3 else 0
        print(socket.getnameinfo((sys.argv[2], 0), flags)[0])
except socket.gaierror as error:
    print(f"gaierror {error.errno}")
except socket.herror as error:
    print(f"herror {error.errno}")
