import Glibc
import SystemPackage

/// One end of a relay: a socket (non-blocking), a TLS session over one, or a plain
/// descriptor such as stdin or stdout (left in whatever blocking mode the shell gave it).
enum RelayEndpoint {
    case socket(Socket)
    case tls(TLSSession)
    case descriptor(Int32)

    var fd: Int32 {
        switch self {
        case .socket(let socket): socket.fd
        case .tls(let session): session.socket.fd
        case .descriptor(let fd): fd
        }
    }

    /// The descriptor, borrowed, for the loop.
    var descriptor: FileDescriptor { FileDescriptor(rawValue: fd) }

    /// TLS over a socket.
    var isTLS: Bool {
        if case .tls = self { return true }
        return false
    }

    /// Non-blocking (a socket, or TLS over one): may be read in several rounds.
    var isSocket: Bool {
        if case .descriptor = self { return false }
        return true
    }

    /// What to wait for before reading again: readable, except when TLS must first
    /// write (a read that answered a key update into a full socket).
    var readInterest: EventLoop.Interest {
        if case .tls(let session) = self, session.readWaitsForWritable { return .writable }
        return .readable
    }

    /// Whether readiness of its descriptor may let a read or write go on: TLS reads may
    /// wait for writability (and the reverse), so any readiness of its socket counts.
    func isReady(_ readiness: EventLoop.Readiness, writing: Bool) -> Bool {
        guard readiness.descriptor == descriptor else { return false }
        if case .tls = self { return true }
        return writing ? readiness.writable : readiness.readable
    }

    /// Input it has already taken in that its descriptor's readiness will not announce
    /// (TLS records read ahead).
    var hasBufferedInput: Bool {
        if case .tls(let session) = self { return session.hasBufferedInput }
        return false
    }

    /// Bytes it took that still wait to be sent (TLS records in the session's buffer).
    var hasPendingOutput: Bool {
        if case .tls(let session) = self { return session.hasPendingOutput }
        return false
    }

    /// Sends what waits (see `hasPendingOutput`); returns whether any of it moved.
    func flushPending() throws(SocketCallError) -> Bool {
        guard case .tls(let session) = self else { return false }
        return try session.flushPending()
    }

    /// Ends the sending side after the last byte: FIN (`shutdown(SHUT_WR)`), after
    /// close_notify on TLS. Returns false when TLS could not send it yet (socket full).
    func finishSending() -> Bool {
        switch self {
        case .socket(let socket):
            socket.shutdownWrite()
            return true
        case .tls(let session):
            return session.closeWrite()
        case .descriptor:
            return true
        }
    }

    /// The tracer of its socket, for `-v` narration; nil for a plain descriptor.
    var tracer: SocketTracer? {
        switch self {
        case .socket(let socket): socket.tracer
        case .tls(let session): session.socket.tracer
        case .descriptor: nil
        }
    }

    /// A failed splice(2) from (`reading`) or into this endpoint, reported as the
    /// read or write in its place would have been: recv/send on a socket with its
    /// peer's address, read/write on a descriptor.
    func spliceFailure(_ error: Errno, reading: Bool) -> SocketCallError {
        switch self {
        case .socket(let socket):
            return SocketCallError(reading ? .recv : .send, error, address: socket.remoteAddress)
        case .tls(let session):
            return SocketCallError(reading ? .recv : .send, error, address: session.socket.remoteAddress)
        case .descriptor:
            return SocketCallError(reading ? .read : .write, error)
        }
    }

    /// Reads once. Returns the byte count (0 at end of stream) or nil when no data
    /// is ready. A descriptor that was never open (EBADF) reads as end of stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketCallError) -> Int? {
        switch self {
        case .socket(let socket):
            return try socket.receive(into: buffer)
        case .tls(let session):
            return try session.read(into: buffer)
        case .descriptor(let fd):
            do {
                return try SystemCall.read(fd, into: buffer)
            } catch  where error == .badFileDescriptor {
                return 0
            } catch {
                throw SocketCallError(.read, error)
            }
        }
    }

    /// Writes once. Returns the bytes written (maybe fewer than given) or nil when
    /// the endpoint cannot take data now.
    func write(_ bytes: UnsafeRawBufferPointer) throws(SocketCallError) -> Int? {
        switch self {
        case .socket(let socket):
            return try socket.send(bytes)
        case .tls(let session):
            return try session.write(bytes)
        case .descriptor(let fd):
            do { return try SystemCall.write(fd, bytes) } catch { throw SocketCallError(.write, error) }
        }
    }
}

/// A change applied to bytes as they pass through a relay (`--upper`).
package enum ByteTransform: Sendable {
    case none
    /// ASCII letters to upper case, every other byte unchanged (binary-safe).
    case asciiUppercase

    /// Applies the change to an array of bytes.
    package func apply(to bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { apply(to: $0) }
    }

    func apply(to buffer: UnsafeMutableRawBufferPointer) {
        switch self {
        case .none:
            return
        case .asciiUppercase:
            for index in buffer.indices {
                let byte = buffer[index]
                if byte >= 0x61 && byte <= 0x7a { buffer[index] = byte - 0x20 }
            }
        }
    }
}
