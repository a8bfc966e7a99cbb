#!/usr/bin/env bash
# TLS throughput on loopback, in one run, interleaved run by run: SIZE bytes from a
# sparse file through a TLS 1.3 connection (TLS_AES_128_GCM_SHA256, an EC P-256
# certificate from Tests/Peers/make_certs.sh) — sockscope listen --tls --recv-only ←
# sockscope connect --tls --send-only; socat OPENSSL-LISTEN ← socat OPENSSL; ncat -l
# --ssl --recv-only ← ncat --ssl --send-only. Each server writes to /dev/null. Prints
# each tool's median MB/s and sockscope's ratio to it.
# (ncat does not verify: it checks only DNS names, and the server here is an address;
# verification is a one-time cost, nothing against a gigabyte.)
#
# usage: bench/tls.sh [SIZE (default 1G)] [RUNS (default 5)]
# needs: a release build, socat, ncat, openssl, python3
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1G}
RUNS=${2:-5}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
source bench/transfer-common.sh
mkdir -p "$WORK/certs" && sh Tests/Peers/make_certs.sh "$WORK/certs"
C=$WORK/certs
SUITE=TLS_AES_128_GCM_SHA256
# ncat has no option for TLS 1.3 suites: every tool gets the suite from the same
# OpenSSL configuration file too, so all three use the same cipher.
cat > "$WORK/openssl.cnf" <<EOF
openssl_conf = sockscope_bench
[sockscope_bench]
ssl_conf = ssl_section
[ssl_section]
system_default = system_default_section
[system_default_section]
Ciphersuites = $SUITE
MinProtocol = TLSv1.3
EOF
export OPENSSL_CONF=$WORK/openssl.cnf

# run TOOL → nanoseconds for one transfer of the input, from the client's start to the server's exit
run() {
  local tool=$1 port start server
  port=$(free_port)
  case "$tool" in
    sockscope) "$BIN" listen --tls --cert "$C/leaf.pem" --key "$C/leaf.key" --tls-min 1.3 --ciphers "$SUITE" --recv-only 127.0.0.1 "$port" > /dev/null < /dev/null & ;;
    socat) socat -u "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,cert=$C/leaf.pem,key=$C/leaf.key,verify=0" - > /dev/null & ;;
    ncat) ncat -l --ssl --ssl-cert "$C/leaf.pem" --ssl-key "$C/leaf.key" --recv-only 127.0.0.1 "$port" > /dev/null < /dev/null & ;;
  esac
  server=$!
  wait_for tcp "$port"
  start=$(now)
  case "$tool" in
    sockscope) "$BIN" connect --tls --ca-file "$C/ca.pem" --tls-min 1.3 --ciphers "$SUITE" --send-only 127.0.0.1 "$port" < "$WORK/input" ;;
    socat) socat -u - "OPENSSL:127.0.0.1:$port,cafile=$C/ca.pem" < "$WORK/input" ;;
    ncat) ncat --ssl --send-only 127.0.0.1 "$port" < "$WORK/input" ;;
  esac
  wait "$server"
  echo $(( $(now) - start ))
}

tools=(sockscope socat ncat)
for round in $(seq 1 "$RUNS"); do
  for tool in "${tools[@]}"; do run "$tool" >> "$WORK/$tool.ns"; done
  echo "round $round/$RUNS done" >&2
done
ours=$(median_mbps "$WORK/sockscope.ns")
echo "TLS 1.3 ($SUITE), $SIZE, median of $RUNS:"
for tool in "${tools[@]}"; do
  mbps=$(median_mbps "$WORK/$tool.ns")
  awk -v t="$tool" -v m="$mbps" -v o="$ours" 'BEGIN { printf "  %-10s %6d MB/s   sockscope ×%.2f\n", t, m, o / m }'
done
