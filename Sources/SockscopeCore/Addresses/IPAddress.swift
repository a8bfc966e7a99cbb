import Glibc

/// An IPv4 address, held in host byte order.
package struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    /// The address as a 32-bit number, host byte order (`127.0.0.1` is `0x7f000001`).
    package var value: UInt32

    package init(_ value: UInt32) { self.value = value }

    /// Parses dotted-quad text (`127.0.0.1`); nil for anything else.
    package init?(_ text: String) {
        var raw = in_addr()
        guard inet_pton(AF_INET, text, &raw) == 1 else { return nil }
        value = UInt32(bigEndian: raw.s_addr)
    }

    init(_ raw: in_addr) { value = UInt32(bigEndian: raw.s_addr) }

    var raw: in_addr { in_addr(s_addr: value.bigEndian) }

    package static let any = IPv4Address(0)
    package static let loopback = IPv4Address(0x7f00_0001)
    package static let broadcast = IPv4Address(0xffff_ffff)

    /// True for 127.0.0.0/8.
    package var isLoopback: Bool { value >> 24 == 127 }

    /// True for 224.0.0.0/4.
    package var isMulticast: Bool { value >> 28 == 0xe }

    package var description: String {
        "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
    }
}

/// An IPv6 address with its scope (interface index for link-local addresses).
package struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes of the address, network order.
    package var bytes: [UInt8]
    /// The scope id (`%eth0` as an interface index), 0 when none.
    package var scopeID: UInt32

    /// Parses IPv6 text (`::1`, `fe80::1%2`); nil for anything else.
    package init?(_ text: String) {
        var addressText = Substring(text)
        var scope: UInt32 = 0
        if let percent = text.firstIndex(of: "%") {
            addressText = text[..<percent]
            let zone = String(text[text.index(after: percent)...])
            if let number = UInt32(zone) {
                scope = number
            } else {
                scope = if_nametoindex(zone)
                if scope == 0 { return nil }
            }
        }
        var raw = in6_addr()
        guard inet_pton(AF_INET6, String(addressText), &raw) == 1 else { return nil }
        self.init(raw, scopeID: scope)
    }

    /// The address from its 16 bytes in network order (a SOCKS5 reply's); nil for any other length.
    package init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
        scopeID = 0
    }

    init(_ raw: in6_addr, scopeID: UInt32) {
        var copy = raw
        bytes = withUnsafeBytes(of: &copy) { Array($0) }
        self.scopeID = scopeID
    }

    var raw: in6_addr {
        var value = in6_addr()
        withUnsafeMutableBytes(of: &value) { target in
            for (index, byte) in bytes.prefix(16).enumerated() { target[index] = byte }
        }
        return value
    }

    package static let any = IPv6Address(in6_addr(), scopeID: 0)
    package static let loopback: IPv6Address = {
        var value = in6_addr()
        withUnsafeMutableBytes(of: &value) { $0[15] = 1 }
        return IPv6Address(value, scopeID: 0)
    }()

    /// True for `::1`.
    package var isLoopback: Bool { self == IPv6Address.loopback }

    /// The embedded IPv4 address of an IPv4-mapped address (`::ffff:127.0.0.1`).
    package var mappedIPv4: IPv4Address? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff
        else { return nil }
        return IPv4Address(UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15]))
    }

    package var description: String {
        var value = raw
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &value, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return scopeID == 0 ? text : "\(text)%\(scopeID)"
    }
}

/// An IP address of either family.
package enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses a numeric IPv4 or IPv6 address, with or without IPv6 brackets.
    package init?(_ text: String) {
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    package var family: AddressFamily {
        switch self {
        case .v4: .inet
        case .v6: .inet6
        }
    }

    /// True for 224.0.0.0/4 and ff00::/8.
    package var isMulticast: Bool {
        switch self {
        case .v4(let address): address.isMulticast
        case .v6(let address): address.bytes.first == 0xff
        }
    }

    package var isLoopback: Bool {
        switch self {
        case .v4(let address): address.isLoopback
        case .v6(let address): address.isLoopback || (address.mappedIPv4?.isLoopback ?? false)
        }
    }

    package var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }
}

extension IPAddress: Comparable {
    /// IPv4 before IPv6, each in numeric order (as nmap and sort -V list addresses).
    package static func < (left: IPAddress, right: IPAddress) -> Bool {
        switch (left, right) {
        case (.v4(let a), .v4(let b)): a.value < b.value
        case (.v4, .v6): true
        case (.v6, .v4): false
        case (.v6(let a), .v6(let b)): a.bytes.lexicographicallyPrecedes(b.bytes)
        }
    }
}
