import Glibc
import Testing

/// Socket options as the kernel sees them: `ss` (iproute2) is the oracle.
@Suite("Socket options")
struct SocketOptionTests {
    @Test("a graceful close leaves TIME-WAIT; --linger 0 resets the connection (RST) and leaves none")
    func lingerZero() async throws {
        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/reply", Array("the server's reply\n".utf8))
        // As root, in a network namespace of its own: the rest of the suite leaves tens of
        // thousands of TIME-WAITs on loopback and reuses their ports (tcp_tw_reuse), which
        // once ended this test's TIME-WAIT before ss looked.
        let namespace = Paths.isRoot ? "sso\(getpid() % 1000)\(UInt16.random(in: 0...999))" : nil
        if let namespace {
            _ = try await run(Paths.ip, ["netns", "add", namespace])
            _ = try await run(Paths.ip, ["-n", namespace, "link", "set", "lo", "up"])
        }
        defer { if let namespace { runNow(Paths.ip, ["netns", "del", namespace]) } }
        func inside(_ tool: String, _ arguments: [String]) -> (String, [String]) {
            namespace.map { (Paths.ip, ["netns", "exec", $0, tool] + arguments) } ?? (tool, arguments)
        }
        for linger in [false, true] {
            // The server sends its reply and closes; our stdin is empty.
            let (serverTool, serverArguments) = inside(Paths.python, [Paths.peer("tcp_server.py"), "send", "--file", directory + "/reply"])
            let server = try BackgroundProcess(serverTool, serverArguments)
            defer { server.kill() }
            let port = try await server.announcedPort(marker: "", inStdout: true)
            let options = linger ? ["--linger", "0"] : []
            let (client, clientArguments) = inside(Paths.sockscope, ["connect", "-v"] + options + ["127.0.0.1", "\(port)"])
            let outcome = try await run(client, clientArguments)
            #expect(outcome.status == 0, "\(outcome)")
            #expect(outcome.stdoutText == "the server's reply\n", "every byte before the close arrives either way")
            #expect(try await server.finish() == 0)
            // The last ACK of a teardown may still be in flight on a loaded machine: look a few times.
            let (ssTool, ssArguments) = inside(Paths.ss, ["-Htan", "state", "time-wait", "( sport = :\(port) or dport = :\(port) )"])
            var ss = try await run(ssTool, ssArguments)
            for _ in 0..<20 where !linger && ss.stdoutText.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                ss = try await run(ssTool, ssArguments)
            }
            if linger {
                #expect(outcome.stderr.contains("setsockopt(fd 3, SO_LINGER, {on, 0 s}) → ok"))
                #expect(!outcome.stderr.contains("SHUT_WR"), "--linger 0 must not half-close")
                // This connection's own 4-tuple only: other tests' connections may have used the port number.
                let local = outcome.stderr.split(separator: "getsockname(fd 3) → 127.0.0.1:").dropFirst().first.map { String($0.prefix { $0.isNumber }) } ?? "?"
                let own = ss.stdoutText.split(separator: "\n").filter { $0.contains("127.0.0.1:\(local) ") || $0.hasSuffix("127.0.0.1:\(local)") }
                #expect(own.isEmpty, "TIME-WAIT left despite --linger 0: \(own)")
            } else {
                #expect(ss.stdoutText.contains("127.0.0.1:\(port)"), "a graceful teardown leaves TIME-WAIT on one side: \(ss)")
            }
        }
    }

    @Test("-p binds the source port the server then sees")
    func sourcePort() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let sourcePort = try freePort()
        let outcome = try await sockscope("connect", "-v", "-s", "127.0.0.1", "-p", "\(sourcePort)", "127.0.0.1", "\(port)", input: Array("x".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stderr.contains("bind(fd 3, 127.0.0.1:\(sourcePort)) → ok"))
        #expect(outcome.stderr.contains("getsockname(fd 3) → 127.0.0.1:\(sourcePort)"))
    }

    @Test("--keepalive shows as a keepalive timer in ss; --nodelay and --ttl are set")
    func tcpOptions() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--recv-only", "127.0.0.1", "0"], stdoutPath: "/dev/null")
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        // stdin stays open and silent (until the test stops the client), so the
        // connection stays up however loaded the machine is.
        let client = try BackgroundProcess(Paths.sh, ["-c", "sleep 20 | exec \(Paths.sockscope) connect -v --keepalive --nodelay --ttl 7 127.0.0.1 \(port)"])
        defer { client.kill() }
        _ = try await client.waitForLine(containing: "getsockname")
        // Only the established connection: another test's TIME-WAIT may share the port number.
        let ss = try await run(Paths.ss, ["-Htano", "state", "established", "( dport = :\(port) )"])
        #expect(ss.stdoutText.contains("keepalive"), "ss shows no keepalive timer: \(ss.stdoutText)")
        for line in ["setsockopt(fd 3, SO_KEEPALIVE, 1) → ok", "setsockopt(fd 3, TCP_NODELAY, 1) → ok", "setsockopt(fd 3, IP_TTL, 7) → ok"] {
            #expect(client.stderrText.contains(line), "missing: \(line)")
        }
    }
}
