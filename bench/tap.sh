#!/usr/bin/env bash
# The tap's cost and completeness, in one run (needs root for capturing):
#  (1) SIZE through sockscope listen ← sockscope connect on loopback, without --tap,
#      with --tap, and with --tap writing pcapng with each packet's annotation
#      (--pcap-out F.pcapng): throughput, packets captured, packets dropped;
#  (2) a capturer beside an untapped transfer: `sockscope tap --pcap-out` (headers,
#      128-byte snap length) vs `tcpdump -s 128 -w` (the same) and `tcpdump -w` (whole
#      packets, its default), each writing every packet of the transfer, and
#      `sockscope tap --pcap-out F.pcapng` (annotated): throughput during the capture and drops.
# usage: bench/tap.sh [SIZE (default 1G)] [RUNS (default 3)]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1G}
RUNS=${2:-3}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
BYTES=$(head -c "$SIZE" /dev/zero | wc -c)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; kill $(jobs -p) 2>/dev/null || true' EXIT
now() { date +%s%N; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

transfer() {  # port [connect options...] → prints nanoseconds; stderr of connect in $WORK/connect.err
  local port=$1; shift
  "$BIN" listen --recv-only 127.0.0.1 "$port" > /dev/null < /dev/null & local server=$!
  for _ in $(seq 1 100); do ss -Hltn "( sport = :$port )" | grep -q . && break; sleep 0.02; done
  local start=$(now)
  head -c "$SIZE" /dev/zero | "$BIN" connect "$@" 127.0.0.1 "$port" 2> "$WORK/connect.err"
  wait "$server"
  echo $(( $(now) - start ))
}

mbps() { awk -v b="$BYTES" -v t="$1" 'BEGIN { printf "%.0f", b / (t / 1e9) / 1e6 }'; }
median() { sort -n | awk '{ t[NR] = $1 } END { print (NR % 2) ? t[(NR + 1) / 2] : int((t[NR / 2] + t[NR / 2 + 1]) / 2) }'; }

: > "$WORK/plain"; : > "$WORK/tapped"; : > "$WORK/tapstats"; : > "$WORK/pcapng"; : > "$WORK/pcapngstats"
for _ in $(seq 1 "$RUNS"); do
  transfer "$(free_port)" >> "$WORK/plain"
  transfer "$(free_port)" --tap >> "$WORK/tapped"
  grep -o '[0-9]* packets captured, [0-9]* dropped by the kernel' "$WORK/connect.err" >> "$WORK/tapstats" || echo "no tap summary" >> "$WORK/tapstats"
  transfer "$(free_port)" --pcap-out "$WORK/c.pcapng" >> "$WORK/pcapng"
  stats=$(grep -o '[0-9]* packets captured, [0-9]* dropped by the kernel' "$WORK/connect.err" || echo "no tap summary")
  echo "$stats, $(capinfos -c -M "$WORK/c.pcapng" | awk -F: '/Number of packets/ { gsub(/[^0-9]/, "", $2); print $2 }') in the pcapng file, $(tshark -r "$WORK/c.pcapng" -Y frame.comment -T fields -e frame.number 2>/dev/null | wc -l) with comments" >> "$WORK/pcapngstats"
done
plain=$(median < "$WORK/plain"); tapped=$(median < "$WORK/tapped"); pcapng=$(median < "$WORK/pcapng")
echo "(1) $SIZE through one loopback TCP connection, median of $RUNS runs"
printf "%-28s %10s\n" "" "MB/s"
printf "%-28s %10s\n" "sockscope connect" "$(mbps "$plain")"
printf "%-28s %10s   (%s)\n" "sockscope connect --tap" "$(mbps "$tapped")" "$(awk -v a="$tapped" -v b="$plain" 'BEGIN { printf "%.2f of untapped", b / a }')"
echo "tap per run: $(paste -sd ';' "$WORK/tapstats")"
printf "%-28s %10s   (%s)\n" "… --pcap-out F.pcapng" "$(mbps "$pcapng")" "$(awk -v a="$pcapng" -v b="$plain" 'BEGIN { printf "%.2f of untapped", b / a }')"
echo "pcapng per run: $(paste -sd ';' "$WORK/pcapngstats")"

echo
echo "(2) a capturer writing every packet of an untapped $SIZE transfer to a pcap file, median of $RUNS runs"
printf "%-28s %10s %12s %10s\n" capturer "MB/s" packets dropped
for tool in sockscope sockscope-pcapng tcpdump-s128 tcpdump; do
  : > "$WORK/$tool.times"; : > "$WORK/$tool.stats"
  for _ in $(seq 1 "$RUNS"); do
    port=$(free_port)
    if [ "${tool%-pcapng}" = sockscope ]; then
      out="$WORK/s.pcap"; [ "$tool" = sockscope-pcapng ] && out="$WORK/s.pcapng"
      "$BIN" tap -i lo --pcap-out "$out" "tcp port $port" > /dev/null 2> "$WORK/cap.err" & capturer=$!
      for _ in $(seq 1 100); do grep -q "capturing on" "$WORK/cap.err" 2>/dev/null && break; sleep 0.02; done
    else
      snap=(); [ "$tool" = tcpdump-s128 ] && snap=(-s 128)
      tcpdump -i lo -n "${snap[@]}" -w "$WORK/t.pcap" "tcp port $port" 2> "$WORK/cap.err" & capturer=$!
      for _ in $(seq 1 100); do grep -q "listening on" "$WORK/cap.err" 2>/dev/null && break; sleep 0.02; done
    fi
    transfer "$port" >> "$WORK/$tool.times"
    sleep 0.3; kill -INT "$capturer"; wait "$capturer" 2>/dev/null || true
    if [ "${tool%-pcapng}" = sockscope ]; then
      grep -o '[0-9]* packets captured, [0-9]* dropped by the kernel' "$WORK/cap.err" | awk '{ print $1, $4 }' >> "$WORK/$tool.stats"
    else
      awk '/packets captured/ { c = $1 } /dropped by kernel/ { d = $1 } END { print c, d }' "$WORK/cap.err" >> "$WORK/$tool.stats"
    fi
  done
  printf "%-28s %10s %12s %10s\n" "$tool" "$(mbps "$(median < "$WORK/$tool.times")")" \
    "$(awk '{ p += $1; d += $2 } END { printf "%d", p / NR }' "$WORK/$tool.stats")" \
    "$(awk '{ d += $2 } END { printf "%d", d }' "$WORK/$tool.stats")"
done
