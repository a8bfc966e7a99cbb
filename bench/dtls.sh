#!/usr/bin/env bash
# DTLS 1.2 throughput on loopback, in one run, interleaved run by run: SIZE bytes of
# random data (a file, the senders' stdin) through one DTLS association, each receiver
# writing to a file that is checked afterwards (bytes arrived, sha256):
#   sockscope listen -u --tls ← sockscope connect -u --tls --send-only --size 1200
#   sockscope listen -u --tls ← sockscope connect -u --tls --send-only --size 16384
#   openssl s_server -dtls1_2 ← openssl s_client -dtls1_2 (reads its stdin 16 KiB at a
#     time, one record per read: it has no way to send 1,200-byte datagrams from a
#     file, and -max_send_frag 1200 makes its 16 KiB writes fail)
# The same certificate (EC P-256) and OpenSSL's default cipher for it on both sides.
# Rates are bytes over the sender's wall time (its start to its exit); "lost" is what
# did not reach the receiver's file (in /dev/shm). Prints medians and sockscope's ratios.
#
# usage: bench/dtls.sh [SIZE (default 1G)] [RUNS (default 3)]
# needs: a release build, openssl, python3
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1G}
RUNS=${2:-3}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
# In memory (tmpfs): a receiver writing a gigabyte to a disk file stalls in the page
# cache's writeback throttling, and a stalled UDP receiver drops whatever comes meanwhile.
WORK=$(mktemp -d -p /dev/shm)
trap 'rm -rf "$WORK"; kill $(jobs -p) 2>/dev/null || true' EXIT
head -c "$SIZE" /dev/urandom > "$WORK/input"
BYTES=$(stat -c %s "$WORK/input")
EXPECTED=$(sha256sum < "$WORK/input" | cut -d' ' -f1)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" -days 1 2>/dev/null

mkfifo "$WORK/fifo"
exec 7<> "$WORK/fifo"

free_port() { python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s%N; }

run() {  # TOOL → "nanoseconds received_bytes intact(1/0)" for one transfer
  local tool=$1 port start elapsed server
  port=$(free_port)
  : > "$WORK/out"
  case "$tool" in
    sockscope-*)
      "$BIN" listen -u --tls --cert "$WORK/cert.pem" --key "$WORK/key.pem" -i 5 127.0.0.1 "$port" < /dev/null > "$WORK/out" 2>/dev/null &
      server=$!
      sleep 0.3
      start=$(now)
      "$BIN" connect -u --tls --ca-file "$WORK/cert.pem" --send-only --size "${tool#sockscope-}" 127.0.0.1 "$port" < "$WORK/input" 2>/dev/null
      elapsed=$(( $(now) - start ))
      wait "$server" || true ;;
    openssl)
      # Its stdin a FIFO this shell holds open: no end of input, which would end its session.
      openssl s_server -dtls1_2 -accept "127.0.0.1:$port" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -quiet < "$WORK/fifo" > "$WORK/out" 2>/dev/null &
      server=$!
      sleep 0.3
      start=$(now)
      openssl s_client -dtls1_2 -connect "127.0.0.1:$port" -CAfile "$WORK/cert.pem" -quiet -no_ign_eof -nocommands < "$WORK/input" > /dev/null 2>&1
      elapsed=$(( $(now) - start ))
      sleep 1
      kill "$server" 2>/dev/null || true
      wait "$server" 2>/dev/null || true ;;
  esac
  local got intact=0
  got=$(stat -c %s "$WORK/out")
  [ "$(sha256sum < "$WORK/out" | cut -d' ' -f1)" = "$EXPECTED" ] && intact=1
  echo "$elapsed $got $intact"
}

TOOLS="sockscope-1200 sockscope-16384 openssl"
for tool in $TOOLS; do : > "$WORK/$tool"; done
for _ in $(seq 1 "$RUNS"); do
  for tool in $TOOLS; do run "$tool" >> "$WORK/$tool"; done
done

# summary TOOL → "MB/s lost_bytes intact_runs" (median time; worst loss)
summary() {
  sort -n "$WORK/$1" | awk -v bytes="$BYTES" '
    { t[NR] = $1; lost = bytes - $2; if (lost > worst) worst = lost; ok += $3 }
    END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
          printf "%.0f %d %d\n", bytes / (m / 1e9) / 1e6, worst, ok }'
}

printf "DTLS 1.2, %s bytes, medians of %d runs\n" "$BYTES" "$RUNS"
printf "%-28s %10s %16s %14s\n" sender "MB/s" "most lost (B)" "intact runs"
declare -A rate
for tool in $TOOLS; do
  read -r mbps lost ok < <(summary "$tool")
  rate[$tool]=$mbps
  printf "%-28s %10s %16s %11s/%d\n" "$tool" "$mbps" "$lost" "$ok" "$RUNS"
done
awk -v a="${rate[sockscope-1200]}" -v b="${rate[sockscope-16384]}" -v o="${rate[openssl]}" 'BEGIN {
  printf "sockscope (1,200-byte datagrams) / openssl s_client (16 KiB): %.2fx\n", a / o
  printf "sockscope (16 KiB datagrams) / openssl s_client (16 KiB):     %.2fx\n", b / o }'
