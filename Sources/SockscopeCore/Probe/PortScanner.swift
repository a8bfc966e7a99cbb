import Dispatch
import Glibc
import Synchronization
import SystemPackage

/// Probes ports the way a connect scan does: many non-blocking connect() calls in
/// flight on epoll loops, each port's result read from connect() or SO_ERROR.
///
/// Unanswered probes are waited for only a few smoothed round trips (srtt + 4·rttvar,
/// measured from the ports that did answer) before a retry or a "filtered" verdict,
/// unless a fixed timeout is given. Probes close with SO_LINGER 0 (RST), so a scan
/// leaves no TIME-WAIT pile-up; local shortages (EMFILE, EADDRNOTAVAIL, ENOBUFS) make
/// the scanner back off and retry, and are never reported as a port's state.
package struct PortScanner: Sendable {
    /// What a UDP probe carries when no service's request applies: one NUL byte, as
    /// `ncat -zu` sends (an empty datagram is dropped unread by some services and stacks).
    static let defaultDatagram: [UInt8] = [0]

    package struct Request: Sendable {
        /// Every probe of the scan (targets × ports).
        package var space: ProbeSpace
        /// The probes to send, by index into `space`, in the order to send them.
        package var indices: [UInt64]
        package var transport: ProbeResult.Transport
        /// The most probes in flight at once (the window adapts below it); nil picks a
        /// default for the transport.
        package var parallelism: Int?
        /// Extra probes for a port that did not answer.
        package var retries: Int
        /// Whether `retries` may rise with the loss the scan measures (`LossEstimate`):
        /// true when nobody chose a number.
        package var adaptiveRetries: Bool
        /// At most this many probes per second.
        package var rate: Double?
        /// Wait exactly this long for every answer instead of adapting to the RTT.
        package var fixedTimeout: Duration?
        /// Close with FIN instead of RST (leaves TIME-WAIT sockets).
        package var graceful: Bool
        /// What every UDP probe carries; nil: the service's request from `UDPService.table`
        /// for a well-known port, an empty datagram for any other.
        package var udpPayload: [UInt8]?
        /// Threads probing at once, each with its own epoll loop; nil: one per CPU (at most 4).
        package var workers: Int?

        /// Extra probes for a port that did not answer, when nobody says (nmap's
        /// first retransmission).
        package static let defaultRetries = 1

        package init(
            space: ProbeSpace, indices: [UInt64], transport: ProbeResult.Transport = .tcp, parallelism: Int? = nil,
            retries: Int = defaultRetries, adaptiveRetries: Bool = false, rate: Double? = nil, fixedTimeout: Duration? = nil,
            graceful: Bool = false, udpPayload: [UInt8]? = nil, workers: Int? = nil
        ) {
            self.space = space
            self.indices = indices
            self.transport = transport
            self.parallelism = parallelism
            self.retries = retries
            self.adaptiveRetries = adaptiveRetries
            self.rate = rate
            self.fixedTimeout = fixedTimeout
            self.graceful = graceful
            self.udpPayload = udpPayload
            self.workers = workers
        }
    }

    /// A finished scan.
    package struct Report: Sendable {
        /// One result per probe, in index order (targets as the space holds them, ports ascending).
        package var results: [ProbeResult]
        package var elapsed: Duration
        /// The smoothed round-trip time of answered probes, if any answered.
        package var smoothedRTT: Duration?
        package var probesSent: Int
        /// How many probes found their own socket (a loopback self-connect) and were redone.
        package var selfConnects: Int
        /// With `graceful`: the 4-tuple (local, remote) of every probe that connected,
        /// so the caller can find the sockets those probes left in FIN-WAIT or TIME-WAIT.
        package var gracefulConnections: [GracefulConnection] = []

        package init(
            results: [ProbeResult], elapsed: Duration, smoothedRTT: Duration?, probesSent: Int, selfConnects: Int,
            gracefulConnections: [GracefulConnection] = []
        ) {
            self.results = results
            self.elapsed = elapsed
            self.smoothedRTT = smoothedRTT
            self.probesSent = probesSent
            self.selfConnects = selfConnects
            self.gracefulConnections = gracefulConnections
        }
    }

    /// A probe's connection, closed with FIN.
    package struct GracefulConnection: Sendable, Hashable {
        package var local: SocketAddress
        package var remote: SocketAddress

        package init(local: SocketAddress, remote: SocketAddress) {
            self.local = local
            self.remote = remote
        }
    }

    /// The window's ceiling when `--parallel` does not set one.
    package static let defaultTCPParallelism = 4096
    package static let defaultUDPParallelism = 128
    /// Where the window starts (below the ceiling): what a path of a few milliseconds
    /// carries without a queue; it grows from here when the round trips allow.
    package static let initialTCPWindow = 1024

    private let request: Request

    package init(_ request: Request) { self.request = request }

    /// Runs the scan: the probes are dealt out to the workers in turn (so slow and fast
    /// ports spread evenly); worker 0 runs on the calling thread and reports `progress`
    /// as (done, total) for all of them.
    package func run(progress: (Int, Int) -> Void = { _, _ in }) throws(SockscopeError) -> Report {
        let total = request.indices.count
        let cpus = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        // --parallel N caps the probes in flight over all workers: fewer than N workers.
        let workers = max(1, min(request.workers ?? min(cpus, 4), total, 64, request.parallelism ?? .max))
        let limit = ScanWorker.raiseFileLimit()
        let fallback = request.transport == .tcp ? Self.defaultTCPParallelism : Self.defaultUDPParallelism
        let ceiling = max(1, min(request.parallelism ?? fallback, limit - 64) / workers)
        let initial = request.transport == .tcp ? Self.initialTCPWindow : Self.defaultUDPParallelism
        let window = ScanWindow(initial: max(1, initial / workers), ceiling: ceiling)
        let rate = request.rate.map { $0 / Double(workers) }
        let shared = SharedScanState(indices: request.indices)
        let started = ContinuousClock.now
        let group = DispatchGroup()
        for index in 1..<workers {
            let request = self.request
            DispatchQueue.global().async(group: group) {
                shared.finish(worker: ScanWorker(request, slice: index, of: workers, window: window, rate: rate, shared: shared).runCatching())
            }
        }
        let first = ScanWorker(request, slice: 0, of: workers, window: window, rate: rate, shared: shared)
        shared.finish(worker: first.runCatching { progress(shared.done, total) })
        group.wait()
        return try shared.report(elapsed: started.duration(to: .now))
    }
}

