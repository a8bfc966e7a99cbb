import COpenSSL
import Glibc
import SystemPackage

/// One TLS session (`SSL`) over a connected, non-blocking stream socket.
///
/// The handshake is driven step by step (`SSL_do_handshake` until it stops asking to
/// read or write), waiting for the socket through the event loop's one-descriptor
/// wait, so Ctrl-C and the timeout end it. Afterwards `read` and `write` behave as
/// `recv` and `send` on a non-blocking socket (nil: try again when ready), which is
/// what lets the relays carry TLS as they carry TCP.
package final class TLSSession {
    package let socket: Socket
    package let context: TLSContext
    let handle: OpaquePointer
    private let alerts: UnsafeMutablePointer<cossl_alerts>
    /// The facts so far: complete after a handshake, partial after a failed one.
    package private(set) var handshake: TLSHandshake
    /// The peer ended the TCP stream without close_notify (a truncation TLS cannot tell from an end).
    package private(set) var endedWithoutCloseNotify = false
    /// A read asked to write (or a write to read): wait for that instead.
    package private(set) var readWaitsForWritable = false

    /// Starts a session on `socket`. A client sends `serverName` (SNI) and checks the
    /// certificate against `verifyName` (a host name or an address).
    package init(context: TLSContext, socket: Socket, serverName: String? = nil, verifyName: String? = nil) throws(SockscopeError) {
        self.socket = socket
        self.context = context
        let alerts = UnsafeMutablePointer<cossl_alerts>.allocate(capacity: 1)
        alerts.initialize(
            to: cossl_alerts(
                sent_level: -1, sent_description: -1, received_level: -1, received_description: -1, first_bytes: (0, 0, 0, 0, 0), first_bytes_length: 0,
                certificate_requested: 0, certificate_sent: 0))
        self.alerts = alerts
        handshake = TLSHandshake(role: context.configuration.role)
        handshake.serverName = serverName
        var error = [CChar](repeating: 0, count: 512)
        let made = withOptionalCStrings([serverName, verifyName]) { names in
            cossl_session_new(context.handle, socket.fd, names[0], names[1], alerts, &error, error.count)
        }
        guard let made else {
            alerts.deallocate()
            throw SockscopeError(TLSContext.text(error), status: .internalError)
        }
        handle = made
        expectedName = verifyName
    }

    private let expectedName: String?

    deinit {
        cossl_session_free(handle)
        alerts.deallocate()
    }

    /// The first bytes the peer sent, if any: a TLS record header, or the start of a
    /// non-TLS answer.
    package var firstBytesReceived: [UInt8] {
        withUnsafeBytes(of: alerts.pointee.first_bytes) { Array($0.prefix(Int(alerts.pointee.first_bytes_length))) }
    }

    /// Runs the handshake to its end, or until `deadline` (the stage run on its own).
    /// - Throws: exit 79 when the peer's certificate fails verification, 76 for any other
    ///   TLS failure (an alert, no common version), 75 at the deadline, 130/143 for a
    ///   signal, or the failed system call. `handshake` then holds what was learned.
    package func performHandshake(deadline: ContinuousClock.Instant?) throws(SockscopeError) {
        let start = ContinuousClock.now
        defer { handshake.duration = .now - start }
        try run(on: socket, deadline: deadline)
    }

    /// Notes how long the handshake took (for callers that drive the stage).
    package func noteDuration(_ duration: Duration) { handshake.duration = duration }

    var peerText: String { socket.remoteAddress.map { "\($0)" } ?? "the peer" }

    /// Reads decrypted bytes. Returns the count, 0 at the end of the stream (close_notify,
    /// or a TCP end without it: `endedWithoutCloseNotify`), nil when nothing is ready.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketCallError) -> Int? {
        var systemErrno: Int32 = 0
        let size = Int32(clamping: buffer.count)
        let result = cossl_read(handle, buffer.baseAddress, size, &systemErrno)
        readWaitsForWritable = result == COSSL_WANT_WRITE
        switch result {
        case 1...: return Int(result)
        case COSSL_CLOSED:
            socket.tracer.record("SSL_read(fd \(socket.fd)) → close_notify received (the peer's end of data)")
            return 0
        case COSSL_UNEXPECTED_EOF:
            endedWithoutCloseNotify = true
            socket.tracer.record("SSL_read(fd \(socket.fd)) → the TCP stream ended without close_notify (a cut could not be told from an end)")
            return 0
        case COSSL_CUT_MID_RECORD:
            endedWithoutCloseNotify = true
            socket.tracer.record("SSL_read(fd \(socket.fd)) → the TCP stream ended inside a TLS record")
            var failure = SocketCallError(.sslRead, .protocolError)
            failure.detail = "the TCP stream ended inside a TLS record, without close_notify"
            failure.tlsCut = true
            throw failure
        case COSSL_WANT_READ, COSSL_WANT_WRITE: return nil
        default: throw ioFailure(.sslRead, result, systemErrno)
        }
    }

    /// Encrypts and sends; returns the bytes taken (whole records), nil when the socket is full.
    package func write(_ bytes: UnsafeRawBufferPointer) throws(SocketCallError) -> Int? {
        guard !bytes.isEmpty else { return 0 }
        var systemErrno: Int32 = 0
        let result = cossl_write(handle, bytes.baseAddress, Int32(clamping: bytes.count), &systemErrno)
        switch result {
        case 1...: return Int(result)
        case COSSL_WANT_READ, COSSL_WANT_WRITE: return nil
        default: throw ioFailure(.sslWrite, result, systemErrno)
        }
    }

    /// Input already taken from the socket waits in the session (SSL_has_pending): the
    /// socket will not become readable for it, so read without waiting.
    package var hasBufferedInput: Bool { cossl_has_pending(handle) == 1 }

    /// Encrypted records wait in the write buffer for room in the socket.
    package var hasPendingOutput: Bool { cossl_pending_output(handle) == 1 }

    /// Sends what waits in the write buffer. Returns whether all of it has gone.
    package func flushPending() throws(SocketCallError) -> Bool {
        var systemErrno: Int32 = 0
        switch cossl_flush(handle, &systemErrno) {
        case COSSL_DONE: return true
        case COSSL_WANT_WRITE: return false
        default: throw SocketCallError(.sslWrite, Errno(rawValue: systemErrno))
        }
    }

    /// Ends our sending: close_notify, then FIN (`shutdown(SHUT_WR)`); the peer may go on
    /// sending (TLS 1.3 allows the half-close). Returns false when the socket is full:
    /// call again when it is writable.
    package func closeWrite() -> Bool {
        var systemErrno: Int32 = 0
        let result = cossl_shutdown(handle, &systemErrno)
        if result == COSSL_WANT_WRITE || result == COSSL_WANT_READ { return false }
        socket.tracer.record("SSL_shutdown(fd \(socket.fd)) → close_notify sent")
        if !isDatagram { socket.shutdownWrite() }  // UDP has no FIN
        return true
    }

    func ioFailure(_ call: SocketCall, _ result: Int32, _ systemErrno: Int32) -> SocketCallError {
        if result == COSSL_SYSTEM { return SocketCallError(call, Errno(rawValue: systemErrno)) }
        var failure = SocketCallError(call, .protocolError)
        var reason = TLSSession.queuedError()
        if let alert = received, alert.isFatal {
            reason = "the peer sent the alert \(alert.name)" + (reason.isEmpty ? "" : " (\(reason))")
            failure.tlsAlert = alert.description
        }
        failure.detail = reason.isEmpty ? nil : reason
        return failure
    }

    private var received: TLSAlert? {
        alerts.pointee.received_level < 0 ? nil : TLSAlert(level: Int(alerts.pointee.received_level), description: Int(alerts.pointee.received_description))
    }

    private var sent: TLSAlert? {
        alerts.pointee.sent_level < 0 ? nil : TLSAlert(level: Int(alerts.pointee.sent_level), description: Int(alerts.pointee.sent_description))
    }

    static func queuedError() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        cossl_error(&buffer, buffer.count)
        return TLSContext.text(buffer)
    }
}

