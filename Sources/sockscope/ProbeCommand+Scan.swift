import ArgumentParser
import Glibc
import SockscopeCore

/// `--shard I/N`: part I (1-based, as masscan writes it) of N; `--shard auto` (or
/// `auto/N`) takes the part from the batch engine running the task: a Slurm job array's
/// task, or a Kubernetes Indexed Job's completion index.
struct Shard: ExpressibleByArgument, Equatable, Sendable, CustomStringConvertible {
    var index: Int
    var count: Int
    /// `auto`: resolved from the environment when the scan starts (`count`: auto/N's N, or 0).
    var automatic = false

    init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    init?(argument: String) {
        if argument == "auto" || argument.hasPrefix("auto/") {
            let count = argument == "auto" ? 0 : Int(argument.dropFirst(5)) ?? -1
            guard count == 0 && argument == "auto" || (1...(1 << 20)).contains(count) else { return nil }
            self.init(index: 0, count: count)
            automatic = true
            return
        }
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, count <= 1 << 20, (1...count).contains(index) else {
            return nil
        }
        self.init(index: index, count: count)
    }

    var description: String { automatic ? (count > 0 ? "auto/\(count)" : "auto") : "\(index)/\(count)" }

    /// The part this task is: I/N as given, or for `auto` the engine's — Slurm's
    /// `SLURM_ARRAY_TASK_ID` counted from `SLURM_ARRAY_TASK_MIN` in steps of
    /// `SLURM_ARRAY_TASK_STEP`, of `SLURM_ARRAY_TASK_COUNT`; else Kubernetes'
    /// `JOB_COMPLETION_INDEX` (from 0) of auto/N's N. Never guessed.
    func resolved(_ variable: (String) -> String? = Shard.environment) throws(SockscopeError) -> Shard {
        guard automatic else { return self }
        func number(_ name: String) -> Int? { variable(name).flatMap { Int($0) } }
        if let task = number("SLURM_ARRAY_TASK_ID") {
            guard let tasks = number("SLURM_ARRAY_TASK_COUNT"), tasks >= 1 else {
                throw .usage("--shard auto: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT (is this a job array?)")
            }
            let step = max(1, number("SLURM_ARRAY_TASK_STEP") ?? 1)
            let position = (task - (number("SLURM_ARRAY_TASK_MIN") ?? 0)) / step
            guard (0..<tasks).contains(position), count == 0 || count == tasks else {
                throw .usage(
                    "--shard \(self): Slurm says task \(task), \(tasks) tasks in all (SLURM_ARRAY_TASK_*): that is no part of \(count > 0 ? "\(count)" : "the array")"
                )
            }
            return Shard(index: position + 1, count: tasks)
        }
        if let completion = number("JOB_COMPLETION_INDEX") {
            guard count > 0 else {
                throw .usage("--shard auto: JOB_COMPLETION_INDEX is set, but Kubernetes does not say how many: give --shard auto/N (the Job's completions)")
            }
            guard (0..<count).contains(completion) else { throw .usage("--shard \(self): JOB_COMPLETION_INDEX \(completion) is no part of \(count)") }
            return Shard(index: completion + 1, count: count)
        }
        throw .usage(
            "--shard auto takes its part from a Slurm job array (SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with --shard auto/N); neither is set here: give --shard I/N"
        )
    }

    /// `getenv(3)`.
    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}

extension ProbeCommand.Request {
    /// About how many probes one window of the scan holds in memory at once.
    static let probesPerBatch = 1 << 15

    /// Each item of a comma-separated list as nmap reads it (a comma inside an octet list
    /// is the list's); a failure names the item and its place.
    static func each(of list: String, _ what: String, _ body: (String) throws(SockscopeError) -> Void) throws(SockscopeError) {
        let items = IPv4OctetPattern.items(ofList: list)
        for (index, item) in items.enumerated() {
            let place = items.count > 1 ? "\(what) \(index + 1) of \(items.count)" : what
            if item.isEmpty { throw .usage("bad list '\(list)': \(place) is empty") }
            do throws(SockscopeError) { try body(item) } catch { throw SockscopeError("\(place): \(error.message)", status: error.status) }
        }
    }

