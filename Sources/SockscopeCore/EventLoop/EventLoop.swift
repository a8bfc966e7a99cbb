import CShim
import Glibc
import SystemPackage

/// The one place sockscope waits: readiness (epoll), timers, and signals.
///
/// A loop runs handlers: `register` a descriptor with what to wait for and the
/// handler to call when it is ready, `schedule` timers, then `run(until:)`, which
/// dispatches both until the caller says it is done. (`wait` is the primitive under
/// `run`, for callers that only need the next readiness report.) Every
/// loop watches `Interruption.descriptor`, the self-pipe the signal handler writes
/// to, so a signal ends any wait at once and is never lost between a check and the
/// wait: `wait` then throws EINTR as a `SocketCallError`, which
/// `SockscopeError(_:)` turns into "stopped by SIGINT" (exit 130) or SIGTERM (143).
///
/// Descriptors that epoll refuses (EPERM: regular files, `/dev/zero`, `/dev/null`)
/// are treated as always ready, which is what `read` and `write` on them are.
/// A single descriptor can be waited for without a loop object (`wait(for:_:deadline:)`,
/// on `poll(2)` with the same self-pipe), and so can time alone (`sleep(for:)`).
package final class EventLoop {
    /// What a caller waits for on a descriptor.
    package struct Interest: OptionSet, Sendable, Hashable {
        package let rawValue: UInt8
        package init(rawValue: UInt8) { self.rawValue = rawValue }
        package static let readable = Interest(rawValue: 1)
        package static let writable = Interest(rawValue: 2)
        /// Only the peer hanging up (EPOLLRDHUP), never data.
        package static let hangUp = Interest(rawValue: 4)
        /// Only failures: an error or a full hang-up (EPOLLERR, EPOLLHUP, which epoll
        /// always reports), never data and never a half-close.
        package static let failure = Interest(rawValue: 8)
    }

    /// What the kernel reported for one descriptor.
    package struct Readiness: Sendable {
        /// The descriptor, as registered (swift-system's `FileDescriptor`, not owned).
        package var descriptor: FileDescriptor
        package var readable: Bool
        package var writable: Bool
        /// EPOLLHUP, EPOLLERR or EPOLLRDHUP: the peer hung up, or an error is
        /// pending; a read or write will tell which.
        package var hangUpOrError: Bool
        /// Which registration of `descriptor` the event was for (see `register`): an event
        /// for a descriptor closed and reused within the same wait is not its new owner's.
        package var registration: UInt32 = 0

        package init(_ descriptor: FileDescriptor, readable: Bool, writable: Bool, hangUpOrError: Bool, registration: UInt32 = 0) {
            self.descriptor = descriptor
            self.readable = readable
            self.writable = writable
            self.hangUpOrError = hangUpOrError
            self.registration = registration
        }
    }

    /// The clock every deadline is on.
    package typealias Instant = ContinuousClock.Instant

    /// Called with a registered descriptor's readiness.
    package typealias Handler = (Readiness) throws(SockscopeError) -> Void

    /// A scheduled action, to cancel it.
    package struct Timer: Hashable, Sendable {
        fileprivate let id: Int
    }

    /// The epoll instance (`epoll_create1(EPOLL_CLOEXEC)`), owned.
    private let epoll: FileDescriptor
    private var epollFD: Int32 { epoll.rawValue }
    private var registered: [Int32: Interest] = [:]
    private var alwaysReady: [Int32: Interest] = [:]
    private var handlers: [Int32: Handler] = [:]
    private var timers = TimerHeap()
    private var nextTimerID = 0
    /// Each `register` call's identity, per descriptor: the high half of its epoll token
    /// (the low half is the descriptor), as swift-nio's registration IDs.
    private var registrations: [Int32: UInt32] = [:]
    private var lastRegistration: UInt32 = 0
    /// Tokens no descriptor can have (its low half would be -1 or -2).
    private static let signalToken = UInt64(UInt32.max)
    static let remoteToken = UInt64(UInt32.max - 1)
    /// Made by `remote()`; its work runs in `run`.
    var remoteHandle: Remote?
    /// The remote's counter fired in the last wait.
    private var remoteWoken = false
    var epollDescriptor: Int32 { epoll.rawValue }

    /// `epoll_create1(EPOLL_CLOEXEC)`, with the signal pipe already watched.
    package init() throws(SocketCallError) {
        let created = cshim_epoll_create()
        guard created >= 0 else { throw SocketCallError(.epollWait, Errno.current) }
        epoll = FileDescriptor(rawValue: created)
        let signals = Interruption.descriptor
        if signals >= 0, cshim_epoll_add(created, signals, UInt32(CSHIM_EPOLLIN), Self.signalToken) != 0 {
            let error = Errno.current
            try? epoll.close()
            throw SocketCallError(.epollWait, error)
        }
    }

    deinit { try? epoll.close() }

    /// Sets what to wait for on `fd` (`epoll_ctl` ADD, MOD or DEL, only when it
    /// changes); an empty interest stops watching it.
    package func setInterest(_ interest: Interest, for descriptor: FileDescriptor) throws(SocketCallError) {
        let fd = descriptor.rawValue
        if alwaysReady[fd] != nil {
            alwaysReady[fd] = interest
            return
        }
        try setInterest(interest, for: fd, renewing: false)
    }

    /// `setInterest`, and with `renewing` the epoll token brought up to the descriptor's
    /// current registration even when the interest is unchanged.
    private func setInterest(_ interest: Interest, for fd: Int32, renewing: Bool) throws(SocketCallError) {
        let current = registered[fd]
        if (current == interest && !renewing) || (current == nil && interest.isEmpty) { return }
        let token = UInt64(registrations[fd] ?? 0) << 32 | UInt64(UInt32(bitPattern: fd))
        var result: Int32
        if interest.isEmpty {
            result = cshim_epoll_remove(epollFD, fd)
            if result != 0 && Errno.current == .noSuchFileOrDirectory { result = 0 }  // its file went (see below)
            registered[fd] = nil
        } else if current == nil {
            result = cshim_epoll_add(epollFD, fd, Self.events(for: interest), token)
            if result != 0 && Errno.current == .notPermitted {
                alwaysReady[fd] = interest
                return
            }
            registered[fd] = interest
        } else {
            result = cshim_epoll_modify(epollFD, fd, Self.events(for: interest), token)
            if result != 0 && Errno.current == .noSuchFileOrDirectory {
                // The number names another file now (dup3 onto it: Socket.reconnect), and
                // epoll dropped the old one when it closed: watch the new one.
                result = cshim_epoll_add(epollFD, fd, Self.events(for: interest), token)
            }
            registered[fd] = interest
        }
        if result != 0 { throw SocketCallError(.epollWait, Errno.current) }
    }

    /// Stops watching `fd` and drops its handler (call before closing it).
    package func forget(_ descriptor: FileDescriptor) {
        let fd = descriptor.rawValue
        if registered.removeValue(forKey: fd) != nil { _ = cshim_epoll_remove(epollFD, fd) }
        alwaysReady[fd] = nil
        handlers[fd] = nil
        registrations[fd] = nil
    }

    /// Forgets `fd` that the caller closes next, without epoll_ctl(EPOLL_CTL_DEL):
    /// close(2) of the last descriptor of an open file takes it out of the epoll set
    /// (epoll(7)), so a scan that closes tens of thousands of probes saves a call each.
    /// Only for a descriptor that was never duplicated.
    package func forgetClosing(_ descriptor: FileDescriptor) {
        let fd = descriptor.rawValue
        registered.removeValue(forKey: fd)
        alwaysReady[fd] = nil
        handlers[fd] = nil
        registrations[fd] = nil
    }

    // MARK: Handlers and timers

    /// Watches `fd` for `interest` and calls `handler` whenever it is ready (replacing
    /// any handler it had). Change the interest later with `setInterest`.
    /// Each call is a new registration: readiness reported for an earlier one (the same
    /// number, closed and reused while one wait's events are dispatched) is dropped.
    package func register(_ descriptor: FileDescriptor, _ interest: Interest, handler: @escaping Handler) throws(SockscopeError) {
        let fd = descriptor.rawValue
        handlers[fd] = handler
        lastRegistration = lastRegistration == UInt32.max ? 1 : lastRegistration + 1
        registrations[fd] = lastRegistration
        do { try setInterest(interest, for: fd, renewing: true) } catch { throw SockscopeError(error) }
    }

    /// Watches `descriptor` for `interest` again even when the interest is unchanged: its
    /// number was given a new file (dup3), which epoll does not know yet.
    package func renew(_ descriptor: FileDescriptor, _ interest: Interest) throws(SockscopeError) {
        do { try setInterest(interest, for: descriptor.rawValue, renewing: true) } catch { throw SockscopeError(error) }
    }

    /// Changes what a registered descriptor waits for (see `setInterest`), as an error
    /// the handlers can throw.
    package func update(_ descriptor: FileDescriptor, _ interest: Interest) throws(SockscopeError) {
        do { try setInterest(interest, for: descriptor) } catch { throw SockscopeError(error) }
    }

    /// Calls `action` once, at `deadline` or as soon after as the loop runs.
    @discardableResult
    package func schedule(at deadline: Instant, _ action: @escaping () throws(SockscopeError) -> Void) -> Timer {
        nextTimerID += 1
        timers.insert(.init(deadline: deadline, id: nextTimerID, action: action))
        return Timer(id: nextTimerID)
    }

    /// Cancels a timer that has not fired yet.
    package func cancel(_ timer: Timer) {
        timers.cancel(timer.id)
    }

    /// Dispatches readiness to the registered handlers and due timers to their actions
    /// until `done()` is true (checked before every wait). `prepare`, when given, runs
    /// before every wait, after the handlers of the last round: the place to bring
    /// interests and timers in step with what the handlers changed. Handlers and timers
    /// are dropped when it returns (they usually capture the loop).
    /// - Throws: whatever a handler, timer or `prepare` throws; "stopped by
    ///   SIGINT/SIGTERM" when a signal arrives (handlers have written out what they had read).
    package func run(until done: () -> Bool, prepare: () throws(SockscopeError) -> Void = {}) throws(SockscopeError) {
        defer {
            handlers.removeAll()
            timers.removeAll()
        }
        while true {
            // Work that never has to wait (a scan whose probes all answer at once) must
            // still see a signal: look before every round, not only inside the wait.
            if let signal = Interruption.pending { throw Interruption.error(for: signal) }
            try prepare()
            if done() { return }
            let ready: [Readiness]
            do { ready = try wait(until: timers.nextDeadline, capacity: 256) } catch { throw SockscopeError(error) }
            for readiness in ready where readiness.registration == registrations[readiness.descriptor.rawValue] ?? 0 {
                try handlers[readiness.descriptor.rawValue]?(readiness)
            }
            if remoteWoken, let remoteHandle {
                remoteWoken = false
                for work in remoteHandle.take() { try work() }
            }
            let now = ContinuousClock.now
            while let due = timers.popDue(at: now) { try due.action() }
        }
    }

    /// Waits until a watched descriptor is ready or `timeout` passes (forever when
    /// nil), reporting at most `capacity` (up to 256) descriptors at a time.
    /// Returns an empty list when the time ran out.
    /// - Throws: EINTR when SIGINT or SIGTERM has arrived; an `epoll_wait` failure.
    package func wait(timeout: Duration?, capacity: Int = 16) throws(SocketCallError) -> [Readiness] {
        var ready: [Readiness] = []
        for (fd, interest) in alwaysReady where !interest.isEmpty {
            ready.append(
                Readiness(
                    FileDescriptor(rawValue: fd), readable: interest.contains(.readable), writable: interest.contains(.writable),
                    hangUpOrError: false, registration: registrations[fd] ?? 0))
        }
        try Self.checkSignal()
        let milliseconds = ready.isEmpty ? Self.milliseconds(timeout) : 0
        var events = [cshim_epoll_event](repeating: cshim_epoll_event(), count: min(max(capacity, 1), 256))
        let count = cshim_epoll_wait(epollFD, &events, Int32(events.count), milliseconds)
        if count < 0 {
            if Errno.current == .interrupted { return ready }
            throw SocketCallError(.epollWait, Errno.current)
        }
        for event in events.prefix(Int(count)) {
            if event.data == Self.signalToken { throw SocketCallError(.epollWait, .interrupted) }
            if event.data == Self.remoteToken {
                remoteWoken = true
                continue
            }
            let flags = event.events
            let problem = flags & UInt32(CSHIM_EPOLLERR | CSHIM_EPOLLHUP | CSHIM_EPOLLRDHUP) != 0
            ready.append(
                Readiness(
                    FileDescriptor(rawValue: Int32(bitPattern: UInt32(truncatingIfNeeded: event.data))),
                    readable: flags & UInt32(CSHIM_EPOLLIN) != 0 || problem,
                    writable: flags & UInt32(CSHIM_EPOLLOUT) != 0 || problem,
                    hangUpOrError: problem, registration: UInt32(truncatingIfNeeded: event.data >> 32)))
        }
        return ready
    }

    /// Waits until `deadline` at the latest (forever when nil); see `wait(timeout:capacity:)`.
    package func wait(until deadline: Instant?, capacity: Int = 16) throws(SocketCallError) -> [Readiness] {
        try wait(timeout: deadline.map { ContinuousClock.now.duration(to: $0) }, capacity: capacity)
    }

    // MARK: Waiting without a loop object

    /// Waits for one descriptor (`poll(2)` on it and the signal pipe) until `deadline`
    /// (forever when nil). Returns false when the deadline passed first.
    /// - Throws: EINTR when SIGINT or SIGTERM has arrived; a `poll` failure.
    package static func wait(for descriptor: FileDescriptor, _ interest: Interest, deadline: Instant?) throws(SocketCallError) -> Bool {
        let fd = descriptor.rawValue
        var events: Int16 = 0
        if interest.contains(.readable) { events |= Int16(POLLIN) }
        if interest.contains(.writable) { events |= Int16(POLLOUT) }
        var descriptors = [pollfd(fd: fd, events: events, revents: 0), pollfd(fd: Interruption.descriptor, events: Int16(POLLIN), revents: 0)]
        while true {
            try checkSignal()
            let timeout = milliseconds(deadline.map { ContinuousClock.now.duration(to: $0) })
            let count = poll(&descriptors, descriptors[1].fd >= 0 ? 2 : 1, timeout)
            if count < 0 {
                if Errno.current == .interrupted { continue }
                throw SocketCallError(.epollWait, Errno.current)
            }
            if descriptors[1].revents != 0 { throw SocketCallError(.epollWait, .interrupted) }
            if descriptors[0].revents != 0 { return true }
            if let deadline, ContinuousClock.now >= deadline { return false }
        }
    }

    /// Lets `duration` pass, unless a signal arrives first (then throws EINTR).
    package static func sleep(for duration: Duration) throws(SocketCallError) {
        let deadline = ContinuousClock.now + duration
        var signals = pollfd(fd: Interruption.descriptor, events: Int16(POLLIN), revents: 0)
        while ContinuousClock.now < deadline {
            try checkSignal()
            _ = poll(&signals, 1, milliseconds(ContinuousClock.now.duration(to: deadline)))
        }
        try checkSignal()
    }

    /// Throws EINTR when a signal has asked the program to stop.
    private static func checkSignal() throws(SocketCallError) {
        if Interruption.pending != nil { throw SocketCallError(.epollWait, .interrupted) }
    }

    /// A timeout for epoll_wait/poll: -1 for none, else whole milliseconds rounded up.
    private static func milliseconds(_ timeout: Duration?) -> Int32 {
        guard let timeout else { return -1 }
        guard timeout > .zero else { return 0 }
        return Int32(clamping: timeout.milliseconds + 1)
    }

    private static func events(for interest: Interest) -> UInt32 {
        var events: UInt32 = 0
        if interest.contains(.readable) { events |= UInt32(CSHIM_EPOLLIN) }
        if interest.contains(.writable) { events |= UInt32(CSHIM_EPOLLOUT) }
        if interest.contains(.hangUp) { events |= UInt32(CSHIM_EPOLLRDHUP) }
        return events
    }
}
