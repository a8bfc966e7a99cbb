import Testing

/// Serving many clients: concurrent keep-open, broker, chat, access control, limits.
@Suite("Many clients")
struct ServerTests {
    @Test("--keep-open serves clients concurrently: a second client is answered while the first stays connected")
    func concurrent() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "--upper", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let outcome = try await run(
            Paths.python,
            [
                "-c",
                """
                import socket
                first = socket.create_connection(('127.0.0.1', \(port)))
                second = socket.create_connection(('127.0.0.1', \(port)), timeout=5)
                second.sendall(b'second'); print(second.recv(100).decode())
                first.settimeout(5); first.sendall(b'first'); print(first.recv(100).decode())
                """,
            ])
        #expect(outcome.stdoutText == "SECOND\nFIRST\n", "\(outcome)")
    }

    @Test("--broker: three clients, 10,000 messages each, every message reaches exactly the other two")
    func broker() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "--broker", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let outcome = try await run(Paths.python, [Paths.peer("broker_clients.py"), "127.0.0.1", "\(port)", "10000"], timeout: .seconds(60))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText.split(separator: "\n").count == 3)
    }

    @Test("--chat: names, /nick at any time, join and leave notices between three Python clients")
    func chat() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "--chat", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let outcome = try await run(
            Paths.python,
            [
                "-c",
                """
                import socket, time
                people = [socket.create_connection(('127.0.0.1', \(port)), timeout=5) for _ in range(3)]
                time.sleep(0.2)
                people[0].sendall(b'/nick alice\\n'); time.sleep(0.1)
                people[0].sendall(b'hello everyone\\n'); time.sleep(0.2)
                people[0].sendall(b'/nick bob\\n'); time.sleep(0.1)
                people[0].sendall(b'again\\n'); time.sleep(0.2)
                people[2].close(); time.sleep(0.2)
                print(people[1].recv(4096).decode(), end='')
                """,
            ])
        let lines = outcome.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.contains("<announce> you are user2; send /nick NAME to change it"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("<announce> user3 (127.0.0.1:") && $0.hasSuffix(") has joined") }, "\(lines)")
        #expect(lines.contains("<announce> user1 is now alice"), "\(lines)")
        #expect(lines.contains("<alice> hello everyone"), "\(lines)")
        #expect(lines.contains("<announce> alice is now bob"), "/nick works after the first line too: \(lines)")
        #expect(lines.contains("<bob> again"), "\(lines)")
        #expect(lines.contains("<announce> user3 has left"), "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("<user1> /nick") || $0.hasPrefix("<alice> /nick") }, "a /nick line is not relayed")
    }

    @Test("--allow and --deny: clients from 127.0.0.2 are refused and logged, 127.0.0.1 is served")
    func accessControl() async throws {
        for rules in [["--deny", "127.0.0.2"], ["--allow", "127.0.0.1/32"]] {
            let server = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "--echo"] + rules + ["127.0.0.1", "0"])
            defer { server.kill() }
            let port = try await server.announcedPort()
            let refused = try await sockscope("connect", "-s", "127.0.0.2", "127.0.0.1", "\(port)", input: Array("hi".utf8))
            #expect(refused.stdout.isEmpty, "\(rules): \(refused)")
            let line = try await server.waitForLine(containing: "refused 127.0.0.2:")
            #expect(line.contains(rules[0] == "--deny" ? "denied by --deny 127.0.0.2/32" : "not in any --allow block"), "\(line)")
            let served = try await sockscope("connect", "127.0.0.1", "\(port)", input: Array("hi".utf8))
            #expect(served.stdoutText == "hi", "\(rules): \(served)")
        }
    }

    @Test("--max-clients refuses the extra client with a logged reason; --idle-timeout frees a silent one")
    func limits() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "--echo", "--max-clients", "1", "-i", "0.5", "-v", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let outcome = try await run(
            Paths.python,
            [
                "-c",
                """
                import socket, time
                first = socket.create_connection(('127.0.0.1', \(port)), timeout=5)
                time.sleep(0.1)
                try:
                    # The refusal's RST can come before connect() returns (a loaded machine).
                    extra = socket.create_connection(('127.0.0.1', \(port)), timeout=5)
                    print('extra closed' if extra.recv(10) == b'' else 'extra served')
                except ConnectionResetError:
                    print('extra reset')
                print('idle closed' if first.recv(10) == b'' else 'first got data')
                """,
            ])
        #expect(outcome.stdoutText == "extra reset\nidle closed\n", "a refusal is a reset: \(outcome)")
        #expect(try await server.waitForLine(containing: "already serving 1 client").contains("refused 127.0.0.1:"))
        #expect(try await server.waitForLine(containing: "idle for 500 ms").contains("gone"))
    }

    @Test("1,000 concurrent clients of --keep-open --echo: every byte echoed; peak RSS recorded")
    func thousandClients() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "--echo", "--backlog", "1024", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let load = try await run(Paths.python, [Paths.peer("echo_load.py"), "127.0.0.1", "\(port)", "1000", "5", "1024", "60"], timeout: .seconds(90))
        #expect(load.status == 0, "\(load)")
        // The server's peak memory, from the kernel (VmHWM), found through ss.
        let owner = try await run(Paths.ss, ["-Hltnp", "( sport = :\(port) )"]).stdoutText
        let pid = owner.split(separator: "pid=").dropFirst().first.map { String($0.prefix(while: \.isNumber)) } ?? ""
        let status = String(decoding: (try? readFile("/proc/\(pid)/status")) ?? [], as: UTF8.self)
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.map(String.init) ?? "VmHWM: unknown"
        print("1,000 echo clients: \(load.stdoutText.trimmingSuffix()); server \(peak)")
        let kilobytes = Int(peak.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        #expect(kilobytes > 0 && kilobytes < 200_000, "peak RSS \(peak)")
    }

    @Test(
        "bad rules are usage errors",
        arguments: [
            (["listen", "--allow", "10.0.0.0/33", "0"], "prefix length is 0 to 32"),
            (["listen", "--deny", "10.0.0.1-300", "0"], "bad address range"),
            (["listen", "--broker", "--chat", "0"], "had already been set with flag"),
            (["listen", "--max-clients=-1", "0"], "--max-clients must be 0 or more"),
        ])
    func badRules(arguments: [String], message: String) async throws {
        try await expectFailure(arguments, message)
    }
}

extension String {
    func trimmingSuffix() -> String { String(reversed().drop(while: \.isNewline).reversed()) }
}