    /// The targets: the positional list or -iL's file, less --exclude and --exclude-file.
    func targetSpace() throws(SockscopeError) -> TargetSpace {
        var builder = TargetSpace.Builder(family: family.family)
        if let inputList {
            try TargetSpace.Builder.items(ofFile: inputList) { item throws(SockscopeError) in try builder.add(item) }
        } else {
            try Self.each(of: targetText ?? "", "target") { item throws(SockscopeError) in try builder.add(item) }
        }
        if let exclude { try Self.each(of: exclude, "--exclude item") { item throws(SockscopeError) in try builder.exclude(item) } }
        if let excludeFile { try TargetSpace.Builder.items(ofFile: excludeFile) { item throws(SockscopeError) in try builder.exclude(item) } }
        let space = builder.build()
        guard space.count > 0 else {
            if exclude != nil || excludeFile != nil { throw .usage("every target is excluded: nothing is left to probe") }
            if let inputList { throw .usage("\(inputList) lists no target\(family.family == nil ? "" : " of the requested family")") }
            throw .usage("no target address of the requested family in '\(targetText ?? "")'")
        }
        return space
    }

    /// -oX, -oG and -oA's files, created before the first probe (a resumed scan's are
    /// continued); -oA's .nmap gets a copy of what stdout gets.
    private func openNmapFormats(_ run: inout ScanRun, protocolName: String, resume: ScanResume?) throws(SockscopeError) {
        let arguments = resume.map { ["probe"] + $0.checkpoint.arguments } ?? Array(CommandLine.arguments.dropFirst())
        let resumed = resume.flatMap { $0.checkpoint.blocksDone > 0 ? $0.checkpoint : nil }
        let option = { (own: String) in allOutputs == nil ? own : "-oA" }  // errors name the option given
        let before = run.before
        run.xml = try (xmlOutput ?? allOutputs.map { $0 + ".xml" }).map { path throws(SockscopeError) in
            try NmapXMLOutput(
                path: path, option: option("-oX"), arguments: arguments, protocolName: protocolName, ports: run.space.ports,
                continuing: resumed?.outputs["xml"], before: before)
        }
        run.grepable = try (grepableOutput ?? allOutputs.map { $0 + ".gnmap" }).map { path throws(SockscopeError) in
            try NmapGrepableOutput(
                path: path, option: option("-oG"), arguments: arguments, protocolName: protocolName, continuing: resumed?.outputs["grepable"],
                before: before)
        }
        if let base = allOutputs {
            let copy = try NmapOutputFile(path: base + ".nmap", option: "-oA", continuingAt: resumed?.outputs["nmap"]?.offset)
            run.tableCopy = copy
            Diagnostics.outputCopy.withLock { $0 = copy.rawDescriptor }
        }
    }

    private func closeTableCopy(_ copy: NmapOutputFile?) {
        Diagnostics.outputCopy.withLock { $0 = nil }
        copy?.close()
    }

    /// -oX - or -oG -: stdout is that format's, and the table is not printed.
    var nmapFormatOnStdout: Bool { xmlOutput == "-" || grepableOutput == "-" }

