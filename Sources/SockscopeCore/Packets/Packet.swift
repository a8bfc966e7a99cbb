/// A decoded packet: addresses, and what the transport header says.
public struct Packet: Sendable {
    /// When the packet was captured (since the epoch, or since the capture began).
    public var timestamp: Duration
    public var source: IPAddress
    public var destination: IPAddress
    /// IPv4 TTL or IPv6 hop limit.
    public var hopLimit: UInt8
    public var transport: Transport

    public enum Transport: Sendable {
        case tcp(TCPSegment)
        case udp(sourcePort: UInt16, destinationPort: UInt16, payloadLength: Int)
        case icmp(ICMPMessage)
        /// Another protocol, or a fragment whose transport header is elsewhere.
        case other(protocolNumber: UInt8)
    }
}

/// A TCP segment's header fields.
public struct TCPSegment: Sendable, Hashable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var options: [TCPOption]
    /// Bytes of data the segment carries (from the IP length, even when the capture
    /// kept only the headers).
    public var payloadLength: Int

    /// Sequence space the segment occupies: its data, plus one each for SYN and FIN.
    public var sequenceLength: UInt32 {
        UInt32(payloadLength) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }
}

/// TCP header flags.
public struct TCPFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)

    /// tcpdump's spelling: `S`, `S.`, `P.`, `F.`, `R`, `.` (a bare ACK).
    public var tcpdumpNotation: String {
        var text = ""
        if contains(.syn) { text += "S" }
        if contains(.fin) { text += "F" }
        if contains(.psh) { text += "P" }
        if contains(.rst) { text += "R" }
        if contains(.urg) { text += "U" }
        if contains(.ece) { text += "E" }
        if contains(.cwr) { text += "W" }
        if contains(.ack) { text += "." }
        return text.isEmpty ? "none" : text
    }
}

/// A TCP option, decoded.
public enum TCPOption: Sendable, Hashable {
    case maximumSegmentSize(UInt16)
    case windowScale(UInt8)
    case sackPermitted
    case sack([SACKBlock])
    case timestamp(value: UInt32, echo: UInt32)
    case noOperation
    case unknown(kind: UInt8, length: Int)

    public struct SACKBlock: Sendable, Hashable {
        public var left: UInt32
        public var right: UInt32
    }

    /// As tcpdump writes it: `mss 65495`, `wscale 7`, `sackOK`, `TS val 1 ecr 0`.
    public var description: String {
        switch self {
        case .maximumSegmentSize(let value): "mss \(value)"
        case .windowScale(let shift): "wscale \(shift)"
        case .sackPermitted: "sackOK"
        case .sack(let blocks): "sack \(blocks.count) " + blocks.map { "{\($0.left):\($0.right)}" }.joined()
        case .timestamp(let value, let echo): "TS val \(value) ecr \(echo)"
        case .noOperation: "nop"
        case .unknown(let kind, let length): "opt-\(kind):\(length)"
        }
    }
}

/// An ICMP or ICMPv6 message; for errors, the header of the packet that caused it.
public struct ICMPMessage: Sendable, Hashable {
    public var isVersion6: Bool
    public var type: UInt8
    public var code: UInt8
    /// For an error message: the quoted packet's addresses, protocol and ports.
    public var quoted: Quoted?

    public struct Quoted: Sendable, Hashable {
        public var source: IPAddress
        public var destination: IPAddress
        public var protocolNumber: UInt8
        public var sourcePort: UInt16?
        public var destinationPort: UInt16?
    }

    /// Destination unreachable (v4 type 3, v6 type 1), the kind probes meet.
    public var isUnreachable: Bool { isVersion6 ? type == 1 : type == 3 }

    /// What the message means, in the words nmap and the kernel use.
    public var meaning: String {
        if isVersion6 {
            switch (type, code) {
            case (1, 4): return "port unreachable"
            case (1, 1): return "admin prohibited"
            case (1, 3): return "address unreachable"
            case (1, 0): return "no route"
            case (1, _): return "unreachable code \(code)"
            case (2, _): return "packet too big"
            case (3, _): return "time exceeded"
            case (128, _): return "echo request"
            case (129, _): return "echo reply"
            default: return "ICMPv6 type \(type) code \(code)"
            }
        }
        switch (type, code) {
        case (3, 0): return "net unreachable"
        case (3, 1): return "host unreachable"
        case (3, 2): return "protocol unreachable"
        case (3, 3): return "port unreachable"
        case (3, 4): return "fragmentation needed"
        case (3, 9), (3, 10), (3, 13): return "admin prohibited"
        case (3, _): return "unreachable code \(code)"
        case (11, _): return "time exceeded"
        case (8, _): return "echo request"
        case (0, _): return "echo reply"
        default: return "ICMP type \(type) code \(code)"
        }
    }
}
