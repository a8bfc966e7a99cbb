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
public final class ConnectionTap: @unchecked Sendable {
    public typealias Report = @Sendable (TapEvent) -> Void

    /// What the tap reports as it goes.
    public enum TapEvent: Sendable {
        case tcp(TCPConversationTracker.Event)
        case icmp(Packet, ICMPMessage, elapsed: Duration)
        case udp(Packet, elapsed: Duration)
    }

    private let capture: PacketCapture
    private let report: Report
    private var tracker = TCPConversationTracker()
    private let stopAt = Mutex<ContinuousClock.Instant?>(nil)
    private let done = DispatchSemaphore(value: 0)
    private var firstTimestamp: Duration?
    private var started = false
    public private(set) var packetsSeen = 0

    /// Opens the capture at once (so nothing sent after this returns is missed).
    public init(_ options: PacketCapture.Options, report: @escaping Report) throws(SockscopeError) {
        capture = try PacketCapture(options)
        self.report = report
    }

    /// Starts reading packets on a background thread.
    public func start() {
        guard !started else { return }
        started = true
        DispatchQueue.global().async { [self] in
            run()
            done.signal()
        }
    }

    private func run() {
        while true {
            capture.poll(timeout: .milliseconds(20)) { packet, _ in handle(packet) }
            guard let deadline = stopAt.withLock({ $0 }) else { continue }
            let everyoneClosed = !tracker.conversations.isEmpty && tracker.conversations.allSatisfy { conversation in
                conversation.states.values.allSatisfy { $0 == .closed || $0 == .timeWait }
            }
            if everyoneClosed || ContinuousClock.now >= deadline {
                capture.drain { packet, _ in handle(packet) }
                return
            }
        }
    }

    private func handle(_ packet: Packet?) {
        guard let packet else { return }
        packetsSeen += 1
        let first = firstTimestamp ?? packet.timestamp
        firstTimestamp = first
        switch packet.transport {
        case .tcp:
            if let event = tracker.track(packet) { report(.tcp(event)) }
        case .icmp(let message):
            report(.icmp(packet, message, elapsed: packet.timestamp - first))
        case .udp:
            report(.udp(packet, elapsed: packet.timestamp - first))
        case .other:
            break
        }
    }

    /// Stops once every conversation seen has closed (CLOSED or TIME-WAIT) or
    /// `grace` has passed, flushes the pcap file, and returns what was tracked.
    public func finish(grace: Duration) -> (conversations: [TCPConversationTracker.Conversation], statistics: PacketCapture.Statistics?) {
        guard started else { return ([], capture.statistics) }
        stopAt.withLock { $0 = ContinuousClock.now + grace }
        done.wait()
        started = false
        let statistics = capture.statistics
        capture.close()
        return (tracker.conversations, statistics)
    }

    /// The BPF filter for one TCP connection: its own ports and the peer's address.
    public static func filter(local: SocketAddress, remote: SocketAddress) -> String {
        guard let localPort = local.port, let remotePort = remote.port, let peer = remote.ipAddress else { return "tcp" }
        return "tcp and host \(peer) and ((src port \(localPort) and dst port \(remotePort)) or (src port \(remotePort) and dst port \(localPort)))"
    }

    /// The interface traffic to `destination` leaves by: `lo` for loopback, else the
    /// interface holding the source address the routing table picks.
    public static func interface(towards destination: SocketAddress) -> String? {
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
