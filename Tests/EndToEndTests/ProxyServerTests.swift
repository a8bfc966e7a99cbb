import Glibc
import Testing

/// `sockscope proxy` with real clients: curl (--socks5, --socks5-hostname, -x http:// with
/// -p, --proxy-user), ncat --proxy with each --proxy-type, and sockscope's own
/// `connect --proxy`; the destination is Python's HTTP server or the echo peer.
@Suite("proxy server")
struct ProxyServerTests {
    static func start(_ options: [String] = []) async throws -> (BackgroundProcess, UInt16) {
        let proxy = try BackgroundProcess(Paths.sockscope, ["proxy"] + options + ["127.0.0.1", "0"])
        return (proxy, options.contains("--json") ? try await ForwardTests.jsonPort(proxy) : try await proxy.announcedPort())
    }

    /// Python's HTTP server on loopback, serving a directory with one known file.
    static func httpServer() async throws -> (BackgroundProcess, UInt16) {
        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/hello.txt", Array("hello through the proxy\n".utf8))
        let port = try freePort()
        let server = try BackgroundProcess(Paths.python, ["-m", "http.server", "--bind", "127.0.0.1", "--directory", directory, "\(port)"])
        _ = try await server.waitForLine(containing: "Serving HTTP", inStdout: true)
        return (server, port)
    }

    @Test("curl through SOCKS5 and HTTP CONNECT gets the page; each request is logged; a closed port is SOCKS5 reply 5 to curl")
    func curlClients() async throws {
        let (proxy, port) = try await Self.start()
        let (server, webPort) = try await Self.httpServer()
        defer {
            proxy.kill()
            server.kill()
        }
        let page = "http://127.0.0.1:\(webPort)/hello.txt"
        for proxyArguments in [
            ["--socks5", "127.0.0.1:\(port)"], ["-p", "-x", "http://127.0.0.1:\(port)"], ["--socks4", "127.0.0.1:\(port)"], ["-x", "http://127.0.0.1:\(port)"],
        ] {
            let outcome = try await run(Paths.curl, ["-s", "--max-time", "10"] + proxyArguments + [page])
            #expect(outcome.stdoutText == "hello through the proxy\n", "\(proxyArguments): \(outcome)")
        }
        _ = try await proxy.waitForLine(containing: "asked in SOCKS4 for 127.0.0.1:\(webPort)")
        #expect(proxy.stderrText.contains("asked in SOCKS5 for 127.0.0.1:\(webPort)"), "\(proxy.stderrText)")
        #expect(proxy.stderrText.contains("asked in HTTP CONNECT for 127.0.0.1:\(webPort)"), "\(proxy.stderrText)")

        let closed = try freePort()
        let refused = try await run(Paths.curl, ["-s", "--max-time", "10", "--socks5", "127.0.0.1:\(port)", "http://127.0.0.1:\(closed)/"])
        #expect(refused.status == 97, "curl's 'proxy handshake error' for SOCKS5 reply 5: \(refused)")
        let http = try await run(
            Paths.curl,
            ["-s", "-o", "/dev/null", "-w", "%{http_connect}", "--max-time", "10", "-p", "-x", "http://127.0.0.1:\(port)", "http://127.0.0.1:\(closed)/"])
        #expect(http.stdoutText == "502", "\(http)")
        // Forwarded (curl -x without -p): the origin's answer comes back; a dead origin is 502 with a body saying why.
        let forwarded = try await run(
            Paths.curl, ["-s", "-w", "%{http_code}", "--max-time", "10", "-x", "http://127.0.0.1:\(port)", "http://127.0.0.1:\(closed)/"])
        #expect(
            forwarded.stdoutText.hasPrefix("sockscope proxy: the destination could not be reached") && forwarded.stdoutText.hasSuffix("502"), "\(forwarded)")
        let posted = try await run(
            Paths.curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-x", "http://127.0.0.1:\(port)", "-d", "x=1", page])
        #expect(posted.stdoutText == "501", "POST reaches the origin (Python's http.server answers 501 to POST): \(posted)")
        _ = try await proxy.waitForLine(containing: "asked in HTTP POST for 127.0.0.1:\(webPort)")  // the log names the method
    }

