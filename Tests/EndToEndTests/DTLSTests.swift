import Testing

/// `--tls` with `-u` (DTLS 1.2) on connect and listen, against openssl s_server and
/// s_client (`-dtls1_2`) and ncat's `-u --ssl` client (ncat has no DTLS listener), with
/// Tests/Peers/lossy_udp.py losing chosen handshake datagrams so each side's
/// retransmission timer has to move the handshake on.
@Suite("DTLS", .serialized)
struct DTLSTests {
    /// A shell script with the certificate directory and sockscope at hand.
    private static func script(_ certs: String, _ body: String) async throws -> Outcome {
        try await run(Paths.sh, ["-c", "cd \(certs) && S=\(Paths.sockscope) && O=\(Paths.openssl)\n" + body], timeout: .seconds(40))
    }

    /// Runs `client` (a shell command given the port) against openssl s_server -dtls1_2,
    /// serving one client with `certificate` in the background, its stdin from `input` (a
    /// shell command). Prints the client's output, "rc=STATUS", then "server got: " and
    /// what the server printed.
    private static func againstSServer(_ certificate: String = "leaf", input: String, client: (UInt16) -> String) async throws -> (Outcome, UInt16) {
        let certs = try await TLSTests.certificates()
        let port = try freePort()
        let outcome = try await script(
            certs,
            """
            \(input) | timeout 40 $O s_server -dtls1_2 -naccept 1 -quiet -accept 127.0.0.1:\(port) \
              -cert \(certificate).pem -key \(certificate).key > server.out 2>&1 &
            # Until it has bound its port (a loaded machine can take seconds to start it:
            # a CI run under a full suite took over 5).
            for i in $(seq 1 400); do \(Paths.ss) -Huln "sport = :\(port)" | grep -q . && break; sleep 0.05; done
            \(Paths.ss) -Huln "sport = :\(port)" | grep -q . || echo "s_server never bound its port"
            \(client(port)); echo "rc=$?"
            wait; echo "server got: $(cat server.out)"
            """)
        return (outcome, port)
    }

    /// One JSON record of `type` from a stream of JSON lines.
    private static func record(_ type: String, in text: String) -> String {
        text.split(separator: "\n").first { $0.contains("\"type\":\"\(type)\"") }.map(String.init) ?? ""
    }

    @Test("openssl s_client -dtls1_2 into listen -u --tls --cert: the data arrives, the server reports DTLSv1.2 and ends at close_notify")
    func opensslClient() async throws {
        let certs = try await TLSTests.certificates()
        let port = try freePort()
        let server = try BackgroundProcess(
            Paths.sockscope, ["listen", "-u", "--tls", "--json", "--cert", "\(certs)/leaf.pem", "--key", "\(certs)/leaf.key", "127.0.0.1", "\(port)"])
        defer { server.kill() }
        _ = try await server.waitForLine(containing: "\"listening\"")
        let client = try await Self.script(
            certs, "(echo hello dtls; sleep 1) | $O s_client -dtls1_2 -connect 127.0.0.1:\(port) -CAfile ca.pem -verify_return_error -quiet -no_ign_eof")
        #expect(client.status == 0, "\(client)")
        #expect(try await server.finish(timeout: .seconds(10)) == 0, "\(server.stderrText)")
        #expect(server.stdoutText == "hello dtls\n", "\(server.stdoutText)")
        let tls = Self.record("tls", in: server.stderrText)
        for field in ["\"role\":\"server\"", "\"version\":\"DTLSv1.2\"", "\"established\":true"] {
            #expect(tls.contains(field), "\(field) in \(tls)")
        }
        #expect(server.stderrText.contains("the client sent close_notify"), "\(server.stderrText)")
    }

