#!/usr/bin/env python3
"""A TLS client made with Python's ssl module, for sockscope's TLS tests.

tls_client.py HOST PORT MESSAGE [--ca FILE] [--cert FILE --key FILE] [--version 1.2|1.3]
Sends MESSAGE, reads back as many bytes (or to the end), prints them on stdout, and on
stderr the version and the SHA-256 fingerprint of the server's certificate (AB:CD:…).
Without --ca the server is not verified. Exit 2 when the handshake or read fails.
"""
import hashlib
import socket
import ssl
import sys


def main():
    host, port, message = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
    options = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if "--ca" in options:
        context.load_verify_locations(options["--ca"])
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if "--cert" in options:
        context.load_cert_chain(options["--cert"], options.get("--key"))
    version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}.get(options.get("--version", ""))
    if version:
        context.minimum_version = context.maximum_version = version
    try:
        with socket.create_connection((host, port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                fingerprint = hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest().upper()
                print(tls.version(), ":".join(fingerprint[i:i + 2] for i in range(0, 64, 2)), file=sys.stderr)
                tls.sendall(message)
                received = b""
                while len(received) < len(message):
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                sys.stdout.write(received.decode(errors="replace"))
    except (ssl.SSLError, OSError) as error:
        print(f"tls_client: {error}", file=sys.stderr)
        sys.exit(2)


main()
