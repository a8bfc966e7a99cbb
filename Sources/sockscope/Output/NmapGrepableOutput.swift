import Glibc
import SockscopeCore

/// `probe -oG FILE`: nmap's grepable format, line for line as nmap 7.93 writes it for
/// `nmap -sT -Pn -n` (or `-sU`): a `Status: Up` line and a `Ports:` line per host
/// (`port/state/protocol/owner/service/rpc/version/`, states that hold more than 25
/// of the host's ports summed up as `Ignored State`), between comment lines.
final class NmapGrepableOutput {
    private let file: NmapOutputFile
    private var hosts: Int { file.hosts }
    private let protocolName: String
    private let clock = ContinuousClock.now

    /// Opens `path` (`-`: standard output) and writes the head line; a resumed scan
    /// continues its file where the windows done had left it (`continuing`).
    init(
        path: String, option: String = "-oG", arguments: [String], protocolName: String, continuing: ScanCheckpoint.Output? = nil,
        before: Duration = .zero
    ) throws(SockscopeError) {
        file = try NmapOutputFile(path: path, option: option, continuing: continuing, before: before)
        self.protocolName = protocolName
        if file.isContinued { return }
        let command = (["sockscope"] + arguments).joined(separator: " ")
        try file.write("# Nmap 7.93 scan initiated \(NmapOutputFile.ctime(Int(time(nil)))) as: \(Self.printable(command))\n")
    }

    /// Two lines per target of a window.
    func write(_ results: [ProbeResult], targets: [TargetList.Target]) throws(SockscopeError) {
        var text = ""
        for (target, ports) in NmapOutputFile.hosts(results, targets: targets) {
            file.hosts += 1
            let head = "Host: \(target.address) (\(Self.printable(target.name ?? "")))\t"
            let listing = NmapPortListing(ports)
            let listed = listing.listed.map { result in
                let service = NmapPortListing.serviceName(result.port, protocolName) ?? ""
                return "\(result.port)/\(NmapPortListing.state(result.state))/\(protocolName)//\(service)///"
            }
            let ignored = listing.ignored.map { "\tIgnored State: \($0.state) (\($0.results.count))" }.joined()
            text += head + "Status: Up\n" + head + "Ports: " + listed.joined(separator: ", ") + ignored + "\n"
        }
        try file.write(text)
    }

    /// Where the file stands, for a resumed scan (nil on standard output).
    func checkpoint() throws(SockscopeError) -> ScanCheckpoint.Output? { try file.checkpoint() }

    func finish() throws(SockscopeError) {
        let seconds = NmapOutputFile.seconds(since: clock, before: file.before)
        let addresses = "\(hosts) IP address\(hosts == 1 ? "" : "es") (\(hosts) host\(hosts == 1 ? "" : "s") up)"
        try file.write("# Nmap done at \(NmapOutputFile.ctime(Int(time(nil)))) -- \(addresses) scanned in \(seconds) seconds\n")
        file.close()
    }

    /// One line of text: control characters (a newline in a name) as `?`.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : $0 }))
    }
}
