#!/usr/bin/env bash
# Writes the manual page to stdout: swift-argument-parser's generate-manual, with
# the blank lines of our help text turned into mdoc paragraph breaks (.Pp), which
# man renders without warnings.
# usage: scripts/generate-man.sh BIN_DIR MAN_DATE
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product generate-manual > /dev/null
# The EXIT STATUS section: the table of `sockscope --help` (made from ExitStatus), in
# place of mdoc's generic ".Ex -std" ("exits 0 on success, and >0 if an error occurs").
table=$(mktemp); trap 'rm -f "$table"' EXIT
bash scripts/exit-codes.sh "$1" mdoc > "$table"
"$1/generate-manual" "$1/sockscope" --date "$2" --authors 'the sockscope developers' -o - | sed 's/^$/.Pp/' \
  | sed -e "/^\.Ex -std\$/{r $table" -e 'd}'
