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
        package var states: PerSide<TCPState>
        package var firstTimestamp: Duration
        /// The latest and the earliest time stamped on its packets (a capture's clock may
        /// step back: the first packet is not always the earliest).
        package var lastTimestamp: Duration = .zero
        package var earliestTimestamp: Duration = .zero
        /// From its earliest packet to its latest (tshark's duration): never negative.
        package var span: Duration { lastTimestamp - earliestTimestamp }
        /// SYN → SYN/ACK (the client's view of the round trip), when both were seen.
        package var handshakeRTT: Duration?
        package var bytes: PerSide<Int> = [.client: 0, .server: 0]
        package var retransmissions = 0
        /// Segments behind the highest sequence number seen that came within the
        /// handshake's round trip of it (reordered on the way), as Wireshark tells them
        /// from retransmissions.
        package var outOfOrder = 0
        package var zeroWindows = 0
        package var resetBy: Side?
        /// The side that sent the first FIN: the one that ends up in TIME-WAIT.
        package var firstToClose: Side?
        package var simultaneousOpen = false
        package var simultaneousClose = false
        package var packets = 0
        /// Packets each side sent.
        package var packetsBy: PerSide<Int> = [.client: 0, .server: 0]
        /// Segments with RST, each side's.
        package var resets: PerSide<Int> = [.client: 0, .server: 0]
        /// Whether the conversation was seen from its SYN (not joined mid-stream).
        package var sawHandshakeStart: Bool { synTimestamp != nil }

        var initialSequence: PerSide<UInt32> = [:]
        var highestSequenceEnd: PerSide<UInt32> = [:]
        /// When each side's highest sequence number last moved on.
        var advancedAt: PerSide<Duration> = [:]
        /// SYN → the ACK of the SYN/ACK (Wireshark's iRTT): below it, a resend is out of order.
        var initialRTT: Duration?
        /// Each side's last acknowledgment number, window and when it sent them, and how
        /// many duplicate ACKs in a row it has sent: a resend of what they ask for,
        /// soon after the second, is a fast retransmission (RFC 5681 §3.2).
        var lastAck: PerSide<UInt32> = [:]
        var lastWindow: PerSide<UInt16> = [:]
        var lastAckAt: PerSide<Duration> = [:]
        var duplicateAcks: PerSide<Int> = [:]
        var finSequence: PerSide<UInt32> = [:]
        var synTimestamp: Duration?
        /// Opened by a SYN that the other side has not answered yet (one of a SYN scan or
        /// flood, perhaps): such conversations are followed up to a bound.
        var awaitingAnswer = false

        package func address(of side: Side) -> SocketAddress { side == .client ? client : server }
    }

    /// The conversations being followed, by number (in the order they began).
    private var table: [Int: Conversation] = [:]
    private var nextNumber = 0
    /// How many conversations have begun (ended ones included).
    package var begun: Int { nextNumber }
    private var index: [Key: Int] = [:]
    /// Conversations dropped by `expireFinished` after their last packet was reported.
    package private(set) var expired = 0
    /// At most this many conversations whose SYN nobody answered are followed: a SYN
    /// scan or flood (a million SYNs) must not take memory without bound. Beyond it the
    /// oldest are forgotten (their packets were reported as they came).
    package var maximumUnanswered = 16_384
    /// Conversations forgotten because of `maximumUnanswered`.
    package private(set) var forgottenUnanswered = 0
    /// Conversations opened by a SYN, in the order they began; entries answered since are
    /// skipped when met (`unansweredCount` is exact).
    private var unansweredOrder: [Int] = []
    private var unansweredHead = 0
    private var unansweredCount = 0

    /// The conversations still followed, oldest first.
    package var conversations: [Conversation] { table.keys.sorted().compactMap { table[$0] } }

    /// A 4-tuple either way round: equal and hashed alike whichever end is first.
    private struct Key: Hashable {
        var a: SocketAddress
        var b: SocketAddress
        init(_ x: SocketAddress, _ y: SocketAddress) { (a, b) = (x, y) }

        static func == (left: Key, right: Key) -> Bool {
            (left.a == right.a && left.b == right.b) || (left.a == right.b && left.b == right.a)
        }

        func hash(into hasher: inout Hasher) { hasher.combine(a.hashValue ^ b.hashValue) }
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
            var conversation = newConversation(segment, source: source, destination: destination, at: packet.timestamp)
            if segment.flags.contains(.syn) && !segment.flags.contains(.ack) {
                conversation.awaitingAnswer = true
                noteUnanswered(number)
            }
            table[number] = conversation
        }
        var event = update(number, segment, source: source, destination: destination, at: packet.timestamp)
        if packet.lengthExceedsPacket { event.notes.append("IP length exceeds packet") }
        for tunnel in packet.tunnels { event.notes.append("in " + tunnel.description) }
        return event
    }

    /// Counts a conversation opened by a SYN, and forgets the oldest unanswered ones past
    /// `maximumUnanswered`.
    private mutating func noteUnanswered(_ number: Int) {
        unansweredOrder.append(number)
        unansweredCount += 1
        while unansweredCount > maximumUnanswered, unansweredHead < unansweredOrder.count {
            let oldest = unansweredOrder[unansweredHead]
            unansweredHead += 1
            guard oldest != number, let conversation = table[oldest], conversation.awaitingAnswer else { continue }
            table[oldest] = nil
            index[Key(conversation.client, conversation.server)] = nil
            unansweredCount -= 1
            forgottenUnanswered += 1
        }
        // The order list holds answered conversations too: keep it near what is waiting.
        if unansweredCount == 0 {
            unansweredOrder.removeAll(keepingCapacity: true)
            unansweredHead = 0
        } else if unansweredHead > 4096 && unansweredHead * 2 > unansweredOrder.count {
            unansweredOrder.removeFirst(unansweredHead)
            unansweredHead = 0
        } else if unansweredOrder.count - unansweredHead > 4 * maximumUnanswered + 4096 {
            unansweredOrder = unansweredOrder[unansweredHead...].filter { table[$0]?.awaitingAnswer == true }
            unansweredHead = 0
        }
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
            if conversation.awaitingAnswer { unansweredCount -= 1 }
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
        conversation.lastTimestamp = time
        conversation.earliestTimestamp = time
        if !isOpening {
            // Joined mid-stream: number from the first packets seen, as tcpdump does.
            conversation.initialSequence[sourceIsClient ? .client : .server] = segment.sequence &- 1
            if segment.flags.contains(.ack) { conversation.initialSequence[sourceIsClient ? .server : .client] = segment.acknowledgment &- 1 }
        }
        return conversation
    }

    private mutating func update(_ number: Int, _ segment: TCPSegment, source: SocketAddress, destination: SocketAddress, at time: Duration) -> Event {
        // Taken out of the table while it changes, so its dictionaries are not copied.
        let current = table.removeValue(forKey: number) ?? newConversation(segment, source: source, destination: destination, at: time)
        var step = Step(conversation: current, from: source == current.client ? .client : .server)
        step.conversation.packets += 1
        step.conversation.packetsBy[step.from, default: 0] += 1
        if step.from == .server && step.conversation.awaitingAnswer {
            step.conversation.awaitingAnswer = false
            unansweredCount -= 1
        }
        if segment.flags.contains(.rst) { step.conversation.resets[step.from, default: 0] += 1 }
        step.conversation.lastTimestamp = max(step.conversation.lastTimestamp, time)
        step.conversation.earliestTimestamp = min(step.conversation.earliestTimestamp, time)
        let (relativeSequence, relativeAck) = step.number(segment)
        step.account(segment, at: time)
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

        /// Retransmissions and out-of-order segments, zero windows, bytes.
        mutating func account(_ segment: TCPSegment, at time: Duration) {
            let flags = segment.flags
            if from == .client, flags.contains(.ack), !flags.contains(.syn), conversation.initialRTT == nil, conversation.handshakeRTT != nil,
                let synTime = conversation.synTimestamp
            {
                conversation.initialRTT = time - synTime
            }
            countDuplicateAck(segment)
            if segment.sequenceLength > 0 { classifyResend(segment, at: time) }
            conversation.lastAck[from] = flags.contains(.ack) ? segment.acknowledgment : nil
            conversation.lastWindow[from] = segment.window
            conversation.lastAckAt[from] = time
            if segment.window == 0 && !flags.contains(.rst) {
                conversation.zeroWindows += 1
                notes.append("zero window")
            }
            conversation.bytes[from, default: 0] += segment.payloadLength
        }

        /// Wireshark's rules (packet-tcp.c, in its order), so the counts agree with tshark's
        /// `tcp.analysis.retransmission` and `tcp.analysis.out_of_order`: a keep-alive (at
        /// most one byte at the highest number less one) is neither; data the other side
        /// has already acknowledged is a spurious retransmission (tshark flags it a
        /// retransmission too); a segment starting below the highest sequence number this
        /// side sent is a fast retransmission when it answers duplicate ACKs, out of order
        /// when it comes within the handshake's round trip (3 ms when unknown) of that
        /// number moving on and does not end exactly there, else a retransmission.
        private mutating func classifyResend(_ segment: TCPSegment, at time: Duration) {
            let end = segment.sequence &+ segment.sequenceLength
            defer {
                if conversation.highestSequenceEnd[from].map({ Int32(bitPattern: end &- $0) > 0 }) ?? true {
                    conversation.highestSequenceEnd[from] = end
                    conversation.advancedAt[from] = time
                }
            }
            guard let next = conversation.highestSequenceEnd[from] else { return }
            let length = segment.payloadLength
            let plain = segment.flags.isDisjoint(with: [.syn, .fin, .rst])
            if plain && length <= 1 && segment.sequence == next &- 1 { return }  // a keep-alive
            if length > 0, let acknowledged = conversation.lastAck[to], acknowledged != 0,
                Int32(bitPattern: segment.sequence &+ UInt32(truncatingIfNeeded: length) &- acknowledged) <= 0
            {
                conversation.retransmissions += 1
                notes.append("spurious retransmission")
                return
            }
            guard Int32(bitPattern: segment.sequence &- next) < 0, !(length > 1 && segment.sequence == next &- 1) else { return }
            let sinceAdvance = time - (conversation.advancedAt[from] ?? time)
            if isFastRetransmission(segment, at: time) {
                conversation.retransmissions += 1
                notes.append("fast retransmission")
            } else if sinceAdvance < conversation.initialRTT ?? .milliseconds(3) && next != end {
                conversation.outOfOrder += 1
                notes.append("out of order")
            } else {
                conversation.retransmissions += 1
                notes.append("retransmission")
            }
        }

        /// Wireshark's duplicate ACK: no data, the same non-zero window and ACK as this
        /// side's previous segment, at its highest sequence number, no SYN, FIN or RST.
        private mutating func countDuplicateAck(_ segment: TCPSegment) {
            let duplicate =
                segment.payloadLength == 0 && segment.window != 0 && segment.window == conversation.lastWindow[from]
                && segment.flags.contains(.ack) && segment.flags.isDisjoint(with: [.syn, .fin, .rst])
                && segment.sequence == conversation.highestSequenceEnd[from] && segment.acknowledgment == conversation.lastAck[from]
            conversation.duplicateAcks[from] = duplicate ? conversation.duplicateAcks[from, default: 0] + 1 : 0
        }

        /// A resend of exactly what the other side's two or more duplicate ACKs ask for,
        /// within 20 ms of the last (Wireshark's rule).
        private func isFastRetransmission(_ segment: TCPSegment, at time: Duration) -> Bool {
            guard conversation.duplicateAcks[to, default: 0] >= 2, conversation.lastAck[to] == segment.sequence, let at = conversation.lastAckAt[to] else {
                return false
            }
            return time - at < .milliseconds(20)
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
            // Acknowledging the other's FIN shows this side has had it, though the
            // tracker had not moved it on (the FINs crossed; that FIN arrived later).
            if flags.contains(.ack), let theirs = conversation.finSequence[to], Int32(bitPattern: segment.acknowledgment &- (theirs &+ 1)) >= 0 {
                switch conversation.states[from] {
                case .finWait1: enter(from, .closing)
                case .finWait2: enter(from, .timeWait)
                default: break
                }
            }
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
                // The FINs crossed: this side's ACK does not cover the other's FIN, so
                // that FIN had not arrived (lost or still on its way) and this side was
                // not in CLOSE-WAIT but ESTABLISHED: a simultaneous close (RFC 9293 §3.6).
                if conversation.states[from] == .closeWait, flags.contains(.ack), let theirs = conversation.finSequence[to],
                    Int32(bitPattern: segment.acknowledgment &- (theirs &+ 1)) < 0
                {
                    conversation.states[from] = .established
                    notes.append("FINs crossed")
                }
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
