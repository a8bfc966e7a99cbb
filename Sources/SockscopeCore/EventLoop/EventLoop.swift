import CShim
import Glibc
import SystemPackage

/// A level-triggered readiness loop on epoll.
///
/// Callers state, before each `wait`, which descriptors they want to read or write;
/// the loop keeps the epoll set in step with as few `epoll_ctl` calls as it can.
/// Descriptors that epoll refuses (EPERM: regular files, `/dev/zero`, `/dev/null`)
/// are treated as always ready, which is what `read` and `write` on them are.
public final class EventLoop {
    /// What a caller waits for on a descriptor.
    public struct Interest: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let readable = Interest(rawValue: 1)
        public static let writable = Interest(rawValue: 2)
    }

    /// What the kernel reported for one descriptor.
    public struct Readiness: Sendable {
        public var fd: Int32
        public var readable: Bool
        public var writable: Bool
        /// EPOLLHUP or EPOLLERR: the peer hung up, or an error is pending; a read or
        /// write will tell which.
        public var hangUpOrError: Bool
    }

    private let epollFD: Int32
    private var registered: [Int32: Interest] = [:]
    private var alwaysReady: [Int32: Interest] = [:]

    public init() throws(SocketCallError) {
        epollFD = cshim_epoll_create()
        guard epollFD >= 0 else { throw SocketCallError(.socket, Errno.current) }
    }

    deinit { close(epollFD) }

    /// Sets what to wait for on `fd`; an empty interest stops watching it.
    public func setInterest(_ interest: Interest, for fd: Int32) throws(SocketCallError) {
        if alwaysReady[fd] != nil {
            alwaysReady[fd] = interest
            return
        }
        let current = registered[fd]
        if current == interest || (current == nil && interest.isEmpty) { return }
        let result: Int32
        if interest.isEmpty {
            result = cshim_epoll_remove(epollFD, fd)
            registered[fd] = nil
        } else if current == nil {
            result = cshim_epoll_add(epollFD, fd, Self.events(for: interest), UInt64(UInt32(bitPattern: fd)))
            if result != 0 && Errno.current == .notPermitted {
                alwaysReady[fd] = interest
                return
            }
            registered[fd] = interest
        } else {
            result = cshim_epoll_modify(epollFD, fd, Self.events(for: interest), UInt64(UInt32(bitPattern: fd)))
            registered[fd] = interest
        }
        if result != 0 { throw SocketCallError(.socket, Errno.current) }
    }

    /// Watches `fd` only for the peer hanging up (EPOLLRDHUP), never for data, so that
    /// another process can read it undisturbed. Reported as `hangUpOrError`.
    public func watchHangUp(_ fd: Int32) {
        guard registered[fd] == nil else { return }
        if cshim_epoll_add_hangup(epollFD, fd, UInt64(UInt32(bitPattern: fd))) == 0 {
            registered[fd] = Interest(rawValue: 4)
        }
    }

    /// Stops watching `fd` (call before closing it).
    public func forget(_ fd: Int32) {
        if registered.removeValue(forKey: fd) != nil { _ = cshim_epoll_remove(epollFD, fd) }
        alwaysReady[fd] = nil
    }

    /// Waits until a watched descriptor is ready or `timeout` passes (forever when nil),
    /// reporting at most `capacity` (up to 256) descriptors at a time.
    /// Returns an empty list on timeout or when a signal interrupted the wait.
    public func wait(timeout: Duration?, capacity: Int = 16) throws(SocketCallError) -> [Readiness] {
        var ready: [Readiness] = []
        for (fd, interest) in alwaysReady where !interest.isEmpty {
            ready.append(Readiness(fd: fd, readable: interest.contains(.readable), writable: interest.contains(.writable), hangUpOrError: false))
        }
        var milliseconds: Int32 = timeout.map { Int32(clamping: max(0, $0.milliseconds + ($0 > .zero ? 1 : 0))) } ?? -1
        if !ready.isEmpty { milliseconds = 0 }
        if registered.isEmpty {
            if ready.isEmpty, milliseconds != 0 {
                // Nothing to watch: just let the timeout pass.
                _ = poll(nil, 0, milliseconds)
            }
            return ready
        }
        var events = [cshim_epoll_event](repeating: cshim_epoll_event(), count: min(max(capacity, 1), 256))
        let count = cshim_epoll_wait(epollFD, &events, Int32(events.count), milliseconds)
        if count < 0 {
            if Errno.current == .interrupted { return ready }
            throw SocketCallError(.socket, Errno.current)
        }
        for event in events.prefix(Int(count)) {
            let flags = event.events
            let problem = flags & UInt32(CSHIM_EPOLLERR | CSHIM_EPOLLHUP | CSHIM_EPOLLRDHUP) != 0
            ready.append(Readiness(
                fd: Int32(bitPattern: UInt32(truncatingIfNeeded: event.data)),
                readable: flags & UInt32(CSHIM_EPOLLIN) != 0 || problem,
                writable: flags & UInt32(CSHIM_EPOLLOUT) != 0 || problem,
                hangUpOrError: problem))
        }
        return ready
    }

    private static func events(for interest: Interest) -> UInt32 {
        var events: UInt32 = 0
        if interest.contains(.readable) { events |= UInt32(CSHIM_EPOLLIN) }
        if interest.contains(.writable) { events |= UInt32(CSHIM_EPOLLOUT) }
        return events
    }
}
