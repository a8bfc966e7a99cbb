#!/usr/bin/env bash
# forward against socat and ncat, in one run:
#  1. throughput: iperf3 sends SIZE (default 4G) through each forwarder to an iperf3
#     server — sockscope forward, socat TCP-LISTEN:…,fork TCP:…, ncat -l -k --sh-exec
#     "ncat …" — and iperf3 straight to its server ("direct"), interleaved run by run;
#     medians of RUNS; sockscope's ratio to each. ONLY=throughput stops after this part.
#  2. short connections: Tests/Peers/short_load.py opens SHORT (default 20000) connections,
#     CONCURRENCY (default 1000) at a time, each one byte there and back, through sockscope
#     forward and socat's fork to `sockscope listen -k --echo`: connections per second,
#     median of RUNS.
#  3. --delay 50 under that load: the median round trip of 1-byte messages through
#     `forward --delay 50` while short_load.py runs through the same forwarder, less the
#     round trip without the delay, halved: the delay added per direction (target 50 ms ± 10%).
# usage: bench/forward.sh [SIZE (default 4G)] [RUNS (default 3)] [SHORT (default 20000)] [CONCURRENCY (default 1000)]
# needs: a release build, iperf3, socat, ncat, python3
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-4G}
RUNS=${2:-3}
SHORT=${3:-20000}
CONCURRENCY=${4:-1000}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; kill $(jobs -p) 2>/dev/null || true' EXIT
ulimit -n 65536 2>/dev/null || true
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 250); do ss -Hltn "( sport = :$1 )" | grep -q . && return 0; sleep 0.02; done; echo "bench: nothing listens on $1" >&2; return 1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# forwarder TOOL LISTEN-PORT TARGET-PORT [sockscope options…]: starts it in the background
forwarder() {
  local tool=$1 port=$2 target=$3; shift 3
  case $tool in
    sockscope) "$BIN" forward "$@" 127.0.0.1 "$port" 127.0.0.1 "$target" > /dev/null 2>&1 & ;;
    socat) socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=4096" "TCP:127.0.0.1:$target" > /dev/null 2>&1 & ;;
    ncat) ncat -l -k 127.0.0.1 "$port" --sh-exec "ncat 127.0.0.1 $target" < /dev/null > /dev/null 2>&1 & ;;
  esac
  echo $!
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; pkill -P "$1" 2>/dev/null || true; }

throughput() {  # TOOL → Gbit/s received by iperf3's server
  local target port server fwd
  target=$(free_port); port=$(free_port)
  iperf3 -s -1 -B 127.0.0.1 -p "$target" > /dev/null 2>&1 & server=$!
  wait_for "$target"
  if [ "$1" = direct ]; then port=$target; fwd=; else fwd=$(forwarder "$1" "$port" "$target"); wait_for "$port"; fi
  iperf3 -c 127.0.0.1 -p "$port" -n "$SIZE" -J > "$WORK/iperf.json" 2>/dev/null || true
  [ -n "$fwd" ] && stop "$fwd"
  stop "$server"
  python3 -c 'import json, sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' "$WORK/iperf.json" 2>/dev/null || echo 0
}

short() {  # TOOL → connections/s
  local target port echo fwd
  target=$(free_port); port=$(free_port)
  "$BIN" listen -k --echo --backlog 4096 127.0.0.1 "$target" < /dev/null > /dev/null 2>&1 & echo=$!
  wait_for "$target"
  fwd=$(forwarder "$1" "$port" "$target"); wait_for "$port"
  python3 Tests/Peers/short_load.py 127.0.0.1 "$port" "$SHORT" "$CONCURRENCY" > "$WORK/short"
  stop "$fwd"; stop "$echo"
  awk '{ print $2; if ($4 > 0) print "bench: " $4 " failed connections" > "/dev/stderr" }' "$WORK/short"
}

echo "forward: $SIZE through iperf3, median of $RUNS (direct: iperf3 to its server, no forwarder)"
for round in $(seq 1 "$RUNS"); do
  for tool in direct sockscope socat ncat; do throughput "$tool" >> "$WORK/$tool.runs"; done
done
for tool in direct sockscope socat ncat; do median < "$WORK/$tool.runs" > "$WORK/$tool.gbps"; done
for tool in direct sockscope socat ncat; do
  awk -v t="$tool" -v g="$(cat "$WORK/$tool.gbps")" -v o="$(cat "$WORK/sockscope.gbps")" 'BEGIN { printf "  %-10s %6.2f Gbit/s   sockscope ×%.2f\n", t, g, o / g }'
done

[ "${ONLY:-}" = throughput ] && exit 0

echo "short connections: $SHORT, $CONCURRENCY at a time, one byte each way, median of $RUNS"
for tool in sockscope socat; do
  for _ in $(seq 1 "$RUNS"); do short "$tool"; done | median > "$WORK/$tool.rate"
done
for tool in sockscope socat; do
  awk -v t="$tool" -v r="$(cat "$WORK/$tool.rate")" -v o="$(cat "$WORK/sockscope.rate")" 'BEGIN { printf "  %-10s %8d connections/s   sockscope ×%.2f\n", t, r, o / r }'
done

echo "--delay 50 under load (short connections through the same forwarder meanwhile)"
target=$(free_port)
"$BIN" listen -k --echo --backlog 4096 127.0.0.1 "$target" < /dev/null > /dev/null 2>&1 & echo_pid=$!
wait_for "$target"
for delay in 0 50; do
  port=$(free_port)
  if [ "$delay" = 0 ]; then fwd=$(forwarder sockscope "$port" "$target"); else fwd=$(forwarder sockscope "$port" "$target" --delay 50); fi
  wait_for "$port"
  python3 Tests/Peers/short_load.py 127.0.0.1 "$port" "$SHORT" 200 > /dev/null & load=$!
  sleep 0.5
  python3 Tests/Peers/forward_peer.py rtt 127.0.0.1 "$port" 41 > "$WORK/rtt.$delay"
  wait "$load" || true
  stop "$fwd"
done
stop "$echo_pid"
awk -v base="$(cat "$WORK/rtt.0")" -v slow="$(cat "$WORK/rtt.50")" 'BEGIN {
  added = (slow - base) / 2
  printf "  round trip %.2f ms without, %.2f ms with: %.1f ms added per direction (%+.1f%% of 50)\n", base, slow, added, (added - 50) * 2
}'
