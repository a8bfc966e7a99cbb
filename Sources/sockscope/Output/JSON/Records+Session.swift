import SockscopeCore

// The records of connect and listen sessions (schema: listening … exited, error).

/// `listening`: where a listener waits.
struct ListeningRecord: JSONRecord {
    static let type = "listening"
    var `protocol`: String
    var localAddress: String
    var localPort: Int?

    init(protocol transport: String, local: SocketAddress) {
        let endpoint = JSONEndpoint(local)
        self.protocol = transport
        localAddress = endpoint.address
        localPort = endpoint.port
    }
}

/// `connected`: a client's connection is up.
struct ConnectedRecord: JSONRecord {
    static let type = "connected"
    var `protocol`: String
    var localAddress: String?
    var localPort: Int?
    var peerAddress: String?
    var peerPort: Int?

    init(protocol transport: String, local: SocketAddress?, peer: SocketAddress?) {
        let (mine, theirs) = (JSONEndpoint(local), JSONEndpoint(peer))
        self.protocol = transport
        (localAddress, localPort) = (mine?.address, mine?.port)
        (peerAddress, peerPort) = (theirs?.address, theirs?.port)
    }
}

/// `accepted`: a listener took client number `client`.
struct AcceptedRecord: JSONRecord {
    static let type = "accepted"
    var client: Int
    var peerAddress: String
    var peerPort: Int?

    init(client: Int, peer: SocketAddress) {
        let endpoint = JSONEndpoint(peer)
        self.client = client
        (peerAddress, peerPort) = (endpoint.address, endpoint.port)
    }
}

/// `refused`: a client (or `count` datagrams from one host) turned away, and why.
struct RefusedRecord: JSONRecord {
    static let type = "refused"
    var peerAddress: String
    var peerPort: Int?
    var reason: String
    var count: Int

    init(peer: SocketAddress, reason: String, count: Int) {
        let endpoint = JSONEndpoint(peer)
        (peerAddress, peerPort) = (endpoint.address, endpoint.port)
        self.reason = reason
        self.count = count
    }
}

/// `accept_failed`: accept() was short of a resource.
struct AcceptFailedRecord: JSONRecord {
    static let type = "accept_failed"
    var reason: String
}

/// `closed`: a session ended, with what moved each way — the same fields whichever
/// command writes it (connect, listen, each client of a many-client listener): a count
/// that does not apply to the session (datagrams on a stream) is null.
struct ClosedRecord: JSONRecord {
    static let type = "closed"
    /// The client number, for one client of a listener; null for connect.
    var client: Int?
    var peerAddress: String?
    var peerPort: Int?
    var `protocol`: String
    var reason: String
    var bytesSent: Int?
    var bytesReceived: Int?
    /// `local` or `peer`: who sent the first FIN, when known.
    var closedFirst: String?
    /// With --stop-at-peer-close: the peer closed before stdin ended, and the rest was not sent.
    var stdinUnsent: Bool
    /// False when a TLS peer ended TCP at a record boundary without close_notify.
    var closeNotify: Bool?
    var datagramsSent: Int?
    var datagramsReceived: Int?
    var messagesSent: Int?
    var messagesReceived: Int?

    init(protocol transport: String, reason: String, client: Int? = nil, peer: SocketAddress? = nil) {
        let endpoint = JSONEndpoint(peer)
        self.client = client
        (peerAddress, peerPort) = (endpoint?.address, endpoint?.port)
        self.protocol = transport
        self.reason = reason
        stdinUnsent = false
    }

    /// A stream's counts from its relay's report.
    mutating func add(_ report: StreamRelay.Report) {
        bytesSent = report.bytesSent
        bytesReceived = report.bytesReceived
        closedFirst = report.closedFirst?.rawValue
        stdinUnsent = report.inputLeft
        closeNotify = report.tlsEndedWithoutCloseNotify ? false : nil
    }
}

/// What happened to a client's --exec program: `started`, `hung_up` (the client hung
/// up; the program sees the end of its input) or `terminated` (it outlived the hang-up
/// by the grace time: SIGTERM) — one shape, three record types.
struct ProgramEventRecord<Kind: ProgramEventKind>: JSONRecord {
    static var type: String { Kind.name }
    var peerAddress: String
    var peerPort: Int?
    var pid: Int

    init(peer: SocketAddress, pid: Int32) {
        let endpoint = JSONEndpoint(peer)
        (peerAddress, peerPort) = (endpoint.address, endpoint.port)
        self.pid = Int(pid)
    }
}

/// Names a ``ProgramEventRecord``'s type.
protocol ProgramEventKind: Sendable {
    static var name: String { get }
}

enum ProgramStarted: ProgramEventKind { static let name = "started" }
enum ProgramHungUp: ProgramEventKind { static let name = "hung_up" }
enum ProgramTerminated: ProgramEventKind { static let name = "terminated" }

/// `exited`: a client's program ended, with its wait status.
struct ExitedRecord: JSONRecord {
    static let type = "exited"
    var peerAddress: String
    var peerPort: Int?
    var pid: Int
    var waitStatus: Int

    init(peer: SocketAddress, pid: Int32, status: Int32) {
        let endpoint = JSONEndpoint(peer)
        (peerAddress, peerPort) = (endpoint.address, endpoint.port)
        self.pid = Int(pid)
        waitStatus = Int(status)
    }
}

/// `error`: the failure that ended a command — described as every failure is: `error`
/// (what went wrong, one sentence), `explanation` (what it means or how to fix it, or
/// null), and the exit status it ends with.
struct ErrorRecord: JSONRecord {
    static let type = "error"
    var error: String
    var explanation: String?
    var exitStatus: Int

    init(_ failure: SockscopeError) {
        error = failure.message
        explanation = failure.explanation
        exitStatus = Int(failure.status.rawValue)
    }
}

/// `proxy`: a proxy opened the tunnel (SOCKS: the address it connected from; HTTP: its
/// status line). `client` only for forward --proxy.
struct ProxyRecord: JSONRecord {
    static let type = "proxy"
    var proxy: String
    var proxyType: String
    var destination: String
    var reply: String?
    @Omitted var client: Int?
}

/// `message`: one framed message received (--frame).
struct MessageRecord: JSONRecord {
    static let type = "message"
    var bytes: Int
    var text: String?
    var hex: String
}

/// `datagram`: one datagram received, and whether the buffer cut it.
struct DatagramRecord: JSONRecord {
    static let type = "datagram"
    var sourceAddress: String?
    var sourcePort: Int?
    var bytes: Int
    var bytesArrived: Int
    var truncated: Bool
    var text: String?
    var hex: String
}
