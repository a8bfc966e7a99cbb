import SystemPackage

/// The socket calls sockscope makes, for error reports and narration.
public enum SocketCall: String, Sendable {
    case socket, setsockopt, bind, listen, accept, connect, send, recv, sendto, recvfrom, shutdown, close
    case read, write
}

/// A socket call that failed: which call, on which address, with which errno.
public struct SocketCallError: Error, Sendable, CustomStringConvertible {
    public var call: SocketCall
    public var errno: Errno
    /// The address the call was about (bind's or connect's target), if any.
    public var address: SocketAddress?
    /// For a timed-out connect: how long sockscope waited.
    public var waited: Duration?

    public init(_ call: SocketCall, _ errno: Errno, address: SocketAddress? = nil, waited: Duration? = nil) {
        self.call = call
        self.errno = errno
        self.address = address
        self.waited = waited
    }

    public var description: String {
        let target = address.map { " \($0)" } ?? ""
        return "\(call.rawValue)\(target): \(errno.nameAndText)"
    }
}
