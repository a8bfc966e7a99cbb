import SockscopeCore

/// `probe --count`: a line per attempt as it ends, then ping's statistics — or, with
/// --json, a `probe_attempt` record per attempt and a `probe_statistics` record.
struct ProbeTimingOutput {
    let destination: SocketAddress
    /// What the user named (a host name), when not the address itself.
    let name: String?
    let json: Bool
    let quiet: Bool

    func attempt(_ result: ProbeResult, sequence: Int, timeout: Duration) {
        guard !quiet else { return }
        if json {
            var line = JSONLine(type: "probe_attempt")
            line.add("target", name ?? "\(result.target)")
            line.add(endpoint: "peer", destination)
            line.add("protocol", "tcp")
            line.add("sequence", sequence)
            line.add("state", result.state.rawValue)
            line.add("code", Int(result.code))
            line.add("errno", result.error?.symbolicName)
            line.add("reason", result.reason)
            line.add(milliseconds: "rtt", result.state == .open || result.state == .closed ? result.elapsed : nil)
            Diagnostics.output(line.text)
            return
        }
        var text = "probe \(destination): seq \(sequence): \(result.state.rawValue)"
        switch result.state {
        case .open: text += " in \(Timestamp.shortMilliseconds(result.elapsed))"
        case .closed: text += " (\(result.error?.symbolicName ?? "RST")) in \(Timestamp.shortMilliseconds(result.elapsed))"
        case .filtered: text += " (ETIMEDOUT: no answer in \(Timestamp.seconds(timeout)))"
        default: text += " (\(result.error?.symbolicName ?? "?"): \(result.reason)) after \(Timestamp.shortMilliseconds(result.elapsed))"
        }
        Diagnostics.output(text + "\n")
    }

    func statistics(_ statistics: ConnectTimer.Statistics) {
        guard !quiet else { return }
        let times = statistics.milliseconds
        if json {
            var line = JSONLine(type: "probe_statistics")
            line.add("target", name ?? destination.ipAddress.map { "\($0)" })
            line.add(endpoint: "peer", destination)
            line.add("sent", statistics.sent)
            line.add("answered", statistics.answered)
            line.add("open", statistics.open)
            line.add("closed", statistics.closed)
            line.add("loss_percent", statistics.lossPercent.rounded(toPlaces: 1))
            line.add("rtt_min_ms", times?.min.rounded(toPlaces: 3))
            line.add("rtt_avg_ms", times?.average.rounded(toPlaces: 3))
            line.add("rtt_max_ms", times?.max.rounded(toPlaces: 3))
            line.add("rtt_mdev_ms", times?.deviation.rounded(toPlaces: 3))
            Diagnostics.output(line.text)
            return
        }
        var text = "--- \(name.map { "\($0) (\(destination))" } ?? "\(destination)") connect statistics ---\n"
        text += "\(counted(statistics.sent, "probe")), \(statistics.answered) answered (\(statistics.open) open, \(statistics.closed) closed), "
        text += "\(SVGDocument.number(statistics.lossPercent))% loss\n"
        if let times {
            let values = [times.min, times.average, times.max, times.deviation].map { String(format3: $0) }
            text += "connect min/avg/max/mdev = \(values.joined(separator: "/")) ms\n"
        }
        Diagnostics.output(text)
    }
}
