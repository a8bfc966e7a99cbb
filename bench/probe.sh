#!/usr/bin/env bash
# Port-probe speed and accuracy, sockscope against nmap -sT and nc -z, in one run:
#  (a) all 65535 ports of 127.0.0.1, in a network namespace of its own with 3 known listeners:
#      sockscope probe vs nmap -n -sT -p- -T5 vs nc -z
#  (b) 1000 ports on a host 20 ms away (two namespaces joined by scripts/delay_link.py):
#      4 open, 100 dropped by nftables, the rest closed (RST):
#      sockscope probe vs nmap -n -sT -T4 and -T5
#  (b') the same 1000 ports over a link that drops 5% of packets each way at random
#      (about one probe in ten loses its SYN or its answer): sockscope with its
#      default retries (they follow the loss it measures), with --retries 1 fixed, and
#      nmap -T4, whose retransmissions adapt too
# Each tool's states are compared with the ground truth the script built.
#  (c) scale: 10.78.0.0/16 made local (AnyIP) in a namespace 20 ms away, × 3 ports (80 open
#      everywhere, 22 and 443 closed): probes/s and peak RSS with default options and with
#      --parallel ceilings of 1024, 2048 and 4096, every state checked; the same
#      run as four --shard i/4 processes at once (their union checked); nmap -T4 for
#      reference on a /20 × 3 ports of the same kind with no delay
#  (d) --count 1000 -i 0.001 against a loopback listener vs hping3 -S -c 1000 -i u1000:
#      CPU time per probe and the average round trip each reports
# usage: bench/probe.sh [RUNS (default 5)]     needs root, nmap, nc, nft, python3 (hping3 for d)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
TAG=$$
A=bpa$TAG; B=bpb$TAG; L=bpl$TAG; P=bpp$TAG; Q=bpq$TAG
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in "$A" "$B" "$L" "$P" "$Q"; do ip netns del "$ns" 2>/dev/null || true; done
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
# ---- set-up (b'): the same target over a link that drops 5% each way
ip netns add "$P"; ip netns add "$Q"; ip -n "$P" link set lo up; ip -n "$Q" link set lo up
sleep 300 | python3 scripts/delay_link.py "$P" 10.213.0.1 "$Q" 10.213.0.2 10 5 > "$WORK/lossy-link.out" & PIDS+=($!)
ip netns exec "$Q" nft add table inet bench
ip netns exec "$Q" nft add chain inet bench in '{ type filter hook input priority 0 ; }'
ip netns exec "$Q" nft add rule inet bench in tcp dport 20501-20600 drop
ip netns exec "$Q" python3 Tests/Peers/listeners.py 20100 20200 20300 20400 > "$WORK/q.out" & PIDS+=($!)
for _ in $(seq 1 100); do [ "$(cat "$WORK"/l.out "$WORK"/b.out "$WORK"/link.out "$WORK"/lossy-link.out "$WORK"/q.out 2>/dev/null | grep -c ready)" = 5 ] && break; sleep 0.1; done

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
best() { sort -n | head -1 | awk '{ printf "%.3f", $1 / 1e9 }'; }

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
  echo "$name $(median < "$WORK/$name.times") $(best < "$WORK/$name.times") $verdict"
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
  echo "$1 ($RUNS runs: median and best; ratios best against best)"
  printf "%-12s %10s %10s %14s  %s\n" tool median best "sockscope/it" "states vs ground truth"
  local ours=$(awk '$1 == "sockscope" { print $3 }' "$2")
  while read -r name seconds fastest verdict; do
    printf "%-12s %10s %10s %14s  %s\n" "$name" "$seconds" "$fastest" "$(awk -v a="$ours" -v b="$fastest" 'BEGIN { printf "%.2f", a / b }')" "$verdict"
  done < "$2"
  echo
}
report "(a) all 65535 ports of 127.0.0.1 (3 listening)" "$WORK/a.results"
report "(b) 1000 ports, 20 ms RTT: 4 open, 100 dropped, 896 closed" "$WORK/b.results"
{
  run_tool "sockscope" sockscope "$P" 20100,20200,20300,20400 "$(seq -s, 20501 20600)" 1000 "$BIN" probe --json 10.213.0.2 20001-21000
  run_tool "--retries-1" sockscope "$P" 20100,20200,20300,20400 "$(seq -s, 20501 20600)" 1000 "$BIN" probe --json --retries 1 10.213.0.2 20001-21000
  run_tool "nmap-T4" nmap "$P" 20100,20200,20300,20400 "$(seq -s, 20501 20600)" 1000 nmap -n -sT -T4 -p 20001-21000 -oX - 10.213.0.2
} > "$WORK/b2.results"
report "(b') the same over a link dropping 5% each way" "$WORK/b2.results"

# ---- (c) scale behind a 20 ms link
S=bps$TAG; T=bpt$TAG
ip netns add "$S"; ip netns add "$T"; ip -n "$S" link set lo up; ip -n "$T" link set lo up
sleep 600 | python3 scripts/delay_link.py "$S" 10.211.0.1 "$T" 10.211.0.2 10 > "$WORK/scale-link.out" & PIDS+=($!)
for _ in $(seq 1 100); do grep -q ready "$WORK/scale-link.out" && break; sleep 0.1; done
ip -n "$S" route add 10.78.0.0/16 via 10.211.0.2
ip -n "$T" route add local 10.78.0.0/16 dev lo
ip -n "$T" route add local 10.79.0.0/20 dev lo
# The TUN queues hold a burst of 20,000 packets (500 by default), and the listener's
# accept queue 65,535 connections, drained as fast as Python accepts.
for ns in "$S" "$T"; do ip -n "$ns" link set "$(ip -n "$ns" -o link | grep -o 'dl[ab][0-9]*' | head -1)" txqueuelen 20000; done
ip netns exec "$T" sysctl -q -w net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535
ip netns exec "$T" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80)); s.listen(65535); print("ready", flush=True)
while True:
    c, _ = s.accept(); c.close()' > "$WORK/scale-listener.out" & PIDS+=($!)
