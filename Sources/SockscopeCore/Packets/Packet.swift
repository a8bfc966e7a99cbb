/// A decoded packet: addresses, and what the transport header says.
package struct Packet: Sendable {
    /// When the packet was captured (since the epoch, or since the capture began).
    package var timestamp: Duration
    package var source: IPAddress
    package var destination: IPAddress
    /// IPv4 TTL or IPv6 hop limit.
    package var hopLimit: UInt8
    package var transport: Transport
    /// The IP header claims more bytes than the packet had on the wire (Wireshark's "IP
    /// length exceeds packet"): the payload counted is what the packet held.
    package var lengthExceedsPacket = false
    /// The tunnels the packet arrived in, outermost first (VXLAN, Geneve, GRE): the
    /// addresses and transport above are the innermost packet's.
    package var tunnels: [Tunnel] = []

    package enum Transport: Sendable {
        case tcp(TCPSegment)
        case udp(sourcePort: UInt16, destinationPort: UInt16, payloadLength: Int)
        case icmp(ICMPMessage)
        /// Another protocol, or a fragment whose transport header is elsewhere.
        case other(protocolNumber: UInt8)
        /// TCP, UDP or ICMP whose header the capture cut short (its snap length): the
        /// ports when their four bytes were kept. tcpdump prints it as `[|tcp]`.
        case truncated(protocolNumber: UInt8, sourcePort: UInt16?, destinationPort: UInt16?)
    }
}

/// A TCP segment's header fields.
package struct TCPSegment: Sendable, Hashable {
    package var sourcePort: UInt16
    package var destinationPort: UInt16
    package var sequence: UInt32
    package var acknowledgment: UInt32
    package var flags: TCPFlags
    package var window: UInt16
    package var options: [TCPOption]
    /// Bytes of data the segment carries (from the IP length, even when the capture
    /// kept only the headers).
    package var payloadLength: Int
    /// The data bytes the capture kept: all of them with a full snap length, else a
    /// prefix or none. Decoders read it; the tap drops it once they have.
    package var payload: [UInt8] = []

    /// Sequence space the segment occupies: its data, plus one each for SYN and FIN.
    package var sequenceLength: UInt32 {
        UInt32(payloadLength) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }
}

/// TCP header flags.
package struct TCPFlags: OptionSet, Sendable, Hashable {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }
    package static let fin = TCPFlags(rawValue: 0x01)
    package static let syn = TCPFlags(rawValue: 0x02)
    package static let rst = TCPFlags(rawValue: 0x04)
    package static let psh = TCPFlags(rawValue: 0x08)
    package static let ack = TCPFlags(rawValue: 0x10)
    package static let urg = TCPFlags(rawValue: 0x20)
    package static let ece = TCPFlags(rawValue: 0x40)
    package static let cwr = TCPFlags(rawValue: 0x80)

    /// tcpdump's spelling: `S`, `S.`, `P.`, `F.`, `R`, `.` (a bare ACK).
    package var tcpdumpNotation: String {
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
package enum TCPOption: Sendable, Hashable {
    case maximumSegmentSize(UInt16)
    case windowScale(UInt8)
    case sackPermitted
    case sack([SACKBlock])
    case timestamp(value: UInt32, echo: UInt32)
    case noOperation
    case unknown(kind: UInt8, length: Int)

    package struct SACKBlock: Sendable, Hashable {
        package var left: UInt32
        package var right: UInt32
    }

    /// As tcpdump writes it: `mss 65495`, `wscale 7`, `sackOK`, `TS val 1 ecr 0`.
    package var description: String {
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
package struct ICMPMessage: Sendable, Hashable {
    package var isVersion6: Bool
    package var type: UInt8
    package var code: UInt8
    /// For an error message: the quoted packet's addresses, protocol and ports.
    package var quoted: Quoted?

    package struct Quoted: Sendable, Hashable {
        package var source: IPAddress
        package var destination: IPAddress
        package var protocolNumber: UInt8
        package var sourcePort: UInt16?
        package var destinationPort: UInt16?
    }

    /// Destination unreachable (v4 type 3, v6 type 1), the kind probes meet.
    package var isUnreachable: Bool { isVersion6 ? type == 1 : type == 3 }

    /// What the message means, in the words nmap and the kernel use.
    package var meaning: String {
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
