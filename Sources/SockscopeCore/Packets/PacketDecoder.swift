/// Decodes captured frames into `Packet`s. Any input — truncated, malformed,
/// hostile — gives a packet or nil, never a trap.
package enum PacketDecoder {
    /// Decodes one frame of the given link type. `timestamp` is stored as given;
    /// `wireLength`, the frame's length on the wire (pcap's `len`), tells an IP header
    /// that claims more than the packet had from a capture cut by its snap length.
    /// `depth` counts the tunnels around the frame (see ``decapsulate(_:_:outer:timestamp:depth:)``).
    package static func decode(_ frame: [UInt8], linkType: LinkType, timestamp: Duration = .zero, wireLength: Int? = nil, depth: Int = 0) -> Packet? {
        var reader = ByteReader(frame)
        let etherType: UInt16?
        switch linkType {
        case .ethernet:
            guard reader.skip(12), var type = reader.u16() else { return nil }
            while type == 0x8100 || type == 0x88a8 {  // VLAN tags
                guard reader.skip(2), let inner = reader.u16() else { return nil }
                type = inner
            }
            etherType = type
        case .null, .loop:
            guard let raw = reader.take(4) else { return nil }
            let bytes = Array(raw)
            let family =
                linkType == .loop
                ? UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
                : UInt32(bytes[3]) << 24 | UInt32(bytes[2]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[0])  // host order: little-endian here
            switch family {
            case 2: etherType = 0x0800
            case 10, 24, 28, 30: etherType = 0x86dd
            default: return nil
            }
        case .linuxSLL:
            guard reader.skip(14), let type = reader.u16() else { return nil }
            etherType = type
        case .linuxSLL2:
            guard let type = reader.u16(), reader.skip(18) else { return nil }
            etherType = type
        case .raw, .ipv4, .ipv6:
            etherType = nil
        case .ppp, .pppHDLC:
            guard let type = pppProtocol(&reader) else { return nil }
            etherType = type
        case .ipOverInfiniBand:
            guard reader.skip(40), let type = reader.u16(), reader.skip(2) else { return nil }
            etherType = type
        }
        let payload = ByteReader(frame, offset: reader.offset)
        let onWire = wireLength.map { max(0, $0 - reader.offset) }  // the IP packet's bytes on the wire
        switch etherType {
        case 0x0800: return decodeIPv4(payload, timestamp: timestamp, onWire: onWire, depth: depth)
        case 0x86dd: return decodeIPv6(payload, timestamp: timestamp, depth: depth)
        case nil:
            guard let first = payload.peek else { return nil }
            switch first >> 4 {
            case 4: return decodeIPv4(payload, timestamp: timestamp, onWire: onWire, depth: depth)
            case 6: return decodeIPv6(payload, timestamp: timestamp, depth: depth)
            default: return nil
            }
        default: return nil
        }
    }

    /// Why `decode` gave nil for this frame, in a few words (for `tap -r`'s count of
    /// packets it could not decode): the link header cut short, not IP, a bad IPv4
    /// header length, an IP header cut short.
    package static func whyNotDecoded(_ frame: [UInt8], linkType: LinkType) -> String {
        if frame.isEmpty { return "no bytes captured" }
        var reader = ByteReader(frame)
        switch linkType {
        case .ethernet:
            guard reader.skip(12), var type = reader.u16() else { return "Ethernet header cut short" }
            while type == 0x8100 || type == 0x88a8 {
                guard reader.skip(2), let inner = reader.u16() else { return "VLAN tag cut short" }
                type = inner
            }
            if type != 0x0800 && type != 0x86dd { return "not IPv4 or IPv6 (EtherType 0x\(String(type, radix: 16)))" }
        case .linuxSLL, .linuxSLL2, .null, .loop:
            guard frame.count > 20 else { return "link-layer header cut short" }
            reader = ByteReader(frame, offset: linkType == .linuxSLL2 ? 20 : linkType == .linuxSLL ? 16 : 4)
        case .raw, .ipv4, .ipv6:
            break
        case .ppp, .pppHDLC:
            guard pppProtocol(&reader) != nil else { return "not IPv4 or IPv6 (a PPP protocol other than 0x0021 and 0x0057)" }
        case .ipOverInfiniBand:
            guard reader.skip(40), let type = reader.u16(), reader.skip(2) else { return "link-layer header cut short" }
            if type != 0x0800 && type != 0x86dd { return "not IPv4 or IPv6 (EtherType 0x\(String(type, radix: 16)))" }
        }
        let ip = Array(frame[min(frame.count, reader.offset)...])
        guard let first = ip.first else { return "no IP header captured" }
        switch first >> 4 {
        case 4:
            let words = Int(first & 0x0f)
            if words < 5 { return "bad IPv4 header length \(words * 4) (under 20)" }
            return "IPv4 header cut short"
        case 6: return "IPv6 header cut short"
        default: return "IP version \(first >> 4)"
        }
    }

    /// PPP's protocol as an EtherType (IPv4 0x0021, IPv6 0x0057), after the address and
    /// control bytes when they are there; nil for any other protocol.
    private static func pppProtocol(_ reader: inout ByteReader) -> UInt16? {
        var peek = reader
        if peek.u8() == 0xFF, peek.u8() == 0x03 { _ = reader.skip(2) }
        switch reader.u16() {
        case 0x0021: return 0x0800
        case 0x0057: return 0x86dd
        default: return nil
        }
    }

    // MARK: Network layer

    static func decodeIPv4(_ packet: ByteReader, timestamp: Duration, onWire: Int? = nil, depth: Int = 0) -> Packet? {
        var reader = packet
        guard let versionAndLength = reader.u8(), versionAndLength >> 4 == 4 else { return nil }
        let headerLength = Int(versionAndLength & 0x0f) * 4
        guard headerLength >= 20, reader.skip(1), let totalLength = reader.u16(), reader.skip(2),
            let fragment = reader.u16(), let ttl = reader.u8(), let proto = reader.u8(), reader.skip(2),
            let source = reader.u32(), let destination = reader.u32(),
            reader.skip(headerLength - 20)  // options
        else { return nil }
        // A total length of 0 is a segmentation-offload super-packet (TSO, GRO, BIG TCP):
        // its length is the frame's, as Wireshark reads it.
        var length = totalLength == 0 ? packet.remaining : Int(totalLength)
        // A header that claims more than the wire carried lies (a snap length only cuts
        // what was kept): the payload is what the packet held, as Wireshark counts it.
        let exceeds = onWire.map { length > $0 } ?? false
        if exceeds, let onWire { length = onWire }
        let payloadLength = max(0, length - headerLength)
        let isLaterFragment = fragment & 0x1fff != 0
        let (sourceAddress, destinationAddress) = (IPAddress.v4(IPv4Address(source)), IPAddress.v4(IPv4Address(destination)))
        if proto == 17 || proto == 47, !isLaterFragment, fragment & 0x2000 == 0,
            let inner = decapsulate(proto, reader.sub(payloadLength), outer: (sourceAddress, destinationAddress), timestamp: timestamp, depth: depth)
        {
            return inner
        }
        let transport =
            isLaterFragment
            ? .other(protocolNumber: proto)
            : decodeTransport(proto, reader.sub(payloadLength), payloadLength: payloadLength, isVersion6: false)
        var decoded = Packet(timestamp: timestamp, source: sourceAddress, destination: destinationAddress, hopLimit: ttl, transport: transport)
        decoded.lengthExceedsPacket = exceeds
        return decoded
    }

    static func decodeIPv6(_ packet: ByteReader, timestamp: Duration, depth: Int = 0) -> Packet? {
        var reader = packet
        guard let first = reader.u8(), first >> 4 == 6, reader.skip(3), let length = reader.u16(),
            var next = reader.u8(), let hops = reader.u8(),
            let source = reader.take(16), let destination = reader.take(16),
            let sourceAddress = ipv6(source), let destinationAddress = ipv6(destination)
        else { return nil }
        // A payload length of 0 before data is a jumbogram (RFC 2675: the hop-by-hop
        // header's Jumbo Payload option holds the length) or an offloaded super-packet
        // with no such header (Linux BIG TCP): the length is the option's, or the frame's.
        var remaining = Int(length)
        if length == 0 && next != 59 { remaining = jumboLength(reader, next: next) ?? (packet.remaining - 40) }
        // Extension headers: hop-by-hop, routing, fragment, destination options, (AH).
        for _ in 0..<8 {
            switch next {
            case 0, 43, 60:
                guard let following = reader.u8(), let extensionLength = reader.u8() else { return nil }
                let size = (Int(extensionLength) + 1) * 8
                guard reader.skip(size - 2) else { return nil }
                next = following
                remaining -= size
            case 44:
                guard let following = reader.u8(), reader.skip(1), let offset = reader.u16(), reader.skip(4) else { return nil }
                remaining -= 8
                if offset & 0xfff8 != 0 {
                    return Packet(
                        timestamp: timestamp, source: sourceAddress, destination: destinationAddress,
                        hopLimit: hops, transport: .other(protocolNumber: following))
                }
                next = following
            case 51:
                guard let following = reader.u8(), let extensionLength = reader.u8() else { return nil }
                let size = (Int(extensionLength) + 2) * 4
                guard reader.skip(size - 2) else { return nil }
                next = following
                remaining -= size
            default:
                let payloadLength = max(0, remaining)
                if next == 17 || next == 47,
                    let inner = decapsulate(
                        next, reader.sub(payloadLength), outer: (sourceAddress, destinationAddress),
                        timestamp: timestamp, depth: depth)
                {
                    return inner
                }
                return Packet(
                    timestamp: timestamp, source: sourceAddress, destination: destinationAddress, hopLimit: hops,
                    transport: decodeTransport(next, reader.sub(payloadLength), payloadLength: payloadLength, isVersion6: true))
            }
        }
        return nil
    }

    /// The Jumbo Payload option's length (type 0xC2), when the hop-by-hop header
    /// (`next` 0) that starts `reader` holds one.
    private static func jumboLength(_ reader: ByteReader, next: UInt8) -> Int? {
        guard next == 0 else { return nil }
        var options = reader
        guard options.skip(1), let extensionLength = options.u8() else { return nil }
        var body = options.sub((Int(extensionLength) + 1) * 8 - 2)
        while let type = body.u8() {
            if type == 0 { continue }  // Pad1
            guard let size = body.u8() else { return nil }
            if type == 0xC2, size == 4, let jumbo = body.u32() { return Int(jumbo) }
            guard body.skip(Int(size)) else { return nil }
        }
        return nil
    }

    private static func ipv6(_ bytes: ArraySlice<UInt8>) -> IPAddress? {
        guard bytes.count == 16, var address = IPv6Address("::") else { return nil }
        address.bytes = Array(bytes)
        return .v6(address)
    }

    // MARK: Transport layer

    static func decodeTransport(_ proto: UInt8, _ segment: ByteReader, payloadLength: Int, isVersion6: Bool) -> Packet.Transport {
        switch proto {
        case 6: return decodeTCP(segment, segmentLength: payloadLength).map { .tcp($0) } ?? truncated(proto, segment)
        case 17:
            var reader = segment
            guard let source = reader.u16(), let destination = reader.u16(), let length = reader.u16() else { return truncated(proto, segment) }
            return .udp(sourcePort: source, destinationPort: destination, payloadLength: max(0, Int(length) - 8))
        case 1, 58:
            return decodeICMP(segment, isVersion6: proto == 58).map { .icmp($0) } ?? truncated(proto, segment)
        default:
            return .other(protocolNumber: proto)
        }
    }

    /// A transport header that could not be read whole: cut by the snap length (`.truncated`,
    /// with the ports if four bytes are there), or otherwise malformed (`.other`).
    private static func truncated(_ proto: UInt8, _ segment: ByteReader) -> Packet.Transport {
        let kept = segment.remaining
        let headerLength = proto == 6 ? 20 : 8
        guard kept < headerLength else { return .other(protocolNumber: proto) }
        var reader = segment
        let ports = proto == 6 || proto == 17 ? (reader.u16(), reader.u16()) : (nil, nil)
        return .truncated(protocolNumber: proto, sourcePort: ports.0, destinationPort: ports.1)
    }

    static func decodeTCP(_ segment: ByteReader, segmentLength: Int) -> TCPSegment? {
        var reader = segment
        guard let source = reader.u16(), let destination = reader.u16(), let sequence = reader.u32(), let acknowledgment = reader.u32(),
            let offsetByte = reader.u8(), let flags = reader.u8(), let window = reader.u16(), reader.skip(4)
        else { return nil }
        let headerLength = Int(offsetByte >> 4) * 4
        guard headerLength >= 20 else { return nil }
        var options: [TCPOption] = []
        var optionReader = reader.sub(headerLength - 20)
        while let kind = optionReader.u8() {
            if kind == 0 { break }
            if kind == 1 {
                options.append(.noOperation)
                continue
            }
            guard let length = optionReader.u8(), length >= 2, optionReader.remaining >= Int(length) - 2 else { break }
            var body = optionReader.sub(Int(length) - 2)
            _ = optionReader.skip(Int(length) - 2)
            switch (kind, length) {
            case (2, 4): body.u16().map { options.append(.maximumSegmentSize($0)) }
            case (3, 3): body.u8().map { options.append(.windowScale($0)) }
            case (4, 2): options.append(.sackPermitted)
            case (5, _):
                var blocks: [TCPOption.SACKBlock] = []
                while let left = body.u32(), let right = body.u32() { blocks.append(.init(left: left, right: right)) }
                options.append(.sack(blocks))
            case (8, 10):
                if let value = body.u32(), let echo = body.u32() { options.append(.timestamp(value: value, echo: echo)) }
            default: options.append(.unknown(kind: kind, length: Int(length)))
            }
        }
        let payloadLength = max(0, segmentLength - headerLength)
        // The data bytes the capture kept (a header-only snap length keeps few or none).
        let start = segment.offset + headerLength
        let end = min(segment.end, start + payloadLength)
        return TCPSegment(
            sourcePort: source, destinationPort: destination, sequence: sequence, acknowledgment: acknowledgment,
            flags: TCPFlags(rawValue: flags), window: window, options: options.filter { $0 != .noOperation },
            payloadLength: payloadLength, payload: start < end ? Array(segment.bytes[start..<end]) : [])
    }

    static func decodeICMP(_ segment: ByteReader, isVersion6: Bool) -> ICMPMessage? {
        var reader = segment
        guard let type = reader.u8(), let code = reader.u8(), reader.skip(6) else { return nil }
        var message = ICMPMessage(isVersion6: isVersion6, type: type, code: code, quoted: nil)
        let isError = isVersion6 ? type < 128 : [3, 4, 5, 11, 12].contains(type)
        guard isError else { return message }
        let inner = reader
        // The quoted header is the packet that failed, not what it carried: no tunnels opened.
        let quotedPacket =
            isVersion6 ? decodeIPv6(inner, timestamp: .zero, depth: maximumTunnelDepth) : decodeIPv4(inner, timestamp: .zero, depth: maximumTunnelDepth)
        if let quotedPacket {
            var quoted = ICMPMessage.Quoted(source: quotedPacket.source, destination: quotedPacket.destination, protocolNumber: 0)
            switch quotedPacket.transport {
            case .tcp(let tcp):
                quoted.protocolNumber = 6
                (quoted.sourcePort, quoted.destinationPort) = (tcp.sourcePort, tcp.destinationPort)
            case .udp(let sourcePort, let destinationPort, _):
                quoted.protocolNumber = 17
                (quoted.sourcePort, quoted.destinationPort) = (sourcePort, destinationPort)
            case .icmp: quoted.protocolNumber = isVersion6 ? 58 : 1
            case .other(let number), .truncated(let number, _, _):
                quoted.protocolNumber = number
                if !isVersion6, let ports = quotedPorts(inner) { quoted = ports }
            }
            message.quoted = quoted
        } else if !isVersion6, let ports = quotedPorts(inner) {
            // The quote holds the IP header and only the first 8 bytes of TCP/UDP.
            message.quoted = ports
        }
        return message
    }

    /// An ICMPv4 error quotes the IP header and 8 bytes: enough for ports, not for a
    /// whole TCP header, which decodeTCP would refuse.
    private static func quotedPorts(_ inner: ByteReader) -> ICMPMessage.Quoted? {
        var reader = inner
        guard let first = reader.u8(), first >> 4 == 4 else { return nil }
        let headerLength = Int(first & 0x0f) * 4
        guard reader.skip(8), let proto = reader.u8(), reader.skip(2), let source = reader.u32(), let destination = reader.u32(),
            reader.skip(headerLength - 20), let sourcePort = reader.u16(), let destinationPort = reader.u16()
        else { return nil }
        return ICMPMessage.Quoted(
            source: .v4(IPv4Address(source)), destination: .v4(IPv4Address(destination)),
            protocolNumber: proto, sourcePort: sourcePort, destinationPort: destinationPort)
    }
}