for _ in $(seq 1 100); do grep -q ready "$WORK/scale-listener.out" && break; sleep 0.1; done
cleanup_scale() { ip netns del "$S" 2>/dev/null || true; ip netns del "$T" 2>/dev/null || true; cleanup; }
trap cleanup_scale EXIT

# Wall seconds, CPU seconds and peak RSS (KiB) of a command, its stdout to a file.
measure() {  # output-file command...
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
start = time.monotonic()
with open(sys.argv[1], "wb") as out:
    subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{time.monotonic() - start:.3f} {usage.ru_utime + usage.ru_stime:.3f} {usage.ru_maxrss}")
PY
}
# Checks the /16 × 3 records: 65,536 open (port 80), 131,072 closed, each probe once.
check_scale() {  # files...
  python3 - "$@" <<'PY'
import json, sys
seen, states, rtts = set(), {}, []
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)
        if r["type"] != "port": continue
        rtts.append(r["rtt_ms"])
        key = (r["peer_address"], r["peer_port"])
        if key in seen: print("WRONG: probed twice", key); sys.exit()
        seen.add(key); states[r["state"]] = states.get(r["state"], 0) + 1
ok = len(seen) == 196608 and states.get("open") == 65536 and states.get("closed") == 131072
rtt = sorted(rtts)[len(rtts) // 2] if rtts else 0
print(f"ok, median RTT {rtt:.1f} ms" if ok else f"WRONG {len(seen)} probes, {states}")
PY
}
{
  echo "(c) 10.78.0.0/16 × 3 ports (22,80,443), 20 ms RTT: 196,608 probes ($RUNS runs)"
  printf "%-34s %8s %10s %9s %10s  %s\n" run wall probes/s "CPU s" "peak RSS" states
  for parallel in default 1024 2048 4096; do
    options=(--parallel "$parallel"); name="probe --parallel $parallel"
    [ "$parallel" = default ] && options=() && name="probe (default options)"
    for _ in $(seq 1 "$RUNS"); do
      read -r wall cpu rss < <(measure "$WORK/scale.jsonl" ip netns exec "$S" "$BIN" probe --json "${options[@]}" 10.78.0.0/16 22,80,443)
      printf "%-34s %8s %10s %9s %7s KiB  %s\n" "$name" "$wall" "$(awk -v w="$wall" 'BEGIN { printf "%d", 196608 / w }')" "$cpu" "$rss" "$(check_scale "$WORK/scale.jsonl")"
    done
  done
  for _ in $(seq 1 "$RUNS"); do
    start=$(now)
    for i in 1 2 3 4; do ip netns exec "$S" "$BIN" probe --json --parallel 1024 --seed 19 --shard $i/4 10.78.0.0/16 22,80,443 > "$WORK/shard-$i.jsonl" & done
    wait $(jobs -p | tail -4)
    wall=$(awk -v n="$(( $(now) - start ))" 'BEGIN { printf "%.3f", n / 1e9 }')
    printf "%-34s %8s %10s %9s %10s  %s\n" "four --shard i/4 at once" "$wall" "$(awk -v w="$wall" 'BEGIN { printf "%d", 196608 / w }')" - - "$(check_scale "$WORK"/shard-*.jsonl)"
  done
  read -r wall cpu rss < <(measure "$WORK/nmap-scale.xml" ip netns exec "$T" nmap -n -sT -T4 -p 22,80,443 -oX - 10.79.0.0/20)
  read -r ours ourscpu oursrss < <(measure "$WORK/ours-scale.jsonl" ip netns exec "$T" "$BIN" probe --json 10.79.0.0/20 22,80,443)
  printf "%-34s %8s\n%-34s %8s\n" "nmap -T4, /20 × 3 ports, no delay" "$wall" "sockscope, the same" "$ours"
  echo
} | tee "$WORK/c.results"

# ---- (d) --count 1000: per-probe overhead against hping3 -S
if command -v hping3 > /dev/null; then
  echo "(d) 1000 timed SYNs to a loopback listener, 1 ms apart"
  read -r wall cpu rss < <(measure "$WORK/count.txt" ip netns exec "$L" "$BIN" probe -c 1000 -i 0.001 127.0.0.1 22)
  echo "sockscope probe -c 1000: wall $wall s, CPU $cpu s ($(awk -v c="$cpu" 'BEGIN { printf "%.1f", c * 1000 }') µs/probe), $(grep -o 'min/avg/max/mdev = [^ ]* ms' "$WORK/count.txt")"
  read -r wall cpu rss < <(measure /dev/null sh -c "ip netns exec $L hping3 -S -p 22 -c 1000 -i u1000 127.0.0.1 > $WORK/hping.txt 2>&1")
  echo "hping3 -S -c 1000:       wall $wall s, CPU $cpu s ($(awk -v c="$cpu" 'BEGIN { printf "%.1f", c * 1000 }') µs/probe), $(grep -o 'round-trip min/avg/max = [^ ]* ms' "$WORK/hping.txt")"
else
  echo "(d) skipped: hping3 is not installed (BENCH=1 make setup installs it)"
fi
