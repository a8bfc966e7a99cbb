import Testing

/// `probe` against ground truth the tests build: listeners, nftables rules and
/// routes in network namespaces, and `ss` as the kernel's own witness.
@Suite("probe")
struct ProbeTests {
    /// One line of `probe --json`, reduced to what the tests compare.
    struct Row: Equatable, CustomStringConvertible {
        var port: Int
        var state: String
        var code: Int
        var errno: String?
        var description: String { "\(port) \(state) \(code) \(errno ?? "-")" }
    }

    static func rows(_ outcome: Outcome) -> [Int: Row] {
        var rows: [Int: Row] = [:]
        for line in outcome.stdoutText.split(separator: "\n") {
            func field(_ name: String) -> String? {
                guard let range = line.firstRange(of: "\"\(name)\":") else { return nil }
                let rest = line[range.upperBound...]
                if rest.hasPrefix("null") { return nil }
                if rest.hasPrefix("\"") { return String(rest.dropFirst().prefix(while: { $0 != "\"" })) }
                return String(rest.prefix(while: { $0 != "," && $0 != "}" }))
            }
            guard let port = field("peer_port").flatMap({ Int($0) }), let state = field("state"), let code = field("code").flatMap({ Int($0) }) else {
                continue
            }
            rows[port] = Row(port: port, state: state, code: code, errno: field("errno"))
        }
        return rows
    }

