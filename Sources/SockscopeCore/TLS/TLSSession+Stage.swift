import COpenSSL
import SystemPackage

/// The handshake as a connection stage: the one place `SSL_do_handshake` is stepped,
/// whoever drives it — a listener's loop, forward's target leg, the TLS prober, the
/// demo, or `connect` running it to its end.
extension TLSSession: ConnectionStage {
    /// One step of the handshake (`SSL_do_handshake` until it must wait for the
    /// socket); the facts are collected when it ends either way. `socket` is the
    /// session's own.
    /// - Throws: the handshake's failure, explained (79 verification, 76 TLS, 74 a key
    ///   log that cannot be written — a failure that ends a server).
    package func step(on socket: Socket) throws(SockscopeError) -> StageProgress {
        var systemErrno: Int32 = 0
        let result = cossl_handshake(handle, &systemErrno)
        switch result {
        case COSSL_DONE:
            collectFacts()
            if let failure = pinFailure() { throw failure }
            if let path = context.configuration.keylogFile, case let code = cossl_keylog_error(), code != 0 {
                // As with --output: a secret that could not be written ends the session.
                var failure = SockscopeError("cannot write the key log \(path): \(Errno(rawValue: code).nameAndText)", status: .ioError)
                failure.endsServer = true
                throw failure
            }
            return .done
        case COSSL_WANT_READ: return .waiting(.readable)
        case COSSL_WANT_WRITE: return .waiting(.writable)
        default: throw handshakeFailure(result, systemErrno: systemErrno)
        }
    }

    /// The peer accepted TCP but did not finish the handshake in time (exit 75); the
    /// facts learned so far are kept.
    package func timedOut(after waited: Duration) -> SockscopeError {
        collectFacts()
        if isDatagram {
            return SockscopeError(
                "DTLS handshake with \(peerText) timed out after \(SockscopeError.seconds(waited))",
                explanation: "no DTLS answer came (each unanswered flight was sent again): nothing serves DTLS on this UDP port, or a firewall drops it",
                status: .timedOut)
        }
        return SockscopeError(
            "TLS handshake with \(peerText) timed out after \(SockscopeError.seconds(waited))",
            explanation: "the peer accepted TCP but did not finish the handshake (is it TLS?)", status: .timedOut)
    }
}
