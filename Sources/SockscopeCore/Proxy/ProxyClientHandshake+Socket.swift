/// The proxy client handshake as a connection stage: bytes in and out of a socket
/// connected to the proxy, stepped on a loop (`forward --proxy`, `probe --proxy`) or
/// run to its end (`connect --proxy`) by the same code.
extension ProxyClientHandshake: ConnectionStage {
    /// Opens the tunnel over `socket`, connected to the proxy, waiting through the event
    /// loop's one-descriptor wait (a signal ends it), bounded by `deadline`.
    /// - Returns: the bytes that followed the proxy's answer (the destination's first data).
    /// - Throws: the proxy's refusal, explained; a timeout (exit 75); the socket's failure.
    package func perform(on socket: Socket, deadline: ContinuousClock.Instant?, tracer: SocketTracer) throws(SockscopeError) -> [UInt8] {
        tracer.record("proxy \(proxy): asking it to connect to \(destination)")
        try run(on: socket, deadline: deadline)
        if let answeredScheme { tracer.record("proxy \(proxy): answered its \(answeredScheme) challenge on a new connection") }
        tracer.record("proxy \(proxy): tunnel to \(destination) open (\(reply ?? "ok"))")
        return leftover
    }

    /// One step on a non-blocking socket connected to the proxy: says what the
    /// handshake has to say and reads the proxy's answers until it would block.
    /// `.done` once the tunnel is open; throws the proxy's refusal, explained
    /// (`refusal` then holds its code).
    package func step(on socket: Socket) throws(SockscopeError) -> StageProgress {
        if proxyAddress == nil { proxyAddress = socket.remoteAddress }
        if let address = reconnecting {
            reconnecting = nil
            do { try socket.finishConnect(to: address) } catch { throw SockscopeError(error) }
        }
        do { _ = try flush { raw throws(SocketCallError) in try socket.send(raw) } } catch { throw SockscopeError(error) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let result = buffer.withUnsafeMutableBytes { raw in Result { () throws(SocketCallError) in try socket.receive(into: raw) } }
            let read: Int?
            do { read = try result.get() } catch { throw SockscopeError(error) }
            guard let count = read else { return .waiting(output.isEmpty ? .readable : [.readable, .writable]) }
            guard count > 0 else {
                throw SockscopeError(
                    "the proxy \(proxy.host):\(proxy.port) closed the connection before answering",
                    explanation: "it may not be a \(proxy.kind.rawValue) proxy, or it refused this client", status: .ioError)
            }
            if try receive(buffer.prefix(count)) { return .done }
            if reconnectPending { return try reconnect(socket) }
        }
    }

    /// Answers the proxy's challenge on a new connection to it, under the socket's
    /// number (`Socket.reconnect`): ncat's way, and the only one a proxy that closes
    /// after its 407 (ncat's own) allows.
    private func reconnect(_ socket: Socket) throws(SockscopeError) -> StageProgress {
        reconnectPending = false
        guard let address = proxyAddress else {
            throw SockscopeError("the proxy's address is unknown: cannot connect again to answer its challenge", status: .ioError)
        }
        do { _ = try socket.reconnect(to: address) } catch { throw SockscopeError(error) }
        // Writability next, even when the connect completed at once: a loop watching the
        // number registers the new file when the interest changes (it was readable).
        reconnecting = address
        return .waiting(.writable)
    }

    /// The proxy did not answer in time (exit 75).
    package func timedOut(after waited: Duration) -> SockscopeError {
        SockscopeError(
            "the proxy \(proxy.host):\(proxy.port) did not answer in time", explanation: "it may be slow to reach \(destination), or not a proxy",
            status: .timedOut)
    }
}
