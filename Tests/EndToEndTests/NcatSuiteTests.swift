import Testing

/// ncat's own suite (nmap's `ncat/test/ncat-test.pl`), case by case where sockscope can
/// express it: Tests/Peers/ncat_cases.py drives sockscope listeners and clients through
/// pipes as that suite drives ncat (and Python sockets where it uses raw ones), and
/// a few with ncat itself at the other end.
/// docs/ncat-cases.md maps every one of its cases to a case here or says why there is
/// none (TLS, proxies, SCTP and Lua are not sockscope's, or not yet). ncat's
/// `test-addrset.sh` is ported in SockscopeCoreTests/AddressSetTests.swift.
@Suite("ncat's test cases")
struct NcatSuiteTests {
    static let plain = [
        "listen-any-address-ipv4-client",
        "listen-any-address-ipv6-client",
        "listen-4-any-address",
        "listen-6-any-address",
        "udp-listen-4-ipv4-client",
        "udp-listen-4-ignores-ipv6-client",
        "udp-listen-6-ipv6-client",
        "udp-listen-6-ignores-ipv4-client",
        "udp-listen-any-address-both-families",
        "unix-stream",
        "unix-datagram",
        "exit-connect-success",
        "exit-connect-refused",
        "exit-connect-reset",
        "exit-listen-success",
        "exit-listen-reset",
        "exit-usage-error",
        "output-file-both-ends-tcp",
        "output-file-both-ends-udp",
        "verbose-goes-to-stderr",
        "client-half-closes-and-keeps-reading",
        "send-only-client-stops-after-stdin",
        "server-half-closes-and-keeps-reading",
        "send-only-server-stops-after-stdin",
        "client-closes-stdout-at-peer-eof-and-stops",
        "client-closes-stdout-at-peer-eof-keep-sending",
        "recv-only-client-stops-at-peer-eof",
        "server-closes-stdout-at-peer-eof-and-stops",
        "server-closes-stdout-at-peer-eof-keep-sending",
        "recv-only-server-stops-at-peer-eof",
        "server-quits-without-keep-open",
        "exec-server-quits-without-keep-open",
        "second-client-refused-without-keep-open",
        "keep-open-serves-two-clients",
        "keep-open-exec-serves-two-clients-tcp",
        "keep-open-exec-serves-two-clients-udp",
        "exec-upper-case-tcp",
        "exec-upper-case-udp",
        "sh-exec-upper-case-tcp",
        "sh-exec-upper-case-udp",
        "exec-program-exits-at-once-tcp",
        "exec-program-exits-at-once-udp",
        "exec-environment-tcp",
        "exec-environment-udp",
        "sh-exec-environment-tcp",
        "sh-exec-environment-udp",
        "exec-environment-tls",
        "sh-exec-environment-tls",
        "tls-listener-ends-after-failed-handshake",
        "connect-exec-environment-tcp",
        "connect-exec-environment-udp",
        "connect-exec-both-ways",
        "connect-exec-through-proxy",
        "connect-exec-tls",
        "sh-exec-crlf-listen",
        "sh-exec-crlf-connect",
        "connect-exec-relay-reset-is-not-success",
        "socks5-client-auth-allowed-ipv4",
        "socks5-client-auth-allowed-ipv6",
        "socks5-client-auth-allowed-name",
        "socks5-client-no-auth",
        "http-proxy-client-hides-response-ok",
        "http-proxy-client-hides-response-go-ahead",
        "http-proxy-client-hides-response-header",
        "proxy-server-keeps-data-after-request",
        "connect-through-proxy-source-port-http",
        "connect-through-proxy-source-port-socks4",
        "socks5-client-auth-denied",
        "socks5-client-login-too-long",
        "socks5-client-bad-answers-short",
        "socks5-client-bad-answers-no-method",
        "socks5-client-bad-answers-unknown-code",
        "udp-max-clients-0",
        "udp-max-clients-1",
        "udp-max-clients-3",
        "udp-max-clients-1-exec",
        "probe-udp-sends-nul-exit-0",
        "proxy-client-prefers-digest",
        "proxy-client-prefers-digest-comma-separated",
        "proxy-client-digest-auth",
        "proxy-client-digest-auth-no-qop",
        "proxy-client-scheme-without-params",
        "proxy-client-scheme-without-params-comma-separated",
        "proxy-client-basic-sends-credentials-as-given",
        "proxy-client-digest-through-ncat-proxy",
        "proxy-server-bad-request",
        "proxy-server-connect-no-port",
        "proxy-server-overlong-request-line",
        "proxy-server-overlong-header",
        "proxy-server-bare-lf",
        "proxy-server-lws-tcp",
        "proxy-server-lws-tls",
        "proxy-server-basic-auth-tcp",
        "proxy-server-basic-auth-tls",
        "proxy-server-digest-wrong-user",
        "proxy-server-digest-wrong-pass",
        "proxy-server-digest-correct-auth",
        "proxy-server-digest-correct-auth-no-qop",
        "proxy-server-digest-missing-fields",
        "proxy-server-digest-prevents-replay",
        "ncat-digest-client-through-sockscope-proxy",
        "proxy-server-get-hostname-only",
        "proxy-server-get-path-only",
        "proxy-server-get-absolute-uri",
        "proxy-server-get-removes-connection-fields",
        "proxy-server-post-bodies",
        "proxy-server-unknown-method",
        "proxy-server-4-refuses-ipv6-destination",
        "proxy-server-6-refuses-ipv4-destination",
        "crlf-on-what-is-sent-tcp",
        "crlf-on-what-is-sent-udp",
        "crlf-server-leaves-what-it-receives-tcp",
        "crlf-server-leaves-what-it-receives-udp",
        "crlf-client-leaves-what-it-receives",
        "idle-timeout-connect-tcp",
        "idle-timeout-connect-udp",
        "idle-timeout-listen-tcp",
        "idle-timeout-listen-udp",
        "send-only-client-tcp",
        "send-only-client-udp",
        "send-only-server-tcp",
        "send-only-server-udp",
        "recv-only-client-tcp",
        "recv-only-server-tcp",
        "recv-only-server-udp",
        "send-only-broker",
        "broker-relays-between-clients",
        "broker-ipv4-and-ipv6-clients",
        "connect-source-port",
        "unix-datagram-source-path",
        "allow-ipv4-address-tcp",
        "allow-ipv4-address-udp",
        "allow-other-refuses-tcp",
        "allow-other-refuses-udp",
        "allow-accumulates-tcp",
        "allow-accumulates-udp",
        "deny-ipv4-address-tcp",
        "deny-ipv4-address-udp",
        "deny-other-serves-tcp",
        "deny-other-serves-udp",
        "deny-accumulates-tcp",
        "deny-accumulates-udp",
        "allow-and-deny-deny-wins-tcp",
        "allow-and-deny-deny-wins-udp",
        "max-clients-0-keep-open",
        "max-clients-0-broker",
        "max-clients-0-keep-open-exec",
        "max-clients-1-keep-open",
        "max-clients-1-broker",
        "max-clients-1-keep-open-exec",
        "max-clients-10-keep-open",
        "max-clients-10-broker",
        "max-clients-10-keep-open-exec",
        "max-clients-0-without-keep-open",
        "max-clients-0-exec-without-keep-open",
        "keep-open-counts-clients-that-left",
        "broker-counts-clients-that-left",
        "probe-open-port",
        "probe-refused-port-tcp",
        "probe-refused-port-udp",
        "probe-udp-listener-not-closed",
        "broker-crlf-on-stdin",
        "ncat-send-only-to-sockscope-listener",
        "sockscope-recv-only-from-ncat-listener",
        "sockscope-crlf-to-ncat-listener",
        "ncat-broker-sockscope-clients",
        "sockscope-broker-ncat-clients",
        "exec-environment-seen-by-ncat-client",
        "output-file-both-ends-dtls",
        "exec-upper-case-dtls",
        "sh-exec-upper-case-dtls",
        "exec-program-exits-at-once-dtls",
        "exec-environment-dtls",
        "sh-exec-environment-dtls",
        "connect-exec-environment-dtls",
        "crlf-on-what-is-sent-dtls",
        "crlf-server-leaves-what-it-receives-dtls",
        "idle-timeout-connect-dtls",
        "idle-timeout-listen-dtls",
        "send-only-client-dtls",
        "send-only-server-dtls",
        "recv-only-server-dtls",
        "allow-ipv4-address-dtls",
        "allow-other-refuses-dtls",
        "allow-accumulates-dtls",
        "deny-ipv4-address-dtls",
        "deny-other-serves-dtls",
        "deny-accumulates-dtls",
        "allow-and-deny-deny-wins-dtls",
    ]

