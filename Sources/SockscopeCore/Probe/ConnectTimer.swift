import Glibc
import SystemPackage

/// `probe --count`: one TCP connect() to an address, timed from the call to its outcome
/// — open (the handshake completed), closed (RST: ECONNREFUSED), unreachable (an ICMP
/// error or a local route), filtered (nothing within the timeout: ETIMEDOUT) — as
/// tcping and `hping3 -S` time a port. The wait is the event loop's one-descriptor
/// wait, so SIGINT or SIGTERM ends it at once.
package enum ConnectTimer {
    /// Connects once and closes (with RST unless `graceful`, so repeated attempts leave
    /// no TIME-WAIT sockets).
    /// - Throws: the interruption when a signal arrives while waiting; a local
    ///   shortage (EMFILE, EADDRNOTAVAIL) that is not the port's answer.
    package static func attempt(_ destination: SocketAddress, timeout: Duration, graceful: Bool) throws(SockscopeError) -> ProbeResult {
        guard let target = destination.ipAddress, let port = destination.port else {
            throw .usage("probe --count times TCP connects to an IP address and port, not \(destination)")
        }
        let started = ContinuousClock.now
        let (fd, start) = ProbeSocket.start(destination, type: .stream, payload: [])
        var error: Errno?
        switch start {
        case .localShortage(let failure):
            if ProbeSocket.exists(fd) { ProbeSocket.discard(fd) }
            throw SockscopeError(failure)
        case .finished(let result):
            error = result
        case .pending:
            do throws(SocketCallError) {
                error = try EventLoop.wait(for: fd, .writable, deadline: started + timeout) ? ProbeSocket.pendingError(fd) : .timedOut
            } catch {
                ProbeSocket.close(fd, connected: false, graceful: false)
                throw SockscopeError(error)
            }
        }
        let elapsed = ContinuousClock.now - started
        // Connected to itself (no listener, and the kernel picked the port as the source):
        // nothing answered, as a refusal would have said.
        if error == nil && ProbeSocket.exists(fd) && ProbeSocket.isSelfConnected(fd) { error = .connectionRefused }
        if ProbeSocket.exists(fd) { ProbeSocket.close(fd, connected: error == nil, graceful: graceful) }
        let (state, reason) = ProbeResult.verdict(tcp: error)
        return ProbeResult(target: target, port: port, transport: .tcp, state: state, error: error, reason: reason, elapsed: elapsed, attempts: 1)
    }

    /// ping's summary of repeated attempts: how many were sent and answered (open or
    /// closed: the host replied), and min/avg/max/mdev of the answered ones' times.
    package struct Statistics: Sendable {
        package private(set) var sent = 0
        package private(set) var open = 0
        package private(set) var closed = 0
        private var times: (count: Int, sum: Double, squares: Double, min: Double, max: Double) = (0, 0, 0, .infinity, 0)

        package init() {}

        package mutating func add(_ result: ProbeResult) {
            add(answered: result.state == .open || result.state == .closed, open: result.state == .open, time: result.elapsed)
        }

        /// One attempt: whether the host answered, whether it was the answer sought (open,
        /// or a finished TLS handshake), and the time counted when it answered.
        package mutating func add(answered: Bool, open isOpen: Bool, time: Duration?) {
            sent += 1
            guard answered else { return }
            if isOpen { open += 1 } else { closed += 1 }
            guard let time else { return }
            let milliseconds = Double(time.components.seconds) * 1000 + Double(time.components.attoseconds) / 1e15
            times = (
                times.count + 1, times.sum + milliseconds, times.squares + milliseconds * milliseconds, Swift.min(times.min, milliseconds),
                Swift.max(times.max, milliseconds)
            )
        }

        /// Attempts the host answered (SYN/ACK or RST).
        package var answered: Int { open + closed }
        /// The share not answered, in percent (ping's "packet loss").
        package var lossPercent: Double { sent == 0 ? 0 : Double(sent - answered) * 100 / Double(sent) }

        /// min, avg, max and mdev (ping's: the standard deviation, √(mean of squares − square of mean)) in ms.
        package var milliseconds: (min: Double, average: Double, max: Double, deviation: Double)? {
            guard times.count > 0 else { return nil }
            let mean = times.sum / Double(times.count)
            return (times.min, mean, times.max, (Swift.max(0, times.squares / Double(times.count) - mean * mean)).squareRoot())
        }
    }
}