/// What the workers of one scan share: the result table, the count of finished
/// probes, and the first error.
final class SharedScanState: Sendable {
    private let state:
        Mutex<(results: [ProbeResult?], error: SockscopeError?, selfConnects: Int, probesSent: Int, rtt: Duration?, sources: [PortScanner.GracefulConnection])>
    private let finished = Atomic<Int>(0)
    private let indices: [UInt64]
    private let loss = Mutex(LossEstimate())

    init(indices: [UInt64]) {
        self.indices = indices
        state = Mutex((Array(repeating: nil, count: indices.count), nil, 0, 0, nil, []))
    }

    var done: Int { finished.load(ordering: .relaxed) }

    func countDone() { finished.add(1, ordering: .relaxed) }

    /// Ports that answered their first probe (`first` of them), and one that answered
    /// only retry number `retry`, as a worker saw them.
    func answered(first: Int, retry: Int? = nil) {
        loss.withLock { loss in
            loss.firstAnswers += first
            if let retry {
                loss.lateAnswers += 1
                loss.mostRetriesAnswered = max(loss.mostRetriesAnswered, retry)
            }
        }
    }

    /// The retries the loss measured so far calls for (`LossEstimate`).
    func retries(base: Int) -> Int {
        loss.withLock { $0.retries(base: base, probes: indices.count) }
    }

    func finish(worker outcome: Result<ScanWorker.Outcome, SockscopeError>) {
        state.withLock { state in
            switch outcome {
            case .success(let outcome):
                for (index, result) in outcome.results { state.results[index] = result }
                state.selfConnects += outcome.selfConnects
                state.probesSent += outcome.probesSent
                state.rtt = state.rtt ?? outcome.smoothedRTT
                state.sources += outcome.gracefulConnections
            case .failure(let error):
                state.error = state.error ?? error
            }
        }
    }

