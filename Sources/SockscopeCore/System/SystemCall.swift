import CShim
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
        try writeEverything(bytes, to: fd) { raw throws(SocketCallError) in
            do throws(Errno) { return try write(fd, raw) } catch { throw SocketCallError(.write, error) }
        }
    }

    /// The one blocking write-everything path: hands `bytes` to `write` (one
    /// non-blocking call — write(), send() — returning what it took, nil when `fd` is
    /// full), continuing short writes and waiting for `fd` through the event loop's
    /// one-descriptor wait, so a signal ends the wait.
    package static func writeEverything(
        _ bytes: UnsafeRawBufferPointer, to fd: Int32, with write: (UnsafeRawBufferPointer) throws(SocketCallError) -> Int?
    ) throws(SocketCallError) {
        var offset = 0
        while offset < bytes.count {
            if let written = try write(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
                offset += written
            } else {
                _ = try EventLoop.wait(for: FileDescriptor(rawValue: fd), .writable, deadline: nil)
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
        guard let null = OwnedDescriptor.open("/dev/null", O_WRONLY) else {
            close(fd)
            return
        }
        _ = dup2(null.rawValue, fd)  // fd is open, so open() returned another number
        null.close()
    }

    /// How many bytes of an input descriptor are still unread, when that can be known
    /// without reading them: a regular file's size less its offset (`fstat(2)`,
    /// `lseek(2)`), what a pipe or socket holds now (`poll(2)` then `ioctl(FIONREAD)`;
    /// readable with nothing waiting is its end: 0). Nil when it cannot be known: a
    /// pipe still open with nothing in it, a terminal, a device.
    /// A whole file's bytes (`open`, `read` until 0, at most `limit`), or nil when it
    /// cannot be opened: /proc tables and small databases, read at once.
    package static func readWholeFile(_ path: String, limit: Int = 64 << 20) -> [UInt8]? {
        guard let file = OwnedDescriptor.open(path, O_RDONLY) else { return nil }
        defer { file.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(file.rawValue, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
            if bytes.count >= limit { break }  // a runaway file is not read to its end
        }
        return bytes
    }

    /// Replaces the file at `path` with `bytes` so that a crash or a power cut leaves
    /// either the old file or the new one, never a mix: the bytes go to `PATH.tmp`,
    /// which is `fsync`ed and `rename(2)`d over `path`, then the folder is `fsync`ed
    /// (the rename itself made durable).
    /// - Throws: the `Errno` of the failing call.
    package static func replaceFile(_ path: String, with bytes: [UInt8]) throws(Errno) {
        let temporary = path + ".tmp"
        guard let file = OwnedDescriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644) else { throw Errno.current }
        do {
            try writeAll(file.rawValue, bytes)
        } catch {
            file.close()
            unlink(temporary)
            throw error.errno
        }
        let synced = fsync(file.rawValue) == 0
        let syncError = Errno.current
        file.close()
        guard synced else {
            unlink(temporary)
            throw syncError
        }
        guard rename(temporary, path) == 0 else {
            let error = Errno.current
            unlink(temporary)
            throw error
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        if let directory = OwnedDescriptor.open(folder, O_RDONLY | O_DIRECTORY) {
            _ = fsync(directory.rawValue)
            directory.close()
        }
    }

    package static func unreadBytes(_ fd: Int32) -> Int? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            let offset = lseek(fd, 0, SEEK_CUR)
            return offset < 0 ? nil : max(0, Int(status.st_size) - Int(offset))
        case S_IFIFO, S_IFSOCK:
            var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&poll, 1, 0) == 1 else { return nil }
            let waiting = cshim_readable_bytes(fd)
            return waiting < 0 ? nil : Int(waiting)
        default:
            return nil
        }
    }
}
