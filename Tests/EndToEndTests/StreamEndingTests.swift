import Glibc
import Testing

/// How sessions end, as nc and ncat users rely on: the peer's close ends the session and
/// closes stdout at once; --keep-sending, --send-only, --recv-only and --crlf; one client
/// per `listen`; what `listen -k` does with stdin before its first client; --linger 0;
/// --accept-timeout and -w 0.
@Suite("Stream endings")
struct StreamEndingTests {
    /// Runs `command` under bash with a stdin that stays open (and silent) for 30 s.
    static func withOpenStdin(_ command: String) throws -> BackgroundProcess {
        try BackgroundProcess("/bin/bash", ["-c", "exec \(command) < <(sleep 30)"])
    }

    /// The last line a peer printed (its first is the port it listens on), with its newline.
    static func lastLine(_ process: BackgroundProcess) -> String {
        (process.stdoutText.split(separator: "\n").last.map(String.init) ?? "") + "\n"
    }

    @Test("the peer closes first: what it sent is written, stdout closes, and the session ends though stdin is still open")
    func peerClosesFirst() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "close-first"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let client = try Self.withOpenStdin("\(Paths.sockscope) connect 127.0.0.1 \(port)")
        defer { client.kill() }
        #expect(try await client.finish(timeout: .seconds(15)) == 0, "it ended long before stdin did: \(client.stderrText)")
        #expect(client.stdoutText == "data\n")
        #expect(client.stderrText.contains("the peer closed before stdin ended; the rest of stdin was not sent (--keep-sending sends it)"))
        #expect(try await server.finish() == 0)
        #expect(Self.lastLine(server) == "received 0\n")
    }

    @Test("--keep-sending: after the peer's FIN stdout is closed at once (its reader ends), and stdin is still sent")
    func keepSending() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "close-first"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        // The reader of our stdout reports its end of file; stdin ends 10 s later with one line.
        let client = try BackgroundProcess(
            "/bin/bash",
            ["-c", "(sleep 10; echo late) | \(Paths.sockscope) connect --keep-sending 127.0.0.1 \(port) | { cat; echo READER-SAW-EOF >&2; }"])
        defer { client.kill() }
        _ = try await client.waitForLine(containing: "READER-SAW-EOF", timeout: .seconds(8))
        #expect(server.stdoutText.split(separator: "\n").count == 1, "stdin has not ended yet, so the server is still reading")
        #expect(try await client.finish(timeout: .seconds(25)) == 0)
        #expect(client.stdoutText == "data\n")
        #expect(try await server.finish() == 0)
        #expect(Self.lastLine(server) == "received 5\n", "the line sent after the peer's FIN arrived")
    }

    @Test("--send-only: stdin is sent, what the peer sends is dropped, the session ends with stdin (TCP and UDP)")
    func sendOnly() async throws {
        let directory = try TemporaryDirectory.make()
        let data = try randomFile(megabytes: 4, in: directory)
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "flood"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await run(Paths.sockscope, ["connect", "--send-only", "127.0.0.1", "\(port)"], input: try readFile(data))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.isEmpty, "the peer's 64 KiB were dropped")
        #expect(try await server.finish() == 0)
        #expect(Self.lastLine(server) == "received \(4 << 20)\n")

        let echo = try BackgroundProcess(Paths.python, [Paths.peer("udp_peer.py"), "echo-server"])
        defer { echo.kill() }
        let udpPort = try await echo.announcedPort(marker: "", inStdout: true)
        let udp = try await sockscope("connect", "-u", "--send-only", "-i", "20", "127.0.0.1", "\(udpPort)", input: Array("ping".utf8))
        #expect(udp.status == 0, "\(udp)")
        #expect(udp.stdout.isEmpty, "the echo is not printed, and the 20 s reply wait does not apply")
    }

    @Test("--send-only to a peer that resets the connection: an error (exit 74) with what was not delivered, never 'sent'")
    func sendOnlyReset() async throws {
        let server = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, struct
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1); print(s.getsockname()[1], flush=True)
                c, _ = s.accept(); c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()
                """,
            ])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await run(Paths.sockscope, ["connect", "--send-only", "127.0.0.1", "\(port)"], input: randomBytes(8 << 20))
        #expect(outcome.status == 74, "\(outcome)")
        #expect(outcome.stderr.contains("ECONNRESET") || outcome.stderr.contains("EPIPE"), "\(outcome.stderr)")
    }

    @Test("--recv-only: stdin is never read or sent; the session ends when the peer closes (connect and listen)")
    func receiveOnly() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "close-first"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "--recv-only", "127.0.0.1", "\(port)", input: Array("not for the peer".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "data\n")
        #expect(try await server.finish() == 0)
        #expect(Self.lastLine(server) == "received 0\n")

        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/stdin", Array("kept to ourselves".utf8))
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--recv-only", "127.0.0.1", "0"], stdinPath: directory + "/stdin")
        defer { listener.kill() }
        let listenPort = try await listener.announcedPort()
        let client = try await sockscope("connect", "127.0.0.1", "\(listenPort)", input: Array("upload".utf8))
        #expect(client.status == 0 && client.stdout.isEmpty, "\(client)")
        #expect(try await listener.finish() == 0)
        #expect(listener.stdoutText == "upload")
    }

    @Test("-C/--crlf: bare LF goes out as CR LF, an existing CR LF is kept (TCP and UDP)")
    func crlf() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "record"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "-C", "127.0.0.1", "\(port)", input: Array("a\nb\r\n\nc".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(try await server.finish() == 0)
        #expect(Self.lastLine(server) == "610d0a620d0a0d0a63\n", "a CR LF b CR LF CR LF c")

        let receiver = try BackgroundProcess(Paths.sockscope, ["recv", "--count", "1", "--json", "127.0.0.1", "0"])
        defer { receiver.kill() }
        let udpPort = try await receiver.announcedPort(marker: "receiving on")
        let udp = try await sockscope("connect", "-u", "--crlf", "--send-only", "127.0.0.1", "\(udpPort)", input: Array("GET\n".utf8))
        #expect(udp.status == 0, "\(udp)")
        #expect(try await receiver.finish() == 0)
        #expect(receiver.stdoutText.contains("\"hex\":\"4745540d0a\""), "\(receiver.stdoutText)")
    }

    @Test("listen without -k serves one client: a second is refused (ECONNREFUSED), not queued for nobody")
    func oneClient() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-i", "20", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let first = try Self.withOpenStdin("\(Paths.sockscope) connect -v 127.0.0.1 \(port)")
        defer { first.kill() }
        _ = try await first.waitForLine(containing: "connect(fd")
        try await Task.sleep(for: .milliseconds(200))
        let second = try await sockscope("connect", "127.0.0.1", "\(port)", input: Array("hi".utf8))
        #expect(second.status == 69, "\(second)")
        #expect(second.stderr.contains("ECONNREFUSED"))
    }

    @Test("listen -k < file: what stdin holds before the first client is sent to it, not lost")
    func keepOpenKeepsStdin() async throws {
        let directory = try TemporaryDirectory.make()
        let data = randomBytes(200_000)
        try writeFile(directory + "/stdin", data)
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "127.0.0.1", "0"], stdinPath: directory + "/stdin")
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        try await Task.sleep(for: .milliseconds(300))  // time enough to have read (and lost) stdin, were it read
        let client = try await sockscope("connect", "--recv-only", "127.0.0.1", "\(port)")
        #expect(client.status == 0, "\(client.stderr)")
        #expect(client.stdout == data)
    }

    @Test("--linger 0 against an echo server: the reply is printed, and the close is an RST")
    func lingerZero() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "echo-once"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "--linger", "0", "127.0.0.1", "\(port)", input: Array("hi\n".utf8), timeout: .seconds(10))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "hi\n")
        #expect(try await server.finish() == 0)
        #expect(Self.lastLine(server) == "reset\n", "\(server.stdoutText)")
    }

    @Test("--accept-timeout: no client in time → exit 75, for one client, -k and --exec")
    func acceptTimeout() async throws {
        for mode in [[], ["-k"], ["-k", "--sh-exec", "cat"]] {
            let outcome = try await run(Paths.sockscope, ["listen"] + mode + ["--accept-timeout", "0.3", "127.0.0.1", "0"])
            #expect(outcome.status == 75, "\(mode): \(outcome)")
            #expect(outcome.stderr.contains("no client connected within 300 ms (--accept-timeout)"), "\(outcome.stderr)")
        }
    }

    @Test(
        "option combinations that cannot work are usage errors",
        arguments: [
            (["connect", "-w", "0", "127.0.0.1", "9"], "-w/--timeout must be more than 0"),
            (["connect", "--send-only", "--recv-only", "127.0.0.1", "9"], "cannot be used together"),
            (["connect", "--keep-sending", "--send-only", "127.0.0.1", "9"], "--keep-sending"),
            (["connect", "-u", "--keep-sending", "127.0.0.1", "9"], "UDP has none"),
            (["connect", "--frame", "line", "--crlf", "127.0.0.1", "9"], "--frame"),
            (["listen", "--echo", "--send-only", "127.0.0.1", "0"], "--echo serves clients itself"),
            (["listen", "--chat", "--crlf", "127.0.0.1", "0"], "--chat serves clients itself"),
            (["listen", "--broker", "--recv-only", "127.0.0.1", "0"], "--recv-only would relay nothing"),
            (["listen", "--broker", "--keep-sending", "127.0.0.1", "0"], "--keep-sending and --no-half-close need one peer"),
            (["listen", "-k", "--keep-sending", "127.0.0.1", "0"], "--keep-sending"),
            (["listen", "-u", "--accept-timeout", "1", "127.0.0.1", "0"], "--accept-timeout"),
            (["listen", "--accept-timeout", "0", "127.0.0.1", "0"], "--accept-timeout must be more than 0"),
        ])
    func usageErrors(arguments: [String], message: String) async throws {
        try await expectFailure(arguments, message)
    }
}