    @Test(
        "16 MiB bodies through the proxy: curl POSTs with Content-Length and chunked (forwarded, and with a 15 KB head), GETs forwarded and through CONNECT — sha256 intact each way"
    )
    func largeBodies() async throws {
        let directory = try TemporaryDirectory.make()
        let data = try randomFile(megabytes: 16, in: directory)
        let (proxy, port) = try await Self.start()
        let origin = try BackgroundProcess(Paths.python, [Paths.peer("http_origin.py"), data])
        defer {
            proxy.kill()
            origin.kill()
        }
        let originPort = try await origin.announcedPort(marker: "", inStdout: true)
        let expected = String(try await sha256(data).prefix(64))
        let through = ["-s", "--max-time", "60", "-x", "http://127.0.0.1:\(port)"]
        // A head near the 16 KiB limit is forwarded whole, however much of it the new socket takes at once.
        for extra in [[], ["-H", "Transfer-Encoding: chunked"], ["-H", "X-Pad: " + String(repeating: "a", count: 15_000)]] {
            let posted = try await run(
                Paths.curl, through + extra + ["--data-binary", "@\(data)", "http://127.0.0.1:\(originPort)/sha256"], timeout: .seconds(90))
            #expect(posted.stdoutText == expected, "POST \(extra.joined().prefix(40)): \(posted.stdoutText.prefix(200)) \(posted.stderr)")
        }
        for tunnel in [[], ["-p"]] {
            let fetched = directory + "/fetched"
            let got = try await run(Paths.curl, through + tunnel + ["-o", fetched, "http://127.0.0.1:\(originPort)/file"], timeout: .seconds(90))
            #expect(got.status == 0, "\(got)")
            #expect(try await sha256(fetched).prefix(64) == expected, "GET \(tunnel)")
        }
    }

