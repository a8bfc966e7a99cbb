import Glibc

/// Which client addresses a server accepts: `--allow` and `--deny` rules (addresses
/// or CIDR blocks, IPv4 and IPv6), checked at accept.
///
/// A client is refused when a deny rule matches it, or when allow rules exist and
/// none matches. IPv4-mapped IPv6 clients (`::ffff:a.b.c.d`, on a dual-stack
/// listener) are matched as the IPv4 address they are.
package struct AccessControl: Sendable {
    /// An address block.
    package struct Block: Sendable, Hashable, CustomStringConvertible {
        package var network: IPAddress
        package var prefixLength: Int

        /// Parses `10.0.0.0/8`, `::1`, `192.168.1.7` (a single address is a /32 or /128).
        package init(parsing text: String) throws(SockscopeError) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let address = IPAddress(String(parts[0])) else {
                throw .usage("bad address or CIDR block '\(text)'")
            }
            let maximum = address.family == .inet ? 32 : 128
            if parts.count == 2 {
                guard let length = Int(parts[1]), (0...maximum).contains(length) else {
                    throw .usage("bad CIDR block '\(text)': the prefix length is 0 to \(maximum)")
                }
                prefixLength = length
            } else {
                prefixLength = maximum
            }
            // An IPv4-mapped rule (::ffff:a.b.c.d, ::ffff:a.b.c.0/120) means the IPv4 one,
            // whatever the family of the listening socket.
            if case .v6(let v6) = address, let v4 = v6.mappedIPv4, prefixLength >= 96 {
                network = .v4(v4)
                prefixLength -= 96
            } else {
                network = address
            }
        }

        package func contains(_ address: IPAddress) -> Bool {
            let candidate: IPAddress
            if case .v6(let v6) = address, let v4 = v6.mappedIPv4, network.family == .inet { candidate = .v4(v4) } else { candidate = address }
            switch (network, candidate) {
            case (.v4(let block), .v4(let value)):
                let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefixLength)
                return block.value & mask == value.value & mask
            case (.v6(let block), .v6(let value)):
                var bits = prefixLength
                for index in 0..<16 where bits > 0 {
                    let mask: UInt8 = bits >= 8 ? 0xff : ~UInt8(0) << UInt8(8 - bits)
                    if block.bytes[index] & mask != value.bytes[index] & mask { return false }
                    bits -= 8
                }
                return true
            default:
                return false
            }
        }

        package var description: String { "\(network)/\(prefixLength)" }
    }

    package var allow: [Block]
    package var deny: [Block]

    package init(allow: [Block] = [], deny: [Block] = []) {
        self.allow = allow
        self.deny = deny
    }

    /// Whether anything restricts clients.
    package var isRestricted: Bool { !allow.isEmpty || !deny.isEmpty }

    /// nil when `address` may connect, else why it may not.
    package func refusal(for address: SocketAddress) -> Refusal? {
        guard let ip = address.ipAddress else { return nil }  // Unix-socket peers: the file's permissions decide
        if let rule = deny.first(where: { $0.contains(ip) }) { return .denied(by: rule) }
        if !allow.isEmpty, !allow.contains(where: { $0.contains(ip) }) { return .notAllowed }
        return nil
    }

    /// Reads blocks from a file: one address or CIDR block per line; `#` starts a comment.
    package static func blocks(fromFile path: String) throws(SockscopeError) -> [Block] {
        let text = KernelTCPTable.readFile(path)
        if text.isEmpty, access(path, R_OK) != 0 { throw .usage("cannot read \(path)") }
        var blocks: [Block] = []
        for line in text.split(separator: "\n") {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = content.split(separator: " ", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            if !trimmed.isEmpty { blocks.append(try Block(parsing: trimmed)) }
        }
        return blocks
    }
}

/// Why a listener turned a client (or a datagram) away.
package enum Refusal: Sendable, Equatable {
    /// A deny rule matched it.
    case denied(by: AccessControl.Block)
    /// Allow rules exist and none matched it.
    case notAllowed
    /// The listener already serves its maximum number of clients.
    case full(maximum: Int)
}
