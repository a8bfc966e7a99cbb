#!/usr/bin/env bash
# Runs every command with --json on loopback and collects what it prints (stdout for
# results, stderr for connect/listen events and errors) into DIR/*.jsonl, one file per
# run, for validate_json.py. Every wait is bounded; background processes are killed
# by their PIDs.  usage: json_samples.sh SOCKSCOPE DIR
set -u
bin=$1 out=$2
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done; }
trap cleanup EXIT
port_of() {  # waits for "listening on …:PORT" / "receiving on …:PORT" in a file
  for _ in $(seq 200); do
    port=$(grep -o -m1 -E '(listening|receiving) on [^ ]*:[0-9]+' "$1" 2>/dev/null | grep -o -E '[0-9]+$')
    [ -n "$port" ] && { echo "$port"; return; }
    sleep 0.05
  done
}

json_port() {  # waits for a "listening" record's local_port in a file
  for _ in $(seq 200); do
    port=$(grep -o -m1 '"local_port":[0-9]*' "$1" 2>/dev/null | grep -o '[0-9]*$')
    [ -n "$port" ] && { echo "$port"; return; }
    sleep 0.05
  done
}

# listen --json (events on stderr) with connect --json as its client
"$bin" listen --json --echo 127.0.0.1 0 > /dev/null 2> "$out/listen.jsonl" & pids+=($!)
port=$(json_port "$out/listen.jsonl")
echo hello | timeout 10 "$bin" connect --json 127.0.0.1 "$port" > /dev/null 2> "$out/connect.jsonl"
# the peer closes first (its stdin is empty) while ours is still open, and --stop-at-peer-close: stdin_unsent
"$bin" listen 127.0.0.1 0 < /dev/null > /dev/null 2> "$out/first.err" & pids+=($!)
fport=$(port_of "$out/first.err")
sleep 2 | timeout 10 "$bin" connect --json --stop-at-peer-close 127.0.0.1 "$fport" > /dev/null 2> "$out/connect-cut.jsonl"
# a refused client and a --max-clients refusal, from a keep-open listener
"$bin" listen --json -k --max-clients 1 --deny 127.0.0.2 127.0.0.1 0 < /dev/null > /dev/null 2> "$out/listen-k.jsonl" & pids+=($!)
kport=$(json_port "$out/listen-k.jsonl")
timeout 5 "$bin" connect -s 127.0.0.2 -i 0.2 127.0.0.1 "$kport" < /dev/null > /dev/null 2>&1
# TLS: an ephemeral-certificate listener (tls_identity, its side of each handshake), a
# client that connects --insecure, and one whose verification fails (exit 79)
"$bin" listen --json --tls -k --upper 127.0.0.1 0 < /dev/null > /dev/null 2> "$out/listen-tls.jsonl" & pids+=($!)
tport=$(json_port "$out/listen-tls.jsonl")
echo hello | timeout 10 "$bin" connect --json --tls --insecure 127.0.0.1 "$tport" > /dev/null 2> "$out/connect-tls.jsonl"
echo hello | timeout 10 "$bin" connect --json --tls 127.0.0.1 "$tport" > /dev/null 2> "$out/connect-tls-fail.jsonl"
# forward: one client relayed to the echo listener, and one whose target refuses
"$bin" listen -k --echo 127.0.0.1 0 < /dev/null > /dev/null 2> "$out/fecho.err" & pids+=($!)
feport=$(port_of "$out/fecho.err")
"$bin" forward --json 127.0.0.1 0 127.0.0.1 "$feport" > /dev/null 2> "$out/forward.jsonl" & pids+=($!)
fport2=$(json_port "$out/forward.jsonl")
echo hello | timeout 10 "$bin" connect 127.0.0.1 "$fport2" > /dev/null 2>&1
"$bin" forward --json 127.0.0.1 0 127.0.0.1 1 > /dev/null 2> "$out/forward-fail.jsonl" & pids+=($!)
fport3=$(json_port "$out/forward-fail.jsonl")
timeout 10 "$bin" connect 127.0.0.1 "$fport3" < /dev/null > /dev/null 2>&1
# forward's faults: a FIN after 3 bytes back; every client refused
"$bin" forward --json --downstream --delay 5 --close-after 3 127.0.0.1 0 127.0.0.1 "$feport" > /dev/null 2> "$out/forward-faults.jsonl" & pids+=($!)
fport4=$(json_port "$out/forward-faults.jsonl")
echo hello | timeout 10 "$bin" connect 127.0.0.1 "$fport4" > /dev/null 2>&1
"$bin" forward --json --refuse 100% 127.0.0.1 0 127.0.0.1 "$feport" > /dev/null 2> "$out/forward-refuse.jsonl" & pids+=($!)
fport5=$(json_port "$out/forward-refuse.jsonl")
timeout 10 "$bin" connect 127.0.0.1 "$fport5" < /dev/null > /dev/null 2>&1
sleep 0.3
# proxy: a SOCKS5 tunnel to the echo listener (connect's proxy record) and a refused target
"$bin" proxy --json --allow-target 127.0.0.1 127.0.0.1 0 > /dev/null 2> "$out/proxy.jsonl" & pids+=($!)
pport=$(json_port "$out/proxy.jsonl")
echo hello | timeout 10 "$bin" connect --json --proxy "socks5://127.0.0.1:$pport" 127.0.0.1 "$feport" > /dev/null 2> "$out/connect-proxy.jsonl"
timeout 10 "$bin" connect --proxy "socks5://127.0.0.1:$pport" 127.0.0.2 "$feport" < /dev/null > /dev/null 2>&1
"$bin" forward --json --proxy "socks5://127.0.0.1:$pport" 127.0.0.1 0 127.0.0.1 "$feport" > /dev/null 2> "$out/forward-proxy.jsonl" & pids+=($!)
fport6=$(json_port "$out/forward-proxy.jsonl")
echo hello | timeout 10 "$bin" connect 127.0.0.1 "$fport6" > /dev/null 2>&1
sleep 0.3
# errors as JSON: a refused connection, a usage error
timeout 5 "$bin" connect --json 127.0.0.1 1 < /dev/null > /dev/null 2> "$out/error.jsonl"
timeout 5 "$bin" listen --json -u --frame line 127.0.0.1 0 < /dev/null > /dev/null 2> "$out/usage.jsonl"
# framed messages
"$bin" listen --echo 127.0.0.1 0 2> "$out/echo.err" > /dev/null & pids+=($!)
eport=$(port_of "$out/echo.err")
printf 'one\ntwo\n' | timeout 10 "$bin" connect --frame line --frame-json 127.0.0.1 "$eport" > "$out/frames.jsonl" 2> /dev/null
# probe: one open port, one closed
timeout 20 "$bin" probe --json 127.0.0.1 "$kport,1" > "$out/probe.jsonl" 2> /dev/null
# probe --tls: a TLS port, and a port that answers in plaintext (a program's line)
"$bin" listen -k --sh-exec 'echo plain' 127.0.0.1 0 < /dev/null > /dev/null 2> "$out/plain.err" & pids+=($!)
pport=$(port_of "$out/plain.err")
timeout 20 "$bin" probe --json --tls --timeout 2 127.0.0.1 "$tport,$pport" > "$out/probe-tls.jsonl" 2> /dev/null
# resolve: getaddrinfo, gethostbyname, reverse, services (numeric: no lookup leaves the machine)
timeout 10 "$bin" resolve --json 127.0.0.1 80 > "$out/resolve.jsonl"
timeout 10 "$bin" resolve --json --gethostbyname 127.0.0.1 > "$out/hostbyname.jsonl"
timeout 10 "$bin" resolve --json --reverse 127.0.0.1 > "$out/reverse.jsonl"
timeout 10 "$bin" resolve --json --service ssh/tcp > "$out/service.jsonl"
# sockets
timeout 10 "$bin" sockets --json -p --port "$kport" > "$out/sockets.jsonl"
# UDP: recv, send --wait against recv --echo, broadcast --wait
"$bin" recv --json --echo --count 2 127.0.0.1 0 > "$out/recv.jsonl" 2> "$out/recv.err" & pids+=($!)
rport=$(port_of "$out/recv.err")
timeout 10 "$bin" send --json --wait 1 --count 1 127.0.0.1 "$rport" ping > "$out/send.jsonl"
"$bin" recv --echo --count 1 0.0.0.0 0 > /dev/null 2> "$out/brecv.err" & pids+=($!)
bport=$(port_of "$out/brecv.err")
timeout 10 "$bin" broadcast --json --to 127.255.255.255 --wait 0.5 --count 1 "$bport" who > "$out/broadcast.jsonl"
# UDP listener events and a refused datagram
"$bin" listen --json -u -i 1 --deny 127.0.0.2 127.0.0.1 0 < /dev/null > /dev/null 2> "$out/listen-u.jsonl" & pids+=($!)
uport=$(json_port "$out/listen-u.jsonl")
python3 -c "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.2', 0)); s.sendto(b'x', ('127.0.0.1', $uport))"
# demo, and (as root) a tap
timeout 30 "$bin" demo --json --no-packets > "$out/demo.jsonl" 2> /dev/null
if [ "$(id -u)" = 0 ]; then
  "$bin" tap --json -c 2 "tcp port $eport" > "$out/tap.jsonl" 2> "$out/tap.err" & tap=$!; pids+=($tap)
  for _ in $(seq 100); do grep -q 'capturing on' "$out/tap.err" && break; sleep 0.05; done
  echo x | timeout 5 "$bin" connect 127.0.0.1 "$eport" > /dev/null 2>&1
  for _ in $(seq 100); do kill -0 $tap 2>/dev/null || break; sleep 0.05; done
  # the TLS records of a TLS connection, whole packets kept
  "$bin" tap --json --tap-payload -c 6 "tcp port $tport" > "$out/tap-tls.jsonl" 2> "$out/tap-tls.err" & tap=$!; pids+=($tap)
  for _ in $(seq 100); do grep -q 'capturing on' "$out/tap-tls.err" && break; sleep 0.05; done
  echo x | timeout 10 "$bin" connect --tls --insecure 127.0.0.1 "$tport" > /dev/null 2>&1
  for _ in $(seq 100); do kill -0 $tap 2>/dev/null || break; sleep 0.05; done
