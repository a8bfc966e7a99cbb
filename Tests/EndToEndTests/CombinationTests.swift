import Testing

/// Options that were once accepted and silently ignored: each now works, or is a
/// usage error (exit 64) naming the conflict.
@Suite("Option combinations")
struct CombinationTests {
    /// Sends `text` from `source` to 127.0.0.1:`port`, `times` datagrams at once (Python sendto).
    static func datagram(_ text: String, from source: String, to port: UInt16, times: Int = 1) async throws {
        let script =
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('\(source)', 0)); [s.sendto(b'\(text)', ('127.0.0.1', \(port))) for _ in range(\(times))]"
        let outcome = try await run(Paths.python, ["-c", script])
        #expect(outcome.status == 0, "\(outcome)")
    }

    @Test(
        "contradictions and malformed positionals are the parser's usage errors, found before anything runs ('Error:', exit 64): TLS options, probe --tls, the listen modes, recv --group, broadcast --to, --backlog with -u, missing or bad HOST, PORT, NAME and addresses",
        arguments: [
            (["connect", "--client-key", "k.pem", "--tls", "127.0.0.1", "9"], "--client-key is the key of a certificate"),
            (["connect", "--alpn", "h2", "127.0.0.1", "9"], "is for TLS: add --tls"),
            (["connect", "--tls", "--tls-min", "1.3", "--tls-max", "1.2", "127.0.0.1", "9"], "no version is left"),
            (["listen", "--tls", "--require-client-cert", "127.0.0.1", "0"], "--require-client-cert needs --ca-file"),
            (["forward", "--tls", "--ciphers", "", "127.0.0.1", "0", "127.0.0.1", "9"], "--ciphers needs at least one cipher name"),
            (["probe", "--tls", "-u", "--tls-min", "1.3", "127.0.0.1", "443"], "DTLS goes up to 1.2 here"),
            (["probe", "--tls", "--insecure", "127.0.0.1", "443"], "never enforces it"),
            (["listen", "--echo", "--broker", "127.0.0.1", "0"], "had already been set with flag"),
            (["listen", "-u", "--backlog", "128", "127.0.0.1", "0"], "--backlog serves stream"),
            (["forward", "-u", "--backlog", "1024", "127.0.0.1", "0", "127.0.0.1", "9"], "--backlog is the queue of TCP connections"),
            (["recv", "--group", "10.0.0.1", "5000"], "--group takes a multicast address"),
            (["recv", "-4", "--group", "ff02::1", "5000"], "is not an IPv4 address"),
            (["broadcast", "--to", "1.2.3", "9", "hi"], "--to takes an IPv4 address"),
            // The positionals and addresses given as options, read before anything runs
            // (the run reads them again for the light path, which skips the parser).
            (["broadcast", "--source", "::1", "9", "hi"], "bad source address '::1'"),
            (["connect", "--tls"], "connect needs HOST and PORT"),
            (["connect", "-v", "127.0.0.1"], "needs a PORT after the host '127.0.0.1'"),
            (["connect", "-v", "[::1", "80"], "brackets go around a whole IPv6 address"),
            (["connect", "-s", "nowhere", "127.0.0.1", "80"], "bad source address 'nowhere'"),
            (["connect", "-U", "/tmp/x.sock", "127.0.0.1", "80"], "give only the socket path"),
            // The explanation comes with the message, as the runner prints it.
            (["connect", "-U", "/tmp/" + String(repeating: "a", count: 120)], "over the limit of 107 — sun_path in struct sockaddr_un holds 108 bytes"),
            (["connect", "--proxy", "socks5://u@127.0.0.1:1080", "--proxy-auth", "a:b", "127.0.0.1", "80"], "give the proxy's user once"),
            (["listen", "-k"], "listen needs a PORT"),
            (["listen", "-k", "127.0.0.1", "99999"], "99999"),
            (["send", "--group", "239.1.2.3"], "needs a PORT"),
            (["send", "--group", "239.1.2.3", "9", "hi", "extra"], "give PORT [MESSAGE], not a HOST"),
            (["send", "-v", "127.0.0.1"], "send needs HOST and PORT"),
            (["recv", "-v"], "recv needs a PORT"),
            (["recv", "-v", "nowhere", "9"], "bad address 'nowhere'"),
            (["resolve", "-4"], "resolve needs a NAME"),
            (["resolve", "--gethostbyname"], "--gethostbyname needs a NAME"),
            (["resolve", "--reverse", "nowhere"], "--reverse takes a numeric IPv4 or IPv6 address"),
            (["resolve", "--port", "0/tcp"], "bad port '0'"),
            (["resolve", "--service", "http/sctp"], "unknown protocol 'sctp'"),
            (["probe", "-c", "3", "127.0.0.1", "80,81"], "--count times one port, not 2"),
            (["connect", "-u", "-C", "-e", "cat", "127.0.0.1", "1"], "give the connection to the program"),
            (["listen", "-u", "-C", "-e", "cat", "127.0.0.1", "0"], "a UDP program has the datagram socket itself"),
            (["listen", "-C", "-i", "5", "-e", "cat", "127.0.0.1", "0"], "which the -C relay in between hides"),
            (["connect", "--frame", "line", "--sh-exec", "cat", "127.0.0.1", "1"], "give the connection to the program"),
            (["connect", "--hexdump", "-e", "cat", "127.0.0.1", "1"], "the program's traffic does not pass through it"),
            (["connect", "-e", "cat", "-c", "cat", "127.0.0.1", "1"], "--exec and --sh-exec cannot be used together"),
            (["connect", "--stderr", "127.0.0.1", "1"], "--stderr goes with --exec or --sh-exec"),
            (["connect", "-e", "", "127.0.0.1", "1"], "--exec needs a program to run"),
            (["connect", "-e", "/nonexistent/program", "127.0.0.1", "1"], "cannot run /nonexistent/program"),
        ])
    func parserRefuses(arguments: [String], message: String) async throws {
        let outcome = try await run(Paths.sockscope, arguments)
        #expect(outcome.status == 64, "\(arguments): \(outcome)")
        #expect(outcome.stderr.hasPrefix("Error: ") && outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }

    @Test(
        "listen -u --allow/--deny: datagrams from a refused source are dropped and logged; allowed ones pass",
        arguments: [["--allow", "127.0.0.1"], ["--deny", "127.0.0.2"], ["--deny", "::ffff:127.0.0.2"]])
    func udpAccessControl(_ rule: [String]) async throws {
        // No idle timeout: on a loaded machine starting the senders can take seconds.
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-u"] + rule + ["127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        try await Self.datagram("from-two", from: "127.0.0.2", to: port, times: 50)
        try await Self.datagram("from-one", from: "127.0.0.1", to: port)
        let deadline = ContinuousClock.now + .seconds(10)
        while listener.stdoutText.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(100))  // anything refused that slipped through would show by now
        await listener.stop()
        #expect(listener.stdoutText == "from-one", "\(listener.stdoutText)")
        let refusals = listener.stderrText.split(separator: "\n").filter { $0.contains("refused 127.0.0.2:") }
        #expect(refusals.count == 1, "50 refused datagrams within a second make one log line: \(listener.stderrText)")
    }

    @Test("listen -u with a bad --allow is a usage error, not a listener that lets everyone in")
    func udpBadRule() async throws {
        let outcome = try await sockscope("listen", "-u", "--allow", "10.0.0.0/+8", "127.0.0.1", "0")
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.stderr.contains("10.0.0.0/+8"))
    }

    @Test("listen -u --hexdump and -o show and keep each datagram; connect -u likewise")
    func udpTrafficLog() async throws {
        let directory = try TemporaryDirectory.make()
        let listener = try BackgroundProcess(
            Paths.sockscope, ["listen", "-u", "--upper", "--hexdump", "-o", directory + "/server", "-i", "10", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let client = try await sockscope("connect", "-u", "--hexdump", "-o", directory + "/client", "127.0.0.1", "\(port)", input: Array("abc".utf8))
        #expect(client.status == 0, "\(client)")
        #expect(client.stdoutText == "ABC")
        #expect(client.stderr.contains("> 00000000  61 62 63"), "\(client.stderr)")
        #expect(client.stderr.contains("< 00000000  41 42 43"), "\(client.stderr)")
        #expect(try readFile(directory + "/client") == Array("abcABC".utf8))
        #expect(try await listener.finish() == 0)
        #expect(listener.stderrText.contains("< 00000000  61 62 63"), "\(listener.stderrText)")
        #expect(try readFile(directory + "/server") == Array("abc".utf8))
    }

    @Test("connect -U -s PATH binds the client's own path: the server sees a named peer")
    func unixSourcePath() async throws {
        let directory = try TemporaryDirectory.make()
        let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); print('ready', flush=True)
            c, peer = s.accept(); print(peer, flush=True); c.close()
            """
        let server = try BackgroundProcess(Paths.python, ["-c", script, directory + "/server.sock"])
        defer { server.kill() }
        _ = try await server.waitForLine(containing: "ready", inStdout: true)
        let outcome = try await sockscope("connect", "-U", directory + "/server.sock", "-s", directory + "/client.sock")
        #expect(outcome.status == 0, "\(outcome)")
        #expect(try await server.finish() == 0)
        #expect(server.stdoutText.contains(directory + "/client.sock"), "\(server.stdoutText)")
    }

    @Test(
        "combinations that cannot work are usage errors naming the conflict",
        arguments: [
            (["listen", "-u", "--frame", "line", "127.0.0.1", "0"], "--frame"),
            (["listen", "-u", "--tap", "127.0.0.1", "0"], "--tap"),
            (["listen", "-u", "--broker", "127.0.0.1", "0"], "--broker"),
            (["listen", "-U", "/tmp/sockscope-never.sock", "--allow", "127.0.0.1"], "--allow"),
            (["listen", "-k", "--hexdump", "127.0.0.1", "0"], "--hexdump"),
            (["connect", "-U", "/tmp/sockscope-never.sock", "-p", "5000"], "-p"),
            (["connect", "-u", "--frame", "line", "127.0.0.1", "9"], "--frame"),
            (["connect", "-u", "--follow-timewait", "127.0.0.1", "9"], "--tap"),
            (["connect", "-u", "--tap-payload", "127.0.0.1", "9"], "--tap"),
            (["connect", "--frame", "line", "--hexdump", "127.0.0.1", "9"], "--hexdump"),
        ])
    func usageErrors(_ arguments: [String], _ named: String) async throws {
        try await expectFailure(arguments, named)
    }

    @Test("sockets -l lists only listening sockets, as ss -l: the listener, not its connection")
    func socketsListening() async throws {
        let script = """
            import socket, sys, time
            s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))
            c = socket.create_connection(s.getsockname()); a, _ = s.accept()
            print(s.getsockname()[1], u.getsockname()[1], flush=True); time.sleep(30)
            """
        let holder = try BackgroundProcess(Paths.python, ["-c", script])
        defer { holder.kill() }
        let ports = try await holder.waitForLine(containing: " ", inStdout: true).split(separator: " ").map(String.init)
        let all = try await sockscope("sockets", "--port", ports[0])
        let listening = try await sockscope("sockets", "-l", "--port", ports[0])
        #expect(all.stdoutText.contains("ESTAB") && all.stdoutText.contains("LISTEN"), "\(all.stdoutText)")
        #expect(listening.stdoutText.contains("LISTEN") && !listening.stdoutText.contains("ESTAB"), "\(listening.stdoutText)")
        let udp = try await sockscope("sockets", "-l", "-u", "--port", ports[1])
        let ss = try await run(Paths.ss, ["-Hlun", "( sport = :\(ports[1]) )"])
        #expect(ss.stdoutText.contains("UNCONN") && udp.stdoutText.contains("UNCONN"), "ours \(udp.stdoutText), ss \(ss.stdoutText)")
        let conflict = try await sockscope("sockets", "-l", "--state", "established")
        #expect(conflict.status == 64, "\(conflict)")
    }
}
