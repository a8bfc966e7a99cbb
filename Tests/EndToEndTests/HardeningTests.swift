import Glibc
import Testing

/// Issue 13's adversarial cases: access control fails closed, standard descriptors
/// are never reused, chat names cannot pass for the server or for someone else.
@Suite("Hardening")
struct HardeningTests {
    static func client(from source: String, port: UInt16, _ text: String = "") async throws -> String {
        try await run(Paths.python, [Paths.peer("hostile.py"), "client-from", source, "\(port)", text]).stdoutText
            .trimmingSuffix("\n")
    }

    @Test("an allow file is read as bytes: CRLF, comments, tabs; only the listed hosts get the program")
    func allowFileCRLF() async throws {
        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/a.txt", Array("# trusted admin host only\r\n127.0.0.2\r\n\t127.0.0.4\t# and a tab\r\n127.0.0.3 # c\r\n".utf8))
        let listener = try BackgroundProcess(
            Paths.sockscope, ["listen", "-k", "--sh-exec", "echo served", "--allow-file", directory + "/a.txt", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        #expect(try await Self.client(from: "127.0.0.1", port: port) == "REFUSED")
        for allowed in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
            #expect(try await Self.client(from: allowed, port: port) == #"b'served\n'"#, "\(allowed): \(listener.stderrText)")
        }
        #expect(listener.stderrText.contains("refused 127.0.0.1:"), "\(listener.stderrText)")
    }

    @Test(
        "an allow file that lists nothing, is not a regular file, or is too large is refused: never allow-all",
        arguments: ["# only comments\r\n\r\n", "", "/dev/zero", "big"])
    func allowFileFailsClosed(_ content: String) async throws {
        let directory = try TemporaryDirectory.make()
        var path = directory + "/allow.txt"
        if content == "/dev/zero" {
            path = "/dev/zero"
        } else if content == "big" {
            try writeFile(path, Array(repeating: UInt8(ascii: "#"), count: 2 << 20))
        } else {
            try writeFile(path, Array(content.utf8))
        }
        let outcome = try await sockscope("listen", "-k", "--sh-exec", "id -un", "--allow-file", path, "127.0.0.1", "0")
        #expect(outcome.status == 64, "\(outcome)")
        #expect(!outcome.stderr.contains("listening on"), "it must not listen at all: \(outcome.stderr)")
    }

    @Test("IPv4-mapped rules mean the IPv4 addresses on an IPv4 listener", arguments: ["::ffff:127.0.0.2", "::ffff:127.0.0.0/104"])
    func mappedRules(_ rule: String) async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "--echo", "--deny", rule, "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        #expect(try await Self.client(from: "127.0.0.2", port: port, "x") == "REFUSED", "\(listener.stderrText)")
        if rule.hasSuffix("/104") {
            #expect(try await Self.client(from: "127.0.0.1", port: port, "x") == "REFUSED")
        } else {
            #expect(try await Self.client(from: "127.0.0.1", port: port, "x") == "b'x'")
        }
    }

    @Test(
        "on a dual-stack listener --deny ::/0 leaves IPv4 clients alone, and peers are logged as plain IPv4",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace (a dual-stack listener on all addresses)"))
    func dualStack() async throws {
        let script = """
            ip link set lo up
            "$1" listen -k --echo -v --deny ::/0 0 2> "$2/err" & server=$!
            for i in $(seq 100); do grep -q 'listening on' "$2/err" && break; sleep 0.05; done
            port=$(grep -o -m1 'listening on [^ ]*' "$2/err" | grep -o '[0-9]*$')
            "$3" "$4" client-from 127.0.0.1 "$port" x
            "$3" -c "import socket; s = socket.create_connection(('::1', $port), timeout=5); s.sendall(b'y'); s.shutdown(1); print(repr(s.recv(10)) if True else '')" 2>&1 | head -1
            kill $server; cat "$2/err"
            """
        let directory = try TemporaryDirectory.make()
        let outcome = try await run(
            "/usr/bin/unshare", ["--net", "/bin/sh", "-c", script, "sh", Paths.sockscope, directory, Paths.python, Paths.peer("hostile.py")])
        let lines = outcome.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.first == "b'x'", "an IPv4 client is not in ::/0: \(outcome)")
        #expect(lines.dropFirst().first != "b'y'", "an IPv6 client is: \(outcome)")
        #expect(outcome.stdoutText.contains("connected from 127.0.0.1:"), "peers as plain IPv4: \(outcome.stdoutText)")
        #expect(!outcome.stdoutText.contains("::ffff:"), "\(outcome.stdoutText)")
    }

