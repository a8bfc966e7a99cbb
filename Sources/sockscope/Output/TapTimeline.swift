import Glibc
import SockscopeCore

/// Writes the tap's timeline on stderr: one aligned line per packet, then a summary.
///
///     +0.000 ms  127.0.0.1:51234 → 127.0.0.1:8080  [S]   seq 0, win 65495, <mss 65495,sackOK,TS val 1 ecr 0,wscale 7>   client: SYN-SENT
enum TapTimeline {
    /// - Parameters:
    ///   - stamp: what begins the line instead of the offset within the conversation
    ///     (`tap --time absolute|delta`).
    ///   - style: on a terminal (`--color`), flags in bold, the states each side enters
    ///     in cyan, notes and ICMP errors in yellow.
    ///   - width: on a terminal, the columns a TCP line is fitted to (its fields, states
    ///     and notes go on indented lines under it); nil: one full line.
    static func line(_ event: ConnectionTap.TapEvent, stamp: String? = nil, brief: Bool = false, style: Style = .plain, width: Int? = nil) -> String {
        switch event {
        case .tcp(let event): return tcpLine(event, stamp: stamp, brief: brief, style: style, width: width)
        case .icmp(let packet, let message, let elapsed):
            var text =
                (stamp ?? Timestamp.offset(elapsed)) + "  \(packet.source) → \(packet.destination)  "
                + style.yellow("ICMP\(message.isVersion6 ? "v6" : "") \(message.meaning)")
            if let quoted = message.quotedText { text += " " + quoted }
            return text
        case .udp(let packet, let elapsed):
            guard case .udp(let sourcePort, let destinationPort, let length) = packet.transport else { return "" }
            return (stamp ?? Timestamp.offset(elapsed))
                + "  \(SocketAddress(packet.source, port: sourcePort)) → \(SocketAddress(packet.destination, port: destinationPort))  UDP, length \(length)"
        case .truncated(let packet, let elapsed):
            guard case .truncated(let number, let sourcePort, let destinationPort) = packet.transport else { return "" }
            let (source, destination) = Self.endpoints(packet, sourcePort, destinationPort)
            return (stamp ?? Timestamp.offset(elapsed)) + "  \(source) → \(destination)  [|\(Self.protocolName(number))]"
        }
    }

    /// tcpdump's name for a protocol whose header was cut: `[|tcp]`.
    static func protocolName(_ number: UInt8) -> String {
        switch number {
        case 6: "tcp"
        case 17: "udp"
        case 1: "icmp"
        case 58: "icmp6"
        default: "proto \(number)"
        }
    }

    /// A packet's two ends: with the ports when they are known.
    static func endpoints(_ packet: Packet, _ sourcePort: UInt16?, _ destinationPort: UInt16?) -> (String, String) {
        (
            sourcePort.map { "\(SocketAddress(packet.source, port: $0))" } ?? "\(packet.source)",
            destinationPort.map { "\(SocketAddress(packet.destination, port: $0))" } ?? "\(packet.destination)"
        )
    }

    /// - Parameters:
    ///   - brief: `tap -q`: flags, length, states and notes only.
    ///   - width: the terminal's columns to fit the line to (see `line`).
    static func tcpLine(
        _ event: TCPConversationTracker.Event, stamp: String? = nil, brief: Bool = false, style: Style = .plain, width: Int? = nil
    ) -> String {
        let segment = event.segment
        let flags = "[\(segment.flags.tcpdumpNotation)]"
        var fields: [String] = []
        let sequence = event.relativeSequence
        if !brief {
            fields.append(segment.payloadLength > 0 ? "seq \(sequence):\(sequence &+ UInt32(segment.payloadLength))" : "seq \(sequence)")
            if let ack = event.relativeAcknowledgment { fields.append("ack \(ack)") }
            fields.append("win \(segment.window)")
        }
        if !brief, segment.flags.contains(.syn), !segment.options.isEmpty {
            fields.append("<" + segment.options.map(\.description).joined(separator: ",") + ">")
        }
        fields.append("len \(segment.payloadLength)")
        let changes = event.stateChangeText
        if let width {
            var text = fitted(event, stamp: stamp, flags: flags, fields: fields, changes: changes, style: style, width: width)
            for record in event.tls { text += "\n" + String(repeating: " ", count: 13) + "TLS " + record.text }
            return text
        }
        var text =
            (stamp ?? Timestamp.offset(event.elapsed)) + "  " + "\(event.source) → \(event.destination)".padded(to: 44) + "  " + style.bold(flags.padded(to: 5))
            + "  "
            + fields.joined(separator: ", ")
        if !changes.isEmpty { text += "   " + style.cyan(changes.joined(separator: ", ")) }
        if !event.notes.isEmpty { text += "   " + style.yellow("(" + event.notes.joined(separator: ", ") + ")") }
        // The TLS records the segment completed, each on a line under it.
        for record in event.tls { text += "\n" + String(repeating: " ", count: 13) + "TLS " + record.text }
        return text
    }