extension TLSSession {
    /// Reads what the session settled and the peer's chain into `handshake`.
    func collectFacts() {
        handshake.version = string(cossl_version(handle))
        handshake.cipher = string(cossl_cipher(handle))
        handshake.group = string(cossl_group(handle))
        var alpn = [CChar](repeating: 0, count: 256)
        handshake.alpn = cossl_alpn(handle, &alpn, alpn.count) == 1 ? TLSContext.text(alpn) : nil
        handshake.resumed = cossl_resumed(handle) == 1
        if context.configuration.role == .server { handshake.serverName = string(cossl_server_name(handle)) }
        handshake.chain = (0..<cossl_peer_chain_length(handle)).compactMap(certificate(at:))
        let enforced = context.configuration.verify
        if context.configuration.role == .client || !handshake.chain.isEmpty {
            let code = cossl_verify_result(handle)
            handshake.verification = TLSVerification(
                code: code, text: string(cossl_verify_text(code)) ?? "", enforced: enforced, expectedName: expectedName)
        }
        handshake.alertSent = sent
        handshake.alertReceived = received
    }

    /// `--pin-sha256`: the failure when the leaf certificate is not a pinned one (exit
    /// 79, as a failed verification); nil when it is, or when nothing is pinned.
    func pinFailure() -> SockscopeError? {
        let pins = context.configuration.pinnedCertificates
        guard context.configuration.role == .client, !pins.isEmpty else { return nil }
        let leaf = handshake.chain.first?.sha256
        handshake.pinMatched = leaf.map { pins.contains($0) } ?? false
        if handshake.pinMatched == true { return nil }
        return SockscopeError(
            "TLS handshake with \(peerText): the certificate is not the pinned one",
            explanation: "its SHA-256 fingerprint is \(leaf.map(colonHex) ?? "unknown: no certificate came"); --pin-sha256 expects "
                + pins.map(colonHex).joined(separator: " or "),
            status: .tlsVerification)
    }

