import ArgumentParser
import SockscopeCore

struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Serve as a SOCKS5, SOCKS4 and HTTP CONNECT proxy, each request logged.",
        discussion: """
            Listens on [ADDR] PORT (loopback when no address is given) and tells each client's \
            protocol by its first byte: SOCKS 5 (CONNECT; no auth, or user and password with \
            --auth), SOCKS 4 and 4a (no auth only), or HTTP: CONNECT, and GET, HEAD, POST, PUT, \
            DELETE, OPTIONS and PATCH of an absolute http:// URL forwarded as a forward proxy does \
            (hop-by-hop fields removed, Via added, one request per connection; curl -x without \
            -p); Digest or Basic auth with --auth; other methods get 405, and an error's body \
            says why. --tls puts the proxy's own listener under TLS (--cert and --key, or an \
            ephemeral certificate), as ncat --ssl --proxy-type http does: clients speak to it \
            through TLS (curl --proxy https://…), and a CONNECT tunnel then carries theirs. The \
            destination may be an address or a name (resolved here \
            with getaddrinfo); --allow-target limits where clients may go (refused: SOCKS5 reply \
            2, SOCKS4 91, HTTP 403). The reply waits for the destination's answer, so a refused \
            port is SOCKS5 reply 5 or HTTP 502, as the client's tools expect. -4 and -6 limit \
            the destinations too (the other family: HTTP 504, SOCKS5 reply 8, as ncat's proxy). \
            HTTP heads may end their lines with CR LF or LF and fold a field over lines; a \
            request line over 8 KiB is 414, a head over 16 KiB 413, text that is no request \
            400. Then bytes pass both ways on one event loop, as with `forward`.

            Every request is logged on stderr (-v: also the connection's end), or with --json \
            one proxy_request record each, then forward_connected, forward_finished and \
            forward_failed records. Runs until Ctrl-C (exit 130) or SIGTERM (143).

            Examples:
              sockscope proxy 1080
              curl --socks5-hostname 127.0.0.1:1080 http://127.0.0.1:8080/
              sockscope proxy --auth alice:s3cret --allow-target 127.0.0.0/8 3128
              curl -p -x http://alice:s3cret@127.0.0.1:3128 http://127.0.0.1:8080/
            """
    )

    @Argument(help: ArgumentHelp("[ADDR] PORT", valueName: "address-and-port"))
    var givenWords: [String] = []

    /// The words, each `HOST:PORT` or `[V6]:PORT` as two.
    var words: [String] { Habits.splittingHostPorts(givenWords) }

    @OptionGroup var setup: SetupTimeoutOptions

    @OptionGroup(title: "Address family") var family: FamilyOptions

    @OptionGroup(title: "Access") var access: AccessOptions

    @OptionGroup(title: "TLS with clients (the proxy's own listener over TLS)") var tls: ServerTLSOptions

    @Option(
        name: .customLong("backlog"),
        help: ArgumentHelp(
            "Queue length for connections not yet accepted (default \(ListenRequest.relayBacklog): a relay takes bursts; the kernel caps it at net.core.somaxconn).",
            valueName: "n"))
    var backlog: Int32?

    @Option(
        name: .customLong("auth"), help: ArgumentHelp("Require this user and password (SOCKS5 user/password, HTTP Digest or Basic).", valueName: "user:pass"))
    var auth: String?

    @Option(
        name: .customLong("allow-target"),
        help: ArgumentHelp("Let clients reach only these destinations (addresses, CIDR blocks; repeatable). Default: any.", valueName: "addr"))
    var allowTargets: [String] = []

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Narrate each connection: the request, the destination's answer, the counts at the end.")
    var verbose = false

    @OptionGroup(title: "Output") var output: OutputOptions

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        guard words.count == 1 || words.count == 2 else { throw ValidationError("proxy takes [ADDR] PORT (got \(words.count) words)") }
        if let auth, !auth.contains(":") { throw ValidationError("--auth takes USER:PASS") }
        if let backlog, backlog < 0 { throw ValidationError("--backlog must be 0 or more") }
    }

    func run() throws {
        color.values.apply()
        try CommandRunner.run(json: output.json) { () throws(SockscopeError) in try serve() }
    }

    private func serve() throws(SockscopeError) {
        let bind = try family.listenAddress(words.count == 2 ? words[0] : nil, port: words.last ?? "")
        var targets = AccessControl()
        for text in allowTargets { targets.allow += try AccessControl.blocks(parsing: text) }
        let credentials = auth.map { text in
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            return (user: String(parts[0]), password: parts.count > 1 ? String(parts[1]) : "")
        }
        let tracer = Diagnostics.tracer(verbose: verbose)
        let reporter = ListenerReporter(json: output.json, tracer: tracer, announce: true, dualStack: false, protocolName: "tcp")
        let events = ForwardReporter(json: output.json, tracer: tracer, proxy: true)
        var proxyPolicy = ProxyServerPolicy(credentials: credentials, targets: targets)
        proxyPolicy.family = family.values.family
        var policy = try access.policy()
        if let configuration = try tls.values.configurationIfEnabled(role: .server) {
            let context = try TLSContext(configuration)
            context.announceIfEphemeral(json: output.json)
            policy.tls = TLSService(context: context, bridged: false)
        }
        let server = try ForwardServer(
            ListenRequest(address: bind, type: .stream, backlog: backlog ?? ListenRequest.relayBacklog),
            route: .proxy(proxyPolicy),
            policy: policy, tracer: tracer, events: reporter.report, forwardEvents: events.report)
        if let timeout = setup.timeout { server.setupTimeout = timeout.duration }
        try server.run()
    }
}
