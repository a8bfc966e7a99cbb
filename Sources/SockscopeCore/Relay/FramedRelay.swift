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
    private let input: FileDescriptor?
    private let options: StreamRelay.Options
    private let deliver: ([UInt8]) -> Void
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    package init(
        socket: Socket, format: FrameFormat, maximumFrame: Int, input: FileDescriptor?, options: StreamRelay.Options, deliver: @escaping ([UInt8]) -> Void
    ) {
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
        try loop.register(socket.descriptor, .readable) { [self] readiness throws(SockscopeError) in
            lastActivity = .now
            // Read and write in the same round: a peer that answers while it reads
            // must never find both directions blocked (the framed relay once waited
            // to send everything before reading again, and deadlocked).
            if readiness.writable { try flush() }
            if readiness.readable, peerOpen { try receiveFrames() }
        }
        if let input {
            try loop.register(input, .readable) { [self] _ throws(SockscopeError) in
                lastActivity = .now
                try readLines(from: input)
            }
        }
        let terminal = input.map { isatty($0.rawValue) == 1 } ?? false
        try loop.run {
            idle || !(inputOpen || peerOpen || !output.isEmpty) || (!peerOpen && terminal)
        } prepare: { [self] () throws(SockscopeError) in
            var interest: EventLoop.Interest = peerOpen ? .readable : []
            if !output.isEmpty { interest.insert(.writable) }
            try loop.update(socket.descriptor, interest)
            // Input waits while a megabyte of frames waits for the peer: memory stays bounded.
            if let input { try loop.update(input, inputOpen && output.count < Self.outputLimit ? .readable : []) }
            guard let limit = options.idleTimeout else { return }
            if let idleTimer { loop.cancel(idleTimer) }
            idleTimer = loop.schedule(at: lastActivity + limit) { idle = true }
        }
        return report
    }

    /// Frames encoded but not yet taken by the socket, and how far they were sent.
    private var output: ByteQueue = []
    private static let outputLimit = 1 << 20
    /// Input has ended: send FIN once the frames queued before it are sent.
    private var finishAfterOutput = false

    private var report = Report()
    private var inputOpen = false
    private var peerOpen = true
    private var pendingLine: ByteQueue = []

    /// Reads what the peer sent and delivers every whole frame in it.
    private func receiveFrames() throws(SockscopeError) {
        let count: Int?
        do { count = try socket.receive(into: buffer) } catch { throw SockscopeError(error) }
        guard let count else { return }
        if count == 0 {
            peerOpen = false
            if decoder.pendingBytes > 0 {
                throw SockscopeError(
                    "the peer closed in the middle of a \(format.rawValue) frame (\(counted(decoder.pendingBytes, "byte")) of it arrived)", status: .ioError)
            }
            return
        }
        for message in try decoder.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
            report.messagesReceived += 1
            deliver(message)
        }
    }

    /// Reads input and queues each whole line as one frame; at its end, the rest, then FIN.
    private func readLines(from input: FileDescriptor) throws(SockscopeError) {
        let result: Int?
        do { result = try SystemCall.read(input.rawValue, into: buffer) } catch { throw SockscopeError(SocketCallError(.read, error)) }
        guard let count = result else { return }
        if count == 0 {
            inputOpen = false
            if !pendingLine.isEmpty { try queue(pendingLine.waiting) }
            pendingLine.removeAll()
            finishAfterOutput = options.halfClose
            try flush()
            return
        }
        pendingLine += UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        var start = 0
        while let newline = pendingLine.firstIndex(of: 0x0a, from: start) {
            try queue(pendingLine.bytes(start..<newline))
            start = newline + 1
        }
        pendingLine.removeFirst(start)
        try flush()
    }

    /// Encodes one message as a frame, after those already waiting.
    private func queue(_ message: ArraySlice<UInt8>) throws(SockscopeError) {
        output += try format.encode(message)
        report.messagesSent += 1
    }

    /// Sends what the socket takes now, without waiting; then FIN when input has ended.
    private func flush() throws(SockscopeError) {
        let socket = socket
        let sentAll: Bool
        do { sentAll = try output.drain { raw throws(SocketCallError) in try socket.send(raw) } } catch { throw SockscopeError(error) }
        if sentAll && finishAfterOutput {
            finishAfterOutput = false
            socket.shutdownWrite()
        }
    }
}
