import Glibc
import SockscopeCore

/// Prints `probe --tls` results: a line per open port, or `tls` JSON records; over UDP
/// (`-u`) the handshakes are DTLS.
struct TLSProbeOutput {
    let results: [TLSProbeResult]
    let targets: [TargetList.Target]
    /// "tcp", or "udp" for DTLS.
    var protocolName = "tcp"

    /// "TLS", or "DTLS" over UDP.
    private var name: String { protocolName == "udp" ? "DTLS" : "TLS" }

    /// - Parameter width: on a terminal (unless piped), its columns: a row's issuer,
    ///   expiry and verification that do not fit go under it, indented by 10.
    func printTable(style: Style, width: Int? = TerminalWidth.columns(wide: false)) {
        guard !results.isEmpty else { return }
        let now = Int64(time(nil))
        let many = Set(results.map(\.address)).count > 1
        var head = header(many: many)
        if let width, head.count > width {  // as the rows put their columns
            head =
                head.components(separatedBy: "ISSUER")[0].trimmingTrailingSpaces + "\n" + String(repeating: " ", count: 10)
                + "ISSUER  EXPIRES  VERIFICATION"
        }
        var text = "\(name):\n" + style.dim(head) + "\n"
        for result in results {
            let port = (many ? "\(result.address) " : "") + "\(result.port)/\(protocolName)"
            let cells = line(result.outcome, now: now, style: style)
            let whole = port.padded(to: many ? 28 : 10) + cells.map(\.shown).joined()
            guard let width, cells.count > 1, whole.count > width else {
                text += whole + "\n"
                continue
            }
            let pieces = [(port.padded(to: many ? 28 : 10) + cells[0].shown, 0)] + cells.dropFirst().map { ($0.shown, $0.length) }
            text +=
                TerminalWidth.fill(
                    pieces.map { (shown: $0.0.trimmingTrailingSpaces, length: $0.1 == 0 ? $0.0.trimmingTrailingSpaces.count : $0.1, separator: "  ") },
                    width: width, indent: 10) + "\n"
        }
        Diagnostics.output(text)
    }

    private func header(many: Bool) -> String {
        (many ? "TARGET PORT".padded(to: 28) : "PORT".padded(to: 10)) + "VERSION".padded(to: 9) + "ALPN".padded(to: 10) + "SUBJECT CN".padded(to: 22)
            + "ISSUER".padded(to: 24) + "EXPIRES".padded(to: 18) + "VERIFICATION"
    }

    /// A column of `width`: a longer text is cut with … so a space still parts it from the next.
    static func cell(_ text: String, _ width: Int) -> String {
        text.count < width ? text.padded(to: width) : String(text.prefix(width - 2)) + "… "
    }

    /// The row after its port: the columns of a finished handshake (version, ALPN and
    /// subject as one; then issuer, expiry, verification), or one text for the rest.
    /// Each cell as shown and its length without colour codes.
    private func line(_ outcome: TLSProbeResult.Outcome, now: Int64, style: Style) -> [(shown: String, length: Int)] {
        func one(_ text: String) -> [(shown: String, length: Int)] { [(text, text.count)] }
        switch outcome {
        case .established(let facts):
            let leaf = facts.chain.first
            let verification = facts.verification.map { $0.succeeded ? "ok" : $0.name } ?? "-"
            let subject = leaf?.commonName.map(PrintableBytes.escaped) ?? "-"
            let issuer = Self.cell(leaf.map { PrintableBytes.escaped(Self.commonName(in: $0.issuer)) } ?? "-", 24)
            let expiry = (leaf.map { Self.expiry($0, now: now) } ?? "-").padded(to: 18)
            let first = (facts.version ?? "?").padded(to: 9) + Self.cell(facts.alpn ?? "-", 10) + Self.cell(subject, 22)
            return [
                (first, first.count), (issuer, issuer.count), (expiry, expiry.count),
                (verification == "ok" ? style.green("ok") : verification, verification.count),
            ]
        case .failed(let facts, let failure):
            let alert = facts.alertReceived.map { "the server sent the alert \($0.name)" } ?? facts.alertSent.map { "we sent the alert \($0.name)" }
            return one("\(name), but the handshake failed: " + (alert ?? failure.message))
        case .notTLS(let reason, let answer):
            return one("not \(name): " + reason + (answer.map { " \"\($0)\"" } ?? ""))
        case .unreachable(let failure):
            return one((protocolName == "udp" ? "closed: " : "no connection: ") + failure.message)
        }
    }

    /// `in 824 days`, `in 23 hours`, `expired 3 days ago`.
    static func expiry(_ certificate: TLSCertificate, now: Int64) -> String {
        let days = certificate.daysLeft(now: now)
        if days > 0 { return "in \(days) day\(days == 1 ? "" : "s")" }
        let seconds = certificate.notAfter - now
        if seconds >= 0 {
            let hours = seconds / 3600
            return hours > 0 ? "in \(hours) hour\(hours == 1 ? "" : "s")" : "in \(seconds / 60) min"
        }
        return "expired \(-days) day\(days == -1 ? "" : "s") ago"
    }

    /// The CN of an RFC 2253 name ("CN=sockscope test CA,O=…"), or the whole name.
    static func commonName(in name: String) -> String {
        name.split(separator: ",").first { $0.hasPrefix("CN=") }.map { String($0.dropFirst(3)) } ?? name
    }

    /// One `tls` record per port, with the target, whether it speaks TLS, and a
    /// non-TLS port's answer.
    func printJSON() {
        var text = ""
        let names = Dictionary(targets.map { ($0.address, $0.name) }, uniquingKeysWith: { first, _ in first })
        for result in results {
            let peer = SocketAddress(result.address, port: result.port)
            var record: TLSRecord
            switch result.outcome {
            case .established(let facts):
                record = TLSRecord(facts, peer: peer, failure: nil)
                record.speaksTls = .some(true)
            case .failed(let facts, let failure):
                record = TLSRecord(facts, peer: peer, failure: failure)
                record.speaksTls = .some(true)
            case .notTLS(let reason, let answer):
                var facts = TLSHandshake(role: .client)
                facts.serverName = result.serverName
                record = TLSRecord(facts, peer: peer, failure: SockscopeError("not \(name): \(reason)", status: .tlsHandshake))
                record.speaksTls = .some(false)
                record.answer = .some(answer)
            case .unreachable(let failure):
                record = TLSRecord(TLSHandshake(role: .client), peer: peer, failure: failure)
                record.speaksTls = .some(nil)
            }
            record.target = (names[result.address] ?? nil) ?? "\(result.address)"
            text += JSONLine.text(record)
        }
        Diagnostics.output(text)
    }
}
