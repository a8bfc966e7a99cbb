extension ConnectionTap.TapEvent {
    /// What the tap knows of the packet beyond its headers, on one line: the state each
    /// side entered, the notes (retransmission, zero window, reset by …), the TLS records
    /// it completed, the ICMP error and what it answers. nil when there is nothing: the
    /// comment a pcapng file carries on the packet.
    ///
    ///     client: SYN-SENT
    ///     server: ESTABLISHED; TLS Handshake ServerHello, TLS 1.3
    ///     ICMP port unreachable for udp → 127.0.0.1:9
    package var annotation: String? {
        switch self {
        case .tcp(let event):
            guard !event.stateChanges.isEmpty || !event.notes.isEmpty || !event.tls.isEmpty else { return nil }
            let parts = event.stateChangeText + event.notes + event.tls.map { "TLS " + $0.text }
            return parts.isEmpty ? nil : parts.joined(separator: "; ")
        case .icmp(_, let message, _):
            return ["ICMP\(message.isVersion6 ? "v6" : "") \(message.meaning)", message.quotedText].compactMap { $0 }.joined(separator: " ")
        case .udp, .truncated:
            return nil
        }
    }
}

extension TCPConversationTracker.Event {
    /// The state changes grouped by side, in order: `client: FIN-WAIT-2 → TIME-WAIT`.
    package var stateChangeText: [String] {
        var order: [TCPConversationTracker.Side] = []
        var states: [TCPConversationTracker.Side: [String]] = [:]
        for change in stateChanges {
            if states[change.side] == nil { order.append(change.side) }
            states[change.side, default: []].append(change.state.name)
        }
        return order.map { "\($0.rawValue): " + (states[$0] ?? []).joined(separator: " → ") }
    }
}

extension ICMPMessage {
    /// For an error: what it answers, `for udp → 127.0.0.1:9`; nil when no port was quoted.
    package var quotedText: String? {
        guard let quoted, let port = quoted.destinationPort else { return nil }
        let name = quoted.protocolNumber == 6 ? "tcp" : quoted.protocolNumber == 17 ? "udp" : "proto \(quoted.protocolNumber)"
        return "for \(name) → \(quoted.destination):\(port)"
    }
}
