import Testing

/// sockscope against peers we did not write — Python's socket module, OpenBSD nc,
/// socat — in both directions: sockscope as client of their server, and as server
/// for their client.
@Suite("Interoperation with real peers")
struct PeerInteropTests {
    @Test("connect → the classic Python upper-case server")
    func connectToPythonUpperServer() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "127.0.0.1", "\(port)", input: Array("hello, sockets\n".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "HELLO, SOCKETS\n")
        #expect(try await server.finish() == 0)
    }

    @Test("listen --upper ← the classic Python client")
    func pythonClientToUpperListener() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--upper", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let client = try await run(Paths.python, [Paths.peer("tcp_client.py"), "127.0.0.1", "\(port)", "classic", "hello"])
        #expect(client.status == 0, "\(client)")
        #expect(client.stdoutText == "HELLO")
        #expect(try await listener.finish() == 0)
    }

    @Test("listen --echo ← OpenBSD nc -N")
    func ncClientToEchoListener() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--echo", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let payload = Array("line one\nline two\n".utf8)
        let client = try await run(Paths.nc, ["-N", "127.0.0.1", "\(port)"], input: payload)
        #expect(client.status == 0, "\(client)")
        #expect(client.stdout == payload)
        #expect(try await listener.finish() == 0)
    }

    @Test("connect → OpenBSD nc -l, and listen ← nc, with a file's bytes")
    func ncBothDirections() async throws {
        let directory = try TemporaryDirectory.make()
        let data = try randomFile(megabytes: 1, in: directory)
        // sockscope as the client of nc's server.
        let port = try freePort()
        let ncServer = try BackgroundProcess(Paths.nc, ["-l", "127.0.0.1", "\(port)"], stdoutPath: directory + "/nc-received")
        defer { ncServer.kill() }
        var sent = try await connectWithRetry(port: port, input: try readFile(data))
        #expect(sent.status == 0, "\(sent)")
        #expect(try await ncServer.finish() == 0)
        #expect(try readFile(directory + "/nc-received") == readFile(data))

        // sockscope as the server of nc's client.
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "127.0.0.1", "0"], stdoutPath: directory + "/ours-received")
        defer { listener.kill() }
        let listenPort = try await listener.announcedPort()
        sent = try await run(Paths.nc, ["-N", "127.0.0.1", "\(listenPort)"], input: try readFile(data))
        #expect(sent.status == 0, "\(sent)")
        #expect(try await listener.finish() == 0)
        #expect(try readFile(directory + "/ours-received") == readFile(data))
    }

    @Test("connect → socat echo server, and listen ← socat client")
    func socatBothDirections() async throws {
        let directory = try TemporaryDirectory.make()
        let payload = randomBytes(300_000)
        let port = try freePort()
        let echo = try BackgroundProcess(Paths.socat, ["TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr", "PIPE"])
        defer { echo.kill() }
        let echoed = try await connectWithRetry(port: port, input: payload)
        #expect(echoed.status == 0, "\(echoed)")
        #expect(echoed.stdout == payload)

        try writeFile(directory + "/payload", payload)
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "127.0.0.1", "0"], stdoutPath: directory + "/received")
        defer { listener.kill() }
        let listenPort = try await listener.announcedPort()
        let client = try await run(Paths.socat, ["-u", "OPEN:\(directory)/payload", "TCP:127.0.0.1:\(listenPort)"])
        #expect(client.status == 0, "\(client)")
        #expect(try await listener.finish() == 0)
        #expect(try readFile(directory + "/received") == payload)
    }

    @Test("IPv6 on ::1: connect to a Python server and listen for a Python client")
    func ipv6Loopback() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper", "--host", "::1"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "-v", "::1", "\(port)", input: Array("over six\n".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "OVER SIX\n")
        #expect(outcome.stderr.contains("socket(AF_INET6, SOCK_STREAM)"))
        #expect(outcome.stderr.contains("connect(fd 3, [::1]:\(port)) → ok"))

        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-6", "--upper", "::1", "0"])
        defer { listener.kill() }
        let listenPort = try await listener.announcedPort()
        #expect(try await listener.waitForLine(containing: "listening on").contains("[::1]:"))
        let client = try await run(Paths.python, [Paths.peer("tcp_client.py"), "::1", "\(listenPort)", "classic", "six"])
        #expect(client.stdoutText == "SIX", "\(client)")
    }

    @Test("UDP: connect -u ↔ Python echo server, and listen -u --upper ← Python client")
    func udpWithPython() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("udp_peer.py"), "echo-server"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "-u", "127.0.0.1", "\(port)", input: Array("datagram".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "DATAGRAM")

        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-u", "--upper", "-i", "5", "127.0.0.1", "0"])
        defer { listener.kill() }
        let listenPort = try await listener.announcedPort()
        let client = try await run(Paths.python, [Paths.peer("udp_peer.py"), "client", "127.0.0.1", "\(listenPort)", "shout"])
        #expect(client.status == 0, "\(client)")
        #expect(client.stdoutText == "SHOUT")
    }

    /// nc and socat cannot report the port they bound, so the test picks a free one;
    /// give the peer a moment to start listening on it (bounded).
    private func connectWithRetry(port: UInt16, input: [UInt8]) async throws -> Outcome {
        var outcome = try await sockscope("connect", "127.0.0.1", "\(port)", input: input)
        for _ in 0..<50 where outcome.status == 69 {
            try await Task.sleep(for: .milliseconds(50))
            outcome = try await sockscope("connect", "127.0.0.1", "\(port)", input: input)
        }
        return outcome
    }
}
