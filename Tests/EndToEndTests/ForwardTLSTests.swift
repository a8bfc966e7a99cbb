import Testing

/// `forward --tls` (terminate) and `--target-tls` (originate) between Python's ssl module
/// on either side (Tests/Peers/forward_peer.py tls-target and tls-client) and plain peers.
@Suite("forward TLS legs")
struct ForwardTLSTests {
    static func start(_ target: [String], _ options: [String]) async throws -> (target: BackgroundProcess, forward: BackgroundProcess, port: UInt16) {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("forward_peer.py")] + target)
        let targetPort = try await server.announcedPort(marker: "", inStdout: true)
        let forward = try BackgroundProcess(Paths.sockscope, ["forward"] + options + ["127.0.0.1", "0", "127.0.0.1", "\(targetPort)"])
        return (server, forward, options.contains("--json") ? try await ForwardTests.jsonPort(forward) : try await forward.announcedPort())
    }

    /// forward's options to serve with the leaf certificate of `certificates`.
    static func leaf(_ certificates: String) -> [String] {
        ["--cert", certificates + "/leaf.pem", "--key", certificates + "/leaf.key"]
    }

    /// forward --tls (the leaf certificate) to a plain target.
    static func terminating() async throws -> (certificates: String, forward: BackgroundProcess, port: UInt16, target: BackgroundProcess) {
        let certificates = try await TLSTests.certificates()
        let (plain, forward, port) = try await start(["target"], ["--tls"] + leaf(certificates))
        return (certificates, forward, port, plain)
    }

    @Test("--target-tls: plain clients reach a TLS target (verified with --target-ca-file); --hexdump shows the clear text; -v the handshake")
    func originate() async throws {
        let certificates = try await TLSTests.certificates()
        let (target, forward, port) = try await Self.start(
            ["tls-target", certificates + "/leaf.pem", certificates + "/leaf.key"],
            ["-v", "--target-tls", "--target-ca-file", certificates + "/ca.pem"])
        defer {
            target.kill()
            forward.kill()
        }
        let many = try await run(Paths.python, [Paths.peer("forward_peer.py"), "client", "127.0.0.1", "\(port)", "\(1 << 20)", "10"], timeout: .seconds(60))
        #expect(many.stdoutText == "ok 10\n", "\(many)\n\(forward.stderrText.suffix(1500))")
        let log = forward.stderrText
        #expect(log.contains("TLS with the target 127.0.0.1:") && log.contains("TLSv1.3"), "\(log.suffix(3000))")

        let (target2, dumping, dumpingPort) = try await Self.start(
            ["tls-target", certificates + "/leaf.pem", certificates + "/leaf.key"],
            ["--hexdump", "--target-tls", "--target-ca-file", certificates + "/ca.pem"])
        defer {
            target2.kill()
            dumping.kill()
        }
        let ping = try await sockscope("connect", "127.0.0.1", "\(dumpingPort)", input: Array("ping".utf8))
        #expect(ping.stdoutText == "pingbye", "\(ping)")
        _ = try await dumping.waitForLine(containing: "62 79 65")
        #expect(dumping.stderrText.contains("70 69 6e 67"), "the clear text passes through --hexdump: \(dumping.stderrText.suffix(3000))")
    }

    @Test("--tls terminates: TLS clients (Python ssl, verifying the CA) reach a plain target; both legs TLS at once")
    func terminateAndBoth() async throws {
        let (certificates, forward, port, plain) = try await Self.terminating()
        defer {
            plain.kill()
            forward.kill()
        }
        let leaf = Self.leaf(certificates)
        let clients = [Paths.peer("forward_peer.py"), "tls-client", certificates + "/ca.pem", "127.0.0.1"]
        let terminated = try await run(Paths.python, clients + ["\(port)", "\(1 << 20)", "10"], timeout: .seconds(60))
        #expect(terminated.stdoutText == "ok 10\n", "\(terminated)\n\(forward.stderrText.suffix(1500))")

        let (secure, both, bothPort) = try await Self.start(
            ["tls-target", certificates + "/leaf.pem", certificates + "/leaf.key"],
            ["--tls"] + leaf + ["--target-tls", "--target-ca-file", certificates + "/ca.pem"])
        defer {
            secure.kill()
            both.kill()
        }
        let outcome = try await run(Paths.python, clients + ["\(bothPort)", "\(1 << 20)", "5"], timeout: .seconds(60))
        #expect(outcome.stdoutText == "ok 5\n", "\(outcome)\n\(both.stderrText.suffix(1500))")
    }

    @Test("--tls relays each TLS client on the forwarder's own loop: with 20 TLS clients open at once it runs one thread, as with none")
    func noThreadPerClient() async throws {
        let (certificates, forward, port, plain) = try await Self.terminating()
        defer {
            plain.kill()
            forward.kill()
        }
        let held = try await run(
            Paths.python, [Paths.peer("forward_peer.py"), "tls-hold", certificates + "/ca.pem", "127.0.0.1", "\(port)", "20", "\(forward.pid)"],
            timeout: .seconds(60))
        #expect(held.stdoutText == "threads 1 connections 20\n", "\(held)\n\(forward.stderrText.suffix(1500))")
    }

    @Test("--target-tls against a certificate the CA did not sign: the client is reset, the failure named (X509), JSON tls record")
    func failedVerification() async throws {
        let certificates = try await TLSTests.certificates()
        let (target, forward, port) = try await Self.start(
            ["tls-target", certificates + "/self.pem", certificates + "/self.key"],
            ["--json", "--target-tls", "--target-ca-file", certificates + "/ca.pem"])
        defer {
            target.kill()
            forward.kill()
        }
        let reset = try await sockscope("connect", "-w", "2", "127.0.0.1", "\(port)", input: Array("x".utf8))
        #expect(reset.stdoutText.isEmpty && reset.status != 0, "\(reset)")
        let failed = try await forward.waitForLine(containing: "forward_failed")
        #expect(failed.contains("X509_V_ERR") || failed.contains("certificate"), "\(failed)")
        #expect(forward.stderrText.contains(#""type":"tls""#), "\(forward.stderrText)")
    }

    @Test("usage: TLS options for UDP, target options without --target-tls")
    func usage() async throws {
        try await expectFailure(["forward", "-u", "--target-tls", "8080", "127.0.0.1", "80"], "-u forwards datagrams")
        try await expectFailure(["forward", "--target-sni", "x", "8080", "127.0.0.1", "80"], "give it too")
    }
}
