import ArgumentParser
import Glibc
import SockscopeCore
import Synchronization

struct TapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap",
        abstract: "Capture TCP conversations on an interface and annotate every packet with the TCP states it causes.",
        discussion: """
            Like tcpdump -n, with sequence numbers relative to each side's first, plus what tcpdump \
            cannot know: the state each side enters (SYN-SENT, ESTABLISHED, FIN-WAIT-2, TIME-WAIT, …), \
            retransmissions, zero windows, who reset, and who holds TIME-WAIT at the end. UDP and ICMP \
            packets are listed too (ICMP errors with the packet they answer).

            FILTER is a BPF expression (tcpdump syntax), e.g. 'tcp port 8080'; without one, TCP, UDP \
            and ICMP, also behind 802.1Q/QinQ tags and IPv6 extension headers, and GRE. Inside VXLAN \
            (UDP 4789), Geneve (6081) and GRE tunnels the inner conversation is tracked as its own, each \
            packet noted "in VXLAN 42 A → B" with the outer endpoints. Capturing needs \
            CAP_NET_RAW: run as root or `sudo setcap cap_net_raw,cap_net_admin+ep $(which sockscope)`. \
            Stops after --count packets, --duration seconds, or Ctrl-C; --pcap-out also writes a pcap \
            file for tcpdump -r or Wireshark — or, named .pcapng (or with --pcapng), a pcapng file whose \
            packets carry what the tap says of them as comments (Wireshark shows them; tshark -T fields \
            -e frame.comment), with the command line in its section header.

            --json prints one "packet" record per packet: offset_ms, source_address, source_port, \
            destination_address, destination_port, protocol, flags, seq, ack, window, bytes, states, notes \
            (ICMP: message).

            -r FILE reads a pcap or pcapng file instead (tcpdump -w, tshark -w, dumpcap, \
            --pcap-out), through the same filter and annotations; with -w, the packets that pass \
            are copied to a new file. Packets of a link type sockscope does not decode are counted. A \
            pcapng file's packet comments are read back: shown under the packet when they say more \
            than the tap's own annotation (another tool's, or the socket calls `demo` names), and as \
            "comment" in --json.

            Examples:
              sudo sockscope tap 'tcp port 8080'
              sockscope tap -r server.pcap 'tcp port 443'
              sudo sockscope tap -i lo --count 20 --pcap-out handshake.pcap 'port 5600'
            """
    )

    @Argument(
        parsing: .remaining,
        help: ArgumentHelp("BPF filter expression (default: tcp, udp, icmp, icmp6 and GRE, with or without 802.1Q/QinQ tags).", valueName: "filter"))
    var filter: [String] = []

    @Option(
        name: [.customShort("i"), .customLong("interface")], help: ArgumentHelp("Interface to capture on (default lo).", valueName: "iface"),
        completion: .shellCommand("ls /sys/class/net"))
    var interface: String?

    @Option(
        name: [.customShort("r"), .customLong("read")],
        help: ArgumentHelp("Read packets from this pcap or pcapng file instead of capturing (tcpdump -r).", valueName: "file"), completion: .file())
    var readPath: String?

    @Option(name: [.customShort("c"), .customLong("count")], help: ArgumentHelp("Stop after this many packets.", valueName: "n"))
    var count: Int?

    @Option(name: .customLong("duration"), help: ArgumentHelp("Stop after this many seconds.", valueName: "secs"))
    var duration: Seconds?

    @Option(
        name: [.customShort("w"), .customLong("pcap-out")],
        help: ArgumentHelp(
            "Also write the packets to this file: pcap, or pcapng with each packet's annotation for a .pcapng name.",
            valueName: "file"),
        completion: .file())
    var pcapOut: String?

    @Flag(
        name: .customLong("pcapng"),
        help: "Write --pcap-out as pcapng, each annotated packet with what the tap says of it as its comment (the default for a .pcapng name).")
    var pcapng = false

    @Flag(name: .customLong("tap-payload"), help: "Keep payload bytes in the capture, not just the headers.")
    var payload = false

    @Option(
        name: .customLong("time"),
        help: ArgumentHelp(
            "How each line's time is shown: relative (within its conversation, the default), none (tcpdump -t), "
                + "epoch (seconds since 1970, -tt), delta (since the previous packet, -ttt), absolute (date and time, -tttt), "
                + "start (since the first packet, -ttttt).",
            valueName: "form"))
    var timeForm: TimeForm?

    @Flag(name: .customShort("t"), help: "tcpdump's letters for --time: -t none, -tt epoch, -ttt delta, -tttt absolute, -ttttt start.")
    var tcpdumpTime: Int

    @Flag(name: .customShort("n"), help: "Addresses and ports as numbers: what tap always shows (tcpdump -n, -nn).")
    var numeric: Int

    @Flag(name: .customShort("q"), help: "Shorter lines, as tcpdump -q: flags, length, states and notes, without seq, ack, window and options.")
    var brief = false

    @Flag(
        name: .customLong("wide"),
        help: ArgumentHelp(
            "Whole lines on a terminal too (without it the fields of a packet's line or a --summary row that do not fit its width "
                + "go on lines under it; piped output is always whole).")
    )
    var wide = false

    enum TimeForm: String, ExpressibleByArgument, CaseIterable {
        case relative, none, epoch, delta, absolute, start
    }

    /// --time, or -t's count, or relative.
    var time: TimeForm {
        if let timeForm { return timeForm }
        return [.relative, .none, .epoch, .delta, .absolute, .start][min(tcpdumpTime, 5)]
    }

    @Flag(
        name: .customLong("summary"),
        help: "Print one row per TCP conversation and UDP flow at the end (packets, bytes, RTT, retransmissions, resets, final states) instead of each packet.")
    var summary = false

    @OptionGroup(title: "Pictures") var pictures: PictureOptions

    @Option(
        name: .customLong("conversation"),
        help: ArgumentHelp("Which TCP conversation --diagram and --plot draw, by its number in --summary (default 1, the first seen).", valueName: "n"))
    var conversation: Int?

    @OptionGroup(title: "Output") var jsonOutput: OutputOptions

    @OptionGroup(title: "Output") var color: ColorOptions

    var json: Bool { jsonOutput.json }

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let conversation {
            if conversation < 1 { throw ValidationError("--conversation counts from 1 (the numbers --summary prints)") }
            if !pictures.values.enabled { throw ValidationError("--conversation picks what --diagram or --plot draws; give one of them") }
        }
        if pcapng && pcapOut == nil { throw ValidationError("--pcapng is the format of the --pcap-out file; give one") }
        if timeForm != nil && tcpdumpTime > 0 { throw ValidationError("-t and --time both choose the time form; give one") }
        if tcpdumpTime > 5 { throw ValidationError("-t is tcpdump's: -t to -ttttt (five at most)") }
        if wide && json { throw ValidationError("--wide keeps the text lines whole; --json prints none") }
        if brief && (json || summary) { throw ValidationError("-q shortens the packet lines; \(json ? "--json" : "--summary") prints none") }
        if summary && time != .relative { throw ValidationError("--time shapes the packet lines; --summary prints none") }
        if json && time != .relative { throw ValidationError("--time shapes the text lines; --json has each packet's time and offset_ms") }
        if readPath != nil {
            let live = [("-i/--interface", interface != nil), ("--duration", duration != nil), ("--tap-payload", payload)].filter(\.1)
            if let first = live.first { throw ValidationError("\(first.0) is for live capture; --read takes the packets the file holds") }
        }
    }

    func run() throws {
        color.values.apply()
        try CommandRunner.run(json: json) { () throws(SockscopeError) -> ExitStatus in
            if let readPath { return try read(readPath) }
            return try capture()
        }
    }

    private var drawing: Bool { pictures.values.enabled }

    /// The filter given, or nil for the default (IP, tagged or not: PacketCapture.defaultFilters).
    private var expression: String? { filter.isEmpty ? nil : filter.joined(separator: " ") }

    /// How the banner names the filter installed.
    private func described(_ installed: String) -> String {
        if installed.isEmpty { return "no filter (none fits this link type): every frame read, what is not IP skipped" }
        // The default's BPF text is some 460 characters of tag and header cases: named instead.
        return expression == nil ? "the default filter (TCP, UDP, ICMP, ICMPv6 and GRE, 802.1Q/QinQ-tagged or not)" : installed
    }

    /// `--read`: the file's packets through the filter, annotated as a live capture's are,
    /// then the summary. Exit 1 when no packet passed; 74 for a damaged file (after
    /// what could be read, and its summary).
    private func read(_ path: String) throws(SockscopeError) -> ExitStatus {
        let pictureFiles = try PictureFiles(pictures.values)
        var recording = ConversationRecording(number: (conversation ?? 1) - 1)
        let file = try CaptureFile(path: path, filter: expression, pcapOut: .requested(pcapOut, pcapng: pcapng))
        Diagnostics.line("tap: reading \(path) (\(file.linkTypeName)): \(described(file.filterText))")
        var annotator = PacketAnnotator(expireAfter: summary ? nil : .seconds(10))
        var flows = UDPFlowTable()
        let stamper = Stamper(
            form: time, brief: brief, width: json ? nil : TerminalWidth.columns(wide: wide), style: json ? .plain : Style(enabled: Diagnostics.usesColour(1)))
        var seen = 0
        var undecoded = 0
        var failure: SockscopeError?
        // Read once: a property wrapper's getter per packet costs more than the rest of the work.
        let (summary, json, drawing, annotating) = (self.summary, self.json, self.drawing, pcapOut != nil)
        reading: while count.map({ seen < $0 }) ?? true {
            // A large file is read in rounds; Ctrl-C ends it between them, summary first.
            if let signal = Interruption.pending {
                failure = Interruption.error(for: signal)
                break
            }
            do {
                let limit = min(10_000, count.map { $0 - seen } ?? .max)
                guard
                    try file.read(
                        limit: limit,
                        { record in
                            seen += 1
                            guard let packet = record.packet else {
                                undecoded += 1
                                return nil
                            }
                            if summary { flows.add(packet) }
                            guard let event = annotator.annotate(packet) else { return nil }
                            if drawing { recording.add(event) }
                            let annotation = annotating || record.comment != nil ? event.annotation : nil
                            guard !summary else { return annotation }
                            Diagnostics.output(
                                json
                                    ? Self.json(event, capturedAt: packet.timestamp, comment: record.comment)
                                    : stamper.line(event, at: packet.timestamp) + Self.commentLine(record.comment, annotation: annotation) + "\n")
                            return annotation
                        }) != nil
                else { break reading }
            } catch {
                failure = error
                break
            }
        }
        file.close()
        printEnd(annotator.tracker, flows: flows, packets: seen)
        Self.reportForgotten(annotator.tracker, summary: summary)
        Self.reportUndecoded(file, undecoded: undecoded)
        if let writeFailure = file.writeFailure { throw writeFailure }
        if let pcapOut { Diagnostics.line("tap: \(counted(seen, "packet")) written to \(pcapOut)") }
        try pictureFiles.write(recording, what: "TCP conversation \(conversation ?? 1) of \(annotator.tracker.begun)")
        if let failure { throw failure }
        return seen == 0 ? .nothingFound : .success
    }

    /// After a file's packets: the --summary table, or the timeline's closing lines.
    private func printEnd(_ tracker: TCPConversationTracker, flows: UDPFlowTable, packets: Int) {
        if summary {
            let table = ConversationSummary(conversations: tracker.conversations, flows: flows.flows)
            Diagnostics.output(json ? table.json : table.text(width: TerminalWidth.columns(wide: wide)))
        } else {
            for line in TapTimeline.summary(tracker.conversations, statistics: nil, packets: packets, fromFile: true) { Diagnostics.line(line) }
        }
    }

    /// Says how many packets were not decoded, and why.
    private static func reportUndecoded(_ file: CaptureFile, undecoded: Int) {
        if undecoded > 0 && file.linkType == nil {
            Diagnostics.line("tap: \(counted(undecoded, "packet")) not decoded: sockscope does not decode \(file.linkTypeName)")
        }
        for (why, count) in file.undecoded.sorted(by: { $0.key < $1.key }) { Diagnostics.line("tap: \(counted(count, "packet")) not decoded: \(why)") }
    }

    /// Says how many unanswered SYNs' conversations were forgotten to keep memory bounded.
    static func reportForgotten(_ tracker: TCPConversationTracker, summary: Bool) {
        guard tracker.forgottenUnanswered > 0 else { return }
        let shown = summary ? "they are not listed" : "their packets were shown as they came"
        Diagnostics.line(
            "tap: \(counted(tracker.forgottenUnanswered, "conversation")) whose SYN was never answered (a SYN scan or flood?) were forgotten beyond the \(tracker.maximumUnanswered) followed at once; \(shown)"
        )
    }

    /// Captures until the count, the duration, or a signal. Exit 1 when nothing was
    /// captured; a signal is 130/143 as in every command (tcpdump exits 0 there), so a
    /// script can tell a stop from a finished count.
    private func capture() throws(SockscopeError) -> ExitStatus {
        let interface = self.interface ?? "lo"
        let pictureFiles = try PictureFiles(pictures.values)
        var recording = ConversationRecording(number: (conversation ?? 1) - 1)
        let capture = try PacketCapture(
            PacketCapture.Options(
                interface: interface, filter: expression,
                snapLength: payload ? 65_535 : 128, pcapOut: .requested(pcapOut, pcapng: pcapng)))
        Diagnostics.line("tap: capturing on \(interface) (\(capture.linkType.name)): \(described(capture.filterText))")
        // A capture may see millions of connections: those over for 10 s were reported
        // as they ended and are forgotten.
        var annotator = PacketAnnotator(expireAfter: summary ? nil : .seconds(10))
        var flows = UDPFlowTable()
        let stamper = Stamper(
            form: time, brief: brief, width: json ? nil : TerminalWidth.columns(wide: wide), style: json ? .plain : Style(enabled: Diagnostics.usesColour(1)))
        var seen = 0
        let deadline = duration.map { ContinuousClock.now + $0.duration }
        let (summary, json, drawing, count, annotating) = (self.summary, self.json, self.drawing, self.count, pcapOut != nil)
        // Ctrl-C or SIGTERM ends the capture cleanly: summary printed, pcap file
        // complete, then exit 130/143.
        var stoppedBy: SocketCallError?
        while stoppedBy == nil && count.map({ seen < $0 }) ?? true {
            if let deadline, ContinuousClock.now >= deadline { break }
            do {
                try capture.waitAndDrain(until: deadline ?? .now + .seconds(3600)) { packet, _ in
                    guard let packet, count.map({ seen < $0 }) ?? true else { return nil }
                    seen += 1
                    if summary { flows.add(packet) }
                    guard let event = annotator.annotate(packet) else { return nil }
                    if drawing { recording.add(event) }
                    if !summary { Diagnostics.output(json ? Self.json(event) : stamper.line(event, at: packet.timestamp) + "\n") }
                    return annotating ? event.annotation : nil
                }
            } catch {
                stoppedBy = error
            }
        }
        let statistics = capture.statistics
        capture.close()
        if summary {
            let table = ConversationSummary(conversations: annotator.tracker.conversations, flows: flows.flows)
            Diagnostics.output(json ? table.json : table.text(width: TerminalWidth.columns(wide: wide)))
        }
        for line in TapTimeline.summary(summary ? [] : annotator.tracker.conversations, statistics: statistics, packets: seen) { Diagnostics.line(line) }
        if annotator.tracker.expired > 0 {
            Diagnostics.line("tap: \(annotator.tracker.expired) earlier conversations ended, were reported as they did, and are not summarised again")
        }
        Self.reportForgotten(annotator.tracker, summary: summary)
        if let failure = capture.writeFailure { throw failure }  // never "N packets written" for a short file
        if let pcapOut { Diagnostics.line("tap: \(counted(seen, "packet")) written to \(pcapOut)") }
        try pictureFiles.write(recording, what: "TCP conversation \(conversation ?? 1) of \(annotator.tracker.begun)")
        if let stoppedBy { throw SockscopeError(stoppedBy) }
        return seen == 0 ? .nothingFound : .success
    }

    /// A packet record; `capturedAt` (since the epoch, a file's packets) is its "time",
    /// else the time it is printed; `comment`, the one a pcapng file holds for it.
    static func json(_ event: ConnectionTap.TapEvent, capturedAt: Duration? = nil, comment: String? = nil) -> String {
        guard var record = record(event) else { return "" }
        record.comment = comment
        return JSONLine.text(record, time: capturedAt.map(Timestamp.rfc3339) ?? Timestamp.now())
    }

    /// Under a packet read from a pcapng file: its comment, when the file holds one that
    /// says more than the tap's own annotation (another tool's, or the calls `demo`
    /// named), escaped.
    static func commentLine(_ comment: String?, annotation: String?) -> String {
        guard let comment, !comment.isEmpty, comment != annotation else { return "" }
        return "\n" + String(repeating: " ", count: 13) + "comment: " + PrintableBytes.escaped(comment)
    }

    private static func record(_ event: ConnectionTap.TapEvent) -> PacketRecord? {
        switch event {
        case .tcp(let event):
            var record = PacketRecord(offset: event.elapsed, source: JSONEndpoint(event.source), destination: JSONEndpoint(event.destination), protocol: "tcp")
            record.flags = event.segment.flags.tcpdumpNotation
            record.seq = Int(event.relativeSequence)
            record.ack = .some(event.relativeAcknowledgment.map { Int($0) })
            record.window = Int(event.segment.window)
            record.bytes = event.segment.payloadLength
            record.states = event.stateChanges.map { "\($0.side.rawValue): \($0.state.name.lowercased())" }
            record.notes = event.notes
            if !event.tls.isEmpty { record.tls = event.tls.map(TLSRecordObject.init) }
            return record
        case .icmp(let packet, let message, let elapsed):
            var record = PacketRecord(
                offset: elapsed, source: JSONEndpoint(host: packet.source), destination: JSONEndpoint(host: packet.destination),
                protocol: message.isVersion6 ? "icmp6" : "icmp")
            record.message = message.meaning
            return record
        case .udp(let packet, let elapsed):
            guard case .udp(let sourcePort, let destinationPort, let length) = packet.transport else { return nil }
            var record = PacketRecord(
                offset: elapsed, source: JSONEndpoint(SocketAddress(packet.source, port: sourcePort)),
                destination: JSONEndpoint(SocketAddress(packet.destination, port: destinationPort)), protocol: "udp")
            record.bytes = length
            return record
        case .truncated(let packet, let elapsed):
            guard case .truncated(let number, let sourcePort, let destinationPort) = packet.transport else { return nil }
            var (source, destination) = (JSONEndpoint(host: packet.source), JSONEndpoint(host: packet.destination))
            if let sourcePort, let destinationPort {
                source = JSONEndpoint(SocketAddress(packet.source, port: sourcePort))
                destination = JSONEndpoint(SocketAddress(packet.destination, port: destinationPort))
            }
            var record = PacketRecord(offset: elapsed, source: source, destination: destination, protocol: TapTimeline.protocolName(number))
            record.truncated = true
            return record
        }
    }
}

