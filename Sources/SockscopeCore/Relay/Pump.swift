import CShim
import Glibc
import SystemPackage

/// Moves bytes one way, from a source endpoint to a sink, through a fixed buffer — or,
/// where nothing needs to see the bytes, through a pipe with `splice(2)`, never copying
/// them into user space (`SplicePipe`; decided once, at the first step).
///
/// A pump reads only when its buffer (or pipe) is empty and writes until it is empty
/// again, so every byte read is written (short writes are continued: sendall
/// semantics). When the source reaches end of stream and the buffer has drained, the
/// pump finishes, optionally sending FIN on a socket sink (`shutdown(SHUT_WR)`). Both
/// ways count bytes, end streams and report errors alike.
final class Pump {
    let source: RelayEndpoint
    let sink: RelayEndpoint
    let transform: ByteTransform
    let shutsDownSinkAtEnd: Bool
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    private(set) var sourceEnded = false
    private(set) var finished = false
    /// Bytes read from the source.
    private(set) var bytesRead = 0
    /// Bytes written to the sink.
    private(set) var bytesWritten = 0
    /// Sees every chunk read from the source, before any transform (for --hexdump);
    /// line endings already converted, as they go on the wire.
    var observer: ((UnsafeRawBufferPointer) -> Void)?
    /// Bare LF becomes CR LF on the way (`--crlf`): reads fill half the buffer.
    var lineEndings: LineEndingConverter?
    /// What is read is dropped, never written (`--send-only`'s unwanted direction).
    var discardsInput = false

