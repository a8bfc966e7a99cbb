#!/usr/bin/env bash
# TLS handshakes per second on loopback, in one run, interleaved run by run:
#   sockscope probe --tls   1,024 targets (127.1.0.0/22, one port: the server listens on
#                           every address), handshakes made many at once
#   nmap --script ssl-cert  the same targets and port (-Pn -n -sT)
#   openssl s_time -new     one address, a new handshake after another for 10 s
# One openssl s_server (TLS 1.3, the P-256 leaf of Tests/Peers/make_certs.sh) answers
# them all. Each tool's count is what it reports (lines with a TLS version, ssl-cert's
# "Subject:" lines, s_time's "connections"), divided by its wall time. Prints each
# median and sockscope's ratio to it.
#
# usage: bench/tls-handshakes.sh [RUNS (default 3)]
# needs: a release build, nmap, openssl, python3
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
SIZE=0 source bench/transfer-common.sh  # WORK (removed on exit, with the server), free_port, now, wait_for
mkdir -p "$WORK/certs" && sh Tests/Peers/make_certs.sh "$WORK/certs" > /dev/null 2>&1
C=$WORK/certs
TARGETS=127.1.0.0/22

port=$(free_port)
openssl s_server -quiet -4 -accept "$port" -cert "$C/leaf.pem" -key "$C/leaf.key" -tls1_3 < /dev/null > /dev/null 2>&1 &
wait_for tcp "$port"

# rate COUNT START_NS → handshakes per second
rate() { awk -v n="$1" -v t="$(( $(now) - $2 ))" 'BEGIN { printf "%.1f\n", n / (t / 1e9) }'; }

run() {
  local start count
  start=$(now)
  case "$1" in
    sockscope)
      count=$("$BIN" probe --tls --timeout 5 "$TARGETS" "$port" | grep -c ' TLSv1\.3 ' || true) ;;
    nmap)
      count=$(nmap -Pn -n -sT --script ssl-cert -p "$port" "$TARGETS" | grep -c 'ssl-cert: Subject:' || true) ;;
    s_time)
      count=$(openssl s_time -new -connect "127.0.0.1:$port" -time 10 2>/dev/null | awk '/connections in .* real seconds/ { print $1; exit }')
      echo "$count" >> "$WORK/s_time.count"
      awk -v n="$count" 'BEGIN { printf "%.1f\n", n / 10 }'
      return ;;
  esac
  echo "$count" >> "$WORK/$1.count"
  rate "$count" "$start"
}

tools=(sockscope nmap s_time)
for round in $(seq 1 "$RUNS"); do
  for tool in "${tools[@]}"; do run "$tool" >> "$WORK/$tool.rate"; done
  echo "round $round/$RUNS done" >&2
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ours=$(median "$WORK/sockscope.rate")
echo "TLS 1.3 handshakes per second against openssl s_server, median of $RUNS:"
for tool in "${tools[@]}"; do
  r=$(median "$WORK/$tool.rate")
  counts=$(tr '\n' ' ' < "$WORK/$tool.count")
  awk -v t="$tool" -v r="$r" -v o="$ours" -v c="$counts" 'BEGIN { printf "  %-10s %8.1f /s   sockscope ×%.2f   (handshakes per run: %s)\n", t, r, o / r, c }'
done
