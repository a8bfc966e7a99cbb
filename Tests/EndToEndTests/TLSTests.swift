import Testing

/// `--tls` on connect and listen, against real TLS peers: openssl s_server and
/// s_client, Python's ssl module, ncat --ssl and socat OPENSSL, with certificates the
/// tests make (Tests/Peers/make_certs.sh: a CA, a leaf, an expired leaf, a wrong-host
/// leaf, a self-signed leaf, a client certificate).
@Suite("TLS", .serialized)
struct TLSTests {
    /// A directory with the test certificates.
    static func certificates() async throws -> String {
        let directory = try TemporaryDirectory.make()
        let made = try await run(Paths.sh, [Paths.peer("make_certs.sh"), directory])
        try #require(made.status == 0, "make_certs.sh: \(made)")
        return directory
    }

    /// `openssl s_server` with `certificate` in -rev mode (each line comes back reversed), ready.
    static func opensslServer(_ directory: String, _ certificate: String, port: UInt16, _ extra: [String] = []) async throws -> BackgroundProcess {
        let server = try BackgroundProcess(
            Paths.openssl,
            ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", "\(directory)/\(certificate).pem", "-key", "\(directory)/\(certificate).key", "-rev"] + extra)
        _ = try await server.waitForLine(containing: "ACCEPT", inStdout: true)
        return server
    }

    @Test("connect --tls verifies the server (TLS 1.2 and 1.3) and relays both ways", arguments: ["1.2", "1.3"])
    func connectVerified(version: String) async throws {
        let certs = try await Self.certificates()
        let port = try freePort()
        let server = try await Self.opensslServer(certs, "leaf", port: port, ["-tls\(version == "1.2" ? "1_2" : "1_3")"])
        defer { server.kill() }
        let outcome = try await sockscope(
            "connect", "--json", "--tls", "--ca-file", "\(certs)/ca.pem", "-i", "1", "127.0.0.1", "\(port)", input: Array("hello tls\n".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "slt olleh\n", "\(outcome)")
        let record = outcome.stderr.split(separator: "\n").first { $0.contains("\"type\":\"tls\"") }.map(String.init) ?? ""
        for field in [
            "\"version\":\"TLSv\(version)\"", "\"established\":true", "\"verify_result\":\"X509_V_OK\"", "\"verify_name\":\"127.0.0.1\"",
            "\"subject\":\"CN=localhost\"", "\"issuer\":\"CN=sockscope test CA\"", "\"key_type\":\"EC\"", "\"key_bits\":256",
            "\"signature_algorithm\":\"ecdsa-with-SHA256\"", "\"alt_names\":[\"DNS:localhost\",\"IP Address:127.0.0.1\"",
        ] {
            #expect(record.contains(field), "\(field) in \(record)")
        }
        // The leaf's fingerprint is what openssl computes.
        let fingerprint = try await run(Paths.openssl, ["x509", "-in", "\(certs)/leaf.pem", "-noout", "-fingerprint", "-sha256"])
        let expected = fingerprint.stdoutText.split(separator: "=").last.map { $0.filter { $0 != "\n" } } ?? "?"
        #expect(record.contains("\"sha256\":\"\(expected)\""), "\(expected) in \(record)")
    }

    @Test(
        "each verification failure is named, explained, and exits 79",
        arguments: [
            ("expired", ["--ca-file"], "X509_V_ERR_CERT_HAS_EXPIRED", "the server's certificate expired"),
            ("wronghost", ["--ca-file"], "X509_V_ERR_IP_ADDRESS_MISMATCH", "the certificate covers other.example, not 127.0.0.1"),
            ("leaf", [], "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "give it with --ca-file FILE"),
            ("self", [], "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT", "the server's certificate signs itself"),
        ])
    func verificationFailures(certificate: String, trust: [String], name: String, explanation: String) async throws {
        let certs = try await Self.certificates()
        let port = try freePort()
        let server = try await Self.opensslServer(certs, certificate, port: port)
        defer { server.kill() }
        let arguments = ["connect", "--tls"] + trust.map { _ in "--ca-file" }.flatMap { [$0, "\(certs)/ca.pem"] } + ["127.0.0.1", "\(port)"]
        let outcome = try await run(Paths.sockscope, arguments, input: Array("x\n".utf8))
        #expect(outcome.status == 79, "\(outcome)")
        #expect(outcome.stderr.contains(name), "\(outcome.stderr)")
        // "expired N days ago" depends on today's date: the expired case checks the date part.
        let checked = certificate == "expired" ? "days ago, on 2026-11-18 00:00:00 UTC" : explanation
        #expect(outcome.stderr.contains(checked), "\(checked) in \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty, "no data before verification")
        // --insecure connects anyway, and still reports the result, as not enforced.
        let insecure = try await run(
            Paths.sockscope, ["connect", "--json", "--tls", "--insecure", "-i", "1"] + Array(arguments.dropFirst(2)), input: Array("ab\n".utf8))
        #expect(insecure.status == 0 && insecure.stdoutText == "ba\n", "\(insecure)")
        #expect(insecure.stderr.contains("\"verify_result\":\"\(name)\"") && insecure.stderr.contains("\"verify_enforced\":false"), "\(insecure.stderr)")
    }

    @Test("--tls-max 1.2 against a TLS 1.3-only server: the alert protocol_version by name, exit 76")
    func versionMismatch() async throws {
        let certs = try await Self.certificates()
        let port = try freePort()
        let server = try await Self.opensslServer(certs, "leaf", port: port, ["-tls1_3"])
        defer { server.kill() }
        let outcome = try await sockscope("connect", "--tls", "--ca-file", "\(certs)/ca.pem", "--tls-max", "1.2", "127.0.0.1", "\(port)")
        #expect(outcome.status == 76, "\(outcome)")
        #expect(outcome.stderr.contains("protocol_version"), "\(outcome.stderr)")
    }

    @Test("listen --tls without a certificate makes one and prints its fingerprint; Python, ncat --ssl and socat connect")
    func ephemeralServer() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "--tls", "-k", "--upper", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let line = try await server.waitForLine(containing: "SHA-256 fingerprint")
        let printed = String(line.split(separator: " ").last ?? "")
        let python = try await run(Paths.python, [Paths.peer("tls_client.py"), "127.0.0.1", "\(port)", "from python"])
        #expect(python.status == 0 && python.stdoutText == "FROM PYTHON", "\(python)")
        #expect(python.stderr.contains(printed), "the fingerprint printed, \(printed), is the one served: \(python.stderr)")
        let ncat = try await run(Paths.sh, ["-c", "(echo from ncat; sleep 2) | \(Paths.ncat) --ssl 127.0.0.1 \(port)"])
        #expect(ncat.stdoutText == "FROM NCAT\n", "\(ncat)")
        let socat = try await run(Paths.sh, ["-c", "(echo from socat; sleep 2) | \(Paths.socat) - OPENSSL:127.0.0.1:\(port),verify=0"])
        #expect(socat.stdoutText == "FROM SOCAT\n", "\(socat)")

        // connect pins the printed fingerprint (curl's --pinnedpubkey idea, over the
        // certificate): trusted without a CA; as openssl x509 -fingerprint -sha256 prints it.
        let served = try await run(
            Paths.sh,
            ["-c", "\(Paths.openssl) s_client -connect 127.0.0.1:\(port) < /dev/null 2>/dev/null | \(Paths.openssl) x509 -noout -fingerprint -sha256"])
        #expect(served.stdoutText.contains("=\(printed)"), "openssl: \(served.stdoutText), printed \(printed)")
        let lowercase = printed.filter { $0 != ":" }.lowercased()
        for pin in [printed, lowercase] {
            let pinned = try await sockscope("connect", "--tls", "--pin-sha256", pin, "127.0.0.1", "\(port)", input: Array("pinned".utf8))
            #expect(pinned.status == 0 && pinned.stdoutText == "PINNED" && !pinned.stderr.contains("not verified"), "\(pin): \(pinned)")
        }
        let other = String(repeating: "ab", count: 32)
        let mismatch = try await sockscope("connect", "--tls", "--pin-sha256", other, "127.0.0.1", "\(port)", input: Array("x".utf8))
        #expect(mismatch.status == 79 && mismatch.stderr.contains("the certificate is not the pinned one") && mismatch.stderr.contains(printed), "\(mismatch)")
        let unpinned = try await sockscope("connect", "--tls", "127.0.0.1", "\(port)", input: Array("x".utf8))
        #expect(unpinned.status == 79 && unpinned.stderr.contains("--pin-sha256 \(printed)"), "the hint names the pin: \(unpinned)")
        try await expectFailure(["connect", "--tls", "--pin-sha256", "abc", "127.0.0.1", "\(port)"], "64 hex digits")
        try await expectFailure(["connect", "--tls", "--insecure", "--pin-sha256", lowercase, "127.0.0.1", "\(port)"], "drop --insecure")
        try await expectFailure(["connect", "--pin-sha256", lowercase, "127.0.0.1", "\(port)"], "--pin-sha256 is for TLS: add --tls")
    }

    @Test("listen --tls -k relays every TLS client on its own loop: with 20 TLS clients open (each echoed) it runs one thread")
    func keepOpenWithoutThreads() async throws {
        let certs = try await Self.certificates()
        let server = try BackgroundProcess(
            Paths.sockscope, ["listen", "--tls", "-k", "--echo", "--cert", "\(certs)/leaf.pem", "--key", "\(certs)/leaf.key", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let held = try await run(
            Paths.python, [Paths.peer("forward_peer.py"), "tls-hold", "\(certs)/ca.pem", "127.0.0.1", "\(port)", "20", "\(server.pid)"],
            timeout: .seconds(60))
        #expect(held.stdoutText == "threads 1 connections 20\n", "\(held)\n\(server.stderrText.suffix(1500))")
    }

    @Test("listen --tls --broker and --chat: a 50,000-byte line from one TLS client reaches the two others whole", arguments: ["--broker", "--chat"])
    func brokerOverTLS(mode: String) async throws {
        let certs = try await Self.certificates()
        let server = try BackgroundProcess(
            Paths.sockscope, ["listen", "--tls", mode, "--cert", "\(certs)/leaf.pem", "--key", "\(certs)/leaf.key", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let outcome = try await run(
            Paths.python, [Paths.peer("forward_peer.py"), "tls-broker", "\(certs)/ca.pem", "127.0.0.1", "\(port)", "3"], timeout: .seconds(60))
        let line = mode == "--broker" ? "got 50004 xxxxxxxxxxxxxxxxxxxx" : "got 50012 <user1> xxxxxxxxxxxx"
        #expect(outcome.stdoutText == "\(line)\n\(line)\n", "\(outcome)\n\(server.stderrText.suffix(1500))")
    }

    @Test("mutual TLS: a client certificate from the CA is accepted; none is refused with certificate_required")
    func mutualTLS() async throws {
        let certs = try await Self.certificates()
        let server = try BackgroundProcess(
            Paths.sockscope,
            [
                "listen", "--tls", "-k", "--upper", "--cert", "\(certs)/leaf.pem", "--key", "\(certs)/leaf.key", "--require-client-cert", "--ca-file",
                "\(certs)/ca.pem", "127.0.0.1", "0",
            ])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let accepted = try await sockscope(
            "connect", "--tls", "--ca-file", "\(certs)/ca.pem", "--client-cert", "\(certs)/client.pem", "--client-key", "\(certs)/client.key", "-i", "2",
            "127.0.0.1", "\(port)", input: Array("mutual\n".utf8))
        #expect(accepted.status == 0 && accepted.stdoutText == "MUTUAL\n", "\(accepted)")
        let python = try await run(
            Paths.python,
            [
                Paths.peer("tls_client.py"), "127.0.0.1", "\(port)", "py", "--ca", "\(certs)/ca.pem", "--cert", "\(certs)/client.pem", "--key",
                "\(certs)/client.key",
            ])
        #expect(python.stdoutText == "PY", "\(python)")
        let refused = try await sockscope("connect", "--tls", "--ca-file", "\(certs)/ca.pem", "127.0.0.1", "\(port)", input: Array("no cert\n".utf8))
        #expect(refused.status == 76, "\(refused)")
        #expect(refused.stderr.contains("certificate_required"), "\(refused.stderr)")
        _ = try await server.waitForLine(containing: "certificate_required")
    }

    @Test("listen --tls --cert with openssl s_client; --exec serves a TLS client through the bridge")
    func certificateServerAndExec() async throws {
        let certs = try await Self.certificates()
        let server = try BackgroundProcess(
            Paths.sockscope,
            ["listen", "--tls", "-k", "--sh-exec", "head -n 1 | tr a-z A-Z", "--cert", "\(certs)/leaf.pem", "--key", "\(certs)/leaf.key", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let client = try await run(
            Paths.sh,
            ["-c", "(echo via s_client; sleep 2) | \(Paths.openssl) s_client -connect 127.0.0.1:\(port) -CAfile \(certs)/ca.pem -verify_return_error -quiet"])
        #expect(client.stdoutText.contains("VIA S_CLIENT"), "\(client)")
        let ours = try await sockscope("connect", "--tls", "--ca-file", "\(certs)/ca.pem", "127.0.0.1", "\(port)", input: Array("via connect\n".utf8))
        #expect(ours.status == 0 && ours.stdoutText == "VIA CONNECT\n", "\(ours)")
    }

    @Test("16 MiB of random bytes intact both ways through listen --tls --echo and connect --tls")
    func largeTransfer() async throws {
        let certs = try await Self.certificates()
        let directory = try TemporaryDirectory.make()
        let input = try randomFile(megabytes: 16, in: directory)
        let server = try BackgroundProcess(
            Paths.sockscope, ["listen", "--tls", "--echo", "--cert", "\(certs)/leaf.pem", "--key", "\(certs)/leaf.key", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let output = directory + "/echoed"
        let client = try BackgroundProcess(
            Paths.sockscope, ["connect", "--tls", "--ca-file", "\(certs)/ca.pem", "127.0.0.1", "\(port)"], stdinPath: input, stdoutPath: output)
        #expect(try await client.finish(timeout: .seconds(60)) == 0, "\(client.stderrText)")
        #expect(try await sha256(output) == (try await sha256(input)))
    }

    /// Tests/Peers/tls_server.py with the test leaf, started; its port.
    static func pythonServer(_ certs: String, _ options: [String] = []) async throws -> (BackgroundProcess, UInt16) {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tls_server.py"), "\(certs)/leaf.pem", "\(certs)/leaf.key"] + options)
        return (server, try await server.announcedPort(marker: "", inStdout: true))
    }

    @Test("a reader that starts late gets every byte, then close_notify: records that waited for room in the socket are sent before the end")
    func slowReaderGetsEverything() async throws {
        let certs = try await Self.certificates()
        let directory = try TemporaryDirectory.make()
        let input = try randomFile(megabytes: 12, in: directory)
        let (server, port) = try await Self.pythonServer(certs, ["--delay", "0.5", "--pace", "1"])
        defer { server.kill() }
        let client = try BackgroundProcess(
            Paths.sockscope, ["connect", "--tls", "--send-only", "--ca-file", "\(certs)/ca.pem", "127.0.0.1", "\(port)"], stdinPath: input)
        defer { client.kill() }
        #expect(try await server.finish(timeout: .seconds(60)) == 0, "\(server.stderrText)")
        let lines = server.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.contains("bytes \(12 << 20)"), "\(lines)")
        #expect(lines.contains("sha256 \(try await sha256(input).prefix(64))"), "\(lines)")
        #expect(lines.contains("close_notify yes"), "\(lines)")
        #expect(try await client.finish(timeout: .seconds(20)) == 0, "\(client.stderrText)")
    }

    @Test("--sni sends and verifies the name given; --alpn offers protocols and the JSON record shows the one chosen")
    func sniAndALPN() async throws {
        let certs = try await Self.certificates()
        let (server, port) = try await Self.pythonServer(certs, ["--alpn", "http/1.1"])
        defer { server.kill() }
        let outcome = try await sockscope(
            "connect", "--json", "--tls", "--sni", "localhost", "--alpn", "h2,http/1.1", "--ca-file", "\(certs)/ca.pem", "127.0.0.1", "\(port)",
            input: Array("x".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(try await server.finish(timeout: .seconds(20)) == 0, "\(server.stderrText)")
        let lines = server.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.contains("sni localhost") && lines.contains("alpn http/1.1"), "\(lines)")
        let record = outcome.stderr.split(separator: "\n").first { $0.contains("\"type\":\"tls\"") }.map(String.init) ?? ""
        for field in ["\"alpn\":\"http/1.1\"", "\"server_name\":\"localhost\"", "\"verify_name\":\"localhost\"", "\"verify_result\":\"X509_V_OK\""] {
            #expect(record.contains(field), "\(field) in \(record)")
        }
        // The name given is the name checked: one the certificate does not cover fails.
        let (other, otherPort) = try await Self.pythonServer(certs)
        defer { other.kill() }
        let wrong = try await sockscope("connect", "--tls", "--sni", "other.example", "--ca-file", "\(certs)/ca.pem", "127.0.0.1", "\(otherPort)")
        #expect(wrong.status == 79 && wrong.stderr.contains("X509_V_ERR_HOSTNAME_MISMATCH"), "\(wrong)")
    }

    @Test("probe --tls: one line per open port — the handshake's facts, an expired certificate, an HTTP answer, silence, an early close")
    func probeMix() async throws {
        let certs = try await Self.certificates()
        let (named, namedPort) = try await Self.pythonServer(certs, ["--alpn", "http/1.1"])
        defer { named.kill() }
        let expiredPort = try freePort()
        let expired = try await Self.opensslServer(certs, "expired", port: expiredPort)
        defer { expired.kill() }
        let http = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                "import http.server\ns = http.server.HTTPServer(('127.0.0.1', 0), http.server.SimpleHTTPRequestHandler)\nprint(s.server_port, flush=True)\ns.serve_forever()",
            ])
        defer { http.kill() }
        let httpPort = try await http.announcedPort(marker: "", inStdout: true)
        let silent = try BackgroundProcess(
            Paths.python,
            ["-c", "import socket, time\ns = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(4)\nprint(s.getsockname()[1], flush=True)\ntime.sleep(30)"])
        defer { silent.kill() }
        let silentPort = try await silent.announcedPort(marker: "", inStdout: true)
        let closing = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "127.0.0.1", "0"])  // empty stdin: FIN at once
        defer { closing.kill() }
        let closingPort = try await closing.announcedPort()
        let closedPort = try freePort()
        let ports = [namedPort, expiredPort, httpPort, silentPort, closingPort, closedPort].map(String.init).joined(separator: ",")
        let outcome = try await sockscope(
            "probe", "--tls", "--sni", "localhost", "--alpn", "h2,http/1.1", "--ca-file", "\(certs)/ca.pem", "--timeout", "1", "127.0.0.1", ports)
        #expect(outcome.status == 0, "\(outcome)")
        let lines = outcome.stdoutText.split(separator: "\n").map(String.init)
        func tlsLine(_ port: UInt16) -> String { lines.last { $0.hasPrefix("\(port)/tcp") } ?? "" }
        let good = tlsLine(namedPort)
        for part in ["TLSv1.3", "http/1.1", "localhost", "sockscope test CA", "in ", "ok"] { #expect(good.contains(part), "\(part) in \(good)") }
        #expect(tlsLine(expiredPort).contains("X509_V_ERR_CERT_HAS_EXPIRED") && tlsLine(expiredPort).contains("days ago"), "\(lines)")
        #expect(tlsLine(httpPort).contains("not TLS: an HTTP answer"), "\(lines)")
        #expect(tlsLine(silentPort).contains("not TLS: no TLS reply within 1 s"), "\(lines)")
        #expect(tlsLine(closingPort).contains("not TLS: closed the connection without a TLS reply"), "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("\(closedPort)/tcp") && !$0.contains("closed") }, "a closed port has no TLS line: \(lines)")
        // The server saw the name given (SNI) and the protocol chosen (ALPN).
        #expect(try await named.finish(timeout: .seconds(20)) == 0, "\(named.stderrText)")
        #expect(named.stdoutText.contains("sni localhost\nalpn http/1.1"), "\(named.stdoutText)")
        // JSON: a tls record per open port, after the port records.
        let (again, againPort) = try await Self.pythonServer(certs)
        defer { again.kill() }
        let json = try await sockscope("probe", "--json", "--tls", "--ca-file", "\(certs)/ca.pem", "127.0.0.1", "\(againPort),\(httpPort)")
        let records = json.stdoutText.split(separator: "\n").filter { $0.contains("\"type\":\"tls\"") }
        #expect(records.count == 2, "\(json)")
        #expect(
            records.contains {
                $0.contains("\"peer_port\":\(againPort)") && $0.contains("\"verify_result\":\"X509_V_OK\"") && $0.contains("\"speaks_tls\":true")
            },
            "\(records)")
        #expect(records.contains { $0.contains("\"peer_port\":\(httpPort)") && $0.contains("\"speaks_tls\":false") }, "\(records)")
    }

    @Test("a TLS listener with -k survives a client that leaves before its hello (a port scan's connect and RST) and serves the next")
    func listenerSurvivesScan() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--tls", "-k", "--upper", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let scan = try await sockscope("probe", "127.0.0.1", "\(port)")
        #expect(scan.status == 0, "\(scan)")
        let outcome = try await sockscope("connect", "--tls", "--insecure", "-i", "1", "127.0.0.1", "\(port)", input: Array("still here\n".utf8))
        #expect(outcome.stdoutText == "STILL HERE\n", "\(outcome)\n\(listener.stderrText)")
    }

    @Test(
        "the tap shows each TLS record next to the TCP timeline, as tshark decodes the same capture (TLS 1.2 and 1.3, and a plaintext alert)",
        .enabled(if: Paths.isRoot, "skipped: the tap needs CAP_NET_RAW"), arguments: ["1.2", "1.3", "alert"])
    func tapShowsRecords(version: String) async throws {
        let certs = try await Self.certificates()
        let directory = try TemporaryDirectory.make()
        let port = try freePort()
        let serverVersion = version == "1.2" ? ["-tls1_2"] : ["-tls1_3"]
        let server = try await Self.opensslServer(certs, "leaf", port: port, serverVersion + ["-alpn", "http/1.1"])
        defer { server.kill() }
        let clientVersion = version == "alert" ? ["--tls-max", "1.2"] : []
        let outcome = try await run(
            Paths.sockscope,
            [
                "connect", "--tls", "--tap", "--pcap-out", "\(directory)/tls.pcap", "--sni", "localhost", "--alpn", "h2,http/1.1", "--ca-file",
                "\(certs)/ca.pem", "-i", "1",
            ]
                + clientVersion + ["127.0.0.1", "\(port)"], input: Array("ping\n".utf8))
        #expect(outcome.status == (version == "alert" ? 76 : 0), "\(outcome)")
        let ours = outcome.stderr.split(separator: "\n").map { $0.trimmingPrefixSpaces() }.filter { $0.hasPrefix("TLS ") }.map(String.init)
        // tshark, told the port is TLS, on the capture the tap wrote.
        let pcap = "\(directory)/tls.pcap"
        let fields = try await run(
            Paths.tshark, ["-r", pcap, "-d", "tcp.port==\(port),tls", "-T", "fields", "-e", "tls.record.content_type", "-e", "tls.record.opaque_type"])
        let types = fields.stdoutText.split(whereSeparator: { $0 == "\n" || $0 == "\t" || $0 == "," }).compactMap { Int($0) }
        func count(_ type: Int) -> Int { types.filter { $0 == type }.count }
        #expect(ours.filter { $0.hasPrefix("TLS ChangeCipherSpec") }.count == count(20), "\(ours) vs \(types)")
        #expect(ours.filter { $0.hasPrefix("TLS Alert") }.count == count(21), "\(ours) vs \(types)")
        #expect(ours.filter { $0.hasPrefix("TLS Application Data") }.count == count(23), "\(ours) vs \(types)")
        #expect(ours.count == types.count, "every record tshark saw, and no other: \(ours) vs \(types)")
        let hello = try await run(
            Paths.tshark,
            [
                "-r", pcap, "-d", "tcp.port==\(port),tls", "-Y", "tls.handshake.type == 1", "-T", "fields", "-e", "tls.handshake.extensions_server_name", "-e",
                "tls.handshake.extensions_alpn_str",
            ])
        let helloFields = hello.stdoutText.split(separator: "\n").first?.split(separator: "\t").map(String.init) ?? []
        #expect(helloFields == ["localhost", "h2,http/1.1"], "\(hello)")
        // With --tls-max 1.2 there is no supported_versions extension: no versions listed.
        // TLS 1.2 is the lowest offered unless --tls-min says otherwise (1.0 and 1.1 were, once).
        let offered = version == "alert" ? "" : ", versions TLSv1.3,TLSv1.2"
        let clientHello = ours.first ?? ""
        #expect(clientHello.hasPrefix("TLS ClientHello: SNI localhost, "), "\(ours)")
        #expect(clientHello.hasSuffix(" cipher suites, ALPN h2,http/1.1" + offered), "\(ours)")
        let verbose = try await run(Paths.tshark, ["-r", pcap, "-d", "tcp.port==\(port),tls", "-V"]).stdoutText
        if version == "alert" {
            #expect(verbose.contains("Description: Protocol Version (70)"), "tshark sees the alert")
            #expect(ours.contains("TLS Alert (fatal): protocol_version"), "\(ours)")
            return
        }
        // The suite the server chose, by the name tshark gives it.
        let serverHello = ours.first { $0.hasPrefix("TLS ServerHello: TLSv\(version), ") } ?? ""
        let suite = serverHello.split(separator: ",").dropFirst().first.map { String($0.trimmingPrefixSpaces().prefix { $0 != ";" }) } ?? "?"
        #expect(verbose.contains("Cipher Suite: \(suite) ("), "\(serverHello)")
        if version == "1.2" {
            #expect(verbose.contains("Handshake Type: Certificate (11)") && ours.contains { $0.contains("Certificate: 1 certificate (") }, "\(ours)")
        }
    }

    @Test("demo --tls: the TLS handshake, encrypted data and close_notify on one connection, its records among the packets, TIME-WAIT at the end")
    func demoTLS() async throws {
        let outcome = try await sockscope("demo", "--tls", "--json")
        #expect(outcome.status == 0, "\(outcome)")
        let steps = outcome.stdoutText.split(separator: "\n").map(String.init)
        #expect(steps.contains { $0.contains("SSL_do_handshake(fd") && $0.contains("TLSv1.3") }, "\(steps)")
        #expect(steps.contains { $0.contains("SSL_read(fd") && $0.contains("HELLO, SOCKETS") }, "\(steps)")
        #expect(steps.contains { $0.contains("close_notify sent") }, "\(steps)")
        #expect(steps.last?.contains("\"client_state\":\"time-wait\"") == true, "\(steps.last ?? "")")
        if Paths.isRoot {
            #expect(steps.contains { $0.contains("TLS: ClientHello: SNI localhost") }, "\(steps)")
            #expect(steps.contains { $0.contains("TLS: ServerHello: TLSv1.3, TLS_") }, "\(steps)")
        }
    }

    @Test(
        "a client that connects and says nothing holds up no other: the listener handshakes with the next meanwhile (ncat's 'does not block during handshake')",
        arguments: [["-k", "--upper"], ["-k", "--sh-exec", "tr a-z A-Z"], ["--broker"]])
    func silentClientBlocksNoOne(mode: [String]) async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--tls"] + mode + ["127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        // Connected, and silent for longer than the handshake bound (10 s) and this test.
        let silent = try BackgroundProcess(
            Paths.python, ["-c", "import socket, time\ns = socket.create_connection(('127.0.0.1', \(port)))\nprint('in', flush=True)\ntime.sleep(30)"])
        defer { silent.kill() }
        _ = try await silent.waitForLine(containing: "in", inStdout: true)
        if mode.contains("--broker") {
            // A broker relays between clients: the second TLS client's line reaches the third.
            let third = try BackgroundProcess(Paths.sh, ["-c", "sleep 3 | exec \(Paths.sockscope) connect --tls --insecure 127.0.0.1 \(port)"])
            defer { third.kill() }
            try await Task.sleep(for: .milliseconds(500))
            _ = try await run(
                Paths.sockscope, ["connect", "--tls", "--insecure", "-i", "1", "127.0.0.1", "\(port)"], input: Array("through\n".utf8), timeout: .seconds(8))
            #expect(try await third.finish(timeout: .seconds(8)) == 0, "\(third.stderrText)")
            #expect(third.stdoutText == "through\n", "\(third.stdoutText)")
            return
        }
        let outcome = try await run(
            Paths.sockscope, ["connect", "--tls", "--insecure", "-i", "1", "127.0.0.1", "\(port)"], input: Array("not blocked\n".utf8), timeout: .seconds(8))
        #expect(outcome.stdoutText == "NOT BLOCKED\n", "\(outcome)\n\(listener.stderrText)")
    }

    @Test("probe --tls: bad combinations are usage errors")
    func probeUsage() async throws {
        try await expectFailure(["probe", "--tls", "-u", "--tls-min", "1.3", "127.0.0.1", "53"], "DTLS goes up to 1.2 here")
        try await expectFailure(["probe", "--tls", "--insecure", "127.0.0.1", "443"], "never enforces it")
        try await expectFailure(["probe", "--sni", "x.example", "127.0.0.1", "443"], "--sni is for TLS: add --tls")
        try await expectFailure(["probe", "--tls", "--pcap-out", "/tmp/x.pcap", "127.0.0.1", "443"], "capture the handshakes with 'sockscope tap'")
    }

    @Test("--keylog lets tshark decrypt the --pcap-out capture of the same connection", .enabled(if: Paths.isRoot, "skipped: the tap needs CAP_NET_RAW"))
    func keylogDecrypts() async throws {
        let directory = try TemporaryDirectory.make()
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "--tls", "--upper", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let client = try await sockscope(
            "connect", "--tls", "--insecure", "--keylog", "\(directory)/keys", "--pcap-out", "\(directory)/capture.pcap", "127.0.0.1", "\(port)",
            input: Array("the secret words\n".utf8))
        #expect(client.status == 0 && client.stdoutText == "THE SECRET WORDS\n", "\(client)")
        let keys = try readFile("\(directory)/keys")
        #expect(String(decoding: keys, as: UTF8.self).contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), "NSS key log lines")
        let decrypted = try await run(
            Paths.tshark,
            ["-r", "\(directory)/capture.pcap", "-d", "tcp.port==\(port),tls", "-o", "tls.keylog_file:\(directory)/keys", "-q", "-z", "follow,tls,ascii,0"])
        #expect(decrypted.stdoutText.contains("the secret words") && decrypted.stdoutText.contains("THE SECRET WORDS"), "\(decrypted)")
        let without = try await run(Paths.tshark, ["-r", "\(directory)/capture.pcap", "-d", "tcp.port==\(port),tls", "-q", "-z", "follow,tls,ascii,0"])
        #expect(!without.stdoutText.contains("the secret words"), "without the key log the capture stays encrypted")
    }

    @Test(
        "TLS options that contradict each other, or lack --tls, are usage errors",
        arguments: [
            (["connect", "--ca-file", "x.pem", "127.0.0.1", "9"], "--ca-file is for TLS: add --tls"),
            (["connect", "--tls", "-u", "--tls-min", "1.3", "127.0.0.1", "9"], "DTLS goes up to 1.2"),
            (["connect", "--tls", "-u", "--size", "20000", "127.0.0.1", "9"], "a DTLS record holds no more"),
            (["listen", "--tls", "-u", "-k", "9"], "-u --tls (DTLS) serves one client"),
            (["connect", "--tls", "--tls-min", "1.4", "127.0.0.1", "9"], "The value '1.4' is invalid for '--tls-min <version>'"),
            (["connect", "--tls", "--tls-min", "1.3", "--tls-max", "1.2", "127.0.0.1", "9"], "no version is left"),
            (["connect", "--tls", "--client-key", "k.pem", "127.0.0.1", "9"], "give --client-cert too"),
            (["listen", "--tls", "--require-client-cert", "9"], "--require-client-cert needs --ca-file"),
            (["listen", "--tls", "--cert", "/nonexistent.pem", "9"], "cannot use the certificate /nonexistent.pem"),
            (["listen", "--cert", "c.pem", "9"], "--cert is for TLS: add --tls"),
        ])
    func usageErrors(arguments: [String], message: String) async throws {
        try await expectFailure(arguments, message)
    }

    @Test(
        "without libssl every TLS command says to install libssl3 (exit 72) and the rest works",
        .enabled(if: Paths.isRoot, "skipped: hiding libssl needs root (a mount namespace)"))
    func withoutLibssl() async throws {
        let port = try freePort()
        let script = """
            set -e
            lib=$(readlink -f "$(ldconfig -p | awk '/libssl\\.so\\.3 /{ print $NF; exit }')")
            [ -f "$lib" ] || { echo "no libssl.so.3 to hide"; exit 3; }
            empty=$(mktemp); mount --bind "$empty" "$lib"
            set +e
            S=\(Paths.sockscope)
            $S connect --tls 127.0.0.1 \(port) < /dev/null; echo "connect rc=$?"
            $S listen --tls 127.0.0.1 \(port) < /dev/null; echo "listen rc=$?"
            $S listen --recv-only 127.0.0.1 \(port) > "$empty.out" & server=$!
            for i in $(seq 1 100); do $S sockets -l -t --json | grep -q '"local_port":\(port)' && break; sleep 0.05; done
            echo plain | $S connect --send-only 127.0.0.1 \(port); echo "plain rc=$?"
            wait $server; echo "served rc=$? got=$(cat "$empty.out")"
            """
        let outcome = try await run(Paths.unshare, ["--mount", Paths.sh, "-c", script], timeout: .seconds(60))
        for line in ["connect rc=72", "listen rc=72", "plain rc=0", "served rc=0 got=plain"] {
            #expect(outcome.stdoutText.contains(line), "\(line) in \(outcome)")
        }
        #expect(outcome.stderr.contains("install the libssl3 package"), "\(outcome.stderr)")
        let ldd = try await run("/usr/bin/ldd", [Paths.sockscope])
        #expect(!ldd.stdoutText.contains("libssl") && !ldd.stdoutText.contains("libcrypto"), "\(ldd.stdoutText)")
    }
}