    /// Cases that resolve `localhost`: run in a lookup sandbox whose /etc/hosts has
    /// 127.0.0.1 and ::1 for it, so no lookup leaves the machine.
    static let named = [
        "connect-falls-back-to-ipv4-server",
        "connect-to-ipv6-server-by-name",
        "allow-host-name-tcp",
        "allow-host-name-udp",
        "deny-host-name-tcp",
        "deny-host-name-udp",
        "allow-file-lines-tcp",
        "allow-file-lines-udp",
        "deny-file-lines-tcp",
        "deny-file-lines-udp",
        "allow-file-one-line-tcp",
        "allow-file-one-line-udp",
        "deny-file-one-line-tcp",
        "deny-file-one-line-udp",
        "allow-host-name-dtls",
        "deny-host-name-dtls",
        "allow-file-lines-dtls",
        "deny-file-lines-dtls",
        "allow-file-one-line-dtls",
        "deny-file-one-line-dtls",
    ]

    /// The plain cases run in this many lanes at once, each lane's one after another: a
    /// case times sessions in seconds, so the machine must not be swamped by all of them.
    static let lanes = 4

    static func drive(_ names: [String], sandboxed: Bool = false) async throws -> Outcome {
        let arguments = [Paths.peer("ncat_cases.py"), Paths.sockscope] + names
        if sandboxed {
            return try await inLookupSandbox("exec \(Paths.python) \(arguments.joined(separator: " "))", netns: false, timeout: .seconds(120))
        }
        return try await run(Paths.python, arguments, timeout: .seconds(400))
    }

