import Glibc
import Synchronization

/// SIGINT and SIGTERM, handled rather than fatal: the handler only records the
/// signal; the event loops (whose epoll_wait returns EINTR) see it, write out what
/// they hold, and end with exit status 128 + signal (130, 143) — so data received
/// before Ctrl-C is never lost and a capture still closes its pcap file.
public enum Interruption {
    private static let received = Atomic<Int32>(0)

    /// Installs the handlers. Call once, early.
    public static func install() {
        signal(SIGINT) { number in Interruption.received.store(number, ordering: .relaxed) }
        signal(SIGTERM) { number in Interruption.received.store(number, ordering: .relaxed) }
    }

    /// The signal that asked us to stop, if one has.
    public static var pending: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// Throws the error that ends the program as the signal asked, when one is pending.
    public static func check() throws(SockscopeError) {
        guard let number = pending else { return }
        throw SockscopeError("stopped by \(number == SIGINT ? "SIGINT" : "SIGTERM")", status: number == SIGINT ? .interrupted : .terminated)
    }
}
