import SystemPackage

/// Opens a client socket to the first of several addresses that accepts, the way
/// nc and most programs do: try each getaddrinfo result in order.
package enum Connector {
    /// What to connect to and how.
    package struct Request: Sendable {
        /// Candidate addresses, in the order to try them.
        package var destinations: [SocketAddress]
        package var type: SocketType
        /// Local address to bind first (`-s`), possibly with a port (`-p`).
        package var sourceAddress: IPAddress?
        package var sourcePort: UInt16?
        /// For a Unix socket: the path (or @name) the client binds first (`-s`), so the
        /// server sees a named peer.
        package var sourcePath: UnixSocketPath?
        /// Options set before connecting (TCP_NODELAY, SO_LINGER, buffers, …).
        package var options: [SocketOption]
        /// How long to wait for each handshake; nil waits as long as the kernel does.
        package var timeout: Duration?
        /// Called with the bound socket just before connect() (the tap starts capturing
        /// here, knowing the local port, so the SYN is not missed). Setting it makes the
        /// socket bind an ephemeral port first.
        package var beforeConnect: (@Sendable (Socket, SocketAddress) throws(SockscopeError) -> Void)?

        package init(
            destinations: [SocketAddress], type: SocketType, sourceAddress: IPAddress? = nil, sourcePort: UInt16? = nil, options: [SocketOption] = [],
            timeout: Duration? = nil
        ) {
            self.destinations = destinations
            self.type = type
            self.sourceAddress = sourceAddress
            self.sourcePort = sourcePort
            self.options = options
            self.timeout = timeout
        }
    }

    /// Connects to the first destination that accepts.
    /// - Throws: `SockscopeError` for the last failure when every address failed.
    package static func open(_ request: Request, tracer: SocketTracer) throws(SockscopeError) -> Socket {
        var lastFailure: SockscopeError?
        for destination in request.destinations {
            do {
                return try attempt(destination, request, tracer: tracer)
            } catch {
                lastFailure = error
                if request.destinations.count > 1 {
                    tracer.record("\(destination): \(error.message); trying the next address")
                }
            }
        }
        throw lastFailure ?? .usage("no address to connect to")
    }

    private static func attempt(_ destination: SocketAddress, _ request: Request, tracer: SocketTracer) throws(SockscopeError) -> Socket {
        var source = try sourceAddress(for: destination, request)
        if request.beforeConnect != nil, source == nil {
            // Bind an ephemeral port first, so the local address is known before the SYN.
            switch destination {
            case .ipv4: source = .ipv4(.any, port: 0)
            case .ipv6: source = .ipv6(.any, port: 0)
            case .unix: break
            }
        }
        return try SockscopeError.converting {
            let socket = try Socket(family: destination.family, type: request.type, tracer: tracer)
            for option in request.options { try socket.set(option) }
            if let source {
                try socket.bind(to: source)
            } else if case .unix = destination, request.type == .datagram {
                // A Unix datagram client needs a name of its own to get replies: autobind.
                try socket.bind(to: .unix(.unnamed))
            }
            if let beforeConnect = request.beforeConnect, let local = socket.localAddress {
                socket.pendingDestination = destination
                try beforeConnect(socket, local)
            }
            try socket.connect(to: destination, timeout: request.timeout)
            socket.traceEndpoints()
            return socket
        }
    }

    private static func sourceAddress(for destination: SocketAddress, _ request: Request) throws(SockscopeError) -> SocketAddress? {
        if case .unix = destination, let path = request.sourcePath { return .unix(path) }
        guard request.sourceAddress != nil || request.sourcePort != nil else { return nil }
        let port = request.sourcePort ?? 0
        switch (destination, request.sourceAddress) {
        case (.unix, _):
            throw .usage("a source port applies to IP sockets; a Unix socket binds a path")
        case (_, .some(let address)):
            guard address.family == destination.family else {
                throw .usage("source address \(address) and destination \(destination) are of different families")
            }
            return SocketAddress(address, port: port)
        case (.ipv4, .none):
            return .ipv4(.any, port: port)
        case (.ipv6, .none):
            return .ipv6(.any, port: port)
        }
    }
}
