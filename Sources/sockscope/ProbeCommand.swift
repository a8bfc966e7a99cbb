import ArgumentParser
import Glibc
import SockscopeCore
import Synchronization

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Probe ports with connect() and report each result code, like nmap -sT --reason.",
        discussion: """
            For every port, sockscope makes a non-blocking connect() and reports what it returned — the \
            connect_ex code: 0 (open), ECONNREFUSED (closed: the host answered RST), no answer within the \
            timeout (filtered, reported as ETIMEDOUT), or EHOSTUNREACH / ENETUNREACH / EACCES \
            (unreachable: an ICMP error or a local route). UDP (-u) sends a datagram: a reply means \
            open, ICMP port-unreachable closed, silence open|filtered. Well-known ports get their \
            service's own request, as nmap -sU sends (DNS 53, TFTP 69, portmapper 111, NTP 123, \
            NetBIOS-NS 137, SNMP 161 v2c public, IKE 500, SSDP 1900, mDNS 5353, memcached 11211), \
            so a service that ignores a stray byte answers (other ports get one NUL byte, as ncat -zu \
            sends); the answer is read ("NTP v4 \
            server, stratum 2 …") and shown under the row and in the record's answer field. \
            --payload TEXT or --payload-hex HEX sends the same bytes to every port instead.

            --proxy URL asks a SOCKS or HTTP CONNECT proxy for each port instead (64 at a time \
            unless --parallel) and reads the state from its answer: the tunnel opened (open), \
            SOCKS5 reply 5 / SOCKS4 91 / HTTP 502 (closed), an unreachable reply, a refusal by \
            rule or silence (filtered).

            Unanswered probes are waited for a few smoothed round trips of the ports that did \
            answer (srtt + 4·rttvar), then retried; --timeout fixes the wait instead. Probes close \
            with RST (SO_LINGER 0), so a scan leaves no TIME-WAIT sockets (--graceful closes with FIN).

            TARGETS (nmap's grammar): a name, IPv4 or IPv6 address, CIDR block (10.200.0.0/29), \
            octet ranges and lists (192.168.1-3.1,5,7-9, 10.*.*.1), a range (10.0.0.1-10.0.0.20), \
            or a comma list of them; or -iL FILE. Text shaped like an address is never looked up. \
            PORTS: 22, 20-25, 22,80,8000-8100, ssh,http, or - for all 65535.

            The probes go out in a random order that moves from host to host (a walk around a \
            multiplicative cyclic group, as zmap's), in windows of whole hosts (about 32,768 \
            probes), each printed when it finishes: memory does not grow with the targets. \
            --seed repeats an order; --shard I/N with the same --seed on N machines splits the \
            scan into disjoint parts that together are the whole, whose JSON Lines concatenate.

            --resume FILE keeps what the scan needs to continue in FILE (its arguments, seed and \
            the windows done; replaced atomically after each window). After Ctrl-C, a kill, a \
            crash or a reboot, 'probe --resume FILE' alone (or the same command again, as a \
            requeued batch job runs it) probes only the windows not done: stdout gets their \
            records (append them to the first run's), and -oX, -oG and -oA's files are cut back to \
            the last window done and completed in place (-oX - starts a second document). Each \
            --shard keeps its own FILE. A finished scan is not run again.

            -oX carries what probe learns beyond the state where nmap puts it: --banner as \
            <script id="banner"> and --tls as <script id="ssl-cert">, as nmap's scripts of those \
            names write them, and a UDP service's answer as <service method="probed" extrainfo=…>.

            Output: open ports (every port with --all, or when 25 or fewer are probed), then a summary. \
            --json prints one "port" record per port: target, peer_address, peer_port, protocol, state, \
            code, errno, error, reason, service, rtt_ms, attempts.

            --tls then makes a TLS handshake with each open TCP port and prints one line per port: \
            version, ALPN, the certificate's subject CN and issuer, days until it expires, and the \
            verification result (reported, never enforced: X509_V_OK or the X509_V_ERR_* name), or \
            why the port is not TLS (no TLS reply, an HTTP or other plaintext answer). SNI is the \
            target's name, or --sni; the certificate is checked against that name or the address. \
            With -u the handshake is DTLS 1.2, with each UDP port that is open or open|filtered (a \
            DTLS service is silent to other probes), and its retransmissions are resent as OpenSSL's \
            timer says. With --json, a "tls" record follows each open port's "port" record.

            --diff OLD compares the scan with an earlier one (its --json or -oX output, e.g. \
            yesterday's from cron) and prints only what changed, window by window: a port whose \
            state changed ("127.0.0.1 80/tcp: open → closed"), one OLD did not have, a UDP answer, \
            a banner (--banner) or a certificate (--tls) that changed — as ndiff finds them between \
            two XML files — then the count; --json prints port_change records. Its exit status \
            says whether anything changed: 0 nothing, 1 something.

            Exit status: 0 when at least one port is open — with -u, or open|filtered, as nc -zu and \
            ncat -zu exit 0 when no ICMP error came back — 1 when none is, 68 unknown host, 64 bad input.

            Examples:
              sockscope probe 127.0.0.1 1-1024
              sockscope probe --all ::1 22,80,443
              sockscope probe --json 127.0.0.1 - | grep '"open"'
              sockscope probe -u 127.0.0.1 53
              sockscope probe --tls --sni example.com 127.0.0.1 443,8443
              sockscope probe -u --tls 127.0.0.1 4433
              sockscope probe --json --seed 7 --shard 2/4 -iL targets.txt 22,80,443
              sockscope probe -oA scan 127.0.0.0/16 22,443 --resume scan.state
            """
    )

    @Argument(
        help: ArgumentHelp("Hosts to probe: names, addresses, CIDR blocks, ranges, comma-separated (with -iL: the ports).", valueName: "targets"))
    var targets: String?

    @Argument(
        help: ArgumentHelp("Ports: 22, 20-25, 22,80,8000-8100, ssh,http, or - for all.", valueName: "ports"),
        completion: .shellCommand("awk '!/^#/ && NF { split($2, p, \"/\"); print $1; print p[1] }' /etc/services | sort -u"))
    var ports: String?

    @Option(
        name: .customShort("p", allowingJoined: true),
        help: ArgumentHelp("The ports, as nmap -p takes them (-p 22,80, -p1-1024, -p- for all): instead of the ports argument.", valueName: "ports"))
    var portOption: String?

    @Option(
        name: .customLong("iL", withSingleDash: true),
        help: ArgumentHelp(
            "Read the targets from a file (- for standard input), separated by white space or commas, # comments (nmap -iL); then give only the ports.",
            valueName: "file"))
    var inputList: String?

    @Option(
        name: .customLong("exclude"),
        help: ArgumentHelp("Leave out these targets (addresses, CIDR blocks, ranges, names; comma-separated).", valueName: "targets"))
    var exclude: String?

    @Option(name: .customLong("exclude-file"), help: ArgumentHelp("Leave out the targets a file lists (-iL's format).", valueName: "file"))
    var excludeFile: String?

    @Option(
        name: .customLong("oX", withSingleDash: true),
        help: ArgumentHelp(
            "Also write nmap's XML of the scan to this file (- for stdout, instead of the table), as nmap -oX: it validates against nmap.dtd; ndiff, python-libnmap and Metasploit read it.",
            valueName: "file"))
    var xmlOutput: String?

    @Option(
        name: .customLong("oG", withSingleDash: true),
        help: ArgumentHelp("Also write nmap's grepable format to this file (- for stdout, instead of the table), as nmap -oG.", valueName: "file"))
    var grepableOutput: String?

    @Option(
        name: .customLong("oA", withSingleDash: true),
        help: ArgumentHelp(
            "Write BASENAME.xml (-oX), BASENAME.gnmap (-oG) and BASENAME.nmap (a copy of the table), as nmap -oA.", valueName: "basename"))
    var allOutputs: String?

    @Option(
        name: .customLong("shard"),
        help: ArgumentHelp(
            "Probe only part I of N of the targets × ports: N machines given the same --seed each take one part, disjoint and together complete; auto: the part of this Slurm array task (auto/N: of this Kubernetes Indexed Job's N).",
            valueName: "i/n"))
    var shard: Shard?

    @Option(
        name: .customLong("resume"),
        help: ArgumentHelp(
            "Keep the scan's state in this file, after every window; after Ctrl-C, a kill or a reboot, 'probe --resume FILE' alone continues it (the -oX/-oG/-oA files too).",
            valueName: "file"))
    var resume: String?

    @Option(
        name: .customLong("diff"),
        help: ArgumentHelp(
            "Print only what changed since this earlier scan (its --json or -oX output): ports that opened, closed, appeared, changed answer, banner or certificate; exit 0 when nothing did, 1 when something did.",
            valueName: "old"))
    var diff: String?

    @Option(
        name: .customLong("seed"),
        help: ArgumentHelp("Seed of the probe order, random by default: the same seed gives the same order (every --shard must share one).", valueName: "n"))
    var seed: UInt64?

    @Flag(name: [.customShort("u"), .customLong("udp")], help: "Probe UDP ports instead of TCP.")
    var udp = false

    @OptionGroup(title: "Address family") var family: FamilyOptions

    @Flag(
        name: .customLong("all-addresses"),
        help: "List every address a name resolves to on its own (without it, a name's port is open when any of its addresses answers, as nc -z).")
    var allAddresses = false

    @Option(
        name: .customLong("parallel"),
        help: ArgumentHelp(
            "The most probes in flight at once; below it the number follows the round trip and losses "
                + "(default \(PortScanner.defaultTCPParallelism) for TCP, \(PortScanner.defaultUDPParallelism) for UDP).",
            valueName: "n"))
    var parallel: Int?

    @Option(
        name: .customLong("retries"),
        help: ArgumentHelp(
            "Extra probes for a port that does not answer (default \(PortScanner.Request.defaultRetries), "
                + "more when answers that came only to a retry show loss).",
            valueName: "n"))
    var retries: Int?

    @Option(name: .customLong("rate"), help: ArgumentHelp("Send at most this many probes per second.", valueName: "pps"))
    var rate: Double?

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp("Wait this many seconds for each answer instead of adapting to the round-trip time.", valueName: "secs"))
    var timeout: Seconds?

    @Flag(name: .customLong("graceful"), help: "Close probes with FIN instead of RST (leaves TIME-WAIT sockets; the summary counts them).")
    var graceful = false

    @Option(
        name: .customLong("payload"),
        help: ArgumentHelp(
            "Text every UDP probe carries (default: the service's own request on a well-known port — DNS, NTP, SNMP … — else an empty datagram).",
            valueName: "text"))
    var payload: String?

    @Option(name: .customLong("payload-hex"), help: ArgumentHelp("Bytes every UDP probe carries, in hex (e.g. 0d0a).", valueName: "hex"))
    var payloadHex: String?

    @Flag(name: [.customShort("a"), .customLong("all")], help: "List every port, not only the open ones.")
    var all = false

    @Flag(
        name: .customLong("banner"),
        help: "Read what each open TCP port says first (SSH, SMTP, FTP, Redis' -ERR …), up to 512 bytes within --timeout (default 2 s), shown escaped.")
    var banner = false

    @Option(
        name: .customLong("banner-send"),
        help: ArgumentHelp(
            "Send this to each open port first and show the answer (implies --banner; \\r \\n \\t \\\\ \\xHH escapes), e.g. 'HEAD / HTTP/1.0\\r\\n\\r\\n'.",
            valueName: "text"))
    var bannerSend: String?

    @Option(
        name: [.customShort("c"), .customLong("count")],
        help: ArgumentHelp(
            "Time N connects to one port, a line each, then min/avg/max/mdev and loss as ping prints them (0: until Ctrl-C).", valueName: "n"))
    var count: Int?

    @Option(
        name: [.customShort("i"), .customLong("interval")],
        help: ArgumentHelp(
            "Seconds between the starts of --count's connects (default 1), kept while a silent port's attempts wait, as ping keeps it "
                + "(--tls: one handshake at a time).",
            valueName: "secs"))
    var interval: Seconds?

    @OptionGroup(title: "Output") var jsonOutput: OutputOptions

    var json: Bool { jsonOutput.json }

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print nothing; the exit status says whether a port is open (with -u: or open|filtered).")
    var quiet = false

    @OptionGroup(title: "TLS (each open TCP port; DTLS with -u)") var tls: ClientTLSOptions

    @OptionGroup(title: "Packet capture (the tap)") var tap: TapOptions

    @OptionGroup(title: "Proxy") var proxy: ProxyOptions

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        // --tls's combinations (-u, --insecure, --tap) are the parser's usage errors too.
        try ValidationError.check { () throws(SockscopeError) in try request.checkTLS() }
        if let parallel, parallel < 1 || parallel > 65536 { throw ValidationError("--parallel takes 1 to 65536, not \(parallel)") }
        if let retries, retries < 0 || retries > 10 { throw ValidationError("--retries takes 0 to 10, not \(retries)") }
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number of probes per second") }
        if let timeout, timeout.duration <= .zero { throw ValidationError("--timeout must be more than 0 seconds") }
        if (payload != nil || payloadHex != nil) && !udp { throw ValidationError("--payload and --payload-hex are for UDP probes (-u)") }
        if payload != nil && payloadHex != nil { throw ValidationError("give --payload or --payload-hex, not both") }
        if let payloadHex, Self.hexBytes(payloadHex) == nil {
            throw ValidationError("--payload-hex takes pairs of hex digits (e.g. 0d0a or 0d:0a), not '\(payloadHex)'")
        }
        if udp && (banner || bannerSend != nil) { throw ValidationError("--banner reads what TCP ports say: drop -u (UDP probes take --payload)") }
        if let bannerSend { _ = try Self.unescape(bannerSend) }
        if json && quiet { throw ValidationError("--json and --quiet cannot be used together") }
        try validateNmapFormats()
        try validateDiff()
        try validateTargets()
        try validateCount()
        if tap.pictures.values.enabled {
            throw ValidationError(
                "--diagram and --plot draw one conversation and probe makes one per port: keep them with --pcap-out FILE, then `sockscope tap -r FILE --summary` and `--diagram D --conversation N`"
            )
        }
        if proxy.proxy != nil {
            let conflicting = [
                ("-u", udp), ("--tls", tls.tls), ("--tap", tap.enabled), ("--rate", rate != nil), ("--graceful", graceful),
                ("--banner", banner || bannerSend != nil),
            ].filter(\.1)
            if let first = conflicting.first {
                throw ValidationError("probe --proxy asks the proxy for each port; \(first.0) is for probes sockscope sends itself")
            }
            if proxy.proxyDNS != nil { throw ValidationError("probe resolves its targets here and asks the proxy for addresses: drop --proxy-dns") }
        }
    }

    /// -oX and -oG: at most one thing on stdout, and only results they can carry.
    private func validateNmapFormats() throws {
        if allOutputs != nil {
            let conflicting = [("-oX", xmlOutput != nil), ("-oG", grepableOutput != nil), ("--json", json), ("-q", quiet)].filter(\.1)
            if let first = conflicting.first { throw ValidationError("-oA writes the XML, the grepable format and the table (.nmap): drop \(first.0)") }
            if allOutputs == "-" || allOutputs?.isEmpty == true { throw ValidationError("-oA takes a base name for three files, not stdout") }
        }
        let formats = [("-oX", xmlOutput), ("-oG", grepableOutput)].compactMap { name, path in path.map { (name, $0) } }
        let onStdout = formats.filter { $0.1 == "-" }.map(\.0) + (json ? ["--json"] : [])
        if formats.contains(where: { $0.1 == "-" }) && onStdout.count > 1 {
            throw ValidationError("\(onStdout.joined(separator: " and ")) would all write to stdout: give a file to all but one")
        }
    }

    /// --diff prints the changes on stdout, and its exit status says whether there were any.
    private func validateDiff() throws {
        guard diff != nil else { return }
        if xmlOutput == "-" || grepableOutput == "-" { throw ValidationError("--diff prints the changes on stdout: give -oX and -oG a file") }
        if resume != nil {
            throw ValidationError("--diff compares a whole scan in one run: drop --resume (resume the scan, then compare with --diff on the next)")
        }
    }

    /// `probe HOST:PORT` (one word, and no ports given otherwise): the target and its port.
    static func hostAndPort(targets: String?, ports: String?, portOption: String?, inputList: String?) -> (host: String, port: String)? {
        guard ports == nil, portOption == nil, inputList == nil, let targets else { return nil }
        return Habits.hostAndPort(targets)
    }

    /// Where the targets and ports come from, and how the space is split.
    private func validateTargets() throws {
        if let resume {
            if tap.enabled { throw ValidationError("--resume continues a scan; a capture cannot be continued: drop --tap and --pcap-out") }
            if targets == nil {
                if portOption != nil && inputList == nil {
                    throw ValidationError("--resume \(resume) alone continues the scan it records, with its ports: drop -p (or give the targets too)")
                }
                guard access(resume, F_OK) == 0 else {
                    throw ValidationError("\(resume) does not exist: give the targets and ports of the scan to start (probe TARGETS PORTS --resume \(resume))")
                }
                return
            }
        }
        guard targets != nil || (inputList != nil && portOption != nil) else {
            throw ValidationError("give the targets and the ports, e.g. probe 127.0.0.1 22,80 (or --resume FILE)")
        }
        if portOption != nil && (ports != nil || (inputList != nil && targets != nil)) {
            throw ValidationError("the ports are given twice: -p \(portOption ?? "") and \(ports ?? targets ?? ""); give one")
        }
        if inputList != nil && ports != nil {
            throw ValidationError("with -iL the targets come from the file: give only the ports (probe -iL FILE PORTS)")
        }
        let split = Self.hostAndPort(targets: targets, ports: ports, portOption: portOption, inputList: inputList)
        if inputList == nil && ports == nil && portOption == nil && split == nil {
            throw ValidationError("give the ports after the targets, e.g. probe 127.0.0.1 22,80 (or - for every port)")
        }
        guard let given = shard else { return }
        var shard = given
        try ValidationError.check { () throws(SockscopeError) in shard = try given.resolved() }
        if shard.count > 1, seed == nil {
            throw ValidationError("--shard \(given) needs --seed N: every shard must walk the same order (use one seed on all \(shard.count) machines)")
        }
        if shard.count > 1, proxy.proxy != nil { throw ValidationError("--shard splits probes sockscope sends itself; --proxy asks the proxy") }
    }

    /// --count times one TCP port: the scan's options have nothing to act on.
    private func validateCount() throws {
        if let count, count < 0 { throw ValidationError("--count takes 0 (until Ctrl-C) or more, not \(count)") }
        if let interval, interval.duration <= .zero { throw ValidationError("--interval must be more than 0 seconds") }
        guard count != nil else {
            if interval != nil { throw ValidationError("--interval spaces the connects of --count; give --count") }
            return
        }
        let conflicting = [
            ("-u", udp), ("--tap", tap.enabled), ("--proxy", proxy.proxy != nil), ("--rate", rate != nil),
            ("--parallel", parallel != nil), ("--retries", retries != nil), ("--all", all), ("--all-addresses", allAddresses),
            ("--banner", banner || bannerSend != nil), ("-iL", inputList != nil), ("--exclude", exclude != nil), ("--exclude-file", excludeFile != nil),
            ("--shard", shard != nil), ("--seed", seed != nil), ("-oX", xmlOutput != nil), ("-oG", grepableOutput != nil), ("-oA", allOutputs != nil),
            ("--resume", resume != nil), ("--diff", diff != nil),
        ].filter(\.1)
        if let first = conflicting.first { throw ValidationError("--count times TCP connects to one port, one at a time; \(first.0) is for scans") }
        try ValidationError.check { () throws(SockscopeError) in _ = try request.timedPort() }
    }

    /// `--payload-hex`'s bytes: pairs of hex digits, optionally separated by ':' or spaces.
    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8.filter { $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: " ") })
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in Swift.stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// `--banner-send`'s text as bytes: `\\r`, `\\n`, `\\t`, `\\\\` and `\\xHH` escapes.
    static func unescape(_ text: String) throws(ValidationError) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = Substring(text).utf8[...]
        while let byte = rest.popFirst() {
            guard byte == UInt8(ascii: "\\") else {
                bytes.append(byte)
                continue
            }
            switch rest.popFirst() {
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "x"):
                let hex = String(decoding: rest.prefix(2), as: UTF8.self)
                guard hex.count == 2, let value = UInt8(hex, radix: 16) else { throw ValidationError("--banner-send: \\x takes two hex digits") }
                bytes.append(value)
                rest = rest.dropFirst(2)
            default: throw ValidationError("--banner-send knows the escapes \\r \\n \\t \\\\ \\xHH")
            }
        }
        return bytes
    }

    func run() throws { try request.run() }
}