    init(from source: RelayEndpoint, to sink: RelayEndpoint, bufferSize: Int, transform: ByteTransform = .none, shutsDownSinkAtEnd: Bool) {
        self.source = source
        self.sink = sink
        self.transform = transform
        self.shutsDownSinkAtEnd = shutsDownSinkAtEnd
        buffer = .allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Read no more from the source (what was read is still written): the relay stops
    /// at the peer's close.
    var holdsInput = false

    var wantsRead: Bool { !sourceEnded && !holdsInput && bufferedBytes == 0 && preface.isEmpty && !sinkFull }
    var wantsWrite: Bool { bufferedBytes > 0 || !preface.isEmpty || closing || sink.hasPendingOutput || sinkFull }

    /// One call that reads and writes at once, with no pipe of ours and no copy:
    /// `sendfile(2)` from a regular file to a socket, or `splice(2)` straight between a
    /// pipe (stdin, stdout) and a socket.
    private enum DirectCall {
        case sendfile, splice
    }
    private var direct: DirectCall?
    /// The direct call found the sink full (EAGAIN): it goes on when that is writable.
    private var sinkFull = false

    /// The pipe the bytes go through when they need not be seen (zero-copy); nil while
    /// they are copied through `buffer`.
    private var splicing: SplicePipe?
    private var routeChosen = false
    /// Whether a splice into the sink has worked (after that, EINVAL is an error).
    private var splicedOut = false
    /// `SOCKSCOPE_ZERO_COPY=off` in the environment: every direction copies (to compare
    /// the two ways, or to rule zero-copy out).
    static let zeroCopyAllowed = getenv("SOCKSCOPE_ZERO_COPY").map { String(cString: $0) != "off" } ?? true

    /// Bytes to write before anything read (see `RelayDirection.sendFirst`), and how
    /// many of them have gone.
    private var preface: [UInt8] = []
    private var prefaceSent = 0

    func sendFirst(_ bytes: [UInt8]) {
        preface = bytes
        prefaceSent = 0
    }
    /// The source has ended and the sink's close (TLS close_notify) waits for room.
    private var closing = false
    /// Bytes read and not yet written: in the buffer, or in the pipe.
    var bufferedBytes: Int { splicing?.held ?? (end - start) }

    /// Does what readiness allows. Returns whether any byte moved or the stream ended.
    /// Throws the failing call (a read error belongs to the source, a write error to the sink).
    func step(sourceReadable: Bool, sinkWritable: Bool) throws(PumpFailure) -> Bool {
        var progressed = false
        if !preface.isEmpty {
            if sinkWritable { progressed = try flushPreface() }
            if !preface.isEmpty { return progressed }
        }
        if !routeChosen { chooseRoute() }
        if bufferedBytes > 0 && sinkWritable {
            progressed = try flush() || progressed
        } else if sinkWritable && sink.hasPendingOutput && !closing {
            // Our buffer has gone to the sink, which has not sent all of it yet.
            do { progressed = try sink.flushPending() || progressed } catch { throw .sink(error) }
        }
        // A non-blocking socket can be drained in a few rounds without waking epoll again;
        // a blocking descriptor is read once per readiness report so it never blocks us.
        let rounds = source.isSocket ? 8 : 1
        var round = 0
        if direct != nil && sinkWritable { sinkFull = false }
        while round < rounds && wantsRead && (sourceReadable || round > 0 || (direct != nil && sinkWritable)) {
            round += 1
            guard let count = try (direct != nil ? moveDirect() : splicing != nil ? readSpliced() : readBuffered()) else { break }
            progressed = true
            if count == 0 {
                sourceEnded = true
                break
            }
            _ = try flush()
        }
        if sourceEnded && bufferedBytes == 0 && !finished && !sink.hasPendingOutput {
            // FIN (and close_notify first on TLS); a TLS sink that is full finishes later.
            closing = shutsDownSinkAtEnd && !sink.finishSending()
            finished = !closing
            progressed = progressed || finished
        }
        return progressed
    }

    /// Reads once into the buffer, seen and changed as asked: the count read (0 at the
    /// end of the stream), or nil when the source has nothing now.
    private func readBuffered() throws(PumpFailure) -> Int? {
        let space = lineEndings == nil ? buffer : UnsafeMutableRawBufferPointer(rebasing: buffer[0..<buffer.count / 2])
        let result: Int?
        do { result = try source.read(into: space) } catch { throw .source(error) }
        guard let read = result, read > 0 else { return result }
        bytesRead += read
        if discardsInput { return read }
        var count = read
        if lineEndings != nil { count = lineEndings?.convert(buffer, count: count) ?? count }
        observer?(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        transform.apply(to: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
        start = 0
        end = count
        return read
    }

    /// Splices what the source has into the pipe: the count (0 at the end of the
    /// stream), or nil when it has nothing now. A source that does not take splice
    /// (EINVAL: a terminal) is read through the buffer from then on.
    private func readSpliced() throws(PumpFailure) -> Int? {
        guard let pipe = splicing else { return try readBuffered() }
        do {
            let moved = try pipe.fill(from: source.fd)
            bytesRead += moved ?? 0
            return moved
        } catch  where error == .invalidArgument && bytesRead == 0 {
            splicing = nil
            trace("fd \(source.fd) → fd \(sink.fd): fd \(source.fd) cannot be spliced from (EINVAL); copying through a buffer")
            return try readBuffered()
        } catch  where error == .badFileDescriptor && !source.isSocket {
            return 0  // as read(2): a descriptor that was never open is at its end
        } catch {
            throw .source(source.spliceFailure(error, reading: true))
        }
    }

    /// The direct call (`direct`) once, for up to a buffer's worth: the count moved (0 at
    /// the end of the source), or nil when it must wait — for the sink when that is
    /// full, else for the source. A failure is the socket's when it is one send(2) or
    /// recv(2) reports of a peer, the other side's (the file or pipe) otherwise.
    private func moveDirect() throws(PumpFailure) -> Int? {
        let call = direct
        let moved: Int?
        do {
            moved = try SystemCall.nonBlocking {
                call == .sendfile ? Glibc.sendfile(sink.fd, source.fd, nil, buffer.count) : cshim_splice(source.fd, sink.fd, buffer.count)
            }
        } catch  where error == .invalidArgument && bytesRead == 0 {
            direct = nil
            trace("fd \(source.fd) → fd \(sink.fd): \(call == .sendfile ? "sendfile" : "splice")(2) refused (EINVAL); copying through a buffer")
            return try readBuffered()
        } catch  where error == .badFileDescriptor && !source.isSocket && fcntl(source.fd, F_GETFD) < 0 {
            return 0  // as read(2): a descriptor that was never open is at its end
        } catch {
            throw Self.directFailure(error, source: source, sink: sink)
        }
        guard let moved else {
            // EAGAIN: sendfile's file always has more, so the socket is full; for splice,
            // either end may be the one not ready — the sink is, when it cannot take more.
            if call == .sendfile || !Self.isWritableNow(sink.fd) { sinkFull = true }
            return nil
        }
        bytesRead += moved
        bytesWritten += moved
        return moved
    }

    /// Whose failure a direct call's error is (see `moveDirect`).
    private static func directFailure(_ error: Errno, source: RelayEndpoint, sink: RelayEndpoint) -> PumpFailure {
        let peerGone: [Errno] = [.connectionReset, .socketNotConnected, .timedOut, .connectionAbort, .noRouteToHost, .networkUnreachable]
        let socketIsSink = sink.isSocket
        if error == .brokenPipe || (peerGone.contains(error) && socketIsSink) || (!peerGone.contains(error) && !socketIsSink) {
            return .sink(sink.spliceFailure(error, reading: false))
        }
        return .source(source.spliceFailure(error, reading: true))
    }

    /// `poll(2)` with no wait: whether `fd` can take data now.
    private static func isWritableNow(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLOUT) != 0
    }

    /// The pipe between two sockets (forward, proxy tunnels).
    static let socketPipeSize = 1 << 20

    /// Decides, once, whether the bytes go without being copied — a regular file to a
    /// socket with sendfile, a pipe to or from a socket with one splice, anything else
    /// through a pipe of ours — when nothing needs to see or change them (no TLS,
    /// --hexdump, --crlf, --upper, dropped input). `-v` says which.
    private func chooseRoute() {
        routeChosen = true
        guard Self.zeroCopyAllowed, observer == nil, lineEndings == nil, !discardsInput, !source.isTLS, !sink.isTLS,
            case .none = transform
        else { return }
        // Stream sockets only: a datagram's boundaries are its reads (sendfile or splice
        // would send datagrams of their own sizes).
        for endpoint in [source, sink] {
            if case .socket(let socket) = endpoint, socket.type != .stream { return }
        }
        if case .descriptor(let fd) = source, case .socket = sink, Self.fileType(fd) == S_IFREG {
            direct = .sendfile
            trace("fd \(source.fd) → fd \(sink.fd): zero-copy, sendfile(2)")
            return
        }
        if case .descriptor(let fd) = source, case .socket = sink, Self.fileType(fd) == S_IFIFO {
            direct = .splice
        } else if case .socket = source, case .descriptor(let fd) = sink, Self.fileType(fd) == S_IFIFO {
            direct = .splice
        }
        if direct != nil {
            trace("fd \(source.fd) → fd \(sink.fd): zero-copy, splice(2) straight between the pipe and the socket")
            return
        }
        // Between two sockets the pipe need not fit the buffer (no fallback can come: a
        // socket always takes splice), and a larger one moves more per call; it holds
        // references to the sockets' pages, not copies.
        let capacity = source.isSocket && sink.isSocket ? max(buffer.count, Self.socketPipeSize) : buffer.count
        guard let pipe = SplicePipe(capacity: capacity) else { return }
        splicing = pipe
        trace("fd \(source.fd) → fd \(sink.fd): zero-copy, splice(2) through a pipe of \(pipe.capacity >> 10) KiB")
    }

    /// `fstat(2)`: the type bits of `fd`'s mode (S_IFREG, S_IFIFO, …); 0 when it fails.
    private static func fileType(_ fd: Int32) -> mode_t {
        var status = stat()
        return fstat(fd, &status) == 0 ? status.st_mode & S_IFMT : 0
    }

    private func trace(_ line: String) {
        (source.tracer ?? sink.tracer)?.record(line)
    }

    /// Splices what the pipe holds into the sink: the count, or nil when the sink takes
    /// none now. A sink that does not take splice (EINVAL: a terminal, a file opened
    /// with O_APPEND) gets what the pipe holds through the buffer, and so on from then.
    private func writeSpliced(_ pipe: SplicePipe) throws(PumpFailure) -> Int? {
        do {
            let moved = try pipe.drain(to: sink.fd)
            if moved != nil { splicedOut = true }
            return moved
        } catch  where error == .invalidArgument && !splicedOut && pipe.held <= buffer.count {
            start = 0
            end = pipe.take(into: buffer)
            splicing = nil
            trace("fd \(source.fd) → fd \(sink.fd): fd \(sink.fd) cannot be spliced to (EINVAL); copying through a buffer")
            return 0
        } catch {
            throw .sink(sink.spliceFailure(error, reading: false))
        }
    }

    /// Writes as much of the buffer (or pipe) as the sink takes now.
    private func flush() throws(PumpFailure) -> Bool {
        var progressed = false
        while let pipe = splicing, pipe.held > 0 {
            guard let written = try writeSpliced(pipe) else { return progressed }
            bytesWritten += written
            progressed = progressed || written > 0
            if written == 0 && splicing != nil { return progressed }
        }
        while start < end {
            let pending = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            let written: Int?
            do { written = try sink.write(pending) } catch { throw .sink(error) }
            guard let written, written > 0 else { break }
            start += written
            bytesWritten += written
            progressed = true
        }
        if start == end {
            start = 0
            end = 0
        }
        return progressed
    }

    /// Writes as much of the preface as the sink takes now.
    private func flushPreface() throws(PumpFailure) -> Bool {
        var progressed = false
        while prefaceSent < preface.count {
            let written: Int?
            let from = prefaceSent
            let result = preface.withUnsafeBytes { raw in
                Result { () throws(SocketCallError) in try sink.write(UnsafeRawBufferPointer(rebasing: raw[from...])) }
            }
            do { written = try result.get() } catch { throw .sink(error) }
            guard let written, written > 0 else { break }
            prefaceSent += written
            bytesWritten += written
            progressed = true
        }
        if prefaceSent == preface.count { preface = [] }
        return progressed
    }

    /// The rest of the stream was given up (`abandon()`): the source may hold more.
    private(set) var abandoned = false

    /// Gives up on the rest of the stream (after the sink failed).
    func abandon() {
        abandoned = true
        sourceEnded = true
        finished = true
        closing = false
        start = 0
        end = 0
        splicing = nil  // what the pipe held goes with it
        sinkFull = false
    }
}

/// Which side of a pump a failed call was on.
enum PumpFailure: Error {
    case source(SocketCallError)
    case sink(SocketCallError)
}