    func report(elapsed: Duration) throws(SockscopeError) -> PortScanner.Report {
        let snapshot = state.withLock { $0 }
        if let error = snapshot.error { throw error }
        // Sent in the scan's order; reported in index order (a target's ports together).
        let order = indices.indices.sorted { indices[$0] < indices[$1] }
        return PortScanner.Report(
            results: order.compactMap { snapshot.results[$0] }, elapsed: elapsed, smoothedRTT: snapshot.rtt,
            probesSent: snapshot.probesSent, selfConnects: snapshot.selfConnects, gracefulConnections: snapshot.sources)
    }
}

/// One thread's share of a scan: every `workers`-th probe, on its own epoll loop.
final class ScanWorker {
    typealias Request = PortScanner.Request

    /// A worker's results, by global probe index.
    struct Outcome: Sendable {
        var results: [(Int, ProbeResult)]
        var selfConnects: Int
        var probesSent: Int
        var smoothedRTT: Duration?
        var gracefulConnections: [PortScanner.GracefulConnection]
    }

    private let request: Request
    private let slice: Int
    private let stride: Int
    private let shared: SharedScanState
    private let rate: Double?
    private let total: Int
    private var results: [(Int, ProbeResult)] = []
    private var gracefulConnections: [PortScanner.GracefulConnection] = []
    private var estimator = RTTEstimator()
    private var window: ScanWindow
    /// With adaptive retries: probes whose tries ran out, kept until the worker has
    /// nothing else to do — the loss measured by then may call for more tries.
    private var parked: [(pending: Pending, expired: ContinuousClock.Instant)] = []
    /// First-attempt answers not yet added to the shared loss estimate (added in
    /// batches: a lock per answer is a loopback scan's 2%).
    private var unpublishedAnswers = 0
    private var nextFresh = 0
    private var retryQueue: [Pending] = []
    private var retryHead = 0
    /// Probes in flight, indexed by descriptor (descriptors are small and reused).
    private var flights: [Flight?] = []
    private var inFlight = 0
    private var order: [(fd: FileDescriptor, token: UInt64, sentAt: ContinuousClock.Instant)] = []
    private var orderHead = 0
    private var nextToken: UInt64 = 0
    private var done = 0
    private var probesSent = 0
    private var selfConnects = 0
    private var localFailures = 0
    private let clock = ContinuousClock()

    private struct Pending {
        var index: Int
        var attempt: Int
        var firstSent: ContinuousClock.Instant?
        var selfConnects = 0
    }

    private struct Flight {
        var pending: Pending
        var token: UInt64
        var sentAt: ContinuousClock.Instant
    }

    init(_ request: Request, slice: Int, of workers: Int, window: ScanWindow, rate: Double?, shared: SharedScanState) {
        self.request = request
        self.slice = slice
        self.stride = workers
        self.shared = shared
        self.rate = rate
        self.window = window
        let all = request.indices.count
        total = all > slice ? (all - slice + workers - 1) / workers : 0
    }

    func runCatching(progress: () -> Void = {}) -> Result<Outcome, SockscopeError> {
        do throws(SockscopeError) {
            try run(progress: progress)
            return .success(
                Outcome(
                    results: results, selfConnects: selfConnects, probesSent: probesSent,
                    smoothedRTT: estimator.smoothed.map { .nanoseconds(Int64($0 * 1e9)) }, gracefulConnections: gracefulConnections))
        } catch {
            return .failure(error)
        }
    }

