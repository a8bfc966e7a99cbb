/// `probe --banner`: what each open port says first (`nc host 22`; nmap -sV's NULL
/// probe), or answers to `--banner-send`: a new connection per port, the text sent when
/// given, then up to `limit` bytes read until the peer has been quiet for `wait` or
/// closes. Many ports at once on one event loop, `parallelism` at a time; each
/// connection keeps at most `limit` bytes, so memory is bounded by both.
package final class BannerGrabber {
    package typealias Job = PortJob

    /// What one port said: its first bytes (nil when it said nothing in time), or why
    /// there was no connection.
    package struct Banner: Sendable {
        package var address: IPAddress
        package var port: UInt16
        package var bytes: [UInt8]?
        package var failure: SockscopeError?
    }

    private let send: [UInt8]
    private let wait: Duration
    private let limit: Int
    private let parallelism: Int

    /// - Parameters:
    ///   - send: bytes written first (`--banner-send`), or none.
    ///   - wait: how long to wait for the first bytes, and for more after each read.
    ///   - limit: the most bytes kept per port.
    package init(send: [UInt8] = [], wait: Duration = .seconds(2), limit: Int = 512, parallelism: Int = 64) {
        self.send = send
        self.wait = wait
        self.limit = max(1, limit)
        self.parallelism = max(1, parallelism)
    }

    /// One connection under way.
    private final class Attempt {
        let job: Job
        let index: Int
        let socket: Socket
        var received: [UInt8] = []
        var timer: EventLoop.Timer?
        init(job: Job, index: Int, socket: Socket) {
            self.job = job
            self.index = index
            self.socket = socket
        }
    }

    /// Grabs every job's banner; results in the jobs' order.
    package func run(_ jobs: [Job]) throws(SockscopeError) -> [Banner] {
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        var results = [Banner?](repeating: nil, count: jobs.count)
        func record(_ index: Int, _ bytes: [UInt8]?, _ failure: SockscopeError?) {
            results[index] = Banner(address: jobs[index].address, port: jobs[index].port, bytes: failure == nil ? bytes : nil, failure: failure)
        }
        try loop.runJobs(count: jobs.count, parallelism: parallelism) { index, done throws(SockscopeError) in
            let finish = { (attempt: Attempt, failure: SockscopeError?) in
                guard results[attempt.index] == nil else { return }
                if let timer = attempt.timer { loop.cancel(timer) }
                loop.forget(attempt.socket.descriptor)
                try? attempt.socket.set(.linger(seconds: 0))  // RST: no TIME-WAIT left behind
                attempt.socket.close()
                record(attempt.index, attempt.received.isEmpty ? nil : attempt.received, failure)
                done()
            }
            if let failure = try start(jobs[index], index: index, loop: loop, finish: finish) {
                record(index, nil, failure)
                done()
            }
        }
        return results.compactMap { $0 }
    }

    /// Starts one job: the connect stage on the driver, then the text sent and the
    /// reads; returns the failure when it ends at once (no socket).
    private func start(_ job: Job, index: Int, loop: EventLoop, finish: @escaping (Attempt, SockscopeError?) -> Void) throws(SockscopeError)
        -> SockscopeError?
    {
        let destination = SocketAddress(job.address, port: job.port)
        let socket: Socket
        do { socket = try Socket(family: destination.family, type: .stream) } catch {
            if ProbeResult.isLocalResourceLimit(error.errno) { throw SockscopeError(error) }
            return SockscopeError(error)
        }
        let attempt = Attempt(job: job, index: index, socket: socket)
        let connect = ConnectStage(to: destination)
        try loop.drive(connect, on: socket, deadline: .now + wait) { [self] failure throws(SockscopeError) in
            if let failure {
                if let errno = connect.failure?.errno, ProbeResult.isLocalResourceLimit(errno) { throw failure }
                // No connection in time is no banner, as before: only a refusal is a failure.
                return finish(attempt, failure.status == .timedOut ? nil : failure)
            }
            if !send.isEmpty, send.withUnsafeBytes({ try? socket.send($0) }) == nil {
                return finish(attempt, nil)  // closed at once: it said nothing
            }
            attempt.timer = loop.schedule(at: .now + wait) { finish(attempt, nil) }
            try loop.register(socket.descriptor, .readable) { [self] _ throws(SockscopeError) in
                if read(attempt, loop: loop, finish: finish) { finish(attempt, nil) }
            }
        }
        return nil
    }

    /// Reads what came; true when the attempt is over (the limit, the end, a reset — what
    /// came before a reset is the banner).
    private func read(_ attempt: Attempt, loop: EventLoop, finish: @escaping (Attempt, SockscopeError?) -> Void) -> Bool {
        var buffer = [UInt8](repeating: 0, count: limit - attempt.received.count)
        let result: Result<Int?, SocketCallError> = buffer.withUnsafeMutableBytes { raw in
            do throws(SocketCallError) { return .success(try attempt.socket.receive(into: raw)) } catch { return .failure(error) }
        }
        guard case .success(let count) = result else { return true }
        guard let read = count else { return false }  // EAGAIN: wait on
        guard read > 0 else { return true }  // end of stream
        attempt.received += buffer.prefix(read)
        if attempt.received.count >= limit { return true }
        // More may follow (a multi-line greeting): wait a little longer after each read.
        if let timer = attempt.timer { loop.cancel(timer) }
        attempt.timer = loop.schedule(at: .now + min(wait, .milliseconds(300))) { finish(attempt, nil) }
        return false
    }
}
