import Glibc
import Testing

/// `forward` between Python peers: data both ways intact, half-close passed through,
/// many clients at once, access rules, a target that refuses.
@Suite("forward")
struct ForwardTests {
    /// The echoing target (Tests/Peers/forward_peer.py) and a forwarder to it.
    static func start(_ options: [String] = []) async throws -> (target: BackgroundProcess, forward: BackgroundProcess, port: UInt16) {
        let target = try BackgroundProcess(Paths.python, [Paths.peer("forward_peer.py"), "target"])
        let targetPort = try await target.announcedPort(marker: "", inStdout: true)
        let forward = try BackgroundProcess(Paths.sockscope, ["forward"] + options + ["127.0.0.1", "0", "127.0.0.1", "\(targetPort)"])
        guard options.contains("--json") else { return (target, forward, try await forward.announcedPort()) }
        return (target, forward, try await jsonPort(forward))
    }

    /// The port in a --json listener's "listening" record.
    static func jsonPort(_ process: BackgroundProcess) async throws -> UInt16 {
        let listening = try await process.waitForLine(containing: "\"type\":\"listening\"")
        return try #require(listening.split(separator: "\"local_port\":").last.flatMap { UInt16($0.prefix { $0.isNumber }) })
    }

    @Test("64 MiB of random bytes each way, intact; the client's FIN reaches the target, which still answers; -v tells it")
    func dataAndHalfClose() async throws {
        let (target, forward, port) = try await Self.start(["-v"])
        defer {
            target.kill()
            forward.kill()
        }
        let outcome = try await run(Paths.python, [Paths.peer("forward_peer.py"), "client", "127.0.0.1", "\(port)", "\(64 << 20)"], timeout: .seconds(120))
        #expect(outcome.stdoutText == "ok 1\n", "\(outcome)")
        let narration = try await forward.waitForLine(containing: "done in")
        #expect(narration.contains("\(64 << 20) bytes to the target, \((64 << 20) + 3) bytes to the client; the client closed first"), "\(narration)")
        #expect(forward.stderrText.contains("client 1: the client sent FIN; shutdown(SHUT_WR) passes it on to the target"), "\(forward.stderrText)")
    }

