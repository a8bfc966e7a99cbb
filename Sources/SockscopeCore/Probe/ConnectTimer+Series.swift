import Glibc
import SystemPackage

extension ConnectTimer {
    /// `probe --count --interval`: one non-blocking connect() every `spacing`, as ping
    /// sends — a silent or slow attempt does not hold up the next: each waits up to
    /// `timeout` on its own, so up to ⌈timeout ÷ spacing⌉ are in flight at once. Every
    /// wait is the event loop's, so SIGINT or SIGTERM ends the series at once.
    /// - Parameters:
    ///   - count: how many attempts; 0 for as many as come before a signal.
    ///   - each: every attempt as it ends (its sequence number, from 1), in the order they end.
    /// - Throws: the interruption; a local shortage (EMFILE, EADDRNOTAVAIL) that is not
    ///   the port's answer.
    package static func series(
        _ destination: SocketAddress, count: Int, spacing: Duration, timeout: Duration, graceful: Bool,
        each: (Int, ProbeResult) throws(SockscopeError) -> Void
    ) throws(SockscopeError) {
        guard destination.ipAddress != nil, destination.port != nil else {
            throw .usage("probe --count times TCP connects to an IP address and port, not \(destination)")
        }
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        let series = Series(destination: destination, timeout: timeout, graceful: graceful, loop: loop)
        var nextStart = ContinuousClock.now
        var wake: EventLoop.Timer?
        defer { series.abandon() }
        try loop.run {
            count != 0 && series.started == count && series.inFlight == 0 && series.ended.isEmpty
        } prepare: { () throws(SockscopeError) in
            if (count == 0 || series.started < count) && ContinuousClock.now >= nextStart {
                try series.start()
                nextStart = max(nextStart + spacing, .now)
            }
            let ended = series.ended
            series.ended = []
            for (sequence, result) in ended { try each(sequence, result) }
            if let wake { loop.cancel(wake) }
            wake = count == 0 || series.started < count ? loop.schedule(at: nextStart) {} : nil
        }
    }

    /// The attempts of one series: started, waiting, and ended but not yet reported.
    private final class Series {
        let destination: SocketAddress
        let timeout: Duration
        let graceful: Bool
        let loop: EventLoop
        private(set) var started = 0
        /// Attempts waiting for their answer, by descriptor: sequence, start, deadline timer.
        private var waiting: [Int32: (sequence: Int, start: ContinuousClock.Instant, deadline: EventLoop.Timer)] = [:]
        var ended: [(Int, ProbeResult)] = []

        var inFlight: Int { waiting.count }

        init(destination: SocketAddress, timeout: Duration, graceful: Bool, loop: EventLoop) {
            self.destination = destination
            self.timeout = timeout
            self.graceful = graceful
            self.loop = loop
        }

        /// Starts the next attempt: answered at once (loopback), or waited for until its deadline.
        func start() throws(SockscopeError) {
            started += 1
            let sequence = started
            let begun = ContinuousClock.now
            let (fd, start) = ProbeSocket.start(destination, type: .stream, payload: [])
            switch start {
            case .localShortage(let failure):
                if ProbeSocket.exists(fd) { ProbeSocket.discard(fd) }
                throw SockscopeError(failure)
            case .finished(let error):
                finish(fd, sequence: sequence, begun: begun, error: error)
            case .pending:
                let deadline = loop.schedule(at: begun + timeout) { [unowned self] in
                    self.loop.forgetClosing(fd)
                    self.complete(fd, error: .timedOut)
                }
                waiting[fd.rawValue] = (sequence, begun, deadline)
                do {
                    try loop.register(fd, .writable) { [unowned self] _ in
                        self.loop.forgetClosing(fd)
                        self.complete(fd, error: ProbeSocket.pendingError(fd))
                    }
                } catch {
                    waiting[fd.rawValue] = nil
                    loop.cancel(deadline)
                    ProbeSocket.discard(fd)
                    throw error
                }
            }
        }

        /// A waiting attempt's answer (or its deadline) came.
        private func complete(_ fd: FileDescriptor, error: Errno?) {
            guard let entry = waiting.removeValue(forKey: fd.rawValue) else { return }
            loop.cancel(entry.deadline)
            finish(fd, sequence: entry.sequence, begun: entry.start, error: error)
        }

        /// Closes the attempt's socket and keeps its result for the next report.
        private func finish(_ fd: FileDescriptor, sequence: Int, begun: ContinuousClock.Instant, error: Errno?) {
            let elapsed = ContinuousClock.now - begun
            var error = error
            // Connected to itself (no listener, the kernel picked the port as the source).
            if error == nil && ProbeSocket.exists(fd) && ProbeSocket.isSelfConnected(fd) { error = .connectionRefused }
            if ProbeSocket.exists(fd) { ProbeSocket.close(fd, connected: error == nil, graceful: graceful) }
            let (state, reason) = ProbeResult.verdict(tcp: error)
            guard let target = destination.ipAddress, let port = destination.port else { return }
            ended.append(
                (
                    sequence,
                    ProbeResult(target: target, port: port, transport: .tcp, state: state, error: error, reason: reason, elapsed: elapsed, attempts: 1)
                ))
        }

        /// Closes what is still waiting (the series was interrupted).
        func abandon() {
            for (raw, entry) in waiting {
                let fd = FileDescriptor(rawValue: raw)
                loop.cancel(entry.deadline)
                loop.forgetClosing(fd)
                ProbeSocket.discard(fd)
            }
            waiting = [:]
        }
    }
}
