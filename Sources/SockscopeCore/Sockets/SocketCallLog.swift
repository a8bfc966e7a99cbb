import Glibc
import Synchronization

/// The socket calls that send TCP segments — `connect`, `shutdown`, `close` — with when
/// each began and ended, so that a tap can name the call behind a packet it captured.
///
/// A segment a call makes leaves inside the system call: `connect(2)` sends the SYN
/// (`tcp_connect`), `shutdown(SHUT_WR)` and `close(2)` the FIN (`tcp_send_fin`) or,
/// with unread data, the RST, before they return. A captured packet from the call's
/// socket (its local address and peer) whose time lies between the call's start and
/// its end is therefore the call's. A packet sent later — a FIN queued behind data the
/// peer's window held back, a retransmission by timer — lies outside every call and
/// gets none. The times are CLOCK_REALTIME, as the kernel stamps captured packets.
///
/// A non-blocking `connect` ends when its result is read (SO_ERROR): the handshake's
/// last ACK, sent in between, is the connect's too.
package final class SocketCallLog: Sendable {
    package struct Call: Sendable {
        package var fd: Int32
        package var text: String
        /// nil while unknown (a connect from an unbound socket); an unspecified address
        /// (0.0.0.0, ::) matches any address with the port.
        package var local: SocketAddress?
        package var remote: SocketAddress?
        package var began: Duration
        /// nil while the call runs.
        package var ended: Duration?
    }

    /// At most this many calls are kept, the oldest dropped first: a capture thread
    /// lags the calls by far fewer, and a long-running server's log stays bounded.
    package static let capacity = 1024

    private let calls = Mutex<[Call]>([])

    package init() {}

    /// `clock_gettime(CLOCK_REALTIME)`: the clock of the packets' timestamps.
    package static func now() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }

    /// Notes that `fd` starts `text` now (before the system call, so a packet the call
    /// sends always finds it).
    package func begin(fd: Int32, _ text: String, local: SocketAddress?, remote: SocketAddress?) {
        let known = local.flatMap { $0.port == 0 ? nil : $0.unmapped }  // port 0: not bound yet
        let call = Call(fd: fd, text: text, local: known, remote: remote?.unmapped, began: Self.now(), ended: nil)
        calls.withLock { calls in
            if calls.count >= Self.capacity { calls.removeFirst(calls.count - Self.capacity + 1) }
            calls.append(call)
        }
    }

    /// Notes that the calls `fd` has running ended now, learning the local address the
    /// kernel chose when it was not known at the start.
    package func end(fd: Int32, local: SocketAddress? = nil) {
        let now = Self.now()
        calls.withLock { calls in
            for index in calls.indices.reversed() where calls[index].fd == fd && calls[index].ended == nil {
                calls[index].ended = now
                if calls[index].local == nil { calls[index].local = local?.unmapped }
            }
        }
    }

    /// The call that sent a packet from `source` to `destination` captured at `time`:
    /// the latest whose socket matches and that was running then; nil when none was.
    package func call(from source: SocketAddress, to destination: SocketAddress, at time: Duration) -> String? {
        let source = source.unmapped
        let destination = destination.unmapped
        return calls.withLock { calls in
            calls.last { call in
                call.began <= time && (call.ended.map { time <= $0 } ?? true)
                    && Self.matches(call.local, source) && (call.remote.map { $0 == destination } ?? true)
            }?.text
        }
    }

    private static func matches(_ local: SocketAddress?, _ source: SocketAddress) -> Bool {
        guard let local else { return true }
        guard local.port == source.port else { return false }
        switch local.ipAddress {
        case .v4(let address) where address == .any: return true
        case .v6(let address) where address == .any: return true
        default: return local.ipAddress == source.ipAddress
        }
    }
}
