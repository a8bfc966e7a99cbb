"""Captures one TCP scenario between Python peers on loopback, with tcpdump, in a
network namespace of its own (run it under `unshare -n`: the namespace, its nftables
rules and its sockets go away when it exits).

    unshare -n python3 tcp_scenarios.py SCENARIO OUT.pcap

Scenarios:
  plain        the client sends "hello" and shuts down; the server answers "bye" and closes
  drops        the client sends 2 MiB while nftables drops every 8th large segment on input
               (the capture on lo sees each segment before the drop: the resends show as
               retransmissions)
  reset        the server reads "hello" and closes with SO_LINGER 0: a RST
  zerowindow   the server's 4 KiB receive buffer is not read for a second: zero windows,
               then it reads everything
  simultaneous both sides shut down while nftables drops the first FIN each way: both FINs
               cross (simultaneous close), both sides end in TIME-WAIT
Prints "time-wait LOCAL-PORT" for each socket the kernel holds in TIME-WAIT at the end
(ss), then "done" when the capture file is complete.
"""
import socket
import struct
import subprocess
import sys
import threading
import time

PORT = 5000


def sh(*args, stdin=None):
    subprocess.run(args, input=stdin, check=True, capture_output=True, text=True, timeout=10)


def start_capture(path):
    dump = subprocess.Popen(
        ["tcpdump", "--immediate-mode", "-i", "lo", "-U", "-s", "256", "-w", path, "tcp port %d" % PORT],
        stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 10
    while time.time() < deadline:
        line = dump.stderr.readline()
        if "listening on" in line:
            return dump
        if not line:
            break
    raise SystemExit("tcpdump did not start")


def listener(rcvbuf=None):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    server.bind(("127.0.0.1", PORT))
    server.listen(1)
    return server


def read_all(connection):
    total = 0
    while True:
        data = connection.recv(65536)
        if not data:
            return total
        total += len(data)


def plain():
    server = listener()

    def serve():
        connection, _ = server.accept()
        read_all(connection)
        connection.sendall(b"bye")
        connection.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(("127.0.0.1", PORT))
    client.sendall(b"hello")
    time.sleep(0.05)
    client.shutdown(socket.SHUT_WR)
    read_all(client)
    client.close()
    thread.join(10)


def drops():
    sh("nft", "-f", "-", stdin="""
table inet scenario {
  chain input {
    type filter hook input priority 0;
    tcp dport %d meta length > 1000 numgen inc mod 8 == 0 drop
  }
}
""" % PORT)
    server = listener()
    received = []

    def serve():
        connection, _ = server.accept()
        received.append(read_all(connection))
        connection.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.socket()
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1400)
    client.connect(("127.0.0.1", PORT))
    for _ in range(128):
        client.sendall(bytes(16384))
    client.shutdown(socket.SHUT_WR)
    read_all(client)
    client.close()
    thread.join(30)
    assert received == [2 * 1024 * 1024], received


def reset():
    server = listener()

    def serve():
        connection, _ = server.accept()
        connection.recv(5)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(("127.0.0.1", PORT))
    client.sendall(b"hello")
    thread.join(10)
    try:
        client.recv(10)
    except ConnectionResetError:
        pass
    client.close()


def zerowindow():
    server = listener(rcvbuf=4096)
    received = []

    def serve():
        connection, _ = server.accept()
        time.sleep(1.0)
        received.append(read_all(connection))
        connection.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(("127.0.0.1", PORT))
    client.sendall(bytes(256 * 1024))
    client.shutdown(socket.SHUT_WR)
    read_all(client)
    client.close()
    thread.join(30)
    assert received == [256 * 1024], received


def simultaneous():
    sh("nft", "-f", "-", stdin="""
table inet scenario {
  chain input {
    type filter hook input priority 0;
    tcp flags & fin == fin tcp dport %d drop
    tcp flags & fin == fin tcp sport %d drop
  }
}
""" % (PORT, PORT))
    server = listener()
    ready = threading.Barrier(2)

    def serve():
        connection, _ = server.accept()
        ready.wait(10)
        connection.shutdown(socket.SHUT_WR)
        time.sleep(0.3)
        read_all(connection)
        connection.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(("127.0.0.1", PORT))
    ready.wait(10)
    client.shutdown(socket.SHUT_WR)
    time.sleep(0.1)
    # Both FINs have gone out (and been dropped): let the retransmissions through.
    sh("nft", "delete", "table", "inet", "scenario")
    read_all(client)
    client.close()
    thread.join(30)


def main():
    scenario, path = sys.argv[1], sys.argv[2]
    sh("ip", "link", "set", "lo", "up")
    dump = start_capture(path)
    try:
        {"plain": plain, "drops": drops, "reset": reset, "zerowindow": zerowindow, "simultaneous": simultaneous}[scenario]()
        time.sleep(0.3)
    finally:
        dump.send_signal(2)
        dump.wait(10)
    listed = subprocess.run(["ss", "-Htan", "state", "time-wait"], capture_output=True, text=True, timeout=10).stdout
    for line in listed.splitlines():
        fields = line.split()
        if len(fields) >= 4:
            print("time-wait", fields[2].rsplit(":", 1)[1], flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main()
