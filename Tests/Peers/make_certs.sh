#!/bin/sh
# Makes the certificates the TLS tests use, in directory $1: a CA (ca.pem), and signed
# by it a leaf for localhost/127.0.0.1/::1 (leaf), one for another host (wronghost),
# a client (client), one that expired on 2026-11-18 (expired, through `openssl ca`,
# whose -enddate can lie in the past); and a self-signed leaf (self). EC P-256 keys.
set -e
cd "$1"
quiet() { "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; exit 1; }; }
key() { quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"; }
quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=sockscope test CA"
for spec in "leaf localhost DNS:localhost,IP:127.0.0.1,IP:::1" "wronghost other.example DNS:other.example" "client client DNS:client"; do
  set -- $spec
  key "$1" "$2"
  printf 'subjectAltName=%s\n' "$3" > "$1.ext"
  quiet openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days 10 -extfile "$1.ext"
done
key expired localhost
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > expired.ext
mkdir -p db && : > db/index.txt && echo 1000 > db/serial
printf '[ca]\ndefault_ca=t\n[t]\ndatabase=db/index.txt\nnew_certs_dir=db\nserial=db/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n' > ca.cnf
quiet openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem -startdate 20261101000000Z -enddate 20261118000000Z -extfile expired.ext
quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.pem -days 10 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
