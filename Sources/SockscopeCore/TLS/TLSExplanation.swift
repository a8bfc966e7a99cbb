import Glibc

/// TLS failures told as sockscope tells errno failures: the name to search for, what it
/// means here, and the fix.
package enum TLSExplanation {
    /// A certificate that failed verification: exit 79, the X509_V_ERR name, and why.
    static func verificationFailure(_ verification: TLSVerification, chain: [TLSCertificate], peer: String) -> SockscopeError {
        SockscopeError(
            "TLS certificate of \(peer) failed verification: \(verification.name) (\(verification.text))",
            explanation: explain(verification, chain: chain, now: Int64(time(nil))), status: .tlsVerification)
    }

    /// What a verification result means for this chain, and what to do about it.
    package static func explain(_ verification: TLSVerification, chain: [TLSCertificate], now: Int64) -> String {
        let leaf = chain.first
        switch verification.name {
        case "X509_V_ERR_CERT_HAS_EXPIRED":
            guard let expired = chain.first(where: { $0.notAfter < now }) else { return "a certificate in the chain has expired" }
            let days = -expired.daysLeft(now: now)
            let which = expired == leaf ? "the server's certificate" : "the certificate of \(PrintableBytes.escaped(expired.subject))"
            return "\(which) expired \(days == 0 ? "today" : "\(days) day\(days == 1 ? "" : "s") ago"), on \(utcDate(expired.notAfter)); "
                + "it must be renewed (--insecure connects anyway)"
        case "X509_V_ERR_CERT_NOT_YET_VALID":
            guard let early = chain.first(where: { $0.notBefore > now }) else { return "a certificate in the chain is not valid yet" }
            return
                "\(PrintableBytes.escaped(early.subject)) is valid only from \(utcDate(early.notBefore)): check this machine's clock, or the certificate's dates"
        case "X509_V_ERR_HOSTNAME_MISMATCH", "X509_V_ERR_IP_ADDRESS_MISMATCH":
            let names = leaf?.coveredNames ?? []
            let covered =
                names.isEmpty
                ? (leaf?.commonName.map { "only the common name \(PrintableBytes.escaped($0)) (no subjectAltName)" } ?? "no names")
                : names.map(PrintableBytes.escaped).joined(separator: ", ")
            return "the certificate covers \(covered), not \(verification.expectedName.map(PrintableBytes.escaped) ?? "the name asked for"); "
                + "connect by one of those names, or give --sni NAME (--insecure skips the check)"
        case "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT", "X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE":
            let issuer = chain.last.map { PrintableBytes.escaped($0.issuer) } ?? "its issuer"
            return "no trusted certificate for \(issuer): either the server sends an incomplete chain (it must send its intermediates) "
                + "or the CA is not in the trust store — give it with --ca-file FILE"
        case "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT":
            let fingerprint = leaf.map { " (SHA-256 \(colonHex($0.sha256)))" } ?? ""
            let pin = leaf.map { ", pin it with --pin-sha256 \(colonHex($0.sha256))" } ?? ""
            return "the server's certificate signs itself\(fingerprint), so no CA vouches for it: trust it with --ca-file FILE "
                + "holding that certificate\(pin), or skip the check with --insecure"
        case "X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN":
            return
                "the chain ends in a root CA this machine does not trust (\(chain.last.map { PrintableBytes.escaped($0.subject) } ?? "unknown")): give it with --ca-file FILE"
        case "X509_V_ERR_INVALID_PURPOSE":
            return "the certificate is not meant for this side of TLS (its extended key usage lacks serverAuth or clientAuth)"
        default:
            return "OpenSSL says: \(verification.text) (--insecure skips verification)"
        }
    }

    /// The server asked for a client certificate (CertificateRequest), none was sent, and
    /// its alert followed: whatever the alert's name (TLS 1.2 servers send
    /// handshake_failure), that is the cause. Exit 76.
    static func missingClientCertificate(_ alert: TLSAlert, peer: String) -> SockscopeError {
        SockscopeError(
            "TLS handshake with \(peer) failed: the server requires a client certificate and none was sent (it asked for one; the alert \(alert.name) followed)",
            explanation: "give --client-cert FILE and --client-key FILE", status: .tlsHandshake)
    }

    /// A fatal alert ended the handshake: exit 76, the alert by name, and what usually causes it.
    static func alertFailure(_ alert: TLSAlert, sentByPeer: Bool, peer: String, reason: String, configuration: TLSConfiguration) -> SockscopeError {
        let who = sentByPeer ? "\(peer) sent" : "we sent"
        // An alert is exit 76 whatever it says and whenever it comes (during a TLS 1.2
        // handshake, or after a TLS 1.3 one): 79 is our own verification of the peer.
        return SockscopeError(
            "TLS handshake with \(peer) failed: \(who) the alert \(alert.name)",
            explanation: alertMeaning(alert.name, sentByPeer: sentByPeer, configuration: configuration)
                ?? (reason.isEmpty ? nil : "OpenSSL says: \(reason)"), status: .tlsHandshake)
    }

    package static func alertMeaning(_ name: String, sentByPeer: Bool, configuration: TLSConfiguration) -> String? {
        switch name {
        case "handshake_failure":
            return "no cipher suite or signature algorithm both sides accept (check --ciphers, and the peer's settings)"
        case "protocol_version":
            let asked = [configuration.minimumVersion.map { "--tls-min \($0.rawValue)" }, configuration.maximumVersion.map { "--tls-max \($0.rawValue)" }]
                .compactMap { $0 }.joined(separator: ", ")
            let floor =
                configuration.minimumVersion == nil ? "; sockscope accepts TLS 1.2 and later unless --tls-min 1.0 or 1.1 (to diagnose an old server)" : ""
            return "no TLS version both sides accept\(asked.isEmpty ? "" : " (we asked for \(asked))")\(floor)"
        case "unknown_ca":
            return sentByPeer
                ? "the peer does not trust the CA that signed our certificate (--client-cert / --cert)"
                : "we do not trust the CA that signed the peer's certificate"
        case "certificate_required":
            return "the server requires a client certificate: give --client-cert FILE and --client-key FILE"
        case "bad_certificate", "certificate_unknown", "unsupported_certificate":
            return sentByPeer ? "the peer rejected our certificate" : "we rejected the peer's certificate"
        case "certificate_expired":
            return sentByPeer ? "the peer says our certificate has expired" : "the peer's certificate has expired"
        case "no_renegotiation":
            return sentByPeer
                ? "we asked to renegotiate and the peer refused (TLS 1.3 has no renegotiation; many servers turn it off)"
                : "the peer asked to renegotiate and we refused (OpenSSL 3 renegotiates only securely, and sockscope not at all)"
        case "no_application_protocol":
            return "none of the ALPN protocols offered is one the server accepts (--alpn)"
        case "unrecognized_name":
            return "the server has no certificate for the name sent (SNI): check --sni"
        case "decrypt_error":
            return "a signature or the Finished message did not check: a wrong key, or a client certificate the server cannot verify"
        case "insufficient_security":
            return "the peer wants stronger ciphers than offered"
        default:
            return nil
        }
    }

    /// Any other failure: exit 76 with OpenSSL's reason, made plainer where it is known.
    static func protocolFailure(_ reason: String, peer: String, role: TLSConfiguration.Role) -> SockscopeError {
        let explanation: String
        switch reason {
        case "wrong version number", "packet length too long", "record layer failure":
            explanation = "what came back is not TLS: the port speaks something else (plain HTTP, SSH …) — drop --tls, or use the TLS port"
        case "http request":
            explanation = "the client sent plain HTTP to a TLS port"
        case "no shared cipher":
            explanation = "no cipher suite both sides accept (check --ciphers)"
        case "unsupported protocol", "no protocols available", "tlsv1 alert protocol version":
            explanation = "no TLS version both sides accept (check --tls-min and --tls-max; TLS 1.2 is the lowest accepted unless --tls-min 1.0 or 1.1)"
        case "peer did not return a certificate":
            explanation = "the client sent no certificate, and --require-client-cert asks for one"
        default:
            explanation = reason.isEmpty ? "the handshake ended without a reason from OpenSSL" : "OpenSSL says: \(reason)"
        }
        return SockscopeError(
            "TLS handshake with \(peer) failed: \(reason.isEmpty ? "protocol error" : reason)", explanation: explanation, status: .tlsHandshake)
    }

    /// "2026-11-18 12:00:00 UTC".
    package static func utcDate(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) UTC"
    }
}
