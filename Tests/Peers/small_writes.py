"""Sends many small messages over TCP with TCP_NODELAY (a segment each) to a sink it
runs itself, one connection after another: the packet-heavy traffic bench/read.sh
captures.

    python3 small_writes.py HOST PORT CONNECTIONS MESSAGES SIZE
"""
import socket
import sys
import threading


def main():
    host, port, connections, messages, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(connections)

    def sink():
        for _ in range(connections):
            connection, _ = server.accept()
            while connection.recv(1 << 20):
                pass
            connection.close()

    thread = threading.Thread(target=sink)
    thread.start()
    payload = b"x" * size
    for _ in range(connections):
        client = socket.create_connection((host, port))
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(messages):
            client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        client.recv(1)
        client.close()
    thread.join(60)


if __name__ == "__main__":
    main()