    @Test("the target's half-close passes too: it sends FIN first and still receives what the client sends after (Python peers)")
    func targetHalfClosesFirst() async throws {
        let target = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1); s.settimeout(20)
                print(s.getsockname()[1], flush=True)
                c, _ = s.accept()
                c.sendall(b'greeting'); c.shutdown(socket.SHUT_WR)
                total = 0
                while data := c.recv(65536):
                    total += len(data)
                print('received', total, flush=True)
                """,
            ])
        defer { target.kill() }
        let targetPort = try await target.announcedPort(marker: "", inStdout: true)
        let forward = try BackgroundProcess(Paths.sockscope, ["forward", "-v", "127.0.0.1", "0", "127.0.0.1", "\(targetPort)"])
        defer { forward.kill() }
        let port = try await forward.announcedPort()
        let client = """
            import socket
            s = socket.create_connection(('127.0.0.1', \(port)), timeout=20)
            got = b''
            while data := s.recv(100):
                got += data
            s.sendall(b'x' * 100000); s.shutdown(socket.SHUT_WR)
            print(got.decode(), s.recv(10) == b'')
            """
        let outcome = try await run(Paths.python, ["-c", client], timeout: .seconds(30))
        #expect(outcome.stdoutText == "greeting True\n", "\(outcome)")
        _ = try await target.waitForLine(containing: "received", inStdout: true)
        #expect(target.stdoutText.contains("received 100000"), "\(target.stdoutText)")
        let narration = try await forward.waitForLine(containing: "done in")
        #expect(narration.contains("the target closed first"), "\(narration)")
    }

    @Test("200 clients at once, each with its own connection to the target, on one event loop")
    func manyClients() async throws {
        let (target, forward, port) = try await Self.start()
        defer {
            target.kill()
            forward.kill()
        }
        let outcome = try await run(Paths.python, [Paths.peer("forward_peer.py"), "client", "127.0.0.1", "\(port)", "20000", "200"], timeout: .seconds(60))
        #expect(outcome.stdoutText == "ok 200\n", "\(outcome)\n\(forward.stderrText.suffix(2000))")
    }

    @Test("--allow refuses other clients (logged); a target that refuses resets the client, and the failure is named")
    func refusals() async throws {
        let (target, forward, port) = try await Self.start(["--allow", "127.0.0.2"])
        defer {
            target.kill()
            forward.kill()
        }
        let refused = try await sockscope("connect", "-w", "2", "-i", "1", "127.0.0.1", "\(port)")
        #expect(refused.stdoutText.isEmpty)
        _ = try await forward.waitForLine(containing: "refused 127.0.0.1")

        let closedPort = try freePort()
        let nowhere = try BackgroundProcess(Paths.sockscope, ["forward", "--json", "127.0.0.1", "0", "127.0.0.1", "\(closedPort)"])
        defer { nowhere.kill() }
        let nowherePort = try await Self.jsonPort(nowhere)
        let reset = try await sockscope("connect", "-w", "2", "127.0.0.1", "\(nowherePort)")
        #expect(reset.stderr.contains("ECONNRESET"), "the client is reset: \(reset)")
        let record = try await nowhere.waitForLine(containing: "forward_failed")
        #expect(record.contains("ECONNREFUSED"), "\(record)")
    }

    @Test("--hexdump shows each chunk under its connection and direction, and the bytes both ways")
    func hexdump() async throws {
        let (target, forward, port) = try await Self.start(["--hexdump"])
        defer {
            target.kill()
            forward.kill()
        }
        let outcome = try await sockscope("connect", "-i", "1", "127.0.0.1", "\(port)", input: Array("ping".utf8))
        #expect(outcome.stdoutText == "pingbye", "\(outcome)")
        _ = try await forward.waitForLine(containing: "client 1 target→client")
        let text = forward.stderrText
        #expect(text.contains("client 1 client→target, 4 bytes:") && text.contains("70 69 6e 67"), "\(text)")
        #expect(text.contains("client 1 target→client, "), "\(text)")
    }

    @Test("a target's reset reaches the client as a reset (ConnectionResetError in Python), and Ctrl-C ends forward with 130")
    func resetAndInterrupt() async throws {
        let target = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, struct
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(4)
                print(s.getsockname()[1], flush=True)
                c, _ = s.accept(); c.recv(10)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()
                """,
            ])
        defer { target.kill() }
        let targetPort = try await target.announcedPort(marker: "", inStdout: true)
        let forward = try BackgroundProcess(Paths.sockscope, ["forward", "-v", "127.0.0.1", "0", "127.0.0.1", "\(targetPort)"])
        defer { forward.kill() }
        let port = try await forward.announcedPort()
        let client = try await run(
            Paths.python,
            [
                "-c",
                """
                import socket
                s = socket.create_connection(('127.0.0.1', \(port)), timeout=10); s.sendall(b'x')
                try:
                    print('data' if s.recv(10) else 'end of stream')
                except ConnectionResetError:
                    print('reset')
                """,
            ])
        #expect(client.stdoutText == "reset\n", "\(client)\n\(forward.stderrText)")
        _ = try await forward.waitForLine(containing: "the target reset the connection, passed on as a reset")
        kill(forward.pid, SIGINT)
        #expect(try await forward.finish(timeout: .seconds(10)) == 130)
    }

    @Test("-U and --target-unix: Unix on either side or both, 1 MiB each way intact with the half-close passed on (Python Unix peers)")
    func unixLegs() async throws {
        let directory = try TemporaryDirectory.make()
        let targetPath = directory + "/target.sock"
        let target = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, threading
                s = socket.socket(socket.AF_UNIX); s.bind('\(targetPath)'); s.listen(8); s.settimeout(20)
                print('ready', flush=True)
                def serve(c):
                    with c:
                        while data := c.recv(65536):
                            c.sendall(data)
                        c.sendall(b'bye')
                while True:
                    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
                """,
            ])
        defer { target.kill() }
        _ = try await target.waitForLine(containing: "ready", inStdout: true)
        let listenPath = directory + "/forward.sock"
        let unixToUnix = try BackgroundProcess(Paths.sockscope, ["forward", "-U", listenPath, "--target-unix", targetPath])
        defer { unixToUnix.kill() }
        _ = try await unixToUnix.waitForLine(containing: "listening on")
        let tcpToUnix = try BackgroundProcess(Paths.sockscope, ["forward", "127.0.0.1", "0", "--target-unix", targetPath])
        defer { tcpToUnix.kill() }
        let port = try await tcpToUnix.announcedPort()
        let client = """
            import hashlib, os, socket, sys, threading
            s = socket.socket(socket.AF_UNIX) if sys.argv[1].startswith('/') else socket.socket()
            s.connect(sys.argv[1] if sys.argv[1].startswith('/') else ('127.0.0.1', int(sys.argv[1])))
            payload = os.urandom(1 << 20)
            def send():
                s.sendall(payload); s.shutdown(socket.SHUT_WR)
            threading.Thread(target=send).start()
            got = bytearray()
            while data := s.recv(65536):
                got += data
            print('ok' if bytes(got) == payload + b'bye' else f'{len(got)} bytes, not the same')
            """
        for endpoint in [listenPath, "\(port)"] {
            let outcome = try await run(Paths.python, ["-c", client, endpoint], timeout: .seconds(30))
            #expect(outcome.stdoutText == "ok\n", "\(endpoint): \(outcome)")
        }
    }

    @Test(
        "--tap shows both legs on one timeline with their states; --pcap-out holds both handshakes (tcpdump -r); Ctrl-C prints the summary first",
        .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
    func tapBothLegs() async throws {
        let directory = try TemporaryDirectory.make()
        let target = try BackgroundProcess(Paths.python, [Paths.peer("forward_peer.py"), "target"])
        defer { target.kill() }
        let targetPort = try await target.announcedPort(marker: "", inStdout: true)
        let pcap = directory + "/forward.pcap"
        let forward = try BackgroundProcess(Paths.sockscope, ["forward", "--tap", "--pcap-out", pcap, "127.0.0.1", "0", "127.0.0.1", "\(targetPort)"])
        defer { forward.kill() }
        let port = try await forward.announcedPort()
        let outcome = try await sockscope("connect", "127.0.0.1", "\(port)", input: Array("ping".utf8))
        #expect(outcome.stdoutText == "pingbye", "\(outcome)")
        _ = try await forward.waitForLine(containing: "→ 127.0.0.1:\(targetPort)             [.]")
        try await Task.sleep(for: .milliseconds(300))
        kill(forward.pid, SIGINT)
        #expect(try await forward.finish(timeout: .seconds(10)) == 130)
        let log = forward.stderrText
        #expect(log.contains("→ 127.0.0.1:\(port): handshake RTT") && log.contains("→ 127.0.0.1:\(targetPort): handshake RTT"), "\(log)")
        #expect(log.components(separatedBy: "server: CLOSED").count - 1 == 2, "both legs end CLOSED on the server side: \(log)")
        let syns = try await run(Paths.tcpdump, ["-nn", "-r", pcap, "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn"])
        let lines = syns.stdoutText.split(separator: "\n")
        #expect(lines.count == 2 && lines.contains { $0.contains(".\(port):") } && lines.contains { $0.contains(".\(targetPort):") }, "\(syns)")
    }

    @Test("-w bounds the target leg's set-up: a proxy that never answers, a TLS target that never answers — the client is reset after 1 s, the stage named")
    func setupTimeout() async throws {
        let silent = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, time
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8)
                print(s.getsockname()[1], flush=True)
                held = []
                s.settimeout(20)
                while True:
                    held.append(s.accept()[0])
                """,
            ])
        defer { silent.kill() }
        let silentPort = try await silent.announcedPort(marker: "", inStdout: true)
        for (options, stage) in [
            (["--proxy", "socks5://127.0.0.1:\(silentPort)", "127.0.0.1", "0", "127.0.0.1", "80"], "waiting for the proxy's answer"),
            (["--target-tls", "--target-insecure", "127.0.0.1", "0", "127.0.0.1", "\(silentPort)"], "waiting for the TLS handshake"),
        ] {
            let forward = try BackgroundProcess(Paths.sockscope, ["forward", "-w", "1"] + options)
            defer { forward.kill() }
            let port = try await forward.announcedPort()
            let started = ContinuousClock.now
            let reset = try await sockscope("connect", "127.0.0.1", "\(port)", input: Array("x".utf8))
            #expect(reset.stderr.contains("ECONNRESET") && ContinuousClock.now - started < .seconds(5), "\(reset)")
            let failure = try await forward.waitForLine(containing: "was not ready within 1 s")
            #expect(failure.contains(stage), "\(failure)")
        }
    }

    @Test("usage: forward needs [LISTEN-ADDR] PORT TARGET-HOST TARGET-PORT")
    func usage() async throws {
        try await expectFailure(["forward", "8080", "127.0.0.1"], "forward takes [LISTEN-ADDR] PORT TARGET-HOST TARGET-PORT")
        try await expectFailure(["forward", "8080", "127.0.0.1", "0"], "port")
        try await expectFailure(["forward", "--max-clients=-1", "8080", "127.0.0.1", "80"], "--max-clients must be 0 or more")
        try await expectFailure(["forward", "--hexdump", "--json", "8080", "127.0.0.1", "80"], "--hexdump writes text")
        try await expectFailure(["forward", "-U", "/tmp/a", "8080", "127.0.0.1", "80"], "forward takes (-U PATH) TARGET-HOST TARGET-PORT")
        try await expectFailure(["forward", "--target-unix", "/tmp/b", "8080", "127.0.0.1", "80"], "forward takes [LISTEN-ADDR] PORT (--target-unix PATH)")
        try await expectFailure(["forward", "-u", "-U", "/tmp/a", "127.0.0.1", "80"], "-u forwards UDP")
        try await expectFailure(["forward", "-u", "--tap", "8080", "127.0.0.1", "80"], "both legs must be TCP")
        try await expectFailure(["forward", "-u", "-w", "2", "8080", "127.0.0.1", "80"], "a UDP session has none")
        try await expectFailure(["forward", "--follow-timewait", "8080", "127.0.0.1", "80"], "--follow-timewait follows one connection")
        try await expectFailure(["forward", "-U", "/tmp/a", "--allow", "127.0.0.1", "127.0.0.1", "80"], "address rules match IP clients")
    }
}