extension ProbeCommand.Request {
    /// --json: JSON Lines instead of text.
    var json: Bool { jsonOutput.json }

    /// The targets given as words; nil with -iL (whose one word is the ports).
    var targetText: String? { inputList == nil ? (hostAndPort?.host ?? targets) : nil }

    /// The ports: -p's, the second word, HOST:PORT's, or with -iL the only word.
    var portText: String { portOption ?? ports ?? hostAndPort?.port ?? targets ?? "" }

    /// `probe HOST:PORT` or `[V6]:PORT`, as connect takes them.
    private var hostAndPort: (host: String, port: String)? {
        ProbeCommand.hostAndPort(targets: targets, ports: ports, portOption: portOption, inputList: inputList)
    }

    /// How often an unanswered probe is sent again (--retries, or the scanner's default).
    var retryCount: Int { retries ?? PortScanner.Request.defaultRetries }

    /// --payload or --payload-hex: what every UDP probe carries (nil: the service table).
    var payloadBytes: [UInt8]? { payloadHex.flatMap(ProbeCommand.hexBytes) ?? payload.map { Array($0.utf8) } }

    /// Whether to read what open ports say (--banner, or --banner-send, which implies it).
    var grabsBanners: Bool { banner || bannerSend != nil }

    /// --banner-send's text with its escapes undone (validate() has refused bad ones).
    var bannerBytes: [UInt8] { bannerSend.flatMap { try? ProbeCommand.unescape($0) } ?? [] }

