/// Follows TCP conversations packet by packet and works out what each side's state
/// becomes (RFC 9293), the way the two kernels do: a side changes state when it
/// sends (SYN → SYN-SENT, FIN → FIN-WAIT-1 or LAST-ACK, RST → CLOSED) and when it
/// receives (a SYN/ACK or the ACK of its SYN → ESTABLISHED, a FIN → CLOSE-WAIT or
/// TIME-WAIT, the ACK of its FIN → FIN-WAIT-2, TIME-WAIT or CLOSED).
///
/// Sequence and acknowledgment numbers are made relative to each side's initial
/// sequence number, as tcpdump shows them by default.
package struct TCPConversationTracker: Sendable {
    /// Which end of a conversation: the one that sent the first SYN is the client.
    package enum Side: String, Sendable {
        case client, server

        package var other: Side { self == .client ? .server : .client }
    }

    /// One annotated packet.
    package struct Event: Sendable {
        package var conversation: Int
        /// Since the conversation's first packet.
        package var elapsed: Duration
        /// When it was captured (since the epoch, as pcap records it).
        package var timestamp: Duration
        package var from: Side
        package var source: SocketAddress
        package var destination: SocketAddress
        package var segment: TCPSegment
        package var relativeSequence: UInt32
        /// Relative to the other side's initial sequence number; nil without ACK.
        package var relativeAcknowledgment: UInt32?
        /// The states entered because of this packet, sender first.
        package var stateChanges: [(side: Side, state: TCPState)]
        /// retransmission, zero window, …
        package var notes: [String]
        /// The TLS records this segment completed, when its stream is TLS and its data
        /// was captured.
        package var tls: [TLSRecordSummary] = []
    }

    /// What is known about a conversation so far.
    package struct Conversation: Sendable {
        package var client: SocketAddress
        package var server: SocketAddress
        package var states: [Side: TCPState]
        package var firstTimestamp: Duration
        /// When its last packet was seen.
        package var lastTimestamp: Duration = .zero
        /// SYN → SYN/ACK (the client's view of the round trip), when both were seen.
        package var handshakeRTT: Duration?
        package var bytes: [Side: Int] = [.client: 0, .server: 0]
        package var retransmissions = 0
        /// Data that filled a hole: sent after later data was already seen (reordered on
        /// the way, or a capture point past a drop), not a resend of what was seen.
        package var outOfOrder = 0
        package var zeroWindows = 0
        package var resetBy: Side?
        /// The side that sent the first FIN: the one that ends up in TIME-WAIT.
        package var firstToClose: Side?
        package var simultaneousOpen = false
        package var simultaneousClose = false
        package var packets = 0
        /// Packets each side sent.
        package var packetsBy: [Side: Int] = [.client: 0, .server: 0]
        /// Segments with RST, each side's.
        package var resets: [Side: Int] = [.client: 0, .server: 0]
        /// Whether the conversation was seen from its SYN (not joined mid-stream).
        package var sawHandshakeStart: Bool { synTimestamp != nil }

        var initialSequence: [Side: UInt32] = [:]
        var highestSequenceEnd: [Side: UInt32] = [:]
        /// Sequence ranges each side skipped (later data seen first), at most 16: data
        /// inside one is out of order, not a retransmission.
        var holes: [Side: [Range<UInt32>]] = [:]
        var finSequence: [Side: UInt32] = [:]
        var synTimestamp: Duration?

        package func address(of side: Side) -> SocketAddress { side == .client ? client : server }
    }

    /// The conversations being followed, by number (in the order they began).
    private var table: [Int: Conversation] = [:]
    private var nextNumber = 0
    private var index: [Key: Int] = [:]
    /// Conversations dropped by `expireFinished` after their last packet was reported.
    package private(set) var expired = 0

    /// The conversations still followed, oldest first.
    package var conversations: [Conversation] { table.keys.sorted().compactMap { table[$0] } }

    private struct Key: Hashable {
        var a: SocketAddress
        var b: SocketAddress
        init(_ x: SocketAddress, _ y: SocketAddress) {
            (a, b) = "\(x)" < "\(y)" ? (x, y) : (y, x)
        }
    }

    package init() {}

    /// Feeds one packet; returns its annotation, or nil for anything but TCP.
    package mutating func track(_ packet: Packet) -> Event? {
        guard case .tcp(let segment) = packet.transport else { return nil }
        let source = SocketAddress(packet.source, port: segment.sourcePort)
        let destination = SocketAddress(packet.destination, port: segment.destinationPort)
        let key = Key(source, destination)
        let number: Int
        if let known = index[key], table[known] != nil, !startsNewConversation(known, segment, from: source) {
            number = known
        } else {
            number = nextNumber
            nextNumber += 1
            index[key] = number
            table[number] = newConversation(segment, source: source, destination: destination, at: packet.timestamp)
        }
        return update(number, segment, source: source, destination: destination, at: packet.timestamp)
    }

    /// A fresh SYN on a 4-tuple whose conversation is over (closed or in TIME-WAIT) starts a new one.
    private func startsNewConversation(_ number: Int, _ segment: TCPSegment, from source: SocketAddress) -> Bool {
        guard segment.flags.contains(.syn), !segment.flags.contains(.ack) else { return false }
        guard let conversation = table[number] else { return true }
        return conversation.states.values.allSatisfy { $0 == .closed || $0 == .timeWait }
    }

    /// Forgets conversations that are over (CLOSED or TIME-WAIT on both sides) and saw
    /// no packet for `quiet` before `now`: a long capture keeps only what is live, and
    /// memory does not grow with the number of connections seen.
    package mutating func expireFinished(quiet: Duration, now: Duration) {
        for (number, conversation) in table
        where conversation.lastTimestamp + quiet <= now && conversation.states.values.allSatisfy({ $0 == .closed || $0 == .timeWait }) {
            table[number] = nil
            index[Key(conversation.client, conversation.server)] = nil
            expired += 1
        }
    }

    private func newConversation(_ segment: TCPSegment, source: SocketAddress, destination: SocketAddress, at time: Duration) -> Conversation {
        let isOpening = segment.flags.contains(.syn)
        // The side sending SYN without ACK (or, mid-stream, the higher port) is the client.
        let sourceIsClient: Bool
        if isOpening {
            sourceIsClient = !segment.flags.contains(.ack)
        } else {
            sourceIsClient = segment.sourcePort > segment.destinationPort
        }
        let initial: TCPState = isOpening ? .closed : .established
        var conversation = Conversation(
            client: sourceIsClient ? source : destination, server: sourceIsClient ? destination : source,
            states: [.client: initial, .server: isOpening ? .listen : .established], firstTimestamp: time)
        if !isOpening {
            // Joined mid-stream: number from the first packets seen, as tcpdump does.
            conversation.initialSequence[sourceIsClient ? .client : .server] = segment.sequence &- 1
            if segment.flags.contains(.ack) { conversation.initialSequence[sourceIsClient ? .server : .client] = segment.acknowledgment &- 1 }
        }
        return conversation
    }

    private mutating func update(_ number: Int, _ segment: TCPSegment, source: SocketAddress, destination: SocketAddress, at time: Duration) -> Event {
        let current = table[number] ?? newConversation(segment, source: source, destination: destination, at: time)
        var step = Step(conversation: current, from: source == current.client ? .client : .server)
        step.conversation.packets += 1
        step.conversation.packetsBy[step.from, default: 0] += 1
        if segment.flags.contains(.rst) { step.conversation.resets[step.from, default: 0] += 1 }
        step.conversation.lastTimestamp = time
        let (relativeSequence, relativeAck) = step.number(segment)
        step.account(segment)
        if segment.flags.contains(.rst) {
            step.reset()
        } else {
            step.sent(segment, at: time)
            step.received(segment)
        }
        table[number] = step.conversation
        return Event(
            conversation: number, elapsed: time - step.conversation.firstTimestamp, timestamp: time, from: step.from, source: source,
            destination: destination, segment: segment, relativeSequence: relativeSequence, relativeAcknowledgment: relativeAck,
            stateChanges: step.changes, notes: step.notes)
    }

    /// One segment's effect on its conversation: the states each side enters (RFC 9293),
    /// in order, and what is worth noting about it.
    private struct Step {
        var conversation: Conversation
        /// The side that sent the segment.
        let from: Side
        var changes: [(Side, TCPState)] = []
        var notes: [String] = []

        /// The side that receives it.
        var to: Side { from.other }

        mutating func enter(_ side: Side, _ state: TCPState) {
            guard conversation.states[side] != state else { return }
            conversation.states[side] = state
            changes.append((side, state))
        }

        /// Sequence and acknowledgment numbers relative to each side's ISN (as tcpdump).
        mutating func number(_ segment: TCPSegment) -> (sequence: UInt32, acknowledgment: UInt32?) {
            let flags = segment.flags
            if flags.contains(.syn) { conversation.initialSequence[from] = segment.sequence }
            if conversation.initialSequence[from] == nil { conversation.initialSequence[from] = segment.sequence &- 1 }
            if flags.contains(.ack), conversation.initialSequence[to] == nil { conversation.initialSequence[to] = segment.acknowledgment &- 1 }
            let base = conversation.initialSequence[from] ?? segment.sequence
            let acknowledgment = flags.contains(.ack) ? segment.acknowledgment &- (conversation.initialSequence[to] ?? 0) : nil
            return (segment.sequence &- base, acknowledgment)
        }

        /// Retransmissions (sequence space this side already sent), zero windows, bytes.
        mutating func account(_ segment: TCPSegment) {
            let end = segment.sequence &+ segment.sequenceLength
            if segment.sequenceLength > 0 {
                if let highest = conversation.highestSequenceEnd[from], Int32(bitPattern: end &- highest) <= 0 {
                    if fillsHole(segment) {
                        conversation.outOfOrder += 1
                        notes.append("out of order")
                    } else {
                        conversation.retransmissions += 1
                        notes.append("retransmission")
                    }
                } else {
                    if let highest = conversation.highestSequenceEnd[from], Int32(bitPattern: segment.sequence &- highest) > 0 {
                        rememberHole(from: highest, to: segment.sequence)
                    }
                    conversation.highestSequenceEnd[from] = end
                }
            }
            if segment.window == 0 && !segment.flags.contains(.rst) {
                conversation.zeroWindows += 1
                notes.append("zero window")
            }
            conversation.bytes[from, default: 0] += segment.payloadLength
        }

        /// Whether the segment's data lies in a hole this side left (relative to its
        /// initial sequence number, so the ranges never wrap); the hole shrinks by it.
        private mutating func fillsHole(_ segment: TCPSegment) -> Bool {
            let base = conversation.initialSequence[from] ?? 0
            let start = segment.sequence &- base
            let end = start &+ segment.sequenceLength
            guard start < end, var holes = conversation.holes[from],
                let index = holes.firstIndex(where: { $0.lowerBound <= start && end <= $0.upperBound })
            else { return false }
            let hole = holes.remove(at: index)
            if hole.lowerBound < start { holes.append(hole.lowerBound..<start) }
            if end < hole.upperBound { holes.append(end..<hole.upperBound) }
            conversation.holes[from] = holes
            return true
        }

        private mutating func rememberHole(from highest: UInt32, to sequence: UInt32) {
            let base = conversation.initialSequence[from] ?? 0
            let (start, end) = (highest &- base, sequence &- base)
            guard start < end else { return }
            var holes = conversation.holes[from] ?? []
            if holes.count == 16 { holes.removeFirst() }
            holes.append(start..<end)
            conversation.holes[from] = holes
        }

        /// RST: both sides are CLOSED at once.
        mutating func reset() {
            conversation.resetBy = conversation.resetBy ?? from
            notes.append("reset by \(from.rawValue)")
            enter(from, .closed)
            enter(to, .closed)
        }

        /// What sending SYN or FIN does to the sender.
        mutating func sent(_ segment: TCPSegment, at time: Duration) {
            let flags = segment.flags
            if flags.contains(.syn) {
                if flags.contains(.ack) {
                    if conversation.states[from] == .synSent { conversation.simultaneousOpen = true }
                    enter(from, .synReceived)
                    if let synTime = conversation.synTimestamp, conversation.handshakeRTT == nil {
                        conversation.handshakeRTT = time - synTime
                    }
                } else {
                    if conversation.states[from] == .listen || conversation.states[to] == .synSent && from == .server {
                        conversation.simultaneousOpen = true
                    }
                    enter(from, .synSent)
                    conversation.synTimestamp = conversation.synTimestamp ?? time
                }
            }
            if flags.contains(.fin) {
                conversation.finSequence[from] = segment.sequence &+ UInt32(segment.payloadLength)
                conversation.firstToClose = conversation.firstToClose ?? from
                switch conversation.states[from] {
                case .closeWait: enter(from, .lastAck)
                case .established, .synReceived, .synSent: enter(from, .finWait1)
                default: break
                }
            }
        }

        /// What receiving the segment's ACK and FIN does to the other side.
        mutating func received(_ segment: TCPSegment) {
            let flags = segment.flags
            if flags.contains(.ack) { acknowledged(segment.acknowledgment, withSYN: flags.contains(.syn)) }
            if flags.contains(.fin) {
                switch conversation.states[to] {
                case .established, .synReceived: enter(to, .closeWait)
                case .finWait1:
                    conversation.simultaneousClose = true
                    enter(to, .closing)
                case .finWait2: enter(to, .timeWait)
                default: break
                }
            }
        }

        private mutating func acknowledged(_ acknowledged: UInt32, withSYN: Bool) {
            if conversation.states[to] == .synSent && withSYN {
                enter(to, .established)  // the SYN/ACK: the client's SYN is acknowledged
            } else if conversation.states[to] == .synReceived, let isn = conversation.initialSequence[to],
                acknowledged == isn &+ 1 || Int32(bitPattern: acknowledged &- isn) > 0
            {
                enter(to, .established)
                if conversation.states[from] == .synReceived { enter(from, .established) }
            }
            if conversation.states[from] == .synReceived, !withSYN {
                enter(from, .established)
            }
            if let fin = conversation.finSequence[to], Int32(bitPattern: acknowledged &- (fin &+ 1)) >= 0 {
                switch conversation.states[to] {
                case .finWait1: enter(to, .finWait2)
                case .closing: enter(to, .timeWait)
                case .lastAck: enter(to, .closed)
                default: break
                }
            }
        }
    }
}
