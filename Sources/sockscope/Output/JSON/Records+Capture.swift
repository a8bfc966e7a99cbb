import SockscopeCore

// The records of tap, sockets and demo (schema: packet, conversation, socket, step).

/// `packet`: one packet of a tap. The TCP fields only for TCP, `message` for ICMP,
/// `bytes` for TCP and UDP, `truncated` for a packet the snap length cut.
struct PacketRecord: JSONRecord {
    static let type = "packet"
    var offsetMs: Double
    var sourceAddress: String
    var sourcePort: Int?
    var destinationAddress: String
    var destinationPort: Int?
    var `protocol`: String
    @Omitted var flags: String?
    @Omitted var seq: Int?
    @Omitted var ack: Int??
    @Omitted var window: Int?
    @Omitted var bytes: Int?
    @Omitted var states: [String]?
    @Omitted var notes: [String]?
    @Omitted var tls: [TLSRecordObject]?
    @Omitted var message: String?
    @Omitted var truncated: Bool?
    @Omitted var comment: String?

    init(offset: Duration, source: JSONEndpoint, destination: JSONEndpoint, protocol transport: String) {
        offsetMs = offset.jsonMilliseconds
        (sourceAddress, sourcePort) = (source.address, source.port)
        (destinationAddress, destinationPort) = (destination.address, destination.port)
        self.protocol = transport
    }
}

/// One TLS record seen in a packet (schema: `packet.tls`).
struct TLSRecordObject: Codable, Sendable {
    var contentType: String
    var length: Int
    var messages: [String]
    var alert: String?
    var text: String

    init(_ record: TLSRecordSummary) {
        let names: [UInt8: String] = [20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data", 24: "heartbeat"]
        contentType = names[record.contentType] ?? "unknown"
        length = record.length
        messages = record.messages
        alert = record.alert
        text = record.text
    }
}

/// `conversation`: one TCP conversation or UDP flow of tap --summary; the fields after
/// `duration_ms` only for TCP.
struct ConversationRecord: JSONRecord {
    static let type = "conversation"
    var number: Int
    var `protocol`: String
    var clientAddress: String?
    var clientPort: Int?
    var serverAddress: String?
    var serverPort: Int?
    var packetsToServer: Int
    var packetsToClient: Int
    var bytesToServer: Int
    var bytesToClient: Int
    var durationMs: Double
    @Omitted var handshakeRttMs: Double??
    @Omitted var retransmissions: Int?
    @Omitted var outOfOrder: Int?
    @Omitted var zeroWindows: Int?
    @Omitted var resetsByClient: Int?
    @Omitted var resetsByServer: Int?
    @Omitted var closedFirst: String??
    @Omitted var clientState: String??
    @Omitted var serverState: String??
    @Omitted var notes: [String]?

    init(number: Int, protocol transport: String, client: SocketAddress, server: SocketAddress, packets: (Int, Int), bytes: (Int, Int), duration: Duration) {
        let (from, to) = (JSONEndpoint(client), JSONEndpoint(server))
        self.number = number
        self.protocol = transport
        (clientAddress, clientPort) = (from.address, from.port)
        (serverAddress, serverPort) = (to.address, to.port)
        (packetsToServer, packetsToClient) = packets
        (bytesToServer, bytesToClient) = bytes
        durationMs = duration.jsonMilliseconds
    }
}

/// `socket`: one socket of the kernel's tables (sockets); `processes` with -p.
struct SocketRecord: JSONRecord {
    static let type = "socket"
    var `protocol`: String
    var state: String
    var recvQ: Int
    var sendQ: Int
    var localAddress: String
    var localPort: Int?
    var peerAddress: String?
    var peerPort: Int?
    var timer: String?
    var timerMs: Double?
    var inode: Int
    @Omitted var processes: [SocketProcessObject]?
}

/// A process holding a socket: its pid, command and descriptor.
struct SocketProcessObject: Codable, Sendable {
    var pid: Int
    var command: String
    var fd: Int
}

/// `step`: one step of the demo.
struct StepRecord: JSONRecord {
    static let type = "step"
    var step: Int
    var side: String
    var call: String
    var explanation: String
    var listenerState: String?
    var clientState: String?
    var serverState: String?
    var timeWaitLeftMs: Double?
    var packets: [String]
}
