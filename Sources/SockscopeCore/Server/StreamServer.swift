/// A TCP or Unix stream listener that serves one client (`nc -l`): relays it to
/// stdin/stdout, or echoes it. Many clients at once: `MultiClientServer`.
public final class StreamServer {
    /// What to do with each client.
    public enum Behaviour: Sendable {
        /// stdin → client, client → stdout (nc -l).
        case standardStreams
        /// Send back what the client sends, transformed (`--echo`, `--upper`).
        case echo(ByteTransform)
    }

    private let bound: BoundSocket
    private let behaviour: Behaviour
    private let relayOptions: StreamRelay.Options
    private let acceptedOptions: [SocketOption]
    private let access: AccessControl
    private let events: (ListenerEvent) -> Void
    /// Sees every chunk each relay reads (for --hexdump and --output).
    public var observer: ((StreamRelay.Direction, UnsafeRawBufferPointer) -> Void)?

    /// Binds and listens at once, so errors such as EADDRINUSE surface here.
    public init(_ request: ListenRequest, behaviour: Behaviour, relayOptions: StreamRelay.Options, access: AccessControl = AccessControl(),
                acceptedOptions: [SocketOption], tracer: SocketTracer, events: @escaping (ListenerEvent) -> Void) throws(SockscopeError) {
        bound = try BoundSocket(request, tracer: tracer)
        self.behaviour = behaviour
        self.relayOptions = relayOptions
        self.acceptedOptions = acceptedOptions
        self.access = access
        self.events = events
    }

    /// The address the listener is bound to.
    public var address: SocketAddress { bound.address }

    /// Accepts one client (refusing any that --allow/--deny exclude) and serves it.
    /// - Throws: `SockscopeError` for a failed call or a failed relay.
    public func run() throws(SockscopeError) {
        events(.listening(bound.address))
        let (client, peer) = try acceptNext()
        defer { client.close() }
        events(.accepted(peer: peer))
        do {
            for option in acceptedOptions { try client.set(option) }
        } catch {
            throw SockscopeError(error)
        }
        client.traceEndpoints()
        let mode: StreamRelay.Mode
        switch behaviour {
        case .standardStreams: mode = .standardStreams(input: 0, output: 1)
        case .echo(let transform): mode = .echo(transform)
        }
        let relay = StreamRelay(socket: client, mode: mode, options: relayOptions)
        if let observer { relay.observe(observer) }
        let report = try relay.run()
        events(.finished(peer: peer, report: report))
    }

    private func acceptNext() throws(SockscopeError) -> (Socket, SocketAddress) {
        while true {
            do {
                try bound.socket.waitUntil(writable: false, timeout: .milliseconds(200))
                try Interruption.check()
                if let accepted = try bound.socket.accept() {
                    if let reason = access.refusal(for: accepted.peer) {
                        accepted.socket.close()
                        events(.refused(peer: accepted.peer, reason: reason))
                        continue
                    }
                    return accepted
                }
            } catch let error as SocketCallError {
                throw SockscopeError(error)
            } catch {
                throw error as? SockscopeError ?? SockscopeError("\(error)", status: .internalError)
            }
        }
    }
}