    private func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        let text = String(cString: pointer)
        return text.isEmpty || text == "(NONE)" ? nil : text
    }

    private func certificate(at index: Int32) -> TLSCertificate? {
        var info = cossl_certificate()
        guard cossl_peer_certificate(handle, index, &info) == 0 else { return nil }
        // Names as their bytes and lengths: a NUL or a newline inside is kept (and shown
        // escaped), never cut short or passed on raw.
        let commonName = tupleText(info.common_name, length: info.common_name_length)
        let lengths = withUnsafeBytes(of: info.alt_name_lengths) { Array($0.bindMemory(to: UInt16.self).prefix(Int(info.alt_name_count))) }
        let names: [String] = withUnsafeBytes(of: info.alt_names) { raw in
            var start = 0
            return lengths.map { length in
                defer { start += Int(length) }
                return String(decoding: raw[min(raw.count, start)..<min(raw.count, start + Int(length))], as: UTF8.self)
            }
        }
        return TLSCertificate(
            subject: tupleText(info.subject, length: info.subject_length), issuer: tupleText(info.issuer, length: info.issuer_length),
            commonName: nonEmpty(commonName),
            alternativeNames: names,
            notBefore: info.not_before, notAfter: info.not_after, keyType: tupleText(info.key_type), keyBits: Int(info.key_bits),
            keyCurve: nonEmpty(tupleText(info.key_group)), signatureAlgorithm: tupleText(info.signature),
            sha256: withUnsafeBytes(of: info.sha256) { Array($0) }, selfIssued: info.self_issued == 1
        )
        .withDetails(of: handle, at: index)
    }

    private func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }

    /// The failure of a handshake step, explained: verification first (its own exit code),
    /// then an alert either side sent, then OpenSSL's reason.
    func handshakeFailure(_ result: Int32, systemErrno: Int32) -> SockscopeError {
        collectFacts()
        let reason = TLSSession.queuedError()
        if let verification = handshake.verification, !verification.succeeded, verification.enforced {
            return TLSExplanation.verificationFailure(verification, chain: handshake.chain, peer: peerText)
        }
        if let alert = handshake.alertReceived, alert.isFatal {
            if context.configuration.role == .client, alerts.pointee.certificate_requested == 1, alerts.pointee.certificate_sent == 0 {
                return TLSExplanation.missingClientCertificate(alert, peer: peerText)
            }
            return TLSExplanation.alertFailure(alert, sentByPeer: true, peer: peerText, reason: reason, configuration: context.configuration)
        }
        if context.configuration.role == .server, reason == "peer did not return a certificate" {
            // Over TLS 1.2 the alert we sent for it is handshake_failure: the cause is the missing certificate.
            let alert = handshake.alertSent.map { " (we sent the alert \($0.name))" } ?? ""
            return SockscopeError(
                "TLS handshake with \(peerText) failed: the client sent no certificate\(alert)",
                explanation: "--require-client-cert asks for one", status: .tlsHandshake)
        }
        if let alert = handshake.alertSent, alert.isFatal {
            return TLSExplanation.alertFailure(alert, sentByPeer: false, peer: peerText, reason: reason, configuration: context.configuration)
        }
        if result == COSSL_SYSTEM {
            var error = SockscopeError(SocketCallError(.sslHandshake, Errno(rawValue: systemErrno)))
            error.message = "\(isDatagram ? "DTLS" : "TLS") handshake with \(peerText) failed: \(Errno(rawValue: systemErrno).nameAndText)"
            return error
        }
        if result == COSSL_UNEXPECTED_EOF {
            return SockscopeError(
                "TLS handshake with \(peerText) failed: the peer closed the connection",
                explanation: "it accepted TCP but ended it during the handshake: not TLS on this port, or it refused our hello",
                status: .tlsHandshake)
        }
        return TLSExplanation.protocolFailure(reason, peer: peerText, role: context.configuration.role)
    }
}

