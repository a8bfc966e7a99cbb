/// The hosts of a probe: names, IPv4 and IPv6 addresses, CIDR blocks
/// (`10.200.0.0/29`) and ranges (`10.0.0.1-20`, `10.0.0.1-10.0.0.9`), in a
/// comma-separated list read as nmap reads one (``IPv4OctetPattern/items(ofList:)``).
package enum TargetList {
    /// The largest block a CIDR may expand to.
    package static let maximumHosts = 65_536

    /// One probe target: the address and the text it came from (for output).
    package struct Target: Sendable, Hashable {
        package var address: IPAddress
        package var name: String?
        /// The address's place in the resolver's answer for `name` (0: the first).
        package var rank = 0

        package init(address: IPAddress, name: String?, rank: Int = 0) {
            self.address = address
            self.name = name
            self.rank = rank
        }
    }

    /// Parses and resolves a target specification. A name stands for every address it
    /// resolves to, in the resolver's order: all are probed, and unless `allAddresses`
    /// asks for each, `answering` keeps one result per port, as `nc -z` answers.
    /// - Parameters:
    ///   - allAddresses: report every address a name resolves to on its own.
    ///   - family: restrict names to IPv4 or IPv6.
    /// - Throws: `SockscopeError`: usage (64) for a malformed CIDR or address, unknown host (68).
    package static func parse(_ text: String, allAddresses: Bool, family: AddressFamily?) throws(SockscopeError) -> [Target] {
        var targets: [Target] = []
        for item in IPv4OctetPattern.items(ofList: text) {
            if item.isEmpty { throw .usage("bad target list '\(text)': empty item") }
            if IPv4OctetPattern.looksLikeName(item) && !item.contains("/") {
                let addresses = try HostResolver.resolve(item, port: 0, family: family, type: .stream).compactMap(\.ipAddress)
                for (rank, address) in addresses.enumerated() { targets.append(Target(address: address, name: item, rank: rank)) }
            } else {
                // Addresses, blocks and ranges: the scan's own grammar, never a lookup.
                let space = try TargetSpace.parse([item], family: nil)
                guard space.count <= UInt64(maximumHosts) else { throw .usage("'\(item)' holds \(space.count) addresses; at most \(maximumHosts) here") }
                targets += (0..<space.count).map { space.target(at: $0) }
            }
        }
        var seen = Set<IPAddress>()
        return targets.filter { seen.insert($0.address).inserted }
    }

    /// One result per name and port, as `nc -z` answers for a name: the port is open
    /// when any of the name's addresses answered, and the result kept is that of the
    /// first address (in the resolver's order) that did — or, when none did, the first
    /// address's. Results for targets given as addresses are kept as they are.
    package static func answering(_ results: [ProbeResult], among targets: [Target]) -> [ProbeResult] {
        var named: [IPAddress: Target] = [:]
        for target in targets where target.name != nil { named[target.address] = target }
        var chosen: [String: (rank: Int, open: Bool, index: Int)] = [:]
        for (index, result) in results.enumerated() {
            guard let target = named[result.target], let name = target.name else { continue }
            let key = "\(name)/\(result.port)"
            let open = result.state == .open
            guard let best = chosen[key] else {
                chosen[key] = (target.rank, open, index)
                continue
            }
            if (open && !best.open) || (open == best.open && target.rank < best.rank) { chosen[key] = (target.rank, open, index) }
        }
        let kept = Set(chosen.values.map(\.index))
        return results.enumerated().filter { named[$0.element.target] == nil || kept.contains($0.offset) }.map(\.element)
    }

    /// Every address in a CIDR block, network and broadcast addresses included
    /// (as nmap does), in order (`IPNetwork.hosts`).
    package static func expand(cidr: String) throws(SockscopeError) -> [IPAddress] {
        try IPNetwork(parsing: cidr, singleAddress: false).hosts()
    }
}
