import CShim
import Glibc
import SystemPackage

/// The one listener behind every `listen` mode — plain, keep-open, echo, broker,
/// chat, exec, framed and UDP: it binds (through `BoundSocket`), accepts stream
/// clients or admits datagrams, and applies the same policy everywhere: `--allow`/
/// `--deny`, `--max-clients`, the options set on each accepted socket, and the
/// logging of every refusal.
package final class Listener {
    /// Who may be served, and how many at once.
    package struct Policy: Sendable {
        package var access: AccessControl
        /// Stream clients served at once; more are accepted and closed at once.
        package var maxClients: Int?
        /// Options set on each accepted socket (TCP_NODELAY, SO_LINGER, …).
        package var acceptedOptions: [SocketOption]
        /// How long to wait for the first client (`--accept-timeout`); nil waits for ever.
        package var acceptTimeout: Duration?
        /// Speak TLS with each client (`--tls`): the handshake runs before the client is
        /// handed over, and a client whose handshake fails is closed and reported.
        package var tls: TLSService?

        package init(
            access: AccessControl = AccessControl(), maxClients: Int? = nil, acceptedOptions: [SocketOption] = [], acceptTimeout: Duration? = nil
        ) {
            self.access = access
            self.maxClients = maxClients
            self.acceptedOptions = acceptedOptions
            self.acceptTimeout = acceptTimeout
        }
    }

    /// An admitted stream client.
    package struct Client {
        /// The client's socket; with TLS bridged (`TLSService.bridged`), the server's end
        /// of a Unix socket pair that carries the client's plaintext. Not bridged, the
        /// client's own socket, which `tls` speaks over.
        package var socket: Socket
        package var peer: SocketAddress
        /// 1 for the first client admitted, then 2, 3, …
        package var number: Int
        /// The TLS session over `socket`, when TLS is not bridged.
        package var tls: TLSSession?
        /// The address the client connected to, kept when `socket` is a bridge's end
        /// (whose own address is an unnamed Unix socket's).
        package var bridgedLocal: SocketAddress?

        /// The address the client connected to (getsockname of its TCP socket).
        package var localAddress: SocketAddress? { bridgedLocal ?? socket.localAddress }
    }

    private let bound: BoundSocket
    /// The sockets for `ListenRequest.alsoListenOn`.
    private let others: [BoundSocket]
    private let policy: Policy
    private let events: (ListenerEvent) -> Void
    /// Tells the caller what happened (for the other files of this type).
    func report(_ event: ListenerEvent) { events(event) }
    private var admitted = 0
    /// Datagrams refused per source since their last report (rate-limited logging).
    private var refusedDatagrams: [IPAddress: (count: Int, reported: ContinuousClock.Instant)] = [:]
    /// The sources a datagram listener serves under --max-clients (address and port, as
    /// ncat counts its UDP "connections"): the first N to send; later ones are refused.
    private var datagramPeers: Set<SocketAddress> = []

    /// Binds (and for streams listens) at once, so EADDRINUSE and friends surface here.
    package init(_ request: ListenRequest, policy: Policy, tracer: SocketTracer, events: @escaping (ListenerEvent) -> Void) throws(SockscopeError) {
        if request.address.family == .unix, policy.access.isRestricted {
            throw .usage("address rules match IP clients; a Unix socket's clients are limited by the file's permissions")
        }
        bound = try BoundSocket(request, tracer: tracer)
        var others: [BoundSocket] = []
        for address in request.alsoListenOn {
            var more = request
            more.address = address.port == 0 ? address.withPort(bound.address.port ?? 0) : address
            more.ipv6Only = address.family == .inet6 ? true : nil
            more.beforeListen = nil
            more.alsoListenOn = []
            others.append(try BoundSocket(more, tracer: tracer))
        }
        self.others = others
        self.policy = policy
        self.events = events
        acceptDeadline = policy.acceptTimeout.map { .now + $0 }
        if request.type == .stream { reserve = Self.openReserve() }
    }

    /// The listening (or receiving) socket.
    package var socket: Socket { bound.socket }

    /// Every listening socket: the first, then those of `ListenRequest.alsoListenOn`.
    package var sockets: [Socket] { [bound.socket] + others.map(\.socket) }

    /// The address bound, with the port the kernel chose for port 0.
    package var address: SocketAddress { bound.address }

    /// When the first client must have come by (`--accept-timeout`).
    package let acceptDeadline: ContinuousClock.Instant?

    /// Whether a client has been admitted yet.
    package var hasAdmitted: Bool { admitted > 0 }

    /// The error for a listener whose first client did not come in time (exit 75).
    package var acceptTimeoutError: SockscopeError {
        SockscopeError(
            "no client connected within \(SockscopeError.seconds(policy.acceptTimeout ?? .zero)) (--accept-timeout)", status: .timedOut)
    }

    /// Closes the listening socket, so later clients are refused by the kernel
    /// (ECONNREFUSED) rather than queued for nobody — `nc -l` after its one client.
    /// A Unix socket's file stays until the listener is gone.
    package func stopListening() {
        for socket in sockets { socket.close() }
    }

    /// Tells the caller the listener is ready (`ListenerEvent.listening`).
    package func announce() {
        events(.listening(bound.address))
        for other in others { events(.listening(other.address)) }
    }

    /// Accepts every connection waiting now (`accept4` until EAGAIN) and returns those
    /// the policy admits, given that `serving` clients are being served already.
    /// Refused ones are closed at once and reported.
    /// At most `limit` are taken; the rest stay in the kernel's queue.
    /// `from` is the listening socket that was readable (by default the first).
    package func acceptWaiting(serving: Int, limit: Int = .max, from socket: Socket? = nil) throws(SockscopeError) -> [Client] {
        var clients: [Client] = []
        while clients.count < limit, let client = try acceptOne(serving: serving + clients.count, from: socket ?? bound.socket) {
            clients.append(client)
        }
        return clients
    }

    /// Waits (through the event loop: a signal ends the wait) for the next client the
    /// policy admits.
    package func acceptNext() throws(SockscopeError) -> Client {
        while true {
            let ready: Bool
            do {
                ready = try EventLoop.wait(for: bound.socket.descriptor, .readable, deadline: hasAdmitted ? nil : acceptDeadline)
            } catch {
                throw SockscopeError(error)
            }
            if !ready { throw acceptTimeoutError }
            if let client = try acceptOne(serving: 0, from: bound.socket, single: true) { return client }
        }
    }

    /// One `accept4`; nil when none is waiting. A refused client is closed and the next tried.
    /// `single`: the server waits for one client (no -k), so a failed TLS handshake ends
    /// it, as `ncat -l --ssl` ends: the one client it was waiting for is gone.
    private func acceptOne(serving: Int, from listening: Socket, single: Bool = false) throws(SockscopeError) -> Client? {
        while true {
            let accepted: (socket: Socket, peer: SocketAddress)?
            do {
                accepted = try listening.accept()
            } catch {
                if [.tooManyOpenFiles, .tooManyOpenFilesInSystem].contains(error.errno) {
                    // Out of descriptors: the connection would stay queued and the listener
                    // readable forever (a spinning loop). Spend the reserve descriptor to
                    // take it off the queue and close it, and say why.
                    refuseWithReserve(error.errno, from: listening)
                    return nil
                }
                if [.noBufferSpace, .noMemory].contains(error.errno) {
                    events(.acceptFailed(error.errno.nameAndText))
                    return nil
                }
                throw SockscopeError(error)
            }
            guard let (socket, peer) = accepted else { return nil }
            if let reason = refusal(for: peer, serving: serving + handshaking) {
                // Reset, not FIN: a plain close turned into an RST only when the client's
                // data had arrived first, so the client saw EOF or a reset by a race. Now
                // every refused client sees ECONNRESET.
                try? socket.set(.linger(seconds: 0))
                socket.close()
                events(.refused(peer: peer, reason: reason, count: 1))
                continue
            }
            for option in policy.acceptedOptions {
                do { try socket.set(option) } catch { throw SockscopeError(error) }
            }
            socket.traceEndpoints()
            admitted += 1
            events(.accepted(peer: peer, client: admitted))
            let client = Client(socket: socket, peer: peer, number: admitted)
            guard let tls = policy.tls else { return client }
            if let handshakes {
                // Many clients: the handshake goes on in the server's loop; the next
                // connection is accepted meanwhile (a silent client holds up no one).
                try startHandshake(client, tls, handshakes)
                continue
            }
            if let secured = try secure(client, tls, single: single) { return secured }
        }
    }

    /// The TLS handshake with a new client (bounded by `TLSService.handshakeTimeout`),
    /// reported; nil when it failed (the client is closed). A signal ends it at once.
    private func secure(_ client: Client, _ tls: TLSService, single: Bool) throws(SockscopeError) -> Client? {
        let session = try TLSSession(context: tls.context, socket: client.socket)
        do {
            try session.performHandshake(deadline: .now + tls.handshakeTimeout)
        } catch {
            if error.status == .interrupted || error.status == .terminated || error.endsServer { throw error }
            client.socket.close()
            events(.tls(peer: client.peer, client: client.number, handshake: session.handshake, failure: error))
            events(.closed(peer: client.peer, client: client.number, reason: "the TLS handshake failed", report: nil))
            guard single else { return nil }
            throw SockscopeError(
                "the one client's TLS handshake failed (\(client.peer)); a listener without -k serves one client",
                explanation: "-k keeps listening after a failed handshake", status: error.status)
        }
        events(.tls(peer: client.peer, client: client.number, handshake: session.handshake, failure: nil))
        guard tls.bridged else { return Client(socket: client.socket, peer: client.peer, number: client.number, tls: session) }
        let plain = try TLSBridge.start(session, tracer: client.socket.tracer)
        return Client(socket: plain, peer: client.peer, number: client.number, bridgedLocal: client.socket.localAddress)
    }

    /// Where the TLS handshakes of a many-client server go on: its loop, and what to do
    /// with a client once its handshake is done (`handshake(in:then:)`).
    var handshakes: (loop: EventLoop, admit: (Client) throws(SockscopeError) -> Void)?
    /// Clients whose handshake is under way: they count against --max-clients already.
    var handshaking = 0

    /// A descriptor kept open for one purpose: to accept (and close) a connection when
    /// the process has no other descriptor left.
    private var reserve: OwnedDescriptor?

    /// Opens the reserve descriptor, out of the way of the numbers -v narrates.
    private static func openReserve() -> OwnedDescriptor? {
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        return fd >= 0 ? OwnedDescriptor(adopting: cshim_move_high(fd)) : nil  // the number moved keeps it open
    }

    private func refuseWithReserve(_ error: Errno, from listening: Socket) {
        guard let held = reserve else {
            events(.acceptFailed(error.nameAndText))
            return
        }
        held.close()
        if let (socket, peer) = try? listening.accept() {
            socket.close()
            events(.refused(peer: peer, reason: .exhausted(error.nameAndText), count: 1))
        }
        reserve = Self.openReserve()
    }

    private func refusal(for peer: SocketAddress, serving: Int) -> Refusal? {
        if let reason = policy.access.refusal(for: peer) { return reason }
        if let maximum = policy.maxClients, serving >= maximum { return .full(maximum: maximum) }
        return nil
    }

    /// Whether a datagram from `source` may be served: --allow/--deny, then --max-clients
    /// (the first N sources are served, by address and port). A refused one is dropped;
    /// the first from each host is reported at once, later ones at most once a second
    /// per host, with how many were dropped since.
    package func admits(datagramFrom source: SocketAddress?) -> Bool {
        guard let source else { return true }
        var refusal = policy.access.refusal(for: source)
        if refusal == nil, let maximum = policy.maxClients, !datagramPeers.contains(source) {
            if datagramPeers.count < maximum { datagramPeers.insert(source) } else { refusal = .full(maximum: maximum) }
        }
        guard let reason = refusal else { return true }
        guard let host = source.ipAddress else {
            events(.refused(peer: source, reason: reason, count: 1))  // a Unix socket's path: each is said
            return false
        }
        let now = ContinuousClock.now
        if let previous = refusedDatagrams[host] {
            let count = previous.count + 1
            if previous.reported.duration(to: now) >= .seconds(1) {
                events(.refused(peer: source.unmapped, reason: reason, count: count))
                refusedDatagrams[host] = (0, now)
            } else {
                refusedDatagrams[host] = (count, previous.reported)
            }
        } else {
            events(.refused(peer: source.unmapped, reason: reason, count: 1))
            refusedDatagrams[host] = (0, now)
        }
        return false
    }
}

