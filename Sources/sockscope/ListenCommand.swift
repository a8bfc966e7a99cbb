import ArgumentParser
import Glibc
import SockscopeCore

struct ListenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Listen on [ADDR] PORT, accept a client, and relay it to stdin/stdout (or echo).",
        discussion: """
            Binds all addresses by default (IPv6 and IPv4 on one dual-stack socket; -4 or -6 for one \
            family). Port 0 asks the kernel for a free port, which is printed on stderr. SO_REUSEADDR is \
            set, so the listener can restart while old connections sit in TIME-WAIT; --no-reuseaddr \
            shows the EADDRINUSE you get without it.

            Without --keep-open one client is served and the listening socket is closed when it \
            arrives, so a second is refused, as with nc -l. The client's FIN ends only its direction: \
            stdin is still sent to its end, then FIN, so `listen PORT < file` delivers the whole file to \
            a client whose own stdin was empty (--stop-at-peer-close ends at the client's FIN, as ncat -l \
            does). --keep-open serves clients concurrently on \
            one event loop: stdin goes to all of them (and is read only while one is connected, so what \
            it holds before the first client is kept for it), what they send to stdout; --broker sends stdin to every client and relays each client's \
            data to the others (--send-only: stdin only), --chat does so with names (<user1> text, /nick NAME). --allow/--deny (addresses, CIDR blocks, ranges such as 10.0.0.1-20 or 192.168.*.1, host names; comma lists) are \
            checked at accept; refused clients are reset at once and logged. UDP (-u) prints each datagram and sends stdin \
            to whoever sent last, like nc -lu. With -U the listener owns its socket file: it removes a \
            stale one (nothing listening) before binding, and its own when done.

            Examples:
              sockscope listen 8080 > received.bin
              sockscope listen --echo --keep-open 127.0.0.1 7
              sockscope listen --upper 127.0.0.1 0
              sockscope listen -u 127.0.0.1 9999
              sockscope listen -U /tmp/app.sock
            """
    )

    @Argument(help: ArgumentHelp("Local address to bind (default: all), then the port; port 0 picks a free one.", valueName: "addr"))
    var first: String?

    @Argument(
        help: ArgumentHelp("The port, when an address is given first.", valueName: "port"),
        completion: .shellCommand("awk '!/^#/ && NF { split($2, p, \"/\"); print $1; print p[1] }' /etc/services | sort -u"))
    var second: String?

    @OptionGroup(title: "Transport") var transport: TransportOptions

    @OptionGroup(title: "Address family") var family: FamilyOptions

    @Option(
        name: .customLong("backlog"),
        help: ArgumentHelp("Queue length for connections not yet accepted (default \(ListenRequest.defaultBacklog)).", valueName: "n"))
    var backlog: Int32?

    @Flag(name: .customLong("no-reuseaddr"), help: "Do not set SO_REUSEADDR (binding then fails while TIME-WAIT sockets hold the port).")
    var noReuseAddress = false

    @Flag(name: [.customShort("k"), .customLong("keep-open")], help: "Keep listening and serve clients concurrently.")
    var keepOpen = false

    @Flag(help: "How clients are served, when not through stdin/stdout (one of these).")
    var serve: ServeMode?

    @OptionGroup(title: "Program") var program: ProgramOptions

    @Option(
        name: .customLong("accept-timeout"),
        help: ArgumentHelp("Give up when no client has connected within this many seconds (exit 75).", valueName: "secs"))
    var acceptTimeout: Seconds?

    @OptionGroup(title: "Access") var access: AccessOptions

    @OptionGroup(title: "Socket options") var tuning: SocketTuningOptions

    @OptionGroup(title: "Packet capture (the tap)") var tap: TapOptions

    @OptionGroup(title: "Framing") var frame: FrameOptions

    @OptionGroup(title: "Traffic logs") var traffic: TrafficOptions

    @OptionGroup(title: "TLS") var tls: ServerTLSOptions

    @OptionGroup(title: "Session") var session: SessionOptions

    @OptionGroup(title: "Output") var output: OutputOptions

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        try ValidationError.check { () throws(SockscopeError) in _ = try request.positionals() }
        if let backlog, backlog < 0 { throw ValidationError("--backlog must be 0 or more") }
        let exec = request.execCommand != nil
        if transport.udp {
            let streamOnly = [
                ("--broker", broker), ("--chat", chat),
                ("--frame", frame.format != nil), ("--tap", tap.enabled), ("--backlog", backlog != nil),
            ]
            if let (name, _) = streamOnly.first(where: { $0.1 }) {
                throw ValidationError("\(name) serves stream (TCP or Unix) clients, not -u datagrams")
            }
        }
        if exec && ([echo, upper, broker, chat].contains(true) || frame.format != nil) {
            throw ValidationError("--exec/--sh-exec serve clients with a program, not with --echo, --upper, --broker, --chat or --frame")
        }
        if exec && transport.udp && session.idleTimeout != nil {
            throw ValidationError("-i/--idle-timeout with --exec reads TCP's own idle time (TCP_INFO); a UDP program runs until it exits")
        }
        if exec && transport.udp && (traffic.hexdump || traffic.output != nil) {
            throw ValidationError("--hexdump and --output cannot see a program's datagrams: its socket is its own")
        }
        if exec && transport.unixPath != nil && session.idleTimeout != nil {
            throw ValidationError("-i/--idle-timeout with --exec reads TCP's own idle time (TCP_INFO); a Unix socket has none")
        }
        if frame.format != nil && (keepOpen || broker || chat || echo || upper || access.maxClients != nil) {
            throw ValidationError("--frame serves one stream client, without --keep-open, --broker, --chat, --echo, --upper or --max-clients")
        }
        if (traffic.hexdump || traffic.output != nil) && !transport.udp
            && (keepOpen || broker || chat || exec || frame.format != nil || access.maxClients != nil)
        {
            throw ValidationError("--hexdump and --output follow one stream client (not --keep-open, --broker, --chat, --exec, --frame or --max-clients)")
        }
        if transport.unixPath != nil && access.restrictsAddresses {
            throw ValidationError("--allow/--deny match IP addresses; a Unix socket's clients are limited by its file's permissions")
        }
        if transport.unixPath != nil && tap.enabled { throw ValidationError("--tap follows TCP connections, not Unix sockets") }
        if tls.tls && transport.udp && (keepOpen || access.maxClients != nil) {
            throw ValidationError(
                "-u --tls (DTLS) serves one client, its socket connected to that client's address; --keep-open and --max-clients are for TCP with --tls, or -u without it"
            )
        }
        if tls.tls && frame.format != nil { throw ValidationError("--frame works on the socket itself; with --tls, frame the data yourself") }
        if tls.tls && exec && session.idleTimeout != nil {
            throw ValidationError("-i/--idle-timeout with --exec reads TCP's own idle time, which the TLS relay in between hides")
        }
        try validateSession()
    }

    /// stdin/stdout options make sense only where stdin and stdout are the session.
    private func validateSession() throws {
        if let acceptTimeout, acceptTimeout.duration <= .zero { throw ValidationError("--accept-timeout must be more than 0 seconds") }
        if transport.udp && acceptTimeout != nil {
            throw ValidationError("--accept-timeout waits for a stream client; a UDP listener stops with -i/--idle-timeout")
        }
        guard session.values.shapesStandardStreams else { return }
        if request.execCommand != nil && session.crlf && !session.values.shapesBeyondLineEnds {
            // -C with a program: a relay converts its line ends (ncat's -C with --exec).
            if transport.udp { throw ValidationError("-C with --exec converts a stream's line ends; a UDP program has the datagram socket itself") }
            if session.idleTimeout != nil {
                throw ValidationError("-i/--idle-timeout with --exec reads TCP's own idle time, which the -C relay in between hides")
            }
            return
        }
        if broker {
            // A broker's stdin goes to every client: --send-only (stdin only, clients' data not
            // relayed) and -C (its line endings) shape it; the rest has no stream to act on.
            if session.receiveOnly || session.keepSending || session.stopAtPeerClose || session.noHalfClose {
                throw ValidationError(
                    "--broker relays between clients: --recv-only would relay nothing (listen -k --recv-only collects what clients send); --keep-sending, --stop-at-peer-close and --no-half-close need one peer"
                )
            }
            return
        }
        let served = [("--echo", echo), ("--upper", upper), ("--chat", chat), ("--exec/--sh-exec", request.execCommand != nil)]
        if let (name, _) = served.first(where: { $0.1 }) {
            throw ValidationError(
                "--send-only, --recv-only, --keep-sending, --stop-at-peer-close, --crlf and --no-half-close shape a stdin/stdout session; \(name) serves clients itself"
            )
        }
        if frame.format != nil {
            throw ValidationError("--frame sends whole messages; --send-only, --recv-only, --keep-sending, --stop-at-peer-close, --crlf are for raw streams")
        }
        if (session.keepSending || session.stopAtPeerClose) && (keepOpen || transport.udp) {
            throw ValidationError(
                "--\(session.keepSending ? "keep-sending" : "stop-at-peer-close") is about one stream peer closing first; use it without --keep-open and -u")
        }
        if session.noHalfClose && transport.udp { throw ValidationError("--no-half-close is about TCP's FIN; UDP has none") }
    }

    func run() throws { try request.run() }

    private var echo: Bool { serve == .echo }
    private var upper: Bool { serve == .upper }
    private var broker: Bool { serve == .broker }
    private var chat: Bool { serve == .chat }

}

