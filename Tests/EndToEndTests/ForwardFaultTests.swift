import Foundation
import Testing

/// forward's faults, each measured from a Python client through the forwarder to the
/// Python echo target (Tests/Peers/forward_peer.py).
@Suite("forward faults")
struct ForwardFaultTests {
    /// What `forward_peer.py probe` saw.
    struct Probe: Decodable {
        let received: Int
        let end: String
        let sizes: [Int]
        let elapsedMilliseconds: Double

        enum CodingKeys: String, CodingKey {
            case received, end, sizes
            case elapsedMilliseconds = "elapsed_ms"
        }
    }

    static func probe(_ port: UInt16, send size: Int, wait: Double) async throws -> Probe {
        let outcome = try await run(
            Paths.python, [Paths.peer("forward_peer.py"), "probe", "127.0.0.1", "\(port)", "\(size)", "\(wait)"], timeout: .seconds(60))
        #expect(outcome.status == 0, "\(outcome)")
        return try JSONDecoder().decode(Probe.self, from: Data(outcome.stdoutText.utf8))
    }

    static func roundTrip(_ port: UInt16, rounds: Int = 21) async throws -> Double {
        let outcome = try await run(Paths.python, [Paths.peer("forward_peer.py"), "rtt", "127.0.0.1", "\(port)", "\(rounds)"], timeout: .seconds(60))
        return try #require(Double(outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(outcome)")
    }

    @Test("--delay 50 adds 50 ms ± 10% each way (the median of 21 round trips is 100 ms ± 10); --downstream only one way; -v says the plan")
    func delay() async throws {
        let (target, forward, port) = try await ForwardTests.start(["-v", "--delay", "50"])
        defer {
            target.kill()
            forward.kill()
        }
        let both = try await Self.roundTrip(port)
        #expect(both >= 90 && both <= 110, "median round trip \(both) ms through --delay 50 both ways")
        #expect(forward.stderrText.contains("faults client→target: delay 50 ms"), "\(forward.stderrText)")
        #expect(forward.stderrText.contains("faults target→client: delay 50 ms"), "\(forward.stderrText)")

        let (target2, oneWay, port2) = try await ForwardTests.start(["--downstream", "--delay", "50"])
        defer {
            target2.kill()
            oneWay.kill()
        }
        let single = try await Self.roundTrip(port2)
        #expect(single >= 45 && single <= 55, "median round trip \(single) ms through --downstream --delay 50")
    }

    @Test("--jitter spreads the delay (round trips differ) while the bytes keep their order")
    func jitter() async throws {
        let (target, forward, port) = try await ForwardTests.start(["--upstream", "--delay", "40", "--jitter", "30"])
        defer {
            target.kill()
            forward.kill()
        }
        // forward_peer.py client checks every byte comes back in order (SHA-256).
        let outcome = try await run(Paths.python, [Paths.peer("forward_peer.py"), "client", "127.0.0.1", "\(port)", "\(1 << 20)"], timeout: .seconds(60))
        #expect(outcome.stdoutText == "ok 1\n", "\(outcome)")
        let rtt = try await Self.roundTrip(port, rounds: 15)
        #expect(rtt >= 10 && rtt <= 70, "median \(rtt) ms within 40 ± 30")
    }

    @Test("--rate 200K passes 400 KiB in 2 s ± 10%")
    func rate() async throws {
        let (target, forward, port) = try await ForwardTests.start(["--upstream", "--rate", "200K"])
        defer {
            target.kill()
            forward.kill()
        }
        let probe = try await Self.probe(port, send: 400 << 10, wait: 3)
        #expect(probe.received == 400 << 10)
        // From the first byte back to the last: 400 KiB less the 50 ms burst at 200 KiB/s.
        #expect(probe.elapsedMilliseconds >= 1755 && probe.elapsedMilliseconds <= 2145, "\(probe.elapsedMilliseconds) ms")
    }