/// `tap --time` (or -t…): what begins each line — the offset within its conversation,
/// nothing (-t), seconds since the epoch (-tt), the gap since the previous packet printed
/// (-ttt), the date and time (-tttt), or the time since the first packet (-ttttt).
final class Stamper {
    let form: TapCommand.TimeForm
    /// -q: the TCP fields left out.
    let brief: Bool
    /// On a terminal (unless --wide): its width, each line fitted to it.
    let width: Int?
    let style: Style
    private var previous: Duration?
    private var first: Duration?

    init(form: TapCommand.TimeForm, brief: Bool = false, width: Int? = nil, style: Style) {
        self.form = form
        self.brief = brief
        self.width = width
        self.style = style
    }

    func line(_ event: ConnectionTap.TapEvent, at time: Duration) -> String {
        defer { previous = time }
        if first == nil { first = time }
        let stamp: String? =
            switch form {
            case .relative: nil
            case .none: ""
            case .epoch: Timestamp.epoch(time)
            case .absolute: Timestamp.localDateTime(time)
            case .delta: Timestamp.delta(previous.map { time - $0 } ?? .zero)
            case .start: Timestamp.delta(time - (first ?? time))
            }
        let line = TapTimeline.line(event, stamp: stamp, brief: brief, style: style, width: width)
        return form == .none ? String(line.drop { $0 == " " }) : line
    }
}