    /// Runs the scan and prints it; returns whether any port is open.
    ///
    /// The probes are visited as ScanPlan orders them (this shard's part): windows of
    /// whole hosts, about 32,768 probes each, probed and then printed, so memory does
    /// not grow with targets × ports. With --resume, FILE is brought up to date after
    /// each window, and a resumed scan skips the windows it records as done.
    func probe(resuming resume: ScanResume? = nil) throws(SockscopeError) -> Bool {
        try checkTLS()
        let protocolName = udp ? "udp" : "tcp"
        let space = ProbeSpace(targets: try targetSpace(), ports: try PortList(parsing: portText, protocolName: protocolName).ports)
        let shard = try self.shard?.resolved()
        let plan = try ScanPlan(
            space: space, seed: seed ?? UInt64.random(in: 0...UInt64.max), shard: (shard?.index ?? 1) - 1, of: shard?.count ?? 1,
            windowProbes: Self.probesPerBatch)
        var resume = resume
        try resume?.check(space)
        var run = ScanRun(space: space, protocolName: protocolName, shard: (shard?.count ?? 1) > 1 ? shard : nil)
        run.diff = try diff.map { path throws(SockscopeError) in try ScanDiff(path: path) }
        if let resumed = resume?.checkpoint, resumed.blocksDone > 0 { run.restore(resumed) }
        try openNmapFormats(&run, protocolName: protocolName, resume: resume)
        defer { closeTableCopy(run.tableCopy) }
        let capture = try startTap(targets: (0..<min(64, space.targets.count)).map { space.targets.target(at: $0).address })
        defer { capture.map { finishTap($0, shown: run.shownForTap) } }
        var windows = plan.makeIterator()
        windows.skip(blocks: resume?.checkpoint.blocksDone ?? 0)
        do throws(SockscopeError) {
            try resume?.save(run, blocks: windows.blocksTaken)
            try scanWindows(&windows, plan: plan, run: &run, resume: &resume, tapping: capture != nil)
        } catch {
            // nmap's formats stay whole documents: the windows that finished, and why it ended.
            try? run.xml?.finish(error: error.message)
            try? run.grepable?.finish()
            throw error
        }
        if let diff = run.diff {
            if !json && !quiet { Diagnostics.output(diff.totals + "\n") }
        } else if !nmapFormatOnStdout {
            printTotals(run)
        }
        try run.xml?.finish()
        try run.grepable?.finish()
        try resume?.save(run, blocks: windows.blocksTaken, finished: true)
        return run.diff.map { $0.changes == 0 } ?? run.anyOpen
    }

    /// Probes and prints the windows left, recording each in --resume's FILE when done.
    private func scanWindows(
        _ windows: inout ScanPlan.Iterator, plan: ScanPlan, run: inout ScanRun, resume: inout ScanResume?, tapping: Bool
    ) throws(SockscopeError) {
        let progress = ProgressLine(enabled: !quiet && isatty(2) == 1)
        while let window = windows.next() {
            let probed = run.probed
            let report = try scan(plan.space, window) { done, _ in progress.update(probed + done, Int(plan.probes)) }
            progress.clear()
            try show(report, window: window, run: &run, tapping: tapping)
            try resume?.save(run, blocks: windows.blocksTaken)
        }
    }

    /// Prints one window's results (and its banners and handshakes), and adds them up.
    private func show(_ report: PortScanner.Report, window: [UInt64], run: inout ScanRun, tapping: Bool) throws(SockscopeError) {
        var report = report
        var targets = run.targets(of: window)
        if !allAddresses && !run.sharded {
            // A name's port is open when any of its addresses answers (nc -z): one
            // result per name and port, under the address that answered.
            report.results = TargetList.answering(report.results, among: targets)
            let shown = Set(report.results.map(\.target))
            targets = targets.filter { $0.name == nil || shown.contains($0.address) }
        }
        let listAll = all || run.space.ports.count <= 25
        if tapping { run.shownForTap += listAll ? report.results : report.results.filter { $0.state == .open } }
        let followUp = ContinuousClock.now
        let banners = try grabBanners(report.results)
        let handshakes = try tlsProbe(report.results, targets: targets)
        report.elapsed += followUp.duration(to: .now)  // the summary's time covers the banners and handshakes too
        var output = ProbeOutput(report: report, targets: targets, protocolName: run.protocolName, listAll: listAll, graceful: graceful)
        output.banners = banners.map { $0.mapValues { PrintableBytes.escaped($0) } }
        let style = Style(enabled: Diagnostics.usesColour(1) && allOutputs == nil)  // -oA copies stdout to a file: no colour
        var extras = NmapPortExtras(banners: banners ?? [:])
        for handshake in handshakes ?? [] { extras.handshakes[NmapPortExtras.key(handshake.address, handshake.port)] = handshake }
        try run.xml?.write(report.results, targets: targets, extras: extras)
        try run.grepable?.write(report.results, targets: targets)
        if run.diff != nil {
            showChanges(report.results, targets: targets, banners: banners, handshakes: handshakes, run: &run)
        } else if nmapFormatOnStdout {
            // stdout holds nmap's format alone.
        } else if json {
            output.printJSON()
            handshakes.map { TLSProbeOutput(results: $0, targets: targets, protocolName: run.protocolName).printJSON() }
        } else if !quiet {
            output.printTable(style: style)
            handshakes.map { TLSProbeOutput(results: $0, targets: targets, protocolName: run.protocolName).printTable(style: style) }
        }
        run.add(report.results, window: window)
        // A window holds every port of its hosts: their lines are complete (a shard's are not).
        if run.space.targets.hostCount > 1 && !run.sharded && !quiet && !nmapFormatOnStdout && run.diff == nil {
            let summary = ProbeHostSummary(report.results, targets: targets)
            run.hostsProbed += summary.hosts.count
            run.answeringCount += summary.hosts.filter(\.answering).count
            printHosts(summary)
        }
    }

