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

    package init(socket: Socket, format: FrameFormat, maximumFrame: Int, input: Int32?, options: StreamRelay.Options, deliver: @escaping ([UInt8]) -> Void) {
        self.socket = socket
        self.format = format
        self.decoder = FrameDecoder(format: format, maximumFrame: maximumFrame)
        self.input = input
        self.options = options
        self.deliver = deliver
    }

    /// Runs until both directions are done (or the idle timeout passes).
    /// - Throws: `SockscopeError` for a malformed frame (exit 74) or a failed call.
    package func run() throws(SockscopeError) -> Report {
        var report = Report()
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        var inputOpen = input != nil
        var peerOpen = true
        var pendingLine: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        let clock = ContinuousClock()
        var lastActivity = clock.now
        if !inputOpen && options.halfClose { socket.shutdownWrite() }

        func send(_ message: ArraySlice<UInt8>) throws(SockscopeError) {
            let frame = try format.encode(message)
            do {
                let result: Result<Void, SocketCallError> = frame.withUnsafeBytes { bytes in
                    do throws(SocketCallError) {
                        try socket.sendAll(bytes)
                        return .success(())
                    } catch { return .failure(error) }
                }
                try result.get()
            } catch {
                throw SockscopeError(error)
            }
            report.messagesSent += 1
        }

        while inputOpen || peerOpen {
            if !peerOpen, let input, isatty(input) == 1 { break }
            let timeout = options.idleTimeout.map { $0 - lastActivity.duration(to: clock.now) }
            if let timeout, timeout <= .zero { break }
            let ready: [EventLoop.Readiness]
            do {
                try loop.setInterest(peerOpen ? .readable : [], for: socket.fd)
                if let input { try loop.setInterest(inputOpen ? .readable : [], for: input) }
                ready = try loop.wait(timeout: timeout)
            } catch {
                throw SockscopeError(error)
            }
            for readiness in ready {
                lastActivity = clock.now
                if readiness.fd == socket.fd {
                    let count: Int?
                    do { count = try socket.receive(into: buffer) } catch { throw SockscopeError(error) }
                    guard let count else { continue }
                    if count == 0 {
                        peerOpen = false
                        if decoder.pendingBytes > 0 {
                            throw SockscopeError(
                                "the peer closed in the middle of a \(format.rawValue) frame (\(decoder.pendingBytes) bytes of it arrived)", status: .ioError)
                        }
                        continue
                    }
                    for message in try decoder.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
                        report.messagesReceived += 1
                        deliver(message)
                    }
                } else if let input, readiness.fd == input {
                    let result: Int?
                    do { result = try SystemCall.read(input, into: buffer) } catch { throw SockscopeError(SocketCallError(.read, error)) }
                    guard let count = result else { continue }
                    if count == 0 {
                        inputOpen = false
                        if !pendingLine.isEmpty { try send(pendingLine[...]) }
                        pendingLine = []
                        if options.halfClose { socket.shutdownWrite() }
                        continue
                    }
                    pendingLine += UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                    while let newline = pendingLine.firstIndex(of: 0x0a) {
                        try send(pendingLine[..<newline])
                        pendingLine.removeFirst(newline + 1)
                    }
                }
            }
        }
        return report
    }
}
