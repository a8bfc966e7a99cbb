/// Where and how a listener binds.
public struct ListenRequest: Sendable {
    /// The local address. For "all addresses" pass `[::]` with `ipv6Only: false`
    /// (dual stack) or `0.0.0.0`.
    public var address: SocketAddress
    public var type: SocketType
    /// Length of the queue of connections that finished the handshake but were not accepted yet.
    public var backlog: Int32
    /// SO_REUSEADDR, so a restarted server can bind while old connections sit in TIME-WAIT.
    public var reuseAddress: Bool
    /// IPV6_V6ONLY for an IPv6 listener; nil leaves the system default.
    public var ipv6Only: Bool?
    /// Options for the listening socket (buffers are inherited by accepted sockets).
    public var options: [SocketOption]
    /// Called with the bound address just before listen() (the tap starts capturing here).
    public var beforeListen: (@Sendable (SocketAddress) throws(SockscopeError) -> Void)?

    public init(address: SocketAddress, type: SocketType, backlog: Int32 = 128, reuseAddress: Bool = true, ipv6Only: Bool? = nil, options: [SocketOption] = []) {
        self.address = address
        self.type = type
        self.backlog = backlog
        self.reuseAddress = reuseAddress
        self.ipv6Only = ipv6Only
        self.options = options
    }
}

/// What a listener tells its caller as it runs.
public enum ListenerEvent: Sendable {
    /// Bound and (for streams) listening; the address has the port the kernel chose for port 0.
    case listening(SocketAddress)
    /// A client connected.
    case accepted(peer: SocketAddress)
    /// A client's connection ended.
    case finished(peer: SocketAddress, report: StreamRelay.Report)
    /// A client was refused by --allow/--deny, and closed at once.
    case refused(peer: SocketAddress, reason: String)
}
