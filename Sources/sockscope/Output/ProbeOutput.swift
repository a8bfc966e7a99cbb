import Dispatch
import Glibc
import SockscopeCore
import Synchronization

/// Prints a finished scan as a table with a summary per target, or as JSON Lines.
struct ProbeOutput {
    let report: PortScanner.Report
    let targets: [TargetList.Target]
    let protocolName: String
    /// Show every port, not only the open ones.
    let listAll: Bool
    let graceful: Bool
    /// `--banner`: what each open port said first, escaped, by "ADDRESS PORT"; nil
    /// without --banner (then the records have no banner field).
    var banners: [String: String]?

    func printTable(style: Style) {
        let reasonWidth = self.reasonWidth
        var text = ""
        // The results come in the targets' order: each target's rows are one run of them.
        var rest = report.results[...]
        for target in targets {
            let rows = rest.prefix { $0.target == target.address }
            rest = rest.dropFirst(rows.count)
            let shown = listAll ? rows : rows.filter { $0.state == .open }
            if targets.count > 1 || target.name != nil {
                text += style.bold(target.name.map { "\($0) (\(target.address))" } ?? "\(target.address)") + "\n"
            }
            if !shown.isEmpty {
                text += style.dim(header(reasonWidth)) + "\n"
                for result in shown {
                    text += row(result, style: style, reasonWidth: reasonWidth) + "\n"
                    if let answer = result.answer { text += Self.detail("answer", answer, style: style) }
                    if let banner = banners?["\(result.target) \(result.port)"] { text += Self.detail("banner", banner, style: style) }
                }
            }
            text += summary(rows, target: target.address) + "\n"
            if text.utf8.count > 1 << 16 {
                Diagnostics.output(text)
                text = ""
            }
        }
        if graceful {
            let left = report.socketsLeftClosing()
            text +=
                "--graceful: \(left) socket\(left == 1 ? "" : "s") left closing (FIN-WAIT or TIME-WAIT); each ends in TIME-WAIT, holding its 4-tuple for 60 s\n"
        }
        if report.selfConnects > 0 {
            text +=
                style.dim(
                    "\(report.selfConnects) probe\(report.selfConnects == 1 ? "" : "s") connected to itself (source port = destination port) and "
                        + "\(report.selfConnects == 1 ? "was" : "were") redone")
                + "\n"
        }
        Diagnostics.output(text)
    }

