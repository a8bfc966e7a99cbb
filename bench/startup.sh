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
make -s lean > /dev/null
STATIC=.build/static/release/sockscope
DYNAMIC=$(swift build -c release --show-bin-path)/sockscope
[ -x "$DYNAMIC" ] || swift build -c release > /dev/null
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT

CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hyperfine -N -i --warmup 50 --runs "$RUNS" --export-json "$WORK/startup.json" \
  "$STATIC resolve 127.0.0.1" "$STATIC --version" "$STATIC probe -q 127.0.0.1 $CLOSED" "$STATIC resolve --json 127.0.0.1" \
  "$DYNAMIC resolve 127.0.0.1" \
  "getent -s hosts:files hosts 127.0.0.1" "nc -h" "ncat --version" > /dev/null 2>&1 || true

python3 - "$WORK/startup.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
ncat = next(r["median"] for r in results if r["command"] == "ncat --version")
print(f"{'command':<48} {'median ms':>10} {'× ncat --version':>18}")
for r in results:
    name = r["command"]
    if "/.build/static/" in name or name.startswith(".build/static/"):
        name = "installed: sockscope " + name.split("/sockscope ", 1)[1]
    elif "/sockscope " in name:
        name = "dynamic: sockscope " + name.split("/sockscope ", 1)[1]
    print(f"{name[:48]:<48} {r['median'] * 1000:>10.2f} {r['median'] / ncat:>18.2f}")
PY
echo
echo "ldd $STATIC:"
ldd "$STATIC" | awk '{print "  " $1}'