/// What a listener tells its caller as it runs, in every mode.
package enum ListenerEvent: Sendable {
    /// Bound and (for streams) listening; the address has the port the kernel chose for port 0.
    case listening(SocketAddress)
    /// A client connected and was admitted.
    case accepted(peer: SocketAddress, client: Int)
    /// A client (or `count` datagrams from one source) refused by --allow/--deny or --max-clients.
    case refused(peer: SocketAddress, reason: Refusal, count: Int)
    /// accept() failed for want of a resource (EMFILE, ENFILE, ENOBUFS, ENOMEM); the client waits in the queue.
    case acceptFailed(String)
    /// A client's connection ended; the relay's report when one client was relayed.
    case closed(peer: SocketAddress, client: Int, reason: String, report: StreamRelay.Report?)
    /// `--tls`: a client's handshake finished, or failed (then `failure` says why).
    case tls(peer: SocketAddress, client: Int, handshake: TLSHandshake, failure: SockscopeError?)
    /// `--exec`: a program started for a client.
    case started(peer: SocketAddress, pid: Int32)
    /// `--exec`: the client hung up; the program sees end of input.
    case hungUp(peer: SocketAddress, pid: Int32)
    /// `--exec`: the program outlived its client's hang-up by the grace time and got SIGTERM.
    case terminated(peer: SocketAddress, pid: Int32)
    /// `--exec`: the program exited with this wait status.
    case exited(peer: SocketAddress, pid: Int32, status: Int32)
}
