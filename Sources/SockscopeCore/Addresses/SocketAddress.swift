import Glibc

/// A socket address: what `bind`, `connect`, `accept`, `getsockname` and
/// `getpeername` take and return, as a Swift value.
///
/// Prints the way sockscope shows addresses everywhere: `127.0.0.1:80`,
/// `[::1]:80`, `/run/app.sock`, `@abstract`.
package enum SocketAddress: Hashable, Sendable, CustomStringConvertible {
    case ipv4(IPv4Address, port: UInt16)
    case ipv6(IPv6Address, port: UInt16)
    case unix(UnixSocketPath)

    /// An IP address and port.
    package init(_ address: IPAddress, port: UInt16) {
        switch address {
        case .v4(let v4): self = .ipv4(v4, port: port)
        case .v6(let v6): self = .ipv6(v6, port: port)
        }
    }

    package var family: AddressFamily {
        switch self {
        case .ipv4: .inet
        case .ipv6: .inet6
        case .unix: .unix
        }
    }

    /// The port of an IP address; nil for Unix sockets.
    package var port: UInt16? {
        switch self {
        case .ipv4(_, let port), .ipv6(_, let port): port
        case .unix: nil
        }
    }

    /// The IP address without the port; nil for Unix sockets.
    package var ipAddress: IPAddress? {
        switch self {
        case .ipv4(let address, _): .v4(address)
        case .ipv6(let address, _): .v6(address)
        case .unix: nil
        }
    }

    /// The same address with another port (Unix addresses are returned unchanged).
    package func withPort(_ port: UInt16) -> SocketAddress {
        switch self {
        case .ipv4(let address, _): .ipv4(address, port: port)
        case .ipv6(let address, _): .ipv6(address, port: port)
        case .unix: self
        }
    }

    /// Parses a numeric address with port (`127.0.0.1:80`, `[::1]:80`) or a Unix
    /// socket (`/path`, `./path`, `@name`). Returns nil when the text is none of these.
    package static func parse(_ text: String) -> SocketAddress? {
        if text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("@") {
            return (try? UnixSocketPath(parsing: text)).map { .unix($0) }
        }
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        let host = String(text[..<colon])
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), let v6 = IPv6Address(String(host.dropFirst().dropLast())) else { return nil }
            return .ipv6(v6, port: port)
        }
        guard let v4 = IPv4Address(host) else { return nil }
        return .ipv4(v4, port: port)
    }

    package var description: String {
        switch self {
        case .ipv4(let address, let port): "\(address):\(port)"
        case .ipv6(let address, let port): "[\(address)]:\(port)"
        case .unix(let path): path.description
        }
    }
}

// MARK: - Conversion to and from the C structures

extension SocketAddress {
    /// Reads an address the kernel filled in (`accept`, `recvfrom`, `getsockname`).
    /// Returns nil for families sockscope does not handle.
    package init?(storage: sockaddr_storage, length: socklen_t) {
        var storage = storage
        let family = Int32(storage.ss_family)
        switch family {
        case AF_INET:
            let raw = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in.self) }
            self = .ipv4(IPv4Address(raw.sin_addr), port: UInt16(bigEndian: raw.sin_port))
        case AF_INET6:
            let raw = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in6.self) }
            self = .ipv6(IPv6Address(raw.sin6_addr, scopeID: raw.sin6_scope_id), port: UInt16(bigEndian: raw.sin6_port))
        case AF_UNIX:
            let pathOffset = MemoryLayout<sa_family_t>.size
            let nameLength = Int(length) - pathOffset
            guard nameLength > 0 else {
                self = .unix(.unnamed)
                return
            }
            let bytes = withUnsafeBytes(of: &storage) { Array($0[pathOffset..<(pathOffset + nameLength)]) }
            if bytes.first == 0 {
                self = .unix(.abstract(String(decoding: bytes.dropFirst(), as: UTF8.self)))
            } else {
                self = .unix(.path(String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)))
            }
        default:
            return nil
        }
    }

    /// Calls `body` with this address laid out as a `sockaddr` and its length.
    package func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result) rethrows -> Result {
        var storage = sockaddr_storage()
        let length: Int
        switch self {
        case .ipv4(let address, let port):
            var raw = sockaddr_in()
            raw.sin_family = sa_family_t(AF_INET)
            raw.sin_port = port.bigEndian
            raw.sin_addr = address.raw
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: raw, as: sockaddr_in.self) }
            length = MemoryLayout<sockaddr_in>.size
        case .ipv6(let address, let port):
            var raw = sockaddr_in6()
            raw.sin6_family = sa_family_t(AF_INET6)
            raw.sin6_port = port.bigEndian
            raw.sin6_addr = address.raw
            raw.sin6_scope_id = address.scopeID
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: raw, as: sockaddr_in6.self) }
            length = MemoryLayout<sockaddr_in6>.size
        case .unix(let path):
            let pathOffset = MemoryLayout<sa_family_t>.size
            var nameBytes: [UInt8]
            switch path {
            case .path(let text): nameBytes = Array(text.utf8) + [0]
            case .abstract(let name): nameBytes = [0] + Array(name.utf8)
            case .unnamed: nameBytes = []
            }
            nameBytes = Array(nameBytes.prefix(108))
            withUnsafeMutableBytes(of: &storage) { target in
                target.storeBytes(of: sa_family_t(AF_UNIX), as: sa_family_t.self)
                for (index, byte) in nameBytes.enumerated() { target[pathOffset + index] = byte }
            }
            length = pathOffset + nameBytes.count
        }
        return try withUnsafePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(length)) }
        }
    }
}

extension SocketAddress {
    /// An IPv4-mapped IPv6 address (`[::ffff:127.0.0.1]:80`, as a dual-stack socket
    /// reports IPv4 peers) as the IPv4 address it is (`127.0.0.1:80`); others unchanged.
    package var unmapped: SocketAddress {
        if case .ipv6(let address, let port) = self, let v4 = address.mappedIPv4 { return .ipv4(v4, port: port) }
        return self
    }
}
