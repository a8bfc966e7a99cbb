#!/usr/bin/env bash
# 1,000 concurrent echo clients (Tests/Peers/echo_load.py: each sends MESSAGES messages
# of 64 bytes, one at a time, checking each echo), against
#   sockscope listen -k --echo          (one process, one event loop)
#   socat TCP-LISTEN:…,fork PIPE        (a process per client)
# in one run. Prints messages/s (median of RUNS) and the peak memory of the server's
# whole process tree (RSS summed over its processes, sampled every 50 ms).
# Then: the same load beside IDLE (default 5000) idle clients (sockscope's rate with them
# must stay within 20% of its rate without), and a broker with 800 clients that never
# read while one sends 256 MiB (its peak memory must stay under the global bound).
# usage: bench/clients.sh [CLIENTS (default 1000)] [MESSAGES (default 20)] [RUNS (default 3)] [IDLE (default 5000)]
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${1:-1000}
MESSAGES=${2:-20}
RUNS=${3:-3}
IDLE=${4:-5000}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; kill $(jobs -p) 2>/dev/null || true' EXIT
ulimit -n 65536 2>/dev/null || true
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

tree_rss_kb() {  # pid → RSS (KiB) of the process plus its children, in one ps call
  { ps -o rss= -p "$1" || true; ps -o rss= --ppid "$1" || true; } 2>/dev/null | awk '{ total += $1 } END { print total + 0 }'
}

one() {  # tool → "rate peak_kb"
  local port; port=$(free_port)
  case $1 in
    sockscope) "$BIN" listen -k --echo --backlog 4096 127.0.0.1 "$port" 2>/dev/null & ;;
    socat) socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=4096" PIPE 2>/dev/null & ;;
  esac
  local server=$!
  for _ in $(seq 1 250); do ss -Hltn "( sport = :$port )" | grep -q . && break; sleep 0.02; done
  local idle=""
  if [ "${2:-0}" -gt 0 ]; then
    python3 Tests/Peers/idle_clients.py 127.0.0.1 "$port" "$2" 300 > "$WORK/idle" & idle=$!
    for _ in $(seq 1 600); do grep -q ready "$WORK/idle" 2>/dev/null && break; sleep 0.05; done
  fi
  python3 Tests/Peers/echo_load.py 127.0.0.1 "$port" "$CLIENTS" "$MESSAGES" 64 120 > "$WORK/load" & local load=$!
  local peak=0
  while kill -0 "$load" 2>/dev/null; do
    local now; now=$(tree_rss_kb "$server"); [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.02
  done
  wait "$load" || { echo "bench: $1: $(tail -1 "$WORK/load")" >&2; }
  [ -n "$idle" ] && { kill "$idle" 2>/dev/null; wait "$idle" 2>/dev/null || true; }
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
  pkill -P "$server" 2>/dev/null || true
  echo "$(awk '{ for (i = 1; i < NF; i++) if ($i == "rate") print $(i + 1) }' "$WORK/load") $peak"
}

printf "%d concurrent echo clients, %d messages of 64 bytes each, median of %d runs\n" "$CLIENTS" "$MESSAGES" "$RUNS"
printf "%-12s %14s %16s\n" server "messages/s" "peak RSS (MiB)"
for tool in sockscope socat; do
  : > "$WORK/$tool"
  for _ in $(seq 1 "$RUNS"); do one "$tool" >> "$WORK/$tool"; done
  sort -n "$WORK/$tool" | awk -v tool="$tool" '{ r[NR] = $1; p[NR] = $2 } END { m = int((NR + 1) / 2); printf "%-12s %14d %16.1f\n", tool, r[m], p[m] / 1024 }'
done

printf "\nsockscope with %d idle clients beside the %d active ones, median of %d runs\n" "$IDLE" "$CLIENTS" "$RUNS"
: > "$WORK/idle-runs"
for _ in $(seq 1 "$RUNS"); do one sockscope "$IDLE" >> "$WORK/idle-runs"; done
without=$(sort -n "$WORK/sockscope" | awk '{ r[NR] = $1 } END { print r[int((NR + 1) / 2)] }')
with=$(sort -n "$WORK/idle-runs" | awk '{ r[NR] = $1 } END { print r[int((NR + 1) / 2)] }')
printf "%-28s %14d\n%-28s %14d   (%s of the rate without)\n" "without idle clients" "$without" "with $IDLE idle clients" "$with" \
  "$(awk -v a="$with" -v b="$without" 'BEGIN { printf "%.2f", a / b }')"

printf "\nbroker: 800 clients that never read, one sending 256 MiB of lines\n"
port=$(free_port)
"$BIN" listen -v --broker --backlog 4096 127.0.0.1 "$port" 2> "$WORK/broker.err" > /dev/null & broker=$!
for _ in $(seq 1 250); do ss -Hltn "( sport = :$port )" | grep -q . && break; sleep 0.02; done
python3 Tests/Peers/idle_clients.py 127.0.0.1 "$port" 800 60 flood $((256 << 20)) > "$WORK/flood" & flood=$!
peak=0
while kill -0 "$flood" 2>/dev/null; do
  now=$(tree_rss_kb "$broker"); [ "$now" -gt "$peak" ] && peak=$now
  sleep 0.02
done
kill "$broker" 2>/dev/null; wait "$broker" 2>/dev/null || true
printf "broker peak RSS %.1f MiB (global bound on queued bytes: 32 MiB); %s clients dropped as too slow\n" "$(echo "$peak / 1024" | bc -l)" \
  "$(grep -c 'too slow' "$WORK/broker.err" || true)"

