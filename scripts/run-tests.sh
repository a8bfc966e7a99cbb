#!/usr/bin/env bash
# Runs the whole suite (make test's last step) and, when it fails, repeats every failed
# test's issues at the end of the output: a CI log is often read from its tail, and
# the run prints the issue itself among hundreds of other lines.
# Usage: scripts/run-tests.sh SWIFT TIMEOUT_SECONDS
set -uo pipefail
swift_cmd=${1:-swift}
limit=${2:-1200}
log=$(mktemp /tmp/sockscope-test.XXXXXX.log)
trap 'rm -f "$log"' EXIT
timeout -k 10 "$limit" "$swift_cmd" test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
	echo
	echo "=== what failed (repeated from above; exit $status) ==="
	grep -a -A 6 'recorded an issue\|failed after\|error:\|Fatal error\|timed out' "$log" |
		grep -av '^.*✔' | tail -n 80
fi
exit "$status"