    @Test("--tls: curl --proxy https:// (ncat --ssl --proxy-type http) tunnels and forwards, with Basic and Digest; plain HTTP to it fails its handshake")
    func tlsListener() async throws {
        let (proxy, port) = try await Self.start(["--tls", "--auth", "alice:s3cret"])
        let (server, webPort) = try await Self.httpServer()
        defer {
            proxy.kill()
            server.kill()
        }
        let page = "http://127.0.0.1:\(webPort)/hello.txt"
        let proxyURL = "https://127.0.0.1:\(port)"
        for extra in [["-p"], [], ["--proxy-digest"], ["--proxy-digest", "-p"]] {
            let outcome = try await run(
                Paths.curl, ["-s", "--max-time", "10", "--proxy-insecure", "-x", proxyURL, "--proxy-user", "alice:s3cret"] + extra + [page])
            #expect(outcome.stdoutText == "hello through the proxy\n", "\(extra): \(outcome)")
        }
        let noAuth = try await run(Paths.curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--proxy-insecure", "-x", proxyURL, page])
        #expect(noAuth.stdoutText == "407", "\(noAuth)")
        let plain = try await run(Paths.curl, ["-s", "--max-time", "10", "-x", "http://127.0.0.1:\(port)", page])
        #expect(plain.status != 0 && plain.stdoutText.isEmpty, "\(plain)")
        _ = try await proxy.waitForLine(containing: "TLS handshake with 127.0.0.1")
    }

    @Test("--auth: curl with --proxy-user gets through SOCKS5 and HTTP, without it 407 (HTTP) and no method (SOCKS5); --allow-target refuses with 403")
    func authAndTargets() async throws {
        let (proxy, port) = try await Self.start(["--json", "--auth", "alice:s3cret", "--allow-target", "127.0.0.1"])
        let (server, webPort) = try await Self.httpServer()
        defer {
            proxy.kill()
            server.kill()
        }
        let page = "http://127.0.0.1:\(webPort)/hello.txt"
        for proxyArguments in [
            ["--socks5", "127.0.0.1:\(port)"], ["-p", "-x", "http://127.0.0.1:\(port)"], ["--proxy-digest", "-p", "-x", "http://127.0.0.1:\(port)"],
        ] {
            let outcome = try await run(Paths.curl, ["-s", "--max-time", "10", "--proxy-user", "alice:s3cret"] + proxyArguments + [page])
            #expect(outcome.stdoutText == "hello through the proxy\n", "\(proxyArguments): \(outcome)")
        }
        let noAuth = try await run(
            Paths.curl, ["-s", "-o", "/dev/null", "-w", "%{http_connect}", "--max-time", "10", "-p", "-x", "http://127.0.0.1:\(port)", page])
        #expect(noAuth.stdoutText == "407", "\(noAuth)")
        let wrongDigest = try await run(
            Paths.curl,
            [
                "-s", "-o", "/dev/null", "-w", "%{http_connect}", "--max-time", "10", "--proxy-digest", "--proxy-user", "alice:nope", "-p", "-x",
                "http://127.0.0.1:\(port)", page,
            ])
        #expect(wrongDigest.stdoutText == "407", "Digest with a wrong password: \(wrongDigest)")
        let wrong = try await run(Paths.curl, ["-s", "--max-time", "10", "--proxy-user", "alice:nope", "--socks5", "127.0.0.1:\(port)", page])
        #expect(wrong.status != 0 && wrong.stdoutText.isEmpty, "\(wrong)")
        let elsewhere = try await run(
            Paths.curl,
            [
                "-s", "-o", "/dev/null", "-w", "%{http_connect}", "--max-time", "10", "--proxy-user", "alice:s3cret", "-p", "-x", "http://127.0.0.1:\(port)",
                "http://127.0.0.2:\(webPort)/",
            ])
        #expect(elsewhere.stdoutText == "403", "\(elsewhere)")
        _ = try await proxy.waitForLine(containing: "127.0.0.2:\(webPort) is not an allowed target")
        #expect(proxy.stderrText.contains(#""proxy_type":"http","method":"CONNECT","user":"alice""#), "the record names the HTTP method: \(proxy.stderrText)")
        let log = proxy.stderrText
        #expect(log.contains(#""type":"proxy_request""#) && log.contains(#""user":"alice","destination":"127.0.0.1:\#(webPort)","allowed":true"#), "\(log)")
        #expect(log.contains(#""refusal":"wrong user or password for 'alice'""#), "\(log)")
    }

    @Test("ncat --proxy with --proxy-type socks5, socks4 and http, and sockscope connect --proxy with each scheme, through it to an echo peer")
    func ncatAndSockscopeClients() async throws {
        let (proxy, port) = try await Self.start()
        let (target, targetPort) = try await ProxyClientTests.echoTarget()
        defer {
            proxy.kill()
            target.kill()
        }
        for type in ["socks5", "socks4", "http"] {
            let outcome = try await run(
                Paths.ncat, ["--proxy", "127.0.0.1:\(port)", "--proxy-type", type, "127.0.0.1", "\(targetPort)"], input: Array("ping".utf8))
            #expect(outcome.stdoutText == "pingbye", "ncat --proxy-type \(type): \(outcome)")
        }
        for scheme in ["socks5", "socks4", "socks4a", "http"] {
            let outcome = try await sockscope("connect", "--proxy", "\(scheme)://127.0.0.1:\(port)", "127.0.0.1", "\(targetPort)", input: Array("ping".utf8))
            #expect(outcome.stdoutText == "pingbye", "connect --proxy \(scheme)://: \(outcome)")
        }
    }

    @Test(
        "names: SOCKS5 sends the name for the proxy to resolve (socks5h semantics, as ncat and curl --socks5-hostname do), --proxy-dns local resolves it here",
        .enabled(if: Paths.isRoot, "skipped: needs root for a mount namespace with its own /etc/hosts"))
    func names() async throws {
        let (target, targetPort) = try await ProxyClientTests.echoTarget()
        defer { target.kill() }
        let webPort = try freePort()
        let script = """
            \(Paths.sockscope) proxy 127.0.0.1 0 2> log & proxy=$!
            for i in $(seq 100); do grep -q 'listening on' log && break; sleep 0.05; done
            port=$(sed -n 's/.*listening on 127.0.0.1:\\([0-9]*\\).*/\\1/p' log | head -1)
            printf ping | \(Paths.sockscope) connect --proxy socks5://127.0.0.1:$port peer.test \(targetPort); echo
            printf ping | \(Paths.sockscope) connect --proxy socks5://127.0.0.1:$port --proxy-dns local peer.test \(targetPort); echo
            printf ping | \(Paths.ncat) --proxy 127.0.0.1:$port --proxy-type socks5 peer.test \(targetPort); echo
            echo 'hello by name' > page.txt
            \(Paths.python) -m http.server --bind 127.0.0.1 \(webPort) > /dev/null 2>&1 & web=$!
            for i in $(seq 100); do \(Paths.curl) -s -o /dev/null http://127.0.0.1:\(webPort)/ && break; sleep 0.05; done
            \(Paths.curl) -s --max-time 10 --socks5-hostname 127.0.0.1:$port http://peer.test:\(webPort)/page.txt
            kill $web $proxy; wait $proxy || true; cat log
            """
        let outcome = try await inLookupSandbox("cd \(try TemporaryDirectory.make())\n" + script, netns: false)
        let lines = outcome.stdoutText.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(4)) == ["pingbye", "pingbye", "pingbye", "hello by name"], "\(outcome)")
        #expect(outcome.stdoutText.contains("client 1 (127.0.0.1:"), "\(outcome)")
        let requests = lines.filter { $0.contains("asked in SOCKS5") }
        #expect(requests.count == 4, "\(outcome)")
        #expect(requests.last?.hasSuffix("for peer.test:\(webPort)") == true, "curl --socks5-hostname sent the name: \(requests)")
        #expect(requests.first?.hasSuffix("for peer.test:\(targetPort)") == true, "the name went to the proxy: \(requests)")
        #expect(requests.dropFirst().first?.hasSuffix("for 127.0.0.1:\(targetPort)") == true, "--proxy-dns local sent the address: \(requests)")
    }

    @Test("a client that says nothing holds up no one (requests are read on the event loop); Ctrl-C ends the proxy with 130")
    func silentClientAndInterrupt() async throws {
        let (proxy, port) = try await Self.start()
        let (target, targetPort) = try await ProxyClientTests.echoTarget()
        defer {
            proxy.kill()
            target.kill()
        }
        let silent = try BackgroundProcess(Paths.python, ["-c", "import socket, time; s = socket.create_connection(('127.0.0.1', \(port))); time.sleep(30)"])
        defer { silent.kill() }
        let outcome = try await sockscope("connect", "--proxy", "socks5://127.0.0.1:\(port)", "127.0.0.1", "\(targetPort)", input: Array("ping".utf8))
        #expect(outcome.stdoutText == "pingbye", "\(outcome)")
        kill(proxy.pid, SIGINT)
        #expect(try await proxy.finish(timeout: .seconds(10)) == 130)
    }

    @Test("-w: a destination that drops the SYN (its accept queue is full) is SOCKS5 reply 6 after 1 s, which connect --proxy names (exit 75)")
    func destinationTimeout() async throws {
        let full = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, time
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
                port = s.getsockname()[1]
                held = []
                for _ in range(3):  # non-blocking: the later SYNs are dropped, their connects stay pending
                    c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.1', port)); held.append(c)
                time.sleep(0.2)
                print(port, flush=True)
                time.sleep(20)
                """,
            ])
        defer { full.kill() }
        let fullPort = try await full.announcedPort(marker: "", inStdout: true)
        let (proxy, port) = try await Self.start(["-w", "1"])
        defer { proxy.kill() }
        let outcome = try await sockscope("connect", "--proxy", "socks5://127.0.0.1:\(port)", "127.0.0.1", "\(fullPort)", input: [])
        #expect(outcome.status == 75 && outcome.stderr.contains("TTL expired (reply 6)"), "\(outcome)")
        _ = try await proxy.waitForLine(containing: "was not ready within 1 s (waiting for connect())")
    }

    @Test("usage: proxy takes [ADDR] PORT; --auth takes USER:PASS")
    func usage() async throws {
        try await expectFailure(["proxy"], "proxy takes [ADDR] PORT")
        try await expectFailure(["proxy", "127.0.0.1", "1080", "x"], "proxy takes [ADDR] PORT")
        try await expectFailure(["proxy", "--auth", "alice", "1080"], "--auth takes USER:PASS")
        try await expectFailure(["proxy", "--allow-target", "300.1.1.1", "1080"], "300.1.1.1")
    }
}
