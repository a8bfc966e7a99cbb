import ArgumentParser
import Glibc
import SockscopeCore

struct ConnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect to HOST PORT and relay stdin to the socket and the socket to stdout.",
        discussion: """
            TCP by default; -u for UDP (each read of stdin becomes one datagram), -U for a Unix socket \
            (a path, or @name for a Linux abstract socket).

            At the end of stdin the client sends FIN (shutdown SHUT_WR) and keeps reading until the peer \
            closes, so a reply to a request that ended is still received (--no-half-close keeps the write \
            side open instead). A peer's FIN ends only its direction: what it sent is written, stdout is \
            closed at once (so `connect … | tar x` ends), and stdin is still sent to its end, then FIN; \
            the session ends when both directions are done (--stop-at-peer-close stops sending at the \
            peer's FIN instead). Exit 0 means every byte of stdin went to the socket and everything \
            received was written; a reset while sending is exit 74 with the bytes not sent. --send-only and --recv-only move bytes one way only (ncat's options). \
            UDP has no end of stream: after stdin ends, replies are printed until none has come for the \
            idle timeout (default 0.5 s). With --linger 0 no FIN is sent: replies are read until the peer \
            has been quiet for that long, and the close is an RST.

            Examples:
              printf 'GET / HTTP/1.0\\r\\n\\r\\n' | sockscope connect 127.0.0.1 8080
              sockscope connect -v -w 2 ::1 22
              echo ping | sockscope connect -u 127.0.0.1 9999
              sockscope connect -U /run/app.sock
            """
    )

    @Argument(help: ArgumentHelp("Host name or address to connect to.", valueName: "host"))
    var host: String?

    @Argument(
        help: ArgumentHelp("Port number or service name.", valueName: "port"),
        completion: .shellCommand("awk '!/^#/ && NF { split($2, p, \"/\"); print $1; print p[1] }' /etc/services | sort -u"))
    var port: String?

    @OptionGroup(title: "Transport") var transport: TransportOptions

    @OptionGroup(title: "Address family") var family: FamilyOptions

    @Option(name: [.customShort("s"), .customLong("source")], help: ArgumentHelp("Bind to this local address before connecting.", valueName: "addr"))
    var sourceAddress: String?

    @Option(name: [.customShort("p"), .customLong("source-port")], help: ArgumentHelp("Bind to this local port before connecting.", valueName: "port"))
    var sourcePort: String?

    @OptionGroup var setup: SetupTimeoutOptions

    @Option(
        name: .customLong("size"),
        help: ArgumentHelp("With -u: one datagram per N bytes of stdin, the last maybe shorter (default: one per read).", valueName: "n"))
    var size: Int?

    @OptionGroup(title: "Socket options") var tuning: SocketTuningOptions

    @OptionGroup(title: "Packet capture (the tap)") var tap: TapOptions

    @OptionGroup(title: "Framing") var frame: FrameOptions

    @OptionGroup(title: "Traffic logs") var traffic: TrafficOptions

    @OptionGroup(title: "TLS") var tls: ClientTLSOptions

    @OptionGroup(title: "Proxy") var proxy: ProxyOptions

    @OptionGroup(title: "Session") var session: SessionOptions

    @OptionGroup(title: "Program") var program: ProgramOptions

    @OptionGroup(title: "Output") var output: OutputOptions

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        try ValidationError.check { () throws(SockscopeError) in _ = try request.target() }
        let stream = !transport.udp
        if !stream && frame.format != nil { throw ValidationError("--frame is for stream sockets: UDP datagrams keep their boundaries already") }
        if (!stream || transport.unixPath != nil) && tap.enabled {
            throw ValidationError(
                "--tap (and --tap-interface, --tap-payload, --pcap-out, --follow-timewait, --diagram, --plot) follow TCP connections; for other traffic use `sockscope tap`"
            )
        }
        if frame.format != nil && (traffic.hexdump || traffic.output != nil) {
            throw ValidationError("--hexdump and --output show raw traffic; with --frame, use --frame-json")
        }
        if transport.unixPath != nil && sourcePort != nil { throw ValidationError("-p/--source-port applies to IP sockets; with -U give -s PATH") }
        if frame.format != nil && session.values.shapesStandardStreams {
            throw ValidationError(
                "--frame sends whole messages; --send-only, --recv-only, --keep-sending, --stop-at-peer-close, --crlf and --no-half-close are for raw streams")
        }
        if tls.tls && frame.format != nil { throw ValidationError("--frame works on the socket itself; with --tls, frame the data yourself") }
        if proxy.proxy != nil && (transport.udp || transport.unixPath != nil) {
            throw ValidationError("--proxy tunnels a TCP connection; -u and -U do not go through proxies")
        }
        if let size {
            guard transport.udp else { throw ValidationError("--size cuts stdin into datagrams: it needs -u") }
            let most = tls.tls ? TLSSession.largestDatagramRecord : 65_527
            if size < 1 || size > most {
                throw ValidationError(
                    tls.tls ? "--size takes 1 to 16384 bytes with --tls: a DTLS record holds no more" : "--size takes 1 to 65507 bytes (65527 over IPv6)")
            }
            if program.exec != nil || program.shellExec != nil { throw ValidationError("--size cuts sockscope's stdin; with --exec the program writes") }
        }
        if transport.udp && (session.keepSending || session.stopAtPeerClose || session.noHalfClose) {
            throw ValidationError("--keep-sending, --stop-at-peer-close and --no-half-close are about a stream's FIN; UDP has none")
        }
        if program.exec != nil || program.shellExec != nil { try validateProgram() }
    }

    /// --exec/--sh-exec hand the connection to a program: what shapes sockscope's own
    /// relay of stdin and stdout has no meaning then.
    private func validateProgram() throws {
        if frame.format != nil || session.values.shapesBeyondLineEnds || session.idleTimeout != nil || (session.crlf && transport.udp) {
            throw ValidationError(
                "--exec/--sh-exec give the connection to the program: --frame, --send-only, --recv-only, --keep-sending, --stop-at-peer-close, --no-half-close, -i and (over UDP) -C shape sockscope's own relay"
            )
        }
        if traffic.hexdump || traffic.output != nil {
            throw ValidationError("--hexdump and --output log sockscope's relay; the program's traffic does not pass through it")
        }
        // A program that cannot run is a usage error before anything connects.
        try ValidationError.check { () throws(SockscopeError) in
            guard let name = program.values.command?.first else { throw .usage("--exec needs a program to run") }
            try ProcessSpawner.checkRunnable(name)
        }
    }

    func run() throws { try request.run() }
}

