import Glibc
import SystemPackage

/// Relays datagrams between stdin/stdout and a UDP (or Unix datagram) socket.
///
/// Each read from stdin becomes one datagram; each datagram received is written to
/// stdout whole. Datagrams keep their boundaries; an empty one is valid. There is
/// no end-of-stream in UDP, so after stdin ends the relay keeps printing replies
/// until none has come for `replyWait`.
public final class DatagramRelay {
    /// Who outgoing datagrams go to.
    public enum Peer {
        /// The socket is connected: `send` goes to its peer, and ICMP errors for it
        /// come back as ECONNREFUSED.
        case connected
        /// Reply to whoever sent the last datagram, like `nc -lu`; stdin is not read
        /// until someone has sent something.
        case lastSender
    }

    /// The largest UDP payload over IPv4: 65,535 − 20 (IP header) − 8 (UDP header).
    public static let maximumPayload = 65_507

    public struct Options: Sendable {
        /// End after this long with no datagram either way.
        public var idleTimeout: Duration?
        /// After stdin ends, how long to wait for more replies.
        public var replyWait: Duration = .milliseconds(500)
        /// Bytes read from stdin per datagram.
        public var datagramSize: Int = DatagramRelay.maximumPayload
        /// Echo each received datagram back to its sender (transformed), instead of writing it out.
        public var echo: ByteTransform?

        public init(idleTimeout: Duration? = nil, replyWait: Duration = .milliseconds(500), datagramSize: Int = DatagramRelay.maximumPayload, echo: ByteTransform? = nil) {
            self.idleTimeout = idleTimeout
            self.replyWait = replyWait
            self.datagramSize = datagramSize
            self.echo = echo
        }
    }

    /// Counts for a finished relay.
    public struct Report: Sendable {
        public var datagramsSent = 0
        public var bytesSent = 0
        public var datagramsReceived = 0
        public var bytesReceived = 0
        public var timedOut = false
    }

    private let socket: Socket
    private let input: Int32?
    private let output: Int32
    private let peerMode: Peer
    private let options: Options
    private let notices: SocketTracer
    private var lastSender: SocketAddress?

    /// - Parameter notices: where warnings go (a truncated datagram), shown even without `-v`.
    public init(socket: Socket, input: Int32?, output: Int32, peer: Peer, options: Options, notices: SocketTracer) {
        self.socket = socket
        self.input = input
        self.output = output
        self.peerMode = peer
        self.options = options
        self.notices = notices
    }

    public func run() throws(SockscopeError) -> Report {
        var report = Report()
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { receiveBuffer.deallocate() }
        let sendBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, options.datagramSize), alignment: 16)
        defer { sendBuffer.deallocate() }

        let clock = ContinuousClock()
        var lastActivity = clock.now
        var inputOpen = input != nil
        while true {
            // A client's input ending means "wait a little for the last replies"; a
            // listener keeps serving whatever its stdin does.
            let waitingForLastReplies = !inputOpen && peerMode == .connected
            let limit = waitingForLastReplies ? min(options.idleTimeout ?? options.replyWait, options.replyWait) : options.idleTimeout
            let timeout = limit.map { $0 - lastActivity.duration(to: clock.now) }
            if let timeout, timeout <= .zero {
                report.timedOut = !waitingForLastReplies
                return report
            }
            let readInput = inputOpen && (peerMode == .connected || lastSender != nil)
            let ready: [EventLoop.Readiness]
            do {
                try loop.setInterest(.readable, for: socket.fd)
                if let input { try loop.setInterest(readInput ? .readable : [], for: input) }
                ready = try loop.wait(timeout: timeout)
            } catch {
                throw SockscopeError(error)
            }
            try Interruption.check()
            for readiness in ready where readiness.readable {
                if readiness.fd == socket.fd {
                    try receiveAll(into: receiveBuffer, report: &report)
                    lastActivity = clock.now
                } else if readiness.fd == input, let input {
                    let count = Glibc.read(input, sendBuffer.baseAddress, sendBuffer.count)
                    if count < 0 {
                        if Errno.current == .interrupted || Errno.current == .resourceTemporarilyUnavailable { continue }
                        throw SockscopeError(SocketCallError(.read, Errno.current))
                    }
                    lastActivity = clock.now
                    if count == 0 {
                        inputOpen = false
                        try? loop.setInterest([], for: input)
                        continue
                    }
                    try send(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<count]), to: peerMode == .connected ? nil : lastSender)
                    report.datagramsSent += 1
                    report.bytesSent += count
                }
            }
        }
    }

    /// Reads every datagram waiting (up to a bound, to stay fair to stdin).
    private func receiveAll(into buffer: UnsafeMutableRawBufferPointer, report: inout Report) throws(SockscopeError) {
        for _ in 0..<64 {
            let datagram: Socket.Datagram?
            do {
                datagram = try socket.receiveDatagram(into: buffer)
            } catch {
                throw explain(error)
            }
            guard let datagram else { return }
            report.datagramsReceived += 1
            report.bytesReceived += datagram.keptBytes
            if datagram.isTruncated {
                notices.record("datagram from \(datagram.source.map { "\($0)" } ?? "?") truncated: \(datagram.arrivedBytes) bytes arrived, \(datagram.keptBytes) kept (MSG_TRUNC)")
            }
            if let source = datagram.source, source != .unix(.unnamed) { lastSender = source }
            let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<datagram.keptBytes])
            if let transform = options.echo {
                transform.apply(to: payload)
                if let source = datagram.source, source != .unix(.unnamed) {
                    try send(UnsafeRawBufferPointer(payload), to: peerMode == .connected ? nil : source)
                    report.datagramsSent += 1
                    report.bytesSent += payload.count
                }
            } else {
                try writeAll(UnsafeRawBufferPointer(payload))
            }
        }
    }

    private func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress?) throws(SockscopeError) {
        do {
            try socket.sendDatagram(bytes, to: destination)
        } catch {
            throw explain(error)
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SockscopeError) {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let count = Glibc.write(output, rest.baseAddress, rest.count)
            if count < 0 {
                if Errno.current == .interrupted { continue }
                throw SockscopeError(SocketCallError(.write, Errno.current))
            }
            offset += count
        }
    }

    /// ECONNREFUSED on a UDP socket is the ICMP port-unreachable the peer's host sent back.
    private func explain(_ failure: SocketCallError) -> SockscopeError {
        if failure.errno == .connectionRefused {
            let peer = socket.remoteAddress.map { "\($0)" } ?? "the peer"
            return SockscopeError("no one is receiving at \(peer): \(failure.errno.nameAndText)",
                                  explanation: "an ICMP port-unreachable came back for a datagram sent there", status: .unavailable)
        }
        if failure.errno == .messageTooLong {
            return SockscopeError("datagram too large: \(failure.errno.nameAndText)",
                                  explanation: "a UDP payload is at most 65,507 bytes over IPv4", status: .usage)
        }
        return SockscopeError(failure)
    }
}
