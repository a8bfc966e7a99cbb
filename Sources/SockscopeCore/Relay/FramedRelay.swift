import Glibc
import SystemPackage

/// Relays messages instead of bytes: each line of input is sent as one frame, and
/// each frame received is handed to `deliver` whole, however TCP split or coalesced it.
package final class FramedRelay {
    package struct Report: Sendable {
        package var messagesSent = 0
        package var messagesReceived = 0
    }

    private let socket: Socket
    private let format: FrameFormat
    private var decoder: FrameDecoder
    private let input: Int32?
    private let options: StreamRelay.Options
    private let deliver: ([UInt8]) -> Void
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    package init(socket: Socket, format: FrameFormat, maximumFrame: Int, input: Int32?, options: StreamRelay.Options, deliver: @escaping ([UInt8]) -> Void) {
        self.socket = socket
        self.format = format
        self.decoder = FrameDecoder(format: format, maximumFrame: maximumFrame)
        self.input = input
        self.options = options
        self.deliver = deliver
    }

    deinit { buffer.deallocate() }

    /// Runs until both directions are done (or the idle timeout passes).
    /// - Throws: `SockscopeError` for a malformed frame (exit 74) or a failed call.
    package func run() throws(SockscopeError) -> Report {
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        inputOpen = input != nil
        if !inputOpen && options.halfClose { socket.shutdownWrite() }
        var lastActivity = ContinuousClock.now
        var idleTimer: EventLoop.Timer?
        var idle = false
        try loop.register(socket.fd, .readable) { [self] _ throws(SockscopeError) in
            lastActivity = .now
            try receiveFrames()
        }
        if let input {
            try loop.register(input, .readable) { [self] _ throws(SockscopeError) in
                lastActivity = .now
                try readLines(from: input)
            }
        }
        let terminal = input.map { isatty($0) == 1 } ?? false
        try loop.run {
            idle || !(inputOpen || peerOpen) || (!peerOpen && terminal)
        } prepare: { [self] () throws(SockscopeError) in
            try loop.update(socket.fd, peerOpen ? .readable : [])
            if let input { try loop.update(input, inputOpen ? .readable : []) }
            guard let limit = options.idleTimeout else { return }
            if let idleTimer { loop.cancel(idleTimer) }
            idleTimer = loop.schedule(at: lastActivity + limit) { idle = true }
        }
        return report
    }

    private var report = Report()
    private var inputOpen = false
    private var peerOpen = true
    private var pendingLine: [UInt8] = []

    /// Reads what the peer sent and delivers every whole frame in it.
    private func receiveFrames() throws(SockscopeError) {
        let count: Int?
        do { count = try socket.receive(into: buffer) } catch { throw SockscopeError(error) }
        guard let count else { return }
        if count == 0 {
            peerOpen = false
            if decoder.pendingBytes > 0 {
                throw SockscopeError(
                    "the peer closed in the middle of a \(format.rawValue) frame (\(decoder.pendingBytes) bytes of it arrived)", status: .ioError)
            }
            return
        }
        for message in try decoder.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
            report.messagesReceived += 1
            deliver(message)
        }
    }

    /// Reads input and sends each whole line as one frame; at its end, the rest and FIN.
    private func readLines(from input: Int32) throws(SockscopeError) {
        let result: Int?
        do { result = try SystemCall.read(input, into: buffer) } catch { throw SockscopeError(SocketCallError(.read, error)) }
        guard let count = result else { return }
        if count == 0 {
            inputOpen = false
            if !pendingLine.isEmpty { try send(pendingLine[...]) }
            pendingLine = []
            if options.halfClose { socket.shutdownWrite() }
            return
        }
        pendingLine += UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        while let newline = pendingLine.firstIndex(of: 0x0a) {
            try send(pendingLine[..<newline])
            pendingLine.removeFirst(newline + 1)
        }
    }

    /// Sends one message as a frame, all of it (waiting for buffer space through the loop).
    private func send(_ message: ArraySlice<UInt8>) throws(SockscopeError) {
        let frame = try format.encode(message)
        let result: Result<Void, SocketCallError> = frame.withUnsafeBytes { bytes in
            do throws(SocketCallError) {
                try socket.sendAll(bytes)
                return .success(())
            } catch { return .failure(error) }
        }
        do { try result.get() } catch { throw SockscopeError(error) }
        report.messagesSent += 1
    }
}
