import Glibc
import SystemPackage

extension TLSBridge {
    /// Starts relaying a DTLS association to a Unix stream pair, whose other end a
    /// program gets (`--exec` with `-u --tls`): as `connect -u` treats stdin, each read
    /// of what the program wrote goes out as one record (one datagram, 16 KiB at most),
    /// and each record received is written to it in order. A stream, not a message
    /// socket: a program that reads a byte at a time (the shell's `read`) loses nothing.
    /// The program's end of output (it closed the pair) sends close_notify; the peer's
    /// close_notify reaches the program as the end of its input.
    /// - Returns: the program's end of the pair.
    package static func startDatagrams(_ session: TLSSession, tracer: SocketTracer) throws(SockscopeError) -> Socket {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SockscopeError(SocketCallError(.socket, .current))
        }
        let inner = Socket(adopting: pair[0], family: .unix, type: .stream, tracer: .silent)
        let outer = Socket(adopting: pair[1], family: .unix, type: .stream, tracer: tracer)
        let job = DatagramJob(session: session, inner: inner)
        return try launch(job.run, inner: inner, outer: outer)
    }

    private final class DatagramJob: @unchecked Sendable {
        let session: TLSSession
        let inner: Socket

        init(session: TLSSession, inner: Socket) {
            self.session = session
            self.inner = inner
        }

        func run() {
            var options = DatagramRelay.Options(replyWait: .zero, datagramSize: TLSSession.largestDatagramRecord)
            options.endsWithInput = true  // the program closed its end: the association ends
            options.outputMayClose = true  // a program that never reads still has its output sent
            let relay = DatagramRelay(
                socket: session.socket, tls: session, input: FileDescriptor(rawValue: inner.fd), output: inner.fd, peer: .connected, options: options,
                notices: session.socket.tracer)
            do {
                _ = try relay.run()
            } catch {
                session.socket.tracer.record("DTLS relay for fd \(session.socket.fd) ended: \(error)")
                TLSBridge.lastFailure.withLock { $0 = error }
            }
            session.socket.close()
            inner.close()
            TLSBridge.ended()
        }
    }
}
