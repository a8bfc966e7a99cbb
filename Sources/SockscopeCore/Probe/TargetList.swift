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
    /// (as nmap does), in order (`IPNetwork.hosts`).
    package static func expand(cidr: String) throws(SockscopeError) -> [IPAddress] {
        try IPNetwork(parsing: cidr, singleAddress: false).hosts()
    }
}
