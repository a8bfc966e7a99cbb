/// A TCP or Unix stream listener that serves one client (`nc -l`): relays it to
/// stdin/stdout, or echoes it. Many clients at once: `MultiClientServer`.
package final class StreamServer {
    /// What to do with each client.
    package enum Behaviour: Sendable {
        /// stdin → client, client → stdout (nc -l).
        case standardStreams(input: Int32, output: Int32)
        /// Send back what the client sends, transformed (`--echo`, `--upper`).
        case echo(ByteTransform)
    }

    private let listener: Listener
    private let behaviour: Behaviour
    private let relayOptions: StreamRelay.Options
    private let events: (ListenerEvent) -> Void
    /// Sees every chunk each relay reads (for --hexdump and --output).
    package var observer: ((StreamRelay.Direction, UnsafeRawBufferPointer) -> Void)?
    /// Called once if the client's stream ends while stdin is still being sent.
    package var peerFinishedFirst: (() -> Void)?

    /// Binds and listens at once, so errors such as EADDRINUSE surface here.
    package init(
        _ request: ListenRequest, behaviour: Behaviour, relayOptions: StreamRelay.Options, policy: Listener.Policy,
        tracer: SocketTracer, events: @escaping (ListenerEvent) -> Void
    ) throws(SockscopeError) {
        listener = try Listener(request, policy: policy, tracer: tracer, events: events)
        self.behaviour = behaviour
        self.relayOptions = relayOptions
        self.events = events
    }

    /// The address the listener is bound to.
    package var address: SocketAddress { listener.address }

    /// Accepts one client (refusing any that --allow/--deny exclude) and serves it.
    /// - Throws: `SockscopeError` for a failed call or a failed relay.
    package func run() throws(SockscopeError) {
        listener.announce()
        let client = try listener.acceptNext()
        listener.stopListening()  // one client, as nc -l: later ones are refused, not queued for nobody
        defer { client.socket.close() }
        let mode: StreamRelay.Mode
        switch behaviour {
        case .standardStreams(let input, let output): mode = .standardStreams(input: input, output: output)
        case .echo(let transform): mode = .echo(transform)
        }
        let relay = StreamRelay(socket: client.socket, tls: client.tls, mode: mode, options: relayOptions)
        if let observer { relay.observe(observer) }
        relay.peerFinishedFirst = peerFinishedFirst
        let report = try relay.run()
        events(.closed(peer: client.peer, client: client.number, reason: report.ending.description, report: report))
    }
}