    /// Runs the command, through the command runner.
    func run() throws {
        color.apply()
        try CommandRunner.run(json: json) { () throws(SockscopeError) -> ExitStatus in
            if let count { return try time(count: count) ? .success : .nothingFound }
            if let resume { return try resumable(resume) ? .success : .nothingFound }
            return try probe() ? .success : .nothingFound
        }
    }
}

/// Collects the tap's events from its thread.
final class EventBox: Sendable {
    private let events = Mutex<[ConnectionTap.TapEvent]>([])
    func append(_ event: ConnectionTap.TapEvent) { events.withLock { $0.append(event) } }
    var all: [ConnectionTap.TapEvent] { events.withLock { $0 } }
}

extension ProbeCommand.Request {
    /// The one port --count times, read from PORTS — validate() reads it too.
    func timedPort() throws(SockscopeError) -> UInt16 {
        let portList = try PortList(parsing: portText, protocolName: "tcp")
        guard portList.ports.count == 1, let port = portList.ports.first else { throw .usage("--count times one port, not \(portList.ports.count)") }
        return port
    }

    /// `--count`: connects to one port again and again, each timed, then the
    /// statistics (printed also when a signal ends it). Returns whether any was open.
    func time(count: Int) throws(SockscopeError) -> Bool {
        try checkTLS()
        let port = try timedPort()
        let targetList = try TargetList.parse(targetText ?? "", allAddresses: false, family: family.family).filter {
            family.family == nil || $0.address.family == family.family
        }
        guard let target = targetList.first else { throw .usage("no target address of the requested family in '\(targetText ?? "")'") }
        guard targetList.allSatisfy({ $0.name != nil && $0.name == target.name }) || targetList.count == 1 else {
            throw .usage("--count times one target, not \(targetList.count)")
        }
        let destination = SocketAddress(target.address, port: port)
        let output = ProbeTimingOutput(destination: destination, name: target.name, json: json, quiet: quiet, tls: tls.enabled)
        let prober = try tls.enabled ? handshakeProber(timeout: timeout?.duration ?? .seconds(5)) : nil
        let serverName = tls.sni ?? target.name
        let wait = timeout?.duration ?? .seconds(2)
        let spacing = interval?.duration ?? .seconds(1)
        if !json && !quiet {
            let what = tls.enabled ? "TLS handshakes with" : "connect() to"
            Diagnostics.line("probe: timing \(what) \(destination)\(target.name.map { " (\($0))" } ?? ""), every \(Timestamp.seconds(spacing))")
        }
        var statistics = ConnectTimer.Statistics()
        var sequence = 0
        var previousStart: ContinuousClock.Instant?
        do throws(SockscopeError) {
            if prober == nil {
                // Starts every --interval, as ping sends: a silent port's wait does not hold up the next.
                try ConnectTimer.series(destination, count: count, spacing: spacing, timeout: wait, graceful: graceful) { sequence, result in
                    let attempt = TimedAttempt(result, timeout: wait)
                    statistics.add(answered: attempt.answered, open: attempt.succeeded, time: attempt.time)
                    output.attempt(attempt, sequence: sequence)
                }
            }
            while let prober, count == 0 || sequence < count {
                if let previousStart {
                    do { try EventLoop.sleep(for: max(.zero, ContinuousClock.now.duration(to: previousStart + spacing))) } catch { throw SockscopeError(error) }
                }
                previousStart = ContinuousClock.now
                sequence += 1
                // A handshake at a time (TLSProber): starts are `spacing` apart, a slow one is followed at once.
                let started = ContinuousClock.now
                guard let result = try prober.run([TLSProber.Job(address: target.address, port: port, serverName: serverName)]).first else { break }
                let attempt = TimedAttempt(result, elapsed: .now - started)
                statistics.add(answered: attempt.answered, open: attempt.succeeded, time: attempt.time)
                output.attempt(attempt, sequence: sequence)
            }
        } catch {
            output.statistics(statistics)
            throw error
        }
        output.statistics(statistics)
        return statistics.open > 0
    }
}
