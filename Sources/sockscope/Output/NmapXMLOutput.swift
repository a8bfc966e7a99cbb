import Glibc
import SockscopeCore
import SystemPackage

/// `probe -oX FILE`: nmap's XML for a connect (or UDP) scan, as nmap 7.93 writes it for
/// `nmap -sT -Pn -n` (or `-sU`): one `<host>` per target as each window of whole hosts
/// ends, its ports with nmap's state and reason names, the service from the port
/// table, then `<runstats>`. It validates against nmap.dtd, so ndiff, python3-libnmap
/// and Metasploit's importer read it. Hosts are `up` with reason `user-set`: probe does
/// no host discovery, as nmap -Pn does none.
final class NmapXMLOutput {
    private let file: NmapOutputFile
    private var hosts: Int { file.hosts }
    private let protocolName: String
    private let started = Int(time(nil))
    private let clock = ContinuousClock.now

    /// Opens `path` (`-`: standard output) and writes the scan's head; a resumed scan
    /// continues its file where the windows done had left it (`continuing`).
    init(
        path: String, option: String = "-oX", arguments: [String], protocolName: String, ports: [UInt16],
        continuing: ScanCheckpoint.Output? = nil, before: Duration = .zero
    ) throws(SockscopeError) {
        file = try NmapOutputFile(path: path, option: option, continuing: continuing, before: before)
        self.protocolName = protocolName
        if file.isContinued { return }
        let command = (["sockscope"] + arguments).joined(separator: " ")
        let startText = NmapOutputFile.ctime(started)
        try file.write(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE nmaprun>
            <!-- sockscope probe, as Nmap 7.93 writes its XML: \(Self.escaped(command).split(separator: "--", omittingEmptySubsequences: false).joined(separator: "- -")) -->
            <nmaprun scanner="nmap" args="\(Self.escaped(command))" start="\(started)" startstr="\(startText)" version="7.93" xmloutputversion="1.05">
            <scaninfo type="\(protocolName == "udp" ? "udp" : "connect")" protocol="\(protocolName)" numservices="\(ports.count)" services="\(Self.ranges(ports))"/>
            <verbose level="0"/>
            <debugging level="0"/>

            """)
    }

    /// One `<host>` per target of a window, its ports in port order, with what --banner
    /// and --tls learnt of them.
    func write(_ results: [ProbeResult], targets: [TargetList.Target], extras: NmapPortExtras = NmapPortExtras()) throws(SockscopeError) {
        var text = ""
        for (target, ports) in NmapOutputFile.hosts(results, targets: targets) {
            file.hosts += 1
            text += host(target, ports.sorted { $0.port < $1.port }, extras: extras)
        }
        try file.write(text)
    }

    private func host(_ target: TargetList.Target, _ results: [ProbeResult], extras: NmapPortExtras) -> String {
        let now = Int(time(nil))
        var text = "<host starttime=\"\(now)\" endtime=\"\(now)\"><status state=\"up\" reason=\"user-set\" reason_ttl=\"0\"/>\n"
        text += "<address addr=\"\(target.address)\" addrtype=\"\(target.address.family == .inet6 ? "ipv6" : "ipv4")\"/>\n<hostnames>\n"
        if let name = target.name { text += "<hostname name=\"\(Self.escaped(name))\" type=\"user\"/>\n" }
        text += "</hostnames>\n<ports>"
        let listing = NmapPortListing(results)
        for (state, ignored) in listing.ignored {
            text += "<extraports state=\"\(state)\" count=\"\(ignored.count)\">\n"
            for reason in Set(ignored.map(\.reason)).sorted() {
                let ports = ignored.filter { $0.reason == reason }.map(\.port)
                text += "<extrareasons reason=\"\(reason)\" count=\"\(ports.count)\" proto=\"\(protocolName)\" ports=\"\(Self.ranges(ports))\"/>\n"
            }
            text += "</extraports>\n"
        }
        for result in listing.listed {
            text +=
                "<port protocol=\"\(protocolName)\" portid=\"\(result.port)\"><state state=\"\(NmapPortListing.state(result.state))\" reason=\"\(result.reason)\" reason_ttl=\"0\"/>"
            text += extras.service(result, protocolName: protocolName) + extras.scripts(result) + "</port>\n"
        }
        return text + "</ports>\n</host>\n"
    }

    /// Where the file stands, for a resumed scan (nil on standard output).
    func checkpoint() throws(SockscopeError) -> ScanCheckpoint.Output? { try file.checkpoint() }

    /// `<runstats>` and the end of the document; `error` when the scan ended early
    /// (Ctrl-C: `exit="error"` with the reason, as the DTD has it).
    func finish(error: String? = nil) throws(SockscopeError) {
        let now = Int(time(nil))
        let seconds = NmapOutputFile.seconds(since: clock, before: file.before)
        let summary =
            "Nmap done at \(NmapOutputFile.ctime(now)); \(hosts) IP address\(hosts == 1 ? "" : "es") (\(hosts) host\(hosts == 1 ? "" : "s") up) scanned in \(seconds) seconds"
        try file.write(
            """
            <runstats><finished time="\(now)" timestr="\(NmapOutputFile.ctime(now))" summary="\(summary)" elapsed="\(seconds)" \(error.map { "exit=\"error\" errormsg=\"\(Self.escaped($0))\"" } ?? "exit=\"success\"")/><hosts up="\(hosts)" down="0" total="\(hosts)"/>
            </runstats>
            </nmaprun>

            """)
        file.close()
    }

    /// `22,80,8000-8100`: the ports as nmap's `services` attribute lists them.
    static func ranges(_ ports: [UInt16]) -> String {
        var parts: [String] = []
        var sorted = Array(Set(ports)).sorted()[...]
        while let first = sorted.popFirst() {
            var last = first
            while let next = sorted.first, next == last + 1 {
                last = next
                sorted = sorted.dropFirst()
            }
            parts.append(first == last ? "\(first)" : "\(first)-\(last)")
        }
        return parts.joined(separator: ",")
    }

    /// Text for XML (the one XML escaping, SVGDocument's).
    static func escaped(_ text: String) -> String { SVGDocument.escape(text) }

    /// Text for an XML attribute: escaped, and tabs and line ends as character
    /// references (a parser turns them into spaces otherwise), as nmap writes `&#xa;`.
    static func attribute(_ text: String) -> String {
        escaped(text).replacing("\n", with: "&#xa;").replacing("\r", with: "&#xd;").replacing("\t", with: "&#x9;")
    }
}

/// What probe learnt of a window's ports besides their state, where nmap puts it: a UDP
/// service's answer in `<service>` (probed), a TLS port's certificate as
/// `<script id="ssl-cert">`, what a port said first as `<script id="banner">`.
struct NmapPortExtras {
    /// --banner: what each open port said ("ADDRESS PORT").
    var banners: [String: [UInt8]] = [:]
    /// --tls: each handshake ("ADDRESS PORT").
    var handshakes: [String: TLSProbeResult] = [:]

    static func key(_ address: IPAddress, _ port: UInt16) -> String { "\(address) \(port)" }

    /// `<service>`: the port table's name (method table), or the service that answered
    /// its own request (method probed, the answer as extrainfo).
    func service(_ result: ProbeResult, protocolName: String) -> String {
        let name = NmapPortListing.serviceName(result.port, protocolName)
        if let answer = result.answer, result.state == .open {
            let info = NmapXMLOutput.attribute(answer)
            return "<service name=\"\(NmapXMLOutput.attribute(name ?? "unknown"))\" extrainfo=\"\(info)\" method=\"probed\" conf=\"10\"/>"
        }
        guard let name else { return "" }
        return "<service name=\"\(NmapXMLOutput.attribute(name))\" method=\"table\" conf=\"3\"/>"
    }

    /// banner.nse's and ssl-cert.nse's `<script>` elements for the port, if any.
    func scripts(_ result: ProbeResult) -> String {
        let key = Self.key(result.target, result.port)
        var text = ""
        if let bytes = banners[key], let banner = NmapScripts.banner(bytes) {
            text += "<script id=\"banner\" output=\"\(NmapXMLOutput.attribute(banner))\"/>"
        }
        if let handshake = handshakes[key], case .established(let facts) = handshake.outcome, let leaf = facts.chain.first {
            let (output, elements) = NmapScripts.sslCert(leaf)
            text += "<script id=\"ssl-cert\" output=\"\(NmapXMLOutput.attribute(output))\">" + elements + "</script>"
        }
        return text
    }
}

/// What nmap shows of one host's ports: those it lists, in port order, and the states
/// it sums up instead (its "Not shown: 995 closed ports", XML `<extraports>`, grepable
/// "Ignored State"): every state but open that holds more than 25 of the host's ports.
struct NmapPortListing {
    var listed: [ProbeResult]
    var ignored: [(state: String, results: [ProbeResult])]

    init(_ results: [ProbeResult]) {
        var byState: [String: [ProbeResult]] = [:]
        for result in results { byState[Self.state(result.state), default: []].append(result) }
        ignored = byState.filter { $0.key != "open" && $0.value.count > 25 }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let hidden = Set(ignored.map(\.state))
        listed = results.filter { !hidden.contains(Self.state($0.state)) }.sorted { $0.port < $1.port }
    }

    /// nmap's port state names: ours, with `unreachable` as nmap shows it (filtered, the
    /// ICMP error as the reason).
    static func state(_ state: PortState) -> String { state == .unreachable ? "filtered" : state.rawValue }

    /// The service nmap names for the port: from nmap's own table when it is installed
    /// (nmap-services: none for a port it does not list, as nmap writes), else the
    /// system's (/etc/services).
    static func serviceName(_ port: UInt16, _ protocolName: String) -> String? {
        if let nmaps = ServiceNames.nmapName(of: port, protocolName: protocolName) { return nmaps }
        return ServiceNames.name(of: port, protocolName: protocolName)
    }
}
