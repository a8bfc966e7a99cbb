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
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        var lastArrival = ContinuousClock.now
        var total = 0
        var timer: EventLoop.Timer?
        var quiet = false
        let result: Result<Void, SockscopeError> = withoutActuallyEscaping(handle) { handle in
            do throws(SockscopeError) {
                try loop.register(socket.descriptor, .readable) { _ throws(SockscopeError) in
                    if try receiveBatch(receiver, on: socket, total: &total, count: count, handle: handle) > 0 { lastArrival = .now }
                }
                try loop.run {
                    quiet || count.map { total >= $0 } ?? false
                } prepare: { () throws(SockscopeError) in
                    guard let idle else { return }
                    if let timer { loop.cancel(timer) }
                    timer = loop.schedule(at: lastArrival + idle) { quiet = true }
                }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return total
    }

    /// Receives what is waiting (recvmmsg) and hands each datagram, up to `count` in
    /// all, to `handle`. Returns how many arrived.
    private static func receiveBatch(
        _ receiver: DatagramBatchReceiver, on socket: Socket, total: inout Int, count: Int?,
        handle: (DatagramBatchReceiver.Received) throws(SockscopeError) -> Void
    ) throws(SockscopeError) -> Int {
        var failure: SockscopeError?
        var seen = total
        let arrived: Int
        do {
            arrived = try receiver.receive(on: socket.fd) { datagram in
                guard failure == nil, count.map({ seen < $0 }) ?? true else { return }
                seen += 1
                do { try handle(datagram) } catch let error as SockscopeError { failure = error }
            }
        } catch let error as SocketCallError {
            throw SockscopeError(error, peer: socket.remoteAddress)
        } catch {
            throw SockscopeError("receive failed: \(error)", status: .ioError)
        }
        total = seen
        if let failure { throw failure }
        return arrived
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