    /// One `port` record per result (schema: `port`). A full scan writes 65,535 of them:
    /// they are encoded in rounds of a few thousand per core, the cores' parts at once,
    /// and written in order (a round's text at most a few MiB).
    func printJSON() {
        var names: [IPAddress: String] = [:]
        for target in targets { if let name = target.name { names[target.address] = names[target.address] ?? name } }
        let time = Timestamp.now()
        let results = report.results
        let cores = max(1, min(4, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        let part = 4096
        var start = 0
        while start < results.count {
            let parts = min(cores, (results.count - start + part - 1) / part)
            let texts = Mutex([[UInt8]](repeating: [], count: parts))
            let (first, names) = (start, names)
            DispatchQueue.concurrentPerform(iterations: parts) { index in
                let low = first + index * part
                let output = JSONTextEncoder.Output()
                encodeJSON(results[low..<min(results.count, low + part)], names: names, time: time, to: output)
                texts.withLock { $0[index] = output.bytes }
            }
            for text in texts.withLock({ $0 }) { Diagnostics.output(bytes: text) }
            start += parts * part
        }
    }

    /// A run of results' records: a target's texts (its results are consecutive) and
    /// an errno's are made once.
    private func encodeJSON(_ results: ArraySlice<ProbeResult>, names: [IPAddress: String], time: String, to output: JSONTextEncoder.Output) {
        var errors: [Int32: (name: String, text: String)] = [:]
        var current: (target: IPAddress, address: String, name: String)?
        for result in results {
            if current?.target != result.target {
                let address = "\(result.target)"
                current = (result.target, address, names[result.target] ?? address)
            }
            guard let (_, address, name) = current else { continue }
            var error: (name: String, text: String)?
            if let code = result.error {
                error = errors[code.rawValue] ?? (code.symbolicName, code.text)
                errors[code.rawValue] = error
            }
            var record = PortRecord(
                target: name, peerAddress: address, peerPort: Int(result.port), protocol: protocolName, state: result.state.rawValue, code: Int(result.code),
                errno: error?.name, error: error?.text, reason: result.reason, service: PortList.serviceName(result.port, protocolName: protocolName),
                rttMs: result.elapsed.jsonMilliseconds, attempts: result.attempts)
            if let banners { record.banner = .some(banners["\(result.target) \(result.port)"]) }
            if result.transport == .udp { record.answer = .some(result.answer) }
            JSONLine.append(record, time: time, to: output)
        }
    }

    /// A line under a port's row: what its UDP reply or its banner said, 160 characters at most.
    private static func detail(_ label: String, _ text: String, style: Style) -> String {
        "            " + style.dim(label + " ") + String(text.prefix(160)) + (text.count > 160 ? "…" : "") + "\n"
    }

    private func header(_ reasonWidth: Int) -> String {
        "PORT".padded(to: 11) + "STATE".padded(to: 14) + "CODE".padded(to: 5) + "ERRNO".padded(to: 13)
            + "REASON".padded(to: reasonWidth) + "SERVICE".padded(to: 13) + "TIME"
    }

    /// 13 ("conn-refused" and a space), or wider when a reason needs it ("admin-prohibited",
    /// probe --proxy's "proxy-conn-refused"); computed once per table. A row fits 80 columns
    /// unless a reason or a service name is longer than most.
    private var reasonWidth: Int { max(13, (report.results.map(\.reason.count).max() ?? 0) + 1) }

    private func row(_ result: ProbeResult, style: Style, reasonWidth: Int) -> String {
        let state = result.state.rawValue.padded(to: 14)
        let coloured = result.state == .open ? style.green(state) : state
        return "\(result.port)/\(protocolName)".padded(to: 11) + coloured + String(result.code).padded(to: 5)
            + (result.error?.symbolicName ?? "-").padded(to: 13) + result.reason.padded(to: reasonWidth)
            + (PortList.serviceName(result.port, protocolName: protocolName) ?? "-").padded(to: 13)
            + Timestamp.shortMilliseconds(result.elapsed)
    }

    /// `1000 ports on 10.200.0.2 in 1.32 s: 3 open, 990 closed, 7 filtered`
    private func summary(_ rows: ArraySlice<ProbeResult>, target: IPAddress) -> String {
        var counts: [String] = []
        for state in PortState.allCases {
            let count = rows.filter { $0.state == state }.count
            if count > 0 || state == .open { counts.append("\(count) \(state.rawValue)") }
        }
        let seconds = Double(report.elapsed.milliseconds) / 1000
        let ports = rows.count == 1 ? "1 port" : "\(rows.count) ports"
        var line = "\(ports) on \(target) in \(String(format2: seconds)) s: " + counts.joined(separator: ", ")
        if let filtered = rows.first(where: { $0.state == .filtered || $0.state == .openFiltered }) {
            line += " (no answer within \(Timestamp.shortMilliseconds(filtered.elapsed)) over \(filtered.attempts) probe\(filtered.attempts == 1 ? "" : "s"))"
        }
        return line
    }
}

extension String {
    /// A number with two decimals, without Foundation's String(format:).
    init(format2 value: Double) {
        let hundredths = Int64(Int(saturating: (value * 100).rounded()))
        let fraction = abs(hundredths % 100)
        self = "\(hundredths < 0 ? "-" : "")\(abs(hundredths / 100)).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// A number with three decimals (ping's milliseconds).
    init(format3 value: Double) {
        let thousandths = Int64(Int(saturating: (value * 1000).rounded()))
        let fraction = "\(abs(thousandths % 1000))"
        let padding = fraction.count < 3 ? "00".suffix(3 - fraction.count) : ""
        let sign = thousandths < 0 ? "-" : ""
        self = sign + "\(abs(thousandths / 1000))." + padding + fraction
    }
}
