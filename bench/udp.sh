#!/usr/bin/env bash
# UDP on loopback: COUNT datagrams of SIZE bytes from a file, sender and receiver of
# each tool (default socket buffers for all), in one run:
#   sockscope send --size SIZE → sockscope recv --raw
#   socat -b SIZE -u OPEN:file UDP-SENDTO → socat -u -T 1 UDP-RECV
#   nc -u (OpenBSD) → nc -u -l   (nc merges stdin into larger datagrams; its count is what arrived)
# Prints datagrams/s sent (by the sender's wall time), received (datagrams that
# arrived, over the same time), and lost. Medians of RUNS runs.
# usage: bench/udp.sh [RUNS (default 3)]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; kill $(jobs -p) 2>/dev/null || true' EXIT

free_port() { python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s%N; }

one_run() {  # tool size count → "sent_ns received_bytes"
  local tool=$1 size=$2 count=$3 port; port=$(free_port)
  local input="$WORK/input-$size" out="$WORK/out"
  : > "$out"
  case $tool in
    sockscope)
      "$BIN" recv --raw --idle-timeout 1 127.0.0.1 "$port" > "$out" 2>/dev/null & local receiver=$!
      sleep 0.2; local start=$(now)
      "$BIN" send --size "$size" 127.0.0.1 "$port" < "$input"
      local sent=$(( $(now) - start )); wait "$receiver" || true ;;
    socat)
      socat -u -T 1 "UDP-RECV:$port,bind=127.0.0.1" - > "$out" 2>/dev/null & local receiver=$!
      sleep 0.2; local start=$(now)
      socat -b "$size" -u "OPEN:$input" "UDP-SENDTO:127.0.0.1:$port"
      local sent=$(( $(now) - start )); wait "$receiver" || true ;;
    nc)
      nc -u -l 127.0.0.1 "$port" > "$out" 2>/dev/null & local receiver=$!
      sleep 0.2; local start=$(now)
      nc -u -w 0 127.0.0.1 "$port" < "$input" || true
      local sent=$(( $(now) - start )); sleep 1; kill "$receiver" 2>/dev/null || true; wait "$receiver" 2>/dev/null || true ;;
  esac
  echo "$sent $(stat -c %s "$out")"
}

report() {  # size count
  local size=$1 count=$2
  head -c $(( size * count )) /dev/urandom > "$WORK/input-$size"
  printf "\n%d datagrams of %d bytes (median of %d runs)\n" "$count" "$size" "$RUNS"
  printf "%-10s %12s %12s %10s %10s\n" tool "sent/s" "received/s" lost "loss %"
  for tool in sockscope socat nc; do
    : > "$WORK/$tool.runs"
    for _ in $(seq 1 "$RUNS"); do one_run "$tool" "$size" "$count" >> "$WORK/$tool.runs"; done
    sort -n "$WORK/$tool.runs" | awk -v n="$count" -v size="$size" -v tool="$tool" '
      { t[NR] = $1; b[NR] = $2 }
      END { m = int((NR + 1) / 2); secs = t[m] / 1e9; got = int(b[m] / size)
            printf "%-10s %12.0f %12.0f %10d %9.2f%%\n", tool, n / secs, got / secs, n - got, 100 * (n - got) / n }'
  done
}

report 64 200000
report 1400 100000
echo
echo "nc merges its input into datagrams of up to 16 KiB, so its rows count SIZE-byte equivalents, not datagrams."
