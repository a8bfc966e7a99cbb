/// Where and how a listener binds.
package struct ListenRequest: Sendable {
    /// The local address. For "all addresses" pass `[::]` with `ipv6Only: false`
    /// (dual stack) or `0.0.0.0`.
    package var address: SocketAddress
    package var type: SocketType
    /// Length of the queue of connections that finished the handshake but were not accepted yet.
    package var backlog: Int32
    /// SO_REUSEADDR, so a restarted server can bind while old connections sit in TIME-WAIT.
    package var reuseAddress: Bool
    /// IPV6_V6ONLY for an IPv6 listener; nil leaves the system default.
    package var ipv6Only: Bool?
    /// Options for the listening socket (buffers are inherited by accepted sockets).
    package var options: [SocketOption]
    /// Called with the bound address just before listen() (the tap starts capturing here).
    package var beforeListen: (@Sendable (SocketAddress) throws(SockscopeError) -> Void)?
    /// More addresses to listen on with the same port (an exec server's two loopbacks,
    /// 127.0.0.1 and ::1); port 0 there means the port the first address was given.
    package var alsoListenOn: [SocketAddress] = []

    /// listen()'s queue for one program's clients (nc's and ncat's 128 … the kernel's
    /// somaxconn of old).
    package static let defaultBacklog: Int32 = 128
    /// A relay's queue (forward, proxy): they take bursts — 1,000 simultaneous
    /// connects overflowed 128 — and the kernel caps it at net.core.somaxconn.
    package static let relayBacklog: Int32 = 1024

    package init(
        address: SocketAddress, type: SocketType, backlog: Int32 = defaultBacklog, reuseAddress: Bool = true, ipv6Only: Bool? = nil,
        options: [SocketOption] = []
    ) {
        self.address = address
        self.type = type
        self.backlog = backlog
        self.reuseAddress = reuseAddress
        self.ipv6Only = ipv6Only
        self.options = options
    }
}
