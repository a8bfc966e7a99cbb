import Glibc
import Testing

/// Listener behaviour: port 0, -v narration, --keep-open, Unix socket files, UDP replies.
@Suite("listen")
struct ListenTests {
    @Test("-v narrates socket → bind → listen → accept with both ends' addresses")
    func verboseNarration() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "--upper", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let client = try await run(Paths.python, [Paths.peer("tcp_client.py"), "127.0.0.1", "\(port)", "classic", "hi"])
        #expect(client.stdoutText == "HI")
        #expect(try await listener.finish() == 0)
        let lines = listener.stderrText.split(separator: "\n").map(String.init)
        let expectedOrder = [
            "socket(AF_INET6, SOCK_STREAM)", "setsockopt(fd 3, SO_REUSEADDR, 1) → ok", "bind(fd 3, 127.0.0.1:0) → ok",
            "listen(fd 3, 128) → ok", "accept(fd 3) → fd 4 ← 127.0.0.1:", "getsockname(fd 4) → 127.0.0.1:\(port)", "close(fd 4)",
        ]
        var position = 0
        for expected in expectedOrder.dropFirst() {
            guard let index = lines[position...].firstIndex(where: { $0.contains(expected) }) else {
                Issue.record("missing or out of order: '\(expected)' in:\n\(listener.stderrText)")
                return
            }
            position = index
        }
        #expect(lines.contains { $0.contains("socket(AF_INET, SOCK_STREAM) → fd 3") })
    }

    @Test("port 0: the kernel's choice is printed, and ss sees the listener there")
    func portZero() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        #expect(port > 0)
        let ss = try await run(Paths.ss, ["-Hltn", "( sport = :\(port) )"])
        #expect(ss.stdoutText.contains("127.0.0.1:\(port)"), "\(ss)")
    }

    @Test("no address: one dual-stack socket takes IPv4 and IPv6 clients")
    func dualStack() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "--upper", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        #expect(try await listener.waitForLine(containing: "listening on").contains("[::]:\(port) (IPv6 and IPv4)"))
        let v4 = try await run(Paths.python, [Paths.peer("tcp_client.py"), "127.0.0.1", "\(port)", "classic", "four"])
        let v6 = try await run(Paths.python, [Paths.peer("tcp_client.py"), "::1", "\(port)", "classic", "six"])
        #expect(v4.stdoutText == "FOUR", "\(v4)")
        #expect(v6.stdoutText == "SIX", "\(v6)")
    }

    @Test("--keep-open serves clients one after another")
    func keepOpen() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "--echo", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        for index in 0..<3 {
            let outcome = try await run(Paths.nc, ["-N", "127.0.0.1", "\(port)"], input: Array("client \(index)\n".utf8))
            #expect(outcome.stdoutText == "client \(index)\n", "\(outcome)")
        }
    }

    @Test("-U removes a stale socket file it owns, refuses a live one, and removes its own at the end")
    func unixSocketFiles() async throws {
        let directory = try TemporaryDirectory.make()
        let path = directory + "/app.sock"
        // A stale socket file: bound by a process that exited without unlinking.
        let stale = try await run(Paths.python, ["-c", "import socket; s = socket.socket(socket.AF_UNIX); s.bind('\(path)')"])
        #expect(stale.status == 0)
        #expect(access(path, F_OK) == 0)

        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "--upper", "-U", path])
        defer { listener.kill() }
        _ = try await listener.waitForLine(containing: "listen(fd")
        #expect(listener.stderrText.contains("unlink(\(path)) → ok (stale socket file"))

        let second = try await sockscope("listen", "-U", path)
        #expect(second.status == 69, "\(second)")
        #expect(second.stderr.contains("another process is listening"))

        let client = try await run(Paths.socat, ["-", "UNIX-CONNECT:\(path)"], input: Array("unix".utf8))
        #expect(client.stdoutText == "UNIX", "\(client)")
        #expect(try await listener.finish() == 0)
        #expect(access(path, F_OK) != 0, "the listener left its socket file behind")
    }

    @Test("-U refuses to replace a path that is not a socket")
    func unixPathNotSocket() async throws {
        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/file", Array("precious".utf8))
        let outcome = try await sockscope("listen", "-U", directory + "/file")
        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.stderr.contains("not a socket"))
        #expect(try readFile(directory + "/file") == Array("precious".utf8))
    }

    @Test("Unix abstract socket: listen -U @name ← connect -U @name")
    func abstractSocket() async throws {
        let name = "@sockscope-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "--upper", "-U", name])
        defer { listener.kill() }
        _ = try await listener.waitForLine(containing: "listen(fd")
        let outcome = try await sockscope("connect", "-U", name, input: Array("abstract".utf8))
        #expect(outcome.stdoutText == "ABSTRACT", "\(outcome)")
    }

    @Test("UDP listen prints datagrams and sends stdin to the last sender, like nc -lu")
    func udpRepliesToLastSender() async throws {
        let directory = try TemporaryDirectory.make()
        let fifo = directory + "/stdin"
        #expect(mkfifo(fifo, 0o600) == 0)
        let listener = try BackgroundProcess(Paths.sh, ["-c", "exec \(Paths.sockscope) listen -u -i 30 127.0.0.1 0 < \(fifo)"])
        defer { listener.kill() }
        let writer = try BackgroundProcess(Paths.sh, ["-c", "sleep 1; printf 'reply\\n'; sleep 3"], stdoutPath: fifo)
        defer { writer.kill() }
        let port = try await listener.announcedPort()
        let client = try await run(Paths.python, [Paths.peer("udp_peer.py"), "client", "127.0.0.1", "\(port)", "hello"])
        #expect(client.stdoutText == "reply\n", "\(client)")
        #expect(listener.stdoutText == "hello")
    }

    @Test("Unix datagram: listen -u -U --upper answers connect -u -U, which autobinds to get the reply")
    func unixDatagram() async throws {
        let directory = try TemporaryDirectory.make()
        let path = directory + "/dgram.sock"
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "-u", "--upper", "-i", "30", "-U", path])
        defer { listener.kill() }
        _ = try await listener.waitForLine(containing: "listening on")
        let outcome = try await sockscope("connect", "-v", "-u", "-U", path, input: Array("datagram".utf8))
        #expect(outcome.stdoutText == "DATAGRAM", "\(outcome)")
        #expect(outcome.stderr.contains("bind(fd 3, (unnamed)) → ok"))
    }
}
