import Testing

/// Real captures on lo: the timeline's packets, states and numbers, who keeps
/// TIME-WAIT, RST, pcap files that tcpdump reads, and the kernel's socket table.
@Suite("tap", .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
struct TapTests {
    /// The timeline lines of a tap's stderr (those starting with "+").
    static func timeline(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map { $0.trimmingLeadingSpaces() }.filter { $0.hasPrefix("+") }
    }

    @Test("connect --tap: SYN, SYN/ACK, ACK, data, FIN, …, with states and relative numbers; the client closed first and holds TIME-WAIT")
    func clientClosesFirst() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "--tap", "127.0.0.1", "\(port)", input: Array("hello".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "HELLO")
        let lines = Self.timeline(outcome.stderr)
        let expected: [(flags: String, fields: String, states: String)] = [
            ("[S]", "seq 0,", "client: SYN-SENT"),
            ("[S.]", "seq 0, ack 1,", "server: SYN-RECEIVED, client: ESTABLISHED"),
            ("[.]", "seq 1, ack 1,", "server: ESTABLISHED"),
            ("[P.]", "seq 1:6, ack 1,", ""),
        ]
        #expect(lines.count >= 8, "\(outcome.stderr)")
        for (line, want) in zip(lines, expected) {
            #expect(line.contains(want.flags) && line.contains(want.fields), "\(line) should have \(want.flags) \(want.fields)")
            if !want.states.isEmpty { #expect(line.hasSuffix(want.states), "\(line)") }
        }
        #expect(lines.first?.contains("<mss ") == true, "SYN options shown")
        let fin = try #require(lines.first { $0.contains("[F.]") })
        #expect(fin.contains("client: FIN-WAIT-1, server: CLOSE-WAIT"), "\(fin)")
        // The server's reply, FIN and ACK may come in one segment or several.
        #expect(
            lines.contains { $0.contains("server: LAST-ACK") && ($0.contains("client: TIME-WAIT") || $0.contains("client: FIN-WAIT-2 → TIME-WAIT")) }
                || lines.contains { $0.contains("client: TIME-WAIT") }, "\(lines)")
        #expect(lines.last?.hasSuffix("server: CLOSED") == true, "\(lines.last ?? "")")
        #expect(outcome.stderr.contains("TIME-WAIT held by the client"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("0 dropped by the kernel"))
    }

    @Test("when the server closes first, the server holds TIME-WAIT")
    func serverClosesFirst() async throws {
        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/reply", Array("bye\n".utf8))
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "send", "--file", directory + "/reply"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        // --no-half-close: the client sends no FIN at the end of its (empty) input, so
        // the server's FIN comes first.
        let outcome = try await sockscope("connect", "--tap", "--no-half-close", "127.0.0.1", "\(port)")
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "bye\n")
        let lines = Self.timeline(outcome.stderr)
        #expect(lines.contains { $0.contains("[F") && $0.contains("server: FIN-WAIT-1, client: CLOSE-WAIT") }, "\(lines)")
        #expect(
            lines.contains { $0.contains("client: LAST-ACK") && ($0.contains("server: TIME-WAIT") || $0.contains("server: FIN-WAIT-2 → TIME-WAIT")) },
            "\(lines)")
        #expect(outcome.stderr.contains("TIME-WAIT held by the server"), "\(outcome.stderr)")
    }

    @Test("--linger 0: the close is an RST, and nobody holds TIME-WAIT")
    func lingerZero() async throws {
        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/reply", Array("x".utf8))
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "send", "--file", directory + "/reply"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "--tap", "--linger", "0", "127.0.0.1", "\(port)")
        #expect(outcome.status == 0, "\(outcome)")
        let lines = Self.timeline(outcome.stderr)
        #expect(lines.contains { $0.contains("[R") && $0.contains("reset by client") }, "\(lines)")
        #expect(outcome.stderr.contains("reset by the client (RST): no TIME-WAIT on either side"))
    }

    @Test("--pcap-out writes a pcap file that tcpdump -r reads, packet for packet")
    func pcapOut() async throws {
        let directory = try TemporaryDirectory.make()
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "--pcap-out", directory + "/c.pcap", "127.0.0.1", "\(port)", input: Array("pcap".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        let count = Self.timeline(outcome.stderr).count
        let tcpdump = try await run(Paths.tcpdump, ["-n", "-r", directory + "/c.pcap"])
        #expect(tcpdump.status == 0, "\(tcpdump.stderr)")
        let packets = tcpdump.stdoutText.split(separator: "\n")
        #expect(packets.count == count && count >= 8, "tcpdump read \(packets.count), the tap showed \(count)")
        #expect(packets.first?.contains("Flags [S]") == true && packets.first?.contains(".\(port):") == true)
    }

    @Test("tap --json --count: one object per packet with states")
    func tapCommand() async throws {
        let port = try freePort()
        let tap = try BackgroundProcess(Paths.sockscope, ["tap", "--json", "--count", "3", "tcp port \(port)"])
        defer { tap.kill() }
        _ = try await tap.waitForLine(containing: "capturing on lo")
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "127.0.0.1", "\(port)"])
        defer { listener.kill() }
        var connected = false
        for _ in 0..<40 where !connected {
            connected = try await sockscope("connect", "127.0.0.1", "\(port)").status == 0
            if !connected { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(try await tap.finish() == 0)
        let lines = tap.stdoutText.split(separator: "\n")
        #expect(lines.count == 3, "\(tap.stdoutText)")
        #expect(lines.first?.contains("\"flags\":\"S\"") == true && lines.first?.contains("\"states\":[\"client: syn-sent\"]") == true, "\(lines)")
    }

    @Test("probe --tap: each port's packets — RST, SYN/ACK, silence, and an ICMP error tied back to its probe")
    func probeTap() async throws {
        let network = try await TestNetwork.make(targetRules: ["tcp dport 7001 drop", "tcp dport 7003 reject with icmp type admin-prohibited"])
        defer { network.removeNow() }
        let listeners = try network.startInTarget(Paths.python, [Paths.peer("listeners.py"), "7000"])
        defer { listeners.kill() }
        _ = try await listeners.waitForLine(containing: "ready", inStdout: true)
        let outcome = try await network.runInClient(Paths.sockscope, ["probe", "--tap", "--timeout", "0.3", network.targetAddress, "7000-7003"])
        let lines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("tap 7") }.map(String.init)
        #expect(lines.count == 4, "\(outcome.stderr)")
        #expect(lines.first { $0.hasPrefix("tap 7000/tcp") }?.contains("[S] → [S.]") == true, "\(lines)")
        #expect(lines.first { $0.hasPrefix("tap 7001/tcp") } == "tap 7001/tcp   [S] [S]  (no answer)", "\(lines)")
        #expect(lines.first { $0.hasPrefix("tap 7002/tcp") }?.contains("[S] → [R.]") == true, "\(lines)")
        #expect(lines.first { $0.hasPrefix("tap 7003/tcp") }?.contains("[S] → ICMP admin prohibited") == true, "\(lines)")
    }

    @Test("--follow-timewait counts the TIME-WAIT timer down from the kernel's table")
    func followTimeWait() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let client = try BackgroundProcess(Paths.sh, ["-c", "echo x | exec \(Paths.sockscope) connect --tap --follow-timewait 127.0.0.1 \(port)"])
        defer { client.kill() }
        let deadline = ContinuousClock.now + .seconds(10)
        var countdown: [String] = []
        while countdown.count < 2 && ContinuousClock.now < deadline {
            countdown = client.stderrText.split(separator: "\n").filter { $0.contains("TIME-WAIT,") && $0.hasSuffix("s left") }.map(String.init)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(countdown.count >= 2, "\(client.stderrText)")
        let seconds = countdown.compactMap { line in Double(line.split(separator: ", ").last?.split(separator: " ").first ?? "") }
        #expect(seconds.count >= 2 && seconds[1] < seconds[0] && seconds[0] <= 60, "\(countdown)")
    }

    @Test("a bad filter is a usage error naming libpcap's complaint")
    func badFilter() async throws {
        let outcome = try await sockscope("tap", "--count", "1", "tcp port nonsense!")
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.stderr.contains("bad capture filter"))
    }

    @Test("without CAP_NET_RAW: the error names the capability and the fix, exit 77; connect without --tap needs nothing")
    func missingPrivilege() async throws {
        let outcome = try await run(Paths.capsh, ["--drop=cap_net_raw", "--", "-c", "exec \(Paths.sockscope) tap --count 1"])
        #expect(outcome.status == 77, "\(outcome)")
        #expect(outcome.stderr.contains("CAP_NET_RAW") && outcome.stderr.contains("setcap cap_net_raw"))
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let plain = try await run(Paths.capsh, ["--drop=cap_net_raw", "--", "-c", "echo ok | exec \(Paths.sockscope) connect 127.0.0.1 \(port)"])
        #expect(plain.status == 0 && plain.stdoutText == "OK\n", "\(plain)")
    }

    @Test("sockets --state time-wait agrees with ss -tan state time-wait (in a namespace of its own)")
    func socketsAgreesWithSS() async throws {
        let network = try await TestNetwork.make(targetRules: [])
        defer { network.removeNow() }
        // Three connections the client closes first: three TIME-WAIT sockets.
        let script = """
            import socket
            server = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen(8)
            for _ in range(3):
                client = socket.create_connection(server.getsockname())
                conn, _ = server.accept()
                client.close(); conn.recv(1); conn.close()
            """
        let setup = try await run(Paths.ip, ["netns", "exec", network.target, Paths.python, "-c", script])
        #expect(setup.status == 0, "\(setup)")
        let ours = try await run(Paths.ip, ["netns", "exec", network.target, Paths.sockscope, "sockets", "--json", "--state", "time-wait"])
        let theirs = try await run(Paths.ip, ["netns", "exec", network.target, Paths.ss, "-Htan", "state", "time-wait"])
        let ourPairs = Set(
            ours.stdoutText.split(separator: "\n").map { line -> String in
                func field(_ name: String) -> String {
                    let rest = line.split(separator: "\"\(name)\":").dropFirst().first ?? ""
                    return String(rest.drop(while: { $0 == "\"" }).prefix(while: { $0 != "\"" && $0 != "," }))
                }
                return field("local_address") + ":" + field("local_port") + " " + field("peer_address") + ":" + field("peer_port")
            })
        let theirPairs = Set(
            theirs.stdoutText.split(separator: "\n").map { line -> String in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                return fields.suffix(2).joined(separator: " ")
            })
        #expect(ourPairs.count == 3, "\(ours)")
        #expect(ourPairs == theirPairs, "ours \(ourPairs), ss \(theirPairs)")
        #expect(ours.stdoutText.contains("\"timer\":\"timewait\""))
    }
}

extension Substring {
    func trimmingLeadingSpaces() -> String { String(drop(while: { $0 == " " })) }
}
