/// A TLS protocol version sockscope lets the user pin (`--tls-min`, `--tls-max`).
package enum TLSVersion: String, Sendable, CaseIterable, Equatable {
    case tls12 = "1.2"
    case tls13 = "1.3"

    /// The wire value (`TLS1_2_VERSION`, `TLS1_3_VERSION`).
    var code: Int32 {
        switch self {
        case .tls12: 0x0303
        case .tls13: 0x0304
        }
    }

    /// Parses "1.2", "1.3" (also "tls1.2", "TLSv1.3").
    package init?(parsing text: String) {
        var text = text.lowercased()
        for prefix in ["tlsv", "tls"] where text.hasPrefix(prefix) { text.removeFirst(prefix.count) }
        self.init(rawValue: text)
    }
}

/// How one side of TLS is set up: what `--tls` and its options ask for, as values.
package struct TLSConfiguration: Sendable, Equatable {
    package enum Role: Sendable, Equatable {
        case client, server
    }

    package var role: Role
    /// Client: verify the server's certificate (default; `--insecure` turns it off).
    /// Server: require a client certificate signed by `caFile` (`--require-client-cert`).
    package var verify: Bool
    /// PEM file of trusted CA certificates; nil: the system store (client).
    package var caFile: String?
    /// Our certificate chain and key (PEM); a server without them makes an ephemeral one.
    package var certificateFile: String?
    package var keyFile: String?
    /// ALPN protocols offered (client) or accepted, in order of preference (server).
    package var alpn: [String] = []
    package var minimumVersion: TLSVersion?
    package var maximumVersion: TLSVersion?
    /// OpenSSL cipher names: `TLS_*` names are TLS 1.3 suites, the rest the TLS 1.2 list.
    package var ciphers: String?
    /// Append the session secrets here, in the NSS key log format (SSLKEYLOGFILE).
    package var keylogFile: String?

    /// Read as many records as have arrived at once (fast); off, the socket keeps what
    /// follows the first record header, so a non-TLS answer can be read back (probe --tls).
    package var readAhead = true

    package init(role: Role, verify: Bool = true) {
        self.role = role
        self.verify = verify
    }

    /// ALPN's wire format: each protocol name preceded by its length (RFC 7301 §3.1).
    /// - Throws: a usage error for an empty name or one over 255 bytes.
    package func alpnWireFormat() throws(SockscopeError) -> [UInt8] {
        var wire: [UInt8] = []
        for name in alpn {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else {
                throw .usage("bad ALPN protocol '\(name)': each name is 1 to 255 bytes (e.g. h2,http/1.1)")
            }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        return wire
    }

    /// The cipher names split by version: (TLS 1.2 list, TLS 1.3 suites), nil where none.
    package var cipherLists: (tls12: String?, tls13: String?) {
        guard let ciphers else { return (nil, nil) }
        let names = ciphers.split(whereSeparator: { $0 == ":" || $0 == "," }).map(String.init)
        let suites = names.filter { $0.hasPrefix("TLS_") }
        let list = names.filter { !$0.hasPrefix("TLS_") }
        return (list.isEmpty ? nil : list.joined(separator: ":"), suites.isEmpty ? nil : suites.joined(separator: ":"))
    }
}
