#!/usr/bin/env bash
# Port-probe speed and accuracy, sockscope against nmap -sT and nc -z, in one run:
#  (a) all 65535 ports of 127.0.0.1, in a network namespace of its own with 3 known listeners:
#      sockscope probe vs nmap -n -sT -p- -T5 vs nc -z
#  (b) 1000 ports on a host 20 ms away (two namespaces joined by scripts/delay_link.py):
#      4 open, 100 dropped by nftables, the rest closed (RST):
#      sockscope probe vs nmap -n -sT -T4 and -T5
# Each tool's states are compared with the ground truth the script built.
# usage: bench/probe.sh [RUNS (default 5)]     needs root, nmap, nc, nft, python3
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
TAG=$$
A=bpa$TAG; B=bpb$TAG; L=bpl$TAG
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; ip netns del "$L" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s%N; }

# ---- set-up (a): loopback in its own namespace, listeners on 22, 8080, 40000
ip netns add "$L"; ip -n "$L" link set lo up
ip netns exec "$L" python3 Tests/Peers/listeners.py --host 127.0.0.1 22 8080 40000 > "$WORK/l.out" & PIDS+=($!)
# ---- set-up (b): target 20 ms away; open 20100 20200 20300 20400; 20501-20600 dropped
ip netns add "$A"; ip netns add "$B"; ip -n "$A" link set lo up; ip -n "$B" link set lo up
sleep 120 | python3 scripts/delay_link.py "$A" 10.210.0.1 "$B" 10.210.0.2 10 > "$WORK/link.out" & PIDS+=($!)
ip netns exec "$B" nft add table inet bench
ip netns exec "$B" nft add chain inet bench in '{ type filter hook input priority 0 ; }'
ip netns exec "$B" nft add rule inet bench in tcp dport 20501-20600 drop
ip netns exec "$B" python3 Tests/Peers/listeners.py 20100 20200 20300 20400 > "$WORK/b.out" & PIDS+=($!)
for _ in $(seq 1 100); do grep -q ready "$WORK/l.out" "$WORK/b.out" "$WORK/link.out" 2>/dev/null && [ "$(cat "$WORK"/l.out "$WORK"/b.out "$WORK"/link.out | grep -c ready)" = 3 ] && break; sleep 0.1; done

# Checks one tool's output against the truth; prints "ok" or what differs.
check() {  # kind(sockscope|nmap|nc) file open-ports filtered-ports total
  python3 - "$@" <<'PY'
import json, re, sys
kind, path, want_open, want_filtered, total = sys.argv[1:6]
want_open = set(map(int, want_open.split(","))) if want_open else set()
want_filtered = set(map(int, want_filtered.split(","))) if want_filtered else set()
text = open(path).read()
opened, filtered, closed = set(), set(), 0
if kind == "sockscope":
    for line in text.splitlines():
        row = json.loads(line)
        if row["state"] == "open": opened.add(row["peer_port"])
        elif row["state"] == "filtered": filtered.add(row["peer_port"])
        elif row["state"] == "closed": closed += 1
elif kind == "nmap":  # XML: <port> elements, and <extraports> with port ranges for the ignored states
    def expand(ranges):
        ports = set()
        for part in ranges.split(","):
            low, _, high = part.partition("-")
            ports.update(range(int(low), int(high or low) + 1))
        return ports
    for port, state in re.findall(r'<port protocol="tcp" portid="(\d+)"><state state="([a-z|]+)"', text):
        {"open": opened, "filtered": filtered}.get(state, set()).add(int(port))
        closed += state == "closed"
    for state, ranges in re.findall(r'<extraports state="([a-z|]+)".*?ports="([\d,-]+)"', text, re.S):
        if state == "filtered": filtered |= expand(ranges)
        elif state == "closed": closed += len(expand(ranges))
elif kind == "nc":
    opened = set(int(p) for p in re.findall(r"Connection to \S+ (\d+) port .* succeeded", text))
    closed = int(total) - len(opened)
want_closed = int(total) - len(want_open) - len(want_filtered)
ok = opened == want_open and filtered == want_filtered and closed == want_closed
print("ok" if ok else f"WRONG open={sorted(opened)} filtered={len(filtered)} closed={closed}")
PY
}

median() { sort -n | awk '{ t[NR] = $1 } END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; printf "%.3f", m / 1e9 }'; }

run_tool() {  # name kind namespace want_open want_filtered total command...
  local name=$1 kind=$2 ns=$3 open=$4 filtered=$5 total=$6; shift 6
  : > "$WORK/$name.times"; local verdict=ok
  for _ in $(seq 1 "$RUNS"); do
    local start=$(now)
    ip netns exec "$ns" "$@" > "$WORK/$name.out" 2>&1 || true
    echo $(( $(now) - start )) >> "$WORK/$name.times"
    local result=$(check "$kind" "$WORK/$name.out" "$open" "$filtered" "$total")
    [ "$result" = ok ] || verdict=$result
  done
  echo "$name $(median < "$WORK/$name.times") $verdict"
}

{
  run_tool "sockscope" sockscope "$L" 22,8080,40000 "" 65535 "$BIN" probe --json 127.0.0.1 -
  run_tool "nmap-T5" nmap "$L" 22,8080,40000 "" 65535 nmap -n -sT -p- -T5 -oX - 127.0.0.1
  run_tool "nc-z" nc "$L" 22,8080,40000 "" 65535 nc -zv -w 1 127.0.0.1 1-65535
} > "$WORK/a.results"
{
  run_tool "sockscope" sockscope "$A" 20100,20200,20300,20400 "$(seq -s, 20501 20600)" 1000 "$BIN" probe --json 10.210.0.2 20001-21000
  run_tool "nmap-T4" nmap "$A" 20100,20200,20300,20400 "$(seq -s, 20501 20600)" 1000 nmap -n -sT -T4 -p 20001-21000 -oX - 10.210.0.2
  run_tool "nmap-T5" nmap "$A" 20100,20200,20300,20400 "$(seq -s, 20501 20600)" 1000 nmap -n -sT -T5 -p 20001-21000 -oX - 10.210.0.2
} > "$WORK/b.results"

report() {  # title results-file
  echo "$1 (median of $RUNS runs)"
  printf "%-12s %10s %14s  %s\n" tool seconds "sockscope/it" "states vs ground truth"
  local ours=$(awk '$1 == "sockscope" { print $2 }' "$2")
  while read -r name seconds verdict; do
    printf "%-12s %10s %14s  %s\n" "$name" "$seconds" "$(awk -v a="$ours" -v b="$seconds" 'BEGIN { printf "%.2f", a / b }')" "$verdict"
  done < "$2"
  echo
}
report "(a) all 65535 ports of 127.0.0.1 (3 listening)" "$WORK/a.results"
report "(b) 1000 ports, 20 ms RTT: 4 open, 100 dropped, 896 closed" "$WORK/b.results"