    /// Probes this worker's share: each probe's descriptor is registered with the
    /// loop (`complete` reads its result); before each wait, overdue probes expire and
    /// new ones are launched as the window and `--rate` pacing allow, and a timer
    /// wakes the loop for the next expiry or the next paced send.
    private func run(progress: () -> Void) throws(SockscopeError) {
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        onReady = { [unowned self, unowned loop] readiness in complete(readiness.descriptor, loop: loop) }
        defer {
            onReady = nil
            for fd in spares.values.joined() { ProbeSocket.discard(fd) }
            spares = [:]
        }
        var nextSendAllowed = clock.now
        let interval = rate.map { Duration.nanoseconds(Int64(1e9 / max($0, 0.001))) }
        var wake: EventLoop.Timer?
        try loop.run {
            done >= total
        } prepare: { () throws(SockscopeError) in
            expireOverdue(loop: loop)
            if inFlight == 0 && !hasPending { settleParked() }
            progress()
            // Launch what the window and rate allow: retries first, then fresh probes.
            var backedOff = false
            var young = youngInFlight()
            while inFlight < window.limit, young < Self.kernelBacklogLimit, let pending = nextPending() {
                // Probes that fail at once (loopback's RST) never leave this loop for a
                // wait, and connect() itself can take milliseconds when ephemeral ports
                // run short: look for a signal before each one (an atomic load).
                if let signal = Interruption.pending { throw Interruption.error(for: signal) }
                if interval != nil && clock.now < nextSendAllowed {
                    pushBack(pending)
                    break
                }
                let before = inFlight
                if !(try launch(pending, loop: loop)) {
                    backedOff = true
                    break
                }
                if inFlight > before && sameMachine { young += 1 }
                if let interval { nextSendAllowed = max(nextSendAllowed, clock.now - interval) + interval }
            }
            var wait = waitUntilNextExpiry()
            if interval != nil, inFlight < window.limit, hasPending { wait = min(wait ?? .seconds(1), max(.zero, clock.now.duration(to: nextSendAllowed))) }
            if backedOff && inFlight == 0 { wait = .milliseconds(10) }
            if young >= Self.kernelBacklogLimit { wait = min(wait ?? .milliseconds(1), .milliseconds(1)) }
            if let wake { loop.cancel(wake) }
            wake = wait.map { loop.schedule(at: clock.now + $0) {} }
        }
    }

    /// On a path that answers at once (the same machine), launching stops while this many
    /// probes sent in the last millisecond are still unanswered: their packets wait in
    /// the CPU's backlog for ksoftirqd, which runs only when this thread waits, so more
    /// launches only make them wait longer (a loopback scan stalled 40 ms at a time).
    /// Older probes do not count: they are unanswered (a firewall), not waiting.
    static let kernelBacklogLimit = 64

    /// Whether the fastest answer came within 100 µs: the target is on this machine
    /// (loopback, a veth into a namespace), and its packets are processed on our CPUs.
    private var sameMachine: Bool { (window.baseRTT ?? 1) < 0.0001 }

    /// Probes in flight sent in the last millisecond, counted only on a path of this
    /// machine's and with `kernelBacklogLimit` or more in flight (else 0).
    private func youngInFlight() -> Int {
        guard sameMachine, inFlight >= Self.kernelBacklogLimit else { return 0 }
        let since = clock.now - .milliseconds(1)
        var young = 0
        var index = order.count - 1
        while index >= orderHead, order[index].sentAt > since {
            if let flight = flight(at: order[index].fd), flight.token == order[index].token { young += 1 }
            index -= 1
        }
        return young
    }

    /// Reads a ready probe's result (set while `run` runs).
    private var onReady: EventLoop.Handler?

    /// TCP sockets whose connect() call returned ECONNREFUSED, by address family: Linux
    /// lets such a socket connect again (connect() reset it to unconnected, and its
    /// ephemeral port was released with the RST), which saves
    /// a socket() and a close() per closed port — most of a scan's ports.
    private var spares: [AddressFamily: [FileDescriptor]] = [:]

    private func takeSpare(_ family: AddressFamily) -> FileDescriptor? { spares[family]?.popLast() }

    /// The kernel picks source ports from here: only a destination port in it can be a
    /// self-connect (the probe's own source port), so only those are checked.
    private let ephemeralPorts = ProbeSocket.ephemeralPortRange()

    /// Whether a second connect() right after EINPROGRESS may already hold the answer:
    /// only when answers come back within half a millisecond (loopback, a local bridge).
    private var answersAtOnce: Bool { (estimator.smoothed ?? 0) < 0.0005 }

    /// Keeps a refused socket for the next probe (a few per family); false: close it.
    private func keepSpare(_ fd: FileDescriptor, family: AddressFamily) -> Bool {
        guard spares[family, default: []].count < 16 else { return false }
        spares[family, default: []].append(fd)
        return true
    }

    /// Where a UDP reply is read (a datagram's first 2,048 bytes are enough to name it).
    private var datagram = [UInt8](repeating: 0, count: 2048)

    // MARK: Queueing

    private var hasPending: Bool { retryHead < retryQueue.count || nextFresh < total }

