import Glibc

/// A network interface and its IPv4 addresses, as getifaddrs() lists them.
package struct NetworkInterface: Sendable, Hashable {
    package struct IPv4Binding: Sendable, Hashable {
        package var address: IPv4Address
        /// The interface's broadcast address for this subnet (IFF_BROADCAST), if any.
        package var broadcast: IPv4Address?
    }

    package var name: String
    package var index: UInt32
    package var isUp: Bool
    package var ipv4: [IPv4Binding]

    /// Every interface of this network namespace.
    package static func all() -> [NetworkInterface] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var interfaces: [String: NetworkInterface] = [:]
        var order: [String] = []
        var cursor = list
        while let entry = cursor?.pointee {
            cursor = entry.ifa_next
            guard let namePointer = entry.ifa_name else { continue }
            let name = String(cString: namePointer)
            if interfaces[name] == nil {
                interfaces[name] = NetworkInterface(
                    name: name, index: if_nametoindex(namePointer),
                    isUp: entry.ifa_flags & UInt32(IFF_UP) != 0, ipv4: [])
                order.append(name)
            }
            guard let address = entry.ifa_addr, Int32(address.pointee.sa_family) == AF_INET else { continue }
            let local = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in.self)
            var broadcast: IPv4Address?
            if entry.ifa_flags & UInt32(IFF_BROADCAST) != 0, let raw = entry.ifa_ifu.ifu_broadaddr {
                broadcast = IPv4Address(UnsafeRawPointer(raw).loadUnaligned(as: sockaddr_in.self).sin_addr)
            }
            interfaces[name]?.ipv4.append(IPv4Binding(address: IPv4Address(local.sin_addr), broadcast: broadcast))
        }
        return order.compactMap { interfaces[$0] }
    }

    /// The interface with this name.
    package static func named(_ name: String) -> NetworkInterface? {
        all().first { $0.name == name }
    }
}
