import Glibc
import SystemPackage

/// What happened to one forwarded connection, for the caller to report.
package enum ForwardEvent: Sendable {
    /// The target accepted the connection made for client `client`.
    case connected(client: Int, peer: SocketAddress, target: SocketAddress)
    /// The connection to the target failed; the client is closed (reset when it was refused).
    case targetFailed(client: Int, peer: SocketAddress, error: SockscopeError)
    /// One leg ended its sending (FIN) and the other was told with `shutdown(SHUT_WR)`.
    case halfClosed(client: Int, by: Leg)
    /// Both directions are done: the bytes each way, who ended first, and whether a reset
    /// ended it (then passed on to the other leg as a reset).
    case finished(client: Int, peer: SocketAddress, toTarget: Int, toClient: Int, closedFirst: Leg?, reset: Leg?, duration: Duration)
    /// A proxy client asked for a destination (`sockscope proxy`): what it spoke, the user
    /// it gave, where it asked to go, and why it was refused (nil: the connection is tried).
    case proxyRequest(
        client: Int, peer: SocketAddress, dialect: ProxyServerSession.Dialect?, method: String?, user: String?, destination: String?, refusal: String?)
    /// A fault plan's limit ended the direction whose bytes come from `from` after `after`
    /// bytes (`--reset-after`, `--close-after`, `--stall-after`).
    case fault(client: Int, from: Leg, outcome: FaultOutcome, after: Int)
    /// The TLS handshake with the target ended (`forward --target-tls`): its facts, and
    /// why it failed (then the client is reset).
    case targetTLS(client: Int, fd: Int32, target: SocketAddress, handshake: TLSHandshake, failure: SockscopeError?)
    /// The target leg's tunnel through the proxy is open (`forward --proxy`).
    case tunnelled(client: Int, proxy: String, kind: ProxyURL.Kind, destination: String, reply: String?)
    /// `--refuse` picked this client: it was reset at once, never forwarded.
    case refused(client: Int, peer: SocketAddress)

    /// The two sides of a forwarded connection.
    package enum Leg: String, Sendable {
        case client, target
    }
}

