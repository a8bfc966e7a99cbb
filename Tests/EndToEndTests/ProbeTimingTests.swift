import Foundation
import Glibc
import Testing

/// `probe --count`: connect() timed again and again, as tcping and hping3 -S do, with
/// ping's statistics — against Python listeners, closed ports, and a namespace whose
/// nftables rules drop every SYN or every other one.
@Suite("probe --count")
struct ProbeTimingTests {
    /// The statistics line: "N probes, A answered (O open, C closed), L% loss".
    static func statisticsLine(_ text: String) -> String? {
        text.split(separator: "\n").first { $0.contains(" answered (") }.map(String.init)
    }

    @Test("an open port: a line per connect, spaced by --interval, then min/avg/max/mdev; a closed one: ECONNREFUSED each time and exit 1; JSON records")
    func openAndClosed() async throws {
        let port = try freePort()
        let listener = try BackgroundProcess(Paths.python, [Paths.peer("listeners.py"), "--host", "127.0.0.1", "\(port)"])
        defer { listener.kill() }
        _ = try await listener.waitForLine(containing: "ready", inStdout: true)
        let started = ContinuousClock.now
        let open = try await sockscope("probe", "-c", "3", "-i", "0.2", "127.0.0.1", "\(port)")
        let took = ContinuousClock.now - started
        #expect(open.status == 0, "\(open)")
        let lines = open.stdoutText.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("probe 127.0.0.1:\(port): seq ") && $0.contains(": open in ") }.count == 3, "\(open.stdoutText)")
        #expect(Self.statisticsLine(open.stdoutText) == "3 probes, 3 answered (3 open, 0 closed), 0% loss", "\(open.stdoutText)")
        #expect(open.stdoutText.contains("connect min/avg/max/mdev = "), "\(open.stdoutText)")
        #expect(took >= .milliseconds(400), "three starts 0.2 s apart took \(took)")

        let closedPort = try freePort()
        let closed = try await sockscope("probe", "-c", "2", "-i", "0.1", "127.0.0.1", "\(closedPort)")
        #expect(closed.status == 1, "\(closed)")
        #expect(closed.stdoutText.components(separatedBy: ": closed (ECONNREFUSED) in ").count == 3, "\(closed.stdoutText)")
        #expect(Self.statisticsLine(closed.stdoutText) == "2 probes, 2 answered (0 open, 2 closed), 0% loss", "\(closed.stdoutText)")

        let json = try await sockscope("probe", "--json", "-c", "2", "-i", "0.1", "127.0.0.1", "\(port)")
        let records = try json.stdoutText.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(records.map { $0["type"] as? String } == ["probe_attempt", "probe_attempt", "probe_statistics"], "\(json)")
        #expect(records.first?["state"] as? String == "open" && (records.first?["rtt_ms"] as? Double).map { $0 > 0 } == true, "\(json)")
        #expect(records.last?["answered"] as? Int == 2 && records.last?["loss_percent"] as? Double == 0, "\(json)")
    }

    @Test("--count 0 runs until Ctrl-C, then prints the statistics and exits 130")
    func untilInterrupted() async throws {
        let port = try freePort()
        let listener = try BackgroundProcess(Paths.python, [Paths.peer("listeners.py"), "--host", "127.0.0.1", "\(port)"])
        defer { listener.kill() }
        _ = try await listener.waitForLine(containing: "ready", inStdout: true)
        let probe = try BackgroundProcess(Paths.sockscope, ["probe", "-c", "0", "-i", "0.1", "127.0.0.1", "\(port)"])
        defer { probe.kill() }
        _ = try await probe.waitForLine(containing: "seq 2: open", inStdout: true)
        kill(probe.pid, SIGINT)
        let status = try await probe.finish(timeout: .seconds(5))
        #expect(status == 130, "\(probe.stderrText)")
        let statistics = try #require(Self.statisticsLine(probe.stdoutText), "\(probe.stdoutText)")
        #expect(statistics.hasSuffix("0 closed), 0% loss") && !statistics.hasPrefix("0 probes"), "\(statistics)")
    }

    @Test("--count --tls times handshakes with openssl s_server: TLSv1.3 each time, handshake min/avg/max/mdev; a plaintext listener is \"not TLS\" (exit 1)")
    func tlsHandshakes() async throws {
        let certs = try await TLSTests.certificates()
        let port = try freePort()
        let server = try await TLSTests.opensslServer(certs, "leaf", port: port)
        defer { server.kill() }
        let timed = try await sockscope("probe", "--tls", "-c", "3", "-i", "0.2", "127.0.0.1", "\(port)")
        #expect(timed.status == 0, "\(timed)")
        #expect(timed.stdoutText.components(separatedBy: ": TLSv1.3 handshake in ").count == 4, "\(timed.stdoutText)")
        #expect(Self.statisticsLine(timed.stdoutText) == "3 probes, 3 answered (3 TLS handshakes, 0 without), 0% loss", "\(timed.stdoutText)")
        #expect(timed.stdoutText.contains("handshake min/avg/max/mdev = "), "\(timed.stdoutText)")
        let json = try await sockscope("probe", "--tls", "--json", "-c", "1", "127.0.0.1", "\(port)")
        #expect(json.stdoutText.contains(#""tls_version":"TLSv1.3","error":null"#), "\(json)")

        let plainPort = try freePort()
        let plain = try BackgroundProcess(Paths.python, [Paths.peer("listeners.py"), "--host", "127.0.0.1", "\(plainPort)"])
        defer { plain.kill() }
        _ = try await plain.waitForLine(containing: "ready", inStdout: true)
        let notTLS = try await sockscope("probe", "--tls", "-c", "1", "--timeout", "0.3", "127.0.0.1", "\(plainPort)")
        #expect(notTLS.status == 1 && notTLS.stdoutText.contains("seq 1: open, not TLS: "), "\(notTLS)")
        try await expectFailure(["probe", "--tls", "--insecure", "-c", "1", "127.0.0.1", "\(port)"], "never enforces it")
    }

    @Test("usage: --count with scan options, two ports or two targets, a negative count, --interval alone")
    func usage() async throws {
        try await expectFailure(["probe", "--count=-1", "127.0.0.1", "80"], "--count takes 0")
        try await expectFailure(["probe", "-i", "0.5", "127.0.0.1", "80"], "--interval spaces the connects of --count")
        try await expectFailure(["probe", "-c", "3", "-u", "127.0.0.1", "53"], "-u is for scans")
        try await expectFailure(["probe", "-c", "3", "--tap", "127.0.0.1", "53"], "--tap is for scans")
        try await expectFailure(["probe", "-c", "3", "--all", "127.0.0.1", "80"], "--all is for scans")
        try await expectFailure(["probe", "-c", "3", "127.0.0.1", "80,81"], "--count times one port, not 2")
        try await expectFailure(["probe", "-c", "3", "127.0.0.1,127.0.0.2", "80"], "--count times one target, not 2")
    }

    @Test(
        "through nftables: every SYN dropped is filtered (100% loss, exit 1); every other SYN dropped is 50% loss, exactly",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces and nftables"))
    func loss() async throws {
        let network = try await TestNetwork.make(targetRules: [
            "tcp dport 7001 drop",
            "tcp dport 7010 tcp flags & (syn | ack) == syn numgen inc mod 2 == 0 drop",
        ])
        defer { network.removeNow() }
        let listeners = try network.startInTarget(Paths.python, [Paths.peer("listeners.py"), "7000", "7010"])
        defer { listeners.kill() }
        _ = try await listeners.waitForLine(containing: "ready", inStdout: true)

        let dropped = try await network.runInClient(Paths.sockscope, ["probe", "-c", "2", "-i", "0.1", "--timeout", "0.3", network.targetAddress, "7001"])
        #expect(dropped.status == 1, "\(dropped)")
        #expect(dropped.stdoutText.components(separatedBy: ": filtered (ETIMEDOUT: no answer in 0.3 s)").count == 3, "\(dropped.stdoutText)")
        #expect(Self.statisticsLine(dropped.stdoutText) == "2 probes, 0 answered (0 open, 0 closed), 100% loss", "\(dropped.stdoutText)")

        // -i is kept while a port is silent, as ping keeps it: 5 attempts 0.2 s apart, each
        // waiting 1 s on its own, end after about 1.8 s — one after another they took 5 s.
        let started = ContinuousClock.now
        let spaced = try await network.runInClient(Paths.sockscope, ["probe", "-c", "5", "-i", "0.2", "--timeout", "1", network.targetAddress, "7001"])
        let took = ContinuousClock.now - started
        #expect(spaced.status == 1 && spaced.stdoutText.components(separatedBy: ": filtered").count == 6, "\(spaced)")
        #expect(took < .seconds(4), "the attempts overlap: \(took)")

        let lossy = try await network.runInClient(
            Paths.sockscope, ["probe", "--json", "-c", "6", "-i", "0.05", "--timeout", "0.3", network.targetAddress, "7010"])
        #expect(lossy.status == 0, "\(lossy)")
        let last = try #require(lossy.stdoutText.split(separator: "\n").last, "\(lossy)")
        let statistics = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(statistics["sent"] as? Int == 6 && statistics["open"] as? Int == 3 && statistics["loss_percent"] as? Double == 50, "\(statistics)")
    }
}