fi
# probe --count: one open port (a listener of ours) and one closed, timed twice each
"$bin" listen -k 127.0.0.1 0 < /dev/null > /dev/null 2> "$out/count-listener.log" & pids+=($!)
port=$(port_of "$out/count-listener.log")
timeout 10 "$bin" probe --json -c 2 -i 0.05 127.0.0.1 "$port" > "$out/probe-count.jsonl" 2> /dev/null
timeout 10 "$bin" probe --json -c 1 127.0.0.1 1 > "$out/probe-count-closed.jsonl" 2> /dev/null
timeout 10 "$bin" probe --json 127.0.0.1,127.0.0.2 "$port",1 > "$out/probe-hosts.jsonl" 2> /dev/null
"$bin" listen --tls -k 127.0.0.1 0 < /dev/null > /dev/null 2> "$out/count-tls-listener.log" & pids+=($!)
port=$(port_of "$out/count-tls-listener.log")
timeout 10 "$bin" probe --json --tls -c 1 127.0.0.1 "$port" > "$out/probe-count-tls.jsonl" 2> /dev/null

# probe -u: an echoing UDP listener of ours (its answer) and a closed port
"$bin" listen -u --echo 127.0.0.1 0 < /dev/null > /dev/null 2> "$out/udp-echo.log" & pids+=($!)
port=$(port_of "$out/udp-echo.log")
timeout 10 "$bin" probe -u --json --payload-hex 6869 127.0.0.1 "$port",1 > "$out/probe-udp.jsonl" 2> /dev/null

