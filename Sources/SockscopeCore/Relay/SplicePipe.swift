import CShim
import Glibc
import SystemPackage

/// The pipe a relay direction moves its bytes through without copying them into user
/// space: `splice(2)` from the source into the pipe, then from the pipe into the sink.
///
/// With SPLICE_F_MOVE the kernel hands the pages on: what a socket received goes to the
/// next socket, file or pipe by reference (a regular file's page-cache pages likewise),
/// where read(2) and write(2) would copy every byte out of the kernel and back. Both
/// ends of the pipe are non-blocking, and SPLICE_F_NONBLOCK makes the call return
/// EAGAIN instead of waiting, so the relay goes on waiting for readiness on its loop.
final class SplicePipe {
    private let readEnd: Int32
    private let writeEnd: Int32
    /// How many bytes one fill may move: the pipe's capacity, at most what was asked
    /// for (a direction that may fall back asks for its buffer's size, so what the pipe
    /// holds fits in the buffer).
    let capacity: Int
    /// Bytes in the pipe: read from the source, not yet written to the sink.
    private(set) var held = 0

    /// A pipe of about `capacity` bytes (F_SETPIPE_SZ); nil when none can be made
    /// (EMFILE, ENFILE) or when its descriptors would take more than half of the
    /// process's limit — a server's clients need them more than its speed does.
    init?(capacity: Int) {
        var ends: [Int32] = [-1, -1]
        let granted = cshim_relay_pipe(&ends, Int32(capacity))
        guard granted > 0 else {
            if ends[0] >= 0 { close(ends[0]) }
            if ends[1] >= 0 { close(ends[1]) }
            return nil
        }
        guard max(ends[0], ends[1]) < Self.descriptorBudget else {
            close(ends[0])
            close(ends[1])
            return nil
        }
        readEnd = ends[0]
        writeEnd = ends[1]
        self.capacity = min(capacity, Int(granted))
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Half of RLIMIT_NOFILE's soft limit: relay pipes never take descriptors above it.
    private static let descriptorBudget: Int32 = {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < UInt64(Int32.max) else { return Int32.max }
        return Int32(clamping: limit.rlim_cur / 2)
    }()

    /// Moves what `fd` has, up to the room left, into the pipe: the count (0 at the end
    /// of the stream), or nil when `fd` has nothing now.
    func fill(from fd: Int32) throws(Errno) -> Int? {
        guard held < capacity else { return nil }
        let moved = try SystemCall.nonBlocking { cshim_splice(fd, writeEnd, capacity - held) }
        held += moved ?? 0
        return moved
    }

    /// Moves what the pipe holds into `fd`: the count, or nil when `fd` takes none now.
    func drain(to fd: Int32) throws(Errno) -> Int? {
        guard held > 0 else { return 0 }
        let moved = try SystemCall.nonBlocking { cshim_splice(readEnd, fd, held) }
        held -= moved ?? 0
        return moved
    }

    /// Reads what the pipe holds into `buffer` (read(2)), for a sink that turned out not
    /// to take splice: the count moved, all of it when `buffer` is large enough.
    func take(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var taken = 0
        while held > 0, taken < buffer.count {
            let count = Glibc.read(readEnd, buffer.baseAddress.map { $0 + taken }, min(held, buffer.count - taken))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            taken += count
            held -= count
        }
        return taken
    }
}