    @Test("connect -u --tls with openssl s_server -dtls1_2: verified, data both ways, the JSON tls record says DTLSv1.2")
    func opensslServer() async throws {
        let (outcome, _) = try await Self.againstSServer(input: "(sleep 1; echo from s_server; sleep 2)") {
            "(echo from sockscope; sleep 2) | $S connect -u --tls --json --ca-file ca.pem 127.0.0.1 \($0)"
        }
        #expect(outcome.stdoutText.contains("from s_server\nrc=0\n"), "\(outcome)")
        #expect(outcome.stdoutText.contains("server got: from sockscope"), "\(outcome)")
        let tls = Self.record("tls", in: outcome.stderr)
        for field in ["\"role\":\"client\"", "\"version\":\"DTLSv1.2\"", "\"verify_result\":\"X509_V_OK\"", "\"subject\":\"CN=localhost\""] {
            #expect(tls.contains(field), "\(field) in \(tls)")
        }
    }

    @Test("ncat -u --ssl into listen -u --tls with an ephemeral certificate")
    func ncatClient() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-u", "--tls", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let client = try await run(Paths.sh, ["-c", "(echo from ncat; sleep 1) | \(Paths.ncat) -u --ssl 127.0.0.1 \(port)"])
        #expect(client.status == 0, "\(client)")
        _ = try await server.waitForLine(containing: "from ncat", inStdout: true)
    }

    @Test("a certificate that fails verification: named, explained, exit 79, nothing relayed")
    func verificationFailure() async throws {
        let (outcome, _) = try await Self.againstSServer("expired", input: "sleep 4") {
            "echo secret | $S connect -u --tls --ca-file ca.pem 127.0.0.1 \($0)"
        }
        #expect(outcome.stdoutText.contains("rc=79\n"), "\(outcome)")
        #expect(!outcome.stdoutText.contains("secret"), "\(outcome)")
        #expect(outcome.stderr.contains("X509_V_ERR_CERT_HAS_EXPIRED"), "\(outcome)")
    }

    @Test("the peer's close_notify with stdin still waiting: exit 74 naming the bytes not sent (DTLS has no half-close)")
    func closeNotifyWithInputLeft() async throws {
        // s_server sends its input and, at the input's end, close_notify, right after the
        // handshake: a millisecond later, while most of our 64 MiB file is still to send.
        let input = try randomFile(megabytes: 64, in: try TemporaryDirectory.make())
        let (outcome, _) = try await Self.againstSServer(input: "echo bye") {
            "$S connect -u --tls --ca-file ca.pem --size 1200 127.0.0.1 \($0) < \(input)"
        }
        #expect(outcome.stdoutText.hasPrefix("bye\nrc=74\n"), "\(outcome)")
        let said = outcome.stderr.split(separator: "\n").first { $0.contains("of stdin were not sent") } ?? ""
        let left = said.split(separator: " sent: ").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) } ?? 0
        #expect(left > 0 && left <= 64 << 20 && said.contains("the peer ended the DTLS session (close_notify)"), "\(outcome.stderr)")
    }

    @Test("--deny: the client's handshake gets no answer (exit 75 at -w 2) and the refusal is logged")
    func denied() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-u", "--tls", "--deny", "127.0.0.1", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let client = try await sockscope("connect", "-u", "--tls", "--insecure", "-w", "2", "127.0.0.1", "\(port)", input: Array("x\n".utf8))
        #expect(client.status == 75, "\(client)")
        #expect(client.stderr.contains("DTLS handshake with 127.0.0.1:\(port) timed out"), "\(client.stderr)")
        _ = try await server.waitForLine(containing: "denied by --deny 127.0.0.1/32")
        #expect(server.stdoutText.isEmpty)
    }

    @Test("--sh-exec on both sides: the program talks DTLS through the bridge, with the UDP environment")
    func execBothSides() async throws {
        let certs = try await TLSTests.certificates()
        let server = try BackgroundProcess(
            Paths.sockscope,
            [
                "listen", "-u", "--tls", "--cert", "\(certs)/leaf.pem", "--key", "\(certs)/leaf.key", "--sh-exec",
                "read line; echo \"got $line from $SOCKSCOPE_REMOTE_ADDR to $SOCKSCOPE_LOCAL_PORT over $SOCKSCOPE_PROTO\"", "127.0.0.1", "0",
            ])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let client = try await Self.script(
            certs, "(echo one; sleep 1.5) | $O s_client -dtls1_2 -connect 127.0.0.1:\(port) -CAfile ca.pem -verify_return_error -quiet -no_ign_eof")
        #expect(client.stdoutText == "got one from 127.0.0.1 to \(port) over udp\n", "\(client)")
        // The client side: connect --sh-exec against s_server.
        let (outcome, serverPort) = try await Self.againstSServer(input: "(sleep 0.5; echo ping; sleep 2)") {
            "$S connect -u --tls --ca-file ca.pem --sh-exec 'read l; echo \"$l back to $SOCKSCOPE_REMOTE_PORT\"' 127.0.0.1 \($0)"
        }
        #expect(outcome.stdoutText == "rc=0\nserver got: ping back to \(serverPort)\n", "\(outcome)")
    }

    @Test("--exec of a program that never reads: its output reaches a client that keeps writing, and the server ends 0 (as ncat -l --exec)")
    func programThatNeverReads() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-u", "--tls", "--sh-exec", "sleep 0.5; echo abc", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        // "one" waits unread in the program's stdin, so its exit resets that end; "two" comes after.
        let client = try await run(
            Paths.sh, ["-c", "(echo one; sleep 1; echo two; sleep 1) | \(Paths.sockscope) connect -u --tls --insecure 127.0.0.1 \(port)"])
        #expect(client.stdoutText == "abc\n", "\(client)")
        #expect(try await server.finish(timeout: .seconds(10)) == 0, "\(server.stderrText)")
    }

    @Test(
        "16 MiB through connect -u --tls into listen -u --tls (a 64 MiB queue, so no speed can lose any): sha256 intact, from a file or a pipe, in --size 1200 GSO batches or a record per read",
        .enabled(if: Paths.isRoot, "skipped: a 64 MiB receive queue needs root (SO_RCVBUFFORCE)"),
        arguments: [("file", ["--size", "1200"]), ("pipe", ["--size", "1200"]), ("file", []), ("pipe", [])])
    func bulkIntact(input kind: String, size: [String]) async throws {
        let directory = try TemporaryDirectory.make()
        let input = try randomFile(megabytes: 16, in: directory)
        let output = directory + "/received"
        let server = try BackgroundProcess(
            Paths.sockscope, ["listen", "-u", "--tls", "--recv-buffer", "64M", "127.0.0.1", "0"], stdinPath: "/dev/null", stdoutPath: output)
        defer { server.kill() }
        let port = try await server.announcedPort()
        let connect = ([Paths.sockscope, "connect", "-u", "--tls", "--insecure"] + size + ["127.0.0.1", "\(port)"]).joined(separator: " ")
        let client =
            kind == "file"
            ? try BackgroundProcess(Paths.sh, ["-c", "exec \(connect)"], stdinPath: input)
            : try BackgroundProcess(Paths.sh, ["-c", "cat \(input) | \(connect)"])
        #expect(try await client.finish(timeout: .seconds(60)) == 0, "\(client.stderrText)")
        #expect(try await server.finish(timeout: .seconds(30)) == 0, "\(server.stderrText)")
        #expect(try await sha256(output) == (try await sha256(input)))
    }

    @Test("the client's timer: its first ClientHello is lost, it sends it again after 1 s and the handshake completes")
    func clientRetransmits() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-u", "--tls", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let lossy = try BackgroundProcess(Paths.python, [Paths.peer("lossy_udp.py"), "\(port)", "--drop-to-server", "1"])
        defer { lossy.kill() }
        let front = try await lossy.announcedPort(marker: "port", inStdout: true)
        let client = try await sockscope(
            "connect", "-v", "-u", "--tls", "--insecure", "--json", "127.0.0.1", "\(front)", input: Array("through loss\n".utf8))
        #expect(client.status == 0, "\(client)")
        #expect(client.stderr.contains("DTLSv1_handle_timeout"), "\(client.stderr)")
        let milliseconds = Self.record("tls", in: client.stderr).split(separator: ",").first { $0.hasPrefix("\"handshake_ms\":") }
            .flatMap { Double($0.dropFirst("\"handshake_ms\":".count)) }
        #expect((900...5000).contains(milliseconds ?? 0), "one retransmission timeout: \(milliseconds ?? -1) ms")
        _ = try await lossy.waitForLine(containing: "dropped to-server 1", inStdout: true)
        _ = try await server.waitForLine(containing: "through loss", inStdout: true)
    }

    @Test("the server's timer: its flight is lost and the client stays deaf, so only the server's retransmission completes the handshake")
    func serverRetransmits() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "-u", "--tls", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        // Datagram 1 to the client is the HelloVerifyRequest; 2 is the server's flight.
        let lossy = try BackgroundProcess(
            Paths.python, [Paths.peer("lossy_udp.py"), "\(port)", "--drop-to-client", "2", "--deaf-after-drop", "1.2"])
        defer { lossy.kill() }
        let front = try await lossy.announcedPort(marker: "port", inStdout: true)
        let client = try await sockscope("connect", "-u", "--tls", "--insecure", "127.0.0.1", "\(front)", input: Array("server timer\n".utf8))
        #expect(client.status == 0, "\(client)")
        _ = try await lossy.waitForLine(containing: "dropped to-client 2", inStdout: true)
        _ = try await server.waitForLine(containing: "server timer", inStdout: true)
        #expect(server.stderrText.contains("DTLSv1_handle_timeout"), "\(server.stderrText)")
    }

    @Test(
        "probe -u --tls: a DTLS handshake with each port not closed — the listener's certificate verified, a plaintext UDP answer not DTLS, a closed port left out"
    )
    func probeHandshakes() async throws {
        let certs = try await TLSTests.certificates()
        let server = try BackgroundProcess(
            Paths.sockscope, ["listen", "-u", "--tls", "--cert", "\(certs)/leaf.pem", "--key", "\(certs)/leaf.key", "127.0.0.1", "0"])
        defer { server.kill() }
        let dtls = try await server.announcedPort()
        // A UDP service that answers everything in plaintext, for 20 s at most.
        let plain = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('127.0.0.1',0));s.settimeout(0.5)\n"
                    + "print(s.getsockname()[1],flush=True)\nend=time.time()+20\nwhile time.time()<end:\n"
                    + " try:\n  d,a=s.recvfrom(4096);s.sendto(b'HELLO plain',a)\n except OSError: pass",
            ])
        defer { plain.kill() }
        let plainPort = try await plain.announcedPort(marker: "", inStdout: true)
        let closed = try freePort()
        let ports = "\(dtls),\(plainPort),\(closed)"
        let outcome = try await sockscope(
            "probe", "-u", "--tls", "--timeout", "1", "--ca-file", "\(certs)/ca.pem", "--sni", "localhost", "127.0.0.1", ports, timeout: .seconds(30))
        #expect(outcome.status == 0, "\(outcome)")
        let lines = outcome.stdoutText.split(separator: "\n").map(String.init)
        let table = lines.drop { $0 != "DTLS:" }
        let dtlsLine = table.first { $0.hasPrefix("\(dtls)/udp") } ?? ""
        #expect(dtlsLine.contains("DTLSv1.2") && dtlsLine.contains("localhost") && dtlsLine.hasSuffix("ok"), "\(outcome.stdoutText)")
        let plainLine = table.first { $0.hasPrefix("\(plainPort)/udp") } ?? ""
        #expect(plainLine.contains("not DTLS: no DTLS reply within 1 s"), "\(outcome.stdoutText)")
        #expect(!table.contains { $0.hasPrefix("\(closed)/udp") }, "a closed port gets no handshake: \(outcome.stdoutText)")
        // The probe ended its session with close_notify, so the one-client listener is done.
        #expect(try await server.finish(timeout: .seconds(5)) == 0, "\(server.stderrText)")
        let second = try BackgroundProcess(Paths.sockscope, ["listen", "-u", "--tls", "127.0.0.1", "0"])
        defer { second.kill() }
        let secondPort = try await second.announcedPort()
        let json = try await sockscope("probe", "-u", "--tls", "--json", "--timeout", "1", "127.0.0.1", "\(secondPort)", timeout: .seconds(30))
        let record = Self.record("tls", in: json.stdoutText)
        for field in ["\"version\":\"DTLSv1.2\"", "\"established\":true", "\"speaks_tls\":true", "\"verify_enforced\":false"] {
            #expect(record.contains(field), "\(field) in \(record)")
        }
    }
}