/// How a listener serves its clients itself, rather than relaying them to stdin and
/// stdout: one flag of four, so two are a usage error from the parser.
enum ServeMode: String, EnumerableFlag, Sendable {
    case echo, upper, broker, chat

    static func help(for value: ServeMode) -> ArgumentHelp? {
        switch value {
        case .echo: "Send back everything a client sends."
        case .upper: "Send back everything a client sends, upper-cased (ASCII letters)."
        case .broker: "Send stdin to every client and relay what each sends to every other (implies --keep-open)."
        case .chat: "A broker with names: <user1> text, join and leave notices, /nick NAME (implies --keep-open)."
        }
    }
}

extension ListenCommand.Request {
    var echo: Bool { serve == .echo }
    var upper: Bool { serve == .upper }
    var broker: Bool { serve == .broker }
    var chat: Bool { serve == .chat }

    /// Runs the command, through the command runner.
    func run() throws {
        color.apply()
        try CommandRunner.run(json: output.json) { () throws(SockscopeError) in try listenAndServe() }
    }

    /// The access rules from --allow, --deny and --allow-file.
    private func policy() throws(SockscopeError) -> Listener.Policy {
        let control = try AccessOptions.control(allow: access.allow, deny: access.deny, allowFile: access.allowFile, denyFile: access.denyFile)
        var policy = Listener.Policy(
            access: control, maxClients: access.maxClients, acceptedOptions: tuning.socketOptions.filter { !$0.isListenerOption },
            acceptTimeout: acceptTimeout?.duration)
        policy.tls = try tlsService()
        return policy
    }