extension ProbeTimingTests {
    @Test(
        "behind a 10 ms each-way link (delay_link.py) with every other SYN dropped (nftables): the times are the 20 ms round trip and the loss is 50%",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces, a TUN link and nftables"))
    func delayedLink() async throws {
        let link = try await DelayedLink.make("sp", subnet: "10.212.0", "10")
        defer { link.close() }
        let (a, b) = (link.a, link.b)
        let rules = """
            table inet probe_loss {
              chain input {
                type filter hook input priority 0;
                tcp dport 7020 tcp flags & (syn | ack) == syn numgen inc mod 2 == 0 drop
              }
            }

            """
        let nft = try await run(Paths.ip, ["netns", "exec", b, Paths.nft, "-f", "-"], input: Array(rules.utf8))
        try #require(nft.status == 0, "\(nft)")
        let listeners = try BackgroundProcess(Paths.ip, ["netns", "exec", b, Paths.python, Paths.peer("listeners.py"), "7020"])
        defer { listeners.kill() }
        _ = try await listeners.waitForLine(containing: "ready", inStdout: true)

        let outcome = try await run(
            Paths.ip, ["netns", "exec", a, Paths.sockscope, "probe", "--json", "-c", "8", "-i", "0.1", "--timeout", "0.5", "10.212.0.2", "7020"],
            timeout: .seconds(30))
        let last = try #require(outcome.stdoutText.split(separator: "\n").last, "\(outcome)")
        let statistics = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(statistics["sent"] as? Int == 8 && statistics["open"] as? Int == 4 && statistics["loss_percent"] as? Double == 50, "\(statistics)")
        let minimum = statistics["rtt_min_ms"] as? Double ?? 0
        let average = statistics["rtt_avg_ms"] as? Double ?? 0
        #expect(minimum >= 19.5 && average < 35, "a 20 ms round trip: \(statistics)")
    }
}
