import Foundation
import Testing

/// Relays that move bytes with splice(2) through a pipe instead of copying them through
/// user space: chosen per direction when nothing needs to see the bytes, said by -v,
/// and left for the buffer where a descriptor does not take splice — every byte
/// delivered either way (sha256 of 16 MiB of random bytes).
@Suite("zero-copy relays")
struct ZeroCopyTests {
    static func randomFile(_ directory: String, size: Int = 16 << 20) async throws -> (path: String, digest: String) {
        let path = directory + "/random.bin"
        let made = try await run("/bin/sh", ["-c", "head -c \(size) /dev/urandom > \(path)"])
        try #require(made.status == 0, "\(made)")
        return (path, try await sha256(path))
    }

    /// Runs `listen -v` with `serverRedirections` and `connect -v` with
    /// `clientRedirections` through sh on a free port; returns both stderrs and statuses.
    static func transfer(server serverRedirections: String, client clientRedirections: String, environment: String = "", before: String = "") async throws
        -> Outcome
    {
        let directory = try TemporaryDirectory.make()
        let script = """
            \(environment) "$1" listen -v 127.0.0.1 0 2> "$2/server.err" \(serverRedirections) &
            server=$!
            for i in $(seq 200); do grep -q "listening on" "$2/server.err" && break; sleep 0.02; done
            port=$(sed -n 's/.*listening on 127.0.0.1:\\([0-9]*\\).*/\\1/p' "$2/server.err" | head -1)
            { \(before) \(environment) "$1" connect -v 127.0.0.1 "$port" 2> "$2/client.err"; } \(clientRedirections)
            client=$?
            wait $server
            echo "client $client server $?"
            cat "$2/server.err" "$2/client.err"
            """
        return try await run("/bin/sh", ["-c", script, "sh", Paths.sockscope, directory], timeout: .seconds(60))
    }

    @Test("-v says each direction splices; file → socket → file, pipe → socket → pipe: every byte, exit 0")
    func narratedAndIntact() async throws {
        let directory = try TemporaryDirectory.make()
        let (input, digest) = try await Self.randomFile(directory)
        // The third element: the direction whose pipe end (stdin or stdout a pipe) is
        // spliced straight to or from the socket, with no pipe of sockscope's own.
        for (server, client, before, straight) in [
            ("< /dev/null > \(directory)/out1", "< \(input)", "", nil),
            ("< /dev/null | cat > \(directory)/out2", "< \(input) > /dev/null", "", "fd 4 → fd 1"),
            ("< \(input) > /dev/null", "< /dev/null | cat > \(directory)/out3", "", "fd 3 → fd 1"),
            ("< /dev/null > \(directory)/out4", "< /dev/null > /dev/null", "cat \(input) |", "fd 0 → fd 3"),
        ] {
            let outcome = try await Self.transfer(server: server, client: client, before: before)
            if let straight {
                #expect(outcome.stdoutText.contains(straight + ": zero-copy, splice(2) straight between the pipe and the socket"), "\(outcome.stdoutText)")
            }
            #expect(outcome.stdoutText.contains("client 0 server 0"), "\(server) / \(client): \(outcome)")
            for direction in ["fd 3 → fd 1", "fd 4 → fd 1"] {
                #expect(outcome.stdoutText.contains(direction + ": zero-copy, splice(2)"), "\(outcome.stdoutText)")
            }
            #expect(outcome.stdoutText.contains("fd 0 → fd 3: zero-copy") && outcome.stdoutText.contains("fd 0 → fd 4: zero-copy"))
        }
        for name in ["out1", "out2", "out3", "out4"] {
            #expect(try await sha256(directory + "/" + name) == digest, "\(name)")
        }
    }