    /// --diff: the window's differences from the old scan, instead of its results.
    private func showChanges(
        _ results: [ProbeResult], targets: [TargetList.Target], banners: [String: [UInt8]]?, handshakes: [TLSProbeResult]?, run: inout ScanRun
    ) {
        guard let changes = run.diff?.compare(results, targets: targets, banners: banners, handshakes: handshakes), !quiet else { return }
        if json {
            Diagnostics.output(changes.map { JSONLine.text(PortChangeRecord($0)) }.joined())
        } else {
            Diagnostics.output(changes.map { ScanDiff.line($0) + "\n" }.joined())
        }
    }

    /// Many hosts: a line (or a probe_host record) per host.
    private func printHosts(_ summary: ProbeHostSummary) {
        if json {
            summary.printJSON()
        } else if !quiet {
            summary.printText(style: Style(enabled: Diagnostics.usesColour(1) && allOutputs == nil))
        }
    }

    /// After the last window: the totals (a shard's are of its probes).
    private func printTotals(_ run: ScanRun) {
        guard !json && !quiet, run.space.targets.hostCount > 1 || run.sharded else { return }
        let seconds = String(format2: Double((ContinuousClock.now - run.started + run.before).milliseconds) / 1000)
        if let shard = run.shard {
            let states = PortState.allCases.compactMap { state in run.states[state].map { "\($0) \(state.rawValue)" } }
            Diagnostics.output(
                "\(counted(run.probed, "probe")) (shard \(shard) of \(run.space.count)) in \(seconds) s: " + states.joined(separator: ", ") + "\n")
        } else {
            Diagnostics.output(
                "\(counted(run.hostsProbed, "host")) probed in \(seconds) s: \(run.answeringCount) answering, \(counted(run.openCount, "open port"))\n")
        }
    }

    /// Starts capturing the probes' packets (TCP and ICMP to and from the first 64 targets).
    private func startTap(targets: [IPAddress]) throws(SockscopeError) -> (tap: ConnectionTap, events: EventBox)? {
        guard tap.enabled, let first = targets.first else { return nil }
        guard let interface = tap.interface ?? ConnectionTap.interface(towards: SocketAddress(first, port: 9)) else {
            throw .usage("cannot tell which interface reaches \(first); name one with --tap-interface")
        }
        let hosts = targets.prefix(64).map { "host \($0)" }.joined(separator: " or ")
        let filter = "(tcp or icmp or icmp6) and (\(hosts))"
        let box = EventBox()
        let annotating = tap.pcapOut != nil
        let capture = try ConnectionTap(tap.captureOptions(interface: interface, filter: filter)) { event in
            box.append(event)
            return annotating ? event.annotation : nil
        }
        Diagnostics.line("tap: capturing on \(interface): \(filter)")
        capture.start()
        return (capture, box)
    }

