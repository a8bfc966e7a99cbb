import SystemPackage

/// The socket calls sockscope makes, for error reports and narration.
package enum SocketCall: String, Sendable {
    case socket, setsockopt, bind, listen, accept, connect, send, recv, sendto, recvfrom, shutdown, close
    case read, write
    /// TLS over the socket (OpenSSL's calls).
    case sslHandshake = "SSL_do_handshake"
    case sslRead = "SSL_read"
    case sslWrite = "SSL_write"
    /// A wait for readiness (`epoll_wait`, `poll`); EINTR here means SIGINT or SIGTERM arrived.
    case epollWait = "epoll_wait"
}

/// A socket call that failed: which call, on which address, with which errno.
package struct SocketCallError: Error, Sendable, CustomStringConvertible {
    package var call: SocketCall
    package var errno: Errno
    /// The address the call was about (bind's or connect's target), if any.
    package var address: SocketAddress?
    /// For a timed-out connect: how long sockscope waited.
    package var waited: Duration?
    /// What else is known (a TLS failure's reason: "the peer sent the alert bad_record_mac").
    package var detail: String?
    /// A fatal TLS alert the peer sent (its description number), when that ended the session.
    package var tlsAlert: Int?
    /// The TCP stream ended inside a TLS record: bytes the peer meant to send were lost.
    package var tlsCut = false

    package init(_ call: SocketCall, _ errno: Errno, address: SocketAddress? = nil, waited: Duration? = nil) {
        self.call = call
        self.errno = errno
        self.address = address
        self.waited = waited
    }

    package var description: String {
        let target = address.map { " \($0)" } ?? ""
        let more = detail.map { " (\($0))" } ?? ""
        return "\(call.rawValue)\(target): \(errno.nameAndText)\(more)"
    }
}
