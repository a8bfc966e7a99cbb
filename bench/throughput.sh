#!/usr/bin/env bash
# Loopback TCP throughput: SIZE bytes from /dev/zero through one connection, for
#   sockscope listen ← sockscope connect,  nc -l ← nc -N (OpenBSD),  socat ← socat,
# interleaved run by run so that all tools see the same machine load. Prints each
# tool's median MB/s and sockscope's ratio to the others.
#
# usage: bench/throughput.sh [SIZE (head -c syntax, default 4G)] [RUNS (default 5)]
# needs: a release build (make release), nc (netcat-openbsd), socat, python3
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${1:-4G}
RUNS=${2:-5}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
BYTES=$(head -c "$SIZE" /dev/zero | wc -c)   # exact byte count of SIZE
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_listening() {  # port
  for _ in $(seq 1 250); do
    ss -Hltn "( sport = :$1 )" | grep -q . && return 0
    sleep 0.02
  done
  echo "bench: nothing listens on port $1" >&2; return 1
}

# Each runner prints elapsed nanoseconds for one transfer.
run_sockscope() {
  "$BIN" listen 127.0.0.1 0 > /dev/null 2> "$WORK/port" < /dev/null & local server=$!
  local port=""
  for _ in $(seq 1 250); do port=$(grep -o '[0-9]*$' "$WORK/port" || true); [ -n "$port" ] && break; sleep 0.02; done
  local start=$(date +%s%N)
  head -c "$SIZE" /dev/zero | "$BIN" connect 127.0.0.1 "$port"
  wait "$server"
  echo $(( $(date +%s%N) - start ))
}

run_nc() {
  local port=$(free_port)
  nc -l 127.0.0.1 "$port" > /dev/null < /dev/null & local server=$!
  wait_listening "$port"
  local start=$(date +%s%N)
  head -c "$SIZE" /dev/zero | nc -N 127.0.0.1 "$port"
  wait "$server"
  echo $(( $(date +%s%N) - start ))
}

run_socat() {
  local port=$(free_port)
  socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" - > /dev/null & local server=$!
  wait_listening "$port"
  local start=$(date +%s%N)
  head -c "$SIZE" /dev/zero | socat -u - "TCP:127.0.0.1:$port"
  wait "$server"
  echo $(( $(date +%s%N) - start ))
}

tools=(sockscope nc socat)
for tool in "${tools[@]}"; do : > "$WORK/$tool.times"; done
for run in $(seq 1 "$RUNS"); do
  for tool in "${tools[@]}"; do
    "run_$tool" >> "$WORK/$tool.times"
  done
  echo "run $run/$RUNS done" >&2
done

median_mbps() {  # file of nanosecond times → median MB/s
  sort -n "$1" | awk -v bytes="$BYTES" '{ t[NR] = $1 } END {
    m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
    printf "%.0f", bytes / (m / 1e9) / 1e6 }'
}

echo "TCP loopback, $SIZE ($BYTES bytes) from /dev/zero through head -c, median of $RUNS runs"
printf "%-10s %10s %16s\n" tool "MB/s" "sockscope ratio"
ours=$(median_mbps "$WORK/sockscope.times")
for tool in "${tools[@]}"; do
  mbps=$(median_mbps "$WORK/$tool.times")
  printf "%-10s %10s %15.2fx\n" "$tool" "$mbps" "$(awk -v a="$ours" -v b="$mbps" 'BEGIN { print a / b }')"
done
