#!/usr/bin/env bash
# Start-up time per invocation: `sockscope resolve 127.0.0.1` against
# `getent -s hosts:files hosts 127.0.0.1`, `nc -h` and `ncat --version`,
# measured with hyperfine -N (no shell) in one run; prints medians, ratios, and the
# binary's shared-library list. Uses a release build with the Swift runtime linked
# statically (as `make install` ships it), and the plain release build for comparison.
# usage: bench/startup.sh [RUNS (default 500)]     needs hyperfine, ncat, nc
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-500}
swift build -c release --static-swift-stdlib --build-path .build/static > /dev/null
STATIC=.build/static/release/sockscope
DYNAMIC=$(swift build -c release --show-bin-path)/sockscope
[ -x "$DYNAMIC" ] || swift build -c release > /dev/null
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT

hyperfine -N --warmup 50 --runs "$RUNS" --export-json "$WORK/startup.json" \
  "$STATIC resolve 127.0.0.1" "$DYNAMIC resolve 127.0.0.1" \
  "getent -s hosts:files hosts 127.0.0.1" "nc -h" "ncat --version" > /dev/null 2>&1 || true

python3 - "$WORK/startup.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
ours = results[0]["median"]
print(f"{'command':<48} {'median ms':>10} {'static sockscope / it':>22}")
for r in results:
    name = r["command"]
    if "/.build/static/" in name or name.startswith(".build/static/"):
        name = "static: " + name.split("/")[-1]
    elif "/sockscope " in name:
        name = "dynamic: sockscope " + name.split("/sockscope ", 1)[1]
    print(f"{name[-48:]:<48} {r['median'] * 1000:>10.2f} {ours / r['median']:>22.2f}")
PY
echo
echo "ldd $STATIC:"
ldd "$STATIC" | awk '{print "  " $1}'
