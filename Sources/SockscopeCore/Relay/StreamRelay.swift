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
/// - `recv` returning 0 means the peer closed its sending side: what was read is
///   written out, and the relay goes on sending until input ends too (a FIN only
///   says "no more from me"). The relay ends when both directions are done — or,
///   when input is an interactive terminal, as soon as the peer has closed;
/// - every byte read is written (short writes are continued), and every byte that
///   arrived before an error or end of stream reaches the output.
package final class StreamRelay {
    /// Where the bytes go.
    package enum Mode {
        /// stdin → socket, socket → stdout. A nil input is one already at its end.
        case standardStreams(input: Int32?, output: Int32)
        /// Everything received is sent back, transformed (an echo server).
        case echo(ByteTransform)
    }

    package struct Options: Sendable {
        /// Send FIN when input ends (nc's `-N`); when false the write side stays open.
        package var halfClose: Bool = true
        /// End the relay after this long with no byte moving either way.
        package var idleTimeout: Duration?
        /// Size of each direction's buffer; large buffers mean fewer system calls.
        package var bufferSize: Int = 1 << 20

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

        package var description: String {
            switch self {
            case .peerClosed: "the peer closed the connection"
            case .idleTimeout: "closed after the idle timeout"
            case .outputClosed: "the peer stopped reading"
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
    }

    private let socket: Socket
    private let options: Options
    private let inbound: Pump
    private let outbound: Pump?
    /// A person typing: the peer closing ends the session instead of waiting for Ctrl-D.
    private let inputIsTerminal: Bool

    package init(socket: Socket, mode: Mode, options: Options) {
        self.socket = socket
        self.options = options
        switch mode {
        case .standardStreams(let input, let output):
            inbound = Pump(from: .socket(socket), to: .descriptor(output), bufferSize: options.bufferSize, shutsDownSinkAtEnd: false)
            outbound = input.map {
                Pump(from: .descriptor($0), to: .socket(socket), bufferSize: options.bufferSize, shutsDownSinkAtEnd: options.halfClose)
            }
            inputIsTerminal = input.map { isatty($0) == 1 } ?? false
        case .echo(let transform):
            inbound = Pump(from: .socket(socket), to: .socket(socket), bufferSize: options.bufferSize, transform: transform, shutsDownSinkAtEnd: true)
            outbound = nil
            inputIsTerminal = false
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
        if outbound == nil, case .descriptor = inbound.sink, options.halfClose {
            socket.shutdownWrite()  // no input at all: tell the peer at once
        }
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        var ending: Ending?
        var sendFailure: SocketCallError?
        var lastActivity = ContinuousClock.now
        var idleTimer: EventLoop.Timer?
        let descriptors = Set([inbound.source.fd, inbound.sink.fd, outbound?.source.fd, outbound?.sink.fd].compactMap { $0 })
        for fd in descriptors {
            try loop.register(fd, []) { [self] readiness throws(SockscopeError) in
                if try step(readiness, ending: &ending, sendFailure: &sendFailure) { lastActivity = .now }
                noteFirstClose()
            }
        }
        try loop.run {
            ending != nil || (inbound.finished && (outbound?.finished ?? true)) || (inbound.finished && inputIsTerminal)
        } prepare: { () throws(SockscopeError) in
            try updateInterest(loop)
            guard let idle = options.idleTimeout else { return }
            if let idleTimer { loop.cancel(idleTimer) }
            idleTimer = loop.schedule(at: lastActivity + idle) { ending = .idleTimeout }
        }
        if let ending { return report(ending) }
        if let sendFailure, let outbound, outbound.bytesRead > outbound.bytesWritten || !outbound.sourceEnded {
            var error = SockscopeError(sendFailure)
            error.message += " (\(outbound.bytesRead - outbound.bytesWritten) bytes of input not delivered)"
            throw error
        }
        return report(.peerClosed)
    }

    /// Moves what one descriptor's readiness allows, in both pumps. Returns whether
    /// any byte moved. A closed output ends the relay (`ending`); a peer that stopped
    /// reading abandons our sending but keeps our receiving (`sendFailure`).
    private func step(_ readiness: EventLoop.Readiness, ending: inout Ending?, sendFailure: inout SocketCallError?) throws(SockscopeError) -> Bool {
        func ready(_ endpoint: RelayEndpoint, _ writing: Bool) -> Bool {
            endpoint.fd == readiness.fd && (writing ? readiness.writable : readiness.readable)
        }
        var progressed = false
        do {
            progressed = try inbound.step(sourceReadable: ready(inbound.source, false), sinkWritable: ready(inbound.sink, true))
        } catch {
            switch error {
            case .source(let failure): throw SockscopeError(failure)
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

    private func updateInterest(_ loop: EventLoop) throws(SockscopeError) {
        var interest: [Int32: EventLoop.Interest] = [:]
        for pump in [inbound, outbound].compactMap({ $0 }) where !pump.finished {
            if pump.wantsRead { interest[pump.source.fd, default: []].insert(.readable) }
            if pump.wantsWrite { interest[pump.sink.fd, default: []].insert(.writable) }
        }
        for fd in Set([inbound.source.fd, inbound.sink.fd, outbound?.source.fd, outbound?.sink.fd].compactMap({ $0 })) {
            try loop.update(fd, interest[fd] ?? [])
        }
    }

    private var closedFirst: Side?

    private func noteFirstClose() {
        guard closedFirst == nil else { return }
        if inbound.sourceEnded {
            closedFirst = .peer
        } else if let outbound, outbound.finished, options.halfClose {
            closedFirst = .local
        }
    }

    private func report(_ ending: Ending) -> Report {
        Report(
            bytesSent: outbound?.bytesWritten ?? inbound.bytesWritten, bytesReceived: inbound.bytesRead, ending: ending,
            closedFirst: closedFirst)
    }
}
