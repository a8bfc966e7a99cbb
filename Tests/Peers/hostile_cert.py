#!/usr/bin/env python3
"""Writes a self-signed certificate whose names are hostile text, for the tests that
show certificates: a common name with a NUL inside (bank.example\\0.evil) and an escape
sequence that clears the screen (ESC [2J), an organisation with a newline, and
subjectAltName DNS entries with a newline and an ESC.

hostile_cert.py CERT KEY
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "line one\nforged: line two"),
    x509.NameAttribute(NameOID.COMMON_NAME, "bank.example\x00.evil\x1b[2J"),
])
now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
certificate = (
    x509.CertificateBuilder()
    .subject_name(name)
    .issuer_name(name)
    .public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now)
    .not_valid_after(now + datetime.timedelta(days=3650))
    .add_extension(x509.SubjectAlternativeName([x509.DNSName("a.example\nforged.example"), x509.DNSName("b.example\x1b[2J")]), critical=False)
    .sign(key, hashes.SHA256())
)
open(sys.argv[1], "wb").write(certificate.public_bytes(serialization.Encoding.PEM))
open(sys.argv[2], "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
