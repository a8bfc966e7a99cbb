import Dispatch
import Synchronization

/// Captures a connection's packets on a thread of its own while the connection
/// runs, annotating each with the TCP states it causes, and hands the annotations
/// to `report` as they happen.
///
/// Threading: after `start`, only the capture thread touches the capture and the
/// tracker; `finish` asks it to stop and waits for it (a semaphore), after which
/// the caller may read `conversations` and `statistics`. That hand-over is why the
/// class can be shared with the thread (`@unchecked Sendable`).
package final class ConnectionTap: @unchecked Sendable {
    /// Handed each event as it happens; returns the comment the packet carries in a
    /// pcapng file (nil for none: ``TapEvent/annotation`` is the tap's own).
    package typealias Report = @Sendable (TapEvent) -> String?

    /// What the tap reports as it goes.
    package enum TapEvent: Sendable {
        case tcp(TCPConversationTracker.Event)
        case icmp(Packet, ICMPMessage, elapsed: Duration)
        case udp(Packet, elapsed: Duration)
        /// A packet whose transport header the snap length cut short (`[|tcp]`).
        case truncated(Packet, elapsed: Duration)
    }

    private let capture: PacketCapture
    private let report: Report
    private var annotator = PacketAnnotator()
    /// Set by `finish`: when to stop at the latest, and the capture loop to wake for it.
    private let stop = Mutex<(deadline: ContinuousClock.Instant?, remote: EventLoop.Remote?)>((nil, nil))
    private let done = DispatchSemaphore(value: 0)
    private var started = false
    package private(set) var packetsSeen = 0

    /// Opens the capture at once (so nothing sent after this returns is missed).
    package init(_ options: PacketCapture.Options, report: @escaping Report) throws(SockscopeError) {
        capture = try PacketCapture(options)
        self.report = report
    }

    /// Reads the packets waiting now, on the caller's thread (for a tap never started:
    /// the demo hands over each step's packets with the calls that caused them).
    package func drainNow() {
        guard !started else { return }
        capture.drain { packet, _ in handle(packet) }
    }

    /// Starts reading packets on a background thread.
    package func start() {
        guard !started else { return }
        started = true
        DispatchQueue.global().async { [self] in
            run()
            done.signal()
        }
    }

    /// The capture thread's loop: the capture's selectable descriptor drained as it is
    /// ready; `finish` wakes the loop (through its `Remote`) to set the deadline.
    private func run() {
        do {
            let loop = try EventLoop()
            let remote = try loop.remote()
            stop.withLock { $0.remote = remote }
            try loop.register(capture.selectableDescriptor, .readable) { [self] _ in capture.drain { packet, _ in handle(packet) } }
            var deadlineSet = false
            try loop.run(
                until: { [self] in
                    guard let deadline = stop.withLock({ $0.deadline }) else { return false }
                    return everyoneClosed || ContinuousClock.now >= deadline
                },
                prepare: { [self] in
                    guard !deadlineSet, let deadline = stop.withLock({ $0.deadline }) else { return }
                    deadlineSet = true
                    loop.schedule(at: deadline) {}
                })
        } catch {
            // SIGINT or SIGTERM (or no loop could be made): keep what has arrived, and stop.
        }
        capture.drain { packet, _ in handle(packet) }
    }

    /// Every conversation seen has closed (CLOSED or TIME-WAIT).
    private var everyoneClosed: Bool {
        !annotator.tracker.conversations.isEmpty
            && annotator.tracker.conversations.allSatisfy { conversation in
                conversation.states.values.allSatisfy { $0 == .closed || $0 == .timeWait }
            }
    }

    private func handle(_ packet: Packet?) -> String? {
        guard let packet else { return nil }
        packetsSeen += 1
        guard let event = annotator.annotate(packet) else { return nil }
        return report(event)
    }

    /// Stops once every conversation seen has closed (CLOSED or TIME-WAIT) or
    /// `grace` has passed, flushes the pcap file, and returns what was tracked.
    package func finish(grace: Duration) -> (conversations: [TCPConversationTracker.Conversation], statistics: PacketCapture.Statistics?) {
        guard started else {
            drainNow()
            let statistics = capture.statistics
            capture.close()
            return (annotator.tracker.conversations, statistics)
        }
        stop.withLock { state in
            state.deadline = ContinuousClock.now + grace
            return state.remote
        }?.wake()
        done.wait()
        started = false
        let statistics = capture.statistics
        capture.close()
        return (annotator.tracker.conversations, statistics)
    }

    /// Set after `finish` when the pcap file could not be written completely.
    package var writeFailure: SockscopeError? { capture.writeFailure }

    /// The BPF filter for one TCP connection: its own ports and the peer's address.
    package static func filter(local: SocketAddress, remote: SocketAddress) -> String {
        guard let localPort = local.port, let remotePort = remote.port, let peer = remote.ipAddress else { return "tcp" }
        return "tcp and host \(peer) and ((src port \(localPort) and dst port \(remotePort)) or (src port \(remotePort) and dst port \(localPort)))"
    }

    /// The interface traffic to `destination` leaves by: `lo` for loopback, else the
    /// interface holding the source address the routing table picks.
    package static func interface(towards destination: SocketAddress) -> String? {
        if destination.ipAddress?.isLoopback == true { return "lo" }
        guard let probe = try? Socket(family: destination.family, type: .datagram) else { return nil }
        defer { probe.close() }
        guard (try? probe.connect(to: destination, timeout: nil)) != nil, let local = probe.localAddress?.ipAddress else { return nil }
        for interface in NetworkInterface.all() {
            if case .v4(let address) = local, interface.ipv4.contains(where: { $0.address == address }) { return interface.name }
        }
        if case .v6 = local { return "any" }
        return nil
    }
}

