#!/usr/bin/env bash
# Fails when man/sockscope.1, completions/ or README.md's generated tables differ from
# what the commands generate as they are now (`make man completions readme` fixes it).
# usage: scripts/check-generated.sh BIN_DIR MAN_DATE
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1; date=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
bash scripts/generate-man.sh "$bin" "$date" > "$work/sockscope.1"
"$bin/sockscope" --generate-completion-script bash > "$work/sockscope.bash"
"$bin/sockscope" --generate-completion-script zsh > "$work/_sockscope"
"$bin/sockscope" --generate-completion-script fish > "$work/sockscope.fish"
bash scripts/update-readme.sh "$bin" > "$work/README.md"
stale=0
for guide in docs/*.md; do
  [ "$guide" = docs/json.md ] && continue
  bash scripts/update-readme.sh "$bin" "$guide" > "$work/guide.md"
  if ! cmp -s "$guide" "$work/guide.md"; then
    echo "generated files: $guide is out of date with the commands (run: make readme)" >&2
    diff -u "$guide" "$work/guide.md" | head -20 >&2 || true
    stale=1
  fi
done
for pair in "man/sockscope.1:sockscope.1" "completions/sockscope.bash:sockscope.bash" "completions/_sockscope:_sockscope" "completions/sockscope.fish:sockscope.fish" "README.md:README.md"; do
  committed=${pair%%:*}; fresh=$work/${pair##*:}
  if ! cmp -s "$committed" "$fresh"; then
    echo "generated files: $committed is out of date with the commands (run: make man completions readme)" >&2
    diff -u "$committed" "$fresh" | head -20 >&2 || true
    stale=1
  fi
done
python3 scripts/generate-json-doc.py --check || stale=1
[ "$stale" = 0 ] && echo "generated files: man/sockscope.1, completions/ and README.md's tables are up to date"
exit "$stale"
