import CShim
import Glibc
import Synchronization

/// SIGINT, SIGTERM and SIGHUP, turned into readiness: the handler records the signal and
/// writes one byte into a self-pipe whose read end every `EventLoop` watches.
///
/// The pipe is never drained, so once a signal has arrived it stays readable for
/// every loop on every thread: a signal can never fall between a check and a wait
/// (the race a flag checked before `epoll_wait` has). Each loop then ends its work
/// the usual way — what arrived is written out, a pcap file is closed — and the
/// command exits with 128 + signal (130, 143).
///
/// A second signal while the first is being handled ends the process at once
/// (`_exit`), so even a call that no loop watches (a slow DNS lookup) gives way
/// to a second Ctrl-C.
package enum Interruption {
    private static let received = Atomic<Int32>(0)
    /// Set while a call that no loop can interrupt runs (a BPF compile, a name lookup):
    /// a signal then ends the process at once, there being nothing to write out.
    private static let immediate = Atomic<Bool>(false)
    private static let writeEnd = Atomic<Int32>(-1)
    private static let readEnd = Atomic<Int32>(-1)

    /// Creates the pipe (`pipe2(O_CLOEXEC | O_NONBLOCK)`) and installs the handlers.
    /// Call once, early, before any thread starts.
    package static func install() {
        guard readEnd.load(ordering: .acquiring) < 0 else { return }
        var ends: [Int32] = [-1, -1]
        guard cshim_pipe_cloexec_nonblock(&ends) == 0 else { return }
        writeEnd.store(ends[1], ordering: .releasing)
        readEnd.store(ends[0], ordering: .releasing)
        signal(SIGINT) { number in Interruption.handle(number) }
        signal(SIGTERM) { number in Interruption.handle(number) }
        // A terminal that goes away: end as cleanly as for SIGTERM (a pcap file keeps
        // whole records), unless the user asked to ignore it (nohup).
        if cshim_signal_is_ignored(SIGHUP) == 0 { signal(SIGHUP) { number in Interruption.handle(number) } }
    }

    /// The signal handler: only async-signal-safe work (an atomic exchange, `write`, `_exit`).
    private static func handle(_ number: Int32) {
        if immediate.load(ordering: .relaxed) { _exit(128 + number) }
        let previous = received.exchange(number, ordering: .relaxed)
        if previous != 0 { _exit(128 + previous) }
        var byte: UInt8 = 1
        _ = write(writeEnd.load(ordering: .relaxed), &byte, 1)
    }

    /// Runs `body` — a blocking library call that no event loop can watch, holding no
    /// output — so that SIGINT/SIGTERM end the process at once (exit 128 + signal)
    /// instead of waiting for the call to return.
    /// On a worker thread that blocks the signals (`blockOnThisThread`) it simply runs
    /// `body`: the loop's thread handles them, and ends the program its usual way.
    package static func immediately<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        if blockedOnThisThread { return try body() }
        if let signal = pending { _exit(128 + signal) }
        immediate.store(true, ordering: .relaxed)
        defer { immediate.store(false, ordering: .relaxed) }
        return try body()
    }

    /// Blocks SIGINT, SIGTERM and SIGHUP on the calling thread (`pthread_sigmask(2)`): a
    /// worker thread's, so that they are delivered to the loop's thread.
    package static func blockOnThisThread() {
        var set = sigset_t()
        sigemptyset(&set)
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, number) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Whether this thread blocks SIGINT (a worker's).
    private static var blockedOnThisThread: Bool {
        var current = sigset_t()
        guard pthread_sigmask(SIG_BLOCK, nil, &current) == 0 else { return false }
        return sigismember(&current, SIGINT) == 1
    }

    /// The descriptor that becomes readable when a signal has arrived, or -1 before `install`.
    package static var descriptor: Int32 { readEnd.load(ordering: .acquiring) }

    /// The signal that asked us to stop, if one has.
    package static var pending: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// The error that ends the program as `signal` asked: exit 130 for SIGINT, 143 for SIGTERM.
    package static func error(for signal: Int32) -> SockscopeError {
        switch signal {
        case SIGINT: SockscopeError("stopped by SIGINT", status: .interrupted)
        case SIGHUP: SockscopeError("stopped by SIGHUP", status: .hangUp)
        default: SockscopeError("stopped by SIGTERM", status: .terminated)
        }
    }

    /// Throws the error that ends the program as the signal asked, when one is pending.
    package static func check() throws(SockscopeError) {
        guard let number = pending else { return }
        throw error(for: number)
    }
}
