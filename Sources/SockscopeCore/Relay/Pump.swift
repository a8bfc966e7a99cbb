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

    /// A regular file to a socket: `sendfile(2)` reads and sends in one call, from the
    /// page cache, with no pipe and no copy.
    private var sendsFile = false
    /// sendfile found the socket full (EAGAIN): sending goes on when it is writable.
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
        if sendsFile && sinkWritable { sinkFull = false }
        while round < rounds && wantsRead && (sourceReadable || round > 0 || (sendsFile && sinkWritable)) {
            round += 1
            guard let count = try (sendsFile ? sendFile() : splicing != nil ? readSpliced() : readBuffered()) else { break }
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

    /// `sendfile(2)` of up to a buffer's worth from the file to the socket: the count
    /// (0 at the end of the file), or nil when the socket is full. A failure is the
    /// socket's when it is one send(2) reports (the peer gone), else the file's.
    private func sendFile() throws(PumpFailure) -> Int? {
        let moved: Int?
        do {
            moved = try SystemCall.nonBlocking { Glibc.sendfile(sink.fd, source.fd, nil, buffer.count) }
        } catch  where error == .invalidArgument && bytesRead == 0 {
            sendsFile = false
            trace("fd \(source.fd) → fd \(sink.fd): sendfile(2) refused (EINVAL); copying through a buffer")
            return try readBuffered()
        } catch {
            let peerGone: [Errno] = [.brokenPipe, .connectionReset, .socketNotConnected, .timedOut, .connectionAbort, .noRouteToHost, .networkUnreachable]
            throw peerGone.contains(error) ? .sink(sink.spliceFailure(error, reading: false)) : .source(source.spliceFailure(error, reading: true))
        }
        guard let moved else {
            sinkFull = true
            return nil
        }
        bytesRead += moved
        bytesWritten += moved
        return moved
    }

    /// Decides, once, whether the bytes go without being copied — a regular file to a
    /// socket with sendfile, anything else through a pipe — when nothing needs to see or
    /// change them (no TLS, --hexdump, --crlf, --upper, dropped input). `-v` says which.
    /// The pipe between two sockets (forward, proxy tunnels).
    static let socketPipeSize = 1 << 20

    private func chooseRoute() {
        routeChosen = true
        guard Self.zeroCopyAllowed, observer == nil, lineEndings == nil, !discardsInput, !source.isTLS, !sink.isTLS,
            case .none = transform
        else { return }
        if case .descriptor(let fd) = source, case .socket = sink, Self.isRegularFile(fd) {
            sendsFile = true
            trace("fd \(source.fd) → fd \(sink.fd): zero-copy, sendfile(2)")
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

    /// `fstat(2)`: whether `fd` is a regular file (sendfile reads only those and block devices).
    private static func isRegularFile(_ fd: Int32) -> Bool {
        var status = stat()
        return fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
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
    }
}

/// Which side of a pump a failed call was on.
enum PumpFailure: Error {
    case source(SocketCallError)
    case sink(SocketCallError)
}
