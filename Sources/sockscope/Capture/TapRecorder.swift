import Glibc
import SockscopeCore
import Synchronization

/// Runs the tap for one client connection: starts capturing when the socket is bound
/// (before connect), prints the timeline on stderr as packets come, and after the
/// close prints the summary and the kernel's TIME-WAIT.
final class TapRecorder: Sendable {
    private let options: TapOptions.Values
    private let tap = Mutex<ConnectionTap?>(nil)
    /// The first conversation's segments, for --diagram and --plot (filled on the
    /// capture thread, read after `finish`).
    private let recording = Mutex(ConversationRecording(number: 0))

    private let pictures: PictureFiles?
    /// The socket calls of a `-v` run, named in the pcapng comments.
    private let calls: SocketCallLog?
    /// The timeline goes to stderr: coloured when that is a terminal (`--color`).
    private let style = Style(enabled: Diagnostics.usesColour(2))

    /// - Throws: exit 73 when a --diagram or --plot file cannot be created.
    init(options: TapOptions.Values, calls: SocketCallLog? = nil) throws(SockscopeError) {
        self.options = options
        self.calls = calls
        pictures = options.pictures.enabled ? try PictureFiles(options.pictures) : nil
    }

    /// The timeline line on stderr, and the segment kept for the pictures; returns the
    /// packet's comment for a pcapng file: the socket call that sent it (`-v`), then
    /// the annotation.
    private func report(_ event: ConnectionTap.TapEvent) -> String? {
        Diagnostics.line(TapTimeline.line(event, style: style))
        if options.pictures.enabled { recording.withLock { $0.add(event) } }
        guard options.pcapOut != nil else { return nil }
        guard let calls, case .tcp(let segment) = event,
            let call = calls.call(from: segment.source, to: segment.destination, at: segment.timestamp)
        else { return event.annotation }
        return (["call " + call] + [event.annotation].compactMap { $0 }).joined(separator: "; ")
    }

    /// For `Connector.Request.beforeConnect`: open the capture for this 4-tuple.
    @Sendable func start(_ socket: Socket, _ local: SocketAddress) throws(SockscopeError) {
        guard let remote = socket.pendingDestination else { return }
        try start(local: local, remote: remote)
    }

    func start(local: SocketAddress, remote: SocketAddress) throws(SockscopeError) {
        // An earlier address was refused: finish its capture (and close its pcap file)
        // before the next attempt's, so a file never gets two writers. The file then
        // holds the attempt that connected.
        if let previous = tap.withLock({ current -> ConnectionTap? in
            defer { current = nil }
            return current
        }) {
            _ = previous.finish(grace: .zero)
            if let failure = previous.writeFailure { throw failure }
            // Its tracker numbered from 0 as the next one will: the pictures, like the
            // file, show the attempt that connected.
            recording.withLock { $0 = ConversationRecording(number: 0) }
        }
        guard let interface = options.interface ?? ConnectionTap.interface(towards: remote) else {
            throw .usage("cannot tell which interface reaches \(remote); name one with --tap-interface")
        }
        let filter = ConnectionTap.filter(local: local, remote: remote)
        let capture = try ConnectionTap(options.captureOptions(interface: interface, filter: filter)) { [self] event in report(event) }
        Diagnostics.line("tap: capturing on \(options.interface ?? interface): \(filter)")
        capture.start()
        tap.withLock { $0 = capture }
    }

    /// For `ListenRequest.beforeListen`: capture every connection to the listener's port.
    @Sendable func startListening(_ bound: SocketAddress) throws(SockscopeError) {
        guard let port = bound.port else { return }
        let interface = options.interface ?? (bound.ipAddress.map { $0.isLoopback || $0 == .v4(.any) || $0 == .v6(.any) } == true ? "lo" : "any")
        let filter = "tcp port \(port)"
        let capture = try ConnectionTap(options.captureOptions(interface: interface, filter: filter)) { [self] event in report(event) }
        Diagnostics.line("tap: capturing on \(interface): \(filter)")
        capture.start()
        tap.withLock { $0 = capture }
    }

    /// For `forward`'s `ListenRequest.beforeListen`: capture both legs of every forwarded
    /// connection — clients to the listener's port, and ours to the target — on one
    /// timeline (lo when both are on loopback, else any).
    func startForwarding(_ bound: SocketAddress, target: SocketAddress) throws(SockscopeError) {
        guard let port = bound.port, let targetPort = target.port, let targetHost = target.ipAddress else { return }
        let loopback = bound.ipAddress?.isLoopback == true && targetHost.isLoopback
        let interface = options.interface ?? (loopback ? "lo" : "any")
        let filter = "tcp port \(port) or (tcp and host \(targetHost) and port \(targetPort))"
        let capture = try ConnectionTap(options.captureOptions(interface: interface, filter: filter)) { [self] event in report(event) }
        Diagnostics.line("tap: capturing on \(interface): \(filter)")
        capture.start()
        tap.withLock { $0 = capture }
    }

    /// Stops after the teardown (or a grace second), then prints the summary.
    /// - Throws: the interruption, when SIGINT or SIGTERM ends --follow-timewait.
    func finish() throws(SockscopeError) {
        guard
            let capture = tap.withLock({ current -> ConnectionTap? in
                defer { current = nil }
                return current
            })
        else { return }
        let result = capture.finish(grace: .seconds(1))
        for line in TapTimeline.summary(result.conversations, statistics: result.statistics, packets: capture.packetsSeen) {
            Diagnostics.line(line)
        }
        if let failure = capture.writeFailure { throw failure }
        if let path = options.pcapOut { Diagnostics.line("tap: packets written to \(path)") }
        try pictures?.write(recording.withLock { $0 }, what: "the first connection captured")
        guard options.followTimeWait, let conversation = result.conversations.last else { return }
        try followTimeWait(conversation)
    }

    /// Reports the TIME-WAIT socket every second until the kernel drops it (bounded by 61 s).
    private func followTimeWait(_ conversation: TCPConversationTracker.Conversation) throws(SockscopeError) {
        for _ in 0..<62 {
            guard let socket = TimeWait.holder(of: conversation)?.socket else {
                Diagnostics.line("tap: TIME-WAIT is over: the kernel has dropped \(conversation.client) ↔ \(conversation.server)")
                return
            }
            Diagnostics.line("tap: \(socket.local) → \(socket.remote) TIME-WAIT, \(socket.timeWaitLeft.map(Timestamp.seconds) ?? "?") left")
            do { try EventLoop.sleep(for: .seconds(1)) } catch { throw SockscopeError(error) }
        }
    }
}
