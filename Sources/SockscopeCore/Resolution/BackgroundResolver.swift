import Glibc
import Synchronization

/// Name lookups off the event loop. `getaddrinfo(3)` blocks — a DNS server that never
/// answers holds it for the resolver's whole timeout and retries (~10 s with glibc's
/// defaults) — so a server that looks names up while serving others (`sockscope proxy`)
/// must not call it on its loop: each lookup runs on a worker thread (at most `limit`
/// at once, the rest queued), and its answer is handed back to the loop's thread through
/// the loop's `Remote` (an eventfd the loop watches).
///
/// A lookup may be abandoned (`cancel`, when its own deadline passed first): its
/// answer is then dropped when it comes. The worker itself runs until getaddrinfo
/// returns; it holds no descriptor the loop uses.
package final class BackgroundResolver {
    package typealias Answer = Result<[SocketAddress], SockscopeError>

    /// What the workers and the loop share.
    private final class Shared: Sendable {
        struct Job: Sendable {
            var id: Int
            var name: String
            var port: UInt16
        }

        struct State: Sendable {
            var waiting: [Job] = []
            var workers = 0
        }

        let state = Mutex(State())
        let remote: EventLoop.Remote
        let callbacks: LoopBound<Callbacks>
        let limit: Int

        init(remote: EventLoop.Remote, callbacks: LoopBound<Callbacks>, limit: Int) {
            self.remote = remote
            self.callbacks = callbacks
            self.limit = limit
        }

        /// A worker's life: take jobs until none waits, handing each answer to the loop.
        /// Signals go to the loop's thread.
        func work() {
            Interruption.blockOnThisThread()
            while let job = state.withLock({ state -> Job? in
                guard !state.waiting.isEmpty else {
                    state.workers -= 1
                    return nil
                }
                return state.waiting.removeFirst()
            }) {
                let answer: Answer
                do { answer = .success(try HostResolver.resolve(job.name, port: job.port, family: nil, type: .stream)) } catch { answer = .failure(error) }
                post(job.id, answer)
            }
        }

        func post(_ id: Int, _ answer: Answer) {
            let callbacks = self.callbacks
            remote.execute { () throws(SockscopeError) in try callbacks.value.deliver(id, answer) }
        }
    }

    /// The loop's side: who waits for which answer.
    private final class Callbacks {
        var waiting: [Int: (Answer) throws(SockscopeError) -> Void] = [:]

        func deliver(_ id: Int, _ answer: Answer) throws(SockscopeError) {
            try waiting.removeValue(forKey: id)?(answer)
        }
    }

    private let shared: Shared
    private let callbacks = Callbacks()
    private var nextID = 0

    /// Answers come back through `loop`'s `Remote`.
    package init(loop: EventLoop, limit: Int = 16) throws(SockscopeError) {
        shared = Shared(remote: try loop.remote(), callbacks: LoopBound(callbacks), limit: max(1, limit))
    }

    /// Looks `name` up (with `port` in the addresses) on a worker; `then` runs on the
    /// loop with the addresses or the failure. Returns an id for `cancel`.
    @discardableResult
    package func resolve(_ name: String, port: UInt16, then: @escaping (Answer) throws(SockscopeError) -> Void) -> Int {
        nextID += 1
        let id = nextID
        callbacks.waiting[id] = then
        let startWorker = shared.state.withLock { state -> Bool in
            state.waiting.append(.init(id: id, name: name, port: port))
            guard state.workers < shared.limit else { return false }
            state.workers += 1
            return true
        }
        if startWorker { spawn() }
        return id
    }

    /// Forgets a lookup: its answer, when it comes, is dropped.
    package func cancel(_ id: Int) { callbacks.waiting[id] = nil }

    /// Lookups asked for and not answered or cancelled yet.
    package var pending: Int { callbacks.waiting.count }

    private func spawn() {
        let shared = self.shared
        if DetachedThread.start({ shared.work() }) { return }
        // No thread could be had: the lookups already queued wait for a worker running
        // now, or fail here if none runs.
        let orphaned = shared.state.withLock { state -> [Shared.Job] in
            state.workers -= 1
            guard state.workers == 0 else { return [] }
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        let failure = SockscopeError("cannot start a thread to look a name up", status: .internalError)
        for job in orphaned { shared.post(job.id, .failure(failure)) }
    }
}
