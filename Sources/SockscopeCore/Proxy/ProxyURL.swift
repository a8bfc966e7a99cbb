/// A proxy to go through: its protocol, where it listens, and the credentials it wants
/// (`socks5://user:pass@127.0.0.1:1080`, `socks4a://HOST:PORT`, `http://HOST:PORT`).
package struct ProxyURL: Sendable, Equatable, CustomStringConvertible {
    package enum Kind: String, Sendable, CaseIterable {
        /// SOCKS 4: an IPv4 address only, resolved here.
        case socks4
        /// SOCKS 4a: a name may be sent for the proxy to resolve.
        case socks4a
        /// SOCKS 5 (RFC 1928), user and password auth (RFC 1929).
        case socks5
        /// HTTP CONNECT (RFC 9110), Basic or Digest auth when the proxy asks.
        case http

        /// The port a proxy of this kind listens on when none is given (ncat's defaults).
        var defaultPort: UInt16 { self == .http ? 3128 : 1080 }
    }

    package var kind: Kind
    package var host: String
    package var port: UInt16
    package var username: String?
    package var password: String?
    /// The credentials as given (`USER:PASS`, or a single word): HTTP Basic sends them as
    /// they are (ncat: `--proxy-auth a` is `YQ==`); Digest splits them at the first colon.
    package var credentials: String?

    package init(kind: Kind, host: String, port: UInt16, username: String? = nil, password: String? = nil) {
        self.kind = kind
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.credentials = username.map { user in password.map { "\(user):\($0)" } ?? user }
    }

    /// Reads `SCHEME://[USER[:PASS]@]HOST[:PORT]`, or ncat's `HOST[:PORT]` with the kind
    /// given apart (`--proxy-type`, HTTP when absent). `socks5h` is `socks5` (names are
    /// sent to the proxy unless `--proxy-dns local`); user and password are percent-decoded.
    package init(parsing text: String, kind given: Kind? = nil) throws(SockscopeError) {
        var rest = Substring(text)
        var kind = given ?? .http
        if let range = text.firstRange(of: "://") {
            let scheme = text[..<range.lowerBound].lowercased()
            guard let named = scheme == "socks5h" ? .socks5 : Kind(rawValue: scheme) else {
                throw .usage("unknown proxy scheme '\(scheme)' in '\(text)': use socks5://, socks4a://, socks4:// or http://")
            }
            if let given, given != named { throw .usage("--proxy-type \(given.rawValue) contradicts the proxy URL's \(scheme)://") }
            kind = named
            rest = text[range.upperBound...]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            username = try Self.percentDecoded(String(parts[0]))
            password = try parts.count > 1 ? Self.percentDecoded(String(parts[1])) : ""
            self.credentials = parts.count > 1 ? "\(username ?? ""):\(password ?? "")" : username
        }
        guard !rest.isEmpty else { throw .usage("no proxy host in '\(text)'") }
        let hostAndPort = String(rest)
        if let split = Self.splitPort(hostAndPort) {
            host = split.host
            port = try PortNumber.parse(split.port, allowZero: false, protocolName: "tcp")
        } else {
            host = hostAndPort.hasPrefix("[") && hostAndPort.hasSuffix("]") ? String(hostAndPort.dropFirst().dropLast()) : hostAndPort
            port = kind.defaultPort
        }
        self.kind = kind
    }

    /// `HOST:PORT` or `[V6]:PORT`; nil when no port is given.
    private static func splitPort(_ text: String) -> (host: String, port: String)? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            return (String(text[text.index(after: text.startIndex)..<close]), String(after.dropFirst()))
        }
        guard text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private static func percentDecoded(_ text: String) throws(SockscopeError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else {
                throw .usage("bad percent escape in the proxy's user or password")
            }
            bytes.append(value)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The proxy as the user would write it, without the password.
    package var description: String {
        let user = username.map { "\($0)@" } ?? ""
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(kind.rawValue)://\(user)\(shownHost):\(port)"
    }
}

/// Where the proxy is asked to connect: a name for it to resolve, or an address.
package enum ProxyDestination: Sendable, Equatable, CustomStringConvertible {
    case name(String, port: UInt16)
    case address(IPAddress, port: UInt16)

    package var port: UInt16 {
        switch self {
        case .name(_, let port), .address(_, let port): port
        }
    }

    /// `HOST:PORT`, brackets around an IPv6 address (HTTP CONNECT's authority form).
    package var description: String {
        switch self {
        case .name(let name, let port): "\(name):\(port)"
        case .address(let address, let port): address.family == .inet6 ? "[\(address)]:\(port)" : "\(address):\(port)"
        }
    }
}
