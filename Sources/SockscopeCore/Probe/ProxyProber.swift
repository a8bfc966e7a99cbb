import Glibc
import SystemPackage

/// `probe --proxy`: asks a SOCKS or HTTP CONNECT proxy to connect to each port, many at
/// once on one event loop, and reads the port's state from the proxy's answer — the
/// tunnel opened (open), SOCKS5 reply 5, SOCKS4 91 or HTTP 502 (closed), an unreachable
/// reply (unreachable), a refusal by rule or silence (filtered). A port whose proxy says
/// nothing within the timeout is asked again `retries` times. A proxy that cannot be
/// reached or refuses our credentials ends the scan: no port could be told.
package final class ProxyProber {
    package typealias Job = PortJob

    private final class Flight {
        let index: Int
        let socket: Socket
        let handshake: ProxyClientHandshake
        let started = ContinuousClock.now

        init(index: Int, socket: Socket, handshake: ProxyClientHandshake) {
            self.index = index
            self.socket = socket
            self.handshake = handshake
        }
    }

    private let proxyAddress: SocketAddress
    private let proxy: ProxyURL
    private let timeout: Duration
    private let parallelism: Int
    private let retries: Int
    private var jobs: [Job] = []
    private var attempts: [Int] = []
    private var results: [ProbeResult?] = []
    private var pending: [Int] = []
    private var flights: [Int32: Flight] = [:]
    private var fatal: SockscopeError?

    package init(proxyAddress: SocketAddress, proxy: ProxyURL, timeout: Duration, parallelism: Int, retries: Int) {
        self.proxyAddress = proxyAddress
        self.proxy = proxy
        self.timeout = timeout
        self.parallelism = max(1, parallelism)
        self.retries = max(0, retries)
    }

    /// Probes every job; the results in the jobs' order.
    package func run(_ jobs: [Job]) throws(SockscopeError) -> [ProbeResult] {
        self.jobs = jobs
        attempts = Array(repeating: 0, count: jobs.count)
        results = Array(repeating: nil, count: jobs.count)
        pending = Array(jobs.indices.reversed())
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        let done = { [self] in fatal != nil || (pending.isEmpty && flights.isEmpty) }
        let refill = { [self, unowned loop] () throws(SockscopeError) in
            while fatal == nil && flights.count < parallelism, let index = pending.popLast() { try launch(index, loop: loop) }
        }
        try loop.run(until: done, prepare: refill)
        for flight in flights.values { flight.socket.close() }
        flights.removeAll()
        if let fatal { throw fatal }
        return results.compactMap { $0 }
    }

    /// Starts asking for one port: the connect stage to the proxy, then the proxy
    /// handshake stage, on the driver within one timeout.
    private func launch(_ index: Int, loop: EventLoop) throws(SockscopeError) {
        attempts[index] += 1
        let job = jobs[index]
        let socket: Socket
        let handshake: ProxyClientHandshake
        do { handshake = try ProxyClientHandshake(proxy: proxy, destination: .address(job.address, port: job.port)) } catch {
            fatal = Self.proxyUnreachable(error, proxy: proxy)
            return
        }
        do { socket = try Socket(family: proxyAddress.family, type: .stream) } catch {
            fatal = Self.proxyUnreachable(error, proxy: proxy)
            return
        }
        let flight = Flight(index: index, socket: socket, handshake: handshake)
        flights[socket.fd] = flight
        let deadline = flight.started + timeout
        let setup = StageSequence([ConnectStage(to: proxyAddress), handshake])
        try loop.drive(setup, on: socket, deadline: deadline) { [self, unowned loop] failure throws(SockscopeError) in
            if let connect = setup.current as? ConnectStage, let failure {
                if failure.status == .timedOut { return silent(flight, loop: loop) }
                fatal = connect.failure.map { Self.proxyUnreachable($0, proxy: proxy) } ?? failure
                return end(flight, loop: loop)
            }
            answered(flight, failure, loop: loop)
        }
    }

    /// The proxy said nothing in time: ask again, or the port is filtered.
    private func silent(_ flight: Flight, loop: EventLoop) {
        end(flight, loop: loop)
        if attempts[flight.index] <= retries {
            pending.append(flight.index)
        } else {
            record(flight, state: .filtered, error: .timedOut, reason: "proxy-no-response")
        }
    }

    /// The handshake ended: the tunnel opened, or the proxy's refusal says what the port is.
    private func answered(_ flight: Flight, _ failure: SockscopeError?, loop: EventLoop) {
        guard let failure else {
            record(flight, state: .open, error: nil, reason: "proxy-granted")
            return end(flight, loop: loop)
        }
        if failure.status == .timedOut { return silent(flight, loop: loop) }
        if let code = flight.handshake.refusal, let verdict = Self.verdict(proxy.kind, code: code) {
            record(flight, state: verdict.state, error: verdict.error, reason: verdict.reason)
        } else {
            fatal = failure  // credentials refused, or not a proxy of this kind: no port can be told
        }
        end(flight, loop: loop)
    }

    private func record(_ flight: Flight, state: PortState, error: Errno?, reason: String) {
        let job = jobs[flight.index]
        results[flight.index] = ProbeResult(
            target: job.address, port: job.port, transport: .tcp, state: state, error: error, reason: reason, elapsed: .now - flight.started,
            attempts: attempts[flight.index])
    }

    /// Closes a probe's connection to the proxy with a reset, as probe does.
    private func end(_ flight: Flight, loop: EventLoop) {
        loop.forget(flight.socket.descriptor)
        flights[flight.socket.fd] = nil
        try? flight.socket.set(.linger(seconds: 0))
        flight.socket.close()
    }

    /// What a proxy's refusal code says of the port; nil for refusals about us, not it
    /// (SOCKS4's identd codes; HTTP 407).
    package static func verdict(_ kind: ProxyURL.Kind, code: Int) -> (state: PortState, error: Errno, reason: String)? {
        switch (kind, code) {
        case (.socks5, 5), (.socks4, 91), (.socks4a, 91), (.http, 500), (.http, 502), (.http, 503):
            return (.closed, .connectionRefused, kind == .http ? "proxy-http-\(code)" : "proxy-conn-refused")
        case (.socks5, 3): return (.unreachable, .networkUnreachable, "proxy-net-unreach")
        case (.socks5, 4): return (.unreachable, .noRouteToHost, "proxy-host-unreach")
        case (.socks5, 6), (.http, 504): return (.filtered, .timedOut, "proxy-ttl-expired")
        case (.socks5, 2), (.http, 403): return (.filtered, .permissionDenied, "proxy-ruleset")
        case (.socks5, _): return (.filtered, .ioError, "proxy-reply-\(code)")
        default: return nil
        }
    }

    private static func proxyUnreachable(_ error: some Error, proxy: ProxyURL) -> SockscopeError {
        let base = (error as? SocketCallError).map { SockscopeError($0) } ?? (error as? SockscopeError) ?? SockscopeError("\(error)", status: .internalError)
        return SockscopeError("the proxy \(proxy) cannot be reached: \(base.message)", explanation: base.explanation, status: base.status)
    }
}
