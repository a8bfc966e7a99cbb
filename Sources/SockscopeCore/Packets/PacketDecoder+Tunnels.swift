/// A tunnel a packet was carried in: its kind and the outer packet's addresses.
package struct Tunnel: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        /// VXLAN (RFC 7348) on UDP 4789: Ethernet frames, with a 24-bit network identifier.
        case vxlan(network: UInt32)
        /// Geneve (RFC 8926) on UDP 6081: Ethernet frames or IP, with a 24-bit network identifier.
        case geneve(network: UInt32)
        /// GRE (RFC 2784/2890, IP protocol 47): IP (a `gre`/`ip6gre` device) or Ethernet
        /// (`gretap`), with its key when it has one.
        case gre(key: UInt32?)
    }

    package var kind: Kind
    package var source: IPAddress
    package var destination: IPAddress

    /// `VXLAN 42 10.0.0.1 → 10.0.0.2`, `GRE key 7 fd00::1 → fd00::2`.
    package var description: String {
        let name =
            switch kind {
            case .vxlan(let network): "VXLAN \(network)"
            case .geneve(let network): "Geneve \(network)"
            case .gre(let key): key.map { "GRE key \($0)" } ?? "GRE"
            }
        return "\(name) \(source) → \(destination)"
    }
}

extension PacketDecoder {
    /// How many tunnels inside one another are opened (a crafted packet could nest
    /// thousands): deeper, the packet is shown as the tunnel's own UDP or GRE.
    static let maximumTunnelDepth = 16

    /// The packet a tunnel carries, as tshark decodes it by default: VXLAN on UDP port
    /// 4789 and Geneve on 6081 (either end's port), GRE version 0 (checksum, key and
    /// sequence number skipped) — each carrying Ethernet (EtherType 0x6558), IPv4 or
    /// IPv6 — with the tunnel added to its `tunnels`. nil when `payload` (of IP protocol
    /// `proto`) is no such tunnel, or what it carries cannot be decoded: the outer
    /// packet stands.
    static func decapsulate(_ proto: UInt8, _ payload: ByteReader, outer: (IPAddress, IPAddress), timestamp: Duration, depth: Int) -> Packet? {
        guard depth < maximumTunnelDepth, proto == 17 || proto == 47 else { return nil }
        var reader = payload
        guard let (kind, innerType) = proto == 17 ? udpTunnel(&reader) : greTunnel(&reader) else { return nil }
        let inner = reader.rest
        let decoded: Packet?
        switch innerType {
        case 0x6558: decoded = decode(inner, linkType: .ethernet, timestamp: timestamp, depth: depth + 1)
        case 0x0800: decoded = decodeIPv4(ByteReader(inner), timestamp: timestamp, depth: depth + 1)
        case 0x86dd: decoded = decodeIPv6(ByteReader(inner), timestamp: timestamp, depth: depth + 1)
        default: decoded = nil
        }
        guard var packet = decoded else { return nil }
        packet.tunnels.insert(Tunnel(kind: kind, source: outer.0, destination: outer.1), at: 0)
        return packet
    }

    /// A VXLAN or Geneve header after the UDP header: the tunnel and what it carries.
    private static func udpTunnel(_ reader: inout ByteReader) -> (Tunnel.Kind, UInt16)? {
        guard let sourcePort = reader.u16(), let destinationPort = reader.u16(), reader.skip(4) else { return nil }
        let ports = [sourcePort, destinationPort]
        if ports.contains(4789) {
            // Flags (the I bit: a valid network identifier), 3 reserved, VNI, 1 reserved.
            guard let flags = reader.u8(), flags & 0x08 != 0, reader.skip(3), let word = reader.u32() else { return nil }
            return (.vxlan(network: word >> 8), 0x6558)
        }
        if ports.contains(6081) {
            // Version 0, options length (4-byte words), flags, protocol type, VNI, reserved, options.
            guard let first = reader.u8(), first >> 6 == 0, reader.skip(1), let type = reader.u16(), let word = reader.u32(),
                reader.skip(Int(first & 0x3f) * 4)
            else { return nil }
            return (.geneve(network: word >> 8), type)
        }
        return nil
    }

    /// A GRE header (version 0): the tunnel and what it carries.
    private static func greTunnel(_ reader: inout ByteReader) -> (Tunnel.Kind, UInt16)? {
        guard let flags = reader.u16(), flags & 0x7 == 0, let type = reader.u16() else { return nil }
        if flags & 0x8000 != 0 { guard reader.skip(4) else { return nil } }  // checksum and reserved
        var key: UInt32?
        if flags & 0x2000 != 0 {
            guard let value = reader.u32() else { return nil }
            key = value
        }
        if flags & 0x1000 != 0 { guard reader.skip(4) else { return nil } }  // sequence number
        return (.gre(key: key), type)
    }
}
