import SockscopeCore

/// `probe --diff OLD`: what changed since an earlier scan of the same ports (its JSON
/// Lines or nmap's XML) — a port that opened or closed (any change of state), one OLD did
/// not have, a UDP service's answer, what a port says first (--banner), the certificate
/// (--tls) — found window by window as the scan goes, as ndiff finds them between two
/// XML files. Ports OLD has that this scan does not probe are not compared.
struct ScanDiff {
    /// One difference.
    struct Change {
        var target: TargetList.Target
        var result: ProbeResult
        /// "state", "new", "answer", "banner" or "certificate".
        var what: String
        var old: String?
        var new: String?
    }

    let path: String
    private let old: ScanFile
    private var oldResults: [String: ProbeResult] = [:]
    private(set) var changes = 0
    private(set) var compared = 0
    private(set) var kinds: [String: Int] = [:]

    /// Reads OLD (before the first probe: a bad file costs no scan).
    init(path: String) throws(SockscopeError) {
        self.path = path
        old = try ScanFile.read(path)
        for result in old.results { oldResults[Self.key(result)] = result }
    }

    private static func key(_ result: ProbeResult) -> String { "\(result.target) \(result.transport.rawValue) \(result.port)" }

    /// The window's changes, in port order per host.
    mutating func compare(
        _ results: [ProbeResult], targets: [TargetList.Target], banners: [String: [UInt8]]?, handshakes: [TLSProbeResult]?
    ) -> [Change] {
        let names = Dictionary(targets.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        let certificates = Dictionary((handshakes ?? []).map { (ScanFile.key($0.address, $0.port), $0) }, uniquingKeysWith: { first, _ in first })
        var found: [Change] = []
        for result in results.sorted(by: { $0.target != $1.target ? $0.target < $1.target : $0.port < $1.port }) {
            compared += 1
            let target = names[result.target] ?? TargetList.Target(address: result.target, name: nil)
            let change = { (what: String, old: String?, new: String?) in Change(target: target, result: result, what: what, old: old, new: new) }
            guard let before = oldResults[Self.key(result)] else {
                found.append(change("new", nil, result.state.rawValue))
                continue
            }
            if before.state != result.state {
                found.append(change("state", before.state.rawValue, result.state.rawValue))
                continue
            }
            let key = ScanFile.key(result.target, result.port)
            if result.transport == .udp, let answer = before.answer, answer != result.answer { found.append(change("answer", answer, result.answer)) }
            if let banners, let said = old.banners[key] {
                let now = banners[key].flatMap { old.isXML ? NmapScripts.banner($0) : PrintableBytes.escaped($0) }
                if now != said { found.append(change("banner", said, now)) }
            }
            if let fingerprint = old.certificates[key], handshakes != nil {
                let now = certificates[key].flatMap { Self.fingerprint($0, like: fingerprint) }
                if now != fingerprint { found.append(change("certificate", fingerprint, now)) }
            }
        }
        changes += found.count
        for change in found { kinds[change.what, default: 0] += 1 }
        return found
    }

    /// The new leaf certificate's fingerprint in the form OLD has (SHA-256 or SHA-1).
    private static func fingerprint(_ handshake: TLSProbeResult, like old: String) -> String? {
        guard case .established(let facts) = handshake.outcome, let leaf = facts.chain.first else { return nil }
        if old.hasPrefix("sha1:") { return "sha1:" + leaf.sha1.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
        return "sha256:" + colonHex(leaf.sha256)
    }

    /// `127.0.0.1 80/tcp: open → closed` (escaped: answers and banners are the peer's text).
    static func line(_ change: Change) -> String {
        let name = change.target.name.map { "\(PrintableBytes.escaped(Array($0.utf8))) (\(change.target.address))" } ?? "\(change.target.address)"
        let port = "\(change.result.port)/\(change.result.transport.rawValue)"
        let old = change.old.map { PrintableBytes.escaped(Array($0.utf8)) } ?? "none"
        let new = change.new.map { PrintableBytes.escaped(Array($0.utf8)) } ?? "none"
        switch change.what {
        case "state": return "\(name) \(port): \(old) → \(new)"
        case "new": return "\(name) \(port): \(new) (not in the old scan)"
        default: return "\(name) \(port): \(change.what) \(old) → \(new)"
        }
    }

    /// `2 changes since OLD (1 state, 1 new) in 12 ports compared`.
    var totals: String {
        let parts = kinds.keys.sorted().map { "\(kinds[$0] ?? 0) \($0)" }
        return "\(counted(changes, "change")) since \(path)" + (parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")")
            + " in \(counted(compared, "port")) compared"
    }
}