    @Test("--slice 10 --slice-gap 20: 100 bytes reach the peer's recv() as ten reads of 10")
    func slices() async throws {
        let (target, forward, port) = try await ForwardTests.start(["--downstream", "--slice", "10", "--slice-gap", "20"])
        defer {
            target.kill()
            forward.kill()
        }
        let probe = try await Self.probe(port, send: 100, wait: 1)
        #expect(probe.sizes == Array(repeating: 10, count: 10), "\(probe.sizes)")
        #expect(probe.elapsedMilliseconds >= 150, "ten slices 20 ms apart: \(probe.elapsedMilliseconds) ms")
    }

    @Test("--close-after, --reset-after, --stall-after act after the exact byte count (JSON forward_fault)")
    func limits() async throws {
        for (option, end) in [("--close-after", "eof"), ("--reset-after", "reset"), ("--stall-after", "silence")] {
            let (target, forward, port) = try await ForwardTests.start(["--json", "--downstream", option, "300"])
            defer {
                target.kill()
                forward.kill()
            }
            let probe = try await Self.probe(port, send: 1000, wait: 1)
            #expect(probe.received == 300 && probe.end == end, "\(option): \(probe)")
            let fault = option.dropFirst(2).prefix { $0 != "-" }
            let record = try await forward.waitForLine(containing: "\"type\":\"forward_fault\"")
            #expect(
                record.contains(#""direction":"target_to_client","fault":"\#(fault)","bytes_after":300"#), "\(option): \(record)")
        }
    }

    @Test("--refuse 100% resets every client; --refuse 50% about half of 100 (never none or all)")
    func refuse() async throws {
        let (target, forward, port) = try await ForwardTests.start(["-v", "--refuse", "100%"])
        defer {
            target.kill()
            forward.kill()
        }
        let reset = try await sockscope("connect", "-w", "2", "127.0.0.1", "\(port)", input: Array("x".utf8))
        #expect(reset.stderr.contains("ECONNRESET"), "\(reset)")
        _ = try await forward.waitForLine(containing: "reset at once (--refuse)")

        let (target2, half, port2) = try await ForwardTests.start(["--json", "--refuse", "0.5"])
        defer {
            target2.kill()
            half.kill()
        }
        let script = """
            import socket
            ok = 0
            for _ in range(100):
                try:
                    with socket.create_connection(('127.0.0.1', \(port2)), timeout=10) as s:
                        s.sendall(b'x'); s.shutdown(socket.SHUT_WR)
                        ok += s.recv(10).startswith(b'x')
                except (ConnectionResetError, BrokenPipeError, OSError):
                    pass  # refused: the reset may come before connect() returns, or before shutdown()
            print(ok)
            """
        let outcome = try await run(Paths.python, ["-c", script], timeout: .seconds(60))
        let forwarded = try #require(Int(outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(outcome)\n\(outcome.stderr)")
        #expect(forwarded >= 20 && forwarded <= 80, "\(forwarded) of 100 forwarded with --refuse 0.5")
        let refusedRecords = half.stderrText.components(separatedBy: "\"type\":\"forward_refused\"").count - 1
        #expect(refusedRecords == 100 - forwarded, "\(refusedRecords) forward_refused records")
    }

    @Test("usage: fault options that contradict or name nothing")
    func usage() async throws {
        let base = ["forward", "8080", "127.0.0.1", "80"]
        try await expectFailure(
            ["forward", "--reset-after", "5", "--stall-after", "9"] + base.dropFirst(), "--reset-after and --stall-after each end a direction")
        try await expectFailure(["forward", "--jitter", "5"] + base.dropFirst(), "--jitter varies --delay")
        try await expectFailure(["forward", "--delay", "5", "--jitter", "9"] + base.dropFirst(), "--jitter cannot exceed --delay")
        try await expectFailure(["forward", "--slice-gap", "5"] + base.dropFirst(), "--slice-gap is the pause between slices")
        try await expectFailure(["forward", "--upstream", "--downstream", "--delay", "5"] + base.dropFirst(), "--upstream and --downstream together")
        try await expectFailure(["forward", "--upstream", "--refuse", "0.5"] + base.dropFirst(), "--upstream picks the direction")
        try await expectFailure(["forward", "--refuse", "1.5"] + base.dropFirst(), "--refuse")
        try await expectFailure(["forward", "--rate", "0"] + base.dropFirst(), "--rate")
    }
}