/// `forward -u`: a session per source, between Python UDP peers.
@Suite("forward -u")
struct DatagramForwardTests {
    /// A Python UDP target that answers each datagram with "PORT:DATA" (PORT: the source
    /// port it saw), and a forwarder to it.
    static func start(_ options: [String]) async throws -> (target: BackgroundProcess, forward: BackgroundProcess, port: UInt16) {
        let script = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); s.settimeout(30)
            print(s.getsockname()[1], flush=True)
            while True:
                data, source = s.recvfrom(65536)
                s.sendto(b'%d:' % source[1] + data, source)
            """
        let target = try BackgroundProcess(Paths.python, ["-c", script])
        let targetPort = try await target.announcedPort(marker: "", inStdout: true)
        let forward = try BackgroundProcess(Paths.sockscope, ["forward", "-u"] + options + ["127.0.0.1", "0", "127.0.0.1", "\(targetPort)"])
        return (target, forward, try await forward.announcedPort())
    }

    /// Two sources, each sending `messages` and printing what came back, one line each.
    static func clients(_ port: UInt16, _ messages: [String], pause: Double = 0) async throws -> Outcome {
        let script = """
            import socket, sys, time
            a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.settimeout(5)
            b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.settimeout(5)
            for i, text in enumerate(sys.argv[1:]):
                for s in (a, b):
                    s.sendto(text.encode(), ('127.0.0.1', \(port)))
                    print(s.recv(65536).decode())
                time.sleep(\(pause))
            """
        return try await run(Paths.python, ["-c", script] + messages, timeout: .seconds(30))
    }

    @Test("two sources, each its own session (the target sees two ports, each the same every time); answers reach the right source")
    func twoSources() async throws {
        let (target, forward, port) = try await Self.start(["-v"])
        defer {
            target.kill()
            forward.kill()
        }
        let outcome = try await Self.clients(port, ["one", "two", "three"])
        let lines = outcome.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "\(outcome)")
        let ports = lines.map { $0.split(separator: ":").first.map(String.init) ?? "" }
        // a's answers at 0, 2, 4 and b's at 1, 3, 5: one port per source, two different ports.
        #expect(ports[0] == ports[2] && ports[2] == ports[4] && ports[1] == ports[3] && ports[3] == ports[5] && ports[0] != ports[1], "\(lines)")
        #expect(lines[4].hasSuffix(":three") && lines[5].hasSuffix(":three"), "\(lines)")
        _ = try await forward.waitForLine(containing: "client 2 (127.0.0.1:")
        #expect(forward.stderrText.contains("connected to the target"), "\(forward.stderrText)")
    }

    @Test("-i ends an idle session (-v tells the counts); the source's next datagram opens a new one; --max-clients 1 drops a second source")
    func idleAndLimit() async throws {
        let (target, forward, port) = try await Self.start(["-v", "-i", "0.3", "--max-clients", "1"])
        defer {
            target.kill()
            forward.kill()
        }
        let script = """
            import socket, time
            a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.settimeout(2)
            b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.settimeout(1)
            a.sendto(b'first', ('127.0.0.1', \(port))); print(a.recv(100).decode().split(':')[1])
            b.sendto(b'other', ('127.0.0.1', \(port)))
            try:
                b.recv(100); print('b answered')
            except socket.timeout:
                print('b dropped')
            time.sleep(0.8)
            a.sendto(b'again', ('127.0.0.1', \(port))); print(a.recv(100).decode().split(':')[1])
            """
        let outcome = try await run(Paths.python, ["-c", script], timeout: .seconds(30))
        #expect(outcome.stdoutText == "first\nb dropped\nagain\n", "\(outcome)\n\(forward.stderrText)")
        _ = try await forward.waitForLine(containing: "client 2 (127.0.0.1:")
        let log = forward.stderrText
        #expect(log.contains("5 bytes to the target, \(5 + 6) bytes to the client; no datagram either way for 300 ms, so the session ended"), "\(log)")
        #expect(log.contains("refused"), "the second source was refused while the first had the one session: \(log)")
    }

    @Test("usage: -i without -u, faults with -u")
    func usage() async throws {
        try await expectFailure(["forward", "-i", "5", "8080", "127.0.0.1", "80"], "-i/--idle-timeout ends UDP sessions")
        try await expectFailure(["forward", "-u", "--delay", "5", "8080", "127.0.0.1", "80"], "the faults (--delay")
    }
}
