import Glibc
import SystemPackage

/// Turns a host name or numeric address into the socket addresses to try, the way
/// the C library does it (`getaddrinfo`), in the order it returns them.
package enum HostResolver {
    /// Resolves `host` for a connection to `port`.
    ///
    /// Numeric addresses (`127.0.0.1`, `::1`, `[::1]`) are parsed directly and never
    /// reach the resolver. Names go through getaddrinfo, which reads `/etc/hosts`
    /// and may ask DNS, as `nsswitch.conf` says.
    ///
    /// - Parameter family: restrict to IPv4 or IPv6 (`-4`/`-6`); nil for both.
    /// - Throws: `SockscopeError` — unknown host (68), temporary failure (75),
    ///   or a numeric address of the wrong family (64).
    package static func resolve(_ host: String, port: UInt16, family: AddressFamily?, type: SocketType) throws(SockscopeError) -> [SocketAddress] {
        if let numeric = IPAddress(host) {
            if let family, numeric.family != family {
                throw .usage("\(host) is an \(numeric.family == .inet ? "IPv4" : "IPv6") address, but \(family == .inet ? "-4" : "-6") was given")
            }
            return [SocketAddress(numeric, port: port)]
        }
        if let percent = host.firstIndex(of: "%") {
            // A scope never belongs to a name: such a host must not reach DNS.
            let base = String(host[..<percent])
            let zone = host[host.index(after: percent)...]
            if IPAddress(base)?.family == .inet6 {
                throw .usage("bad scoped address '\(host)': no interface '\(zone)' (see `ip link`)")
            }
            throw .usage("bad host '\(host)': a scope (%INTERFACE) belongs only to an IPv6 address")
        }
        try Resolver.validateHostName(host)
        let entries: [AddressInfoEntry]
        do {
            entries = try Resolver.addressInfo(
                AddressInfoQuery(name: host, service: String(port), family: family, socketType: type.rawValue, flags: 0)
            ).entries
        } catch {
            throw SockscopeError(resolving: host, error)
        }
        var addresses: [SocketAddress] = []
        for entry in entries where !addresses.contains(entry.address) {
            addresses.append(entry.address)
        }
        if addresses.isEmpty {
            throw SockscopeError(resolving: host, AddressInfoError(code: EAI_NONAME))
        }
        return addresses
    }
}

extension SockscopeError {
    /// The user-facing error for a failed name lookup: 68 for a name that does not
    /// exist, 75 for a temporary failure, 64 for a request getaddrinfo rejects.
    package init(resolving host: String, _ error: AddressInfoError) {
        switch error.code {
        case EAI_AGAIN:
            self.init(
                "cannot resolve '\(host)': \(error)",
                explanation: "the name server could not be reached or did not answer; try again, or use a numeric address", status: .timedOut)
        case EAI_SERVICE:
            self.init("cannot resolve '\(host)': \(error)", explanation: "the service is unknown for that socket type", status: .usage)
        case EAI_FAMILY, EAI_SOCKTYPE, EAI_BADFLAGS:
            self.init("cannot resolve '\(host)': \(error)", status: .usage)
        case EAI_SYSTEM, EAI_MEMORY:
            self.init("cannot resolve '\(host)': \(error)", status: .ioError)
        case EAI_FAIL:
            self.init("cannot resolve '\(host)': \(error)", explanation: "the name server reported a permanent failure", status: .unknownHost)
        default:
            self.init(
                "unknown host '\(host)': \(error)",
                explanation: "neither /etc/hosts nor DNS knows that name (as nsswitch.conf orders them)", status: .unknownHost)
        }
    }
}
