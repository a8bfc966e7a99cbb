#!/usr/bin/env bash
# Writes README.md's generated parts to stdout: the exit-code table between its
# markers, from `sockscope --help` (scripts/exit-codes.sh). `make readme` writes it back;
# scripts/check-generated.sh fails when the committed README differs.
# usage: scripts/update-readme.sh BIN_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(mktemp); trap 'rm -f "$table"' EXIT
bash scripts/exit-codes.sh "$1" markdown > "$table"
grep -q '^<!-- exit-codes: generated' README.md || { echo "README.md has no exit-codes markers" >&2; exit 1; }
awk -v table="$table" '
  /^<!-- exit-codes: generated/ { print; while ((getline line < table) > 0) print line; skipping = 1; next }
  /^<!-- \/exit-codes -->/ { skipping = 0 }
  !skipping { print }' README.md
