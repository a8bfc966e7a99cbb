import Glibc
import Testing

/// Every failure prints one clear line naming the errno and exits with the code the
/// manual documents — never a crash.
@Suite("Errors and exit codes")
struct ErrorTests {
    @Test("refused: a closed port on loopback → ECONNREFUSED, exit 69")
    func refused() async throws {
        let port = try freePort()
        let outcome = try await sockscope("connect", "127.0.0.1", "\(port)")
        #expect(outcome.status == 69)
        #expect(outcome.stderr.contains("ECONNREFUSED (Connection refused)"))
        #expect(outcome.stderr.split(separator: "\n").count == 1, "one line: \(outcome.stderr)")
    }

    @Test("connected UDP to a port with no receiver: the ICMP port-unreachable comes back as ECONNREFUSED, exit 69")
    func udpPortUnreachable() async throws {
        let port = try freePort()
        let outcome = try await sockscope("connect", "-u", "127.0.0.1", "\(port)", input: Array("anyone?".utf8))
        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.stderr.contains("ECONNREFUSED"))
        #expect(outcome.stderr.contains("ICMP port-unreachable"))
    }

    @Test(
        "missing operands → exit 64 with what is missing",
        arguments: [
            (["connect"], "connect needs HOST and PORT"),
            (["connect", "127.0.0.1"], "needs a PORT after the host '127.0.0.1'"),
            (["listen"], "listen needs a PORT"),
            (["listen", "-U", "/tmp/x.sock", "8080"], "give only the socket path"),
            (["connect", "-4", "::1", "80"], "::1 is an IPv6 address, but -4 was given"),
            (["connect", "-s", "1.2.3", "127.0.0.1", "80"], "bad source address '1.2.3'"),
        ])
    func missingOperands(arguments: [String], message: String) async throws {
        try await expectFailure(arguments, message)
    }

    @Test("usage errors exit 64 even when stderr's reader has gone (no SIGPIPE death)")
    func usageIntoClosedPipe() async throws {
        let status = try await run("/bin/bash", ["-c", "\(Paths.sockscope) probe 127.0.0.1 2>&1 | head -c 1 > /dev/null; echo ${PIPESTATUS[0]}"])
        #expect(status.stdoutText == "64\n", "\(status)")
    }

    @Test(
        "bad ports → exit 64",
        arguments: [
            (["connect", "127.0.0.1", "0"], "port 0"),
            (["connect", "127.0.0.1", "65536"], "out of range"),
            (["connect", "127.0.0.1", "abc"], "bad port 'abc'"),
            (["listen", "70000"], "out of range"),
            (["connect", "-p", "99999", "127.0.0.1", "80"], "bad port '99999'"),
        ])
    func badPort(arguments: [String], message: String) async throws {
        try await expectFailure(arguments, message)
    }

    @Test("a Unix socket path over 107 bytes → exit 64")
    func unixPathTooLong() async throws {
        let path = "/tmp/" + String(repeating: "p", count: 103)  // 108 bytes
        for command in ["connect", "listen"] {
            let outcome = try await sockscope(command, "-U", path)
            #expect(outcome.status == 64, "\(outcome)")
            #expect(outcome.stderr.contains("108 bytes, over the limit of 107"))
        }
        // 107 bytes is still fine for listen.
        let fits = "/tmp/" + String(repeating: "q", count: 102)
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "-U", fits])
        defer { listener.kill() }
        _ = try await listener.waitForLine(containing: "listen(fd")
    }

    @Test("address in use by a live Python listener → EADDRINUSE, exit 69")
    func addressInUseByListener() async throws {
        let holder = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, time
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
                print(s.getsockname()[1], flush=True); time.sleep(30)
                """,
            ])
        defer { holder.kill() }
        let port = try await holder.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("listen", "127.0.0.1", "\(port)")
        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.stderr.contains("EADDRINUSE (Address already in use)"))
        #expect(outcome.stderr.contains("already listening on port \(port)"))
    }

    @Test("TIME-WAIT blocks a restart without SO_REUSEADDR (exit 69, explained); with it the bind works")
    func timeWaitAndReuseAddress() async throws {
        // The listener closes first (its stdin is empty, so it sends FIN at once) and
        // the client closes only after reading that FIN, so the listener's side of the
        // connection ends in TIME-WAIT on its own port.
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "127.0.0.1", "0"])
        let port = try await listener.announcedPort()
        let client = try await run(Paths.python, [Paths.peer("tcp_client.py"), "127.0.0.1", "\(port)", "read"])
        #expect(client.status == 0, "\(client)")
        #expect(try await listener.finish() == 0)
        let ss = try await run(Paths.ss, ["-Htan", "state", "time-wait", "( sport = :\(port) )"])
        #expect(!ss.stdoutText.isEmpty, "ss shows no TIME-WAIT socket on port \(port)")

        let refused = try await sockscope("listen", "--no-reuseaddr", "127.0.0.1", "\(port)")
        #expect(refused.status == 69, "\(refused)")
        #expect(refused.stderr.contains("EADDRINUSE"))
        #expect(refused.stderr.contains("TIME-WAIT"))
        #expect(refused.stderr.contains("SO_REUSEADDR"))

        let restarted = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "127.0.0.1", "\(port)"])
        defer { restarted.kill() }
        #expect(try await restarted.waitForLine(containing: "listening on").hasSuffix(":\(port)"))
    }

    @Test(
        "a port below 1024 without CAP_NET_BIND_SERVICE → EACCES, exit 77",
        .enabled(
            if: Paths.isRoot && unprivilegedPortStart() > 80, "skipped: needs root (to drop the capability with capsh) and ip_unprivileged_port_start above 80")
    )
    func privilegedPort() async throws {
        let outcome = try await run(Paths.capsh, ["--drop=cap_net_bind_service", "--", "-c", "exec \(Paths.sockscope) listen 127.0.0.1 80"])
        #expect(outcome.status == 77, "\(outcome)")
        #expect(outcome.stderr.contains("EACCES (Permission denied)"))
        #expect(outcome.stderr.contains("CAP_NET_BIND_SERVICE"))
    }

    @Test(
        "unknown host (lookups confined to a private /etc/hosts, no network) → exit 68",
        .enabled(if: Paths.isRoot, "skipped: needs root for a mount and network namespace"))
    func unknownHost() async throws {
        let outcome = try await inLookupSandbox("exec \(Paths.sockscope) connect no-such-host.invalid 80", netns: true)
        #expect(outcome.status == 68, "\(outcome)")
        #expect(outcome.stderr.contains("unknown host 'no-such-host.invalid'"))
        #expect(outcome.stderr.contains("EAI_NONAME"))
    }

    @Test(
        "probe: an unknown host exits 68; --all-addresses probes every address of a name",
        .enabled(if: Paths.isRoot, "skipped: needs root for a mount namespace"))
    func probeNames() async throws {
        let unknown = try await inLookupSandbox("exec \(Paths.sockscope) probe no-such-host.invalid 80", netns: true)
        #expect(unknown.status == 68, "\(unknown)")
        #expect(unknown.stderr.contains("unknown host 'no-such-host.invalid'"))
        let hosts = "127.0.0.1 localhost\n127.0.0.1 multi.test\n::1 multi.test\n"
        let port = try freePort()
        let all = try await inLookupSandbox("exec \(Paths.sockscope) probe --json --all-addresses multi.test \(port)", netns: false, hosts: hosts)
        #expect(all.stdoutText.contains("\"target\":\"multi.test\",\"peer_address\":\"127.0.0.1\""), "\(all)")
        #expect(all.stdoutText.contains("\"target\":\"multi.test\",\"peer_address\":\"::1\""), "\(all)")
        let first = try await inLookupSandbox("exec \(Paths.sockscope) probe --json multi.test \(port)", netns: false, hosts: hosts)
        #expect(first.stdoutText.split(separator: "\n").count == 1, "\(first)")
    }

    @Test(
        "a name from /etc/hosts resolves and connects (private /etc/hosts, files only)",
        .enabled(if: Paths.isRoot, "skipped: needs root for a mount namespace"))
    func knownHost() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await inLookupSandbox("echo named | exec \(Paths.sockscope) connect -v peer.test \(port)", netns: false)
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "NAMED\n")
        #expect(outcome.stderr.contains("connect(fd 3, 127.0.0.1:\(port)) → ok"))
    }

    @Test(
        "every address of a name is tried in getaddrinfo's order until one accepts",
        .enabled(if: Paths.isRoot, "skipped: needs root for a mount namespace"))
    func triesEveryAddress() async throws {
        let hosts = "127.0.0.1 localhost\n127.0.0.1 multi.test\n::1 multi.test\n"
        // getent (glibc, not us) says in which order getaddrinfo returns them.
        let getent = try await inLookupSandbox("exec getent ahosts multi.test", netns: false, hosts: hosts)
        let order = getent.stdoutText.split(separator: "\n").filter { $0.contains("STREAM") }.map { String($0.split(separator: " ")[0]) }
        let last = try #require(order.last, "getent: \(getent)")
        #expect(Set(order) == ["127.0.0.1", "::1"], "\(order)")
        // Only the address tried last has a server, so the first attempt must be refused.
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper", "--host", last])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await inLookupSandbox("echo fallback | exec \(Paths.sockscope) connect -v multi.test \(port)", netns: false, hosts: hosts)
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "FALLBACK\n")
        #expect(outcome.stderr.contains("ECONNREFUSED"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("trying the next address"))

        // With --pcap-out, each attempt's capture is finished before the next: one
        // writer per file, which tcpdump reads whole.
        let directory = try TemporaryDirectory.make()
        let second = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper", "--host", last])
        defer { second.kill() }
        let secondPort = try await second.announcedPort(marker: "", inStdout: true)
        let tapped = try await inLookupSandbox(
            "echo again | exec \(Paths.sockscope) connect --pcap-out \(directory)/tries.pcap --diagram \(directory)/tries.svg multi.test \(secondPort)",
            netns: false, hosts: hosts)
        #expect(tapped.status == 0 && tapped.stdoutText == "AGAIN\n", "\(tapped)")
        // The diagram, like the file, is the attempt that connected: no refusal's RST in it.
        let svg = String(decoding: try readFile(directory + "/tries.svg"), as: UTF8.self)
        let flags = svg.matches(of: #/data-flags="([^"]*)"/#).map { String($0.output.1) }
        #expect(flags.prefix(3) == ["S", "S.", "."] && !flags.contains("R."), "\(flags)")
        let tcpdump = try await run(Paths.tcpdump, ["-n", "-r", directory + "/tries.pcap"])
        #expect(tcpdump.status == 0 && !tcpdump.stderr.contains("invalid"), "\(tcpdump)")
        #expect(tcpdump.stdoutText.contains("Flags [S]"), "\(tcpdump.stdoutText)")
    }

    @Test(
        "refused, filtered, host- and net-unreachable from a test host in a namespace",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces and nftables"))
    func namespaceFailures() async throws {
        let network = try await TestNetwork.make(targetRules: [
            "tcp dport 81 reject with icmp type admin-prohibited",
            "tcp dport 82 drop",
            "tcp dport 84 reject with icmp type net-unreachable",
        ])
        defer { network.removeNow() }
        let target = network.targetAddress
        let cases: [(port: Int, status: Int32, errno: String)] = [
            (83, 69, "ECONNREFUSED"),  // nothing listens: RST
            (81, 69, "EHOSTUNREACH"),  // ICMP admin-prohibited
            (84, 69, "ENETUNREACH"),  // ICMP net-unreachable
            (82, 75, "ETIMEDOUT"),  // dropped: no answer
        ]
        for item in cases {
            let started = ContinuousClock.now
            let outcome = try await network.runInClient(Paths.sockscope, ["connect", "-w", "1", target, "\(item.port)"])
            #expect(outcome.status == item.status, "port \(item.port): \(outcome)")
            #expect(outcome.stderr.contains(item.errno), "port \(item.port): \(outcome.stderr)")
            if item.errno == "ETIMEDOUT" {
                let waited = started.duration(to: .now)
                #expect(waited >= .milliseconds(900) && waited < .seconds(10), "waited \(waited)")
                #expect(outcome.stderr.contains("timed out after 1 s"))
            }
        }
    }

}

/// `net.ipv4.ip_unprivileged_port_start`: ports below it need privilege.
func unprivilegedPortStart() -> Int {
    let text = (try? readFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")).map { String(decoding: $0, as: UTF8.self) } ?? ""
    return Int(text.filter(\.isNumber)) ?? 1024
}