    /// The TLS side of the listener (--tls): its context made now, so a bad certificate
    /// or a missing libssl is an error before listening. An ephemeral certificate's
    /// fingerprint is printed, for clients to check.
    private func tlsService() throws(SockscopeError) -> TLSService? {
        guard var configuration = try tls.configurationIfEnabled(role: .server) else { return nil }
        configuration.datagram = transport.udp  // DTLS
        let context = try TLSContext(configuration)
        context.announceIfEphemeral(json: output.json)
        // Every server relays TLS on its own loop; a program (--exec) needs a real
        // descriptor, so its clients' plaintext comes through a bridge.
        return TLSService(context: context, bridged: execCommand != nil)
    }

    /// The program to run per client: --exec split on spaces, or /bin/sh -c for --sh-exec.
    var execCommand: [String]? {
        if let command = program.command { return command }
        return nil
    }

    private var transform: ByteTransform? {
        if upper { return .asciiUppercase }
        if echo { return ByteTransform.none }
        return nil
    }

    private func listenAndServe() throws(SockscopeError) {
        if let program = execCommand?.first { try ProcessSpawner.checkRunnable(program) }
        let calls = tap.callLog(verbose: session.verbose)
        let tracer = Diagnostics.tracer(verbose: session.verbose, calls: calls)
        let type = transport.socketType
        let (address, ipv6Only, askedForAnyPort) = try bindAddress(type: type)
        var request = ListenRequest(
            address: address, type: type, backlog: backlog ?? ListenRequest.defaultBacklog, reuseAddress: !noReuseAddress,
            ipv6Only: ipv6Only, options: tuning.socketOptions.filter(\.isListenerOption))
        // A UDP listener holds 4 MiB of datagrams that arrive faster than it prints them, as recv does.
        if transport.udp && tuning.receiveBuffer == nil { request.options.append(.receiveBufferSize(RecvCommand.defaultReceiveBuffer)) }
        if execCommand != nil, !transport.udp, second == nil, transport.unixPath == nil, family.family == nil, Self.ipv6Available {
            request.alsoListenOn = [.ipv6(.loopback, port: 0)]  // the same port as 127.0.0.1's
        }
        var tap = self.tap
        if tls.enabled && tap.enabled { tap.payload = true }  // the timeline shows the TLS records
        let recorder = try TapRecorder(options: tap, calls: calls)
        if tap.enabled { request.beforeListen = recorder.startListening }
        let reporter = ListenerReporter(
            json: output.json, tracer: tracer, announce: askedForAnyPort || session.verbose,
            dualStack: ipv6Only == false, protocolName: transport.unixPath != nil ? "unix" : transport.protocolName)
        do {
            try serve(request, policy: try policy(), reporter: reporter, tracer: tracer)
        } catch {
            TLSBridge.finishAll(within: .seconds(2))
            try? recorder.finish()
            throw error
        }
        TLSBridge.finishAll(within: .seconds(2))
        try recorder.finish()
    }

