import Testing

/// `sockscope demo`: the whole life of a connection, checked against the kernel.
@Suite("demo")
struct DemoTests {
    @Test("walks socket → … → close and ends with the client in TIME-WAIT, which ss confirms")
    func lifeOfAConnection() async throws {
        let outcome = try await sockscope("demo", "--json")
        #expect(outcome.status == 0, "\(outcome)")
        let lines = outcome.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.count >= 15)
        let calls = ["socket(AF_INET, SOCK_STREAM)", "bind(", "listen(", "connect(", "accept(", "send(", "recv(", "shutdown(", "close("]
        for call in calls {
            #expect(lines.contains { $0.contains("\"call\":\"\(call)") }, "no step calls \(call)")
        }
        let handshake = try #require(lines.first { $0.contains("\"call\":\"connect(") })
        #expect(handshake.contains("\"client_state\":\"established\""))
        #expect(handshake.contains("\"server_state\":\"established\""))
        let halfClose = try #require(lines.first { $0.contains("\"call\":\"shutdown(") })
        #expect(halfClose.contains("\"client_state\":\"fin-wait-2\""))
        #expect(halfClose.contains("\"server_state\":\"close-wait\""))
        let last = try #require(lines.last)
        #expect(last.contains("\"client_state\":\"time-wait\""))
        let left = last.split(separator: "\"time_wait_left_ms\":").dropFirst().first.flatMap { Double($0.prefix { $0.isNumber || $0 == "." }) }
        #expect(left.map { (40_000...60_000).contains($0) } == true, "TIME-WAIT timer (ms left of 60 s): \(last)")

        // The kernel's own tool agrees: the 4-tuple is in TIME-WAIT.
        let bind = try #require(lines.first { $0.contains("getsockname says 127.0.0.1:") })
        let port = String(bind.split(separator: "getsockname says 127.0.0.1:")[1].prefix(while: \.isNumber))
        let ss = try await run(Paths.ss, ["-Htan", "state", "time-wait", "( dport = :\(port) )"])
        #expect(ss.stdoutText.contains("127.0.0.1:\(port)"), "ss: \(ss)")
    }

    @Test("human output names each step and the final TIME-WAIT")
    func humanOutput() async throws {
        let outcome = try await sockscope("demo")
        #expect(outcome.status == 0)
        #expect(outcome.stdoutText.contains("listener LISTEN"))
        #expect(outcome.stdoutText.contains("The client closed first, so its side of the connection stays in TIME-WAIT"))
        #expect(!outcome.stdoutText.contains("\u{1B}["), "no colour when stdout is not a terminal")
    }

    @Test("IPv6: the same life on ::1")
    func ipv6() async throws {
        let outcome = try await sockscope("demo", "-6", "--json")
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText.contains("socket(AF_INET6, SOCK_STREAM)"))
        #expect(outcome.stdoutText.split(separator: "\n").last?.contains("\"client_state\":\"time-wait\"") == true)
    }

    @Test(
        "as root, each step shows its packets: connect → SYN, SYN/ACK, ACK; shutdown → FIN",
        .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
    func packets() async throws {
        let outcome = try await sockscope("demo", "--json")
        #expect(outcome.status == 0, "\(outcome)")
        let connect = try #require(outcome.stdoutText.split(separator: "\n").first { $0.contains("\"call\":\"connect(") })
        #expect(connect.contains("\"packets\":[\"client → server [S] seq 0  client: SYN-SENT\",\"server → client [S.] seq 0 ack 1"), "\(connect)")
        let shutdown = try #require(outcome.stdoutText.split(separator: "\n").first { $0.contains("\"call\":\"shutdown(") })
        #expect(shutdown.contains("client → server [F.]"), "\(shutdown)")

        let directory = try TemporaryDirectory.make()
        let saved = try await sockscope("demo", "--pcap-out", directory + "/demo.pcap")
        #expect(saved.status == 0)
        let tcpdump = try await run(Paths.tcpdump, ["-n", "-r", directory + "/demo.pcap"])
        let flags = tcpdump.stdoutText.split(separator: "\n").compactMap { $0.split(separator: "Flags [").dropFirst().first?.prefix(while: { $0 != "]" }) }
        #expect(Array(flags.prefix(3)) == ["S", "S.", "."], "tcpdump read: \(tcpdump.stdoutText)")
        #expect(flags.contains("F."))
    }

    @Test(
        "without CAP_NET_RAW the demo still runs, and says why it shows no packets",
        .enabled(if: Paths.isRoot, "skipped: needs root to drop the capability with capsh"))
    func withoutCapture() async throws {
        let outcome = try await run(Paths.capsh, ["--drop=cap_net_raw", "--", "-c", "exec \(Paths.sockscope) demo --json"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stderr.contains("demo without packets: capturing needs CAP_NET_RAW"))
        #expect(outcome.stdoutText.split(separator: "\n").last?.contains("\"client_state\":\"time-wait\"") == true)
    }
}