    private func finishTap(_ capture: (tap: ConnectionTap, events: EventBox), shown: [ProbeResult]) {
        let (_, statistics) = capture.tap.finish(grace: .milliseconds(200))
        let events = capture.events.all
        for line in TapTimeline.probeLines(events, results: shown) { Diagnostics.line(line) }
        if let statistics {
            Diagnostics.line("tap: \(counted(events.count, "packet")) captured, \(statistics.droppedByKernel) dropped by the kernel (pcap_stats)")
        }
    }

    /// Checks the TLS options: DTLS with -u, never enforcing verification, no capture.
    func checkTLS() throws(SockscopeError) {
        guard tls.enabled || !tls.givenOptions.isEmpty || tls.certificate != nil || tls.key != nil else { return }
        _ = try tlsConfiguration()
        if tls.insecure { throw .usage("probe --tls reports the verification result and never enforces it: drop --insecure") }
        if !tls.pins.isEmpty { throw .usage("probe --tls reports each certificate's SHA-256 and never enforces it: drop --pin-sha256 (connect pins)") }
        if tap.enabled { throw .usage("probe --tls with --tap or --pcap-out: capture the handshakes with 'sockscope tap' instead") }
    }

    /// With --banner: what every open port of the window says first (64 at a time), by
    /// "ADDRESS PORT"; a port that said nothing has no entry.
    private func grabBanners(_ results: [ProbeResult]) throws(SockscopeError) -> [String: [UInt8]]? {
        guard grabsBanners else { return nil }
        let jobs = results.filter { $0.state == .open }.map { BannerGrabber.Job(address: $0.target, port: $0.port) }
        let grabber = BannerGrabber(send: bannerBytes, wait: timeout?.duration ?? .seconds(2), limit: 512, parallelism: min(parallel ?? 64, 256))
        var banners: [String: [UInt8]] = [:]
        for grabbed in try grabber.run(jobs) { banners[NmapPortExtras.key(grabbed.address, grabbed.port)] = grabbed.bytes }
        return banners
    }

    /// The handshakes of --tls: verification reported, not enforced; no read-ahead,
    /// so a non-TLS answer stays readable.
    func handshakeProber(timeout: Duration, parallelism: Int = 1) throws(SockscopeError) -> TLSProber {
        var configuration = try tlsConfiguration()
        configuration.verify = false
        configuration.readAhead = false
        return TLSProber(context: try TLSContext(configuration), timeout: timeout, parallelism: parallelism, graceful: graceful)
    }

    /// The client configuration of --tls; DTLS (1.2, the only DTLS OpenSSL 3.0 has) with -u.
    private func tlsConfiguration() throws(SockscopeError) -> TLSConfiguration {
        var configuration = try tls.configuration(role: .client)
        configuration.datagram = udp
        _ = try configuration.versionCodes()  // --tls-min 1.3 with -u: no DTLS 1.3
        return configuration
    }

    /// With --tls: a handshake with every open port of the window (the SNI is --sni or
    /// the target's name), all at once on one event loop. With -u, with every port not
    /// closed: a DTLS service is silent to a UDP probe (open|filtered) until a
    /// ClientHello comes, and the handshake is what tells it from a silent port.
    private func tlsProbe(_ results: [ProbeResult], targets: [TargetList.Target]) throws(SockscopeError) -> [TLSProbeResult]? {
        guard tls.enabled else { return nil }
        let names = Dictionary(targets.map { ($0.address, $0.name) }, uniquingKeysWith: { first, _ in first })
        let jobs = results.filter { $0.state == .open || (udp && $0.state == .openFiltered) }.map { result in
            TLSProber.Job(address: result.target, port: result.port, serverName: tls.sni ?? names[result.target] ?? nil)
        }
        return try handshakeProber(timeout: timeout?.duration ?? .seconds(5), parallelism: min(parallel ?? 64, 256)).run(jobs)
    }