    private func nextPending() -> Pending? {
        if retryHead < retryQueue.count {
            defer { retryHead += 1 }
            return retryQueue[retryHead]
        }
        guard nextFresh < total else { return nil }
        defer { nextFresh += 1 }
        return Pending(index: nextFresh, attempt: 0, firstSent: nil)
    }

    private func pushBack(_ pending: Pending) {
        if retryHead > 0 {
            retryHead -= 1
            retryQueue[retryHead] = pending
        } else {
            retryQueue.insert(pending, at: 0)
        }
    }

    private func retry(_ pending: Pending) {
        if retryHead > 1024 && retryHead * 2 > retryQueue.count {
            retryQueue.removeFirst(retryHead)
            retryHead = 0
        }
        retryQueue.append(pending)
    }

    /// The destination of this worker's `index`-th probe (the request's probe at slice + index·stride).
    private func address(of index: Int) -> SocketAddress {
        request.space.destination(request.indices[slice + index * stride])
    }

    // MARK: Probing

    /// Sends one probe. Returns false when a local shortage means "try later".
    private func launch(_ pending: Pending, loop: EventLoop) throws(SockscopeError) -> Bool {
        var pending = pending
        let destination = address(of: pending.index)
        let now = clock.now
        if pending.firstSent == nil { pending.firstSent = now }
        let (fd, start) =
            request.transport == .tcp
            ? ProbeSocket.start(destination, type: .stream, payload: [], reusing: takeSpare(destination.family), askAgain: answersAtOnce)
            : ProbeSocket.startDatagram(
                destination, payload: request.udpPayload ?? UDPService.request(for: destination.port ?? 0) ?? PortScanner.defaultDatagram)
        switch start {
        case .localShortage(let error):
            if ProbeSocket.exists(fd) { ProbeSocket.discard(fd) }
            return try backOff(pending, error)
        case .finished(let error):
            probesSent += 1
            localFailures = 0
            let answered = clock.now  // the answer came back during the connect() calls
            if request.transport == .tcp {
                finishTCP(pending, fd: fd, error: error, now: answered, sentAt: now, refusedByConnect: true)
            } else {
                if ProbeSocket.exists(fd) { ProbeSocket.discard(fd) }
                record(pending, error: error, replied: false, now: answered)
            }
            return true
        case .pending:
            probesSent += 1
            localFailures = 0
            do throws(SockscopeError) {
                guard let onReady else { throw SockscopeError("probe launched outside the loop", status: .internalError) }
                try loop.register(fd, request.transport == .tcp ? .writable : .readable, handler: onReady)
            } catch {
                ProbeSocket.discard(fd)
                throw error
            }
            nextToken += 1
            store(Flight(pending: pending, token: nextToken, sentAt: now), at: fd)
            order.append((fd, nextToken, now))
            window.sent(inFlight: inFlight)
            return true
        }
    }

    private func store(_ flight: Flight, at fd: FileDescriptor) {
        let index = Int(fd.rawValue)
        if index >= flights.count { flights += Array(repeating: nil, count: index - flights.count + 256) }
        flights[index] = flight
        inFlight += 1
    }

    private func takeFlight(_ fd: FileDescriptor) -> Flight? {
        let index = Int(fd.rawValue)
        guard index >= 0, index < flights.count, let flight = flights[index] else { return nil }
        flights[index] = nil
        inFlight -= 1
        return flight
    }

    private func flight(at fd: FileDescriptor) -> Flight? {
        let index = Int(fd.rawValue)
        return index >= 0 && index < flights.count ? flights[index] : nil
    }

    /// A local shortage: fewer probes in flight, and this one again later.
    private func backOff(_ pending: Pending, _ error: SocketCallError) throws(SockscopeError) -> Bool {
        localFailures += 1
        if localFailures > 10_000 {
            throw SockscopeError(
                "probing stopped: \(error.call.rawValue) keeps failing with \(error.errno.nameAndText)",
                explanation: "the machine is short of sockets, ports or buffers; keep fewer probes in flight", status: .ioError)
        }
        window.shortage(inFlight: inFlight)
        pushBack(pending)
        return false
    }