    /// Every case of `names` printed PASS (each failure is reported with its reason).
    static func expectPassed(_ names: [String], _ outcome: Outcome) {
        let lines = Set(outcome.stdoutText.split(separator: "\n").map(String.init))
        for name in names {
            #expect(lines.contains("PASS \(name)"), "\(name): \(lines.first { $0.hasPrefix("FAIL \(name):") } ?? "no result")")
        }
        #expect(outcome.status == 0, "\(outcome)")
    }

    @Test("ncat's cases, one lane of them", arguments: 0..<lanes)
    func lane(_ index: Int) async throws {
        let names = Self.plain.indices.filter { $0 % Self.lanes == index }.map { Self.plain[$0] }
        Self.expectPassed(names, try await Self.drive(names))
    }

    @Test("ncat's cases that resolve localhost, in a lookup sandbox")
    func namedCases() async throws {
        Self.expectPassed(Self.named, try await Self.drive(Self.named, sandboxed: true))
    }

    @Test("the driver's cases are exactly the ones run here")
    func everyCaseRuns() async throws {
        let outcome = try await Self.drive(["--list"])
        let listed = outcome.stdoutText.split(separator: "\n").map(String.init)
        let here = Self.plain + Self.named.map { "\($0) named" }
        #expect(listed.count == here.count && Set(listed) == Set(here), "\(outcome)")
    }
}
