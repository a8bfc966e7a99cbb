#!/usr/bin/env bash
# DTLS 1.2 throughput on loopback, in one run, interleaved run by run: SIZE bytes of
# random data (a file, the senders' stdin) through one DTLS association, each receiver
# writing to a file that is checked afterwards (bytes arrived, sha256):
#   sockscope listen -u --tls --recv-buffer 256M ← sockscope connect -u --tls --send-only --size 1200
#   sockscope listen -u --tls --recv-buffer 256M ← sockscope connect -u --tls --send-only --size 16384
#   openssl s_server -dtls1_2 -naccept 1 ← openssl s_client -dtls1_2 (reads its stdin 16 KiB
#     at a time, one record per read: it has no way to send 1,200-byte datagrams from a
#     file, and -max_send_frag 1200 makes its 16 KiB writes fail)
# The same certificate (EC P-256) and OpenSSL's default cipher for it on both sides.
# UDP has no flow control: a receiver slower than its sender loses what overflows its
# socket's queue. sockscope's receiver is given a 256 MiB queue (--recv-buffer, which is
# SO_RCVBUFFORCE as root) to absorb the sender's lead; s_server has no such option, so
# the machine's default queue (net.core.rmem_default) is raised to the same 256 MiB
# for its runs and put back after.
# Two rates: over the sender's wall time (its start to its exit), and end to end (the
# sender's start to the receiver's exit, after the last record and close_notify).
# "lost" is what did not reach the receiver's file (in /dev/shm).
# Prints medians and sockscope's ratios.
#
# usage: bench/dtls.sh [SIZE (default 1G)] [RUNS (default 3)]
# needs: a release build, openssl, python3; root for the 256 MiB queues
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1G}
RUNS=${2:-3}
BIN=${SOCKSCOPE_BIN:-$(swift build -c release --show-bin-path)/sockscope}
# In memory (tmpfs): a receiver writing a gigabyte to a disk file stalls in the page
# cache's writeback throttling, and a stalled UDP receiver drops whatever comes meanwhile.
WORK=$(mktemp -d -p /dev/shm)
QUEUE=$((256 << 20))
DEFAULT_QUEUE=$(sysctl -n net.core.rmem_default)
trap 'sysctl -qw net.core.rmem_default="$DEFAULT_QUEUE" 2>/dev/null || true; rm -rf "$WORK"; kill $(jobs -p) 2>/dev/null || true' EXIT

head -c "$SIZE" /dev/urandom > "$WORK/input"
BYTES=$(stat -c %s "$WORK/input")
EXPECTED=$(sha256sum < "$WORK/input" | cut -d' ' -f1)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" -days 1 2>/dev/null

mkfifo "$WORK/fifo"
exec 7<> "$WORK/fifo"

free_port() { python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s%N; }

run() {  # TOOL → "sender_ns end_to_end_ns received_bytes intact(1/0)" for one transfer
  local tool=$1 port start elapsed total server
  port=$(free_port)
  : > "$WORK/out"
  case "$tool" in
    sockscope-*)
      "$BIN" listen -u --tls --recv-buffer "$QUEUE" --cert "$WORK/cert.pem" --key "$WORK/key.pem" -i 5 127.0.0.1 "$port" \
        < /dev/null > "$WORK/out" 2>/dev/null &
      server=$!
      sleep 0.3
      start=$(now)
      "$BIN" connect -u --tls --ca-file "$WORK/cert.pem" --send-only --size "${tool#sockscope-}" 127.0.0.1 "$port" < "$WORK/input" 2>/dev/null
      elapsed=$(( $(now) - start ))
      wait "$server" || true
      total=$(( $(now) - start )) ;;
    openssl)
      sysctl -qw net.core.rmem_default="$QUEUE" 2>/dev/null || true
      # Its stdin a FIFO this shell holds open: no end of input, which would end its
      # session; -naccept 1 ends it at the client's close_notify (60 s if that is lost).
      timeout 60 openssl s_server -dtls1_2 -naccept 1 -accept "127.0.0.1:$port" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -quiet \
        < "$WORK/fifo" > "$WORK/out" 2>/dev/null &
      server=$!
      sleep 0.3
      start=$(now)
      openssl s_client -dtls1_2 -connect "127.0.0.1:$port" -CAfile "$WORK/cert.pem" -quiet -no_ign_eof -nocommands < "$WORK/input" > /dev/null 2>&1
      elapsed=$(( $(now) - start ))
      wait "$server" 2>/dev/null || true
      total=$(( $(now) - start ))
      sysctl -qw net.core.rmem_default="$DEFAULT_QUEUE" 2>/dev/null || true ;;
  esac
  local got intact=0
  got=$(stat -c %s "$WORK/out")
  [ "$(sha256sum < "$WORK/out" | cut -d' ' -f1)" = "$EXPECTED" ] && intact=1
  echo "$elapsed $total $got $intact"
}

TOOLS=${TOOLS:-"sockscope-1200 sockscope-16384 openssl"}
for tool in $TOOLS; do : > "$WORK/$tool"; done
# One run of each, not counted, first: on this VM the first touch of memory the guest has
# not used yet is slow (the host backs it then), and a first run's receiver, writing a
# gigabyte into new pages, falls behind and loses what its queue cannot hold.
for tool in $TOOLS; do run "$tool" | sed "s/^/warm-up $tool: sender_ns end_ns bytes intact = /" >&2; done
for _ in $(seq 1 "$RUNS"); do
  for tool in $TOOLS; do run "$tool" | tee -a "$WORK/$tool" | sed "s/^/$tool: sender_ns end_ns bytes intact = /" >&2; done
done

# summary TOOL → "sender_MB/s end_to_end_MB/s lost_bytes intact_runs" (medians; worst loss)
summary() {
  awk -v bytes="$BYTES" '
    function median(a, n,   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    { s[NR] = $1; e[NR] = $2; lost = bytes - $3; if (lost > worst) worst = lost; ok += $4 }
    END { printf "%.0f %.0f %d %d\n", bytes / (median(s, NR) / 1e9) / 1e6, bytes / (median(e, NR) / 1e9) / 1e6, worst, ok }' "$WORK/$1"
}

printf "DTLS 1.2, %s bytes, medians of %d runs\n" "$BYTES" "$RUNS"
printf "%-20s %14s %16s %16s %14s\n" sender "MB/s (sender)" "MB/s (end-end)" "most lost (B)" "intact runs"
declare -A rate total
for tool in $TOOLS; do
  read -r mbps e2e lost ok < <(summary "$tool")
  rate[$tool]=$mbps
  total[$tool]=$e2e
  printf "%-20s %14s %16s %16s %11s/%d\n" "$tool" "$mbps" "$e2e" "$lost" "$ok" "$RUNS"
done
if [ -n "${rate[openssl]:-}" ]; then
  for tool in $TOOLS; do
    [ "$tool" = openssl ] && continue
    awk -v t="$tool" -v a="${rate[$tool]}" -v o="${rate[openssl]}" -v ea="${total[$tool]}" -v eo="${total[openssl]}" \
      'BEGIN { printf "%s / openssl s_client (16 KiB records): %.2fx sender, %.2fx end to end\n", t, a / o, ea / eo }'
  done
fi
