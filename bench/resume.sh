#!/usr/bin/env bash
# What --resume costs: the same scan with and without it, interleaved run by run, in a
# network namespace of its own (nothing else on its loopback):
#  (a) the full loopback scan: all 65535 ports of 127.0.0.1, listeners on 22, 8080, 40000
#  (b) a many-window scan: 10.81.0.0/16 made local (AnyIP) × 3 ports, port 80 listening on
#      10.81.0.1 (6 windows: FILE replaced and the outputs fsynced after each)
# Prints each run's seconds, the medians' and the bests' ratios (with / without), and checks
# that both give the same open ports. On these 2-core machines a loopback scan's time is
# bimodal (0.32 or 0.55 s, with or without --resume), so (c) measures what --resume adds
# directly: the time its system calls take (strace -T: the state file's open, write, fsync,
# rename and the folder's fsync, and the outputs' fsync), summed, per scan.
# usage: bench/resume.sh [RUNS (default 21)]     needs root, python3, strace
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-21}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
NS=bres$$
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS"; ip -n "$NS" link set lo up; ip -n "$NS" route add local 10.81.0.0/16 dev lo
ip netns exec "$NS" python3 Tests/Peers/listeners.py --host 127.0.0.1 22 8080 40000 > "$WORK/l.out" & PIDS+=($!)
ip netns exec "$NS" python3 Tests/Peers/listeners.py --host 10.81.0.1 80 > "$WORK/a.out" & PIDS+=($!)
for _ in $(seq 1 100); do [ "$(cat "$WORK"/l.out "$WORK"/a.out 2>/dev/null | grep -c ready)" = 2 ] && break; sleep 0.1; done

seconds() { python3 -c 'import sys; print("%.3f" % ((int(sys.argv[2]) - int(sys.argv[1])) / 1e9))' "$1" "$2"; }
run() {  # label file -- probe arguments...
  local label=$1 out=$2; shift 3
  local start end
  start=$(date +%s%N)
  ip netns exec "$NS" "$BIN" probe --json "$@" > "$out" || [ $? = 1 ]
  end=$(date +%s%N)
  seconds "$start" "$end" >> "$WORK/$label.times"
}
median() { sort -n "$WORK/$1.times" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
opens() { grep '"state":"open"' "$1" | grep -o '"peer_address":"[^"]*","peer_port":[0-9]*' | sort | md5sum | cut -c1-12; }

for scan in full many; do
  if [ $scan = full ]; then ARGS=(127.0.0.1 -); else ARGS=(10.81.0.0/16 22,80,443); fi
  ip netns exec "$NS" "$BIN" probe -q "${ARGS[@]}" || true  # warm-up, uncounted
  for i in $(seq 1 "$RUNS"); do
    run "$scan-plain" "$WORK/plain.jsonl" -- "${ARGS[@]}"
    rm -f "$WORK/state"
    run "$scan-resume" "$WORK/resume.jsonl" -- "${ARGS[@]}" --resume "$WORK/state"
    grep -q '^finished 1' "$WORK/state" || { echo "the resumable run did not finish"; exit 1; }
    [ "$(opens "$WORK/plain.jsonl")" = "$(opens "$WORK/resume.jsonl")" ] || { echo "the two runs disagree"; exit 1; }
  done
  plain=$(median "$scan-plain"); resume=$(median "$scan-resume")
  best=$(sort -n "$WORK/$scan-plain.times" | head -1); bestResume=$(sort -n "$WORK/$scan-resume.times" | head -1)
  echo "$scan: without --resume $(paste -sd' ' "$WORK/$scan-plain.times") s; with $(paste -sd' ' "$WORK/$scan-resume.times") s"
  python3 -c 'import sys; p, r, bp, br = map(float, sys.argv[2:6]); print("%s: median %.3f s without, %.3f s with --resume (%+.1f%%); best %.3f s and %.3f s (%+.1f%%)" % (sys.argv[1], p, r, (r / p - 1) * 100, bp, br, (br / bp - 1) * 100))' "$scan" "$plain" "$resume" "$best" "$bestResume"
  # (c) the system calls --resume adds, timed by the kernel's clock (strace -T), one run.
  rm -f "$WORK/state"
  ip netns exec "$NS" strace -f -T -e trace=openat,write,fsync,rename -o "$WORK/strace.txt" "$BIN" probe -q "${ARGS[@]}" --resume "$WORK/state" -oX "$WORK/scan.xml" || true
  python3 - "$WORK/strace.txt" "$scan" "$plain" <<'PY'
import re, sys
path, scan, plain = sys.argv[1], sys.argv[2], float(sys.argv[3])
fds, total, calls = set(), 0.0, 0
for line in open(path):
    m = re.search(r"<([\d.]+)>$", line.strip())
    took = float(m.group(1)) if m else 0.0
    if "openat(" in line and "state" in line:
        calls += 1; total += took
        fd = re.search(r"= (\d+) <", line)
        if fd and ".tmp" in line: fds.add(fd.group(1))
    elif re.search(r"\b(fsync|rename)\(", line):
        calls += 1; total += took
    elif re.search(r"write\((\d+),", line) and re.search(r"write\((\d+),", line).group(1) in fds:
        calls += 1; total += took
print("%s: --resume's own system calls: %d, %.2f ms in all: %.2f%% of the scan's median without it" % (scan, calls, total * 1000, total / plain * 100))
PY
done