extension ConnectCommand.Request {
    /// -w: how long connecting may take (nil: as long as the kernel tries).
    var timeout: Seconds? { setup.timeout }

    /// Runs the command, through the command runner.
    func run() throws {
        color.apply()
        try CommandRunner.run(json: output.json) { () throws(SockscopeError) in try connectAndRelay() }
    }

    private func connectAndRelay() throws(SockscopeError) {
        let calls = tap.callLog(verbose: session.verbose)
        let tracer = Diagnostics.tracer(verbose: session.verbose, calls: calls)
        var (request, host, tunnel) = try connectRequest(type: transport.socketType)
        // Bad TLS options and a missing libssl are errors before any connection.
        let context = try tls.configurationIfEnabled(role: .client).map { (configuration) throws(SockscopeError) in
            var configuration = configuration
            configuration.datagram = transport.udp  // DTLS
            return try TLSContext(configuration)
        }
        let log = try traffic.log()  // a file that cannot be written is an error before any connection
        // A TLS session's tap keeps whole packets: its timeline shows the TLS records, and
        // a capture meant for decryption (--keylog with --pcap-out) needs the data.
        var tap = self.tap
        if context != nil && tap.enabled { tap.payload = true }
        let recorder = try TapRecorder(options: tap, calls: calls)
        if tap.enabled { request.beforeConnect = recorder.start }
        let socket: Socket
        do {
            socket = try Connector.open(request, tracer: tracer)
        } catch {
            try recorder.finish()
            throw error
        }
        let reporter = ConnectionReporter(json: output.json, tracer: tracer, protocolName: protocolName)
        reporter.connected(socket)
        do {
            if let tunnel { try openTunnel(tunnel, on: socket, tls: context != nil, tracer: tracer) }
            let session = try context.map { (context) throws(SockscopeError) in try startTLS(socket, context: context, host: host, tracer: tracer) }
            if let command = program.command {
                try runProgram(command, on: socket, tls: session, tracer: tracer)
            } else {
                try relay(socket, tls: session, reporter: reporter, log: log)
            }
        } catch {
            socket.close()
            try? recorder.finish()
            throw error
        }
        socket.close()
        try recorder.finish()
    }

    private var protocolName: String { transport.unixPath != nil ? "unix" : transport.protocolName }

