import Glibc
import SystemPackage

/// Relays a connected stream socket (TCP or Unix) in both directions at once, on
/// the event loop: stdin → socket and socket → stdout, or socket → socket for an
/// echo server.
///
/// The life of the connection follows the socket's rules:
/// - at end of input the relay sends FIN (`shutdown(SHUT_WR)`, the half-close) and
///   keeps reading until the peer closes too, so a reply that comes after the
///   request has ended is still received;
/// - `recv` returning 0 means the peer closed its sending side — only its direction:
///   what was read is written out and the output is closed at once (so
///   `connect … | tar x` ends), while the input goes on being sent to its end, then
///   FIN; the relay ends when both directions are done (the receiver of a scripted
///   transfer often has an empty stdin and half-closes at once). `stopsAtPeerClose`
///   asks for ncat -l's way instead: stop sending at the peer's FIN;
/// - every byte read is written (short writes are continued), and every byte that
///   arrived before an error or end of stream reaches the output.
package final class StreamRelay {
    /// Where the bytes go.
    package enum Mode {
        /// stdin → socket, socket → stdout. A nil input is one already at its end.
        case standardStreams(input: Int32?, output: Int32)
        /// Everything received is sent back, transformed (an echo server).
        case echo(ByteTransform)
        /// Both ways between the peer and another stream socket, each end's FIN passed
        /// on as a FIN (the TLS bridge: a TLS client's plaintext to a Unix socket pair).
        case bridge(Socket)
    }

    package struct Options: Sendable {
        /// Send FIN when input ends (nc's `-N`); when false the write side stays open.
        package var halfClose: Bool = true
        /// End the relay after this long with no byte moving either way.
        package var idleTimeout: Duration?
        /// Size of each direction's buffer; large buffers mean fewer system calls.
        package var bufferSize: Int = 1 << 20

        /// Which ways bytes move (`--send-only`, `--recv-only`).
        package var directions: RelayDirections = .both
        /// At the peer's FIN, stop reading the input and end once what was read is sent
        /// (`--stop-at-peer-close`); by default the input is sent to its end.
        package var stopsAtPeerClose = false
        /// Without a half-close (`--linger 0`): once the input is sent, how long the peer
        /// may stay quiet before the relay ends (and close resets the connection).
        package var replyWait: Duration?
        /// Bare LF in the input goes out as CR LF (`--crlf`).
        package var crlf = false

        package init(halfClose: Bool = true, idleTimeout: Duration? = nil, bufferSize: Int = 1 << 20) {
            self.halfClose = halfClose
            self.idleTimeout = idleTimeout
            self.bufferSize = bufferSize
        }
    }

    /// How a relay ended.
    package enum Ending: Sendable, Equatable, CustomStringConvertible {
        /// The peer closed its side (recv returned 0) and everything it sent was written out.
        case peerClosed
        /// Nothing moved for the idle timeout.
        case idleTimeout
        /// The socket we echo to was closed by the peer (EPIPE).
        case outputClosed
        /// The input was sent (`--send-only`), or sent without FIN and the peer then
        /// stayed quiet for the reply wait (`--linger 0`).
        case inputSent

        package var description: String {
            switch self {
            case .peerClosed: "the peer closed the connection"
            case .idleTimeout: "closed after the idle timeout"
            case .outputClosed: "the peer stopped reading"
            case .inputSent: "the input was sent"
            }
        }
    }

    /// Which side ended its sending first (sent the first FIN).
    package enum Side: String, Sendable {
        case local, peer
    }

    /// What happened on a finished relay.
    package struct Report: Sendable {
        package var bytesSent: Int
        package var bytesReceived: Int
        package var ending: Ending
        /// Who sent FIN first, when either did.
        package var closedFirst: Side?
        /// The relay stopped when the peer closed, before the input had ended
        /// (`stopsAtPeerClose`): the rest of it was not read or sent.
        package var inputLeft = false
        /// A TLS peer ended the TCP stream at a record boundary without close_notify: an
        /// end that a cut cannot be told from.
        package var tlsEndedWithoutCloseNotify = false
        /// How many bytes of input were left unsent when that can be known (a regular
        /// file's unread part, what a pipe holds); nil when it cannot (an open pipe
        /// with nothing waiting).
        package var inputBytesLeft: Int?
    }

    private let peer: RelayEndpoint
    private let options: Options
    private let inbound: Pump
    private let outbound: Pump?
    /// stdout, closed (pointed at /dev/null) as soon as the peer's stream has ended.
    private var output: Int32?

    /// The buffer of a TLS relay: a few 16 KiB records. Encryption reads the buffer
    /// again right after it was filled, so it must stay in the cache: with 1 MiB, the
    /// sender spent most of its time waiting for memory (measured by bench/tls.sh).
    static let tlsBufferSize = 64 << 10

    /// A relay over `socket`, or over the TLS session `tls` on it (the bytes relayed
    /// are then the decrypted ones, and the half-close sends close_notify before FIN).
    package init(socket: Socket, tls: TLSSession? = nil, mode: Mode, options: Options) {
        let peer: RelayEndpoint = tls.map { .tls($0) } ?? .socket(socket)
        self.peer = peer
        var options = options
        if tls != nil { options.bufferSize = min(options.bufferSize, Self.tlsBufferSize) }
        self.options = options
        switch mode {
        case .standardStreams(let input, let output):
            inbound = Pump(from: peer, to: .descriptor(output), bufferSize: options.bufferSize, shutsDownSinkAtEnd: false)
            inbound.discardsInput = !options.directions.receives
            outbound = (options.directions.sends ? input : nil).map {
                Pump(from: .descriptor($0), to: peer, bufferSize: options.bufferSize, shutsDownSinkAtEnd: options.halfClose)
            }
            if options.crlf { outbound?.lineEndings = LineEndingConverter() }
            self.output = options.directions.receives ? output : nil
        case .echo(let transform):
            inbound = Pump(from: peer, to: peer, bufferSize: options.bufferSize, transform: transform, shutsDownSinkAtEnd: true)
            outbound = nil
            self.output = nil
        case .bridge(let other):
            inbound = Pump(from: peer, to: .socket(other), bufferSize: options.bufferSize, shutsDownSinkAtEnd: true)
            outbound = Pump(from: .socket(other), to: peer, bufferSize: options.bufferSize, shutsDownSinkAtEnd: true)
            if options.crlf { outbound?.lineEndings = LineEndingConverter() }  // -C with --exec: the program's lines
            self.output = nil
        }
    }

    /// Which way bytes went, for an observer.
    package enum Direction: Sendable {
        /// Read from the input (stdin), on its way to the peer.
        case sent
        /// Read from the peer.
        case received
    }

    /// Calls `observer` with every chunk the relay reads, in order, before it is
    /// written on (echoes are observed as received).
    package func observe(_ observer: @escaping (Direction, UnsafeRawBufferPointer) -> Void) {
        inbound.observer = { observer(.received, $0) }
        outbound?.observer = { observer(.sent, $0) }
    }

    /// Runs until the peer closes, the idle timeout passes, or an error.
    /// - Throws: `SockscopeError` for a reset connection or a failed read or write;
    ///   bytes received before the failure have already been written out.
    package func run() throws(SockscopeError) -> Report {
        if outbound == nil, case .descriptor = inbound.sink, options.halfClose, options.directions == .both {
            _ = peer.finishSending()  // no input at all: tell the peer at once
        }
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        var ending: Ending?
        var sendFailure: SocketCallError?
        var lastActivity = ContinuousClock.now
        var idleTimer: EventLoop.Timer?
        let descriptors = Set([inbound.source.descriptor, inbound.sink.descriptor, outbound?.source.descriptor, outbound?.sink.descriptor].compactMap { $0 })
        for descriptor in descriptors {
            try loop.register(descriptor, []) { [self] readiness throws(SockscopeError) in
                if try step(readiness, ending: &ending, sendFailure: &sendFailure) { lastActivity = .now }
                noteFirstClose()
            }
        }
        var quietTimer: EventLoop.Timer?
        var sentAt: ContinuousClock.Instant?
        try loop.run {
            ending != nil || isDone
        } prepare: { () throws(SockscopeError) in
            if try serveBufferedInput(ending: &ending, sendFailure: &sendFailure) { lastActivity = .now }
            try updateInterest(loop)
            if inbound.finished { retireOutput() }
            if let idle = options.idleTimeout {
                if let idleTimer { loop.cancel(idleTimer) }
                idleTimer = loop.schedule(at: lastActivity + idle) { ending = .idleTimeout }
            }
            if let wait = options.replyWait, !options.halfClose, outbound?.finished == true {
                if let quietTimer { loop.cancel(quietTimer) }
                quietTimer = loop.schedule(at: lastActivity + wait) { ending = .inputSent }
            }
            if lingersAfterSending, outbound?.finished ?? true, !inbound.finished {
                // --send-only: FIN is out; what the peer still sends is dropped until it
                // closes or goes quiet, so our close does not reset a peer still reading.
                let finished = sentAt ?? .now
                sentAt = finished
                if let quietTimer { loop.cancel(quietTimer) }
                quietTimer = loop.schedule(at: min(max(lastActivity, finished) + Self.sendOnlyQuiet, finished + Self.sendOnlyLinger)) { ending = .inputSent }
            }
        }
        retireOutput()
        if let ending { return report(ending) }
        // A failed send is an error before anything else: --send-only must not turn
        // an abandoned input into "the input was sent".
        if let sendFailure, let unsent = unsentInput() {
            var error = SockscopeError(sendFailure)
            error.message += "; \(unsent)"
            throw error
        }
        return report(options.directions == .sendOnly ? .inputSent : .peerClosed)
    }

    /// Reads what a TLS source already holds (records read ahead, or one that came with
    /// the handshake): no readiness will come for it. Returns whether any byte moved.
    private func serveBufferedInput(ending: inout Ending?, sendFailure: inout SocketCallError?) throws(SockscopeError) -> Bool {
        var progressed = false
        for _ in 0..<64 where ending == nil {
            let pumps = [inbound, outbound].compactMap { $0 }
            guard let pump = pumps.first(where: { !$0.finished && $0.wantsRead && $0.source.hasBufferedInput }) else { break }
            let readiness = EventLoop.Readiness(pump.source.descriptor, readable: true, writable: false, hangUpOrError: false)
            guard try step(readiness, ending: &ending, sendFailure: &sendFailure) else { break }
            progressed = true
            noteFirstClose()
        }
        return progressed
    }

    /// Moves what one descriptor's readiness allows, in both pumps. Returns whether
    /// any byte moved. A closed output ends the relay (`ending`); a peer that stopped
    /// reading abandons our sending but keeps our receiving (`sendFailure`).
    private func step(_ readiness: EventLoop.Readiness, ending: inout Ending?, sendFailure: inout SocketCallError?) throws(SockscopeError) -> Bool {
        func ready(_ endpoint: RelayEndpoint, _ writing: Bool) -> Bool {
            endpoint.isReady(readiness, writing: writing)
        }
        var progressed = false
        do {
            progressed = try inbound.step(sourceReadable: ready(inbound.source, false), sinkWritable: ready(inbound.sink, true))
        } catch {
            switch error {
            case .source(let failure):
                var error = SockscopeError(failure)
                if failure.tlsCut {
                    error = SockscopeError(
                        "TLS stream cut after \(counted(inbound.bytesRead, "byte")): the TCP stream ended inside a record, without close_notify",
                        explanation: "the rest of that record, and whatever the peer meant to send after it, never arrived", status: .ioError)
                }
                if let unsent = unsentInput() { error.message += "; \(unsent)" }
                throw error
            case .sink(let failure):
                guard failure.errno == .brokenPipe else { throw SockscopeError(failure) }
                guard inbound.sink.isSocket else {
                    // Our stdout's reader has gone: output is being lost, which is not a success.
                    throw SockscopeError(
                        "cannot write the output (stdout): \(failure.errno.nameAndText)",
                        explanation: "the program reading sockscope's output has gone; what arrived after that was not written", status: .ioError)
                }
                ending = .outputClosed
                return true
            }
        }
        guard let outbound, !outbound.finished else { return progressed }
        if options.stopsAtPeerClose && inbound.finished { outbound.holdsInput = true }
        do {
            return try outbound.step(sourceReadable: ready(outbound.source, false), sinkWritable: ready(outbound.sink, true)) || progressed
        } catch {
            switch error {
            case .source(let failure): throw SockscopeError(failure)
            case .sink(let failure):
                sendFailure = failure
                outbound.abandon()
                return true
            }
        }
    }

    /// What of the input did not reach the peer, said in words, or nil when all of it
    /// did (its end reached and every byte read written to the socket): bytes read
    /// and not sent, and what the input still holds (`SystemCall.unreadBytes`).
    private func unsentInput() -> String? {
        guard let outbound else { return nil }
        let held = outbound.bytesRead - outbound.bytesWritten
        guard outbound.abandoned || !outbound.sourceEnded else { return held > 0 ? "\(counted(held, "byte")) of input not sent" : nil }
        guard case .descriptor(let input) = outbound.source else {
            return "\(counted(held, "byte")) of input not sent, and the rest not read"
        }
        guard let left = SystemCall.unreadBytes(input) else {
            return held > 0 ? "\(counted(held, "byte")) of stdin not sent, and stdin had not ended" : "stdin had not ended: the rest of it was not sent"
        }
        return held + left > 0 ? "\(counted(held + left, "byte")) of stdin not sent" : nil
    }

    /// `--send-only` with a half-close: after FIN, how long the peer may stay quiet
    /// before the relay ends without its close, and how long it may go on sending.
    static let sendOnlyQuiet: Duration = .milliseconds(500)
    static let sendOnlyLinger: Duration = .seconds(2)

    /// Whether the relay waits for the peer's close after sending (`--send-only` with
    /// FIN): closing with unread bytes would reset the connection, and a peer still
    /// reading what we sent would lose it (Linux drops a socket's unread data at a reset).
    private var lingersAfterSending: Bool { options.directions == .sendOnly && options.halfClose }

    /// Whether the session is over: the directions it serves have ended.
    private var isDone: Bool {
        let sent = outbound?.finished ?? true
        switch options.directions {
        case .sendOnly: return sent && (inbound.finished || !lingersAfterSending)
        case .receiveOnly: return inbound.finished
        case .both:
            guard inbound.finished, !sent else { return inbound.finished }
            // Stopping at the peer's close: what was read from the input still goes out.
            guard options.stopsAtPeerClose, let outbound else { return false }
            return outbound.bufferedBytes == 0 && !outbound.sink.hasPendingOutput
        }
    }

    /// Closes stdout once the peer's stream has ended and everything is written, so the
    /// program reading it sees its end now, not when sockscope exits. The descriptor is
    /// pointed at /dev/null rather than closed, so no later open can take its number.
    private func retireOutput() {
        guard let output, inbound.finished else { return }
        SystemCall.retire(output)
        self.output = nil
    }

    private func updateInterest(_ loop: EventLoop) throws(SockscopeError) {
        var interest: [FileDescriptor: EventLoop.Interest] = [:]
        for pump in [inbound, outbound].compactMap({ $0 }) where !pump.finished {
            if pump.wantsRead { interest[pump.source.descriptor, default: []].formUnion(pump.source.readInterest) }
            if pump.wantsWrite { interest[pump.sink.descriptor, default: []].insert(.writable) }
        }
        for descriptor in Set([inbound.source.descriptor, inbound.sink.descriptor, outbound?.source.descriptor, outbound?.sink.descriptor].compactMap({ $0 })) {
            try loop.update(descriptor, interest[descriptor] ?? [])
        }
    }

    private var closedFirst: Side?

    /// Called once when the peer's stream ends while the input is still being sent (a
    /// person at a terminal is told that the session goes on until their Ctrl-D).
    package var peerFinishedFirst: (() -> Void)?

    private func noteFirstClose() {
        if let peerFinishedFirst, inbound.finished, let outbound, !outbound.finished, !options.stopsAtPeerClose {
            self.peerFinishedFirst = nil
            peerFinishedFirst()
        }
        guard closedFirst == nil else { return }
        if inbound.sourceEnded {
            closedFirst = .peer
        } else if let outbound, outbound.finished, options.halfClose {
            closedFirst = .local
        }
    }

    private func report(_ ending: Ending) -> Report {
        var report = Report(
            // Without an input (--recv-only, no stdin) what the inbound pump wrote went to
            // stdout, not to the peer; an echo's inbound pump writes to the peer.
            bytesSent: outbound?.bytesWritten ?? (inbound.sink.isSocket ? inbound.bytesWritten : 0), bytesReceived: inbound.bytesRead,
            ending: ending,
            closedFirst: closedFirst)
        if case .tls(let session) = peer { report.tlsEndedWithoutCloseNotify = session.endedWithoutCloseNotify }
        if ending == .peerClosed, let outbound, !outbound.finished, case .descriptor(let input) = outbound.source {
            report.inputBytesLeft = SystemCall.unreadBytes(input)
            report.inputLeft = report.inputBytesLeft != 0
        }
        return report
    }
}