    @Test("--chat: no client may take the server's marker or another client's name")
    func chatNames() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--chat", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let outcome = try await run(Paths.python, [Paths.peer("hostile.py"), "chat", "\(port)", "alice", "announce", "alice"])
        let lines = outcome.stdoutText.split(separator: "\n").map(String.init)
        #expect(!lines.contains { $0.contains("<announce> hi from") }, "a client passed for the server: \(lines)")
        #expect(lines.contains("announce got: <announce> the name announce is the server's; choose another"), "\(lines)")
        #expect(lines.contains("alice got: <announce> the name alice is taken; choose another"), "\(lines)")
        #expect(lines.filter { $0.hasSuffix("<alice> hi from alice") }.count == 2, "only the first alice is alice: \(lines)")
    }

    @Test("a closed stdout or stderr is never reused for the socket: the peer gets exactly what was sent")
    func closedStandardDescriptors() async throws {
        for redirect in [">&-", "2>&-"] {
            let server = try BackgroundProcess(Paths.python, [Paths.peer("hostile.py"), "counting-echo"])
            defer { server.kill() }
            let port = try await server.announcedPort(marker: "", inStdout: true)
            let outcome = try await run(Paths.sh, ["-c", "printf hello | exec \(Paths.sockscope) connect -v 127.0.0.1 \(port) \(redirect)"])
            #expect(outcome.status == 0, "\(redirect): \(outcome)")
            #expect(try await server.finish() == 0)
            #expect(server.stdoutText.split(separator: "\n").last == "5", "\(redirect): the server received \(server.stdoutText)")
        }
    }

    @Test(
        "every write is checked: output that cannot be written ends the command with exit 74, never a silent success",
        arguments: [
            "probe --json 127.0.0.1 1-50", "resolve 127.0.0.1", "sockets", "demo --json --no-packets",
        ])
    func fullStdout(_ command: String) async throws {
        let outcome = try await run(Paths.sh, ["-c", "exec \(Paths.sockscope) \(command) > /dev/full"])
        #expect(outcome.status == 74, "\(command): \(outcome)")
        #expect(outcome.stderr.contains("ENOSPC"), "\(command): \(outcome.stderr)")
    }

    @Test("connect --output /dev/full and recv --raw > /dev/full end with 74, naming the failure")
    func fullFiles() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let connect = try await sockscope("connect", "--output", "/dev/full", "127.0.0.1", "\(port)", input: Array("hello\n".utf8))
        #expect(connect.status == 74 && connect.stderr.contains("ENOSPC"), "\(connect)")
        let receiver = try BackgroundProcess(Paths.sh, ["-c", "exec \(Paths.sockscope) recv --raw --count 1 127.0.0.1 0 > /dev/full"])
        defer { receiver.kill() }
        let rport = try await receiver.announcedPort(marker: "receiving on")
        _ = try await sockscope("send", "127.0.0.1", "\(rport)", "datagram")
        #expect(try await receiver.finish() == 74, "\(receiver.stderrText)")
    }

    @Test("SIGHUP ends a command like SIGTERM, exit 129")
    func hangUp() async throws {
        let outcome = try await run(Paths.python, [Paths.peer("interrupt.py"), Paths.sockscope, "keep-open-after-client", "HUP"])
        #expect(outcome.stdoutText.hasPrefix("runs=1 misses=0 statuses=129"), "\(outcome)")
    }

    @Test(
        "a pcap file that cannot be written completely is an error (74), never 'N packets written'",
        .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
    func fullPcap() async throws {
        let port = try freePort()
        let tap = try BackgroundProcess(Paths.sockscope, ["tap", "--pcap-out", "/dev/full", "tcp port \(port)"])
        defer { tap.kill() }
        _ = try await tap.waitForLine(containing: "capturing on")
        for _ in 0..<8 { _ = try await sockscope("connect", "127.0.0.1", "\(port)") }
        try await Task.sleep(for: .milliseconds(300))
        kill(try await SignalTests.pid("tap --pcap-out /dev/full tcp port \(port)"), SIGINT)
        #expect(try await tap.finish() == 74, "\(tap.stderrText)")
        #expect(tap.stderrText.contains("cannot write /dev/full") && !tap.stderrText.contains("packets written to"), "\(tap.stderrText)")
    }

    @Test(
        "smaller holes: scoped hosts never reach DNS, send --ttl 0, a whole line over --max-frame",
        arguments: [
            (["connect", "::1%nosuch", "80"], 64, "no interface 'nosuch'"),
            (["connect", "1.2.3.4%lo", "80"], 64, "belongs only to an IPv6 address"),
            (["send", "--ttl", "0", "127.0.0.1", "9", "x"], 64, "--ttl takes 1 to 255"),
        ])
    func smallerHoles(_ arguments: [String], _ status: Int32, _ message: String) async throws {
        try await expectFailure(arguments, message, status: status)
    }

    @Test("--max-frame holds for a line that arrives whole")
    func lineOverLimit() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--frame", "line", "--max-frame", "10", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        _ = try await run(
            Paths.python, ["-c", "import socket; s = socket.create_connection(('127.0.0.1', \(port))); s.sendall(b'x' * 20 + b'\\n'); s.close()"])
        #expect(try await listener.finish() == 74, "\(listener.stderrText)")
        #expect(listener.stderrText.contains("20-byte line, over the limit of 10"), "\(listener.stderrText)")
        #expect(listener.stdoutText.isEmpty)
    }

    /// PIDs of the processes whose command line starts with `marker` (the programs
    /// themselves, not the shells or the server that mention it).
    static func processes(_ marker: String) async throws -> [String] {
        try await run("/usr/bin/pgrep", ["-f", "^" + marker]).stdoutText.split(separator: "\n").map(String.init)
    }

    @Test("every program of a pipeline ends with the server: each client's program runs in its own process group")
    func processGroups() async throws {
        let marker = "sleep 1234.\(Int.random(in: 100...999))"
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "--sh-exec", "\(marker) | cat", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let clients = try (0..<3).map { _ in
            try BackgroundProcess(Paths.python, ["-c", "import socket, time; s = socket.create_connection(('127.0.0.1', \(port))); time.sleep(5)"])
        }
        defer { for client in clients { client.kill() } }
        var running: [String] = []
        for _ in 0..<50 where running.count < 3 {
            try await Task.sleep(for: .milliseconds(50))
            running = try await Self.processes(marker)
        }
        #expect(running.count == 3, "one pipeline per client: \(running)")
        kill(try await SignalTests.pid("sh-exec \(marker)"), SIGTERM)
        #expect(try await server.finish() == 143)
        var left = running
        for _ in 0..<20 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(50))
            left = try await Self.processes(marker)
        }
        #expect(left.isEmpty, "programs outlived the server: \(left)")
    }

    @Test("a client's half-close is not a hang-up: the program reads EOF and its late answer still arrives")
    func halfCloseIsNotHangUp() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "--sh-exec", #"read q; sleep 3; echo "result for $q""#, "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let outcome = try await sockscope("connect", "127.0.0.1", "\(port)", input: Array("query1\n".utf8))
        #expect(outcome.stdoutText == "result for query1\n", "\(outcome)")
        #expect(try await server.finish() == 0)
    }

    @Test("a client that resets: its program's group gets SIGTERM after the grace time")
    func resetEndsTheGroup() async throws {
        let marker = "sleep 2345.\(Int.random(in: 100...999))"
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "--sh-exec", "\(marker) | cat", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let reset = """
            import socket, struct, time
            s = socket.create_connection(('127.0.0.1', \(port))); time.sleep(0.5)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()
            """
        _ = try await run(Paths.python, ["-c", reset])
        #expect(try await server.finish(timeout: .seconds(10)) == 0, "the server ends when its one client's program has: \(server.stderrText)")
        #expect(server.stderrText.contains("still running after the grace time"), "\(server.stderrText)")
        #expect(try await Self.processes(marker).isEmpty)
    }

    @Test("--frame reads while it writes: 20 MB of lines through a peer that answers while it reads, no deadlock")
    func framedNoDeadlock() async throws {
        let directory = try TemporaryDirectory.make()
        let lines = (0..<200_000).map { "line \($0) " + String(repeating: "x", count: 80) + "\n" }.joined()
        try writeFile(directory + "/lines", Array(lines.utf8))
        let server = try BackgroundProcess(Paths.python, [Paths.peer("hostile.py"), "blocking-echo"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let client = try BackgroundProcess(
            Paths.sockscope, ["connect", "--frame", "line", "127.0.0.1", "\(port)"], stdinPath: directory + "/lines",
            stdoutPath: directory + "/out")
        #expect(try await client.finish(timeout: .seconds(60)) == 0, "\(client.stderrText)")
        #expect(try readFile(directory + "/out") == Array(lines.utf8), "every line came back, in order")
    }

    @Test("--frame output is binary-safe: escaped one per line by default, raw with --raw, hex in --frame-json")
    func framesBinarySafe() async throws {
        var outputs: [String: [UInt8]] = [:]
        for mode in ["escaped", "--raw", "--frame-json"] {
            let server = try BackgroundProcess(Paths.python, [Paths.peer("hostile.py"), "binary-frames"])
            defer { server.kill() }
            let port = try await server.announcedPort(marker: "", inStdout: true)
            let extra = mode == "escaped" ? [] : [mode]
            let outcome = try await run(Paths.sockscope, ["connect", "--frame", "u32be"] + extra + ["127.0.0.1", "\(port)"])
            #expect(outcome.status == 0, "\(mode): \(outcome)")
            outputs[mode] = outcome.stdout
        }
        #expect(String(decoding: outputs["escaped"] ?? [], as: UTF8.self) == "\\xff\\xfe\\0ok\\x80\ntwo\\nlines\nplain\n")
        let raw: [UInt8] = [0xff, 0xfe, 0x00, 0x6f, 0x6b, 0x80] + Array("two\nlinesplain".utf8)
        #expect(outputs["--raw"] == raw)
        let json = String(decoding: outputs["--frame-json"] ?? [], as: UTF8.self)
        #expect(json.contains(#""bytes":6,"text":null,"hex":"fffe006f6b80""#), "\(json)")
        #expect(json.contains(#""text":"two\nlines""#), "\(json)")
    }

    @Test("send --lines from an endless line fails at once with EMSGSIZE instead of holding it all")
    func endlessLine() async throws {
        let outcome = try await run(Paths.sh, ["-c", "exec \(Paths.sockscope) send --lines 127.0.0.1 9 < /dev/zero"], timeout: .seconds(20))
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.stderr.contains("EMSGSIZE"), "\(outcome.stderr)")
    }

    /// The CPU seconds (user + system) a process has used, from /proc/PID/stat.
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let stat = String(decoding: try readFile("/proc/\(pid)/stat"), as: UTF8.self)
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return -1 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    @Test("out of descriptors, a keep-open server refuses new clients with a reason, does not spin, and keeps serving")
    func outOfDescriptors() async throws {
        let server = try BackgroundProcess("/usr/bin/prlimit", ["--nofile=24", Paths.sockscope, "listen", "-k", "--echo", "--backlog", "77", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let holder = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                "import socket, time\nheld = [socket.create_connection(('127.0.0.1', \(port))) for _ in range(40)]\nprint('held', flush=True)\ntime.sleep(3)",
            ])
        defer { holder.kill() }
        _ = try await holder.waitForLine(containing: "held", inStdout: true)
        let pid = try await SignalTests.pid("listen -k --echo --backlog 77 127.0.0.1 0")
        let before = try Self.cpuSeconds(pid)
        try await Task.sleep(for: .seconds(1))
        let used = try Self.cpuSeconds(pid) - before
        #expect(used < 0.3, "the server spun: \(used) s of CPU in 1 s")
        #expect(server.stderrText.contains("out of resources (EMFILE"), "\(server.stderrText)")
        _ = try await holder.finish(timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await Self.client(from: "127.0.0.1", port: port, "still here") == "b'still here'", "\(server.stderrText)")
    }

    @Test("the stale-socket check never connects to a live listener, however its path is spelled")
    func liveUnixListenerByAnotherSpelling() async throws {
        let directory = try TemporaryDirectory.make()
        let live = try BackgroundProcess(Paths.sockscope, ["listen", "-U", directory + "/app.sock"])
        defer { live.kill() }
        for _ in 0..<100 where !FileManagerless.exists(directory + "/app.sock") {
            try await Task.sleep(for: .milliseconds(20))
        }
        let second = try await sockscope("listen", "-U", directory + "//app.sock")
        #expect(second.status == 69 && second.stderr.contains("EADDRINUSE"), "\(second)")
        let client = try await run(
            Paths.python,
            [
                "-c", "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b'real client'); s.close()",
                directory + "/app.sock",
            ])
        #expect(client.status == 0, "\(client)")
        #expect(try await live.finish() == 0)
        #expect(live.stdoutText == "real client", "the live listener served our probe instead of its client: \(live.stdoutText.debugDescription)")
    }

    @Test("when stdout's reader goes away (EPIPE), connect says so and exits 74: output was lost")
    func stdoutReaderGone() async throws {
        let script = """
            import socket
            s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1); print(s.getsockname()[1], flush=True)
            c, _ = s.accept()
            try:
                c.sendall(b'x' * (4 << 20))
            except OSError:
                pass
            """
        let server = try BackgroundProcess(Paths.python, ["-c", script])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await run(
            "/bin/bash", ["-c", "\(Paths.sockscope) connect 127.0.0.1 \(port) < /dev/null | head -c 10 > /dev/null; echo ${PIPESTATUS[0]}"])
        #expect(outcome.stdoutText == "74\n", "\(outcome)")
        #expect(outcome.stderr.contains("cannot write the output (stdout): EPIPE"), "\(outcome.stderr)")
    }

    @Test("listen -k with a non-blocking stdout read slowly: every byte comes out (EAGAIN waits, never drops)")
    func nonBlockingStdout() async throws {
        let outcome = try await run(Paths.python, [Paths.peer("hostile.py"), "nonblocking-stdout", Paths.sockscope], timeout: .seconds(60))
        #expect(outcome.stdoutText == "4000000\n", "\(outcome)")
    }

    @Test("SIGHUP left ignored (nohup) stays ignored: the listener keeps running")
    func hangUpIgnoredUnderNohup() async throws {
        let listener = try BackgroundProcess(Paths.sh, ["-c", "trap '' HUP; exec \(Paths.sockscope) listen --backlog 93 127.0.0.1 0"])
        defer { listener.kill() }
        _ = try await listener.announcedPort()
        let pid = try await SignalTests.pid("listen --backlog 93 127.0.0.1 0")
        kill(pid, SIGHUP)
        try await Task.sleep(for: .milliseconds(300))
        #expect(kill(pid, 0) == 0, "the listener died of an ignored SIGHUP: \(listener.stderrText)")
        kill(pid, SIGTERM)
        #expect(try await listener.finish() == 143)
    }

}

/// File existence without Foundation.
enum FileManagerless {
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
