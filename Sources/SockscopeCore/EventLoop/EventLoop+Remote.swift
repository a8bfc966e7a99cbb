import CShim
import Glibc
import Synchronization

extension EventLoop {
    /// What other threads hold to hand work to a loop and to wake its wait: an
    /// `eventfd(2)` counter the loop watches, and a queue of work. `execute` from any
    /// thread; the work runs on the loop's thread, inside `run`, in the order given
    /// (swift-nio's `EventLoop.execute`). Without it, a thread could only tell a loop
    /// something by the loop asking on a tick.
    package final class Remote: Sendable {
        /// Work for the loop; it may end the loop's `run` by throwing.
        package typealias Work = @Sendable () throws(SockscopeError) -> Void

        /// The counter (`eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`, CShim), owned: closed when the
        /// last holder lets go, so a thread that outlives the loop never writes to a
        /// descriptor number that was given to something else.
        let descriptor: Int32
        private let queue = Mutex<[Work]>([])

        init() throws(SocketCallError) {
            let made = cshim_eventfd()
            guard made >= 0 else { throw SocketCallError(.epollWait, .current) }
            descriptor = made
        }

        deinit { close(descriptor) }

        /// Runs `work` on the loop's thread at its next turn.
        package func execute(_ work: @escaping Work) {
            queue.withLock { $0.append(work) }
            wake()
        }

        /// Ends the loop's current wait: its `run` checks `done` again.
        package func wake() {
            var one: UInt64 = 1
            // EAGAIN only when the counter is at its maximum: a wake-up is pending anyway.
            _ = write(descriptor, &one, MemoryLayout<UInt64>.size)
        }

        /// On the loop: resets the counter and takes the work handed over.
        func take() -> [Work] {
            var count: UInt64 = 0
            _ = read(descriptor, &count, MemoryLayout<UInt64>.size)
            return queue.withLock { queue in
                defer { queue.removeAll() }
                return queue
            }
        }
    }

    /// This loop's `Remote`, made (and watched) the first time it is asked for.
    package func remote() throws(SockscopeError) -> Remote {
        if let remoteHandle { return remoteHandle }
        let made: Remote
        do { made = try Remote() } catch { throw SockscopeError(error) }
        guard cshim_epoll_add(epollDescriptor, made.descriptor, UInt32(CSHIM_EPOLLIN), Self.remoteToken) == 0 else {
            throw SockscopeError(SocketCallError(.epollWait, .current))
        }
        remoteHandle = made
        return made
    }
}

/// A value that only its loop's thread may touch, carried through work handed to that
/// loop from other threads (swift-nio's `NIOLoopBound`): other threads may hold it and
/// pass it on, never read it.
package struct LoopBound<Value>: @unchecked Sendable {
    private final class Box {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private let box: Box
    private let thread: pthread_t

    /// Binds `value` to the calling thread (the loop's).
    package init(_ value: Value) {
        box = Box(value)
        thread = pthread_self()
    }

    /// The value; a call from another thread is a programming error.
    package var value: Value {
        precondition(pthread_equal(thread, pthread_self()) != 0, "a loop-bound value was used off its loop's thread")
        return box.value
    }
}

extension EventLoop {
    /// Lets another thread end a server's loop (a test, a supervisor): `stop()` marks the
    /// request and wakes the loop through its `Remote`, so the loop never asks on a tick.
    package final class StopRequest: Sendable {
        private struct State {
            var requested = false
            var remote: Remote?
        }

        private let state = Mutex(State())

        package init() {}

        /// Asks the loop to end (at once if it runs, at its start otherwise).
        package func stop() {
            state.withLock { state in
                state.requested = true
                return state.remote
            }?.wake()
        }

        /// Whether `stop()` was called.
        package var isRequested: Bool { state.withLock { $0.requested } }

        /// Connects the request to `loop` (on the loop's thread, before it runs).
        package func attach(to loop: EventLoop) throws(SockscopeError) {
            let remote = try loop.remote()
            state.withLock { $0.remote = remote }
        }
    }

    /// A loop for a server that runs until a signal, or until `stop` (when given) is
    /// requested; returns the loop and the condition for `run(until:)`.
    package static func serving(stoppedBy stop: StopRequest?) throws(SockscopeError) -> (loop: EventLoop, stopped: () -> Bool) {
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        guard let stop else { return (loop, { false }) }
        try stop.attach(to: loop)
        return (loop, { stop.isRequested })
    }
}
