import Glibc

/// Which client addresses a server accepts: `--allow` and `--deny` rules (addresses
/// or CIDR blocks, IPv4 and IPv6), checked at accept.
///
/// A client is refused when a deny rule matches it, or when allow rules exist and
/// none matches. IPv4-mapped IPv6 clients (`::ffff:a.b.c.d`, on a dual-stack
/// listener) are matched as the IPv4 address they are.
package struct AccessControl: Sendable {
    /// An address block: one `IPNetwork`, with IPv4-mapped rules
    /// (`::ffff:a.b.c.d`, `::ffff:a.b.c.0/120`) meaning the IPv4 one, whatever the
    /// family of the listening socket.
    package struct Block: Sendable, Hashable, CustomStringConvertible {
        package var network: IPNetwork

        /// Parses `10.0.0.0/8`, `::1`, `192.168.1.7` (a single address is a /32 or /128).
        package init(parsing text: String) throws(SockscopeError) {
            var network = try IPNetwork(parsing: text)
            if case .v6(let v6) = network.address, let v4 = v6.mappedIPv4, network.prefixLength >= 96 {
                network = IPNetwork(address: .v4(v4), prefixLength: network.prefixLength - 96)
            }
            self.network = network
        }

        /// Whether `address` is in the block; an IPv4-mapped client is matched as IPv4.
        package func contains(_ address: IPAddress) -> Bool {
            if case .v6(let v6) = address, let v4 = v6.mappedIPv4, network.address.family == .inet { return network.contains(.v4(v4)) }
            return network.contains(address)
        }

        package var description: String { network.description }
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
