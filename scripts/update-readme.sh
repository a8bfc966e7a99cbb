#!/usr/bin/env bash
# Writes the generated parts of README.md or of a guide in docs/ to stdout: between
# "<!-- exit-codes: generated" and "<!-- /exit-codes -->" the exit-code table (from
# `sockscope --help`, scripts/exit-codes.sh); between "<!-- options: sockscope CMD" and
# "<!-- /options -->" that command's usage, arguments and options, from its --help.
# `make readme` writes them back; scripts/check-generated.sh fails when a committed file
# differs.
# usage: scripts/update-readme.sh BIN_DIR [FILE (default README.md)]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1; file=${2:-README.md}
table=$(mktemp); trap 'rm -f "$table"' EXIT
bash scripts/exit-codes.sh "$bin" markdown > "$table"
while IFS= read -r line; do
  if [[ $line == '<!-- exit-codes: generated'* ]]; then
    printf '%s\n' "$line"; cat "$table"; skipping=1
  elif [[ $line == '<!-- options: sockscope '* ]]; then
    printf '%s\n' "$line"
    command=${line#<!-- options: sockscope }; command=${command%% *}
    echo '```'
    COLUMNS=80 "$bin/sockscope" "$command" --help | sed -n '/^USAGE:/,$p'
    echo '```'
    skipping=1
  elif [[ $line == '<!-- /exit-codes -->' || $line == '<!-- /options -->' ]]; then
    printf '%s\n' "$line"; skipping=0
  elif [[ ${skipping:-0} == 0 ]]; then
    printf '%s\n' "$line"
  fi
done < "$file"
