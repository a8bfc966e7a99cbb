import SystemPackage

/// A DTLS listener (`listen -u --tls`): serves one client, as a stream listener without
/// --keep-open serves one connection. ClientHellos are answered with a cookie until
/// one comes back with it (`DTLSv1_listen`: no state is kept for a source that has not
/// proved its address); the policy (--allow/--deny) then judges that address, the
/// socket is connected to it — the kernel now drops every other source — and the
/// handshake goes on. The relay ends at the client's close_notify, an ICMP error,
/// the idle timeout, or a signal.
package final class DatagramTLSServer {
    private let listener: Listener
    private let service: TLSService
    private let options: DatagramRelay.Options
    private let notices: SocketTracer
    /// Sees every datagram's plaintext, sent and received (for --hexdump and --output).
    package var observer: ((StreamRelay.Direction, UnsafeRawBufferPointer) -> Void)?

    package init(
        _ request: ListenRequest, service: TLSService, options: DatagramRelay.Options, policy: Listener.Policy, tracer: SocketTracer,
        notices: SocketTracer, events: @escaping (ListenerEvent) -> Void
    ) throws(SockscopeError) {
        listener = try Listener(request, policy: policy, tracer: tracer, events: events)
        self.service = service
        var options = options
        options.endsWithInput = false  // a server serves its client until it ends
        options.datagramSize = min(options.datagramSize, TLSSession.largestDatagramRecord)
        self.options = options
        self.notices = notices
    }

    package var address: SocketAddress { listener.address }

    /// Waits for a client (bounded by the idle timeout), makes the handshake and relays
    /// stdin and stdout to it.
    /// - Throws: the handshake's failure (the one client is gone, so the listener ends,
    ///   as `listen --tls` does), a relay failure, a signal.
    package func run(input: FileDescriptor, output: Int32) throws(SockscopeError) -> DatagramRelay.Report {
        guard let (session, peer) = try secureClient() else {
            var report = DatagramRelay.Report()
            report.timedOut = true
            return report
        }
        let relay = DatagramRelay(socket: listener.socket, tls: session, input: input, output: output, peer: .connected, options: options, notices: notices)
        relay.observer = observer
        let report = try relay.run()
        let reason = report.timedOut ? "idle timeout" : "the client sent close_notify"
        listener.report(.closed(peer: peer, client: 1, reason: reason, report: nil))
        return report
    }

    /// `--exec`: the client's plaintext is the program's stdin and stdout (a stream, each
    /// read of its output one datagram: ``TLSBridge/startDatagrams(_:tracer:)``), with
    /// the environment a UDP program gets; waits for the program and the relay.
    /// - Returns: the program's wait status (nil when no client came before the idle timeout).
    package func runProgram(_ command: [String], mergeStderr: Bool) throws(SockscopeError) -> Int32? {
        guard let (session, peer) = try secureClient() else { return nil }
        let environment = ProcessSpawner.connectionEnvironment(protocolName: "udp", remote: peer, local: listener.socket.localAddress?.unmapped)
        let stream = try TLSBridge.startDatagrams(session, tracer: listener.socket.tracer)
        let status = try ProcessSpawner.run(command, on: stream, mergeStderr: mergeStderr, environment: environment)
        TLSBridge.finishAll(within: .seconds(2))
        if let failure = TLSBridge.takeFailure() { throw failure }
        listener.report(.closed(peer: peer, client: 1, reason: "the program ended", report: nil))
        return status
    }

    /// Announces the listener, waits for the first admitted client and makes the handshake.
    /// - Returns: the session and the client's address; nil when the idle timeout passed first.
    private func secureClient() throws(SockscopeError) -> (TLSSession, SocketAddress)? {
        listener.announce()
        guard let (session, address) = try nextClient() else { return nil }
        let peer = address.unmapped
        listener.report(.accepted(peer: peer, client: 1))
        do {
            try session.performHandshake(deadline: .now + service.handshakeTimeout)
        } catch {
            listener.report(.tls(peer: peer, client: 1, handshake: session.handshake, failure: error))
            listener.report(.closed(peer: peer, client: 1, reason: "the DTLS handshake failed", report: nil))
            throw error
        }
        listener.report(.tls(peer: peer, client: 1, handshake: session.handshake, failure: nil))
        return (session, peer)
    }

    /// The first client that proves its address and that the policy admits, its session
    /// moved to the socket, now connected to it; nil when the idle timeout passes first.
    private func nextClient() throws(SockscopeError) -> (TLSSession, SocketAddress)? {
        let socket = listener.socket
        var session = try TLSSession(context: service.context, socket: socket)
        var lastHeard = ContinuousClock.now
        while true {
            if let peer = try session.listenForClient() {
                guard listener.admits(datagramFrom: peer) else {
                    session = try TLSSession(context: service.context, socket: socket)  // forget it
                    continue
                }
                do { try socket.connect(to: peer, timeout: nil) } catch { throw SockscopeError(error) }
                try session.useConnectedSocket()
                return (session, peer)
            }
            let deadline = options.idleTimeout.map { lastHeard + $0 }
            let ready: Bool
            do { ready = try EventLoop.wait(for: socket.descriptor, .readable, deadline: deadline) } catch { throw SockscopeError(error) }
            if !ready { return nil }
            lastHeard = .now
        }
    }
}
