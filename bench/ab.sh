#!/usr/bin/env bash
# A/B of two sockscope builds on the same work, interleaved run by run: `connect`
# sending SIZE bytes over loopback TCP (and the same over a Unix socket) into one
# receiver that does not change between A and B (the B build's `listen --recv-only`, writing to
# /dev/null). Prints each build's median MB/s and B's ratio to A — for checking that a
# change did not slow the relay.
#
# usage: bench/ab.sh A_BIN B_BIN [SIZE (default 4G)] [RUNS (default 7)]
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1 B=$2 SIZE=${3:-4G} RUNS=${4:-7}
source bench/transfer-common.sh

# run KIND BIN → nanoseconds for one transfer of the input
run() {
  local kind=$1 bin=$2 port path start server
  port=$(free_port); path="$WORK/s.sock"; rm -f "$path"
  if [ "$kind" = tcp ]; then
    "$B" listen --recv-only 127.0.0.1 "$port" > /dev/null < /dev/null & server=$!
    wait_for tcp "$port"
    start=$(now); "$bin" connect 127.0.0.1 "$port" < "$WORK/input"
  else
    "$B" listen --recv-only -U "$path" > /dev/null < /dev/null & server=$!
    wait_for unix "$path"
    start=$(now); "$bin" connect -U "$path" < "$WORK/input"
  fi
  wait "$server" || true
  echo $(( $(now) - start ))
}


for kind in tcp unix; do
  : > "$WORK/$kind-a"; : > "$WORK/$kind-b"
  for round in $(seq 1 "$RUNS"); do
    run "$kind" "$A" >> "$WORK/$kind-a"
    run "$kind" "$B" >> "$WORK/$kind-b"
    echo "$kind: run $round/$RUNS done" >&2
  done
  a=$(median_mbps "$WORK/$kind-a"); b=$(median_mbps "$WORK/$kind-b")
  printf "%-5s A %6s MB/s   B %6s MB/s   B/A %.3f   (median of %s, %s)\n" "$kind" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')" "$RUNS" "$SIZE"
done
