/// The hosts of a probe: names, IPv4 and IPv6 addresses, CIDR blocks
/// (`10.200.0.0/29`), in a comma-separated list.
package enum TargetList {
    /// The largest block a CIDR may expand to.
    package static let maximumHosts = 65_536

    /// One probe target: the address and the text it came from (for output).
    package struct Target: Sendable, Hashable {
        package var address: IPAddress
        package var name: String?
    }

    /// Parses and resolves a target specification.
    /// - Parameters:
    ///   - allAddresses: every address a name resolves to, instead of the first.
    ///   - family: restrict names to IPv4 or IPv6.
    /// - Throws: `SockscopeError`: usage (64) for a malformed CIDR or address, unknown host (68).
    package static func parse(_ text: String, allAddresses: Bool, family: AddressFamily?) throws(SockscopeError) -> [Target] {
        var targets: [Target] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = String(item)
            if item.isEmpty { throw .usage("bad target list '\(text)': empty item") }
            if item.contains("/") {
                targets += try expand(cidr: item).map { Target(address: $0, name: nil) }
            } else if let address = IPAddress(item) {
                targets.append(Target(address: address, name: nil))
            } else {
                let addresses = try HostResolver.resolve(item, port: 0, family: family, type: .stream)
                for address in allAddresses ? addresses : Array(addresses.prefix(1)) {
                    if let ip = address.ipAddress { targets.append(Target(address: ip, name: item)) }
                }
            }
        }
        var seen = Set<IPAddress>()
        return targets.filter { seen.insert($0.address).inserted }
    }

    /// Every address in a CIDR block, network and broadcast addresses included
    /// (as nmap does), in order.
    package static func expand(cidr: String) throws(SockscopeError) -> [IPAddress] {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]), let base = IPAddress(String(parts[0])) else {
            throw .usage("bad CIDR block '\(cidr)': write ADDRESS/PREFIX, e.g. 10.200.0.0/29")
        }
        switch base {
        case .v4(let address):
            guard (0...32).contains(prefix) else { throw .usage("bad CIDR block '\(cidr)': an IPv4 prefix is 0 to 32") }
            let hostBits = 32 - prefix
            guard hostBits <= 16 else {
                throw .usage("CIDR block '\(cidr)' holds \(1 << hostBits) addresses; at most \(maximumHosts) (a /16) may be probed at once")
            }
            let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << UInt32(hostBits)
            let network = address.value & mask
            return (0..<(UInt32(1) << UInt32(hostBits))).map { .v4(IPv4Address(network | $0)) }
        case .v6(let address):
            guard (0...128).contains(prefix) else { throw .usage("bad CIDR block '\(cidr)': an IPv6 prefix is 0 to 128") }
            let hostBits = 128 - prefix
            guard hostBits <= 16 else {
                throw .usage("CIDR block '\(cidr)' holds 2^\(hostBits) addresses; at most \(maximumHosts) (a /112) may be probed at once")
            }
            var bytes = address.bytes
            // Clear the host bits (all within the last two bytes).
            let low = (UInt16(bytes[14]) << 8 | UInt16(bytes[15])) & (hostBits == 16 ? 0 : ~UInt16(0) << UInt16(hostBits))
            return (0..<(1 << hostBits)).map { offset in
                let value = low | UInt16(offset)
                bytes[14] = UInt8(value >> 8)
                bytes[15] = UInt8(value & 0xff)
                var next = address
                next.bytes = bytes
                return .v6(next)
            }
        }
    }
}
