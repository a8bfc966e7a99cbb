import CShim
import Glibc
import SystemPackage

/// What `gethostbyname` and `gethostbyaddr` return: the official name, the aliases
/// and the addresses of a host.
package struct HostEntry: Sendable, Hashable {
    package var officialName: String
    package var aliases: [String]
    package var addresses: [IPAddress]
}

/// A failure of the legacy resolver calls, reported through `h_errno`.
package struct HostLookupError: Error, Sendable, CustomStringConvertible {
    package var code: Int32

    /// `HOST_NOT_FOUND`, `TRY_AGAIN`, `NO_RECOVERY`, `NO_DATA`.
    package var symbolicName: String {
        switch code {
        case 1: "HOST_NOT_FOUND"
        case 2: "TRY_AGAIN"
        case 3: "NO_RECOVERY"
        case 4: "NO_DATA"
        default: "h_errno \(code)"
        }
    }

    package var text: String { cshim_hstrerror(code).map { String(cString: $0) } ?? "unknown error" }

    package var description: String { "\(symbolicName) (\(text))" }
}

extension Resolver {
    /// `gethostbyname`: the legacy, IPv4-only lookup, kept for comparison with getaddrinfo.
    package static func hostByName(_ name: String) throws(HostLookupError) -> (entry: HostEntry, duration: Duration) {
        let started = ContinuousClock.now
        guard let host = gethostbyname(name) else { throw HostLookupError(code: cshim_h_errno()) }
        return (hostEntry(host.pointee), started.duration(to: .now))
    }

    /// `gethostbyaddr`: the name (and aliases) the hosts file or DNS gives an address.
    package static func hostByAddress(_ address: IPAddress) throws(HostLookupError) -> HostEntry {
        let result: UnsafeMutablePointer<hostent>?
        switch address {
        case .v4(let v4):
            var raw = v4.raw
            result = gethostbyaddr(&raw, socklen_t(MemoryLayout<in_addr>.size), AF_INET)
        case .v6(let v6):
            var raw = v6.raw
            result = gethostbyaddr(&raw, socklen_t(MemoryLayout<in6_addr>.size), AF_INET6)
        }
        guard let result else { throw HostLookupError(code: cshim_h_errno()) }
        return hostEntry(result.pointee)
    }

    private static func hostEntry(_ host: hostent) -> HostEntry {
        var aliases: [String] = []
        var cursor = host.h_aliases
        while let alias = cursor?.pointee {
            aliases.append(String(cString: alias))
            cursor = cursor?.advanced(by: 1)
        }
        var addresses: [IPAddress] = []
        var list = host.h_addr_list
        while let raw = list?.pointee {
            if host.h_addrtype == AF_INET {
                addresses.append(.v4(IPv4Address(UnsafeRawPointer(raw).loadUnaligned(as: in_addr.self))))
            } else if host.h_addrtype == AF_INET6 {
                addresses.append(.v6(IPv6Address(UnsafeRawPointer(raw).loadUnaligned(as: in6_addr.self), scopeID: 0)))
            }
            list = list?.advanced(by: 1)
        }
        return HostEntry(officialName: host.h_name.map { String(cString: $0) } ?? "", aliases: aliases, addresses: addresses)
    }

    /// This machine's `gethostname()`.
    package static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The fully qualified name of this host exactly as Python's `socket.getfqdn()`
    /// computes it: gethostname(), then gethostbyaddr() of its first address; the
    /// first of that entry's name and aliases that contains a dot, else its name;
    /// the plain host name when the lookup fails.
    package static func fullyQualifiedName() -> (hostName: String, fqdn: String) {
        let name = hostName
        guard let address = try? addressInfo(AddressInfoQuery(name: name, flags: 0)).entries.first?.address.ipAddress,
            let entry = try? hostByAddress(address)
        else { return (name, name) }
        let candidates = [entry.officialName] + entry.aliases
        return (name, candidates.first { $0.contains(".") } ?? entry.officialName)
    }

    /// `getnameinfo` for an address: its name from /etc/hosts or a PTR record, or the
    /// numeric form when there is none — unless `nameRequired` (NI_NAMEREQD), which
    /// makes "no name" an error (EAI_NONAME).
    package static func nameInfo(_ address: IPAddress, nameRequired: Bool) throws(AddressInfoError) -> (name: String, duration: Duration) {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let flags = nameRequired ? NI_NAMEREQD : 0
        let started = ContinuousClock.now
        let status = SocketAddress(address, port: 0).withSockaddr { pointer, length in
            getnameinfo(pointer, length, &host, socklen_t(host.count), nil, 0, flags)
        }
        let duration = started.duration(to: .now)
        guard status == 0 else {
            throw AddressInfoError(code: status, systemError: status == EAI_SYSTEM ? Errno(rawValue: errno) : nil)
        }
        return (String(decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self), duration)
    }
}

/// An entry of the services database (`/etc/services`).
package struct ServiceEntry: Sendable, Hashable {
    package var name: String
    package var port: UInt16
    package var protocolName: String
    package var aliases: [String]
}

extension Resolver {
    /// `getservbyname` for each protocol (tcp, then udp, unless one is given).
    package static func services(named name: String, protocolName: String?) -> [ServiceEntry] {
        let protocols: [String] = protocolName.map { [$0] } ?? ["tcp", "udp"]
        return protocols.compactMap { proto in getservbyname(name, proto).map { serviceEntry($0.pointee) } }
    }

    /// `getservbyport` for each protocol (tcp, then udp, unless one is given).
    package static func services(port: UInt16, protocolName: String?) -> [ServiceEntry] {
        let protocols: [String] = protocolName.map { [$0] } ?? ["tcp", "udp"]
        return protocols.compactMap { proto in getservbyport(Int32(port.bigEndian), proto).map { serviceEntry($0.pointee) } }
    }

    private static func serviceEntry(_ entry: servent) -> ServiceEntry {
        var aliases: [String] = []
        var cursor = entry.s_aliases
        while let alias = cursor?.pointee {
            aliases.append(String(cString: alias))
            cursor = cursor?.advanced(by: 1)
        }
        return ServiceEntry(
            name: entry.s_name.map { String(cString: $0) } ?? "",
            port: UInt16(bigEndian: UInt16(truncatingIfNeeded: entry.s_port)),
            protocolName: entry.s_proto.map { String(cString: $0) } ?? "", aliases: aliases)
    }
}
