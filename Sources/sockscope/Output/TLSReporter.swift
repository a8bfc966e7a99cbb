import Glibc
import SockscopeCore

/// Tells what a TLS handshake settled and what the peer showed: `-v` lines on stderr,
/// or with `--json` one `tls` record.
struct TLSReporter {
    let json: Bool
    let tracer: SocketTracer

    /// Reports a finished (or failed) handshake on descriptor `fd`.
    func handshake(_ facts: TLSHandshake, fd: Int32, peer: SocketAddress?, failure: SockscopeError? = nil) {
        if json {
            Diagnostics.raw(JSONLine.text(TLSRecord(facts, peer: peer, failure: failure)))
        } else {
            for line in Self.narration(facts, fd: fd, failed: failure != nil) { tracer.record(line) }
            // --insecure connects anyway, but says (in one line, without -v) what failed.
            if failure == nil, !tracer.isActive, facts.pinMatched == nil, let verification = facts.verification, !verification.succeeded,
                !verification.enforced
            {
                Diagnostics.line("sockscope: not verified (--insecure): \(verification.name) (\(verification.text))")
            }
        }
    }

    /// The `-v` lines: the outcome, each certificate, the verification.
    static func narration(_ facts: TLSHandshake, fd: Int32, failed: Bool) -> [String] {
        var lines: [String] = []
        let settled = [facts.version, facts.cipher, facts.group.map { "group \($0)" }].compactMap { $0 }.joined(separator: ", ")
        var extras = [facts.resumed ? "resumed session" : "new session"]
        if let alpn = facts.alpn { extras.append("ALPN \(alpn)") }
        if let name = facts.serverName { extras.append("SNI \(name)") }
        let outcome = failed ? "failed after \(Timestamp.shortMilliseconds(facts.duration))" : "\(settled) in \(Timestamp.shortMilliseconds(facts.duration))"
        let call = fd >= 0 ? "SSL_do_handshake(fd \(fd))" : "TLS handshake"
        lines.append("\(call) → \(outcome) (\(extras.joined(separator: "; ")))")
        let now = Int64(time(nil))
        for (index, certificate) in facts.chain.enumerated() {
            lines += describe(certificate, index: index, now: now)
        }
        if let verification = facts.verification {
            let name = verification.expectedName.map { " for \($0)" } ?? ""
            let enforced = verification.enforced ? "" : " (not enforced)"
            lines.append("verify\(name) → \(verification.name) (\(verification.text))\(enforced)")
            if facts.pinMatched == true { lines.append("pin → the certificate's SHA-256 is the one --pin-sha256 names: trusted") }
        }
        if let alert = facts.alertSent, alert.name != "close_notify" { lines.append("alert sent: \(alert.name)\(alert.isFatal ? " (fatal)" : "")") }
        if let alert = facts.alertReceived, alert.name != "close_notify" { lines.append("alert received: \(alert.name)\(alert.isFatal ? " (fatal)" : "")") }
        return lines
    }

    private static func describe(_ certificate: TLSCertificate, index: Int, now: Int64) -> [String] {
        let days = certificate.daysLeft(now: now)
        let left = days >= 0 ? "\(days) day\(days == 1 ? "" : "s") left" : "EXPIRED \(-days) day\(days == -1 ? "" : "s") ago"
        let curve = certificate.keyCurve.map { " (\($0))" } ?? ""
        // Every name in a certificate is the peer's text: escaped, so one line stays one line.
        let subject = PrintableBytes.escaped(certificate.subject)
        var lines = [
            "certificate \(index): \(subject)\(certificate.selfIssued ? " (self-issued)" : "")", "  issuer: \(PrintableBytes.escaped(certificate.issuer))",
        ]
        if !certificate.alternativeNames.isEmpty {
            lines.append("  names: \(certificate.alternativeNames.map(PrintableBytes.escaped).joined(separator: ", "))")
        }
        lines.append("  valid: \(TLSExplanation.utcDate(certificate.notBefore)) to \(TLSExplanation.utcDate(certificate.notAfter)) (\(left))")
        lines.append("  key: \(certificate.keyType) \(certificate.keyBits) bits\(curve); signature: \(certificate.signatureAlgorithm)")
        lines.append("  SHA-256: \(colonHex(certificate.sha256))")
        return lines
    }
}
