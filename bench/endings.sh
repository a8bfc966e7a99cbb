#!/usr/bin/env bash
# The most common scripted transfer, as users write it (issue 28): the receiver
# `TOOL -l PORT < /dev/null | wc -c` (its empty stdin sends FIN at once), the sender
# `TOOL HOST PORT < FILE`. Each tool on both ends — sockscope, OpenBSD nc (-N on the
# sender), ncat, socat -u — run by run, interleaved. Prints each tool's median MB/s,
# how many runs delivered every byte, and sockscope's ratio to each.
#
# usage: bench/endings.sh [SIZE (default 1G)] [RUNS (default 5)]
# needs: a release build, nc (netcat-openbsd), socat, ncat, python3
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1G}
RUNS=${2:-5}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
source bench/transfer-common.sh
TOOLS=(sockscope nc ncat socat)

# run TOOL → "NANOSECONDS RECEIVED_BYTES" for one transfer of the input
run() {
  local tool=$1 port start count
  port=$(free_port)
  case "$tool" in
    sockscope) "$BIN" listen 127.0.0.1 "$port" < /dev/null 2> /dev/null | wc -c > "$WORK/count" & ;;
    nc) nc -l 127.0.0.1 "$port" < /dev/null 2> /dev/null | wc -c > "$WORK/count" & ;;
    ncat) ncat -l 127.0.0.1 "$port" < /dev/null 2> /dev/null | wc -c > "$WORK/count" & ;;
    socat) socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" - 2> /dev/null | wc -c > "$WORK/count" & ;;
  esac
  wait_for tcp "$port"
  start=$(now)
  case "$tool" in
    sockscope) "$BIN" connect 127.0.0.1 "$port" < "$WORK/input" > /dev/null 2>&1 || true ;;
    nc) nc -N 127.0.0.1 "$port" < "$WORK/input" > /dev/null 2>&1 || true ;;
    ncat) ncat 127.0.0.1 "$port" < "$WORK/input" > /dev/null 2>&1 || true ;;
    socat) socat -u - "TCP:127.0.0.1:$port" < "$WORK/input" > /dev/null 2>&1 || true ;;
  esac
  wait
  count=$(cat "$WORK/count")
  echo "$(($(now) - start)) $count"
}

for tool in "${TOOLS[@]}"; do : > "$WORK/$tool.times"; : > "$WORK/$tool.whole"; done
for _ in $(seq 1 "$RUNS"); do
  for tool in "${TOOLS[@]}"; do
    read -r nanoseconds count < <(run "$tool")
    echo "$nanoseconds" >> "$WORK/$tool.times"
    [ "$count" = "$BYTES" ] && echo 1 >> "$WORK/$tool.whole"
  done
done
ours=$(median_mbps "$WORK/sockscope.times")
printf '%-10s %10s %12s %8s\n' tool "MB/s" "whole runs" ratio
for tool in "${TOOLS[@]}"; do
  mbps=$(median_mbps "$WORK/$tool.times")
  whole=$(wc -l < "$WORK/$tool.whole")
  printf '%-10s %10s %9s/%-2s %8s\n' "$tool" "$mbps" "$whole" "$RUNS" "$(awk -v a="$ours" -v b="$mbps" 'BEGIN { printf "%.2f×", a / b }')"
done
