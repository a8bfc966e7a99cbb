import Glibc
import Testing

/// listen --exec / --sh-exec: a program per client, wired to its socket.
@Suite("exec")
struct ExecTests {
    /// Zombie children of `pid`, from /proc.
    static func zombies(of pid: Int32) -> [String] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var found: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard Int(name) != nil, let stat = try? readFile("/proc/\(name)/stat") else { continue }
            let text = String(decoding: stat, as: UTF8.self)
            guard let close = text.lastIndex(of: ")") else { continue }
            let fields = text[text.index(after: close)...].split(separator: " ")
            if fields.count > 2, fields[0] == "Z", fields[1] == "\(pid)" { found.append(name) }
        }
        return found
    }

    @Test("--exec /bin/cat round-trips 16 MiB of random bytes; the loopback-only default is announced")
    func cat() async throws {
        let directory = try TemporaryDirectory.make()
        let data = try randomFile(megabytes: 16, in: directory)
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "--exec", "/bin/cat", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "listening on 127.0.0.1:")
        #expect(server.stderrText.contains("listening on loopback only"))
        let client = try BackgroundProcess(Paths.sockscope, ["connect", "127.0.0.1", "\(port)"], stdinPath: data, stdoutPath: directory + "/back")
        #expect(try await client.finish(timeout: .seconds(60)) == 0, "\(client.stderrText)")
        #expect(try await server.finish() == 0)
        #expect(try await sha256(directory + "/back") == (try await sha256(data)))
    }

    @Test(
        "connect -c through the relay (--tls, -C): 16 MiB from the program to a listener and 16 MiB from a listener to the program, sha256 intact (with -C the program's bare LFs go out as CR LF)",
        arguments: ["--tls", "-C"])
    func connectProgramThroughRelay(mode: String) async throws {
        let directory = try TemporaryDirectory.make()
        let data = try randomFile(megabytes: 16, in: directory)
        let serverTLS = mode == "--tls" ? ["--tls"] : []
        let clientOptions = mode == "--tls" ? ["--tls", "--insecure"] : ["-C"]
        // The program's output goes out.
        let sink = try BackgroundProcess(Paths.sockscope, ["listen", "--recv-only"] + serverTLS + ["127.0.0.1", "0"], stdoutPath: directory + "/sent")
        defer { sink.kill() }
        let sinkPort = try await sink.announcedPort()
        let sending = try await run(
            Paths.sockscope, ["connect"] + clientOptions + ["-c", "cat \(data)", "127.0.0.1", "\(sinkPort)"], timeout: .seconds(60))
        #expect(sending.status == 0, "\(sending)")
        #expect(try await sink.finish(timeout: .seconds(30)) == 0, "\(sink.stderrText)")
        var expected = data
        if mode == "-C" {
            expected = directory + "/expected"
            let converted = try await run(
                Paths.python,
                ["-c", "import re,sys; open(sys.argv[2],'wb').write(re.sub(rb'(?<!\\r)\\n', b'\\r\\n', open(sys.argv[1],'rb').read()))", data, expected])
            try #require(converted.status == 0, "\(converted)")
        }
        #expect(try await sha256(directory + "/sent") == (try await sha256(expected)))
        // What arrives reaches the program unchanged.
        let source = try BackgroundProcess(Paths.sockscope, ["listen", "--send-only"] + serverTLS + ["127.0.0.1", "0"], stdinPath: data)
        defer { source.kill() }
        let sourcePort = try await source.announcedPort()
        let receiving = try await run(
            Paths.sockscope, ["connect"] + clientOptions + ["-c", "cat > \(directory)/received", "127.0.0.1", "\(sourcePort)"], timeout: .seconds(60))
        #expect(receiving.status == 0, "\(receiving)")
        #expect(try await sha256(directory + "/received") == (try await sha256(data)))
    }

    @Test("a program that exits early: its output arrives, the connection ends, nothing hangs")
    func earlyExit() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "--exec", "head -c 5", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let client = try await sockscope("connect", "127.0.0.1", "\(port)", input: [UInt8](repeating: 0x61, count: 100_000))
        #expect(client.stdoutText == "aaaaa", "\(client)")
        #expect(try await server.finish() == 0)
    }

    @Test("--sh-exec with --stderr, and -k serving several clients, each with its own process; no zombies left")
    func shellAndKeepOpen() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "--sh-exec", "echo out; echo err >&2; cat", "--stderr", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        for index in 0..<3 {
            let outcome = try await sockscope("connect", "127.0.0.1", "\(port)", input: Array("client \(index)\n".utf8))
            #expect(outcome.stdoutText == "out\nerr\nclient \(index)\n", "\(outcome)")
        }
        try await Task.sleep(for: .milliseconds(300))
        let pid = try #require(Int32(try await run("/usr/bin/pgrep", ["-f", "-n", "sh-exec echo out"]).stdoutText.split(separator: "\n").first ?? ""))
        #expect(Self.zombies(of: pid).isEmpty, "zombie children of \(pid)")
    }

    @Test("a client that leaves a program that never ends: with -i, the idle connection ends it (SIGTERM after the grace time)")
    func hangUp() async throws {
        let server = try BackgroundProcess(
            Paths.sockscope,
            ["listen", "-v", "-i", "1", "--sh-exec", "trap 'echo term >&2; exit 0' TERM; while :; do sleep 0.1; done", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let client = try await sockscope("connect", "-i", "0.3", "127.0.0.1", "\(port)")
        #expect(client.status == 0)
        #expect(try await server.waitForLine(containing: "SIGTERM", timeout: .seconds(10)).contains("still running after the grace time"))
        #expect(try await server.finish(timeout: .seconds(10)) == 0, "the server ends when its one client's program has exited")
    }

    @Test("serving a program on all addresses without --allow warns; bad combinations are usage errors")
    func warningsAndUsage() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "--sh-exec", "true", "0.0.0.0", "0"])
        defer { server.kill() }
        #expect(try await server.waitForLine(containing: "warning").contains("restrict it with --allow"))
        let both = try await sockscope("listen", "--exec", "cat", "--sh-exec", "cat", "0")
        #expect(both.status == 64)
        let missing = try await sockscope("listen", "--exec", "/no/such/program", "127.0.0.1", "0")
        #expect(missing.status == 64 && missing.stderr.contains("cannot run /no/such/program"), "\(missing)")
        let unknown = try await sockscope("listen", "--exec", "no-such-program-anywhere", "127.0.0.1", "0")
        #expect(unknown.status == 64 && unknown.stderr.contains("not found in PATH"), "\(unknown)")
    }

    @Test("an HTTP one-liner that never reads the request: curl gets the whole response 20 times of 20 (a lingering close, no RST)")
    func lingeringClose() async throws {
        let server = try BackgroundProcess(
            Paths.sockscope, ["listen", "-k", "-c", "printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nhi\\n'", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        var failures: [String] = []
        for _ in 0..<20 {
            let outcome = try await run(Paths.curl, ["-sS", "--max-time", "10", "http://127.0.0.1:\(port)/some/path?query"])
            if outcome.status != 0 || outcome.stdoutText != "hi\n" { failures.append("\(outcome)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of 20 failed: \(failures.first ?? "")")
    }

    @Test("the program's environment names the connection: SOCKSCOPE_REMOTE_ADDR/PORT, LOCAL_ADDR/PORT, PROTO")
    func environment() async throws {
        let server = try BackgroundProcess(
            Paths.sockscope,
            [
                "listen", "-k", "-c", "echo $SOCKSCOPE_PROTO $SOCKSCOPE_REMOTE_ADDR $SOCKSCOPE_REMOTE_PORT $SOCKSCOPE_LOCAL_ADDR $SOCKSCOPE_LOCAL_PORT",
                "127.0.0.1", "0",
            ])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let sourcePort = try freePort()
        let outcome = try await sockscope("connect", "-s", "127.0.0.2", "-p", "\(sourcePort)", "127.0.0.1", "\(port)")
        #expect(outcome.stdoutText == "tcp 127.0.0.2 \(sourcePort) 127.0.0.1 \(port)\n", "\(outcome)")

        let directory = try TemporaryDirectory.make()
        let unix = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "-c", "echo $SOCKSCOPE_PROTO $SOCKSCOPE_LOCAL_ADDR", "-U", directory + "/e.sock"])
        defer { unix.kill() }
        _ = try await unix.waitForLine(containing: "listening on")
        let local = try await sockscope("connect", "-U", directory + "/e.sock")
        #expect(local.stdoutText == "unix \(directory)/e.sock\n", "\(local)")
    }

    @Test("no descriptor of the server leaks into a program: /proc/PID/fd holds 0, 1 and 2 only, with another client connected (and a capture, as root)")
    func noLeakedDescriptors() async throws {
        let tap = Paths.isRoot ? ["--tap"] : []
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-k"] + tap + ["-c", "ls /proc/$$/fd; cat > /dev/null", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let first = try StreamEndingTests.withOpenStdin("\(Paths.sockscope) connect 127.0.0.1 \(port)")
        defer { first.kill() }
        _ = try await first.waitForLine(containing: "2", inStdout: true)
        let second = try StreamEndingTests.withOpenStdin("\(Paths.sockscope) connect 127.0.0.1 \(port)")
        defer { second.kill() }
        _ = try await second.waitForLine(containing: "2", inStdout: true)
        try await Task.sleep(for: .milliseconds(100))
        #expect(first.stdoutText == "0\n1\n2\n", "\(first.stdoutText)")
        #expect(second.stdoutText == "0\n1\n2\n", "the first client's socket did not leak into the second program: \(second.stdoutText)")
    }

    @Test("without an address an exec listener serves both loopbacks, 127.0.0.1 and ::1, on one port")
    func bothLoopbacks() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "-c", "echo $SOCKSCOPE_LOCAL_ADDR", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "listening on 127.0.0.1:")
        _ = try await server.waitForLine(containing: "listening on [::1]:\(port)")
        #expect(try await sockscope("connect", "::1", "\(port)").stdoutText == "::1\n")
        #expect(try await sockscope("connect", "127.0.0.1", "\(port)").stdoutText == "127.0.0.1\n")
    }

    @Test("--exec over UDP: a program per source (as ncat -u), each seeing only its source's datagrams, the first one included")
    func udpProgramPerSource() async throws {
        let server = try BackgroundProcess(
            Paths.sockscope, ["listen", "-u", "-k", "-c", "echo \"pid $$ for $SOCKSCOPE_REMOTE_ADDR\"; exec cat", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let outcome = try await run(
            Paths.python,
            [
                "-c",
                """
                import socket, time
                a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(('127.0.0.1', 0)); a.settimeout(5)
                b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(('127.0.0.2', 0)); b.settimeout(5)
                a.sendto(b'a1', ('127.0.0.1', \(port))); time.sleep(0.3)
                b.sendto(b'b1', ('127.0.0.1', \(port))); time.sleep(0.3)
                a.sendto(b'a2', ('127.0.0.1', \(port)))
                for name, s in (('a', a), ('b', b)):
                    got = [s.recv(100).decode().strip() for _ in range(3 if name == 'a' else 2)]
                    print(name, '|'.join(got))
                """,
            ])
        let lines = outcome.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(outcome)")
        let a = lines.first { $0.hasPrefix("a ") } ?? ""
        let b = lines.first { $0.hasPrefix("b ") } ?? ""
        #expect(a.hasSuffix(" for 127.0.0.1|a1|a2") && a.hasPrefix("a pid "), "\(a)")
        #expect(b.hasSuffix(" for 127.0.0.2|b1") && b.hasPrefix("b pid "), "\(b)")
        let pidOf = { (line: String) in line.split(separator: " ").dropFirst(2).first.map(String.init) }
        #expect(pidOf(a) != nil && pidOf(a) != pidOf(b), "two programs: \(a) / \(b)")
    }
}
