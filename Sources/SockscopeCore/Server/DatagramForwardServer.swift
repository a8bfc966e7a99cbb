import Glibc
import SystemPackage

/// `forward -u`: relays datagrams between each source and the target, all on one event
/// loop. The first datagram from a source opens a session: a UDP socket of its own,
/// `connect()`ed to the target, so the target sees each client as a different port and
/// its answers come back to that socket alone, to be sent on to the source from the
/// listening socket. A session ends when no datagram has passed either way for the idle
/// time. Sources the access rules refuse are dropped (and logged); past `maxSessions`,
/// datagrams from new sources are dropped the same way.
package final class DatagramForwardServer {
    private final class Session {
        let id: Int
        let peer: SocketAddress
        let socket: Socket
        let started = ContinuousClock.now
        var lastActive = ContinuousClock.now
        var toTarget = 0
        var toClient = 0
        var timer: EventLoop.Timer?
        var reportedFailure = false

        init(id: Int, peer: SocketAddress, socket: Socket) {
            self.id = id
            self.peer = peer
            self.socket = socket
        }
    }

    private let listener: Listener
    private let target: SocketAddress
    private let tracer: SocketTracer
    private let idle: Duration
    private let maxSessions: Int?
    private let listenerEvents: (ListenerEvent) -> Void
    private let forwardEvents: (ForwardEvent) -> Void
    private var sessions: [SocketAddress: Session] = [:]
    private var byDescriptor: [FileDescriptor: Session] = [:]
    private var nextID = 0
    private let receiver = DatagramBatchReceiver(bufferSize: 65536)
    private var buffer = [UInt8](repeating: 0, count: 65536)

    /// Sees every datagram, before it is sent on: the session's id, the leg it came from.
    package var observe: ((_ client: Int, _ from: ForwardEvent.Leg, _ bytes: UnsafeRawBufferPointer) -> Void)?

    package init(
        _ request: ListenRequest, target: SocketAddress, policy: Listener.Policy, idle: Duration, tracer: SocketTracer,
        events: @escaping (ListenerEvent) -> Void, forwardEvents: @escaping (ForwardEvent) -> Void
    ) throws(SockscopeError) {
        var access = policy
        maxSessions = policy.maxClients
        access.maxClients = nil
        listener = try Listener(request, policy: access, tracer: tracer, events: events)
        self.target = target
        self.tracer = tracer
        self.idle = idle
        listenerEvents = events
        self.forwardEvents = forwardEvents
    }

    package var address: SocketAddress { listener.address }

    /// Serves until SIGINT/SIGTERM, or until `stop` (when given) is requested.
    package func run(stoppedBy stop: EventLoop.StopRequest? = nil) throws(SockscopeError) {
        listener.announce()
        let (loop, stopped) = try EventLoop.serving(stoppedBy: stop)
        try loop.register(listener.socket.descriptor, .readable) { [self, unowned loop] _ throws(SockscopeError) in try fromClients(loop: loop) }
        try loop.run(until: stopped)
    }

    /// What waits on the listening socket: each datagram to its source's session.
    private func fromClients(loop: EventLoop) throws(SockscopeError) {
        var failure: SockscopeError?
        do {
            _ = try receiver.receive(on: listener.socket.fd) { datagram in
                guard failure == nil, let source = datagram.source, listener.admits(datagramFrom: source) else { return }
                do { try forward(datagram.payload, from: source, loop: loop) } catch let error as SockscopeError { failure = error }
            }
        } catch let error as SocketCallError {
            // An ICMP error for an earlier answer to a client (port unreachable): nothing to do.
            if error.errno != .connectionRefused { throw SockscopeError(error) }
        } catch {
            throw SockscopeError("receive failed: \(error)", status: .ioError)
        }
        if let failure { throw failure }
    }

    private func forward(_ payload: UnsafeRawBufferPointer, from source: SocketAddress, loop: EventLoop) throws(SockscopeError) {
        guard let session = try session(for: source, loop: loop) else { return }
        observe?(session.id, .client, payload)
        session.lastActive = .now
        // A datagram the socket has no room for is lost, as on any full path.
        if (try? session.socket.send(payload)) != nil { session.toTarget += payload.count }
    }

    /// The source's session, opened on its first datagram; nil when the limit refuses it.
    private func session(for source: SocketAddress, loop: EventLoop) throws(SockscopeError) -> Session? {
        if let session = sessions[source] { return session }
        if let maxSessions, sessions.count >= maxSessions {
            listenerEvents(.refused(peer: source.unmapped, reason: .full(maximum: maxSessions), count: 1))
            return nil
        }
        let socket: Socket
        do {
            socket = try Socket(family: target.family, type: .datagram, tracer: tracer)
            try socket.connect(to: target, timeout: nil)
        } catch {
            var failure = SockscopeError(error)
            if [.tooManyOpenFiles, .tooManyOpenFilesInSystem].contains(error.errno) {
                failure = SockscopeError(
                    "no socket for a new session: \(error.errno.nameAndText)",
                    explanation: "each source has a socket of its own: raise the descriptor limit (ulimit -n), or end idle sessions sooner with -i",
                    status: .ioError)
            }
            forwardEvents(.targetFailed(client: nextID + 1, peer: source, error: failure))
            return nil
        }
        nextID += 1
        let session = Session(id: nextID, peer: source, socket: socket)
        sessions[source] = session
        byDescriptor[socket.descriptor] = session
        try loop.register(socket.descriptor, .readable) { [self] readiness throws(SockscopeError) in fromTarget(readiness.descriptor) }
        forwardEvents(.connected(client: session.id, peer: source, target: target))
        expire(session, loop: loop)
        return session
    }

    /// The target's answers on one session's socket, each sent on to the session's source.
    private func fromTarget(_ fd: FileDescriptor) {
        guard let session = byDescriptor[fd] else { return }
        for _ in 0..<64 {
            let result = buffer.withUnsafeMutableBytes { bytes in
                Result { () throws(SocketCallError) in try session.socket.receiveDatagram(into: bytes) }
            }
            switch result {
            case .success(nil): return
            case .success(let datagram?):
                let count = datagram.keptBytes
                buffer.withUnsafeBytes { bytes in
                    let payload = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
                    observe?(session.id, .target, payload)
                    if (try? listener.socket.sendDatagram(payload, to: session.peer)) != nil { session.toClient += count }
                }
                session.lastActive = .now
            case .failure(let error):
                // ICMP port unreachable from the target: said once per session, which goes on.
                if !session.reportedFailure {
                    session.reportedFailure = true
                    forwardEvents(.targetFailed(client: session.id, peer: session.peer, error: SockscopeError(error)))
                }
                return
            }
        }
    }

    /// Ends the session once nothing has passed either way for the idle time.
    private func expire(_ session: Session, loop: EventLoop) {
        session.timer = loop.schedule(at: session.lastActive + idle) { [self, unowned loop, session] () throws(SockscopeError) in
            guard session.lastActive + idle <= .now else {
                expire(session, loop: loop)
                return
            }
            forwardEvents(
                .finished(
                    client: session.id, peer: session.peer, toTarget: session.toTarget, toClient: session.toClient, closedFirst: nil, reset: nil,
                    duration: .now - session.started))
            loop.forget(session.socket.descriptor)
            byDescriptor[session.socket.descriptor] = nil
            sessions[session.peer] = nil
            session.socket.close()
        }
    }
}