/// Accepts clients with the one `Listener` (its access rules and limits) and relays each
/// to a connection of its own to the target, all on one event loop: bytes each way
/// through a `Pump`, a FIN on one leg passed on as `shutdown(SHUT_WR)` on the other, a
/// reset passed on as a reset (SO_LINGER 0, then close).
package final class ForwardServer {
    private final class Connection {
        let id: Int
        let peer: SocketAddress
        let client: Socket
        let target: Socket
        /// The client leg as the pumps see it: the socket, or TLS over it (`forward --tls`:
        /// the session the listener's handshake made, relayed on this loop).
        let clientEndpoint: RelayEndpoint
        let started = ContinuousClock.now
        private(set) var upstream: any RelayDirection
        private(set) var downstream: any RelayDirection
        /// The target leg as the pumps see it: the socket, or TLS over it once secured.
        private(set) var targetEndpoint: RelayEndpoint
        private let faults: Faults
        private let bufferSize: Int
        var closedFirst: ForwardEvent.Leg?
        /// The legs whose FIN has been passed on.
        var halfClosed: Set<ForwardEvent.Leg> = []
        /// The fault outcomes reported, by the leg the direction reads.
        var faultsReported: Set<ForwardEvent.Leg> = []
        /// The proxy client's session (`sockscope proxy`): its reply is sent when the target answers.
        var tunnel: ProxyServerSession?
        /// The target leg's tunnel through a proxy (`forward --proxy`).
        var outbound: ProxyClientHandshake?
        /// The target leg's set-up — connect, then the --proxy tunnel, then the
        /// --target-tls handshake — while it runs on the loop's driver; nil once the legs relay.
        var setup: StageSequence?
        /// The timer that steps the connection when a fault's wait ends.
        var timer: (due: ContinuousClock.Instant, timer: EventLoop.Timer)?

        /// Where the target leg connects.
        let targetAddress: SocketAddress

        init(
            id: Int, peer: SocketAddress, client: Socket, tls: TLSSession?, target: Socket, targetAddress: SocketAddress, faults: Faults, bufferSize: Int
        ) {
            self.targetAddress = targetAddress
            self.id = id
            self.peer = peer
            self.client = client
            clientEndpoint = tls.map { .tls($0) } ?? .socket(client)
            self.target = target
            self.faults = faults
            self.bufferSize = bufferSize
            targetEndpoint = .socket(target)
            upstream = Self.direction(from: clientEndpoint, to: .socket(target), plan: faults.upstream, bufferSize: bufferSize)
            downstream = Self.direction(from: .socket(target), to: clientEndpoint, plan: faults.downstream, bufferSize: bufferSize)
        }

        /// The target leg speaks TLS from now on: the pumps read and write through `session`.
        func secure(with session: TLSSession) {
            targetEndpoint = .tls(session)
            let observers = (upstream.observer, downstream.observer)
            upstream = Self.direction(from: clientEndpoint, to: targetEndpoint, plan: faults.upstream, bufferSize: bufferSize)
            downstream = Self.direction(from: targetEndpoint, to: clientEndpoint, plan: faults.downstream, bufferSize: bufferSize)
            (upstream.observer, downstream.observer) = observers
        }

        private static func direction(from source: RelayEndpoint, to sink: RelayEndpoint, plan: FaultPlan, bufferSize: Int) -> any RelayDirection {
            if plan.isEmpty { return Pump(from: source, to: sink, bufferSize: bufferSize, shutsDownSinkAtEnd: true) }
            // Slices leave as separate segments only when Nagle does not hold them back.
            if plan.slice != nil, case .socket(let socket) = sink { try? socket.set(.noDelay(true)) }
            if plan.slice != nil, case .tls(let session) = sink { try? session.socket.set(.noDelay(true)) }
            return FaultyPump(from: source, to: sink, plan: plan, bufferSize: bufferSize)
        }
    }

    private let listener: Listener
    let route: ForwardRoute
    let tracer: SocketTracer
    let forwardEvents: (ForwardEvent) -> Void
    private let faults: Faults
    /// TLS to the target (`--target-tls`): the client context and the names to send and check.
    package var targetTLS: (context: TLSContext, serverName: String?, verifyName: String?)?
    /// How long the target leg may take to be ready: the connect, a --proxy tunnel and a
    /// --target-tls handshake together (-w); the client is reset when it runs out.
    package var setupTimeout = defaultSetupTimeout
    /// How long a target leg's set-up may take when nobody says (forward and proxy -w).
    package static let defaultSetupTimeout = Duration.seconds(10)
    private var connections: [Int: Connection] = [:]
    private var byDescriptor: [FileDescriptor: Connection] = [:]
    /// Proxy clients still saying where they want to go, by descriptor.
    var negotiations: [FileDescriptor: ProxyNegotiation] = [:]
    /// Refused proxy clients, drained before they are closed (their request may still be arriving).
    let lingering = LingeringCloses(limit: .seconds(2))
    /// Looks up the names proxy clients ask for, off the loop (made when first needed).
    var resolver: BackgroundResolver?
    /// Gives memory back after a load of connections has gone.
    private var memoryRelease = MemoryRelease()
    /// Per direction and connection; 64 KiB keeps a thousand connections in 128 MiB at most.
    private let bufferSize = 64 << 10

    package init(
        _ request: ListenRequest, route: ForwardRoute, policy: Listener.Policy, tracer: SocketTracer,
        faults: Faults = Faults(), events: @escaping (ListenerEvent) -> Void, forwardEvents: @escaping (ForwardEvent) -> Void
    ) throws(SockscopeError) {
        listener = try Listener(request, policy: policy, tracer: tracer, events: events)
        self.route = route
        self.faults = faults
        self.tracer = tracer
        self.forwardEvents = forwardEvents
    }

    package var address: SocketAddress { listener.address }

    /// Sees every chunk read from either leg of any connection, before it is written
    /// on: the connection's id, the leg it came from, the bytes (`--hexdump`).
    package var observe: ((_ client: Int, _ from: ForwardEvent.Leg, _ bytes: UnsafeRawBufferPointer) -> Void)?

    /// Serves until SIGINT/SIGTERM (thrown as the error that ends the program), or until
    /// `stop` (when given) is requested from another thread (tests).
    package func run(stoppedBy stop: EventLoop.StopRequest? = nil) throws(SockscopeError) {
        listener.announce()
        let (loop, stopped) = try EventLoop.serving(stoppedBy: stop)
        try loop.register(listener.socket.descriptor, .readable) { [self, unowned loop] _ throws(SockscopeError) in
            for client in try listener.acceptWaiting(serving: connections.count + negotiations.count) { try open(client, loop: loop) }
        }
        // With --tls, each client's handshake is stepped here and its plaintext admitted after.
        listener.handshake(in: loop) { [self, unowned loop] client throws(SockscopeError) in try open(client, loop: loop) }
        try loop.run(until: stopped)
    }

    /// A new client: refused (--refuse), asked where to go (a proxy), or connected to the target.
    private func open(_ client: Listener.Client, loop: EventLoop) throws(SockscopeError) {
        if faults.refuse > 0 && Double.random(in: 0..<1) < faults.refuse {
            try? client.socket.set(.linger(seconds: 0))
            client.socket.close()
            forwardEvents(.refused(client: client.number, peer: client.peer))
            return
        }
        switch route {
        case .fixed(let target):
            try connect(client.socket, tls: client.tls, id: client.number, peer: client.peer, to: target, tunnel: nil, loop: loop)
        case .proxy(let policy):
            try negotiate(client, policy: policy, loop: loop)
        case .throughProxy(let address, let proxy, let destination):
            let handshake: ProxyClientHandshake
            do {
                handshake = try ProxyClientHandshake(proxy: proxy, destination: destination)
            } catch {
                client.socket.close()
                forwardEvents(.targetFailed(client: client.number, peer: client.peer, error: error))
                return
            }
            try connect(client.socket, tls: client.tls, id: client.number, peer: client.peer, to: address, tunnel: nil, outbound: handshake, loop: loop)
        }
    }

    /// Starts the target leg of a client's connection: its set-up stages (connect, the
    /// --proxy tunnel, the --target-tls handshake) on the loop's driver, within the
    /// set-up time (-w); the client waits — its data stays in the kernel — until they end.
    func connect(
        _ client: Socket, tls: TLSSession? = nil, id: Int, peer: SocketAddress, to target: SocketAddress, tunnel: ProxyServerSession?,
        outbound: ProxyClientHandshake? = nil, setupDeadline: ContinuousClock.Instant? = nil, loop: EventLoop
    ) throws(SockscopeError) {
        let socket: Socket
        do { socket = try Socket(family: target.family, type: .stream, tracer: tracer) } catch {
            if let tunnel {
                let endpoint = tls.map { RelayEndpoint.tls($0) } ?? .socket(client)
                _ = try? tunnel.reply(.failed(error.errno)).withUnsafeBytes { bytes throws(SocketCallError) in try endpoint.write(bytes) }
                _ = try? endpoint.flushPending()
            }
            client.close()
            forwardEvents(.targetFailed(client: id, peer: peer, error: SockscopeError(error)))
            return
        }
        let connection = Connection(
            id: id, peer: peer, client: client, tls: tls, target: socket, targetAddress: target, faults: faults, bufferSize: bufferSize)
        connection.tunnel = tunnel
        connection.outbound = outbound
        if let observe {
            connection.upstream.observer = { observe(id, .client, $0) }
            connection.downstream.observer = { observe(id, .target, $0) }
        }
        connections[connection.id] = connection
        memoryRelease.note(live: connections.count + negotiations.count)
        byDescriptor[client.descriptor] = connection
        byDescriptor[socket.descriptor] = connection
        try loop.register(client.descriptor, []) { [self, unowned loop] readiness throws(SockscopeError) in try step(readiness, loop: loop) }
        guard let setup = setupStages(connection, loop: loop) else { return }
        connection.setup = setup
        try loop.drive(setup, on: socket, deadline: setupDeadline ?? .now + setupTimeout) { [self, unowned loop, connection] failure throws(SockscopeError) in
            connection.setup = nil
            if let failure { return try setupFailed(connection, setup, failure, loop: loop) }
            try relay(connection, loop: loop)
        }
    }

    /// The target leg's stages, each reported as it ends; nil when one could not be
    /// made (then the connection is closed, reported).
    private func setupStages(_ connection: Connection, loop: EventLoop) -> StageSequence? {
        var stages: [any ConnectionStage] = [ConnectStage(to: connection.targetAddress)]
        if let outbound = connection.outbound { stages.append(outbound) }
        if let tls = targetTLS {
            do {
                stages.append(try TLSSession(context: tls.context, socket: connection.target, serverName: tls.serverName, verifyName: tls.verifyName))
            } catch {
                failSecuring(connection, nil, error, loop: loop)
                return nil
            }
        }
        return StageSequence(stages) { [self, unowned connection] stage in ended(stage, connection) }
    }

    /// A set-up stage ended: the target answered, the tunnel opened, the leg is secured.
    private func ended(_ stage: any ConnectionStage, _ connection: Connection) {
        switch stage {
        case is ConnectStage:
            if connection.outbound == nil {
                forwardEvents(.connected(client: connection.id, peer: connection.peer, target: connection.targetAddress))
            }
        case let handshake as ProxyClientHandshake:
            forwardEvents(
                .tunnelled(
                    client: connection.id, proxy: "\(handshake.proxy)", kind: handshake.proxy.kind, destination: "\(handshake.destination)",
                    reply: handshake.reply))
        case let session as TLSSession:
            connection.secure(with: session)
            forwardEvents(
                .targetTLS(client: connection.id, fd: connection.target.fd, target: connection.targetAddress, handshake: session.handshake, failure: nil))
        default: break
        }
    }

    /// The target leg is ready: a proxy client gets its success reply, a --proxy
    /// tunnel's early bytes go to the client, and both legs relay from now on.
    private func relay(_ connection: Connection, loop: EventLoop) throws(SockscopeError) {
        if let tunnel = connection.tunnel, !answer(tunnel, connection) {
            return reset(connection, failedLeg: .client, loop: loop)
        }
        // What the destination sent with the proxy's answer goes to the client first.
        if let leftover = connection.outbound?.leftover, !leftover.isEmpty,
            (try? leftover.withUnsafeBytes { raw throws(SocketCallError) in try connection.client.send(raw) }) != leftover.count
        {
            return reset(connection, failedLeg: .client, loop: loop)
        }
        try loop.register(connection.target.descriptor, []) { [self, unowned loop] readiness throws(SockscopeError) in try step(readiness, loop: loop) }
        try step(EventLoop.Readiness(connection.target.descriptor, readable: false, writable: true, hangUpOrError: false), loop: loop)
    }

    /// The set-up failed or ran out of time: the client is reset, as the target reset us
    /// (a proxy's client is told in its protocol instead: SOCKS5 reply 6, HTTP 504 …).
    private func setupFailed(_ connection: Connection, _ setup: StageSequence, _ failure: SockscopeError, loop: EventLoop) throws(SockscopeError) {
        let stage = setup.current
        if setup.expired {
            let waiting = stage is ConnectStage ? "connect()" : stage is ProxyClientHandshake ? "the proxy's answer" : "the TLS handshake"
            let error = SockscopeError(
                "the target \(connection.targetAddress) was not ready within \(SockscopeError.seconds(setupTimeout)) (waiting for \(waiting))",
                explanation: "it may drop SYNs, or not answer; -w sets the limit", status: .timedOut)
            return fail(connection, error, errno: .timedOut, loop: loop)
        }
        switch stage {
        case let connect as ConnectStage:
            fail(connection, failure, errno: connect.failure?.errno ?? .connectionRefused, loop: loop)
        case let session as TLSSession:
            failSecuring(connection, session, failure, loop: loop)
            if failure.endsServer { throw failure }
        default:  // the proxy refused the tunnel
            forwardEvents(.targetFailed(client: connection.id, peer: connection.peer, error: failure))
            try? connection.client.set(.linger(seconds: 0))
            close(connection, loop: loop)
        }
    }

    /// Moves what readiness allows on one of a connection's legs.
    private func step(_ readiness: EventLoop.Readiness, loop: EventLoop) throws(SockscopeError) {
        guard let connection = byDescriptor[readiness.descriptor], connection.setup == nil else { return }
        if let failed = move(connection, readiness) {
            reset(connection, failedLeg: failed, loop: loop)
            return
        }
        if reportFaults(connection) {
            for socket in [connection.client, connection.target] { try? socket.set(.linger(seconds: 0)) }
            finish(connection, reset: nil, loop: loop)
            return
        }
        if connection.upstream.finished && connection.downstream.finished {
            finish(connection, reset: nil, loop: loop)
            return
        }
        try watch(connection, loop: loop)
        schedule(connection, loop: loop)
    }

    /// The TLS handshake with the target failed: reported, and the client reset, as a refusing target does.
    private func failSecuring(_ connection: Connection, _ session: TLSSession?, _ failure: SockscopeError, loop: EventLoop) {
        if let session {
            forwardEvents(
                .targetTLS(client: connection.id, fd: connection.target.fd, target: connection.targetAddress, handshake: session.handshake, failure: failure))
        }
        forwardEvents(.targetFailed(client: connection.id, peer: connection.peer, error: failure))
        try? connection.client.set(.linger(seconds: 0))
        close(connection, loop: loop)
    }

    /// Reports each direction's fault outcome once; true when one asks for a reset.
    private func reportFaults(_ connection: Connection) -> Bool {
        var reset = false
        for (pump, leg) in [(connection.upstream, ForwardEvent.Leg.client), (connection.downstream, .target)] {
            guard let outcome = pump.outcome, !connection.faultsReported.contains(leg) else { continue }
            connection.faultsReported.insert(leg)
            forwardEvents(.fault(client: connection.id, from: leg, outcome: outcome, after: pump.bytesWritten))
            reset = reset || outcome == .reset
        }
        return reset
    }

    /// Keeps one timer per connection at the earliest time a direction can move
    /// without readiness (a delayed chunk, the rate's next bytes).
    private func schedule(_ connection: Connection, loop: EventLoop) {
        // Records OpenSSL has read ahead are never announced by epoll: step again at once.
        let buffered =
            (connection.downstream.wantsRead && connection.targetEndpoint.hasBufferedInput)
                || (connection.upstream.wantsRead && connection.clientEndpoint.hasBufferedInput) ? ContinuousClock.now : nil
        let due = [connection.upstream.wake, connection.downstream.wake, buffered].compactMap { $0 }.min()
        if connection.timer?.due == due { return }
        if let timer = connection.timer { loop.cancel(timer.timer) }
        connection.timer = nil
        guard let due else { return }
        let quiet = EventLoop.Readiness(connection.target.descriptor, readable: false, writable: false, hangUpOrError: false)
        let timer = loop.schedule(at: due) { [self, unowned loop, connection] () throws(SockscopeError) in
            connection.timer = nil
            try step(quiet, loop: loop)
        }
        connection.timer = (due, timer)
    }

    /// Both pumps, with this readiness; notes the first FIN. Returns the leg whose read
    /// or write failed (a reset, most often), if one did.
    private func move(_ connection: Connection, _ readiness: EventLoop.Readiness) -> ForwardEvent.Leg? {
        let clientSide = readiness.descriptor == connection.client.descriptor
        // A TLS leg may read on writability and write on readability, and holds records
        // epoll does not announce: it is tried on every step (a read or write that cannot
        // go on says so). A plain leg moves on its own readiness.
        func ready(_ side: Bool, _ endpoint: RelayEndpoint) -> (readable: Bool, writable: Bool) {
            if endpoint.isTLS { return (true, true) }
            guard side else { return (false, false) }
            return (readiness.readable || readiness.hangUpOrError, readiness.writable || readiness.hangUpOrError)
        }
        let client = ready(clientSide, connection.clientEndpoint)
        let target = ready(!clientSide, connection.targetEndpoint)
        // Upstream reads the client and writes the target; downstream the reverse.
        do {
            _ = try connection.upstream.step(sourceReadable: client.readable, sinkWritable: target.writable)
        } catch {
            if case .source = error { return .client }
            return .target
        }
        do {
            _ = try connection.downstream.step(sourceReadable: target.readable, sinkWritable: client.writable)
        } catch {
            if case .source = error { return .target }
            return .client
        }
        for (pump, leg) in [(connection.upstream, ForwardEvent.Leg.client), (connection.downstream, .target)]
        where pump.finished && pump.outcome == nil {
            guard !connection.halfClosed.contains(leg) else { continue }
            connection.halfClosed.insert(leg)
            if connection.closedFirst == nil { connection.closedFirst = leg }
            forwardEvents(.halfClosed(client: connection.id, by: leg))
        }
        return nil
    }

    /// Interest on both legs from what the pumps want.
    private func watch(_ connection: Connection, loop: EventLoop) throws(SockscopeError) {
        var client: EventLoop.Interest = []
        var target: EventLoop.Interest = []
        if connection.upstream.wantsRead { client.insert(connection.clientEndpoint.readInterest) }
        if connection.upstream.wantsWrite { target.insert(.writable) }
        if connection.downstream.wantsRead { target.insert(connection.targetEndpoint.readInterest) }
        if connection.downstream.wantsWrite { client.insert(.writable) }
        try loop.update(connection.client.descriptor, client)
        try loop.update(connection.target.descriptor, target)
    }

    /// The target could not be reached: the client is reset, as the target reset us; a
    /// proxy client gets its protocol's failure reply instead.
    private func fail(_ connection: Connection, _ error: SockscopeError, errno: Errno, loop: EventLoop) {
        forwardEvents(.targetFailed(client: connection.id, peer: connection.peer, error: error))
        if let tunnel = connection.tunnel {
            _ = try? tunnel.reply(.failed(errno)).withUnsafeBytes { bytes throws(SocketCallError) in try connection.clientEndpoint.write(bytes) }
            _ = try? connection.clientEndpoint.flushPending()
        } else {
            try? connection.client.set(.linger(seconds: 0))
        }
        close(connection, loop: loop)
    }

    /// The proxy client's success reply (small, on a new socket: it fits at once; false if
    /// not); what the client sent after its request (a forwarded request's rewritten head
    /// and body) goes to the target first, as the target's socket takes it.
    private func answer(_ tunnel: ProxyServerSession, _ connection: Connection) -> Bool {
        let reply = tunnel.reply(.connected(bound: connection.target.localAddress))
        if !reply.isEmpty {
            let sent = try? reply.withUnsafeBytes { raw throws(SocketCallError) in try connection.clientEndpoint.write(raw) }
            guard sent == reply.count else { return false }
            _ = try? connection.clientEndpoint.flushPending()
        }
        connection.upstream.sendFirst(tunnel.leftover)
        return true
    }

    /// A read or write failed on one leg (a reset, most often): the other leg is reset too.
    private func reset(_ connection: Connection, failedLeg: ForwardEvent.Leg, loop: EventLoop) {
        try? (failedLeg == .client ? connection.target : connection.client).set(.linger(seconds: 0))
        finish(connection, reset: failedLeg, loop: loop)
    }

    private func finish(_ connection: Connection, reset: ForwardEvent.Leg?, loop: EventLoop) {
        defer { close(connection, loop: loop) }
        forwardEvents(
            .finished(
                client: connection.id, peer: connection.peer, toTarget: connection.upstream.bytesWritten, toClient: connection.downstream.bytesWritten,
                closedFirst: connection.closedFirst, reset: reset, duration: .now - connection.started))
    }

    private func close(_ connection: Connection, loop: EventLoop) {
        if let timer = connection.timer { loop.cancel(timer.timer) }
        connection.timer = nil
        for socket in [connection.client, connection.target] {
            loop.forget(socket.descriptor)
            byDescriptor[socket.descriptor] = nil
            socket.close()
        }
        connections[connection.id] = nil
        memoryRelease.note(live: connections.count + negotiations.count)
    }
}