# probe --banner: Python servers that greet (SMTP) or answer a HEAD (HTTP)
python3 "$(dirname "$0")/banner_servers.py" > "$out/banner-ports.txt" & pids+=($!)
for _ in $(seq 100); do [ -s "$out/banner-ports.txt" ] && break; sleep 0.05; done
read -r smtp http silent < "$out/banner-ports.txt"
timeout 10 "$bin" probe --json --banner --timeout 2 127.0.0.1 "$smtp,$silent" > "$out/probe-banner.jsonl" 2> /dev/null
timeout 10 "$bin" probe --json --banner-send 'HEAD / HTTP/1.0\r\n\r\n' 127.0.0.1 "$http" > "$out/probe-banner-send.jsonl" 2> /dev/null

# tap --read --summary: a pcap of UDP datagrams written by udp_pcap.py
python3 "$(dirname "$0")/udp_pcap.py" "$out/udp.pcap" 4000:53:10 53:4000:30
timeout 10 "$bin" tap -r "$out/udp.pcap" --summary --json > "$out/summary.jsonl" 2> /dev/null
# … and of TCP conversations that go wrong (tcp_anomalies_pcap.py): the TCP fields, and
# the packet records of a file
python3 "$(dirname "$0")/tcp_anomalies_pcap.py" "$out/tcp.pcap"
timeout 10 "$bin" tap -r "$out/tcp.pcap" --summary --json > "$out/summary-tcp.jsonl" 2> /dev/null
timeout 10 "$bin" tap -r "$out/tcp.pcap" --json > "$out/packets-read.jsonl" 2> /dev/null
sleep 1.2  # the UDP listener's idle timeout ends it and its closing record is written
rm -f "$out"/*.err "$out"/*.pcap
