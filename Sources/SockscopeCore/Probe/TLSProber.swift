import Glibc

/// What a TLS handshake with one port showed (`probe --tls`; DTLS with `-u`).
package struct TLSProbeResult: Sendable {
    package var address: IPAddress
    package var port: UInt16
    /// The name sent as SNI and checked against the certificate, if any.
    package var serverName: String?
    package var outcome: Outcome

    package enum Outcome: Sendable {
        /// The handshake finished; the verification result is in the facts (reported,
        /// never enforced: a probe describes the certificate, whatever it is).
        case established(TLSHandshake)
        /// The port speaks TLS but the handshake failed (an alert, no common version).
        case failed(TLSHandshake, SockscopeError)
        /// The port does not speak TLS: why we think so, and the start of its answer.
        case notTLS(reason: String, answer: String?)
        /// No TCP connection this time (the port closed since the scan, a reset); over
        /// UDP, an ICMP error (port unreachable: ECONNREFUSED) answered the ClientHello.
        case unreachable(SockscopeError)
    }
}

/// Makes a TLS handshake with each of many ports at once, on one event loop: a
/// non-blocking connect, then `SSL_do_handshake` stepped as the socket allows, each
/// bounded by `timeout`. With a DTLS context the socket is UDP (connected, so an ICMP
/// port-unreachable comes back as ECONNREFUSED) and a lost flight is resent on the
/// retransmission timer the stage driver keeps. Ctrl-C ends the whole run as it ends any wait.
package final class TLSProber {
    package struct Job: Sendable {
        package var address: IPAddress
        package var port: UInt16
        package var serverName: String?
        package init(address: IPAddress, port: UInt16, serverName: String?) {
            self.address = address
            self.port = port
            self.serverName = serverName
        }
    }

    private let context: TLSContext
    private let timeout: Duration
    private let parallelism: Int
    private let graceful: Bool
    /// DTLS over UDP (the context's configuration is a datagram one).
    private let datagram: Bool

    /// `context` must be a client context; `timeout` bounds each connection and handshake;
    /// connections end with RST unless `graceful` (FIN).
    package init(context: TLSContext, timeout: Duration, parallelism: Int = 64, graceful: Bool = false) {
        self.context = context
        self.timeout = timeout
        self.parallelism = max(1, parallelism)
        self.graceful = graceful
        self.datagram = context.configuration.datagram
    }

    /// "TLS", or "DTLS" over UDP.
    private var name: String { datagram ? "DTLS" : "TLS" }

    /// One handshake under way.
    private final class Attempt {
        let job: Job
        let index: Int
        let socket: Socket
        var session: TLSSession?
        let started = ContinuousClock.now
        init(job: Job, index: Int, socket: Socket) {
            self.job = job
            self.index = index
            self.socket = socket
        }
    }

    /// Probes every job, at most `parallelism` at a time; results in the jobs' order.
    package func run(_ jobs: [Job]) throws(SockscopeError) -> [TLSProbeResult] {
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        var results = [TLSProbeResult?](repeating: nil, count: jobs.count)
        func finish(_ attempt: Attempt, _ outcome: TLSProbeResult.Outcome) {
            loop.forget(attempt.socket.descriptor)
            // As the scan's probes: RST (no TIME-WAIT left behind) unless --graceful.
            if !graceful && !datagram { try? attempt.socket.set(.linger(seconds: 0)) }
            // UDP has no RST: close_notify tells a DTLS server the session is over, so it
            // does not keep serving a client that is gone.
            if datagram, case .established = outcome { attempt.session?.sendCloseNotify() }
            attempt.session = nil
            attempt.socket.close()
            results[attempt.index] = TLSProbeResult(address: attempt.job.address, port: attempt.job.port, serverName: attempt.job.serverName, outcome: outcome)
        }
        try loop.runJobs(count: jobs.count, parallelism: parallelism) { index, done throws(SockscopeError) in
            let job = jobs[index]
            let ended = { (attempt: Attempt, outcome: TLSProbeResult.Outcome) in
                finish(attempt, outcome)
                done()
            }
            if let outcome = try start(job, index: index, loop: loop, finish: ended) {
                results[index] = TLSProbeResult(address: job.address, port: job.port, serverName: job.serverName, outcome: outcome)
                done()
            }
        }
        return results.compactMap { $0 }
    }

    /// Starts one job: the connect stage, then the handshake stage, both driven on the
    /// loop within one deadline; returns the outcome when it ends at once (no socket).
    private func start(
        _ job: Job, index: Int, loop: EventLoop, finish: @escaping (Attempt, TLSProbeResult.Outcome) -> Void
    ) throws(SockscopeError) -> TLSProbeResult.Outcome? {
        let destination = SocketAddress(job.address, port: job.port)
        let socket: Socket
        do { socket = try Socket(family: destination.family, type: datagram ? .datagram : .stream) } catch {
            if ProbeResult.isLocalResourceLimit(error.errno) { throw SockscopeError(error) }
            return .unreachable(SockscopeError(error))
        }
        let attempt = Attempt(job: job, index: index, socket: socket)
        let deadline = attempt.started + timeout
        // A UDP connect() only sets the peer, at once; the DTLS session takes it then
        // (BIO_CTRL_DGRAM_SET_CONNECTED), so it must come first.
        let connect = ConnectStage(to: destination)
        if datagram {
            do { _ = try connect.step(on: socket) } catch {
                socket.close()
                if let errno = connect.failure?.errno, ProbeResult.isLocalResourceLimit(errno) { throw error }
                return .unreachable(error)
            }
        }
        let session = try TLSSession(context: context, socket: socket, serverName: job.serverName, verifyName: job.serverName ?? "\(job.address)")
        attempt.session = session
        let setup = StageSequence(datagram ? [session] : [connect, session])
        try loop.drive(setup, on: socket, deadline: deadline) { [self] failure throws(SockscopeError) in
            if let connect = setup.current as? ConnectStage, let failure {
                if let errno = connect.failure?.errno, ProbeResult.isLocalResourceLimit(errno) { throw failure }
                let waited = SocketCallError(.connect, .timedOut, address: destination, waited: timeout)
                return finish(attempt, .unreachable(failure.status == .timedOut ? SockscopeError(waited) : failure))
            }
            session.noteDuration(.now - attempt.started)
            guard let failure else { return finish(attempt, .established(session.handshake)) }
            finish(attempt, failure.status == .timedOut ? timedOut(attempt) : classify(failure, session: session))
        }
        return nil
    }

    /// A failed handshake: TLS refused, or not TLS at all (judged by the first bytes).
    private func classify(_ failure: SockscopeError, session: TLSSession) -> TLSProbeResult.Outcome {
        let first = session.firstBytesReceived
        if first.isEmpty {
            if datagram && failure.status == .unavailable { return .unreachable(failure) }
            if failure.status == .tlsHandshake || failure.status == .ioError {
                return .notTLS(reason: "closed the connection without a \(name) reply", answer: nil)
            }
            return .failed(session.handshake, failure)
        }
        if Self.isRecordHeader(first) { return .failed(session.handshake, failure) }
        let answer = Self.firstLine(first + Self.rest(of: session.socket))
        return .notTLS(reason: Self.kind(of: answer), answer: answer)
    }

    private func timedOut(_ attempt: Attempt) -> TLSProbeResult.Outcome {
        let waited = SockscopeError.seconds(timeout)
        guard let session = attempt.session else {
            return .unreachable(
                SockscopeError(SocketCallError(.connect, .timedOut, address: SocketAddress(attempt.job.address, port: attempt.job.port), waited: timeout)))
        }
        let first = session.firstBytesReceived
        if first.isEmpty { return .notTLS(reason: "no \(name) reply within \(waited)", answer: nil) }
        if Self.isRecordHeader(first) {
            session.noteDuration(.now - attempt.started)
            return .failed(session.handshake, SockscopeError("the \(name) handshake did not finish within \(waited)", status: .timedOut))
        }
        let answer = Self.firstLine(first + Self.rest(of: session.socket))
        return .notTLS(reason: Self.kind(of: answer), answer: answer)
    }

    /// Whether `bytes` start like a TLS or DTLS record: a content type from 20
    /// (change_cipher_spec) to 24 (heartbeat), then major version 3 (TLS) or 254 (DTLS,
    /// whose versions count down from 0xFEFF).
    static func isRecordHeader(_ bytes: [UInt8]) -> Bool {
        bytes.count > 1 && (20...24).contains(bytes[0]) && (bytes[1] == 3 || bytes[1] == 0xfe)
    }

    /// "an HTTP answer" for a status line or an HTML page (an HTTP/0.9-style error), else
    /// "a plaintext answer".
    static func kind(of answer: String) -> String {
        let lowered = answer.lowercased()
        let http = lowered.hasPrefix("http/") || lowered.hasPrefix("<!doctype html") || lowered.hasPrefix("<html")
        return http ? "an HTTP answer" : "a plaintext answer"
    }

    /// What else of the answer is already in the socket (without waiting), up to 200 bytes.
    private static func rest(of socket: Socket) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 200)
        let count = buffer.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return count > 0 ? Array(buffer.prefix(count)) : []
    }

    /// The first line of an answer, printable ASCII only (others as '.'), at most 80 characters.
    static func firstLine(_ bytes: [UInt8]) -> String {
        let line = bytes.prefix { $0 != 0x0a && $0 != 0x0d }.prefix(80)
        return String(decoding: line.map { (0x20..<0x7f).contains($0) ? $0 : 0x2e }, as: UTF8.self)
    }
}