    /// Serves in the mode the options chose; every mode goes through the one `Listener`.
    private func serve(_ request: ListenRequest, policy: Listener.Policy, reporter: ListenerReporter, tracer: SocketTracer) throws(SockscopeError) {
        let events: (ListenerEvent) -> Void = { reporter.report($0) }
        if request.type == .datagram, let command = execCommand, let service = policy.tls {
            try serveDTLSProgram(command, request: request, service: service, policy: policy, events: events, tracer: tracer)
        } else if request.type == .datagram, let command = execCommand {
            let options = ExecServer.Options(command: command, mergeStderr: program.mergeStderr, keepOpen: keepOpen || access.maxClients != nil)
            try DatagramExecServer(request, options: options, policy: policy, tracer: tracer, events: events).run()
        } else if request.type == .datagram {
            var options = DatagramRelay.Options(idleTimeout: session.idleTimeout?.duration, echo: transform)
            options.directions = session.directions
            options.crlf = session.crlf
            let log = try traffic.log()
            let report: DatagramRelay.Report
            if let service = policy.tls {
                let server = try DatagramTLSServer(
                    request, service: service, options: options, policy: policy, tracer: tracer, notices: Diagnostics.notices, events: events)
                if let log { server.observer = { log.record($0, $1) } }
                report = try server.run(input: .standardInput, output: 1)
            } else {
                let server = try DatagramServer(request, options: options, policy: policy, tracer: tracer, notices: Diagnostics.notices, events: events)
                if let log { server.observer = { log.record($0, $1) } }
                report = try server.run(input: .standardInput, output: 1)
            }
            try log?.finish()
            reporter.datagramsDone(report)
        } else if let command = execCommand {
            try serveExec(command, request: request, policy: policy, events: events, tracer: tracer)
        } else if frame.format != nil {
            let listener = try Listener(request, policy: policy, tracer: tracer, events: events)
            listener.announce()
            let client = try listener.acceptNext()
            listener.stopListening()
            defer { client.socket.close() }
            let counts = try frame.relay(client.socket, session: session, tuning: tuning)
            events(
                .closed(
                    peer: client.peer, client: client.number,
                    reason: "sent \(counted(counts.messagesSent, "message")), received \(counts.messagesReceived)", report: nil))
        } else if keepOpen || broker || chat || access.maxClients != nil {
            let mode: MultiClientServer.Mode = broker ? .broker : chat ? .chat : transform.map { .echo($0) } ?? .standardStreams
            var options = MultiClientServer.Options(idleTimeout: session.idleTimeout?.duration)
            options.directions = session.directions
            options.crlf = session.crlf
            options.halfClose = !session.noHalfClose
            try MultiClientServer(request, mode: mode, options: options, policy: policy, tracer: tracer, events: events).run()
        } else {
            let behaviour: StreamServer.Behaviour = transform.map { .echo($0) } ?? .standardStreams(input: 0, output: 1)
            let server = try StreamServer(
                request, behaviour: behaviour, relayOptions: session.relayOptions(tuning: tuning),
                policy: policy, tracer: tracer, events: events)
            let log = try traffic.log()
            if let log { server.observer = { log.record($0, $1) } }
            server.peerFinishedFirst = ConnectionReporter.peerFinishedNotice(json: output.json)
            try server.run()
            try log?.finish()
        }
    }

