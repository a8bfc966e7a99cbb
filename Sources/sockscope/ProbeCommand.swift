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
            open, ICMP port-unreachable closed, silence open|filtered.

            --proxy URL asks a SOCKS or HTTP CONNECT proxy for each port instead (64 at a time \
            unless --parallel) and reads the state from its answer: the tunnel opened (open), \
            SOCKS5 reply 5 / SOCKS4 91 / HTTP 502 (closed), an unreachable reply, a refusal by \
            rule or silence (filtered).

            Unanswered probes are waited for a few smoothed round trips of the ports that did \
            answer (srtt + 4·rttvar), then retried; --timeout fixes the wait instead. Probes close \
            with RST (SO_LINGER 0), so a scan leaves no TIME-WAIT sockets (--graceful closes with FIN).

            TARGETS: a name, IPv4 or IPv6 address, CIDR block (10.200.0.0/29), or a comma list.
            PORTS: 22, 20-25, 22,80,8000-8100, ssh,http, or - for all 65535.

            Output: open ports (every port with --all, or when 25 or fewer are probed), then a summary. \
            --json prints one "port" record per port: target, peer_address, peer_port, protocol, state, \
            code, errno, error_text, reason, service, rtt_ms, attempts.

            --tls then makes a TLS handshake with each open TCP port and prints one line per port: \
            version, ALPN, the certificate's subject CN and issuer, days until it expires, and the \
            verification result (reported, never enforced: X509_V_OK or the X509_V_ERR_* name), or \
            why the port is not TLS (no TLS reply, an HTTP or other plaintext answer). SNI is the \
            target's name, or --sni; the certificate is checked against that name or the address. \
            With --json, a "tls" record follows each open port's "port" record.

            Exit status: 0 when at least one port is open, 1 when none is, 68 unknown host, 64 bad input.

            Examples:
              sockscope probe 127.0.0.1 1-1024
              sockscope probe --all ::1 22,80,443
              sockscope probe --json 127.0.0.1 - | grep '"open"'
              sockscope probe -u 127.0.0.1 53
              sockscope probe --tls --sni example.com 127.0.0.1 443,8443
            """
    )

    @Argument(help: ArgumentHelp("Hosts to probe: names, addresses, CIDR blocks, comma-separated.", valueName: "targets"))
    var targets: String

    @Argument(
        help: ArgumentHelp("Ports: 22, 20-25, 22,80,8000-8100, ssh,http, or - for all.", valueName: "ports"),
        completion: .shellCommand("awk '!/^#/ && NF { split($2, p, \"/\"); print $1; print p[1] }' /etc/services | sort -u"))
    var ports: String

    @Flag(name: [.customShort("u"), .customLong("udp")], help: "Probe UDP ports instead of TCP.")
    var udp = false

    @OptionGroup(title: "Address family") var family: FamilyOptions

    @Flag(
        name: .customLong("all-addresses"),
        help: "List every address a name resolves to on its own (without it, a name's port is open when any of its addresses answers, as nc -z).")
    var allAddresses = false

    @Option(name: .customLong("parallel"), help: ArgumentHelp("Probes in flight at once (default 1024 for TCP, 128 for UDP).", valueName: "n"))
    var parallel: Int?

    @Option(name: .customLong("retries"), help: ArgumentHelp("Extra probes for a port that does not answer.", valueName: "n"))
    var retries: Int = 1

    @Option(name: .customLong("rate"), help: ArgumentHelp("Send at most this many probes per second.", valueName: "pps"))
    var rate: Double?

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp("Wait this many seconds for each answer instead of adapting to the round-trip time.", valueName: "secs"))
    var timeout: Seconds?

    @Flag(name: .customLong("graceful"), help: "Close probes with FIN instead of RST (leaves TIME-WAIT sockets; the summary counts them).")
    var graceful = false

    @Option(name: .customLong("payload"), help: ArgumentHelp("Text a UDP probe carries (default: an empty datagram).", valueName: "text"))
    var payload: String?

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
        help: ArgumentHelp("Seconds between the starts of --count's connects (default 1).", valueName: "secs"))
    var interval: Seconds?

    @OptionGroup(title: "Output") var jsonOutput: OutputOptions

    var json: Bool { jsonOutput.json }

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print nothing; the exit status says whether a port is open.")
    var quiet = false

    @OptionGroup(title: "TLS (each open TCP port)") var tls: ClientTLSOptions

    @OptionGroup(title: "Packet capture (the tap)") var tap: TapOptions

    @OptionGroup(title: "Proxy") var proxy: ProxyOptions

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        if let parallel, parallel < 1 || parallel > 65536 { throw ValidationError("--parallel takes 1 to 65536, not \(parallel)") }
        if retries < 0 || retries > 10 { throw ValidationError("--retries takes 0 to 10, not \(retries)") }
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number of probes per second") }
        if let timeout, timeout.duration <= .zero { throw ValidationError("--timeout must be more than 0 seconds") }
        if payload != nil && !udp { throw ValidationError("--payload is for UDP probes (-u)") }
        if udp && (banner || bannerSend != nil) { throw ValidationError("--banner reads what TCP ports say: drop -u (UDP probes take --payload)") }
        if let bannerSend { _ = try Self.unescape(bannerSend) }
        if json && quiet { throw ValidationError("--json and --quiet cannot be used together") }
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
            ("--parallel", parallel != nil), ("--retries", retries != 1), ("--all", all), ("--all-addresses", allAddresses),
            ("--banner", banner || bannerSend != nil),
        ].filter(\.1)
        if let first = conflicting.first { throw ValidationError("--count times TCP connects to one port, one at a time; \(first.0) is for scans") }
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

    /// What the command line asks for, as plain values.
    var request: Request {
        Request(
            targets: targets, ports: ports, udp: udp, family: family.values, allAddresses: allAddresses, parallel: parallel, retries: retries, rate: rate,
            timeout: timeout, graceful: graceful, payload: payload, all: all, jsonOutput: jsonOutput.values, quiet: quiet, tls: tls.values, tap: tap.values,
            proxy: proxy.values, color: color.values, count: count, interval: interval, banner: banner || bannerSend != nil,
            bannerSend: bannerSend.flatMap { try? Self.unescape($0) } ?? [])
    }

    /// Every option of `probe`, as the parser reads it; the light path builds the
    /// same value for `probe [-q] TARGETS PORTS` without the parser.
    struct Request: Equatable, Sendable {
        var targets: String
        var ports: String
        var udp = false
        var family = FamilyOptions.Values()
        var allAddresses = false
        var parallel: Int?
        var retries = 1
        var rate: Double?
        var timeout: Seconds?
        var graceful = false
        var payload: String?
        var all = false
        var jsonOutput = OutputOptions.Values()
        var quiet = false
        var tls = TLSOptions.Values()
        var tap = TapOptions.Values()
        var proxy = ProxyOptions.Values()
        var color = ColorOptions.Values()
        var count: Int?
        var interval: Seconds?
        var banner = false
        var bannerSend: [UInt8] = []

        var json: Bool { jsonOutput.json }
    }
}

extension ProbeCommand.Request {
    /// Runs the command, through the command runner.
    func run() throws {
        color.apply()
        try CommandRunner.run(json: json) { () throws(SockscopeError) -> ExitStatus in
            if let count { return try time(count: count) ? .success : .nothingFound }
            return try probe() ? .success : .nothingFound
        }
    }

    /// Starts capturing the probes' packets (TCP and ICMP to and from the targets).
    private func startTap(targets: [IPAddress]) throws(SockscopeError) -> (tap: ConnectionTap, events: EventBox)? {
        guard tap.enabled, let first = targets.first else { return nil }
        guard let interface = tap.interface ?? ConnectionTap.interface(towards: SocketAddress(first, port: 9)) else {
            throw .usage("cannot tell which interface reaches \(first); name one with --tap-interface")
        }
        let hosts = targets.prefix(64).map { "host \($0)" }.joined(separator: " or ")
        let filter = "(tcp or icmp or icmp6) and (\(hosts))"
        let box = EventBox()
        let capture = try ConnectionTap(tap.captureOptions(interface: interface, filter: filter)) { event in box.append(event) }
        Diagnostics.line("tap: capturing on \(interface): \(filter)")
        capture.start()
        return (capture, box)
    }

    /// Runs the scan and prints it; returns whether any port is open.
    private func probe() throws(SockscopeError) -> Bool {
        try checkTLS()
        let protocolName = udp ? "udp" : "tcp"
        let portList = try PortList(parsing: ports, protocolName: protocolName)
        let wanted = family.family  // read once: the filter below may see 65,536 targets
        let targetList = try TargetList.parse(targets, allAddresses: allAddresses, family: wanted)
            .filter { wanted == nil || $0.address.family == wanted }
        guard !targetList.isEmpty else { throw .usage("no target address of the requested family in '\(targets)'") }
        let capture = try startTap(targets: targetList.map(\.address))
        // Targets are scanned in batches of at most about 262,144 probes, each printed
        // as it finishes, so memory does not grow with targets × ports (a /16 × every port
        // is 4.3 billion probes).
        let batchSize = max(1, Self.probesPerBatch / max(1, portList.ports.count))
        var anyOpen = false
        var totals = (hosts: 0, answering: 0, open: 0)
        // A line per host when several were named (a name's addresses are one host).
        let firstHost = targetList.first.map { $0.name ?? "\($0.address)" }
        let manyHosts = targetList.contains { ($0.name ?? "\($0.address)") != firstHost }
        let started = ContinuousClock.now
        var shownForTap: [ProbeResult] = []
        defer {
            if let capture {
                let (_, statistics) = capture.tap.finish(grace: .milliseconds(200))
                let events = capture.events.all
                for line in TapTimeline.probeLines(events, results: shownForTap) { Diagnostics.line(line) }
                if let statistics {
                    Diagnostics.line("tap: \(counted(events.count, "packet")) captured, \(statistics.droppedByKernel) dropped by the kernel (pcap_stats)")
                }
            }
        }
        for start in stride(from: 0, to: targetList.count, by: batchSize) {
            var batch = Array(targetList[start..<min(start + batchSize, targetList.count)])
            var report = try scan(batch, ports: portList.ports)
            if !allAddresses {
                // A name's port is open when any of its addresses answers (nc -z): one
                // result per name and port, under the address that answered.
                report.results = TargetList.answering(report.results, among: batch)
                let shown = Set(report.results.map(\.target))
                batch = batch.filter { $0.name == nil || shown.contains($0.address) }
            }
            let listAll = all || portList.ports.count <= 25
            if capture != nil { shownForTap += listAll ? report.results : report.results.filter { $0.state == .open } }
            var output = ProbeOutput(report: report, targets: batch, protocolName: protocolName, listAll: listAll, graceful: graceful)
            output.banners = try grabBanners(report.results)
            let handshakes = try tlsProbe(report.results, targets: batch)
            if json {
                output.printJSON()
                handshakes.map { TLSProbeOutput(results: $0, targets: batch).printJSON() }
            } else if !quiet {
                output.printTable(style: Style(enabled: Diagnostics.usesColour(1)))
                handshakes.map { TLSProbeOutput(results: $0, targets: batch).printTable(style: Style(enabled: Diagnostics.usesColour(1))) }
            }
            anyOpen = anyOpen || report.results.contains { $0.state == .open }
            if manyHosts { totals = printHosts(report.results, batch, totals) }
        }
        if manyHosts && !json && !quiet {
            let seconds = String(format2: Double((ContinuousClock.now - started).milliseconds) / 1000)
            Diagnostics.output("\(counted(totals.hosts, "host")) probed in \(seconds) s: \(totals.answering) answering, \(counted(totals.open, "open port"))\n")
        }
        return anyOpen
    }

    /// Many targets: a line (or a probe_host record) per host of the batch; the totals so far.
    private func printHosts(
        _ results: [ProbeResult], _ batch: [TargetList.Target], _ totals: (hosts: Int, answering: Int, open: Int)
    ) -> (hosts: Int, answering: Int, open: Int) {
        let summary = ProbeHostSummary(results, targets: batch)
        if json {
            Diagnostics.output(summary.json())
        } else if !quiet {
            Diagnostics.output(summary.text(style: Style(enabled: Diagnostics.usesColour(1))))
        }
        let answering = summary.hosts.filter(\.answering).count
        return (totals.hosts + summary.hosts.count, totals.answering + answering, totals.open + summary.hosts.reduce(0) { $0 + $1.open.count })
    }

    /// Checks the TLS options: only for TCP, never enforcing verification, no capture.
    func checkTLS() throws(SockscopeError) {
        guard tls.enabled || !tls.givenOptions.isEmpty || tls.certificate != nil || tls.key != nil else { return }
        _ = try tls.configuration(role: .client)
        if udp { throw .usage("--tls is for TCP ports: drop -u") }
        if tls.insecure { throw .usage("probe --tls reports the verification result and never enforces it: drop --insecure") }
        if tap.enabled { throw .usage("probe --tls with --tap or --pcap-out: capture the handshakes with 'sockscope tap' instead") }
    }

    /// With --banner: what every open port of the batch says first (64 at a time), escaped.
    private func grabBanners(_ results: [ProbeResult]) throws(SockscopeError) -> [String: String]? {
        guard banner else { return nil }
        let jobs = results.filter { $0.state == .open }.map { BannerGrabber.Job(address: $0.target, port: $0.port) }
        let grabber = BannerGrabber(send: bannerSend, wait: timeout?.duration ?? .seconds(2), limit: 512, parallelism: min(parallel ?? 64, 256))
        var banners: [String: String] = [:]
        for grabbed in try grabber.run(jobs) { banners["\(grabbed.address) \(grabbed.port)"] = grabbed.escaped }
        return banners
    }

    /// The handshakes of --tls: verification reported, not enforced; no read-ahead,
    /// so a non-TLS answer stays readable.
    private func handshakeProber(timeout: Duration, parallelism: Int = 1) throws(SockscopeError) -> TLSProber {
        var configuration = try tls.configuration(role: .client)
        configuration.verify = false
        configuration.readAhead = false
        return TLSProber(context: try TLSContext(configuration), timeout: timeout, parallelism: parallelism, graceful: graceful)
    }

    /// With --tls: a handshake with every open port of the batch (the SNI is --sni or
    /// the target's name), all at once on one event loop.
    private func tlsProbe(_ results: [ProbeResult], targets: [TargetList.Target]) throws(SockscopeError) -> [TLSProbeResult]? {
        guard tls.enabled else { return nil }
        let names = Dictionary(targets.map { ($0.address, $0.name) }, uniquingKeysWith: { first, _ in first })
        let jobs = results.filter { $0.state == .open }.map { result in
            TLSProber.Job(address: result.target, port: result.port, serverName: tls.sni ?? names[result.target] ?? nil)
        }
        return try handshakeProber(timeout: timeout?.duration ?? .seconds(5), parallelism: min(parallel ?? 64, 256)).run(jobs)
    }

    /// About how many probes one scan holds in memory at once.
    static let probesPerBatch = 1 << 18

    /// Scans one batch of targets on every port, with progress on a terminal.
    private func scan(_ targets: [TargetList.Target], ports: [UInt16]) throws(SockscopeError) -> PortScanner.Report {
        if let proxyURL = try proxy.proxy() { return try scan(targets, ports: ports, through: proxyURL) }
        let request = PortScanner.Request(
            targets: targets.map(\.address), ports: ports, transport: udp ? .udp : .tcp, parallelism: parallel,
            retries: retries, rate: rate, fixedTimeout: timeout?.duration, graceful: graceful, udpPayload: Array((payload ?? "").utf8))
        // On a terminal even with --json (records go to stdout, most often a file).
        let progress = ProgressLine(enabled: !quiet && isatty(2) == 1)
        defer { progress.clear() }
        return try PortScanner(request).run(progress: progress.update)
    }
}

extension ProbeCommand.Request {
    /// `--proxy`: each port asked of the proxy (64 at a time unless --parallel, 5 s each
    /// unless --timeout, --retries for silence).
    private func scan(_ targets: [TargetList.Target], ports: [UInt16], through proxyURL: ProxyURL) throws(SockscopeError) -> PortScanner.Report {
        guard let address = try HostResolver.resolve(proxyURL.host, port: proxyURL.port, family: nil, type: .stream).first else {
            throw .usage("no address for the proxy '\(proxyURL.host)'")
        }
        let jobs = targets.flatMap { target in ports.map { ProxyProber.Job(address: target.address, port: $0) } }
        let prober = ProxyProber(
            proxyAddress: address, proxy: proxyURL, timeout: timeout?.duration ?? .seconds(5), parallelism: parallel ?? 64, retries: retries)
        let started = ContinuousClock.now
        let results = try prober.run(jobs)
        return PortScanner.Report(
            results: results, elapsed: .now - started, smoothedRTT: nil, probesSent: results.reduce(0) { $0 + $1.attempts }, selfConnects: 0)
    }
}

/// Collects the tap's events from its thread.
final class EventBox: Sendable {
    private let events = Mutex<[ConnectionTap.TapEvent]>([])
    func append(_ event: ConnectionTap.TapEvent) { events.withLock { $0.append(event) } }
    var all: [ConnectionTap.TapEvent] { events.withLock { $0 } }
}

extension ProbeCommand.Request {
    /// `--count`: connects to one port again and again, each timed, then the
    /// statistics (printed also when a signal ends it). Returns whether any was open.
    func time(count: Int) throws(SockscopeError) -> Bool {
        try checkTLS()
        let portList = try PortList(parsing: ports, protocolName: "tcp")
        guard portList.ports.count == 1, let port = portList.ports.first else { throw .usage("--count times one port, not \(portList.ports.count)") }
        let targetList = try TargetList.parse(targets, allAddresses: false, family: family.family).filter {
            family.family == nil || $0.address.family == family.family
        }
        guard let target = targetList.first else { throw .usage("no target address of the requested family in '\(targets)'") }
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
            while count == 0 || sequence < count {
                // Starts are `spacing` apart (ping -i); a slow attempt is followed at once.
                if let previousStart {
                    do { try EventLoop.sleep(for: max(.zero, ContinuousClock.now.duration(to: previousStart + spacing))) } catch { throw SockscopeError(error) }
                }
                previousStart = ContinuousClock.now
                sequence += 1
                let attempt: TimedAttempt
                if let prober {
                    let started = ContinuousClock.now
                    guard let result = try prober.run([TLSProber.Job(address: target.address, port: port, serverName: serverName)]).first else { break }
                    attempt = TimedAttempt(result, elapsed: .now - started)
                } else {
                    attempt = TimedAttempt(try ConnectTimer.attempt(destination, timeout: wait, graceful: graceful), timeout: wait)
                }
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
