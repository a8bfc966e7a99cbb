import Glibc
import SystemPackage

/// `probe --count`: TCP connect() calls to an address, each timed from the call to its
/// outcome — open (the handshake completed), closed (RST: ECONNREFUSED), unreachable (an
/// ICMP error or a local route), filtered (nothing within the timeout: ETIMEDOUT) — as
/// tcping and `hping3 -S` time a port (`series`), and ping's statistics of them.
package enum ConnectTimer {
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
