import ArgumentParser
import Glibc
import SockscopeCore

struct SocketsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sockets",
        abstract: "List the kernel's sockets (netlink sock_diag, as ss does), with queues and timers.",
        discussion: """
            TCP by default (--udp, --unix, or several), in every state; ss's letters combine as in \
            ss (-tlnp, -tanp, -uanp, -xl): -a and -n are what sockets always does. Filters: --port N (local or remote), --state \
            (listen, established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, close-wait, \
            last-ack, closing, closed, unconn), -4/-6, --pid N. -p adds the processes that hold each \
            socket (from /proc/PID/fd, as ss -p; as root to see every process's). The TIMER column shows what the kernel is waiting for: \
            timewait (time left before the 4-tuple is free again), keepalive, on (retransmission), \
            persist (zero-window probe).

            --json prints one "socket" record per socket: protocol, state, recv_q, send_q, local_address, \
            local_port, peer_address, peer_port, timer, timer_ms, inode, and with -p processes \
            ([{pid, command, fd}]). Exit 1 when no socket matches.

            Examples:
              sockscope sockets --state time-wait
              sockscope sockets --port 8080
              sockscope sockets --unix
            """
    )

    @Flag(name: [.customShort("t"), .customLong("tcp")], help: "TCP sockets (the default).")
    var tcp = false

    @Flag(name: [.customShort("u"), .customLong("udp")], help: "UDP sockets.")
    var udp = false

    @Flag(name: [.customShort("x"), .customLong("unix")], help: "Unix-domain sockets.")
    var unix = false

    @OptionGroup(title: "Address family") var family: FamilyOptions

    @Option(name: .customLong("port"), help: ArgumentHelp("Only sockets with this local or remote port.", valueName: "port"))
    var port: String?

    @Option(
        name: .customLong("state"), help: ArgumentHelp("Only sockets in this state.", valueName: "state"),
        completion: .list([
            "listen", "established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait", "close-wait", "last-ack", "closing", "closed", "unconn",
        ]))
    var state: String?

    @Flag(
        name: [.customShort("l"), .customLong("listening")],
        help: "Only listening sockets, as ss -l: TCP and Unix in LISTEN, UDP and Unix datagram sockets not connected.")
    var listening = false

    @Flag(
        name: [.customShort("a"), .customLong("all")],
        help: "Sockets in every state: what sockets lists unless -l or --state narrows it (ss lists only connections without -a).")
    var all = false

    @Flag(name: [.customShort("n"), .customLong("numeric")], help: "Numeric addresses and ports: what sockets always shows (ss needs -n for it).")
    var numeric = false

    @Flag(
        name: .customLong("wide"),
        help: "Whole rows on a terminal too (without it a row's timer and process that do not fit its width go under it; piped output is always whole).")
    var wide = false

    @Flag(name: [.customShort("p"), .customLong("processes")], help: "Show the processes that hold each socket (pid and command, as ss -p).")
    var processes = false

    @Option(name: .customLong("pid"), help: ArgumentHelp("Only sockets held by this process.", valueName: "pid"))
    var pid: Int32?

    @OptionGroup(title: "Output") var jsonOutput: OutputOptions

    var json: Bool { jsonOutput.json }

    static let stateNames: [String: TCPState] = [
        "listen": .listen, "established": .established, "syn-sent": .synSent, "syn-recv": .synReceived, "syn-received": .synReceived,
        "fin-wait-1": .finWait1, "fin-wait-2": .finWait2, "time-wait": .timeWait, "close-wait": .closeWait,
        "last-ack": .lastAck, "closing": .closing, "closed": .closed,
    ]

    /// State names that are not TCP states: ss's UNCONN, a datagram socket that is not connected.
    static let otherStateNames = ["unconn"]

    @OptionGroup(title: "Output") var color: ColorOptions

    /// What ss -l lists: sockets waiting for connections (LISTEN), or datagram sockets
    /// bound but not connected (the kernel lists them as CLOSED, ss as UNCONN).
    static func isListening(_ entry: SocketDiagnostics.Entry) -> Bool {
        entry.state == .listen || (entry.kind != .tcp && entry.state == .closed)
    }

    func validate() throws {
        if let state, Self.stateNames[state.lowercased()] == nil, !Self.otherStateNames.contains(state.lowercased()) {
            throw ValidationError("unknown state '\(state)': use one of \((Self.stateNames.keys + Self.otherStateNames).sorted().joined(separator: ", "))")
        }
        if let pid, pid < 1 { throw ValidationError("--pid takes a process id (1 or more)") }
        if unix && !tcp && !udp && family.family != nil { throw ValidationError("-4 and -6 choose IP sockets; --unix lists Unix sockets") }
        if wide && json { throw ValidationError("--wide keeps the table's rows whole; --json prints none") }
        if listening && state != nil { throw ValidationError("-l/--listening and --state each choose the states; give one") }
    }

    func run() throws {
        color.values.apply()
        try CommandRunner.run(json: json) { () throws(SockscopeError) in try list() }
    }

    private func list() throws(SockscopeError) -> ExitStatus {
        let wanted = state.flatMap { Self.stateNames[$0.lowercased()] }
        let unconnected = state?.lowercased() == "unconn"
        let owners = processes || pid != nil ? SocketOwners.scan() : [:]
        let portNumber = try port.map { text throws(SockscopeError) in try PortNumber.parse(text, allowZero: true) }
        var entries: [SocketDiagnostics.Entry] = []
        if tcp || !(udp || unix) { entries += try SocketDiagnostics.inet(.tcp, family: family.family) }
        if udp { entries += try SocketDiagnostics.inet(.udp, family: family.family) }
        if unix { entries += try SocketDiagnostics.unix() }
        entries = entries.filter { entry in
            if let wanted, entry.state != wanted || stateName(entry) == "UNCONN" { return false }
            if unconnected, stateName(entry) != "UNCONN" { return false }
            if let pid, !(owners[entry.inode] ?? []).contains(where: { $0.pid == pid }) { return false }
            if listening && !Self.isListening(entry) { return false }
            if let portNumber, entry.local.port != portNumber && entry.remote?.port != portNumber { return false }
            return true
        }
        if json {
            var text = ""
            let time = Timestamp.now()
            for entry in entries {
                let (local, peer) = (JSONEndpoint(entry.local), JSONEndpoint(entry.remote))
                var record = SocketRecord(
                    protocol: entry.kind.rawValue, state: stateName(entry).lowercased(), recvQ: Int(entry.receiveQueue), sendQ: Int(entry.sendQueue),
                    localAddress: local.address, localPort: local.port, peerAddress: peer?.address, peerPort: peer?.port, timer: timerName(entry.timer),
                    timerMs: timerDuration(entry.timer)?.jsonMilliseconds, inode: Int(entry.inode))
                if processes {
                    record.processes = (owners[entry.inode] ?? []).map { SocketProcessObject(pid: Int($0.pid), command: $0.command, fd: Int($0.fd)) }
                }
                text += JSONLine.text(record, time: time)
            }
            Diagnostics.output(text)
            return entries.isEmpty ? .nothingFound : .success
        }
        var text = table(entries, owners: owners, style: Style(enabled: Diagnostics.usesColour(1)))
        text += Style(enabled: Diagnostics.usesColour(1)).dim("\(entries.count) socket\(entries.count == 1 ? "" : "s")") + "\n"
        Diagnostics.output(text)
        return entries.isEmpty ? .nothingFound : .success
    }

    /// The rows, as ss prints them: each address column as wide as its widest address
    /// (an IPv4 table fits 80 columns; ss sizes its columns the same way).
    private func table(_ entries: [SocketDiagnostics.Entry], owners: [UInt32: [SocketOwners.Owner]], style: Style) -> String {
        let rows = entries.map { entry in
            var timer = timerName(entry.timer) ?? ""
            if let left = timerDuration(entry.timer) { timer += " " + Timestamp.seconds(left) }
            return (entry: entry, local: "\(entry.local)", peer: entry.remote.map { "\($0)" } ?? "*", timer: timer)
        }
        let localWidth = max(5, rows.map(\.local.count).max() ?? 0) + 2
        let peerWidth = max(4, rows.map(\.peer.count).max() ?? 0) + 2
        let timerWidth = max(5, rows.map(\.timer.count).max() ?? 0) + 2
        let header: [(String, Int)] = [("NETID", 6), ("STATE", 13), ("RECV-Q", 7), ("SEND-Q", 7), ("LOCAL", localWidth), ("PEER", peerWidth)]
        let width = TerminalWidth.columns(wide: wide)
        let headerBase = header.map { $0.0.padded(to: $0.1) }.joined()
        var headerText = headerBase + (processes ? "TIMER".padded(to: timerWidth) + "PROCESS" : "TIMER")
        if let width, headerText.count > width {
            headerText = headerBase.trimmingTrailingSpaces + "\n      TIMER" + (processes ? "  PROCESS" : "")  // as the rows put them
        }
        var text = style.dim(headerText) + "\n"
        for row in rows {
            let columns: [(String, Int)] = [
                (row.entry.kind.rawValue, 6), (stateName(row.entry), 13), (String(row.entry.receiveQueue), 7), (String(row.entry.sendQueue), 7),
                (row.local, localWidth), (row.peer, peerWidth),
            ]
            let base = columns.map { $0.0.padded(to: $0.1) }.joined()
            let owner = processes ? Self.text(owners[row.entry.inode] ?? []) : ""
            let whole = (base + (processes ? row.timer.padded(to: timerWidth) + owner : row.timer)).trimmingTrailingSpaces
            if let width, whole.count > width {
                // On a narrow terminal the timer and the process go under the row.
                var pieces = [(base.trimmingTrailingSpaces, "")]
                if !row.timer.isEmpty { pieces.append((row.timer, "  ")) }
                if !owner.isEmpty { pieces.append((owner, "  ")) }
                text += TerminalWidth.fill(pieces.map { ($0.0, $0.0.count, $0.1) }, width: width, indent: 6) + "\n"
                continue
            }
            text += whole + "\n"
        }
        return text
    }

    /// `name(pid)` for each holder, as a table cell: `nc(4211),sh(4210)`.
    static func text(_ owners: [SocketOwners.Owner]) -> String {
        owners.map { "\(PrintableBytes.escaped($0.command))(\($0.pid))" }.joined(separator: ",")
    }

    /// `[{"pid":…,"command":…,"fd":…}, …]`.
    private func stateName(_ entry: SocketDiagnostics.Entry) -> String {
        if entry.kind == .udp { return entry.state == .established ? "ESTABLISHED" : "UNCONN" }
        if entry.kind == .unix, entry.state == .closed { return "UNCONN" }
        return entry.state.name
    }

    private func timerName(_ timer: SocketDiagnostics.Entry.Timer?) -> String? {
        switch timer {
        case .retransmit: "on"
        case .keepalive: "keepalive"
        case .timeWait: "timewait"
        case .zeroWindowProbe: "persist"
        case nil: nil
        }
    }

    private func timerDuration(_ timer: SocketDiagnostics.Entry.Timer?) -> Duration? {
        switch timer {
        case .retransmit(let left), .keepalive(let left), .timeWait(let left), .zeroWindowProbe(let left): left
        case nil: nil
        }
    }
}
