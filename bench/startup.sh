#!/usr/bin/env bash
# Start-up time per invocation: sockscope's `resolve 127.0.0.1`, `--version`,
# `probe -q 127.0.0.1 PORT` (a closed port) and `resolve --json 127.0.0.1` (a shape the
# argument parser handles) against `getent -s hosts:files hosts 127.0.0.1`, `nc -h` and
# `ncat --version`, measured with hyperfine -N (no shell) in one run; prints medians,
# each one's ratio to `ncat --version`, and the binary's shared-library list. Uses the
# lean build `make install` ships (`make lean`), and the plain release build for
# comparison.
# usage: bench/startup.sh [RUNS (default 500)]     needs hyperfine, ncat, nc
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-500}
ROUNDS=${2:-3}
make -s lean > /dev/null
STATIC=.build/static/release/sockscope
DYNAMIC=$(swift build -c release --show-bin-path)/sockscope
[ -x "$DYNAMIC" ] || swift build -c release > /dev/null
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
# Measured as `make install` leaves it: a copy (install(1)), not the file the linker just
# wrote — on this machine the linker's output starts up ~0.2 ms slower than a copy of it
# (1.7 against 1.4 ms, the same bytes: how the page cache holds a freshly linked file).
install -m 755 "$STATIC" "$WORK/sockscope"; STATIC=$WORK/sockscope

CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for round in $(seq "$ROUNDS"); do
  hyperfine -N -i --warmup 50 --runs "$RUNS" --export-json "$WORK/startup-$round.json" \
    "$STATIC resolve 127.0.0.1" "$STATIC --version" "$STATIC probe -q 127.0.0.1 $CLOSED" "$STATIC resolve --json 127.0.0.1" \
    "$DYNAMIC resolve 127.0.0.1" \
    "getent -s hosts:files hosts 127.0.0.1" "nc -h" "ncat --version" > /dev/null 2>&1 || true
done

python3 - "$WORK"/startup-*.json <<'PY'
import json, statistics, sys
rounds = [json.load(open(path))["results"] for path in sys.argv[1:]]
commands = [r["command"] for r in rounds[0]]
median = {c: statistics.median(next(r["median"] for r in results if r["command"] == c) for results in rounds) for c in commands}
best = {c: min(next(r["min"] for r in results if r["command"] == c) for results in rounds) for c in commands}
ncat = "ncat --version"
print(f"{len(rounds)} rounds; median of the rounds' medians, and the best of all runs")
print(f"{'command':<48} {'median ms':>10} {'× ncat':>7} {'best ms':>8} {'× ncat':>7}")
for c in commands:
    name = c
    if name.startswith(sys.argv[1].rsplit("/", 1)[0] + "/sockscope "):
        name = "installed: sockscope " + name.split("/sockscope ", 1)[1]
    elif "/sockscope " in name:
        name = "dynamic: sockscope " + name.split("/sockscope ", 1)[1]
    print(f"{name[:48]:<48} {median[c] * 1000:>10.2f} {median[c] / median[ncat]:>7.2f} {best[c] * 1000:>8.2f} {best[c] / best[ncat]:>7.2f}")
PY
echo
echo "ldd $STATIC:"
ldd "$STATIC" | awk '{print "  " $1}'
