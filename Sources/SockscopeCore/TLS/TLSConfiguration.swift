/// A TLS protocol version sockscope lets the user pin (`--tls-min`, `--tls-max`).
package enum TLSVersion: String, Sendable, CaseIterable, Equatable, Comparable {
    /// TLS 1.0 and 1.1 (RFC 8996 deprecates them) only when asked for with --tls-min, to
    /// diagnose an old server; the default floor is TLS 1.2.
    case tls10 = "1.0"
    case tls11 = "1.1"
    case tls12 = "1.2"
    case tls13 = "1.3"

    /// The wire value (`TLS1_VERSION` … `TLS1_3_VERSION`).
    var code: Int32 {
        switch self {
        case .tls10: 0x0301
        case .tls11: 0x0302
        case .tls12: 0x0303
        case .tls13: 0x0304
        }
    }

    /// The DTLS version for a datagram session (RFC 6347): DTLS 1.0 stands for TLS 1.1
    /// (`DTLS1_VERSION`), DTLS 1.2 for TLS 1.2 (`DTLS1_2_VERSION`); OpenSSL 3 has no DTLS 1.3.
    var datagramCode: Int32? {
        switch self {
        case .tls10, .tls11: 0xFEFF
        case .tls12: 0xFEFD
        case .tls13: nil
        }
    }

    /// The lowest version sockscope accepts unless --tls-min says otherwise.
    package static let defaultMinimum = TLSVersion.tls12

    package static func < (left: TLSVersion, right: TLSVersion) -> Bool { left.code < right.code }

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
    /// Client (`--pin-sha256`): the SHA-256 fingerprints (over DER) of the certificates
    /// trusted in place of verification; the leaf must be one of them.
    package var pinnedCertificates: [[UInt8]] = []
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

    /// DTLS over UDP (`--tls` with `-u`) instead of TLS over a stream.
    package var datagram = false

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
        // OpenSSL 3 refuses TLS 1.0/1.1's SHA-1 signatures above security level 0: asked
        // for with --tls-min 1.0 or 1.1, they are allowed (for that session only).
        let legacy = (minimumVersion ?? .defaultMinimum) < .tls12
        guard let ciphers else { return (legacy ? "DEFAULT:@SECLEVEL=0" : nil, nil) }
        let names = ciphers.split(whereSeparator: { $0 == ":" || $0 == "," }).map(String.init)
        let suites = names.filter { $0.hasPrefix("TLS_") }
        let list = names.filter { !$0.hasPrefix("TLS_") }
        let tls12 = list.isEmpty ? (legacy ? "DEFAULT" : nil) : list.joined(separator: ":")
        return (tls12.map { legacy ? $0 + ":@SECLEVEL=0" : $0 }, suites.isEmpty ? nil : suites.joined(separator: ":"))
    }
}

extension TLSConfiguration {
    /// The lowest and highest protocol versions as OpenSSL's codes (0: no limit): TLS's,
    /// or for DTLS the DTLS version each stands for.
    /// - Throws: a usage error for TLS 1.3 with DTLS (OpenSSL 3 speaks DTLS 1.2 at most).
    package func versionCodes() throws(SockscopeError) -> (minimum: Int32, maximum: Int32) {
        let minimum = minimumVersion ?? .defaultMinimum
        guard datagram else { return (minimum.code, maximumVersion?.code ?? 0) }
        guard let low = minimum.datagramCode else {
            throw .usage("--tls-min 1.3: DTLS goes up to 1.2 here (OpenSSL 3 has no DTLS 1.3)")
        }
        // A --tls-max of 1.3 is no limit for DTLS.
        return (low, maximumVersion.flatMap(\.datagramCode) ?? 0)
    }
}