    /// A descriptor became ready: read the probe's result.
    private func complete(_ fd: FileDescriptor, loop: EventLoop) {
        guard let flight = takeFlight(fd) else { return }
        let now = clock.now
        if request.transport == .udp {
            loop.forget(fd)  // it may be registered again (a reply from another host)
            completeDatagram(fd, flight: flight, loop: loop, now: now)
            return
        }
        loop.forgetClosing(fd)  // finishTCP closes it: only a socket refused by connect() itself is kept
        finishTCP(flight.pending, fd: fd, error: ProbeSocket.pendingError(fd), now: now, sentAt: flight.sentAt, refusedByConnect: false)
    }

    /// A UDP probe's socket is ready: a reply (from the target, any port of it), or the
    /// ICMP error IP_RECVERR reports. Anything else — a spurious wake-up, a datagram
    /// from another host — leaves the probe waiting.
    private func completeDatagram(_ fd: FileDescriptor, flight: Flight, loop: EventLoop, now: ContinuousClock.Instant) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = datagram.withUnsafeMutableBytes { buffer in
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd.rawValue, buffer.baseAddress, buffer.count, 0, $0, &length) }
            }
        }
        let error: Errno? = count >= 0 ? nil : Errno(rawValue: errno)
        let destination = address(of: flight.pending.index)
        let sender = count >= 0 ? SocketAddress(storage: storage, length: length) : nil
        if error == .resourceTemporarilyUnavailable || error == .interrupted || (count >= 0 && sender?.ipAddress != destination.ipAddress) {
            store(flight, at: fd)  // keep waiting
            if let onReady { try? loop.register(fd, .readable, handler: onReady) }
            return
        }
        if let sender, sender == ProbeSocket.localAddress(fd) {
            // Our own datagram: the kernel gave us the probed port as our source port.
            selfConnects += 1
            ProbeSocket.discard(fd)
            retry(flight.pending)
            return
        }
        ProbeSocket.discard(fd)
        if let error, ProbeResult.isLocalResourceLimit(error) {
            retry(flight.pending)
            return
        }
        addSample(attempt: flight.pending.attempt, sentAt: flight.sentAt, now: now)
        let answer = sender.map { sender in
            UDPService.describe(
                Array(datagram.prefix(count)), port: destination.port ?? 0, fromPort: sender.port ?? 0, tableRequest: request.udpPayload == nil)
        }
        record(flight.pending, error: error, replied: count >= 0, now: now, answer: answer)
    }

    /// `refusedByConnect`: the error came from connect() itself, which also resets the
    /// socket for another connect(); one read from SO_ERROR after a wait does not (its
    /// next connect() fails with ECONNABORTED), so such a socket is not kept.
    private func finishTCP(
        _ pending: Pending, fd: FileDescriptor, error: Errno?, now: ContinuousClock.Instant, sentAt: ContinuousClock.Instant, refusedByConnect: Bool
    ) {
        if error == nil && ephemeralPorts.contains(address(of: pending.index).port ?? 0) && ProbeSocket.isSelfConnected(fd) {
            // The kernel picked the destination port as our source port and the socket
            // connected to itself: nothing listens there. Probe again from another port.
            selfConnects += 1
            ProbeSocket.discard(fd)
            var again = pending
            again.selfConnects += 1
            if again.selfConnects <= 3 {
                retry(again)
            } else {
                record(pending, error: .connectionRefused, replied: false, now: now, reason: "self-connect")
            }
            return
        }
        if error == nil, request.graceful, let source = ProbeSocket.localAddress(fd) {
            gracefulConnections.append(.init(local: source, remote: address(of: pending.index)))
        }
        if ProbeSocket.exists(fd) && !(error == .connectionRefused && refusedByConnect && keepSpare(fd, family: address(of: pending.index).family)) {
            ProbeSocket.close(fd, connected: error == nil, graceful: request.graceful)
        }
        if let error, ProbeResult.isLocalResourceLimit(error) {
            retry(pending)
            return
        }
        if error == nil || error == .connectionRefused {
            addSample(attempt: pending.attempt, sentAt: sentAt, now: now)
        }
        record(pending, error: error, replied: false, now: now)
    }

    /// Feeds an answered probe's round trip to the estimator and the window, and the
    /// answer to the loss estimate. Only first attempts give a round trip (Karn's rule:
    /// an answer to a retried probe could belong to either send); a retry's answer
    /// says an earlier attempt was lost.
    private func addSample(attempt: Int, sentAt: ContinuousClock.Instant, now: ContinuousClock.Instant) {
        if request.adaptiveRetries {
            if attempt > 0 {
                shared.answered(first: unpublishedAnswers, retry: attempt)
                unpublishedAnswers = 0
            } else {
                unpublishedAnswers += 1
                if unpublishedAnswers >= 256 { publishAnswers() }
            }
        }
        guard attempt == 0 else {
            window.answered(rtt: nil, now: now, smoothed: estimator.smoothed)
            return
        }
        let rtt = sentAt.duration(to: now)
        let seconds = Double(rtt.components.seconds) + Double(rtt.components.attoseconds) / 1e18
        estimator.add(seconds)
        window.answered(rtt: seconds, now: now, smoothed: estimator.smoothed)
    }

    /// Retries a probe of this scan gets now: `--retries`, or what the loss measured
    /// so far calls for.
    private var currentRetries: Int {
        guard request.adaptiveRetries else { return request.retries }
        publishAnswers()
        return shared.retries(base: request.retries)
    }

    private func publishAnswers() {
        guard unpublishedAnswers > 0 else { return }
        shared.answered(first: unpublishedAnswers)
        unpublishedAnswers = 0
    }

    /// The worker has nothing else in flight or queued: each parked probe is tried
    /// again if the loss measured since calls for more tries, else it is filtered
    /// (as of when its last try expired).
    private func settleParked() {
        guard !parked.isEmpty else { return }
        let retries = currentRetries
        let settled = parked
        parked = []
        for (pending, expired) in settled {
            if pending.attempt < retries {
                var again = pending
                again.attempt += 1
                retry(again)
            } else {
                record(pending, error: .timedOut, replied: false, now: expired)
            }
        }
    }

    // MARK: Timeouts

    private var currentTimeout: Duration { request.fixedTimeout ?? estimator.timeout }

    /// How long until the oldest probe in flight is overdue.
    private func waitUntilNextExpiry() -> Duration? {
        skipStaleOrder()
        guard orderHead < order.count else { return nil }
        return max(.zero, clock.now.duration(to: order[orderHead].sentAt + currentTimeout))
    }

    /// Probes are sent in order, and every probe waits the same (current) timeout,
    /// so the oldest in flight is always the first to be overdue.
    private func expireOverdue(loop: EventLoop) {
        let now = clock.now
        let timeout = currentTimeout
        var retries: Int?  // asked of the shared estimate only when a probe expires
        while true {
            skipStaleOrder()
            guard orderHead < order.count, order[orderHead].sentAt + timeout <= now else { break }
            let entry = order[orderHead]
            orderHead += 1
            guard let flight = takeFlight(entry.fd) else { continue }
            loop.forgetClosing(entry.fd)
            ProbeSocket.discard(entry.fd)
            let allowed = retries ?? currentRetries
            retries = allowed
            if flight.pending.attempt < allowed {
                var again = flight.pending
                again.attempt += 1
                retry(again)
            } else if request.adaptiveRetries && flight.pending.attempt < LossEstimate.maximumRetries {
                parked.append((flight.pending, now))
            } else {
                record(flight.pending, error: .timedOut, replied: false, now: now)
            }
        }
        if orderHead > 4096 && orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }

    private func skipStaleOrder() {
        while orderHead < order.count {
            let entry = order[orderHead]
            if let flight = flight(at: entry.fd), flight.token == entry.token { return }
            orderHead += 1
        }
    }

    // MARK: Results

    private func record(_ pending: Pending, error: Errno?, replied: Bool, now: ContinuousClock.Instant, reason: String? = nil, answer: String? = nil) {
        let destination = address(of: pending.index)
        let (state, classifiedReason) =
            request.transport == .tcp
            ? ProbeResult.classify(tcp: error)
            : ProbeResult.classify(udp: error, replied: replied)
        results.append(
            (
                slice + pending.index * stride,
                ProbeResult(
                    target: destination.ipAddress ?? .v4(.any), port: destination.port ?? 0, transport: request.transport,
                    state: state, error: error, reason: reason ?? classifiedReason,
                    elapsed: (pending.firstSent ?? now).duration(to: now), attempts: pending.attempt + 1, answer: answer)
            ))
        done += 1
        shared.countDone()
    }

    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the limit in force.
    static func raiseFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, 1 << 20))
    }
}
