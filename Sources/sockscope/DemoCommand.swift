import ArgumentParser
import Glibc
import SockscopeCore

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Walk through the life of one TCP connection on loopback, with the kernel's view at every step.",
        usage: "sockscope demo [<options>]",
        discussion: """
            Runs a server and a client in this process on loopback and narrates every socket call — \
            socket, bind, listen, connect, accept, send, recv, shutdown, close — with the TCP state the \
            kernel reports for each socket after it (from /proc/net/tcp), ending with the client's \
            connection in TIME-WAIT. Needs no privileges and sends nothing off the machine.

            When it may capture (as root, or with CAP_NET_RAW), each step also shows the packets its \
            call put on the wire — SYN, SYN/ACK, ACK, data, FIN — with the states they cause.

            --json prints one "step" record per call: step, side, call, explanation, listener_state, \
            client_state, server_state (lower-case TCP states or null), time_wait_left_ms, packets.
            """
    )

    @Flag(name: .customShort("6"), help: "Use ::1 instead of 127.0.0.1.")
    var ipv6 = false

    @OptionGroup(title: "Output") var jsonOutput: OutputOptions

    var json: Bool { jsonOutput.json }

    @Option(
        name: .customLong("pcap-out"),
        help: ArgumentHelp(
            "Also write the demo's packets to this file: pcap, or pcapng (a .pcapng name) where each packet's comment "
                + "names the socket call that sent it and the states it caused.",
            valueName: "file"),
        completion: .file())
    var pcapOut: String?

    @Flag(
        name: .customLong("pcapng"),
        help: "Write --pcap-out as pcapng, each annotated packet with what the tap says of it as its comment (the default for a .pcapng name).")
    var pcapng = false

    @OptionGroup(title: "Pictures") var pictures: PictureOptions

    @Flag(name: .customLong("no-packets"), help: "Do not capture the packets (capturing needs CAP_NET_RAW; without it the demo says so and goes on).")
    var noPackets = false

    @Flag(
        name: .customLong("tls"),
        help: "Speak TLS over the connection (OpenSSL 3): the packets show the TLS records — ClientHello, ServerHello, encrypted data, close_notify.")
    var tls = false

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        if pcapng && pcapOut == nil { throw ValidationError("--pcapng is the format of the --pcap-out file; give one") }
        if noPackets && pcapOut != nil { throw ValidationError("--pcap-out saves the demo's packets; --no-packets captures none") }
        if noPackets && pictures.values.enabled { throw ValidationError("--diagram and --plot draw the demo's packets; --no-packets captures none") }
    }

    func run() throws {
        color.values.apply()
        try CommandRunner.run(json: json) { () throws(SockscopeError) in try demonstrate() }
    }

    private func demonstrate() throws(SockscopeError) {
        let address: IPAddress = ipv6 ? .v6(.loopback) : .v4(.loopback)
        let style = Style(enabled: !json && Diagnostics.usesColour(1))
        let width = json ? nil : TerminalWidth.columns(wide: false)
        func fitted(_ text: String, indent: Int) -> String { width.map { TerminalWidth.wrap(text, width: $0, indent: indent) } ?? text }
        if !json {
            Diagnostics.output(
                style.bold(fitted("The life of one \(tls ? "TLS-over-TCP" : "TCP") connection on \(address), one socket call at a time", indent: 0)) + "\n")
            Diagnostics.output(
                style.dim(fitted("states: what the kernel lists for the listening socket, the client's socket and the server's connection socket", indent: 8))
                    + "\n\n")
        }
        let pictureFiles = try PictureFiles(pictures.values)
        var recording = ConversationRecording(number: 0)
        var lastStep: DemoStep?
        var captureError: SockscopeError?
        let demo = ConnectionLifeDemo(address: address, capturePackets: !noPackets, pcapOut: .requested(pcapOut, pcapng: pcapng), tls: tls)
        do {
            let captureFailure: (SockscopeError) -> Void = { error in
                captureError = error
                let reason = error.status == .noPermission ? "capturing needs CAP_NET_RAW (run as root to see them)" : error.message
                Diagnostics.line("sockscope: demo without packets: \(reason)")
            }
            try demo.run(captureFailure: captureFailure) { step in
                lastStep = step
                for packet in step.packets { recording.add(.tcp(packet)) }
                Diagnostics.output(json ? Self.jsonLine(step) : Self.block(step, style: style, width: width))
            }
        }
        if !json, let lastStep {
            Diagnostics.output(Self.summary(lastStep, style: style, width: width))
        }
        if let pcapOut {
            // --pcap-out asked for a file: a demo that could not capture must not claim one.
            if let captureError { throw SockscopeError("\(pcapOut) was not written: \(captureError.message)", status: captureError.status) }
            Diagnostics.line("sockscope: the demo's packets are in \(pcapOut) (tcpdump -n -r \(pcapOut))")
        }
        if let captureError, pictures.values.enabled {
            pictureFiles.discard()
            throw SockscopeError("no picture drawn: \(captureError.message)", status: captureError.status)
        }
        try pictureFiles.write(recording, what: "the demo's connection")
    }

    /// - Parameter width: on a terminal, its columns: the explanation and each packet's
    ///   line are broken between words, under themselves.
    static func block(_ step: DemoStep, style: Style, width: Int? = nil) -> String {
        func fitted(_ text: String, indent: Int) -> String { width.map { TerminalWidth.wrap(text, width: $0, indent: indent) } ?? text }
        let number = String(step.number).leftPadded(to: 2)
        let side = step.side.rawValue.padded(to: 7)
        func state(_ value: String?) -> String { value.map { style.yellow($0) } ?? style.dim("—") }
        var text = "\(number) \(style.cyan(side)) \(style.bold(step.call))\n"
        text += fitted("           \(step.explanation)", indent: 11) + "\n"
        // The three sockets' states (and TIME-WAIT's time left), broken between them on a terminal.
        var states: [(shown: String, length: Int, separator: String)] = [
            ("listener", step.listenerState), ("client", step.clientState), ("server", step.serverState),
        ].map { name, value in (style.dim(name + " ") + state(value), name.count + 1 + (value ?? "—").count, "   ") }
        if let left = step.timeWaitLeft {
            let note = "(TIME-WAIT: \(Timestamp.seconds(left)) left)"
            states.append((style.dim(note), note.count, "   "))
        }
        states[0] = ("           " + states[0].shown, states[0].length + 11, "")
        text += TerminalWidth.fill(states, width: width ?? .max, indent: 11)
        for packet in step.packets {
            let line = fitted("           packet " + packetLine(packet), indent: 18)
            text += "\n           " + style.green("packet") + line.dropFirst("           packet".count)
        }
        return text + "\n\n"
    }

    static func summary(_ step: DemoStep, style: Style, width: Int? = nil) -> String {
        guard step.clientState == TCPState.timeWait.name else {
            return "The client's connection is \(step.clientState ?? "gone"): the kernel did not keep TIME-WAIT this time.\n"
        }
        let left = step.timeWaitLeft.map { ", \(Timestamp.seconds($0)) left" } ?? ""
        let closing = "The client closed first, so its side of the connection stays in TIME-WAIT\(left)."
        return style.bold(width.map { TerminalWidth.wrap(closing, width: $0, indent: 0) } ?? closing) + "\n"
            + "Watch it expire with:  sockscope sockets --state time-wait\n"
    }

    /// A packet in the demo's words: `client → server [S] seq 0  client: SYN-SENT`.
    static func packetLine(_ packet: TCPConversationTracker.Event) -> String {
        let direction = packet.from == .client ? "client → server" : "server → client"
        var text = "\(direction) [\(packet.segment.flags.tcpdumpNotation)] seq \(packet.relativeSequence)"
        if let ack = packet.relativeAcknowledgment { text += " ack \(ack)" }
        if packet.segment.payloadLength > 0 { text += " len \(packet.segment.payloadLength)" }
        let changes = packet.stateChangeText
        if !changes.isEmpty { text += "  " + changes.joined(separator: ", ") }
        if !packet.tls.isEmpty { text += "  TLS: " + packet.tls.map(\.text).joined(separator: " | ") }
        return text
    }

    static func jsonLine(_ step: DemoStep) -> String {
        let record = StepRecord(
            step: step.number, side: step.side.rawValue, call: step.call, explanation: step.explanation, listenerState: step.listenerState?.lowercased(),
            clientState: step.clientState?.lowercased(), serverState: step.serverState?.lowercased(), timeWaitLeftMs: step.timeWaitLeft?.jsonMilliseconds,
            packets: step.packets.map(packetLine))
        return JSONLine.text(record)
    }
}

/// `59.9 s`.

extension String {
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
