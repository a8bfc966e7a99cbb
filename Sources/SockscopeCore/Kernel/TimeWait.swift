/// Facts the kernel's TCP table gives about connections sockscope watched: which
/// side of a tapped conversation holds TIME-WAIT now, and which sockets a scan left
/// closing. The command line only formats them.
package enum TimeWait {
    /// The side of `conversation` whose socket the kernel lists in TIME-WAIT now (with
    /// its timer), if either.
    package static func holder(of conversation: TCPConversationTracker.Conversation) -> (
        side: TCPConversationTracker.Side, socket: KernelTCPSocket
    )? {
        for side in [TCPConversationTracker.Side.client, .server] {
            let local = conversation.address(of: side)
            let remote = conversation.address(of: side.other)
            if let socket = KernelTCPTable.find(local: local, remote: remote), socket.state == .timeWait { return (side, socket) }
        }
        return nil
    }
}

extension PortScanner.Report {
    /// How many sockets the kernel still holds for this scan's probes after their FIN
    /// (`graceful`): FIN-WAIT until the peer's FIN arrives, then TIME-WAIT. The whole
    /// 4-tuple must match (the kernel reuses a local port for other destinations), and
    /// each is counted once (the kernel can list a socket twice for a moment while it
    /// passes from FIN-WAIT to TIME-WAIT).
    package func socketsLeftClosing() -> Int {
        let probes = Set(gracefulConnections)
        let closing: Set<TCPState> = [.finWait1, .finWait2, .closing, .timeWait]
        let left = KernelTCPTable.snapshot().filter {
            closing.contains($0.state) && probes.contains(PortScanner.GracefulConnection(local: $0.local, remote: $0.remote))
        }
        return Set(left.map { "\($0.local) \($0.remote)" }).count
    }
}
