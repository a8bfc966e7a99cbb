extension ProxyClientHandshake {
    /// Opens the tunnel over `socket`, connected to the proxy: `send()` what the
    /// handshake has to say and `recv()` the answers, each wait through the event loop's
    /// one-descriptor wait (a signal ends it) and bounded by `deadline`.
    /// - Returns: the bytes that followed the proxy's answer (the destination's first data).
    /// - Throws: the proxy's refusal, explained; a timeout (exit 75); the socket's failure.
    package func perform(on socket: Socket, deadline: ContinuousClock.Instant?, tracer: SocketTracer) throws(SockscopeError) -> [UInt8] {
        tracer.record("proxy \(proxy): asking it to connect to \(destination)")
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            while !output.isEmpty {
                let sent: Int?
                let result = output.withUnsafeBytes { bytes in Result { () throws(SocketCallError) in try socket.send(bytes) } }
                do { sent = try result.get() } catch { throw SockscopeError(error) }
                guard let sent else {
                    try wait(socket, .writable, deadline: deadline)
                    continue
                }
                self.sent(sent)
            }
            let count: Int?
            let result = buffer.withUnsafeMutableBytes { bytes in Result { () throws(SocketCallError) in try socket.receive(into: bytes) } }
            do { count = try result.get() } catch { throw SockscopeError(error) }
            guard let count else {
                try wait(socket, .readable, deadline: deadline)
                continue
            }
            guard count > 0 else {
                throw SockscopeError(
                    "the proxy \(proxy.host):\(proxy.port) closed the connection before answering",
                    explanation: "it may not be a \(proxy.kind.rawValue) proxy, or it refused this client", status: .ioError)
            }
            if try receive(buffer.prefix(count)) {
                tracer.record("proxy \(proxy): tunnel to \(destination) open (\(reply ?? "ok"))")
                return leftover
            }
        }
    }

    private func wait(_ socket: Socket, _ interest: EventLoop.Interest, deadline: ContinuousClock.Instant?) throws(SockscopeError) {
        let ready: Bool
        do { ready = try EventLoop.wait(for: socket.fd, interest, deadline: deadline) } catch { throw SockscopeError(error) }
        guard ready else {
            throw SockscopeError(
                "the proxy \(proxy.host):\(proxy.port) did not answer in time", explanation: "it may be slow to reach \(destination), or not a proxy",
                status: .timedOut)
        }
    }
}

extension ProxyClientHandshake {
    /// One step on a non-blocking socket connected to the proxy (`forward --proxy`,
    /// `probe --proxy`): says what the handshake has to say and reads the proxy's answers
    /// until it would block. Returns true once the tunnel is open; throws the proxy's
    /// refusal, explained (`refusal` then holds its code).
    package func step(on socket: Socket) throws(SockscopeError) -> Bool {
        let handshake = self
        while !handshake.output.isEmpty {
            let result = handshake.output.withUnsafeBytes { raw in Result { () throws(SocketCallError) in try socket.send(raw) } }
            let sent: Int?
            do { sent = try result.get() } catch { throw SockscopeError(error) }
            guard let sent else { break }
            handshake.sent(sent)
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let result = buffer.withUnsafeMutableBytes { raw in Result { () throws(SocketCallError) in try socket.receive(into: raw) } }
            let read: Int?
            do { read = try result.get() } catch { throw SockscopeError(error) }
            guard let count = read else { return false }
            guard count > 0 else {
                throw SockscopeError(
                    "the proxy \(handshake.proxy.host):\(handshake.proxy.port) closed the connection before answering",
                    explanation: "it may not be a \(handshake.proxy.kind.rawValue) proxy, or it refused this client", status: .ioError)
            }
            if try handshake.receive(buffer.prefix(count)) { return true }
        }
    }
}
