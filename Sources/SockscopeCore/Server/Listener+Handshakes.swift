/// TLS handshakes of many-client servers, driven by the server's event loop: each new
/// client's `SSL_do_handshake` is stepped as its socket allows, bounded by
/// `TLSService.handshakeTimeout`, while the listener goes on accepting, so a client that
/// connects and stays silent delays no other (ncat: "does not block during handshake").
extension Listener {
    /// Has the handshakes of TLS clients made in `loop`; `admit` gets each client once its
    /// handshake has succeeded: its plaintext end when TLS is bridged, else its socket
    /// and session (the server relays TLS on its own loop). Without this call a
    /// handshake is made at accept time, before the client is returned.
    package func handshake(in loop: EventLoop, then admit: @escaping (Client) throws(SockscopeError) -> Void) {
        handshakes = (loop, admit)
    }

    /// Starts the handshake with `client` and drives it on the loop until it ends.
    func startHandshake(
        _ client: Client, _ tls: TLSService, _ handshakes: (loop: EventLoop, admit: (Client) throws(SockscopeError) -> Void)
    ) throws(SockscopeError) {
        let session = try TLSSession(context: tls.context, socket: client.socket)
        let started = ContinuousClock.now
        handshaking += 1
        try handshakes.loop.drive(session, on: client.socket, deadline: started + tls.handshakeTimeout) { [self] failure throws(SockscopeError) in
            handshaking -= 1
            session.noteDuration(.now - started)
            try finishHandshake(client, session, bridged: tls.bridged, failure: failure, admit: handshakes.admit)
        }
    }

    /// Reports the handshake's end; a failed client is closed, a secured one bridged and admitted.
    private func finishHandshake(
        _ client: Client, _ session: TLSSession, bridged: Bool, failure: SockscopeError?, admit: (Client) throws(SockscopeError) -> Void
    ) throws(SockscopeError) {
        if let failure {
            client.socket.close()
            if failure.endsServer { throw failure }
            report(.tls(peer: client.peer, client: client.number, handshake: session.handshake, failure: failure))
            report(.closed(peer: client.peer, client: client.number, reason: "the TLS handshake failed", report: nil))
            return
        }
        report(.tls(peer: client.peer, client: client.number, handshake: session.handshake, failure: nil))
        guard bridged else { return try admit(Client(socket: client.socket, peer: client.peer, number: client.number, tls: session)) }
        let plain = try TLSBridge.start(session, tracer: client.socket.tracer)
        try admit(Client(socket: plain, peer: client.peer, number: client.number, bridgedLocal: client.socket.localAddress))
    }
}
