import Glibc
import SystemPackage

/// Relays datagrams between stdin/stdout and a UDP (or Unix datagram) socket.
///
/// Each read from stdin becomes one datagram; each datagram received is written to
/// stdout whole. Datagrams keep their boundaries; an empty one is valid. There is
/// no end-of-stream in UDP, so after stdin ends the relay keeps printing replies
/// until none has come for `replyWait`.
package final class DatagramRelay {
    /// Who outgoing datagrams go to.
    package enum Peer {
        /// The socket is connected: `send` goes to its peer, and ICMP errors for it
        /// come back as ECONNREFUSED.
        case connected
        /// Reply to whoever sent the last datagram, like `nc -lu`; stdin is not read
        /// until someone has sent something.
        case lastSender
    }

    /// The largest UDP payload over IPv4: 65,535 − 20 (IP header) − 8 (UDP header).
    package static let maximumPayload = 65_507

    package struct Options: Sendable {
        /// End after this long with no datagram either way.
        package var idleTimeout: Duration?
        /// After stdin ends, how long to wait for more replies.
        package var replyWait: Duration = .milliseconds(500)
        /// Bytes read from stdin per datagram.
        package var datagramSize: Int = DatagramRelay.maximumPayload
        /// Every datagram but the last holds exactly `datagramSize` bytes (`--size`): short
        /// reads are gathered; without it each read of the input is one datagram.
        package var exactSize = false
        /// Echo each received datagram back to its sender (transformed), instead of writing it out.
        package var echo: ByteTransform?
        /// Which ways datagrams move (`--send-only`: received ones are dropped, and a
        /// client ends when stdin has been sent; `--recv-only`: stdin is never read).
        package var directions: RelayDirections = .both
        /// Bare LF in each outgoing datagram becomes CR LF (`--crlf`).
        package var crlf = false
        /// A connected client's input ending ends the relay (after `replyWait`); a DTLS
        /// server's does not: it serves its client until close_notify or the idle timeout.
        package var endsWithInput = true
        /// The output is a program's stdin, which it may close before it ends (`/bin/echo`
        /// never reads): what arrives after that (EPIPE) is dropped, and the program's own
        /// output still goes out, as ncat -l --exec serves a client that keeps writing.
        package var outputMayClose = false

        package init(
            idleTimeout: Duration? = nil, replyWait: Duration = .milliseconds(500), datagramSize: Int = DatagramRelay.maximumPayload, echo: ByteTransform? = nil
        ) {
            self.idleTimeout = idleTimeout
            self.replyWait = replyWait
            self.datagramSize = datagramSize
            self.echo = echo
        }
    }

    /// Counts for a finished relay.
    package struct Report: Sendable {
        package var datagramsSent = 0
        package var bytesSent = 0
        package var datagramsReceived = 0
        package var bytesReceived = 0
        package var timedOut = false
    }

    private let socket: Socket
    /// DTLS over the (connected) socket: each datagram is one record.
    private let tls: TLSSession?
    /// The peer sent close_notify: nothing more will come.
    private var peerEnded = false
    /// Input read but not sent when a send failed (counted among the bytes left).
    private var unsentInput = 0
    /// The DTLS peer's address (the connected socket's).
    private var tlsPeer: SocketAddress?
    /// Payloads received in this batch, not yet written to the output.
    private var pendingOutput: [UInt8] = []
    /// The output (a program's stdin) was closed by its reader: nothing more is written.
    private var outputClosed = false
    /// The lengths of the DTLS records one read gave (``receiveRecords(into:report:)``).
    private let recordLengths = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 64)
    /// Where datagrams (or records' plaintexts) are received.
    private let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
    private let input: FileDescriptor?
    private let output: Int32
    private let peerMode: Peer
    private let options: Options
    private let notices: SocketTracer
    private var lastSender: SocketAddress?
    /// Decides whether a received datagram is served (a listener's --allow/--deny);
    /// one it refuses is dropped unseen.
    package var admit: ((SocketAddress?) -> Bool)?
    /// Sees every datagram's payload, sent and received (for --hexdump and --output).
    package var observer: ((StreamRelay.Direction, UnsafeRawBufferPointer) -> Void)?

    /// - Parameter notices: where warnings go (a truncated datagram), shown even without `-v`.
    package init(
        socket: Socket, tls: TLSSession? = nil, input: FileDescriptor?, output: Int32, peer: Peer, options: Options, notices: SocketTracer
    ) {
        self.socket = socket
        self.tls = tls
        self.input = input
        self.output = output
        self.peerMode = peer
        self.options = options
        self.notices = notices
    }

    deinit {
        recordLengths.deallocate()
        receiveBuffer.deallocate()
    }

    package func run() throws(SockscopeError) -> Report {
        var report = Report()
        let loop = try Self.makeLoop()
        let (sendBuffer, batched) = inputBuffer()
        defer { sendBuffer.deallocate() }
        var lastActivity = ContinuousClock.now
        let input = options.directions.sends ? input : nil
        var inputOpen = input != nil
        var lineEndings = LineEndingConverter()
        var timer: EventLoop.Timer?
        var finished = false
        try loop.register(socket.descriptor, .readable) { [self] _ throws(SockscopeError) in
            if try receiveAll(into: receiveBuffer, report: &report) { lastActivity = .now }
        }
        if let input {
            var filled = 0  // bytes of a --size datagram read so far
            try loop.register(input, []) { [self] _ throws(SockscopeError) in
                guard let count = try readFromInput(input, into: UnsafeMutableRawBufferPointer(rebasing: sendBuffer[filled...])) else { return }
                lastActivity = .now
                inputOpen = count > 0
                filled += count
                do throws(SockscopeError) {
                    guard !batched else {
                        filled = try sendBatch(sendBuffer, filled: filled, ended: !inputOpen, report: &report)
                        return
                    }
                    // With --size a datagram is sent once it is full (the last one at the input's end).
                    guard filled > 0, !inputOpen || !options.exactSize || filled == sendBuffer.count else { return }
                    try sendInput(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<filled]), lineEndings: &lineEndings, report: &report)
                    filled = 0
                } catch { try receiveBefore(error, unsent: filled, report: &report) }
            }
        }
        // Records that came with the handshake's last flight wait in the session, unannounced.
        if tls != nil, try receiveAll(into: receiveBuffer, report: &report) { lastActivity = .now }
        try loop.run {
            finished || peerEnded
        } prepare: { [self] () throws(SockscopeError) in
            // Stdin is read once there is someone to send to (a listener: the last sender).
            if let input { try loop.update(input, inputOpen && (peerMode == .connected || lastSender != nil) ? .readable : []) }
            // A client's input ending means "wait a little for the last replies"; a
            // listener keeps serving whatever its stdin does.
            let waitingForLastReplies = !inputOpen && peerMode == .connected && options.endsWithInput
            if waitingForLastReplies && options.directions == .sendOnly {
                finished = true  // nothing to wait for: replies are not wanted
                return
            }
            let limit = waitingForLastReplies ? min(options.idleTimeout ?? options.replyWait, options.replyWait) : options.idleTimeout
            if let timer { loop.cancel(timer) }
            timer = limit.map { limit in
                loop.schedule(at: lastActivity + limit) {
                    report.timedOut = !waitingForLastReplies
                    finished = true
                }
            }
        }
        tls?.sendCloseNotify()
        if peerEnded, inputOpen, let input { try checkNothingLeft(in: input, report: report) }
        return report
    }

    private static func makeLoop() throws(SockscopeError) -> EventLoop {
        do { return try EventLoop() } catch { throw SockscopeError(error) }
    }

    /// A send failed (an ICMP port-unreachable reported as ECONNREFUSED, most often: the
    /// peer has gone): what it sent before going — its last datagrams, a DTLS
    /// close_notify — is still queued, and is read and written out first (up to 64 reads). A close_notify
    /// among it ends the session as the peer's own end (the send's failure followed from
    /// it); otherwise the failure stands.
    private func receiveBefore(_ failure: SockscopeError, unsent: Int, report: inout Report) throws(SockscopeError) {
        unsentInput = unsent
        // The kernel reports a pending error before queued datagrams (each recv clears one;
        // the ICMP errors of the other datagrams in flight follow): read past them.
        for _ in 0..<64 where !peerEnded {
            do throws(SockscopeError) {
                if try !receiveAll(into: receiveBuffer, report: &report) { break }
            } catch {
                continue
            }
        }
        if peerEnded { return }
        throw failure
    }

    /// A DTLS peer's close_notify ends the session both ways (DTLS has no half-close):
    /// stdin that was waiting then cannot be sent, and a script must not take exit 0
    /// for a delivery (`SSL_read` → `SSL_ERROR_ZERO_RETURN` with input still readable).
    /// - Throws: an I/O error naming the bytes left, when the input held some.
    private func checkNothingLeft(in input: FileDescriptor, report: Report) throws(SockscopeError) {
        let left = (SystemCall.unreadBytes(input.rawValue) ?? 0) + unsentInput
        guard left > 0 else { return }
        throw SockscopeError(
            "the peer ended the DTLS session (close_notify) after \(counted(report.datagramsSent, "datagram")) sent: \(counted(left, "byte")) of stdin were not sent",
            explanation: "DTLS has no half-close: after close_notify the peer reads nothing more", status: .ioError)
    }

    /// The input's buffer: one datagram, or with DTLS and --size as many as one GSO
    /// batch holds (read at once, sent as one batch of records).
    private func inputBuffer() -> (buffer: UnsafeMutableRawBufferPointer, batched: Bool) {
        let batched = tls != nil && options.exactSize && !options.crlf && options.datagramSize > 0
        let perRead = batched ? max(1, Self.batchBytes / (options.datagramSize + 64)) : 1
        return (.allocate(byteCount: max(1, options.datagramSize * perRead), alignment: 16), batched)
    }

    /// Input bytes per batch of DTLS records: as many datagrams as fit, with each
    /// record's overhead, in one UDP GSO send (a UDP payload is at most 65,507 bytes).
    static let batchBytes = 60_000

    /// Sends every whole `--size` datagram of `buffer[0..<filled]` as one batch of DTLS
    /// records (and, at the input's end, the short last one); returns how many bytes are
    /// left, moved to the buffer's start.
    private func sendBatch(_ buffer: UnsafeMutableRawBufferPointer, filled: Int, ended: Bool, report: inout Report) throws(SockscopeError) -> Int {
        guard let tls else { return filled }
        let size = options.datagramSize
        let whole = ended ? filled : filled - filled % size
        guard whole > 0 else { return filled }
        let datagrams = stride(from: 0, to: whole, by: size).map { start in
            UnsafeRawBufferPointer(rebasing: buffer[start..<min(start + size, whole)])
        }
        for datagram in datagrams { observer?(.sent, datagram) }
        do { try tls.sendRecords(datagrams) } catch { throw SockscopeError(error, peer: socket.remoteAddress) }
        report.datagramsSent += datagrams.count
        report.bytesSent += whole
        let left = filled - whole
        if left > 0, let base = buffer.baseAddress { base.copyMemory(from: base + whole, byteCount: left) }
        return left
    }

    /// Sends what one read of the input gave as a datagram (to the last sender, for a
    /// listener), with --crlf's line endings.
    private func sendInput(_ read: UnsafeRawBufferPointer, lineEndings: inout LineEndingConverter, report: inout Report) throws(SockscopeError) {
        var bytes = Array(read)
        if options.crlf { bytes = lineEndings.convert(bytes) }
        let failure = bytes.withUnsafeBytes { datagram -> SockscopeError? in
            observer?(.sent, datagram)
            do throws(SockscopeError) {
                try send(datagram, to: peerMode == .connected ? nil : lastSender)
            } catch {
                return error
            }
            return nil
        }
        if let failure { throw failure }
        report.datagramsSent += 1
        report.bytesSent += bytes.count
    }

    /// One read from the input: a datagram's worth, 0 at its end, nil when nothing is ready.
    /// A program that exits with our writes unread resets its end (ECONNRESET, after
    /// its output): with ``Options/outputMayClose`` that is its output's end.
    private func readFromInput(_ input: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(SockscopeError) -> Int? {
        do {
            return try SystemCall.read(input.rawValue, into: buffer)
        } catch {
            if options.outputMayClose && error == .connectionReset { return 0 }
            throw SockscopeError(SocketCallError(.read, error))
        }
    }

    /// Reads every datagram waiting (up to a bound, to stay fair to stdin). Returns
    /// whether any was admitted.
    private func receiveAll(into buffer: UnsafeMutableRawBufferPointer, report: inout Report) throws(SockscopeError) -> Bool {
        let admitted = try receiveBatch(into: buffer, report: &report)
        try flushOutput()
        return admitted
    }

    /// Writes `bytes` out after what was gathered before them.
    private func writeOut(_ bytes: UnsafeRawBufferPointer) throws(SockscopeError) {
        try flushOutput()
        guard !outputClosed else { return }
        do { try SystemCall.writeAll(output, bytes) } catch { try outputFailed(error) }
    }

    /// Writes out what a batch of datagrams gathered: one write for many small
    /// payloads, so a receiver keeps ahead of a sender that pays a syscall per datagram.
    private func flushOutput() throws(SockscopeError) {
        guard !pendingOutput.isEmpty else { return }
        defer { pendingOutput.removeAll(keepingCapacity: true) }
        guard !outputClosed else { return }
        do { try SystemCall.writeAll(output, pendingOutput) } catch { try outputFailed(error) }
    }

    /// A failed write of the output: the end, unless it is a program that stopped
    /// reading (``Options/outputMayClose``), whose input is dropped from then on.
    private func outputFailed(_ error: SocketCallError) throws(SockscopeError) {
        guard options.outputMayClose, error.errno == .brokenPipe || error.errno == .connectionReset else { throw SockscopeError(error) }
        outputClosed = true
        socket.tracer.record(
            "write(fd \(output)) → \(error.errno == .brokenPipe ? "EPIPE" : "ECONNRESET"): the program stopped reading; what arrives is dropped")
    }

    private func receiveBatch(into buffer: UnsafeMutableRawBufferPointer, report: inout Report) throws(SockscopeError) -> Bool {
        if tls != nil { return try receiveRecords(into: buffer, report: &report) }
        var admitted = false
        var refusal: SocketCallError?
        for _ in 0..<64 {
            let datagram: Socket.Datagram?
            do {
                datagram = try socket.receiveDatagram(into: buffer)
            } catch {
                // The kernel reports an ICMP error before the datagrams queued ahead of it
                // (the peer's last words): read past it, deliver them, then report it.
                guard error.errno == .connectionRefused, peerMode == .connected else { throw SockscopeError(error, peer: socket.remoteAddress) }
                refusal = refusal ?? error
                continue
            }
            guard let datagram else { break }
            if let admit, !admit(datagram.source) { continue }
            admitted = true
            try take(datagram, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<datagram.keptBytes]), report: &report)
        }
        if let refusal {
            try flushOutput()
            throw SockscopeError(refusal, peer: socket.remoteAddress)
        }
        return admitted
    }

    /// DTLS: the records that have arrived, many per call (``TLSSession/readRecords(into:lengths:)``),
    /// each taken as a datagram — 64 calls' worth at a time, to stay fair to stdin, and
    /// then every record the session holds already (a GRO datagram carries dozens), for
    /// which no readiness would come. Returns whether any record came.
    private func receiveRecords(into buffer: UnsafeMutableRawBufferPointer, report: inout Report) throws(SockscopeError) -> Bool {
        guard let tls, !peerEnded else { return false }
        if tlsPeer == nil { tlsPeer = socket.remoteAddress }  // getpeername once, not per record
        var any = false
        var calls = 0
        var refusal: SocketCallError?
        while calls < 64 || tls.hasBufferedInput {
            calls += 1
            let (count, end) = tls.readRecords(into: buffer, lengths: recordLengths)
            // The plaintexts lie one after another: written out as they are, in one write.
            let direct = options.echo == nil && options.directions.receives
            var offset = 0
            for length in recordLengths.prefix(count).map(Int.init) {
                any = true
                let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + length])
                try take(Socket.Datagram(source: tlsPeer, keptBytes: length, arrivedBytes: length), payload, gather: !direct, report: &report)
                offset += length
            }
            if direct && offset > 0 { try writeOut(UnsafeRawBufferPointer(rebasing: buffer[0..<offset])) }
            switch end {
            case .room: continue
            case .waiting:
                if let refusal { throw SockscopeError(refusal, peer: socket.remoteAddress) }
                if !tls.hasBufferedInput { return any }
            case .closed:
                peerEnded = true
                return any
            case .failed(let failure) where failure.errno == .connectionRefused:
                refusal = refusal ?? failure  // read past it: the records queued ahead of it (a close_notify) come first
            case .failed(let failure): throw SockscopeError(refusal ?? failure, peer: socket.remoteAddress)
            }
        }
        if let refusal { throw SockscopeError(refusal, peer: socket.remoteAddress) }
        return any
    }

    /// One datagram received (and admitted): counted, seen by the observer, then echoed
    /// back or (unless the caller writes it itself) gathered for the output.
    private func take(
        _ datagram: Socket.Datagram, _ payload: UnsafeMutableRawBufferPointer, gather: Bool = true, report: inout Report
    ) throws(SockscopeError) {
        report.datagramsReceived += 1
        report.bytesReceived += datagram.keptBytes
        if datagram.isTruncated {
            notices.record(
                "datagram from \(datagram.source.map { "\($0)" } ?? "?") truncated: \(counted(datagram.arrivedBytes, "byte")) arrived, \(datagram.keptBytes) kept (MSG_TRUNC)"
            )
        }
        if let source = datagram.source, source != .unix(.unnamed) { lastSender = source }
        observer?(.received, UnsafeRawBufferPointer(payload))
        if let transform = options.echo {
            transform.apply(to: payload)
            if let source = datagram.source, source != .unix(.unnamed) {
                try send(UnsafeRawBufferPointer(payload), to: peerMode == .connected ? nil : source)
                report.datagramsSent += 1
                report.bytesSent += payload.count
            }
        } else if options.directions.receives && gather {
            pendingOutput.append(contentsOf: UnsafeRawBufferPointer(payload))
            if pendingOutput.count >= 64 << 10 { try flushOutput() }
        }
    }

    private func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress?) throws(SockscopeError) {
        do {
            if let tls { return try tls.sendRecord(bytes) }
            try socket.sendDatagram(bytes, to: destination)
        } catch {
            throw SockscopeError(error, peer: socket.remoteAddress)
        }
    }
}