    /// A TCP line within `width` columns: the time, endpoints and flags, then the fields,
    /// the states and the notes, each moved under the line (indented 13) when it does
    /// not fit where it would go.
    private static func fitted(
        _ event: TCPConversationTracker.Event, stamp: String?, flags: String, fields: [String], changes: [String], style: Style, width: Int
    ) -> String {
        let head = (stamp ?? Timestamp.offset(event.elapsed)) + "  \(event.source) → \(event.destination)  "
        var pieces: [(shown: String, length: Int, separator: String)] = [(head + style.bold(flags), head.count + flags.count, "")]
        for (index, field) in fields.enumerated() { pieces.append((field, field.count, index == 0 ? "  " : ", ")) }
        for (index, change) in changes.enumerated() { pieces.append((style.cyan(change), change.count, index == 0 ? "   " : ", ")) }
        if !event.notes.isEmpty {
            let notes = "(" + event.notes.joined(separator: ", ") + ")"
            pieces.append((style.yellow(notes), notes.count, "   "))
        }
        return TerminalWidth.fill(pieces, width: width, indent: 13)
    }

    /// One compact line per probed port: what the probe sent and what came back.
    ///
    ///     tap 22/tcp     [S] → [R.]  0.03 ms
    ///     tap 80/tcp     [S] → [S.] → [.] → [R.]  0.04 ms
    ///     tap 7001/tcp   [S] [S]  (no answer)
    ///     tap 7003/tcp   [S] → ICMP admin prohibited
    static func probeLines(_ events: [ConnectionTap.TapEvent], results: [ProbeResult]) -> [String] {
        var packets: [String: [String]] = [:]
        var firstTime: [String: Duration] = [:]
        var lastTime: [String: Duration] = [:]
        var probeTime: Duration = .zero
        for event in events {
            switch event {
            case .tcp(let packet):
                let fromProbe = packet.from == .client
                let target = fromProbe ? packet.destination : packet.source
                let key = "\(target)"
                let mark = "[\(packet.segment.flags.tcpdumpNotation)]"
                packets[key, default: []].append(fromProbe ? mark : "→ \(mark)")
                probeTime = packet.elapsed
                if firstTime[key] == nil { firstTime[key] = packet.elapsed }
                lastTime[key] = packet.elapsed
            case .icmp(_, let message, let elapsed):
                guard let quoted = message.quoted, let port = quoted.destinationPort else { continue }
                let key = "\(SocketAddress(quoted.destination, port: port))"
                packets[key, default: []].append("→ ICMP \(message.meaning)")
                lastTime[key] = elapsed
                _ = probeTime
            case .udp, .truncated:
                continue
            }
        }
        return results.map { result in
            let key = "\(SocketAddress(result.target, port: result.port))"
            let sequence = (packets[key] ?? ["(no packets captured)"]).joined(separator: " ")
            var line = "tap " + "\(result.port)/\(result.transport.rawValue)".padded(to: 11) + sequence
            if let start = firstTime[key], let end = lastTime[key], sequence.contains("→") {
                line += "  " + Timestamp.shortMilliseconds(end - start)
            }
            if !sequence.contains("→") && result.state == .filtered { line += "  (no answer)" }
            return line
        }
    }

