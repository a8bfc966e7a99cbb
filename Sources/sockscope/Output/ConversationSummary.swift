import SockscopeCore

/// `tap --summary`: one row per TCP conversation and UDP flow, like `tshark -z conv,tcp`
/// with the TCP states added — or one `conversation` record each with `--json`.
struct ConversationSummary {
    let conversations: [TCPConversationTracker.Conversation]
    let flows: [UDPFlowTable.Flow]

    /// What looks wrong in a conversation: no handshake seen, an unanswered SYN, a
    /// half-open handshake, a half-closed end.
    static func anomalies(_ conversation: TCPConversationTracker.Conversation) -> [String] {
        var notes: [String] = []
        if !conversation.sawHandshakeStart { notes.append("no handshake seen (joined mid-stream)") }
        let client = conversation.states[.client]
        let server = conversation.states[.server]
        if client == .synSent && conversation.packetsBy[.server, default: 0] == 0 { notes.append("SYN unanswered") }
        // The server answered the SYN but the handshake's last ACK never came (what a SYN
        // flood leaves, and nmap's "half-open" SYN scan).
        if server == .synReceived && conversation.resetBy == nil { notes.append("half-open (the handshake's last ACK was not seen)") }
        // One direction ended with a FIN, the other still open when the capture ended.
        if conversation.resetBy == nil, [client, server].contains(.closeWait) || [client, server].contains(.finWait2) {
            notes.append("half-closed at the end of the capture")
        }
        return notes
    }

    /// The table; on a terminal (`width`), a row's fields that do not fit go on lines
    /// under it, indented by 4.
    func text(width: Int? = nil) -> String {
        func row(_ fields: [String]) -> String {
            guard let width else { return fields.joined(separator: "  ") }
            return TerminalWidth.fill(fields.map { ($0, $0.count, "  ") }, width: width, indent: 4)
        }
        var lines: [String] = []
        for (number, conversation) in conversations.enumerated() {
            var fields = ["\(number + 1)".padded(to: 4) + "\(conversation.client) → \(conversation.server)"]
            fields.append("packets \(conversation.packetsBy[.client, default: 0])/\(conversation.packetsBy[.server, default: 0])")
            fields.append("bytes \(conversation.bytes[.client, default: 0])/\(conversation.bytes[.server, default: 0])")
            fields.append(Timestamp.shortMilliseconds(conversation.span))
            if let rtt = conversation.handshakeRTT { fields.append("rtt \(Timestamp.shortMilliseconds(rtt))") }
            fields.append("retransmissions \(conversation.retransmissions)")
            if conversation.outOfOrder > 0 { fields.append("out of order \(conversation.outOfOrder)") }
            if conversation.zeroWindows > 0 { fields.append("zero windows \(conversation.zeroWindows)") }
            if let side = conversation.resetBy { fields.append("reset by the \(side.rawValue)") }
            if let side = conversation.firstToClose { fields.append("\(side.rawValue) closed first") }
            let states = ["client", "server"].compactMap { name in
                conversation.states[name == "client" ? .client : .server].map { "\(name) \($0.name)" }
            }
            fields.append(states.joined(separator: ", "))
            fields += Self.anomalies(conversation)
            lines.append(row(fields))
        }
        for (number, flow) in flows.enumerated() {
            lines.append(
                row([
                    "u\(number + 1)".padded(to: 4) + "\(flow.client) ⇄ \(flow.server)", "UDP", "packets \(flow.packetsToServer)/\(flow.packetsToClient)",
                    "bytes \(flow.bytesToServer)/\(flow.bytesToClient)", Timestamp.shortMilliseconds(flow.lastTimestamp - flow.firstTimestamp),
                ]))
        }
        let counts = "\(counted(conversations.count, "TCP conversation")), \(counted(flows.count, "UDP flow"))"
        let header = "\(counts) (packets and bytes: client→server/server→client)"
        return ([width.map { TerminalWidth.wrap(header, width: $0, indent: 2) } ?? header] + lines).joined(separator: "\n") + "\n"
    }

    var json: String {
        var text = ""
        for (number, conversation) in conversations.enumerated() {
            var record = ConversationRecord(
                number: number + 1, protocol: "tcp", client: conversation.client, server: conversation.server,
                packets: (conversation.packetsBy[.client, default: 0], conversation.packetsBy[.server, default: 0]),
                bytes: (conversation.bytes[.client, default: 0], conversation.bytes[.server, default: 0]),
                duration: conversation.span)
            record.handshakeRttMs = .some(conversation.handshakeRTT?.jsonMilliseconds)
            record.retransmissions = conversation.retransmissions
            record.outOfOrder = conversation.outOfOrder
            record.zeroWindows = conversation.zeroWindows
            record.resetsByClient = conversation.resets[.client, default: 0]
            record.resetsByServer = conversation.resets[.server, default: 0]
            record.closedFirst = .some(conversation.firstToClose?.rawValue)
            record.clientState = .some(conversation.states[.client]?.name)
            record.serverState = .some(conversation.states[.server]?.name)
            record.notes = Self.anomalies(conversation)
            text += JSONLine.text(record)
        }
        for (number, flow) in flows.enumerated() {
            let record = ConversationRecord(
                number: number + 1, protocol: "udp", client: flow.client, server: flow.server, packets: (flow.packetsToServer, flow.packetsToClient),
                bytes: (flow.bytesToServer, flow.bytesToClient), duration: flow.lastTimestamp - flow.firstTimestamp)
            text += JSONLine.text(record)
        }
        return text
    }
}