    @Test("a regular file on stdin goes by sendfile(2) from where it stands: after dd took its first 1000 bytes, the peer gets the rest")
    func sendfileFromPosition() async throws {
        let directory = try TemporaryDirectory.make()
        let (input, _) = try await Self.randomFile(directory, size: 4 << 20)
        let tail = try await run("/bin/sh", ["-c", "tail -c +1001 \(input) > \(directory)/tail"])
        try #require(tail.status == 0)
        let outcome = try await Self.transfer(
            server: "< /dev/null > \(directory)/received", client: "< \(input)", before: "dd bs=1000 count=1 of=/dev/null 2> /dev/null;")
        #expect(outcome.stdoutText.contains("client 0 server 0") && outcome.stdoutText.contains("fd 0 → fd 3: zero-copy, sendfile(2)"), "\(outcome)")
        #expect(try await sha256(directory + "/received") == (try await sha256(directory + "/tail")))
    }

    @Test(
        "a descriptor that does not take splice — stdout opened for appending (>>), stdin /dev/null — is copied through the buffer instead, said by -v, nothing lost"
    )
    func fallsBack() async throws {
        let directory = try TemporaryDirectory.make()
        let (input, _) = try await Self.randomFile(directory)
        let script = """
            "$1" listen -v 127.0.0.1 0 < /dev/null >> "$2/appended" 2> "$2/server.err" &
            server=$!
            for i in $(seq 200); do grep -q "listening on" "$2/server.err" && break; sleep 0.02; done
            port=$(sed -n 's/.*listening on 127.0.0.1:\\([0-9]*\\).*/\\1/p' "$2/server.err" | head -1)
            "$1" connect -v 127.0.0.1 "$port" < "$3" > /dev/null 2> "$2/client.err"
            client=$?
            wait $server
            echo "client $client server $?"
            cat "$2/server.err"
            """
        try writeFile(directory + "/appended", Array("kept\n".utf8))
        let outcome = try await run("/bin/sh", ["-c", script, "sh", Paths.sockscope, directory, input], timeout: .seconds(60))
        #expect(outcome.stdoutText.contains("client 0 server 0"), "\(outcome)")
        #expect(outcome.stdoutText.contains("cannot be spliced to (EINVAL); copying through a buffer"), "\(outcome.stdoutText)")
        #expect(outcome.stdoutText.contains("cannot be spliced from (EINVAL); copying through a buffer"), "/dev/null: \(outcome.stdoutText)")
        let appended = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/appended")))
        #expect(appended.count == (16 << 20) + 5 && Array(appended.prefix(5)) == Array("kept\n".utf8))
        #expect(Array(appended.dropFirst(5)) == Array(try Data(contentsOf: URL(fileURLWithPath: input))), "every byte, in order, after what the file held")
    }

    @Test("what needs the bytes copies them: --crlf on the sending side, --upper's echo; SOCKSCOPE_ZERO_COPY=off everywhere")
    func copiesWhenNeeded() async throws {
        let crlf = try await sockscope("connect", "-v", "--crlf", "127.0.0.1", "1", input: Array("x\n".utf8))
        #expect(!crlf.stderr.contains("zero-copy"), "\(crlf.stderr)")
        let directory = try TemporaryDirectory.make()
        let (input, digest) = try await Self.randomFile(directory, size: 1 << 20)
        let off = try await Self.transfer(
            server: "< /dev/null > \(directory)/off", client: "< \(input)", environment: "SOCKSCOPE_ZERO_COPY=off")
        #expect(off.stdoutText.contains("client 0 server 0") && !off.stdoutText.contains("zero-copy"), "\(off)")
        #expect(try await sha256(directory + "/off") == digest)
        let upper = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "--keep-open", "--upper", "127.0.0.1", "0"])
        defer { upper.kill() }
        let port = try await upper.announcedPort()
        let echoed = try await sockscope("connect", "-v", "127.0.0.1", "\(port)", input: Array("shout".utf8))
        #expect(echoed.stdoutText == "SHOUT", "\(echoed)")
        #expect(echoed.stderr.contains("fd 0 → fd 3: zero-copy"), "our own directions splice: \(echoed.stderr)")
        try await Task.sleep(for: .milliseconds(200))
        upper.kill()
        #expect(!upper.stderrText.contains("zero-copy"), "the --upper echo changes the bytes: \(upper.stderrText)")
    }
}