    /// --exec/--sh-exec: the program gets the connection (through the TLS bridge with
    /// --tls) as stdin and stdout; sockscope waits for it and exits 0, as ncat does (the
    /// connection was served); a program that failed or was killed is said on stderr.
    private func runProgram(_ command: [String], on socket: Socket, tls: TLSSession?, tracer: SocketTracer) throws(SockscopeError) {
        let environment = ProcessSpawner.connectionEnvironment(protocolName: protocolName, remote: socket.remoteAddress, local: socket.localAddress)
        // With --tls or -C, a relay between the program and the connection (ncat's -C converts the program's line ends).
        let stream: Socket
        if let tls, tls.isDatagram {
            stream = try TLSBridge.startDatagrams(tls, tracer: tracer)  // DTLS: one message per datagram
        } else {
            stream = tls != nil || session.crlf ? try TLSBridge.start(socket, tls: tls, crlf: session.crlf, tracer: tracer) : socket
        }
        let status = try ProcessSpawner.run(command, on: stream, mergeStderr: program.mergeStderr, environment: environment)
        if stream !== socket {
            TLSBridge.finishAll(within: .seconds(2))
            // The relay between program and connection failed: bytes may not have arrived.
            if var failure = TLSBridge.takeFailure() {
                failure.message = "the connection failed while relaying the program's data: " + failure.message
                throw failure
            }
        }
        let ending = status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
        if status != 0 {
            Diagnostics.line("sockscope: the program \(PrintableBytes.escaped(Array(command[0].utf8))) \(ending)")
        } else {
            tracer.record("the program \(command[0]) \(ending)")
        }
    }

    /// The TLS handshake over the new connection, reported (-v, --json) whether it
    /// succeeds or not. SNI is the host when it is a name (--sni overrides); the
    /// certificate must match --sni, else the host (a name or an address).
    private func startTLS(_ socket: Socket, context: TLSContext, host: String?, tracer: SocketTracer) throws(SockscopeError) -> TLSSession {
        let isAddress = host.map { IPAddress($0) != nil } ?? false
        let serverName = tls.sni ?? (isAddress ? nil : host)
        let session = try TLSSession(context: context, socket: socket, serverName: serverName, verifyName: tls.sni ?? host)
        let reporter = TLSReporter(json: output.json, tracer: tracer)
        do {
            try session.performHandshake(deadline: timeout.map { .now + $0.duration })
        } catch {
            if error.status != .interrupted && error.status != .terminated {
                reporter.handshake(session.handshake, fd: socket.fd, peer: socket.remoteAddress, failure: error)
            }
            throw error
        }
        reporter.handshake(session.handshake, fd: socket.fd, peer: socket.remoteAddress)
        return session
    }

    private func relay(_ socket: Socket, tls: TLSSession?, reporter: ConnectionReporter, log: TrafficLog?) throws(SockscopeError) {
        if transport.udp {
            let wait = session.idleTimeout?.duration
            var options = DatagramRelay.Options(idleTimeout: wait, replyWait: wait ?? .milliseconds(500))
            options.directions = session.directions
            options.crlf = session.crlf
            if tls != nil { options.datagramSize = TLSSession.largestDatagramRecord }  // one record per datagram
            if let size {
                options.datagramSize = size
                options.exactSize = true
            }
            let relay = DatagramRelay(
                socket: socket, tls: tls, input: .standardInput, output: 1, peer: .connected, options: options, notices: Diagnostics.notices)
            if let log { relay.observer = { log.record($0, $1) } }
            reporter.datagramsDone(try relay.run())
        } else if frame.format != nil {
            let counts = try frame.relay(socket, session: session, tuning: tuning)
            reporter.messagesDone(counts)
        } else {
            let relay = StreamRelay(socket: socket, tls: tls, mode: .standardStreams(input: 0, output: 1), options: session.relayOptions(tuning: tuning))
            if let log { relay.observe { log.record($0, $1) } }
            relay.peerFinishedFirst = ConnectionReporter.peerFinishedNotice(json: output.json)
            reporter.streamDone(try relay.run())
        }
        try log?.finish()
    }

