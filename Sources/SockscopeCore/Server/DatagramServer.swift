import SystemPackage

/// A UDP or Unix datagram listener: prints what arrives and sends stdin to whoever
/// sent last (like `nc -lu`), or echoes each datagram back to its sender. Datagrams
/// from sources the policy refuses are dropped (and logged) before anything else.
package final class DatagramServer {
    private let listener: Listener
    private let options: DatagramRelay.Options
    private let notices: SocketTracer
    /// Sees every datagram sent and received (for --hexdump and --output).
    package var observer: ((StreamRelay.Direction, UnsafeRawBufferPointer) -> Void)?

    package init(
        _ request: ListenRequest, options: DatagramRelay.Options, policy: Listener.Policy, tracer: SocketTracer,
        notices: SocketTracer, events: @escaping (ListenerEvent) -> Void
    ) throws(SockscopeError) {
        listener = try Listener(request, policy: policy, tracer: tracer, events: events)
        self.options = options
        self.notices = notices
    }

    package var address: SocketAddress { listener.address }

    /// Runs until the idle timeout passes (forever without one).
    package func run(input: FileDescriptor, output: Int32) throws(SockscopeError) -> DatagramRelay.Report {
        listener.announce()
        let relay = DatagramRelay(
            socket: listener.socket, input: options.echo == nil ? input : nil, output: output, peer: .lastSender,
            options: options, notices: notices)
        relay.admit = { [listener] in listener.admits(datagramFrom: $0) }
        relay.observer = observer
        return try relay.run()
    }
}
