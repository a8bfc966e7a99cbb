import ArgumentParser
import SockscopeCore

struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Relay each client to its own connection to a target, like socat TCP-LISTEN:PORT,fork TCP:HOST:PORT.",
        discussion: """
            Accepts TCP clients on [LISTEN-ADDR] PORT (loopback when no address is given) and connects \
            each to TARGET-HOST TARGET-PORT, all on one event loop: bytes pass both ways, a FIN on one \
            leg becomes shutdown(SHUT_WR) on the other (a half-close passes through), a reset is \
            passed on as a reset, and a target that refuses resets the client. --allow/--deny and \
            --max-clients choose the clients. -v narrates each connection: the target's answer, \
            each FIN passed on, bytes each way and who closed first; --json writes one record per \
            event on stderr (forward_connected, forward_half_closed, forward_finished, forward_failed).

            Faults, as toxiproxy makes them but without netem: --delay (and --jitter) holds each \
            chunk, --rate paces, --slice splits writes into separate segments (to test a \
            program's framing against "sticky packets"), --reset-after, --close-after and \
            --stall-after end a direction after an exact byte count, --refuse resets a share of \
            new clients. They apply both ways unless --upstream (client→target) or --downstream \
            (target→client) picks one; -v says them at the start and each time a limit acts \
            (JSON: forward_faults, forward_fault, forward_refused).

            --tls (with --cert and --key, or an ephemeral certificate) ends each client's TLS \
            here and --target-tls starts TLS to the target (verified unless --target-insecure), \
            so an encrypted service can be watched in clear with -v, --hexdump or --tap; either \
            or both. --proxy URL reaches the target through a SOCKS or HTTP CONNECT proxy, a tunnel per \
            client (connect's proxy options; a refusal resets the client and is explained). \
            -U PATH listens on a Unix socket instead, --target-unix PATH connects to one (either \
            side or both: watch what a program says to a local daemon). -u forwards UDP: the first datagram from a source opens its session, a socket of \
            its own connect()ed to the target (which sees each source as its own port); answers \
            go back to that source; the session ends after -i seconds (default 60) without a \
            datagram either way. --max-clients limits the sessions.

            Runs until Ctrl-C (exit 130) or SIGTERM (143).

            Examples:
              sockscope forward 8080 127.0.0.1 80
              sockscope forward -v --allow 127.0.0.1 0.0.0.0 2222 10.0.0.5 22
              sockscope forward --downstream --delay 200 --jitter 50 8080 127.0.0.1 80
              sockscope forward --slice 1 --upstream 5433 127.0.0.1 5432
              sockscope forward -v --hexdump 2375 --target-unix /run/docker.sock
            """
    )

    @Argument(help: ArgumentHelp("[LISTEN-ADDR] PORT TARGET-HOST TARGET-PORT (either pair also as HOST:PORT or [V6]:PORT)", valueName: "address-and-target"))
    var givenWords: [String] = []

    /// The words, each `HOST:PORT` or `[V6]:PORT` as two.
    var words: [String] { Habits.splittingHostPorts(givenWords) }

    @Option(
        name: [.customShort("U"), .customLong("unix")],
        help: ArgumentHelp("Listen on this Unix socket instead of [LISTEN-ADDR] PORT (@name: abstract).", valueName: "path"), completion: .file())
    var unixPath: String?

    @Option(
        name: .customLong("target-unix"),
        help: ArgumentHelp("Connect each client to this Unix socket instead of TARGET-HOST TARGET-PORT.", valueName: "path"), completion: .file())
    var targetUnixPath: String?

    @Flag(name: [.customShort("u"), .customLong("udp")], help: "Forward UDP: a session per source, its own socket to the target, ended after -i of silence.")
    var udp = false

    @Option(
        name: [.customShort("i"), .customLong("idle-timeout")],
        help: ArgumentHelp("With -u: end a source's session after this many seconds without a datagram either way (default 60).", valueName: "secs"))
    var idleTimeout: Seconds?

    @OptionGroup var setup: SetupTimeoutOptions

    @OptionGroup(title: "Address family") var family: FamilyOptions

    @OptionGroup(title: "Access") var access: AccessOptions

    @Option(
        name: .customLong("backlog"),
        help: ArgumentHelp(
            "Queue length for connections not yet accepted (default \(ListenRequest.relayBacklog): a relay takes bursts; the kernel caps it at net.core.somaxconn).",
            valueName: "n"))
    var backlog: Int32?

    @OptionGroup(title: "Faults") var faults: FaultOptions

    @OptionGroup(title: "Packet capture (the tap)") var tap: TapOptions

    @OptionGroup(title: "Proxy") var proxy: ProxyOptions

    @OptionGroup(title: "TLS with clients (terminate)") var tls: ServerTLSOptions

    @OptionGroup(title: "TLS to the target (originate)") var targetTLS: TargetTLSOptions

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Narrate each connection: the target's answer, each FIN passed on, the counts at the end.")
    var verbose = false

    @Flag(
        name: .customLong("hexdump"),
        help: "Show what passes as a hex dump on stderr, each chunk headed by its connection and direction (> client→target, < target→client).")
    var hexdump = false

    @OptionGroup(title: "Output") var output: OutputOptions

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        if hexdump && output.json { throw ValidationError("--hexdump writes text; with --json, count the bytes from the forward_finished records") }
        if idleTimeout != nil && !udp { throw ValidationError("-i/--idle-timeout ends UDP sessions (-u); a TCP connection ends with its FIN") }
        if udp && setup.timeout != nil { throw ValidationError("-w/--timeout bounds a TCP target's connect; a UDP session has none (see -i)") }
        if let backlog, backlog < 0 { throw ValidationError("--backlog must be 0 or more") }
        if udp && backlog != nil { throw ValidationError("--backlog is the queue of TCP connections not yet accepted; -u has none") }
        if let idleTimeout, idleTimeout.duration <= .zero { throw ValidationError("-i/--idle-timeout must be more than 0 seconds") }
        if udp && !faults.faults.isEmpty {
            throw ValidationError("the faults (--delay, --rate, --slice, --…-after, --refuse) act on TCP streams; -u forwards datagrams as they come")
        }
        if tap.enabled && (udp || unixPath != nil || targetUnixPath != nil) {
            throw ValidationError("--tap (and --tap-interface, --tap-payload, --pcap-out, --diagram, --plot) follows TCP connections: both legs must be TCP")
        }
        if tap.values.followTimeWait { throw ValidationError("--follow-timewait follows one connection; forward serves many (use `sockscope sockets`)") }
        if proxy.proxy != nil && (udp || targetUnixPath != nil) {
            throw ValidationError("--proxy tunnels the target leg over TCP; -u and --target-unix do not go through proxies")
        }
        if proxy.proxy != nil && tap.enabled {
            throw ValidationError("--tap captures the leg to the target; through --proxy that leg goes to the proxy: tap the proxy's port with `sockscope tap`")
        }
        if udp && (tls.tls || targetTLS.tls) { throw ValidationError("--tls and --target-tls run over streams; -u forwards datagrams") }
        if udp && (unixPath != nil || targetUnixPath != nil) { throw ValidationError("-u forwards UDP; -U and --target-unix are Unix stream sockets") }
        let listenWords = words.count - (targetUnixPath == nil ? 2 : 0)
        guard unixPath == nil ? (listenWords == 1 || listenWords == 2) : listenWords == 0 else {
            let listen = unixPath == nil ? "[LISTEN-ADDR] PORT" : "(-U PATH)"
            let target = targetUnixPath == nil ? "TARGET-HOST TARGET-PORT" : "(--target-unix PATH)"
            throw ValidationError("forward takes \(listen) \(target) (got \(words.count) word\(words.count == 1 ? "" : "s"))")
        }
    }

    func run() throws {
        color.values.apply()
        try CommandRunner.run(json: output.json) { () throws(SockscopeError) in try forward() }
    }

    /// The address to listen on and the target, from the words, -U and --target-unix; with
    /// --proxy, the target is the proxy and the route says where it is to connect.
    private func addresses(protocolName: String) throws(SockscopeError) -> (bind: SocketAddress, target: SocketAddress, route: ForwardRoute?) {
        let target: SocketAddress
        var listenWords = words[...]
        var route: ForwardRoute?
        if let proxyURL = try proxy.values.proxyURL() {
            listenWords = words.dropLast(2)
            let targetPort = try PortNumber.parse(words[words.count - 1], allowZero: false, protocolName: "tcp")
            let destination = try proxy.values.destination(host: words[words.count - 2], port: targetPort, proxy: proxyURL, family: family.family)
            _ = try ProxyClientHandshake(proxy: proxyURL, destination: destination)  // SOCKS4 and IPv6: a usage error now
            guard let address = try HostResolver.resolve(proxyURL.host, port: proxyURL.port, family: family.family, type: .stream).first else {
                throw .usage("no address for the proxy '\(proxyURL.host)'")
            }
            target = address
            route = .throughProxy(address: address, proxy: proxyURL, destination: destination)
        } else if let targetUnixPath {
            target = .unix(try UnixSocketPath(parsing: targetUnixPath))
        } else {
            listenWords = words.dropLast(2)
            let targetHost = words[words.count - 2]
            let targetPort = try PortNumber.parse(words[words.count - 1], allowZero: false, protocolName: protocolName)
            let type: SocketType = udp ? .datagram : .stream
            guard let resolved = try HostResolver.resolve(targetHost, port: targetPort, family: family.family, type: type).first else {
                throw .usage("no address for '\(targetHost)'")
            }
            target = resolved
        }
        if let unixPath { return (.unix(try UnixSocketPath(parsing: unixPath)), target, route) }
        let bind = try family.listenAddress(listenWords.count == 2 ? listenWords.first : nil, port: listenWords.last ?? "", protocolName: protocolName)
        return (bind, target, route)
    }

    private func forward() throws(SockscopeError) {
        let protocolName = udp ? "udp" : "tcp"
        let (bind, target, proxyRoute) = try addresses(protocolName: protocolName)
        let calls = tap.values.callLog(verbose: verbose)
        let tracer = Diagnostics.tracer(verbose: verbose, calls: calls)
        let reporter = ListenerReporter(
            json: output.json, tracer: tracer, announce: true, dualStack: false, protocolName: unixPath != nil ? "unix" : protocolName)
        var events = ForwardReporter(json: output.json, tracer: tracer)
        if udp {
            let idle = idleTimeout?.duration ?? .seconds(60)
            events.idle = idle
            events.datagrams = true
            let server = try DatagramForwardServer(
                ListenRequest(address: bind, type: .datagram), target: target, policy: try access.policy(), idle: idle, tracer: tracer,
                events: reporter.report, forwardEvents: events.report)
            if hexdump { server.observe = ForwardHexDump().record }
            if !output.json { tracer.record("forwarding UDP \(server.address) → \(target), a session per source") }
            try server.run()
            return
        }
        var request = ListenRequest(address: bind, type: .stream, backlog: backlog ?? ListenRequest.relayBacklog)
        var policy = try access.policy()
        if let configuration = try tls.values.configurationIfEnabled(role: .server) {
            let context = try TLSContext(configuration)
            context.announceIfEphemeral(json: output.json)
            policy.tls = TLSService(context: context, bridged: false)
        }
        let recorder = try TapRecorder(options: tap.values, calls: calls)
        if tap.enabled { request.beforeListen = { bound throws(SockscopeError) in try recorder.startForwarding(bound, target: target) } }
        let server = try ForwardServer(
            request, route: proxyRoute ?? .fixed(target), policy: policy, tracer: tracer, faults: faults.faults,
            events: reporter.report, forwardEvents: events.report)
        if hexdump { server.observe = ForwardHexDump().record }
        if let timeout = setup.timeout { server.setupTimeout = timeout.duration }
        if let configuration = try targetTLS.values.configurationIfEnabled(role: .client) {
            let host = targetUnixPath == nil ? words[words.count - 2] : nil
            let isAddress = host.map { IPAddress($0) != nil } ?? true
            server.targetTLS = (try TLSContext(configuration), targetTLS.sni ?? (isAddress ? nil : host), targetTLS.sni ?? host)
        }
        if !output.json { tracer.record("forwarding \(server.address) → \(target)") }
        events.announce(faults.faults)
        do {
            try server.run()
        } catch {
            // Ctrl-C ends a forward: the tap's summary and pcap file first.
            try? recorder.finish()
            throw error
        }
    }
}

