/// One step of the connection-life demo: a socket call, what it means, and the
/// kernel's view of the sockets right after it.
public struct DemoStep: Sendable {
    public enum Side: String, Sendable {
        case server, client, kernel
    }

    public var number: Int
    public var side: Side
    /// The call as `-v` narrates it: `connect(fd 4, 127.0.0.1:40123) → ok`.
    public var call: String
    /// What happened underneath, in a sentence.
    public var explanation: String
    /// TCP state of the listening socket, the client's socket and the server's
    /// connection socket, as the kernel lists them (`/proc/net/tcp`); nil before the
    /// socket exists.
    public var listenerState: String?
    public var clientState: String?
    public var serverState: String?
    /// For a socket in TIME-WAIT, the time its timer has left.
    public var timeWaitLeft: Duration?
    /// The packets this call put on the wire (when the demo can capture).
    public var packets: [TCPConversationTracker.Event] = []
}
