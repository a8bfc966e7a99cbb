#!/usr/bin/env bash
# Reading a large capture: `sockscope tap -r FILE --summary` against `tshark -q -z conv,tcp -r
# FILE` and `tcpdump -n -r FILE > /dev/null`, on the same file, in one run.
#  1. The capture: tcpdump -s 128 on lo (sockscope's snap length) while
#     Tests/Peers/small_writes.py sends 8 connections × 40,000 messages of 100 bytes with
#     TCP_NODELAY (a segment per message, the ACKs between: the per-packet work at its
#     heaviest), then copied end to end, each copy's times shifted past the one before
#     (editcap -t, mergecap -a), to SIZE_MB (default 1024) of pcap.
#     The same packets again as pcapng with the tap's annotations as packet comments
#     (`sockscope tap -r big.pcap --summary -w big.pcapng`).
#  2. Each reader RUNS times (default 3): wall time and peak RSS (getrusage of the child);
#     medians, and tshark's and tcpdump's times over sockscope's; then sockscope and tshark
#     on the pcapng file, tshark's time over sockscope's.
# Targets: ≥ 5× faster than tshark, at least as fast as tcpdump printing, peak memory < 64 MiB.
# usage: sudo bash bench/read.sh [SIZE_MB (default 1024)] [RUNS (default 3)]
# needs: root (tcpdump on lo), a release build, tshark, editcap, mergecap, tcpdump, python3
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
RUNS=${2:-3}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; kill $(jobs -p) 2>/dev/null || true' EXIT
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# 1. One real capture, then copies of it end to end.
tcpdump --immediate-mode -i lo -s 128 -U -w "$WORK/base.pcap" "tcp port $port" 2> "$WORK/tcpdump.err" &
dump=$!
for _ in $(seq 1 250); do grep -q "listening on" "$WORK/tcpdump.err" && break; sleep 0.02; done
python3 Tests/Peers/small_writes.py 127.0.0.1 "$port" 8 40000 100
sleep 0.5
kill -INT "$dump"; wait "$dump" 2>/dev/null || true
base_bytes=$(stat -c %s "$WORK/base.pcap")
copies=$(( (SIZE_MB * 1048576 + base_bytes - 1) / base_bytes ))
span=$(capinfos -u -M "$WORK/base.pcap" 2>/dev/null | awk -F: '/Capture duration/ { gsub(/[^0-9.]/, "", $2); print int($2) + 2 }')
parts=("$WORK/base.pcap")
for i in $(seq 1 $((copies - 1))); do
  editcap -F pcap -t $((i * ${span:-10})) "$WORK/base.pcap" "$WORK/copy$i.pcap"
  parts+=("$WORK/copy$i.pcap")
done
mergecap -a -F pcap -w "$WORK/big.pcap" "${parts[@]}"
rm -f "$WORK"/copy*.pcap
packets=$(capinfos -c -M "$WORK/big.pcap" | awk -F: '/Number of packets/ { gsub(/[^0-9]/, "", $2); print $2 }')
printf "capture: %s MiB, %s packets (%s copies of a %s-packet capture of 8 connections)\n" \
  "$(( $(stat -c %s "$WORK/big.pcap") / 1048576 ))" "$packets" "$copies" \
  "$(capinfos -c -M "$WORK/base.pcap" | awk -F: '/Number of packets/ { gsub(/[^0-9]/, "", $2); print $2 }')"

start=$(date +%s%N)
"$BIN" tap -r "$WORK/big.pcap" --summary -w "$WORK/big.pcapng" > /dev/null 2>&1
printf "pcapng copy: %s MiB written in %.1f s, %s packets with comments in each copy of the base capture\n" "$(( $(stat -c %s "$WORK/big.pcapng") / 1048576 ))" \
  "$(echo "($(date +%s%N) - $start) / 1000000000" | bc -l)" \
  "$("$BIN" tap -r "$WORK/base.pcap" --summary -w "$WORK/base.pcapng" > /dev/null 2>&1; tshark -r "$WORK/base.pcapng" -Y frame.comment -T fields -e frame.number 2>/dev/null | wc -l)"

# 2. Each reader: "seconds peak_kib".
measure() {
  python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
start = time.monotonic()
status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
elapsed = time.monotonic() - start
print("%.3f %d %d" % (elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, status))
EOF
}
declare -A seconds peak
readers=(sockscope tshark tcpdump sockscope-ng tshark-ng)
for run in $(seq 1 "$RUNS"); do
  for reader in "${readers[@]}"; do
    case $reader in
      sockscope) result=$(measure "$BIN" tap -r "$WORK/big.pcap" --summary) ;;
      tshark) result=$(measure tshark -q -z conv,tcp -r "$WORK/big.pcap") ;;
      tcpdump) result=$(measure tcpdump -n -r "$WORK/big.pcap") ;;
      sockscope-ng) result=$(measure "$BIN" tap -r "$WORK/big.pcapng" --summary) ;;
      tshark-ng) result=$(measure tshark -q -z conv,tcp -r "$WORK/big.pcapng") ;;
    esac
    read -r s kib status <<< "$result"
    echo "run $run: $reader ${s} s, peak ${kib} KiB, exit $status"
    seconds[$reader]+="$s "
    peak[$reader]+="$kib "
  done
done
echo
printf "%-13s %12s %16s %14s\n" reader "median s" "peak RSS MiB" "÷ sockscope (same format)"
ours=$(echo "${seconds[sockscope]}" | tr ' ' '\n' | grep . | median)
ours_ng=$(echo "${seconds[sockscope-ng]}" | tr ' ' '\n' | grep . | median)
for reader in "${readers[@]}"; do
  m=$(echo "${seconds[$reader]}" | tr ' ' '\n' | grep . | median)
  case $reader in *-ng) ours=$ours_ng ;; esac
  p=$(echo "${peak[$reader]}" | tr ' ' '\n' | grep . | sort -n | tail -1)
  printf "%-13s %12s %16.1f %14.2f\n" "$reader" "$m" "$(echo "$p / 1024" | bc -l)" "$(echo "$m / $ours" | bc -l)"
done
"$BIN" tap -r "$WORK/big.pcap" --summary 2>/dev/null | head -3