extension AccessOptions {
    /// The listener's policy from these options (address rules read, files included).
    func policy() throws(SockscopeError) -> Listener.Policy {
        Listener.Policy(access: try Self.control(allow: allow, deny: deny, allowFile: allowFile, denyFile: denyFile), maxClients: maxClients)
    }

    /// The access rules from --allow, --deny and their files, read once.
    static func control(allow: [String], deny: [String], allowFile: String?, denyFile: String?) throws(SockscopeError) -> AccessControl {
        var control = AccessControl()
        for text in allow { control.allow += try AccessControl.blocks(parsing: text) }
        for text in deny { control.deny += try AccessControl.blocks(parsing: text) }
        if let allowFile { control.allow += try AccessControl.blocks(fromFile: allowFile) }
        if let denyFile { control.deny += try AccessControl.blocks(fromFile: denyFile) }
        return control
    }
}

/// `forward --hexdump`: each chunk under a line naming its connection and direction,
/// offsets counted per connection and direction.
final class ForwardHexDump {
    private var offsets: [String: Int] = [:]

    func record(_ client: Int, _ from: ForwardEvent.Leg, _ bytes: UnsafeRawBufferPointer) {
        let key = "\(client) \(from.rawValue)"
        let start = offsets[key] ?? 0
        offsets[key] = start + bytes.count
        let direction = from == .client ? "client→target" : "target→client"
        Diagnostics.raw(
            "client \(client) \(direction), \(counted(bytes.count, "byte")):\n" + HexDump.lines(bytes, mark: from == .client ? ">" : "<", start: start))
    }
}
