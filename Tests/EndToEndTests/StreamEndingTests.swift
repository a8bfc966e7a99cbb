import Foundation
import Glibc
import Testing

/// How sessions end, as nc and ncat users rely on: the peer's FIN ends only its direction
/// (stdout closes at once, stdin is still sent); --stop-at-peer-close, --send-only,
/// --recv-only and --crlf; the stream-ending matrix against ncat, nc and socat; one client
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

    @Test("the peer's FIN ends only its direction: stdout closes at once (its reader ends), stdin is still sent to its end")
    func peerClosesFirst() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "close-first"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        // The reader of our stdout reports its end of file; stdin ends 4 s later with one line.
        let client = try BackgroundProcess(
            "/bin/bash", ["-c", "(sleep 4; echo late) | \(Paths.sockscope) connect 127.0.0.1 \(port) | { cat; echo READER-SAW-EOF >&2; }"])
        defer { client.kill() }
        _ = try await client.waitForLine(containing: "READER-SAW-EOF", timeout: .seconds(3))
        #expect(server.stdoutText.split(separator: "\n").count == 1, "stdin has not ended yet, so the server is still reading")
        #expect(try await client.finish(timeout: .seconds(25)) == 0, "\(client.stderrText)")
        #expect(client.stdoutText == "data\n")
        #expect(!client.stderrText.contains("not sent"), "a complete transfer gets no note: \(client.stderrText)")
        #expect(try await server.finish() == 0)
        #expect(Self.lastLine(server) == "received 5\n", "the line sent after the peer's FIN arrived")

        // --keep-sending names the default and is still accepted.
        let again = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "close-first"])
        defer { again.kill() }
        let againPort = try await again.announcedPort(marker: "", inStdout: true)
        let named = try await sockscope("connect", "--keep-sending", "127.0.0.1", "\(againPort)", input: Array("late\n".utf8))
        #expect(named.status == 0 && named.stdoutText == "data\n", "\(named)")
        #expect(try await again.finish() == 0)
        #expect(Self.lastLine(again) == "received 5\n")
    }

    @Test("--stop-at-peer-close: the session ends at the peer's FIN, and says what of stdin was not sent only when something was")
    func stopAtPeerClose() async throws {
        // stdin held open: nothing more could be read, and the note says stdin had not ended.
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "close-first"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let client = try Self.withOpenStdin("\(Paths.sockscope) connect --stop-at-peer-close 127.0.0.1 \(port)")
        defer { client.kill() }
        #expect(try await client.finish(timeout: .seconds(15)) == 0, "it ended long before stdin did: \(client.stderrText)")
        #expect(client.stdoutText == "data\n")
        #expect(client.stderrText.contains("the peer closed first (--stop-at-peer-close): stdin had not ended"), "\(client.stderrText)")
        #expect(try await server.finish() == 0)
        #expect(Self.lastLine(server) == "received 0\n")

        // A 16 MiB file to a listener whose stdin is empty: the note counts what was left.
        let directory = try TemporaryDirectory.make()
        let data = try randomFile(megabytes: 16, in: directory)
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "127.0.0.1", "0"], stdinPath: "/dev/null")
        defer { listener.kill() }
        let listenPort = try await listener.announcedPort()
        let sender = try BackgroundProcess(
            "/bin/bash", ["-c", "exec \(Paths.sockscope) connect --stop-at-peer-close 127.0.0.1 \(listenPort) < \(data)"])
        defer { sender.kill() }
        #expect(try await sender.finish() == 0)
        let note = try #require(sender.stderrText.split(separator: "\n").first { $0.contains("--stop-at-peer-close") }, "\(sender.stderrText)")
        let left = Int(note.split(separator: ": ").last?.split(separator: " ").first ?? "") ?? -1
        #expect(left > 0 && left < 16 << 20, "\(note)")
        _ = try await listener.finish()
        #expect(((try? readFile(listener.stdoutPath))?.count ?? 0) + left <= 16 << 20, "what arrived and what was left add up to no more than the file")

        // stdin that had ended: no note at all.
        let quiet = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "close-first"])
        defer { quiet.kill() }
        let quietPort = try await quiet.announcedPort(marker: "", inStdout: true)
        let short = try await sockscope("connect", "--stop-at-peer-close", "127.0.0.1", "\(quietPort)", input: Array("x".utf8))
        #expect(short.status == 0 && !short.stderr.contains("not sent"), "\(short)")
    }

    @Test(
        "the stream-ending matrix: 16 MiB both ways against sockscope, ncat, nc and socat, every stdin: no byte lost, no exit 0 on a loss — zero-copy (splice) and copied through buffers (SOCKSCOPE_ZERO_COPY=off)",
        .serialized,  // one matrix at a time: two at once load two cores for a minute
        arguments: ["zero-copy", "buffered"])
    func streamEndingMatrix(_ path: String) async throws {
        let directory = try TemporaryDirectory.make()
        let environment = path == "buffered" ? ["SOCKSCOPE_ZERO_COPY=off"] : []
        let outcome = try await run(
            "/usr/bin/env", environment + [Paths.python, Paths.peer("stream_matrix.py"), Paths.sockscope, directory], timeout: .seconds(300))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let cases = outcome.stdoutText.split(separator: "\n").compactMap { MatrixCase(String($0)) }
        #expect(cases.count == 70, "\(outcome.stdoutText)")
        for item in cases {
            let ours = item.sender == "sockscope" ? item.senderStatus : item.receiverStatus
            if item.sender == "sockscope" {
                // sockscope sends: every byte arrives, whatever the receiver's stdin, and exit 0.
                #expect(item.complete && item.senderStatus == "0", "\(item.line)")
                if item.receiver == "sockscope" { #expect(item.receiverStatus == "0", "\(item.line)") }
            } else if item.listener == "receiver" {
                // ncat, nc -N and socat -u as clients deliver every byte (measured); sockscope takes it all.
                #expect(item.complete && ours == "0", "\(item.line)")
            } else {
                // ncat -l and nc -l stop sending at the client's FIN (measured): the loss is theirs,
                // and sockscope wrote everything that arrived (exit 0).
                #expect(ours == "0", "\(item.line)")
            }
        }
    }

    @Test(
        "the same rule over Unix sockets and TLS: a listener whose stdin is empty receives every byte of 16 MiB (sha256), both exit 0",
        arguments: ["unix", "tls"])
    func halfCloseOverUnixAndTLS(kind: String) async throws {
        let directory = try TemporaryDirectory.make()
        let data = try randomFile(megabytes: 16, in: directory)
        let received = directory + "/received"
        let path = directory + "/s.sock"
        let listenArguments = kind == "unix" ? ["listen", "-v", "-U", path] : ["listen", "--tls", "127.0.0.1", "0"]
        let listener = try BackgroundProcess(Paths.sockscope, listenArguments, stdinPath: "/dev/null", stdoutPath: received)
        defer { listener.kill() }
        let target: String
        if kind == "unix" {
            _ = try await listener.waitForLine(containing: "listening on")
            target = "-U \(path)"
        } else {
            target = "--tls --insecure 127.0.0.1 \(try await listener.announcedPort())"
        }
        let sender = try BackgroundProcess("/bin/bash", ["-c", "exec \(Paths.sockscope) connect \(target) < \(data)"])
        defer { sender.kill() }
        #expect(try await sender.finish() == 0, "\(sender.stderrText)")
        #expect(try await listener.finish() == 0, "\(listener.stderrText)")
        #expect(try await sha256(received) == (try await sha256(data)), "every byte arrived")
    }

    @Test("the peer resets while stdin is being sent: exit 74 naming the bytes of stdin not sent (a file and a pipe)")
    func resetWhileSending() async throws {
        let directory = try TemporaryDirectory.make()
        let data = try randomFile(megabytes: 16, in: directory)
        for input in ["< \(data)", "< <(cat \(data))"] {
            let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "read-then-reset"])
            defer { server.kill() }
            let port = try await server.announcedPort(marker: "", inStdout: true)
            let client = try BackgroundProcess("/bin/bash", ["-c", "exec \(Paths.sockscope) connect 127.0.0.1 \(port) \(input)"])
            defer { client.kill() }
            #expect(try await client.finish() == 74, "\(input): \(client.stderrText)")
            #expect(client.stderrText.contains("ECONNRESET") || client.stderrText.contains("EPIPE"), "\(client.stderrText)")
            if input.hasPrefix("< /") {
                #expect(client.stderrText.contains("bytes of stdin not sent"), "a file's unsent part is counted: \(client.stderrText)")
            } else {
                #expect(client.stderrText.contains("of stdin not sent") || client.stderrText.contains("stdin had not ended"), "\(client.stderrText)")
            }
        }
    }

    @Test("--chat: one client's Ctrl-D (a half-close) keeps it in the conversation; two-terminal listen and connect go on after the other's FIN")
    func halfCloseKeepsSessions() async throws {
        let outcome = try await run(Paths.python, [Paths.peer("half_close_sessions.py"), Paths.sockscope], timeout: .seconds(60))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText.contains("PASS chat-half-close"), "\(outcome.stdoutText)")
        #expect(outcome.stdoutText.contains("PASS terminal-half-close"), "\(outcome.stdoutText)")
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

        // A peer that sends and reads slowly: the client is done long before the peer has
        // read it all, and must not reset it (Linux drops unread data at a reset): it drops
        // what comes until the peer closes.
        let slow = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "slow-flood"])
        defer { slow.kill() }
        let slowPort = try await slow.announcedPort(marker: "", inStdout: true)
        let patient = try await run(Paths.sockscope, ["connect", "--send-only", "127.0.0.1", "\(slowPort)"], input: try readFile(data))
        #expect(patient.status == 0 && patient.stdout.isEmpty, "\(patient)")
        #expect(try await slow.finish() == 0, "\(slow.stderrText)")
        #expect(Self.lastLine(slow) == "received \(4 << 20)\n")

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
            (["connect", "--stop-at-peer-close", "--recv-only", "127.0.0.1", "9"], "--stop-at-peer-close is for sessions"),
            (["connect", "--stop-at-peer-close", "--keep-sending", "127.0.0.1", "9"], "are opposites"),
            (["listen", "-k", "--stop-at-peer-close", "127.0.0.1", "0"], "--stop-at-peer-close is about one stream peer"),
            (["connect", "-u", "--keep-sending", "127.0.0.1", "9"], "UDP has none"),
            (["connect", "--frame", "line", "--crlf", "127.0.0.1", "9"], "--frame"),
            (["listen", "--echo", "--send-only", "127.0.0.1", "0"], "--echo serves clients itself"),
            (["listen", "--chat", "--crlf", "127.0.0.1", "0"], "--chat serves clients itself"),
            (["listen", "--broker", "--recv-only", "127.0.0.1", "0"], "--recv-only would relay nothing"),
            (["listen", "--broker", "--keep-sending", "127.0.0.1", "0"], "--stop-at-peer-close and --no-half-close need one peer"),
            (["listen", "-k", "--keep-sending", "127.0.0.1", "0"], "--keep-sending"),
            (["listen", "-u", "--accept-timeout", "1", "127.0.0.1", "0"], "--accept-timeout"),
            (["listen", "--accept-timeout", "0", "127.0.0.1", "0"], "--accept-timeout must be more than 0"),
        ])
    func usageErrors(arguments: [String], message: String) async throws {
        try await expectFailure(arguments, message)
    }
}

/// One line of stream_matrix.py's output.
struct MatrixCase {
    let line: String
    let sender: String
    let receiver: String
    let listener: String
    let complete: Bool
    let senderStatus: String
    let receiverStatus: String

    init?(_ line: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return nil }
        self.line = line
        sender = object["sender"] as? String ?? ""
        receiver = object["receiver"] as? String ?? ""
        listener = object["listener"] as? String ?? ""
        complete = object["complete"] as? Bool ?? false
        senderStatus = object["sender_status"].map { "\($0)" } ?? ""
        receiverStatus = object["receiver_status"].map { "\($0)" } ?? ""
    }
}