    /// `-u --tls --exec`: one DTLS client's plaintext is the program's stdin and stdout.
    private func serveDTLSProgram(
        _ command: [String], request: ListenRequest, service: TLSService, policy: Listener.Policy, events: @escaping (ListenerEvent) -> Void,
        tracer: SocketTracer
    ) throws(SockscopeError) {
        let server = try DatagramTLSServer(
            request, service: service, options: DatagramRelay.Options(), policy: policy, tracer: tracer, notices: Diagnostics.notices, events: events)
        if let status = try server.runProgram(command, mergeStderr: program.mergeStderr), status != 0 {
            let ending = status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
            Diagnostics.line("sockscope: the program \(PrintableBytes.escaped(Array(command[0].utf8))) \(ending)")
        }
    }

    private func serveExec(
        _ command: [String], request: ListenRequest, policy: Listener.Policy,
        events: @escaping (ListenerEvent) -> Void, tracer: SocketTracer
    ) throws(SockscopeError) {
        let exposed = request.ipv6Only == false || request.address.ipAddress.map({ !$0.isLoopback }) == true
        if exposed, policy.access.allow.isEmpty, transport.unixPath == nil {
            Diagnostics.line(
                "sockscope: warning: \(command.joined(separator: " ")) is served to anyone who can reach \(request.address); restrict it with --allow")
        }
        var options = ExecServer.Options(
            command: command, mergeStderr: program.mergeStderr, keepOpen: keepOpen || access.maxClients != nil, idleTimeout: session.idleTimeout?.duration)
        options.crlf = session.crlf
        try ExecServer(request, options: options, policy: policy, tracer: tracer, events: events).run()
    }

    /// What the positionals say, read without any lookup: a Unix path (-U), or an
    /// address as given (nil: every address) and the port.
    enum Positionals {
        case unix(UnixSocketPath)
        case address(String?, port: UInt16)
    }

