import COpenSSL
import Glibc
import SystemPackage

/// DTLS (RFC 6347): the same session over a UDP socket. Each record is one datagram;
/// a lost handshake flight is resent when OpenSSL's retransmission timer fires
/// (`DTLSv1_get_timeout`, `DTLSv1_handle_timeout`), a timer the stage driver keeps on
/// the event loop beside the socket's readiness. A server answers ClientHellos with a
/// cookie (HelloVerifyRequest) before it keeps any state for a source address.
extension TLSSession {
    /// The largest plaintext one DTLS record carries (`SSL3_RT_MAX_PLAIN_LENGTH`): one
    /// datagram of input at most, since a record is never split across datagrams.
    package static let largestDatagramRecord = 16_384

    /// Whether this session is DTLS (over a datagram socket).
    package var isDatagram: Bool { cossl_is_datagram(handle) == 1 }

    /// When the DTLS retransmission timer fires (a handshake flight not answered yet).
    package var wakeTime: ContinuousClock.Instant? {
        let left = cossl_dtls_timeout(handle)
        return left < 0 ? nil : .now + .milliseconds(left)
    }

    /// Resends the last flight (`DTLSv1_handle_timeout`).
    /// - Throws: exit 75 once OpenSSL has given up resending.
    package func wake() throws(SockscopeError) {
        socket.tracer.record("DTLSv1_handle_timeout(fd \(socket.fd)) → no answer yet: the last flight is sent again")
        guard cossl_dtls_retransmit(handle) == COSSL_DONE else {
            collectFacts()
            throw SockscopeError(
                "DTLS handshake with \(peerText) failed: no answer after every retransmission",
                explanation: "nothing answered on this UDP port, or the answers were lost", status: .timedOut)
        }
    }

    /// A server's wait for its client, on an unconnected UDP socket (`DTLSv1_listen`):
    /// a ClientHello without a valid cookie gets a HelloVerifyRequest and is forgotten;
    /// one that comes back with the cookie proves its source address.
    /// - Returns: the client's address once one has, nil while none has.
    /// - Throws: the failed system call, or OpenSSL's reason.
    package func listenForClient() throws(SockscopeError) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = UInt32(MemoryLayout<sockaddr_storage>.size)
        var systemErrno: Int32 = 0
        let result = withUnsafeMutablePointer(to: &storage) { cossl_dtls_listen(handle, $0, &length, &systemErrno) }
        switch result {
        case COSSL_DONE:
            guard let peer = SocketAddress(storage: storage, length: socklen_t(length)) else {
                throw SockscopeError("DTLS: a client's address could not be read", status: .internalError)
            }
            socket.tracer.record("DTLSv1_listen(fd \(socket.fd)) → a ClientHello from \(peer) came back with its cookie")
            return peer
        case COSSL_WANT_READ: return nil
        case COSSL_SYSTEM: throw SockscopeError(SocketCallError(.recvfrom, Errno(rawValue: systemErrno)))
        default:
            throw SockscopeError("DTLS: waiting for a client failed: \(TLSSession.queuedError())", status: .tlsHandshake)
        }
    }

    /// After the socket was connected to the client `listenForClient` returned, the
    /// session reads and writes through it (send/recv, the path MTU of that route).
    package func useConnectedSocket() throws(SockscopeError) {
        guard cossl_dtls_move(handle, socket.fd) == 0 else {
            throw SockscopeError("DTLS: cannot move the session to the connected socket", status: .internalError)
        }
    }

    /// Encrypts `bytes` as one record and sends it as one datagram, waiting (through
    /// the event loop: a signal ends it) while the socket is full.
    package func sendRecord(_ bytes: UnsafeRawBufferPointer) throws(SocketCallError) {
        while true {
            if try write(bytes) != nil { return }
            _ = try EventLoop.wait(for: socket.descriptor, .writable, deadline: .now + .milliseconds(10))
        }
    }

    /// Encrypts `datagrams` (each one record) and sends them together: one `sendmsg`
    /// with `UDP_SEGMENT` (GSO) for a batch of records of one size, which the kernel cuts
    /// into one datagram per record — a syscall for dozens of records instead of one
    /// each. Where the session cannot gather, or the kernel refuses GSO, each record is
    /// sent alone, as ``sendRecord(_:)`` does. Waits (through the event loop: a signal
    /// ends it) while the socket is full.
    package func sendRecords(_ datagrams: some Sequence<UnsafeRawBufferPointer>) throws(SocketCallError) {
        guard cossl_dtls_gather(handle, 1) == 0 else {
            for datagram in datagrams { try sendRecord(datagram) }
            return
        }
        defer { _ = cossl_dtls_gather(handle, 0) }
        for datagram in datagrams {
            while true {
                var systemErrno: Int32 = 0
                let result = cossl_dtls_seal(handle, datagram.baseAddress, Int32(clamping: datagram.count), &systemErrno)
                if result > 0 { break }
                guard result == COSSL_WANT_WRITE else { throw ioFailure(.sslWrite, result, systemErrno) }
                try sendGathered()  // the batch is full: send it, then seal this record again
            }
        }
        try sendGathered()
    }

    /// Sends the records kept so far, waiting while the socket is full.
    private func sendGathered() throws(SocketCallError) {
        while true {
            var systemErrno: Int32 = 0
            switch cossl_dtls_send_gathered(handle, &systemErrno) {
            case COSSL_DONE: return
            case COSSL_WANT_WRITE: _ = try EventLoop.wait(for: socket.descriptor, .writable, deadline: .now + .milliseconds(10))
            default: throw ioFailure(.send, COSSL_SYSTEM, systemErrno)
            }
        }
    }

    /// Why ``readRecords(into:lengths:)`` stopped.
    package enum RecordsEnd: Error {
        /// The buffer or the lengths ran out of room: more may be there.
        case room
        /// Nothing more has arrived.
        case waiting
        /// The peer's close_notify: nothing more will come.
        case closed
        /// The session failed (an alert, a failed recv: ICMP port unreachable is ECONNREFUSED).
        case failed(SocketCallError)
    }

    /// Reads the records that have arrived, one C call for many (`SSL_read` in a loop,
    /// the error queue cleared once): their plaintexts one after another in `buffer`,
    /// their lengths in `lengths`. The records come first, then why it stopped.
    package func readRecords(
        into buffer: UnsafeMutableRawBufferPointer, lengths: UnsafeMutableBufferPointer<Int32>
    ) -> (count: Int, end: RecordsEnd) {
        var count: Int32 = 0
        var systemErrno: Int32 = 0
        let result = cossl_read_records(
            handle, buffer.baseAddress, Int32(clamping: buffer.count), lengths.baseAddress, Int32(clamping: lengths.count), &count, &systemErrno)
        switch result {
        case COSSL_DONE: return (Int(count), .room)
        case COSSL_WANT_READ, COSSL_WANT_WRITE: return (Int(count), .waiting)
        case COSSL_CLOSED:
            socket.tracer.record("SSL_read(fd \(socket.fd)) → close_notify received (the peer's end of data)")
            return (Int(count), .closed)
        default: return (Int(count), .failed(ioFailure(.sslRead, result, systemErrno)))
        }
    }

    /// Sends close_notify (one datagram: the peer's end of data), without the stream's FIN.
    package func sendCloseNotify() {
        var systemErrno: Int32 = 0
        let result = cossl_shutdown(handle, &systemErrno)
        socket.tracer.record("SSL_shutdown(fd \(socket.fd)) → \(result == COSSL_DONE ? "close_notify sent" : "close_notify not sent")")
    }
}
