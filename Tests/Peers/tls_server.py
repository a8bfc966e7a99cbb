#!/usr/bin/env python3
"""A one-client TLS server made with Python's ssl module, for sockscope's TLS tests.

tls_server.py CERT KEY [--delay SECONDS] [--pace MS] [--alpn P1,P2] [--version 1.2|1.3]
Binds 127.0.0.1 on a free port and prints it; accepts clients until one completes a
handshake (a port scan's connection, reset at once, is not one); after the delay
(the client's sending meanwhile fills the socket) reads to the end of the stream,
reading 16 KiB at a time with a pause of MS milliseconds after each (--pace: the
socket stays full, so the sender's last records wait for room when its input ends),
then prints on stdout, a line each: "sni NAME" (or "sni -"), "alpn PROTOCOL" (or
"alpn -"), "bytes N", "sha256 HEX", "close_notify yes|no" (no: the TCP stream ended
without it). Exit 2 when the handshake or a read fails, 3 when nobody came in 20 s.
"""
import hashlib
import socket
import ssl
import sys
import time


def main():
    certificate, key = sys.argv[1], sys.argv[2]
    options = dict(zip(sys.argv[3::2], sys.argv[4::2]))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    if "--alpn" in options:
        context.set_alpn_protocols(options["--alpn"].split(","))
    version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}.get(options.get("--version", ""))
    if version:
        context.minimum_version = context.maximum_version = version
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(20)
    print(listener.getsockname()[1], flush=True)
    client = None
    while client is None:
        try:
            raw, _ = listener.accept()
        except socket.timeout:
            sys.exit(3)
        raw.settimeout(20)
        try:
            client = context.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
        except (ssl.SSLError, OSError):
            names.clear()
    try:
        time.sleep(float(options.get("--delay", "0")))
        digest, count, clean = hashlib.sha256(), 0, True
        pace = float(options.get("--pace", "0")) / 1000
        while True:
            if pace:
                time.sleep(pace)
            try:
                chunk = client.recv(1 << 14 if pace else 1 << 16)
            except ssl.SSLEOFError:
                clean = False
                break
            if not chunk:
                break
            digest.update(chunk)
            count += len(chunk)
    except (ssl.SSLError, OSError) as error:
        print(f"failed: {error}", file=sys.stderr)
        sys.exit(2)
    print(f"sni {names[0] or '-' if names else '-'}")
    print(f"alpn {client.selected_alpn_protocol() or '-'}")
    print(f"bytes {count}")
    print(f"sha256 {digest.hexdigest()}")
    print(f"close_notify {'yes' if clean else 'no'}", flush=True)


main()
