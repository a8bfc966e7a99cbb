/// Moves bytes one way, from a source endpoint to a sink, through a fixed buffer.
///
/// A pump reads only when its buffer is empty and writes until it is empty again,
/// so every byte read is written (short writes are continued: sendall semantics).
/// When the source reaches end of stream and the buffer has drained, the pump
/// finishes, optionally sending FIN on a socket sink (`shutdown(SHUT_WR)`).
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

    var wantsRead: Bool { !sourceEnded && !holdsInput && start == end && preface.isEmpty }
    var wantsWrite: Bool { start < end || !preface.isEmpty || closing || sink.hasPendingOutput }

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
    var bufferedBytes: Int { end - start }

    /// Does what readiness allows. Returns whether any byte moved or the stream ended.
    /// Throws the failing call (a read error belongs to the source, a write error to the sink).
    func step(sourceReadable: Bool, sinkWritable: Bool) throws(PumpFailure) -> Bool {
        var progressed = false
        if !preface.isEmpty {
            if sinkWritable { progressed = try flushPreface() }
            if !preface.isEmpty { return progressed }
        }
        if start < end && sinkWritable {
            progressed = try flush() || progressed
        } else if sinkWritable && sink.hasPendingOutput && !closing {
            // Our buffer has gone to the sink, which has not sent all of it yet.
            do { progressed = try sink.flushPending() || progressed } catch { throw .sink(error) }
        }
        // A non-blocking socket can be drained in a few rounds without waking epoll again;
        // a blocking descriptor is read once per readiness report so it never blocks us.
        let rounds = source.isSocket ? 8 : 1
        var round = 0
        while round < rounds && wantsRead && (sourceReadable || round > 0) {
            round += 1
            let space = lineEndings == nil ? buffer : UnsafeMutableRawBufferPointer(rebasing: buffer[0..<buffer.count / 2])
            let result: Int?
            do { result = try source.read(into: space) } catch { throw .source(error) }
            guard var count = result else { break }
            progressed = true
            if count == 0 {
                sourceEnded = true
                break
            }
            bytesRead += count
            if discardsInput { continue }
            if lineEndings != nil { count = lineEndings?.convert(buffer, count: count) ?? count }
            observer?(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            transform.apply(to: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
            start = 0
            end = count
            _ = try flush()
        }
        if sourceEnded && start == end && !finished && !sink.hasPendingOutput {
            // FIN (and close_notify first on TLS); a TLS sink that is full finishes later.
            closing = shutsDownSinkAtEnd && !sink.finishSending()
            finished = !closing
            progressed = progressed || finished
        }
        return progressed
    }

    /// Writes as much of the buffer as the sink takes now.
    private func flush() throws(PumpFailure) -> Bool {
        var progressed = false
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
    }
}

/// Which side of a pump a failed call was on.
enum PumpFailure: Error {
    case source(SocketCallError)
    case sink(SocketCallError)
}
