import Glibc
import SystemPackage

/// The one place that calls into the kernel for reads and writes and decides what
/// an errno means for the caller: EINTR is retried, EAGAIN/EWOULDBLOCK is "not now"
/// (nil), anything else is thrown as `Errno` — the shape of swift-system's
/// `valueOrErrno(retryOnInterrupt:)` and swift-nio's `syscall(blocking:)`.
package enum SystemCall {
    /// Runs `body` (a call returning -1 and setting errno on failure) until it is not
    /// interrupted. Returns its result, or nil when the descriptor is not ready (EAGAIN).
    @inline(__always)
    package static func nonBlocking<Result: BinaryInteger>(_ body: () -> Result) throws(Errno) -> Result? {
        while true {
            let result = body()
            if result >= 0 { return result }
            let error = Errno.current
            if error == .interrupted { continue }
            if error == .resourceTemporarilyUnavailable { return nil }
            throw error
        }
    }

    /// `read(2)` once: the byte count (0 at end of stream), or nil when nothing is ready.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int? {
        try nonBlocking { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `write(2)` once: the bytes written (perhaps fewer than given), or nil when the
    /// descriptor cannot take data now.
    package static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int? {
        try nonBlocking { Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }

    /// Writes every byte to `fd`, continuing short writes and waiting (through the
    /// event loop, so a signal ends the wait) when a non-blocking descriptor is full.
    /// - Throws: `SocketCallError` for the failing `write` (EPIPE, ENOSPC, …), or
    ///   EINTR when a signal stopped the wait.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SocketCallError) {
        var offset = 0
        while offset < bytes.count {
            let written: Int?
            do {
                written = try write(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            } catch {
                throw SocketCallError(.write, error)
            }
            if let written {
                offset += written
            } else {
                _ = try EventLoop.wait(for: fd, .writable, deadline: nil)
            }
        }
    }

    /// Writes every byte of `bytes` (see the buffer-pointer variant).
    package static func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>) throws(SocketCallError) {
        let result: Result<Void, SocketCallError> = Array(bytes).withUnsafeBytes { raw in
            do throws(SocketCallError) {
                try writeAll(fd, raw)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Closes an output descriptor for its reader (who sees end of file) while keeping
    /// its number taken: `dup2(2)` puts /dev/null in its place, so a later `open` cannot
    /// be given the number and receive writes meant for the old file.
    package static func retire(_ fd: Int32) {
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard null >= 0 else {
            close(fd)
            return
        }
        if null != fd {
            _ = dup2(null, fd)
            close(null)
        }
    }
}
