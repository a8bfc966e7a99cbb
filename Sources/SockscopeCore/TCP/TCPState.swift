/// A TCP connection state, as RFC 9293 names it.
///
/// `kernelCode` is the number Linux uses in `/proc/net/tcp` and sock_diag.
package enum TCPState: UInt8, Sendable, CaseIterable {
    case established = 1
    case synSent = 2
    case synReceived = 3
    case finWait1 = 4
    case finWait2 = 5
    case timeWait = 6
    case closed = 7
    case closeWait = 8
    case lastAck = 9
    case listen = 10
    case closing = 11
    case newSynReceived = 12

    /// The kernel's number for this state (`TCP_ESTABLISHED` = 1 …).
    package var kernelCode: UInt8 { rawValue }

    /// The RFC 9293 spelling: `SYN-SENT`, `TIME-WAIT`, `CLOSE-WAIT`.
    package var name: String {
        switch self {
        case .established: "ESTABLISHED"
        case .synSent: "SYN-SENT"
        case .synReceived, .newSynReceived: "SYN-RECEIVED"
        case .finWait1: "FIN-WAIT-1"
        case .finWait2: "FIN-WAIT-2"
        case .timeWait: "TIME-WAIT"
        case .closed: "CLOSED"
        case .closeWait: "CLOSE-WAIT"
        case .lastAck: "LAST-ACK"
        case .listen: "LISTEN"
        case .closing: "CLOSING"
        }
    }
}
