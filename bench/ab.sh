#!/usr/bin/env bash
# A/B of two sockscope builds on the same work, interleaved run by run: `connect`
# sending SIZE bytes over loopback TCP (and the same over a Unix socket) into one
# receiver that does not change between A and B (the B build's `listen --recv-only`, writing to
# /dev/null). Prints each build's median MB/s and B's ratio to A — for checking that a
# change did not slow the relay. KINDS (default "tcp unix") may add tls-k: the build
# under test is then the *server*, `listen --tls -k --recv-only` (a TLS client of a
# many-client listener), fed by the B build's `connect --tls --insecure --send-only`;
# the time is the sender's, and the listener is stopped after each client. scan and
# scan-json time a full loopback scan (probe 127.0.0.1 -, 65,535 ports; its text or
# its JSON Lines to /dev/null) and print the median and the best in milliseconds instead of MB/s;
# so do echo-1000 (1,000 concurrent clients of `listen -k --echo`, 20 messages of 64
# bytes each, Tests/Peers/echo_load.py) and forward-short (20,000 one-byte connections,
# 1,000 at a time, through `forward` to the B build's `listen -k --echo`). forward
# sends SIZE with iperf3 through `forward` to an iperf3 server (MB/s).
#
# usage: bench/ab.sh A_BIN B_BIN [SIZE (default 4G)] [RUNS (default 7)] [KINDS]
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1 B=$2 SIZE=${3:-4G} RUNS=${4:-7} KINDS=${5:-tcp unix}
source bench/transfer-common.sh

# run KIND BIN → nanoseconds for one transfer of the input
run() {
  local kind=$1 bin=$2 port path start server
  port=$(free_port); path="$WORK/s.sock"; rm -f "$path"
  if [ "$kind" = scan ] || [ "$kind" = scan-json ]; then
    local json=; [ "$kind" = scan-json ] && json=--json
    start=$(now); "$bin" probe $json 127.0.0.1 - > /dev/null; echo $(( $(now) - start ))
    return
  fi
  if [ "$kind" = echo-1000 ]; then
    "$bin" listen -k --echo 127.0.0.1 "$port" > /dev/null 2>&1 < /dev/null & server=$!
    wait_for tcp "$port"
    start=$(now); python3 Tests/Peers/echo_load.py 127.0.0.1 "$port" 1000 20 64 120 > /dev/null; echo $(( $(now) - start ))
    kill "$server"; wait "$server" 2> /dev/null || true
    return
  fi
  if [ "$kind" = forward ] || [ "$kind" = forward-short ]; then
    local target forwarder; target=$(free_port)
    if [ "$kind" = forward ]; then iperf3 -s -1 -p "$target" > /dev/null 2>&1 & server=$!
    else "$B" listen -k --echo 127.0.0.1 "$target" > /dev/null 2>&1 < /dev/null & server=$!; fi
    wait_for tcp "$target"
    "$bin" forward 127.0.0.1 "$port" 127.0.0.1 "$target" 2> /dev/null & forwarder=$!
    wait_for tcp "$port"
    start=$(now)
    if [ "$kind" = forward ]; then iperf3 -c 127.0.0.1 -p "$port" -n "$SIZE" > /dev/null 2>&1
    else python3 Tests/Peers/short_load.py 127.0.0.1 "$port" 20000 1000 > /dev/null; fi
    echo $(( $(now) - start ))
    kill "$forwarder" "$server" 2> /dev/null || true; wait "$forwarder" "$server" 2> /dev/null || true
    return
  fi
  if [ "$kind" = tls-k ]; then
    "$bin" listen --tls -k --recv-only 127.0.0.1 "$port" > /dev/null 2> /dev/null < /dev/null & server=$!
    wait_for tcp "$port"
    start=$(now); "$B" connect --tls --insecure --send-only 127.0.0.1 "$port" < "$WORK/input" 2> /dev/null
    echo $(( $(now) - start ))
    kill "$server"; wait "$server" 2> /dev/null || true
    return
  fi
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


for kind in $KINDS; do
  : > "$WORK/$kind-a"; : > "$WORK/$kind-b"
  for round in $(seq 1 "$RUNS"); do
    run "$kind" "$A" >> "$WORK/$kind-a"
    run "$kind" "$B" >> "$WORK/$kind-b"
    echo "$kind: run $round/$RUNS done" >&2
  done
  if [ "${kind#scan}" != "$kind" ] || [ "$kind" = echo-1000 ] || [ "$kind" = forward-short ]; then
    a=$(sort -n "$WORK/$kind-a" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] / 1e6 }')
    b=$(sort -n "$WORK/$kind-b" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] / 1e6 }')
    printf "%-9s A %8.1f ms   B %8.1f ms   B/A %.3f   (median of %s)\n" "$kind" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')" "$RUNS"
    # Best against best as well: a time with two modes (the full scan lands at ~0.4 s
    # or ~0.75 s run by run, for any build) makes a median of a few runs a coin toss.
    a=$(sort -n "$WORK/$kind-a" | head -1 | awk '{ print $1 / 1e6 }')
    b=$(sort -n "$WORK/$kind-b" | head -1 | awk '{ print $1 / 1e6 }')
    printf "%-9s A %8.1f ms   B %8.1f ms   B/A %.3f   (best of %s)\n" "$kind" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')" "$RUNS"
    continue
  fi
  a=$(median_mbps "$WORK/$kind-a"); b=$(median_mbps "$WORK/$kind-b")
  printf "%-5s A %6s MB/s   B %6s MB/s   B/A %.3f   (median of %s, %s)\n" "$kind" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')" "$RUNS" "$SIZE"
done
