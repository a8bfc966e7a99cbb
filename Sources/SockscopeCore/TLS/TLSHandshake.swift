/// A certificate the peer sent, described.
package struct TLSCertificate: Sendable, Equatable {
    /// RFC 2253 names ("CN=example.com,O=Example").
    package var subject: String
    package var issuer: String
    package var commonName: String?
    /// subjectAltName entries as OpenSSL prints them ("DNS:example.com", "IP Address:127.0.0.1").
    package var alternativeNames: [String]
    /// Validity, in seconds since the epoch (UTC).
    package var notBefore: Int64
    package var notAfter: Int64
    /// "RSA", "EC", "ED25519" …, its size in bits, and an EC key's curve.
    package var keyType: String
    package var keyBits: Int
    package var keyCurve: String?
    /// "sha256WithRSAEncryption", "ecdsa-with-SHA256" …
    package var signatureAlgorithm: String
    package var sha256: [UInt8]
    /// Subject and issuer are the same name (a root or a self-signed certificate).
    package var selfIssued: Bool
    /// The subject's and issuer's entries in the certificate's order, by OpenSSL's long
    /// names ("commonName", "organizationName"), as nmap's ssl-cert script lists them.
    package var subjectEntries: [NameEntry] = []
    package var issuerEntries: [NameEntry] = []
    package var md5: [UInt8] = []
    package var sha1: [UInt8] = []
    /// The certificate itself (DER), for its PEM.
    package var der: [UInt8] = []

    /// One attribute of a distinguished name: its long name and value (raw text).
    package struct NameEntry: Sendable, Equatable {
        package var key: String
        package var value: String
    }

    /// Whole days from `now` until it expires (negative once expired).
    package func daysLeft(now: Int64) -> Int64 {
        let seconds = notAfter - now
        return seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
    }

    /// The DNS names and addresses it covers, without their "DNS:" / "IP Address:" labels.
    package var coveredNames: [String] {
        alternativeNames.map { name in
            for label in ["DNS:", "IP Address:"] where name.hasPrefix(label) { return String(name.dropFirst(label.count)) }
            return name
        }
    }
}

/// A TLS alert (RFC 8446 §6): its level (1 warning, 2 fatal) and description.
package struct TLSAlert: Sendable, Equatable {
    package var level: Int
    package var description: Int

    package var name: String { TLSNames.alert(description) }
    package var isFatal: Bool { level == 2 }
}

/// The result of checking the peer's certificate chain and name (`SSL_get_verify_result`).
package struct TLSVerification: Sendable, Equatable {
    /// X509_V_OK (0) or an X509_V_ERR_* value.
    package var code: Int
    /// OpenSSL's text for it ("certificate has expired").
    package var text: String
    /// Whether the session insisted on it (off with --insecure, and on a server that
    /// does not require client certificates).
    package var enforced: Bool
    /// The name the certificate had to match (host name or address), if any.
    package var expectedName: String?

    package var succeeded: Bool { code == 0 }
    package var name: String { TLSNames.verification(code) }
}

/// What a TLS handshake settled, and what the peer showed: everything `-v` and the
/// JSON `tls` record report. A failed handshake fills in what it got to.
package struct TLSHandshake: Sendable {
    package var role: TLSConfiguration.Role
    /// "TLSv1.3", "TLSv1.2".
    package var version: String?
    /// "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256".
    package var cipher: String?
    /// The key-exchange group ("x25519", "secp256r1").
    package var group: String?
    /// The application protocol agreed (ALPN), if any.
    package var alpn: String?
    package var resumed = false
    /// The server name: sent (client) or received (server) in the SNI extension.
    package var serverName: String?
    /// From the first handshake message to the end.
    package var duration: Duration = .zero
    /// The peer's certificates, leaf first.
    package var chain: [TLSCertificate] = []
    package var verification: TLSVerification?
    /// With `--pin-sha256`: whether the leaf certificate is a pinned one.
    package var pinMatched: Bool?
    package var alertSent: TLSAlert?
    package var alertReceived: TLSAlert?

    package init(role: TLSConfiguration.Role) {
        self.role = role
    }
}

/// Hex with colons ("AB:CD:…"), as openssl x509 -fingerprint and ncat print fingerprints.
package func colonHex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789ABCDEF")
    var text = ""
    text.reserveCapacity(bytes.count * 3)
    for (index, byte) in bytes.enumerated() {
        if index > 0 { text.append(":") }
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0xf)])
    }
    return text
}
