import CShim
import Glibc
import Synchronization

/// Name lookups off the event loop. `getaddrinfo(3)` blocks — a DNS server that never
/// answers holds it for the resolver's whole timeout and retries (~10 s with glibc's
/// defaults) — so a server that looks names up while serving others (`sockscope proxy`)
/// must not call it on its loop: each lookup runs on a worker thread (at most `limit`
/// at once, the rest queued), and its answer comes back on the loop, which watches a
/// pipe the workers write a byte to (the loop's one way of being woken).
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
            var answers: [(id: Int, answer: Answer)] = []
            var workers = 0
        }

        let state = Mutex(State())
        let wakeFD: Int32
        let limit: Int

        init(wakeFD: Int32, limit: Int) {
            self.wakeFD = wakeFD
            self.limit = limit
        }

        /// A worker's life: take jobs until none waits, posting each answer. Signals go
        /// to the loop's thread.
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
                state.withLock { $0.answers.append((job.id, answer)) }
                var byte: UInt8 = 1
                _ = write(wakeFD, &byte, 1)  // a full pipe already holds a wake-up: fine
            }
        }
    }

    private let shared: Shared
    private let wakeReadFD: Int32
    private var callbacks: [Int: (Answer) throws(SockscopeError) -> Void] = [:]
    private var nextID = 0

    /// Makes the wake-up pipe (`pipe2(O_NONBLOCK | O_CLOEXEC)`) and registers its read
    /// end on `loop`.
    package init(loop: EventLoop, limit: Int = 16) throws(SockscopeError) {
        var ends: [Int32] = [-1, -1]
        guard cshimPipe(&ends) == 0 else { throw SockscopeError(SocketCallError(.socket, .current)) }
        wakeReadFD = ends[0]
        shared = Shared(wakeFD: ends[1], limit: max(1, limit))
        try loop.register(wakeReadFD, .readable) { [self] _ throws(SockscopeError) in try deliver() }
    }

    deinit {
        close(wakeReadFD)
        // The write end stays open while a worker may still write to it: workers hold
        // `shared`, and the descriptor is closed with the process.
    }

    /// Looks `name` up (with `port` in the addresses) on a worker; `then` runs on the
    /// loop with the addresses or the failure. Returns an id for `cancel`.
    @discardableResult
    package func resolve(_ name: String, port: UInt16, then: @escaping (Answer) throws(SockscopeError) -> Void) -> Int {
        nextID += 1
        let id = nextID
        callbacks[id] = then
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
    package func cancel(_ id: Int) { callbacks[id] = nil }

    /// Lookups asked for and not answered or cancelled yet.
    package var pending: Int { callbacks.count }

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
        shared.state.withLock { state in for job in orphaned { state.answers.append((job.id, .failure(failure))) } }
        var byte: UInt8 = 1
        _ = write(shared.wakeFD, &byte, 1)
    }

    /// On the loop: drains the wake-up pipe and runs the callbacks of the answers in.
    private func deliver() throws(SockscopeError) {
        var drain = [UInt8](repeating: 0, count: 256)
        while read(wakeReadFD, &drain, drain.count) > 0 {}
        let answers = shared.state.withLock { state in
            defer { state.answers.removeAll() }
            return state.answers
        }
        for (id, answer) in answers {
            guard let callback = callbacks.removeValue(forKey: id) else { continue }
            try callback(answer)
        }
    }
}

/// `pipe2(O_NONBLOCK | O_CLOEXEC)`, with both ends moved high (CShim).
private func cshimPipe(_ ends: inout [Int32]) -> Int32 {
    ends.withUnsafeMutableBufferPointer { buffer in cshim_pipe_cloexec_nonblock(buffer.baseAddress) }
}
