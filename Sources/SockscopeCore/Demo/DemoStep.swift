/// One step of the connection-life demo: a socket call, what it means, and the
/// kernel's view of the sockets right after it.
package struct DemoStep: Sendable {
    package enum Side: String, Sendable {
        case server, client, kernel
    }

    package var number: Int
    package var side: Side
    /// The call as `-v` narrates it: `connect(fd 4, 127.0.0.1:40123) → ok`.
    package var call: String
    /// What happened underneath, in a sentence.
    package var explanation: String
    /// TCP state of the listening socket, the client's socket and the server's
    /// connection socket, as the kernel lists them (`/proc/net/tcp`); nil before the
    /// socket exists.
    package var listenerState: String?
    package var clientState: String?
    package var serverState: String?
    /// For a socket in TIME-WAIT, the time its timer has left.
    package var timeWaitLeft: Duration?
    /// The packets this call put on the wire (when the demo can capture).
    package var packets: [TCPConversationTracker.Event] = []
}