    /// Asks the proxy for the tunnel (bounded by -w); what the destination sent with the
    /// proxy's answer goes to stdout first.
    private func openTunnel(_ tunnel: ProxyClientHandshake, on socket: Socket, tls: Bool, tracer: SocketTracer) throws(SockscopeError) {
        let leftover = try tunnel.perform(on: socket, deadline: timeout.map { .now + $0.duration }, tracer: tracer)
        ConnectionReporter(json: output.json, tracer: tracer, protocolName: protocolName).tunnelled(tunnel)
        guard !leftover.isEmpty else { return }
        if tls { throw SockscopeError("the destination spoke before the TLS handshake began (\(counted(leftover.count, "byte")))", status: .tlsHandshake) }
        do { try SystemCall.writeAll(1, leftover) } catch { throw SockscopeError(error) }
    }

    /// Where the command line says to connect, read without any lookup: a Unix path, or
    /// a host (brackets removed, HOST:PORT split), its port and the source to bind.
    enum Target {
        case unix(UnixSocketPath, source: UnixSocketPath?)
        case host(String, port: UInt16, sourcePort: UInt16?, sourceAddress: IPAddress?)
    }

    /// The positionals and the source options, read — validate() reads them too.
    /// - Throws: a usage error for a missing or malformed HOST, PORT or source.
    func target() throws(SockscopeError) -> Target {
        let protocolName = transport.protocolName
        if let unixPath = transport.unixPath {
            if host != nil || port != nil {
                throw .usage("with -U/--unix give only the socket path, not HOST PORT")
            }
            return .unix(
                try UnixSocketPath(parsing: unixPath), source: try sourceAddress.map { (path) throws(SockscopeError) in try UnixSocketPath(parsing: path) })
        }
        guard var host else { throw .usage("connect needs HOST and PORT (or -U PATH)") }
        var port = self.port
        if port == nil, let split = Habits.hostAndPort(host) { (host, port) = (split.host, split.port) }
        if host.hasPrefix("["), host.hasSuffix("]"), host.count > 2 { host = String(host.dropFirst().dropLast()) }  // [::1] 80
        if host.contains(where: { $0 == "[" || $0 == "]" }) {
            throw .usage("bad host '\(host)': brackets go around a whole IPv6 address, as in [::1]:80 or [::1] 80")
        }
        guard let port else {
            if Habits.looksLikePath(host) { throw .usage("'\(host)' is a path: connect to a Unix socket with -U \(host)") }
            throw .usage("connect needs a PORT after the host '\(host)' (HOST PORT, HOST:PORT or [V6]:PORT)")
        }
        let portNumber = try PortNumber.parse(port, allowZero: false, protocolName: protocolName)
        let source = try sourcePort.map { (text) throws(SockscopeError) in try PortNumber.parse(text, allowZero: true, protocolName: protocolName) }
        var address: IPAddress?
        if let sourceAddress {
            guard let parsed = IPAddress(sourceAddress) else {
                throw .usage("bad source address '\(sourceAddress)': give a numeric IPv4 or IPv6 address")
            }
            address = parsed
        }
        return .host(host, port: portNumber, sourcePort: source, sourceAddress: address)
    }

    /// Where to connect (the proxy, with --proxy, and the tunnel to ask it for), and the
    /// host as given (brackets removed), which TLS names.
    private func connectRequest(type: SocketType) throws(SockscopeError) -> (Connector.Request, String?, ProxyClientHandshake?) {
        var request = Connector.Request(destinations: [], type: type, options: tuning.socketOptions, timeout: timeout?.duration)
        let host: String
        let portNumber: UInt16
        switch try target() {
        case .unix(let path, let source):
            request.destinations = [.unix(path)]
            request.sourcePath = source
            return (request, nil, nil)
        case .host(let name, let port, let sourcePort, let sourceAddress):
            (host, portNumber, request.sourcePort, request.sourceAddress) = (name, port, sourcePort, sourceAddress)
        }
        var tunnel: ProxyClientHandshake?
        if let proxyURL = try proxy.proxyURL() {
            let destination = try proxy.destination(host: host, port: portNumber, proxy: proxyURL, family: family.family)
            tunnel = try ProxyClientHandshake(proxy: proxyURL, destination: destination)
            request.destinations = try HostResolver.resolve(proxyURL.host, port: proxyURL.port, family: family.family, type: type)
        } else {
            request.destinations = try HostResolver.resolve(host, port: portNumber, family: family.family, type: type)
        }
        if let source = request.sourceAddress {
            request.destinations = request.destinations.filter { $0.family == source.family }
            if request.destinations.isEmpty {
                throw .usage("\(host) has no \(source.family == .inet ? "IPv4" : "IPv6") address to match source \(source)")
            }
        }
        return (request, host, tunnel)
    }
}
