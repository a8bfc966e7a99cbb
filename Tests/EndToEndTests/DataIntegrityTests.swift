import Testing

/// Every byte arrives, unchanged, in order: 64 MiB of random bytes through TCP, UDP
/// and a Unix socket (sha256sum at both ends), every byte value, and half-close.
@Suite("Data integrity")
struct DataIntegrityTests {
    @Test("64 MiB of random bytes through TCP (the listener's empty stdin sends FIN at once; --keep-sending sends on)")
    func tcp64MiB() async throws {
        try await transfer(listen: ["listen", "127.0.0.1", "0"], connect: { ["connect", "--keep-sending", "127.0.0.1", "\($0)"] })
    }

    @Test("64 MiB of random bytes through a Unix stream socket")
    func unix64MiB() async throws {
        let directory = try TemporaryDirectory.make()
        let path = directory + "/stream.sock"
        try await transfer(listen: ["listen", "--recv-only", "-v", "-U", path], connect: { _ in ["connect", "-U", path] }, announced: "listen(fd")
    }

    @Test("64 MiB of random bytes through UDP, one datagram per read")
    func udp64MiB() async throws {
        // UDP may drop what a full receive buffer cannot hold; a large buffer
        // (SO_RCVBUFFORCE as root) holds the whole transfer, so any loss is a bug.
        // The port is chosen outside the kernel's ephemeral range: a UDP listener
        // answers its first peer only, and an ephemeral port another test just closed
        // and still sends to would become that first peer (seen once in a full run). The
        // idle timeout is long: under a full parallel run the sender has started more than
        // 8 s after the listener, which then had ended before any datagram came.
        try await transfer(
            listen: ["listen", "-u", "-v", "-i", "20", "--recv-buffer", "256M", "127.0.0.1", "\(try freePort())"],
            connect: { ["connect", "-u", "127.0.0.1", "\($0)"] })
    }

    @Test("all 256 byte values, both directions, against a Python server")
    func everyByteValue() async throws {
        let directory = try TemporaryDirectory.make()
        let allValues = (0..<4096).map { UInt8(truncatingIfNeeded: $0) }
        try writeFile(directory + "/values", allValues)
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "send", "--file", directory + "/values"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "127.0.0.1", "\(port)")
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout == allValues)

        let echo = try BackgroundProcess(Paths.sockscope, ["listen", "--echo", "127.0.0.1", "0"])
        defer { echo.kill() }
        let echoPort = try await echo.announcedPort()
        let echoed = try await sockscope("connect", "127.0.0.1", "\(echoPort)", input: allValues)
        #expect(echoed.stdout == allValues, "\(echoed)")
    }

    @Test("half-close: the reply a server sends after our EOF still arrives")
    func halfClose() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "after-eof"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "-v", "127.0.0.1", "\(port)", input: Array("twelve bytes".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "received 12 bytes\n")
        #expect(outcome.stderr.contains("shutdown(fd 3, SHUT_WR) → ok (FIN sent)"))
    }

    @Test("--no-half-close keeps the write side open: the server never sees EOF")
    func noHalfClose() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "after-eof"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "--no-half-close", "-i", "1", "127.0.0.1", "\(port)", input: Array("abc".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.isEmpty, "the server replied, so it saw a FIN: \(outcome)")
    }

    @Test("the server's whole reply arrives even when our stdin ends first (listen --keep-sending < file)")
    func serverSendsFileToClientWithEmptyInput() async throws {
        let directory = try TemporaryDirectory.make()
        let data = try randomFile(megabytes: 8, in: directory)
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--keep-sending", "127.0.0.1", "0"], stdinPath: data)
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let outcome = try await sockscope("connect", "127.0.0.1", "\(port)")
        #expect(outcome.status == 0, "\(outcome.status) \(outcome.stderr)")
        #expect(outcome.stdout == (try readFile(data)))
        #expect(try await listener.finish() == 0)
    }

    /// Sends a 64 MiB random file from `connect` to `listen` and compares sha256sum of both ends.
    private func transfer(listen: [String], connect: (UInt16) -> [String], announced: String = "listening on") async throws {
        let directory = try TemporaryDirectory.make()
        let source = try randomFile(megabytes: 64, in: directory)
        let received = directory + "/received"
        let listener = try BackgroundProcess(Paths.sockscope, listen, stdoutPath: received)
        defer { listener.kill() }
        let port = announced == "listening on" ? try await listener.announcedPort() : 0
        if announced != "listening on" { _ = try await listener.waitForLine(containing: announced) }
        let sender = try BackgroundProcess(Paths.sockscope, connect(port), stdinPath: source)
        #expect(try await sender.finish(timeout: .seconds(60)) == 0, "sender: \(sender.stderrText)")
        #expect(try await listener.finish(timeout: .seconds(60)) == 0, "listener: \(listener.stderrText)")
        let expected = try await sha256(source)
        let actual = try await sha256(received)
        #expect(expected.count == 64)
        #expect(actual == expected, "sha256 differs; listener stderr: \(listener.stderrText)")
    }
}
