#!/usr/bin/env bash
# Prints the exit-status table of `sockscope --help` (made from ExitStatus, the one
# source) as mdoc for the manual or as a Markdown table for the README.
# usage: scripts/exit-codes.sh BIN_DIR mdoc|markdown
set -euo pipefail
bin=$1; format=$2
COLUMNS=200 "$bin/sockscope" --help | awk -v format="$format" '
  /^ *EXIT STATUS *$/ { inside = 1; next }
  inside && /^ *$/ { exit }
  inside {
    if (match($0, /^  [0-9]+ +/)) {
      if (code != "") emit()
      code = $1; text = substr($0, RLENGTH + 1)
    } else {
      sub(/^ +/, ""); text = text " " $0
    }
  }
  function emit() {
    if (format == "mdoc") { print ".It " code; print text }
    else { print "| " code " | " text " |" }
  }
  END {
    if (code != "") emit()
  }' | {
  if [ "$format" = mdoc ]; then echo ".Bl -tag -width Ds"; cat; echo ".El"
  else echo "| code | meaning |"; echo "|---|---|"; cat; fi
}