    @Test(
        "every state and code equals the ground truth built in namespaces",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces and nftables"))
    func groundTruth() async throws {
        let network = try await TestNetwork.make(targetRules: [
            "tcp dport 7001 drop",
            "tcp dport 7002 reject with icmp type port-unreachable",
            "tcp dport 7003 reject with icmp type admin-prohibited",
            "tcp dport 7004 reject with tcp reset",
        ])
        defer { network.removeNow() }
        let listeners = try network.startInTarget(Paths.python, [Paths.peer("listeners.py"), "7000", "7010"])
        defer { listeners.kill() }
        _ = try await listeners.waitForLine(containing: "ready", inStdout: true)

        let outcome = try await network.runInClient(Paths.sockscope, ["probe", "--json", "--timeout", "0.5", network.targetAddress, "7000-7005,7010"])
        #expect(outcome.status == 0, "an open port was found: \(outcome)")
        let rows = Self.rows(outcome)
        let expected: [Row] = [
            Row(port: 7000, state: "open", code: 0, errno: nil),
            Row(port: 7001, state: "filtered", code: 110, errno: "ETIMEDOUT"),
            Row(port: 7002, state: "closed", code: 111, errno: "ECONNREFUSED"),
            Row(port: 7003, state: "unreachable", code: 113, errno: "EHOSTUNREACH"),
            Row(port: 7004, state: "closed", code: 111, errno: "ECONNREFUSED"),
            Row(port: 7005, state: "closed", code: 111, errno: "ECONNREFUSED"),
            Row(port: 7010, state: "open", code: 0, errno: nil),
        ]
        for row in expected {
            #expect(rows[row.port] == row, "port \(row.port): got \(rows[row.port].map(\.description) ?? "nothing")")
        }
        #expect(rows.count == expected.count)
    }

    @Test(
        "routes say no: a prohibit route gives EACCES, no route ENETUNREACH (both unreachable)",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces"))
    func routes() async throws {
        let network = try await TestNetwork.make(targetRules: [])
        defer { network.removeNow() }
        try await network.addClientRoute(["prohibit", "10.203.0.0/24"])
        let outcome = try await network.runInClient(Paths.sockscope, ["probe", "--json", "10.203.0.1,10.204.0.1", "80"])
        #expect(outcome.status == 1, "nothing is open: \(outcome)")
        let lines = outcome.stdoutText.split(separator: "\n").filter { $0.hasPrefix("{\"type\":\"port\"") }
        #expect(lines.count == 2)
        #expect(outcome.stdoutText.components(separatedBy: #""type":"probe_host""#).count == 3, "a probe_host record per target: \(outcome.stdoutText)")
        #expect(lines.first?.contains("\"state\":\"unreachable\",\"code\":13,\"errno\":\"EACCES\"") == true, "\(outcome.stdoutText)")
        #expect(lines.last?.contains("\"state\":\"unreachable\",\"code\":101,\"errno\":\"ENETUNREACH\"") == true, "\(outcome.stdoutText)")
        #expect(lines.last?.contains("\"reason\":\"net-unreach\"") == true)
    }

    @Test(
        "a full 1-65535 scan of loopback finds exactly the listeners ss lists",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace of its own (so other tests' listeners do not interfere)"))
    func fullScanMatchesSS() async throws {
        let network = try await TestNetwork.make(targetRules: [])
        defer { network.removeNow() }
        let listeners = try network.startInTarget(Paths.python, [Paths.peer("listeners.py"), "--host", "127.0.0.1", "1", "80", "8080", "65535"])
        defer { listeners.kill() }
        _ = try await listeners.waitForLine(containing: "ready", inStdout: true)
        let scan = try await run(Paths.ip, ["netns", "exec", network.target, Paths.sockscope, "probe", "--json", "127.0.0.1", "-"], timeout: .seconds(60))
        #expect(scan.status == 0, "\(scan.stderr)")
        let rows = Self.rows(scan)
        #expect(rows.count == 65535)
        let open = Set(rows.values.filter { $0.state == "open" }.map(\.port))
        let ss = try await run(Paths.ip, ["netns", "exec", network.target, Paths.ss, "-Hltn"])
        let listening = Set(
            ss.stdoutText.split(separator: "\n").compactMap { line -> Int? in
                let local = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first ?? ""
                return Int(local.split(separator: ":").last ?? "")
            })
        #expect(open == listening, "probe: \(open.sorted()), ss: \(listening.sorted())")
        #expect(open == [1, 80, 8080, 65535])
        let order = scan.stdoutText.split(separator: "\n").compactMap { line in
            line.split(separator: "\"peer_port\":").dropFirst().first.flatMap { Int($0.prefix(while: \.isNumber)) }
        }
        #expect(order == Array(1...65535), "results in port order, whatever order the probes finished in")
        #expect(rows.values.allSatisfy { $0.state == "open" || ($0.state == "closed" && $0.errno == "ECONNREFUSED") })
    }

    @Test("UDP: a reply means open, ICMP port-unreachable closed (ECONNREFUSED)")
    func udp() async throws {
        let echo = try BackgroundProcess(Paths.python, [Paths.peer("udp_peer.py"), "echo-server"])
        defer { echo.kill() }
        let openPort = try await echo.announcedPort(marker: "", inStdout: true)
        let closedPort = try freePort()
        let outcome = try await sockscope("probe", "-u", "--json", "--payload", "hi", "127.0.0.1", "\(openPort),\(closedPort)")
        #expect(outcome.status == 0, "\(outcome)")
        let rows = Self.rows(outcome)
        #expect(rows[Int(openPort)] == Row(port: Int(openPort), state: "open", code: 0, errno: nil))
        #expect(rows[Int(closedPort)] == Row(port: Int(closedPort), state: "closed", code: 111, errno: "ECONNREFUSED"))
    }

    @Test("UDP silence: a bound socket that never answers is open|filtered, reported as ETIMEDOUT after the retries")
    func udpSilence() async throws {
        let silent = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, time
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
                print(s.getsockname()[1], flush=True); time.sleep(30)
                """,
            ])
        defer { silent.kill() }
        let port = try await silent.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("probe", "-u", "--json", "--timeout", "0.2", "--retries", "2", "127.0.0.1", "\(port)")
        #expect(outcome.status == 0, "open|filtered is no ICMP error: exit 0, as nc -zu and ncat -zu (the state stays open|filtered): \(outcome)")
        #expect(outcome.stdoutText.contains("\"state\":\"open|filtered\",\"code\":110,\"errno\":\"ETIMEDOUT\""), "\(outcome.stdoutText)")
        #expect(outcome.stdoutText.contains("\"attempts\":3"))
    }

    @Test("--rate spaces the probes out: 40 probes at 100/s take at least 0.35 s (ports below the ephemeral range)")
    func rateLimit() async throws {
        let started = ContinuousClock.now
        let outcome = try await sockscope("probe", "--rate", "100", "127.0.0.1", "20001-20040")
        #expect(outcome.status == 1)
        #expect(started.duration(to: .now) >= .milliseconds(350))
        #expect(outcome.stdoutText.contains("40 ports on 127.0.0.1"))
    }

    @Test("a low descriptor limit shrinks the probes in flight instead of failing")
    func lowFileLimit() async throws {
        // Below the ephemeral range (32768+), where the other tests' servers listen:
        // probing one of them would disturb it.
        let outcome = try await run("/usr/bin/prlimit", ["--nofile=96:96", Paths.sockscope, "probe", "--json", "127.0.0.1", "10001-13000"])
        #expect(outcome.status == 1, "\(outcome.stderr)")
        #expect(outcome.stdoutText.split(separator: "\n").count == 3000)
        #expect(!outcome.stdoutText.contains("EMFILE"))
    }

    @Test("table output, exit 1 when nothing is open, --quiet prints nothing")
    func tableAndExitCodes() async throws {
        let listener = try BackgroundProcess(Paths.python, [Paths.peer("listeners.py"), "--host", "127.0.0.1", "0"])
        defer { listener.kill() }
        let closed = try freePort()
        let none = try await sockscope("probe", "127.0.0.1", "\(closed)")
        #expect(none.status == 1)
        #expect(none.stdoutText.contains("1 port on 127.0.0.1 in"))
        #expect(none.stdoutText.contains("0 open, 1 closed"))
        #expect(none.stdoutText.contains("\(closed)/tcp"), "a small scan lists every port")
        #expect(none.stdoutText.contains("ECONNREFUSED"))

        let quiet = try await sockscope("probe", "--quiet", "127.0.0.1", "\(closed)")
        #expect(quiet.status == 1)
        #expect(quiet.stdout.isEmpty && quiet.stderr.isEmpty)
    }

    @Test("--graceful closes with FIN and counts what it left; the default (RST) leaves no TIME-WAIT")
    func graceful() async throws {
        // A server that closes only after our FIN, so the probe is the side that closes
        // first and keeps the TIME-WAIT.
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "eof"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        // TIME-WAITs an earlier test left towards this port number (ports are reused) are not the probe's.
        let earlier = Set(try await run(Paths.ss, ["-Htan", "state", "time-wait", "( dport = :\(port) )"]).stdoutText.split(separator: "\n"))
        let gentle = try await sockscope("probe", "--graceful", "127.0.0.1", "\(port)")
        #expect(gentle.status == 0, "\(gentle)")
        #expect(gentle.stdoutText.contains("--graceful: 1 socket left closing"), "\(gentle.stdoutText)")
        var timeWaits: [Substring] = []
        for _ in 0..<50 {
            timeWaits = try await run(Paths.ss, ["-Htan", "state", "time-wait", "( dport = :\(port) )"]).stdoutText.split(separator: "\n")
                .filter { !earlier.contains($0) }
            if !timeWaits.isEmpty { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(timeWaits.count == 1, "the graceful probe's TIME-WAIT: \(timeWaits)")

        let holder = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "eof"])
        defer { holder.kill() }
        let abruptPort = try await holder.announcedPort(marker: "", inStdout: true)
        // A TIME-WAIT an earlier test left towards this port number (ports are reused) is not the probe's.
        let before = Set(try await run(Paths.ss, ["-Htan", "( dport = :\(abruptPort) )"]).stdoutText.split(separator: "\n"))
        let abrupt = try await sockscope("probe", "--json", "127.0.0.1", "\(abruptPort)")
        #expect(abrupt.stdoutText.contains("\"state\":\"open\""))
        // The peer's view: its recv() failed with ECONNRESET — the probe closed with RST.
        #expect(try await holder.finish() != 0)
        #expect(holder.stderrText.contains("ConnectionResetError"), "\(holder.stderrText)")
        // Only the probe's side (dport = the server's port): another test's connection
        // may use the same number as its own ephemeral source port.
        let left = try await run(Paths.ss, ["-Htan", "( dport = :\(abruptPort) )"]).stdoutText.split(separator: "\n").filter { !before.contains($0) }
        #expect(!left.contains { $0.contains("TIME-WAIT") || $0.contains("FIN-WAIT") }, "an RST close leaves nothing: \(left)")
    }

    @Test(
        "bad input → exit 64 with the reason",
        arguments: [
            (["probe", "127.0.0.1", "0"], "1 to 65535"),
            (["probe", "127.0.0.1", "70000"], "1 to 65535"),
            (["probe", "127.0.0.1", "25-20"], "runs backwards"),
            (["probe", "127.0.0.1", "22,,80"], "empty item"),
            (["probe", "10.0.0.0/33", "80"], "prefix length is 0 to 32"),
            (["probe", "fd00::/64", "80"], "a scan takes blocks of at most 2^48"),
            (["probe", "127.0.0.9-127.0.0.1", "80"], "runs backwards"),
            (["probe", "127.0.0.1-::1", "80"], "both ends must be of one family"),
            (["probe", "-iL", "/nonexistent-list", "80"], "cannot read /nonexistent-list: ENOENT"),
            (["probe", "-iL", "/dev/null", "80"], "/dev/null lists no target"),
            (["probe", "-iL", "/dev/null", "127.0.0.1", "80"], "give only the ports"),
            (["probe", "127.0.0.1"], "give the ports after the targets"),
            (["probe", "127.0.0.0/30", "80", "--exclude", "127.0.0.0/29"], "every target is excluded"),
            (["probe", "127.0.0.1", "80", "--shard", "2/3"], "--shard 2/3 needs --seed N"),
            (["probe", "127.0.0.1", "80", "--shard", "4/3", "--seed", "1"], "--shard"),
            (["probe", "127.0.0.1", "80", "--shard", "0/3", "--seed", "1"], "--shard"),
            (["probe", "-c", "2", "127.0.0.1", "80", "--seed", "1"], "--seed is for scans"),
            (["probe", "--retries", "99", "127.0.0.1", "80"], "--retries"),
            (["probe", "--payload", "x", "127.0.0.1", "80"], "--payload and --payload-hex are for UDP"),
        ])
    func badInput(arguments: [String], message: String) async throws {
        try await expectFailure(arguments, message)
    }
}