/// The first `length` bytes of a fixed-size C char array (imported as a tuple), NULs
/// and all, as a String.
extension TLSCertificate {
    /// With the names' entries, the MD5 and SHA-1 digests and the DER
    /// (`cossl_peer_certificate_details`, `i2d_X509`).
    fileprivate func withDetails(of session: OpaquePointer, at index: Int32) -> TLSCertificate {
        var details = cossl_certificate_details()
        guard cossl_peer_certificate_details(session, index, &details) == 0 else { return self }
        var copy = self
        copy.subjectEntries = Self.entries(details.subject, lengths: details.subject_lengths, count: details.subject_count)
        copy.issuerEntries = Self.entries(details.issuer, lengths: details.issuer_lengths, count: details.issuer_count)
        copy.md5 = withUnsafeBytes(of: details.md5) { Array($0) }
        copy.sha1 = withUnsafeBytes(of: details.sha1) { Array($0) }
        var der = [UInt8](repeating: 0, count: 16_384)
        let length = der.withUnsafeMutableBufferPointer { cossl_peer_certificate_der(session, index, $0.baseAddress, Int32($0.count)) }
        copy.der = length > 0 && Int(length) <= der.count ? Array(der.prefix(Int(length))) : []
        return copy
    }

    /// "longName=value" entries, one after another in `text` with their lengths.
    private static func entries<T, L>(_ text: T, lengths: L, count: Int32) -> [NameEntry] {
        let sizes = withUnsafeBytes(of: lengths) { Array($0.bindMemory(to: UInt16.self).prefix(max(0, Int(count)))) }
        return withUnsafeBytes(of: text) { raw in
            var start = 0
            return sizes.map { size in
                defer { start += Int(size) }
                let bytes = raw[min(raw.count, start)..<min(raw.count, start + Int(size))]
                let equals = bytes.firstIndex(of: UInt8(ascii: "=")) ?? bytes.endIndex
                return NameEntry(
                    key: String(decoding: bytes[bytes.startIndex..<equals], as: UTF8.self),
                    value: String(decoding: bytes[min(bytes.endIndex, equals + 1)...], as: UTF8.self))
            }
        }
    }
}

func tupleText<T>(_ tuple: T, length: Int32) -> String {
    withUnsafeBytes(of: tuple) { String(decoding: $0.prefix(max(0, Int(length))), as: UTF8.self) }
}

/// A fixed-size C char array (imported as a tuple) as a String, up to its NUL.
func tupleText<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}
