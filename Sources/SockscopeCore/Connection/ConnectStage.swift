/// A non-blocking connect as the first stage of a connection: the first step calls
/// connect() (done at once on loopback now and then), a later one — when the socket is
/// writable — reads the outcome (`Socket.finishConnect`: SO_ERROR).
package final class ConnectStage: ConnectionStage {
    package let destination: SocketAddress
    /// The failed connect(), when the stage failed: its errno tells a refusal from this
    /// machine running short (EMFILE, EADDRNOTAVAIL), which a prober must not count as
    /// the port's answer.
    package private(set) var failure: SocketCallError?
    private var started = false

    package init(to destination: SocketAddress) {
        self.destination = destination
    }

    package func step(on socket: Socket) throws(SockscopeError) -> StageProgress {
        do throws(SocketCallError) {
            if !started {
                started = true
                return try socket.startConnect(to: destination) ? .done : .waiting(.writable)
            }
            try socket.finishConnect(to: destination)
            return .done
        } catch {
            failure = error
            throw SockscopeError(error)
        }
    }

    /// No answer to the SYN in time: ETIMEDOUT, with how long was waited (exit 75).
    package func timedOut(after waited: Duration) -> SockscopeError {
        let error = SocketCallError(.connect, .timedOut, address: destination, waited: waited)
        failure = error
        return SockscopeError(error)
    }
}
