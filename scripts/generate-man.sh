#!/usr/bin/env bash
# Writes the manual page to stdout: swift-argument-parser's generate-manual, with
# the blank lines of our help text turned into mdoc paragraph breaks (.Pp), which
# man renders without warnings.
# usage: scripts/generate-man.sh BIN_DIR MAN_DATE
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product generate-manual > /dev/null
"$1/generate-manual" "$1/sockscope" --date "$2" --authors 'the sockscope developers' -o - | sed 's/^$/.Pp/'
