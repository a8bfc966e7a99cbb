import ArgumentParser
import Glibc
import SockscopeCore

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the outputs of a scan's shards (or of a resumed scan's runs) into one scan.",
        usage: "sockscope merge [<options>] [<file> ...]",
        discussion: """
            Reads probe's JSON Lines (--json) or nmap's XML (-oX, probe's or nmap's own), any mix, and \
            prints the one scan they make: each target's ports together again (a shard holds part of \
            every host), one result per address, protocol and port — a port reported twice (a \
            re-run or resumed task, overlapping inputs) is kept once, the first time it appears — \
            then a line per host and the totals, as probe prints an unsharded scan. --json prints the \
            port records, then a probe_host record per host (other records of JSON input, such as \
            tls, follow as they were, each once); -oX and -oG write nmap's formats of the whole scan.

            Exit status: 0 when a port is open (with UDP: or open|filtered, as probe), 1 when none \
            is, 64 for a file that is neither format, 74 when one cannot be read.

            Examples:
              sockscope merge results/shard-*.jsonl
              sockscope merge --json results/shard-*.jsonl > scan.jsonl
              sockscope merge -oX scan.xml results/shard-*.xml
            """
    )

    @Argument(help: ArgumentHelp("probe --json or -oX outputs (- for stdin).", valueName: "file"))
    var files: [String] = []

    @Option(
        name: .customLong("oX", withSingleDash: true),
        help: ArgumentHelp("Also write nmap's XML of the merged scan to this file (- for stdout, instead of the table).", valueName: "file"))
    var xmlOutput: String?

    @Option(
        name: .customLong("oG", withSingleDash: true),
        help: ArgumentHelp("Also write nmap's grepable format of the merged scan to this file (- for stdout).", valueName: "file"))
    var grepableOutput: String?

    @OptionGroup(title: "Output") var jsonOutput: OutputOptions

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("give the files to merge: probe --json or -oX outputs, e.g. merge results/shard-*.jsonl") }
        let onStdout = [("-oX", xmlOutput == "-"), ("-oG", grepableOutput == "-"), ("--json", jsonOutput.json)].filter(\.1).map(\.0)
        if onStdout.count > 1 && onStdout.contains(where: { $0 != "--json" }) {
            throw ValidationError("\(onStdout.joined(separator: " and ")) would all write to stdout: give a file to all but one")
        }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("stdin (-) can be read once") }
    }

    func run() throws {
        color.values.apply()
        try CommandRunner.run(json: jsonOutput.json) { () throws(SockscopeError) -> ExitStatus in
            let scan = try MergedScan(files: files)
            try write(scan)
            return scan.anyOpen ? .success : .nothingFound
        }
    }

    private func write(_ scan: MergedScan) throws(SockscopeError) {
        let arguments = ["merge"] + files
        if scan.byTransport.count > 1, xmlOutput != nil || grepableOutput != nil {
            throw .usage("the files hold TCP and UDP results: -oX and -oG write one protocol's scan; merge each protocol's files on their own")
        }
        for (transport, results) in scan.byTransport {
            let ports = Array(Set(results.map(\.port))).sorted()
            let protocolName = transport.rawValue
            if let xmlOutput {
                let xml = try NmapXMLOutput(path: xmlOutput, arguments: arguments, protocolName: protocolName, ports: ports)
                try xml.write(results, targets: scan.targets)
                try xml.finish()
            }
            if let grepableOutput {
                let grepable = try NmapGrepableOutput(path: grepableOutput, arguments: arguments, protocolName: protocolName)
                try grepable.write(results, targets: scan.targets)
                try grepable.finish()
            }
            guard xmlOutput != "-" && grepableOutput != "-" else { continue }
            let report = PortScanner.Report(results: results, elapsed: .zero, smoothedRTT: nil, probesSent: results.count, selfConnects: 0)
            let output = ProbeOutput(report: report, targets: scan.targets, protocolName: protocolName, listAll: false, graceful: false)
            let summary = ProbeHostSummary(results, targets: scan.targets)
            if jsonOutput.json {
                output.printJSON()
                summary.printJSON()
            } else {
                summary.printText(style: Style(enabled: Diagnostics.usesColour(1)))
            }
        }
        if jsonOutput.json {
            Diagnostics.output(scan.otherRecords.map { $0 + "\n" }.joined())
        } else if xmlOutput != "-" && grepableOutput != "-" {
            Diagnostics.output(scan.totals + "\n")
        }
    }
}

/// The scan several outputs make together: one result per address, protocol and port.
struct MergedScan {
    var results: [ProbeResult] = []
    var targets: [TargetList.Target] = []
    var otherRecords: [String] = []
    var duplicates = 0
    var files = 0

    init(files paths: [String]) throws(SockscopeError) {
        var seen: Set<String> = []
        var names: [IPAddress: String] = [:]
        var otherSeen: Set<String> = []
        for path in paths {
            let file = try ScanFile.read(path)
            files += 1
            names.merge(file.names) { first, _ in first }
            for result in file.results {
                guard seen.insert("\(result.target) \(result.transport.rawValue) \(result.port)").inserted else {
                    duplicates += 1
                    continue
                }
                results.append(result)
            }
            for record in file.otherRecords where otherSeen.insert(record).inserted { otherRecords.append(record) }
        }
        results.sort { $0.target != $1.target ? $0.target < $1.target : $0.port < $1.port }
        var addresses: [IPAddress] = []
        for result in results where addresses.last != result.target { addresses.append(result.target) }
        targets = addresses.map { TargetList.Target(address: $0, name: names[$0]) }
    }

    /// The results of each protocol, TCP first.
    var byTransport: [(ProbeResult.Transport, [ProbeResult])] {
        [ProbeResult.Transport.tcp, .udp].compactMap { transport in
            let some = results.filter { $0.transport == transport }
            return some.isEmpty ? nil : (transport, some)
        }
    }

    /// As probe's exit status: an open port, or with UDP an open|filtered one.
    var anyOpen: Bool { results.contains { $0.state == .open || $0.state == .openFiltered } }

    var totals: String {
        let states = PortState.allCases.compactMap { state in
            let count = results.filter { $0.state == state }.count
            return count > 0 ? "\(count) \(state.rawValue)" : nil
        }
        let repeated = duplicates > 0 ? "; \(counted(duplicates, "repeated result")) left out" : ""
        return "\(counted(results.count, "port")) of \(counted(targets.count, "host")) from \(counted(files, "file")): "
            + (states.isEmpty ? "none" : states.joined(separator: ", ")) + repeated
    }
}