/// Turns captured packets into tap events: TCP segments through the conversation
/// tracker (states, relative numbers), ICMP and UDP with their time since the first
/// packet. The one path from a packet to what the tap shows, for `--tap` and `tap`.
package struct PacketAnnotator {
    package private(set) var tracker = TCPConversationTracker()
    private var firstTimestamp: Duration?
    private var sinceExpiry = 0
    /// When set, finished conversations quiet for this long are forgotten (a long `tap`).
    package var expireAfter: Duration?

    package init(expireAfter: Duration? = nil) { self.expireAfter = expireAfter }

    /// TLS record decoders, by conversation and sending side: made for a stream whose
    /// first data looks like a TLS handshake record, dropped with its conversation.
    private var tlsStreams: [Int: [TCPConversationTracker.Side: TLSStreamDecoder]] = [:]

    /// Cuts the segment's captured data into TLS records (when its stream is TLS),
    /// then drops the data: events keep only what was learned from it.
    private mutating func decodeTLS(_ event: inout TCPConversationTracker.Event) {
        defer { event.segment.payload = [] }
        let segment = event.segment
        guard segment.payloadLength > 0 else { return }
        var decoder = tlsStreams[event.conversation]?[event.from]
        if decoder == nil {
            // A handshake record, or an alert (a server refusing a ClientHello answers with one).
            let looksLikeTLS = segment.payload.count >= 3 && (21...22).contains(segment.payload[0]) && segment.payload[1] == 3
            guard looksLikeTLS else { return }
            decoder = TLSStreamDecoder()
        }
        guard var stream = decoder else { return }
        event.tls = stream.feed(sequence: event.relativeSequence, payload: segment.payload, length: segment.payloadLength)
        tlsStreams[event.conversation, default: [:]][event.from] = stream
        if tlsStreams.count > 4096 { tlsStreams.removeAll() }  // a long tap: start afresh rather than grow
    }

    /// The event `packet` makes, or nil for a packet the tap does not show.
    package mutating func annotate(_ packet: Packet) -> ConnectionTap.TapEvent? {
        let first = firstTimestamp ?? packet.timestamp
        firstTimestamp = first
        sinceExpiry += 1
        if let expireAfter, sinceExpiry >= 1024 {
            sinceExpiry = 0
            tracker.expireFinished(quiet: expireAfter, now: packet.timestamp)
        }
        switch packet.transport {
        case .tcp:
            guard var event = tracker.track(packet) else { return nil }
            decodeTLS(&event)
            return .tcp(event)
        case .icmp(let message): return .icmp(packet, message, elapsed: packet.timestamp - first)
        case .udp: return .udp(packet, elapsed: packet.timestamp - first)
        case .truncated: return .truncated(packet, elapsed: packet.timestamp - first)
        case .other: return nil
        }
    }
}
