import SockscopeCore

/// probe over many targets: a line per host — whether it answered at all (any port
/// open or closed: SYN/ACK or RST), its open ports, the median round trip of its
/// answers — and, at the end of the run, the totals. JSON: a `probe_host` record each.
struct ProbeHostSummary {
    struct Host {
        var target: TargetList.Target
        var open: [UInt16] = []
        var closed = 0
        var other = 0
        var answerTimes: [Duration] = []

        var answering: Bool { !open.isEmpty || closed > 0 }
        var medianRTT: Duration? { answerTimes.isEmpty ? nil : answerTimes.sorted()[answerTimes.count / 2] }
    }

    let hosts: [Host]

    init(_ results: [ProbeResult], targets: [TargetList.Target]) {
        var byAddress = Dictionary(targets.map { ($0.address, Host(target: $0)) }, uniquingKeysWith: { first, _ in first })
        for result in results {
            switch result.state {
            case .open:
                byAddress[result.target]?.open.append(result.port)
                if result.elapsed > .zero { byAddress[result.target]?.answerTimes.append(result.elapsed) }  // nmap's XML has none
            case .closed:
                byAddress[result.target]?.closed += 1
                if result.elapsed > .zero { byAddress[result.target]?.answerTimes.append(result.elapsed) }
            default: byAddress[result.target]?.other += 1
            }
        }
        hosts = targets.compactMap { byAddress[$0.address] }
    }

    /// Writes the table to stdout, 64 KiB at a time (a window may hold 65,536 hosts).
    func printText(style: Style) {
        var text = style.dim("HOST".padded(to: 40) + "ANSWERS".padded(to: 9) + "OPEN".padded(to: 6) + "MEDIAN RTT".padded(to: 12) + "OPEN PORTS") + "\n"
        for host in hosts {
            // A name may come from a file (merge): escaped, as all untrusted text.
            let name = host.target.name.map { "\(PrintableBytes.escaped(Array($0.utf8))) (\(host.target.address))" } ?? "\(host.target.address)"
            let ports = host.open.sorted().map(String.init).joined(separator: ",")
            text += name.padded(to: 40) + (host.answering ? "yes" : "no").padded(to: 9) + String(host.open.count).padded(to: 6)
            text += (host.medianRTT.map(Timestamp.shortMilliseconds) ?? "-").padded(to: 12) + (ports.isEmpty ? "-" : ports) + "\n"
            Self.flush(&text)
        }
        Diagnostics.output(text)
    }

    private static func flush(_ text: inout String) {
        guard text.utf8.count > 1 << 16 else { return }
        Diagnostics.output(text)
        text = ""
    }

    /// Writes a `probe_host` record per host to stdout, 64 KiB at a time.
    func printJSON() {
        var text = ""
        for host in hosts {
            let record = ProbeHostRecord(
                target: host.target.name ?? "\(host.target.address)", address: "\(host.target.address)", answering: host.answering, open: host.open.count,
                closed: host.closed, notAnswered: host.other, openPorts: host.open.sorted().map(Int.init), rttMedianMs: host.medianRTT?.jsonMilliseconds)
            text += JSONLine.text(record)
            Self.flush(&text)
        }
        Diagnostics.output(text)
    }
}