    /// The positionals, read — validate() reads them too.
    /// - Throws: a usage error for a missing or malformed PORT, or ADDR PORT beside -U.
    func positionals() throws(SockscopeError) -> Positionals {
        if let unixPath = transport.unixPath {
            if first != nil || second != nil {
                throw .usage("with -U/--unix give only the socket path, not ADDR PORT")
            }
            return .unix(try UnixSocketPath(parsing: unixPath))
        }
        switch (first, second) {
        case (let address?, let port?): return .address(address, port: try PortNumber.parse(port, allowZero: true, protocolName: transport.protocolName))
        case (let port?, nil):
            if let split = Habits.hostAndPort(port) {  // listen 127.0.0.1:8080, [::1]:8080
                return .address(split.host, port: try PortNumber.parse(split.port, allowZero: true, protocolName: transport.protocolName))
            }
            return .address(nil, port: try PortNumber.parse(port, allowZero: true, protocolName: transport.protocolName))
        default: throw .usage("listen needs a PORT (or -U PATH)")
        }
    }

    /// Works out the address to bind: a Unix path, a given address, or all addresses
    /// (dual-stack `[::]` unless -4/-6 says otherwise).
    private func bindAddress(type: SocketType) throws(SockscopeError) -> (SocketAddress, ipv6Only: Bool?, askedForAnyPort: Bool) {
        let (addressText, port): (String?, UInt16)
        switch try positionals() {
        case .unix(let path): return (.unix(path), nil, false)
        case .address(let text, let number): (addressText, port) = (text, number)
        }
        guard let addressText else {
            if execCommand != nil {
                let loopbacks =
                    family.family == .inet6 ? "::1" : family.family == .inet || transport.udp || !Self.ipv6Available ? "127.0.0.1" : "127.0.0.1 and ::1"
                Diagnostics.line("sockscope: --exec without an address: listening on loopback only, \(loopbacks) (give ADDR to serve other hosts)")
                return family.family == .inet6 ? (.ipv6(.loopback, port: port), true, port == 0) : (.ipv4(.loopback, port: port), nil, port == 0)
            }
            switch family.family {
            case .inet: return (.ipv4(.any, port: port), nil, port == 0)
            case .inet6: return (.ipv6(.any, port: port), true, port == 0)
            default:
                return Self.ipv6Available ? (.ipv6(.any, port: port), false, port == 0) : (.ipv4(.any, port: port), nil, port == 0)
            }
        }
        let candidates = try HostResolver.resolve(addressText, port: port, family: family.family, type: type)
        guard let address = candidates.first else { throw .usage("no address for '\(addressText)'") }
        return (address, family.family == .inet6 ? true : nil, port == 0)
    }

    /// Whether this kernel can create IPv6 sockets (it may be built or booted without IPv6).
    private static var ipv6Available: Bool {
        (try? Socket(family: .inet6, type: .stream)) != nil  // closed as it goes
    }
}

extension SocketOption {
    /// Options that belong on the listening socket itself (accepted sockets inherit
    /// buffer sizes from it; the rest are set on each accepted connection).
    var isListenerOption: Bool {
        switch self {
        case .receiveBufferSize, .sendBufferSize, .timeToLive: true
        default: false
        }
    }
}

extension TLSContext {
    /// A listener's ephemeral certificate (no --cert): its SHA-256 fingerprint, printed for
    /// clients to check (a tls_identity record with --json).
    func announceIfEphemeral(json: Bool) {
        guard isEphemeral, let fingerprint else { return }
        if json {
            let record = TLSIdentityRecord(
                ephemeral: true, subject: "CN=sockscope", altNames: ["DNS:localhost", "IP Address:127.0.0.1", "IP Address:::1"], sha256: colonHex(fingerprint))
            Diagnostics.raw(JSONLine.text(record))
        } else {
            Diagnostics.line(
                "sockscope: TLS with an ephemeral self-signed certificate (CN=sockscope; localhost, 127.0.0.1, ::1), SHA-256 fingerprint \(colonHex(fingerprint))"
            )
        }
    }
}