    /// What the conversations came to: handshake, bytes, retransmissions, capture
    /// counts, and who holds TIME-WAIT (read from the kernel after the close).
    /// `fromFile`: the packets were read from a file, so the kernel's TIME-WAIT list says
    /// nothing of them: the holder is told from the packets alone.
    static func summary(
        _ conversations: [TCPConversationTracker.Conversation], statistics: PacketCapture.Statistics?, packets: Int, fromFile: Bool = false
    ) -> [String] {
        var lines: [String] = []
        for conversation in conversations {
            var parts: [String] = []
            if let rtt = conversation.handshakeRTT { parts.append("handshake RTT \(Timestamp.shortMilliseconds(rtt)) (SYN → SYN/ACK)") }
            parts.append("client sent \(counted(conversation.bytes[.client] ?? 0, "byte")), server \(conversation.bytes[.server] ?? 0)")
            parts.append("\(conversation.retransmissions) retransmission\(conversation.retransmissions == 1 ? "" : "s")")
            if conversation.outOfOrder > 0 { parts.append("\(conversation.outOfOrder) out of order") }
            if conversation.zeroWindows > 0 { parts.append("\(conversation.zeroWindows) zero windows") }
            if conversation.simultaneousOpen { parts.append("simultaneous open") }
            if conversation.simultaneousClose { parts.append("simultaneous close") }
            lines.append("tap: \(conversation.client) → \(conversation.server): " + parts.joined(separator: "; "))
            lines.append("tap: " + (fromFile ? recordedTimeWait(conversation) : timeWaitReport(conversation)))
        }
        if let statistics {
            lines.append(
                "tap: \(counted(packets, "packet")) captured, \(statistics.droppedByKernel) dropped by the kernel, \(statistics.droppedByInterface) by the interface (pcap_stats)"
            )
        }
        return lines
    }

    /// Who entered TIME-WAIT, from a file's packets (the kernel's list is about now).
    static func recordedTimeWait(_ conversation: TCPConversationTracker.Conversation) -> String {
        if let side = conversation.resetBy { return "reset by the \(side.rawValue) (RST): no TIME-WAIT on either side" }
        guard let closer = conversation.firstToClose else { return "the connection did not close within the capture" }
        let holders = [TCPConversationTracker.Side.client, .server].filter { conversation.states[$0] == .timeWait }
        if holders.count == 2 { return "the FINs crossed (simultaneous close): both sides held TIME-WAIT after the last ACKs (60 s on Linux)" }
        let local = conversation.address(of: closer)
        let remote = conversation.address(of: closer.other)
        guard holders == [closer] else {
            return
                "the \(closer.rawValue) \(local) → \(remote) closed first; the capture ends with it in \(conversation.states[closer]?.name ?? "?"), before TIME-WAIT"
        }
        return "the \(closer.rawValue) \(local) → \(remote) closed first, so it held TIME-WAIT after the last ACK (60 s on Linux)"
    }

    /// TIME-WAIT as the kernel lists it now, and why that side holds it.
    static func timeWaitReport(_ conversation: TCPConversationTracker.Conversation) -> String {
        if let side = conversation.resetBy {
            return "reset by the \(side.rawValue) (RST): no TIME-WAIT on either side"
        }
        if let (side, socket) = TimeWait.holder(of: conversation) {
            let left = socket.timeWaitLeft.map { ", \(Timestamp.seconds($0)) left" } ?? ""
            let reason = conversation.firstToClose == side ? "it closed first" : "it was the side whose FIN went first"
            let local = conversation.address(of: side)
            let remote = conversation.address(of: side.other)
            return "TIME-WAIT held by the \(side.rawValue) \(local) → \(remote) (\(reason))\(left); the kernel keeps the 4-tuple 60 s"
        }
        if let closer = conversation.firstToClose {
            return "the \(closer.rawValue) closed first; no TIME-WAIT is listed for this connection now"
        }
        return "the connection is not closed yet"
    }
}
