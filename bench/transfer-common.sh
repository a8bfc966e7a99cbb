# Shared by bench/throughput.sh and bench/ab.sh (sourced): a SIZE sparse input file in
# a work directory removed on exit, and the helpers that time one transfer of it.
# Needs SIZE set; sets WORK and BYTES.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; kill $(jobs -p) 2>/dev/null || true' EXIT
truncate -s "$SIZE" "$WORK/input"
BYTES=$(stat -c %s "$WORK/input")

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s%N; }
wait_for() {  # tcp PORT | unix PATH
  for _ in $(seq 1 250); do
    if [ "$1" = tcp ]; then ss -Hltn "( sport = :$2 )" | grep -q . && return 0; else [ -S "$2" ] && return 0; fi
    sleep 0.02
  done
  echo "bench: nothing listens on $2" >&2; return 1
}

# median_mbps FILE → the median of FILE's nanosecond timings as MB/s of BYTES
median_mbps() { sort -n "$1" | awk -v bytes="$BYTES" '{ t[NR] = $1 } END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; printf "%.0f", bytes / (m / 1e9) / 1e6 }'; }