    /// Probes one window, with progress on a terminal (also with --json: records go
    /// to stdout, most often a file).
    private func scan(_ space: ProbeSpace, _ window: [UInt64], progress: @escaping (Int, Int) -> Void) throws(SockscopeError) -> PortScanner.Report {
        if let proxyURL = try proxy.proxyURL() { return try scan(space, window, through: proxyURL) }
        let request = PortScanner.Request(
            space: space, indices: window, transport: udp ? .udp : .tcp, parallelism: parallel, retries: retryCount, adaptiveRetries: retries == nil,
            rate: rate,
            fixedTimeout: timeout?.duration, graceful: graceful, udpPayload: payloadBytes)
        return try PortScanner(request).run(progress: progress)
    }

    /// `--proxy`: each port asked of the proxy (64 at a time unless --parallel, 5 s each
    /// unless --timeout, --retries for silence).
    private func scan(_ space: ProbeSpace, _ window: [UInt64], through proxyURL: ProxyURL) throws(SockscopeError) -> PortScanner.Report {
        guard let address = try HostResolver.resolve(proxyURL.host, port: proxyURL.port, family: nil, type: .stream).first else {
            throw .usage("no address for the proxy '\(proxyURL.host)'")
        }
        // Asked in the window's (seeded) order, reported in index order as the scanner does.
        let jobs = window.map { index in
            let destination = space.destination(index)
            return ProxyProber.Job(address: destination.ipAddress ?? .v4(.any), port: destination.port ?? 0)
        }
        let prober = ProxyProber(
            proxyAddress: address, proxy: proxyURL, timeout: timeout?.duration ?? .seconds(5), parallelism: parallel ?? 64, retries: retryCount)
        let started = ContinuousClock.now
        let answers = try prober.run(jobs)
        guard answers.count == jobs.count else { throw SockscopeError("the proxy prober lost a result", status: .internalError) }
        let results = window.indices.sorted { window[$0] < window[$1] }.map { answers[$0] }
        return PortScanner.Report(
            results: results, elapsed: .now - started, smoothedRTT: nil, probesSent: results.reduce(0) { $0 + $1.attempts }, selfConnects: 0)
    }
}

/// What a scan has found so far, over its windows.
struct ScanRun {
    let space: ProbeSpace
    let protocolName: String
    /// One shard of several: host lines would describe a part of each host.
    let shard: Shard?
    var sharded: Bool { shard != nil }
    let started = ContinuousClock.now
    /// A resumed scan's time before this run.
    var before: Duration = .zero
    var probed = 0
    var anyOpen = false
    var openCount = 0
    var answeringCount = 0
    var hostsProbed = 0
    var states: [PortState: Int] = [:]
    var shownForTap: [ProbeResult] = []
    /// -oX and -oG: nmap's XML and grepable format, written window by window.
    var xml: NmapXMLOutput?
    var grepable: NmapGrepableOutput?
    /// -oA's .nmap: a copy of stdout.
    var tableCopy: NmapOutputFile?
    /// --diff: the old scan, and what differs from it so far.
    var diff: ScanDiff?

    /// A resumed scan's totals so far.
    mutating func restore(_ checkpoint: ScanCheckpoint) {
        probed = checkpoint.probed
        openCount = checkpoint.openCount
        answeringCount = checkpoint.answering
        hostsProbed = checkpoint.hostsProbed
        anyOpen = checkpoint.anyOpen
        states = checkpoint.states
        before = .milliseconds(checkpoint.elapsedMilliseconds)
    }

    /// The window's targets, in the space's order.
    func targets(of window: [UInt64]) -> [TargetList.Target] {
        let ports = UInt64(space.ports.count)
        var previous: UInt64?
        var targets: [TargetList.Target] = []
        for index in window.sorted() where index / ports != previous {
            previous = index / ports
            targets.append(space.targets.target(at: index / ports))
        }
        return targets
    }

    mutating func add(_ results: [ProbeResult], window: [UInt64]) {
        probed += window.count
        for result in results {
            states[result.state, default: 0] += 1
            if result.state == .open { openCount += 1 }
            // UDP: no ICMP error counts for the exit status, as nc -zu and ncat -zu count it.
            if result.state == .openFiltered { anyOpen = true }
        }
        anyOpen = anyOpen || openCount > 0
    }
}
