#!/usr/bin/env bash
# Loopback throughput, in one run, interleaved run by run:
#   TCP:  sockscope listen --recv-only ← sockscope connect (and connect --send-only,
#         "sockscope-so"), nc -l ← nc -N (OpenBSD), socat, ncat --send-only,
#         and iperf3 (memory to memory) as the physical reference;
#         "sockscope-copy" is sockscope with SOCKSCOPE_ZERO_COPY=off (read and write
#         through buffers instead of splice(2));
#   pipes: the same file through `cat | connect` to `listen --recv-only | cat > /dev/null`,
#         sockscope (zero-copy and copying) against nc -N / nc -l;
#   Unix: the same tools over a Unix stream socket (no iperf3).
# Every client reads the same SIZE sparse file (zeros straight from the page cache, so
# no pipe or disk is in the path) and every server writes to /dev/null.
# Prints each tool's median MB/s and sockscope's ratio to it.
#
# usage: bench/throughput.sh [SIZE (default 4G)] [RUNS (default 5)]
# needs: a release build, nc (netcat-openbsd), socat, ncat, iperf3, python3
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-4G}
RUNS=${2:-5}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
source bench/transfer-common.sh

# run KIND TOOL → nanoseconds for one transfer of the input
run() {
  local kind=$1 tool=$2 port path start
  port=$(free_port); path="$WORK/s.sock"; rm -f "$path"
  case "$kind/$tool" in
    tcp/sockscope|tcp/sockscope-so) "$BIN" listen --recv-only 127.0.0.1 "$port" > /dev/null < /dev/null & ;;
    tcp/sockscope-copy) SOCKSCOPE_ZERO_COPY=off "$BIN" listen --recv-only 127.0.0.1 "$port" > /dev/null < /dev/null & ;;
    pipe/sockscope) "$BIN" listen --recv-only 127.0.0.1 "$port" < /dev/null | cat > /dev/null & ;;
    pipe/sockscope-copy) SOCKSCOPE_ZERO_COPY=off "$BIN" listen --recv-only 127.0.0.1 "$port" < /dev/null | cat > /dev/null & ;;
    pipe/nc) nc -l 127.0.0.1 "$port" < /dev/null | cat > /dev/null & ;;
    tcp/nc) nc -l 127.0.0.1 "$port" > /dev/null < /dev/null & ;;
    tcp/socat) socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" - > /dev/null & ;;
    tcp/ncat) ncat -l 127.0.0.1 "$port" > /dev/null < /dev/null & ;;
    tcp/iperf3) iperf3 -s -1 -B 127.0.0.1 -p "$port" > /dev/null & ;;
    unix/sockscope|unix/sockscope-so) "$BIN" listen --recv-only -U "$path" > /dev/null < /dev/null & ;;
    unix/nc) nc -lU "$path" > /dev/null < /dev/null & ;;
    unix/socat) socat -u "UNIX-LISTEN:$path" - > /dev/null & ;;
    unix/ncat) ncat -lU "$path" > /dev/null < /dev/null & ;;
  esac
  local server=$!
  if [ "$kind" != unix ]; then wait_for tcp "$port"; else wait_for unix "$path"; fi
  start=$(now)
  case "$kind/$tool" in
    tcp/sockscope) "$BIN" connect 127.0.0.1 "$port" < "$WORK/input" ;;
    tcp/sockscope-so) "$BIN" connect --send-only 127.0.0.1 "$port" < "$WORK/input" ;;
    tcp/sockscope-copy) SOCKSCOPE_ZERO_COPY=off "$BIN" connect 127.0.0.1 "$port" < "$WORK/input" ;;
    pipe/sockscope) cat "$WORK/input" | "$BIN" connect 127.0.0.1 "$port" > /dev/null ;;
    pipe/sockscope-copy) cat "$WORK/input" | SOCKSCOPE_ZERO_COPY=off "$BIN" connect 127.0.0.1 "$port" > /dev/null ;;
    pipe/nc) cat "$WORK/input" | nc -N 127.0.0.1 "$port" > /dev/null ;;
    tcp/nc) nc -N 127.0.0.1 "$port" < "$WORK/input" ;;
    tcp/socat) socat -u - "TCP:127.0.0.1:$port" < "$WORK/input" ;;
    tcp/ncat) ncat --send-only 127.0.0.1 "$port" < "$WORK/input" ;;
    tcp/iperf3) iperf3 -c 127.0.0.1 -p "$port" -n "$BYTES" > /dev/null ;;
    unix/sockscope) "$BIN" connect -U "$path" < "$WORK/input" ;;
    unix/sockscope-so) "$BIN" connect --send-only -U "$path" < "$WORK/input" ;;
    unix/nc) nc -NU "$path" < "$WORK/input" ;;
    unix/socat) socat -u - "UNIX-CONNECT:$path" < "$WORK/input" ;;
    unix/ncat) ncat --send-only -U "$path" < "$WORK/input" ;;
  esac
  wait "$server" || true
  echo $(( $(now) - start ))
}


report() {  # kind tools...
  local kind=$1; shift
  for tool in "$@"; do : > "$WORK/$kind-$tool"; done
  for round in $(seq 1 "$RUNS"); do
    for tool in "$@"; do run "$kind" "$tool" >> "$WORK/$kind-$tool"; done
    echo "$kind: run $round/$RUNS done" >&2
  done
  echo "$kind loopback, $SIZE ($BYTES bytes) from a sparse file, median of $RUNS runs"
  printf "%-10s %10s %16s\n" tool "MB/s" "sockscope ratio"
  local ours; ours=$(median_mbps "$WORK/$kind-sockscope")
  for tool in "$@"; do
    local mbps; mbps=$(median_mbps "$WORK/$kind-$tool")
    printf "%-10s %10s %15.2fx\n" "$tool" "$mbps" "$(awk -v a="$ours" -v b="$mbps" 'BEGIN { print a / b }')"
  done
  echo
}

report tcp sockscope sockscope-so sockscope-copy nc socat ncat iperf3
report pipe sockscope sockscope-copy nc
report unix sockscope sockscope-so nc socat ncat
