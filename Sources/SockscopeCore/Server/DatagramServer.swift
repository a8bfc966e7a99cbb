/// A UDP or Unix datagram listener: prints what arrives and sends stdin to whoever
/// sent last (like `nc -lu`), or echoes each datagram back to its sender.
public final class DatagramServer {
    private let bound: BoundSocket
    private let options: DatagramRelay.Options
    private let notices: SocketTracer
    private let events: (ListenerEvent) -> Void

    public init(_ request: ListenRequest, options: DatagramRelay.Options, tracer: SocketTracer, notices: SocketTracer,
                events: @escaping (ListenerEvent) -> Void) throws(SockscopeError) {
        bound = try BoundSocket(request, tracer: tracer)
        self.options = options
        self.notices = notices
        self.events = events
    }

    public var address: SocketAddress { bound.address }

    /// Runs until the idle timeout passes (forever without one).
    public func run() throws(SockscopeError) -> DatagramRelay.Report {
        events(.listening(bound.address))
        let relay = DatagramRelay(socket: bound.socket, input: options.echo == nil ? 0 : nil, output: 1, peer: .lastSender,
                                  options: options, notices: notices)
        return try relay.run()
    }
}
