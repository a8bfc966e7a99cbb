/// `demo --tls`: the same connection with a TLS session on each end, both handshakes
/// driven on one event loop in this thread (each steps when its socket is ready).
extension DemoRun {
    /// Both handshakes, driven on one loop until both are done (bounded to 5 s).
    mutating func tlsHandshake(client: Socket, server: Socket) throws {
        let serverContext = try TLSContext(TLSConfiguration(role: .server, verify: false))
        let clientContext = try TLSContext(TLSConfiguration(role: .client, verify: false))
        let serverSide = try TLSSession(context: serverContext, socket: server)
        let clientSide = try TLSSession(context: clientContext, socket: client, serverName: "localhost")
        let started = ContinuousClock.now
        let loop = try EventLoop()
        var ended = 0
        var failure: SockscopeError?
        for (session, socket) in [(clientSide, client), (serverSide, server)] {
            try loop.drive(session, on: socket, deadline: started + .seconds(5)) { error in
                ended += 1
                failure = failure ?? error
            }
        }
        try loop.run(until: { ended == 2 })
        if let failure {
            throw failure.status == .timedOut ? SockscopeError("the demo's TLS handshake stalled", status: .internalError) : failure
        }
        clientSide.noteDuration(.now - started)
        clientSessionFacts(clientSide)
        clientSession = clientSide
        serverSession = serverSide
        try step(
            .client,
            "the TLS handshake rides on the open TCP connection: ClientHello → ServerHello, the server's certificate and Finished, the client's Finished; the TCP states do not change, and from here on what TCP carries is encrypted"
        )
    }

    private func clientSessionFacts(_ session: TLSSession) {
        let facts = session.handshake
        record(
            "SSL_do_handshake(fd \(session.socket.fd)) → \(facts.version ?? "?"), \(facts.cipher ?? "?"), group \(facts.group ?? "?"), server certificate "
                + (facts.chain.first?.subject ?? "?") + " (not verified: the demo's own ephemeral one)")
    }

    /// Sends all of `bytes`: `send` on the socket, or `SSL_write` on its session.
    mutating func sendAll(_ bytes: [UInt8], on socket: Socket, session: TLSSession?) throws {
        guard let session else {
            try bytes.withUnsafeBytes { try socket.sendAll($0) }
            record("send(fd \(socket.fd), \(bytes.count) bytes) → \(bytes.count)")
            return
        }
        var sent = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while sent < bytes.count || session.hasPendingOutput {
            guard ContinuousClock.now < deadline else { throw SockscopeError("the demo's TLS connection stalled", status: .internalError) }
            if sent < bytes.count, let count = try bytes[sent...].withUnsafeBytes({ try session.write($0) }) {
                sent += count
            } else if session.hasPendingOutput, try !session.flushPending() {
                _ = try EventLoop.wait(for: socket.descriptor, .writable, deadline: .now + .milliseconds(100))
            }
        }
        record("SSL_write(fd \(socket.fd), \(bytes.count) bytes) → \(bytes.count)")
    }

    /// What has arrived: `recv`, or `SSL_read` (0 bytes at close_notify).
    func receiveSome(_ socket: Socket, session: TLSSession?) throws -> [UInt8] {
        guard let session else {
            let received = try receiveSome(socket)
            if !received.isEmpty { record("recv(fd \(socket.fd), 1024) → \(counted(received.count, "byte")) \(quoted(received))") }
            return received
        }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if let count = try buffer.withUnsafeMutableBytes({ try session.read(into: $0) }) {
                let received = Array(buffer.prefix(count))
                record(
                    "SSL_read(fd \(socket.fd), 1024) → "
                        + (count == 0 ? "0 (close_notify: the end of the peer's data)" : "\(counted(count, "byte")) \(quoted(received))"))
                return received
            }
            if !session.hasBufferedInput {
                _ = try EventLoop.wait(for: socket.descriptor, session.readWaitsForWritable ? .writable : .readable, deadline: .now + .milliseconds(100))
            }
        }
        throw SockscopeError("the demo's TLS connection stalled", status: .internalError)
    }

    /// The end of our sending: close_notify then FIN with TLS, FIN alone without.
    mutating func finishSending(_ socket: Socket, session: TLSSession?) throws {
        guard let session else {
            socket.shutdownWrite()
            return
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while !session.closeWrite() {
            guard ContinuousClock.now < deadline else { throw SockscopeError("the demo's TLS connection stalled", status: .internalError) }
            _ = try EventLoop.wait(for: socket.descriptor, .writable, deadline: .now + .milliseconds(100))
        }
    }
}
