import Testing

/// --hexdump and --output on connect and listen.
@Suite("Traffic logs")
struct TrafficLogTests {
    @Test("connect --hexdump shows both directions with per-direction offsets; --output keeps the raw bytes; stdout stays data only")
    func hexdumpAndOutput() async throws {
        let directory = try TemporaryDirectory.make()
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let message = "hello, hex dump world!\n"
        let outcome = try await sockscope("connect", "--hexdump", "--output", directory + "/log", "127.0.0.1", "\(port)", input: Array(message.utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == message.uppercased())
        let lines = outcome.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("> 00000000  68 65 6c 6c 6f 2c 20 68 65 78 20 64 75 6d 70 20  |hello, hex dump |"), "\(lines)")
        #expect(lines.contains("> 00000010  77 6f 72 6c 64 21 0a                             |world!.|"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("< 00000000  48 45 4c 4c 4f") }, "\(lines)")
        let log = String(decoding: try readFile(directory + "/log"), as: UTF8.self)
        #expect(log.contains(message) && log.contains(message.uppercased()), "\(log)")
    }

    @Test("listen --hexdump shows what the client sent")
    func listenHexdump() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--hexdump", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        _ = try await run(Paths.nc, ["-N", "127.0.0.1", "\(port)"], input: Array("ABC".utf8))
        #expect(try await listener.finish() == 0)
        #expect(listener.stdoutText == "ABC")
        #expect(listener.stderrText.contains("< 00000000  41 42 43"), "\(listener.stderrText)")
    }
}
