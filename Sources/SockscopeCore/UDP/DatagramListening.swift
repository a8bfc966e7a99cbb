/// Receiving datagrams until enough have come, or none has come for a while.
package enum DatagramListening {
    /// Receives on `socket` in batches and hands each datagram to `handle`, until
    /// `count` datagrams have arrived or `idle` passes without one (forever when both
    /// are nil). Returns how many arrived.
    /// - Throws: `SockscopeError` for a failed receive (ECONNREFUSED: the peer's host
    ///   answered a connected socket's datagram with ICMP port-unreachable), or
    ///   whatever `handle` throws.
    package static func receive(
        on socket: Socket, bufferSize: Int, idle: Duration?, count: Int?,
        handle: (DatagramBatchReceiver.Received) throws(SockscopeError) -> Void
    ) throws(SockscopeError) -> Int {
        let receiver = DatagramBatchReceiver(bufferSize: bufferSize, batch: count.map { min($0, 64) } ?? 64)
        let loop: EventLoop
        do {
            loop = try EventLoop()
            try loop.setInterest(.readable, for: socket.fd)
        } catch {
            throw SockscopeError(error)
        }
        let clock = ContinuousClock()
        var lastArrival = clock.now
        var total = 0
        while count.map({ total < $0 }) ?? true {
            let wait = idle.map { $0 - lastArrival.duration(to: clock.now) }
            if let wait, wait <= .zero { break }
            do {
                let ready = try loop.wait(timeout: wait)
                if ready.isEmpty { continue }
            } catch {
                throw SockscopeError(error)
            }
            var failure: SockscopeError?
            let arrived: Int
            do {
                arrived = try receiver.receive(on: socket.fd) { datagram in
                    guard failure == nil, count.map({ total < $0 }) ?? true else { return }
                    total += 1
                    do { try handle(datagram) } catch let error as SockscopeError { failure = error }
                }
            } catch let error as SocketCallError {
                throw SockscopeError(error, peer: socket.remoteAddress)
            } catch {
                throw SockscopeError("receive failed: \(error)", status: .ioError)
            }
            if let failure { throw failure }
            if arrived > 0 { lastArrival = clock.now }
        }
        return total
    }
}

extension SockscopeError {
    /// A failed datagram call, explained with the peer it concerned.
    package init(_ failure: SocketCallError, peer: SocketAddress?) {
        var failure = failure
        if failure.address == nil { failure.address = peer }
        self.init(failure)
    }
}
