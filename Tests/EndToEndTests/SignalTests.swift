import Glibc
import Testing

/// SIGINT/SIGTERM and RST mid-transfer: what arrived is written out, the exit status says why.
@Suite("Signals and resets")
struct SignalTests {
    /// The pid of the process whose command line contains `marker` (a unique port).
    static func pid(_ marker: String) async throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let found = try await run("/usr/bin/pgrep", ["-f", "-n", marker]).stdoutText.split(separator: "\n").first.flatMap { Int32($0) }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TimedOut(what: "no process matching \(marker)")
    }

    @Test("SIGINT during a transfer: everything received is on stdout, exit 130")
    func interruptTransfer() async throws {
        let server = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, time
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
                print(s.getsockname()[1], flush=True)
                c, _ = s.accept(); c.sendall(b'x' * 100000); time.sleep(30)
                """,
            ])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let client = try BackgroundProcess(Paths.sh, ["-c", "sleep 5 | exec \(Paths.sockscope) connect 127.0.0.1 \(port)"])
        defer { client.kill() }
        let deadline = ContinuousClock.now + .seconds(10)
        while client.stdoutText.count < 100_000 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        kill(try await Self.pid("connect 127.0.0.1 \(port)"), SIGINT)
        #expect(try await client.finish() == 130, "\(client.stderrText)")
        #expect(client.stdoutText.count == 100_000)
        #expect(client.stderrText.contains("stopped by SIGINT"))
    }

    @Test("SIGTERM on recv --raw: the datagrams it held are written out, exit 143")
    func terminateReceiver() async throws {
        let receiver = try BackgroundProcess(Paths.sockscope, ["recv", "--raw", "127.0.0.1", "0"])
        defer { receiver.kill() }
        let port = try await receiver.announcedPort(marker: "receiving on")
        for word in ["one", "two", "three"] { _ = try await sockscope("send", "127.0.0.1", "\(port)", word) }
        try await Task.sleep(for: .milliseconds(200))
        kill(try await Self.pid("recv --raw 127.0.0.1 0"), SIGTERM)
        #expect(try await receiver.finish() == 143)
        #expect(receiver.stdoutText == "onetwothree")
    }

    @Test(
        "a tap stopped by SIGINT mid-capture leaves a pcap file tcpdump reads",
        .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
    func interruptedCapture() async throws {
        let directory = try TemporaryDirectory.make()
        let port = try freePort()
        let tap = try BackgroundProcess(Paths.sockscope, ["tap", "--pcap-out", directory + "/cut.pcap", "tcp port \(port)"])
        defer { tap.kill() }
        _ = try await tap.waitForLine(containing: "capturing on")
        _ = try await sockscope("connect", "127.0.0.1", "\(port)")  // refused: SYN, RST
        try await Task.sleep(for: .milliseconds(200))
        kill(try await Self.pid("tap --pcap-out \(directory)"), SIGINT)
        #expect(try await tap.finish() == 130, "SIGINT ends tap like every command: summary and pcap written, exit 130")
        let tcpdump = try await run(Paths.tcpdump, ["-n", "-r", directory + "/cut.pcap"])
        #expect(tcpdump.status == 0, "\(tcpdump.stderr)")
        #expect(tcpdump.stdoutText.split(separator: "\n").count == 2, "\(tcpdump.stdoutText)")
    }

    @Test("the peer sends RST mid-transfer: clear error, exit 74, every byte before the RST written out")
    func resetMidTransfer() async throws {
        let server = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, struct, time
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
                print(s.getsockname()[1], flush=True)
                c, _ = s.accept(); c.sendall(b'y' * 50000); time.sleep(0.5)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()
                """,
            ])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await run(Paths.sh, ["-c", "sleep 3 | exec \(Paths.sockscope) connect 127.0.0.1 \(port)"])
        #expect(outcome.status == 74, "\(outcome)")
        #expect(outcome.stdout.count == 50_000)
        #expect(outcome.stderr.contains("ECONNRESET"))
    }
}
