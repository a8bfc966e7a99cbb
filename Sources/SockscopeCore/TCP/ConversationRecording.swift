/// One TCP conversation's segments, kept for drawing it (`--diagram`, `--plot`): what
/// each segment carried, in the numbers a reader of the picture wants — sequence and
/// acknowledgment numbers relative to each side's initial sequence number (as tcpdump),
/// the receive window scaled by the shift both SYNs agreed (RFC 7323 §2.2), SACK blocks
/// relative to the data they acknowledge — with the states and notes the tracker gave,
/// and the ICMP errors about it.
///
/// Memory is bounded: past `limit` segments the rest are counted, not kept.
package struct ConversationRecording: Sendable {
    /// One segment as drawn.
    package struct Segment: Sendable {
        /// Since the conversation's first packet.
        package var elapsed: Duration
        package var from: TCPConversationTracker.Side
        package var flags: TCPFlags
        package var sequence: UInt32
        package var acknowledgment: UInt32?
        package var length: Int
        /// The advertised receive window in bytes: scaled when both SYNs carried a
        /// window-scale option, the raw field otherwise (and always in a SYN).
        package var window: Int
        /// SACK blocks (RFC 2018), relative to the other side's initial sequence number.
        package var sack: [Range<UInt32>]
        package var stateChanges: [(side: TCPConversationTracker.Side, state: TCPState)]
        package var notes: [String]
        /// The TLS records it completed, as the tap writes them (`Handshake: ClientHello`).
        package var tls: [String]

        /// Whether the tracker called it a retransmission (fast or not).
        package var isRetransmission: Bool { notes.contains { $0.hasSuffix("retransmission") } }
        package var isOutOfOrder: Bool { notes.contains("out of order") }
    }

    /// An ICMP error quoting a packet of this conversation.
    package struct ICMPError: Sendable {
        package var elapsed: Duration
        /// Who sent the packet the error answers (the error goes back to it).
        package var about: TCPConversationTracker.Side
        package var source: IPAddress
        package var meaning: String
    }

    /// The tracker's number for the conversation (0 for the first one seen).
    package let number: Int
    package let limit: Int
    package private(set) var client: SocketAddress?
    package private(set) var server: SocketAddress?
    package private(set) var segments: [Segment] = []
    package private(set) var icmpErrors: [ICMPError] = []
    /// Segments past `limit`, counted.
    package private(set) var omitted = 0
    /// Whether the first segment seen was the opening SYN (else it joined mid-stream).
    package private(set) var sawOpening = false
    /// Each side's state before the first segment: CLOSED and LISTEN for a conversation
    /// seen from its SYN, ESTABLISHED for one joined mid-stream.
    package var initialStates: [TCPConversationTracker.Side: TCPState] {
        sawOpening ? [.client: .closed, .server: .listen] : [.client: .established, .server: .established]
    }

    private var firstTimestamp: Duration?
    private var windowScale: [TCPConversationTracker.Side: UInt8] = [:]
    private var synSeen: Set<TCPConversationTracker.Side> = []
    private var initialSequence: [TCPConversationTracker.Side: UInt32] = [:]

    /// - Parameters:
    ///   - number: which conversation to keep, as the tracker numbers them (0-based).
    ///   - limit: the most segments kept.
    package init(number: Int, limit: Int = 200_000) {
        self.number = number
        self.limit = limit
    }

    /// Whether any segment of the conversation was seen.
    package var isEmpty: Bool { segments.isEmpty && omitted == 0 }

    /// Takes the events of this conversation (and ICMP errors quoting it); ignores the rest.
    package mutating func add(_ event: ConnectionTap.TapEvent) {
        switch event {
        case .tcp(let event) where event.conversation == number: add(event)
        case .icmp(let packet, let message, _): add(packet, message)
        default: break
        }
    }

    private mutating func add(_ event: TCPConversationTracker.Event) {
        let first = firstTimestamp ?? event.timestamp
        if firstTimestamp == nil {
            firstTimestamp = first
            sawOpening = event.segment.flags.contains(.syn) && !event.segment.flags.contains(.ack)
            client = event.from == .client ? event.source : event.destination
            server = event.from == .client ? event.destination : event.source
        }
        let segment = event.segment
        initialSequence[event.from] = segment.sequence &- event.relativeSequence
        if let ack = event.relativeAcknowledgment { initialSequence[event.from.other] = segment.acknowledgment &- ack }
        if segment.flags.contains(.syn) {
            synSeen.insert(event.from)
            windowScale[event.from] = segment.options.lazy.compactMap { if case .windowScale(let shift) = $0 { shift } else { nil } }.first
        }
        guard segments.count < limit else {
            omitted += 1
            return
        }
        segments.append(
            Segment(
                elapsed: event.timestamp - first, from: event.from, flags: segment.flags, sequence: event.relativeSequence,
                acknowledgment: event.relativeAcknowledgment, length: segment.payloadLength, window: scaledWindow(segment, from: event.from),
                sack: sackBlocks(segment, from: event.from), stateChanges: event.stateChanges, notes: event.notes, tls: event.tls.map(\.text)))
    }

    /// RFC 7323 §2.2: the window field is shifted by the sender's scale once both SYNs
    /// offered the option; never in a SYN.
    private func scaledWindow(_ segment: TCPSegment, from side: TCPConversationTracker.Side) -> Int {
        let window = Int(segment.window)
        guard !segment.flags.contains(.syn), synSeen.count == 2, let shift = windowScale[side], windowScale[side.other] != nil else { return window }
        return window << Int(min(shift, 14))
    }

    private func sackBlocks(_ segment: TCPSegment, from side: TCPConversationTracker.Side) -> [Range<UInt32>] {
        guard let base = initialSequence[side.other] else { return [] }
        var blocks: [Range<UInt32>] = []
        for case .sack(let list) in segment.options {
            for block in list {
                let (left, right) = (block.left &- base, block.right &- base)
                if left < right { blocks.append(left..<right) }
            }
        }
        return blocks
    }

    private mutating func add(_ packet: Packet, _ message: ICMPMessage) {
        guard let quoted = message.quoted, quoted.protocolNumber == 6, let client, let server, let first = firstTimestamp,
            let sourcePort = quoted.sourcePort, let destinationPort = quoted.destinationPort
        else { return }
        let pair = (SocketAddress(quoted.source, port: sourcePort), SocketAddress(quoted.destination, port: destinationPort))
        let about: TCPConversationTracker.Side
        if pair == (client, server) {
            about = .client
        } else if pair == (server, client) {
            about = .server
        } else {
            return
        }
        icmpErrors.append(ICMPError(elapsed: packet.timestamp - first, about: about, source: packet.source, meaning: message.meaning))
    }
}
