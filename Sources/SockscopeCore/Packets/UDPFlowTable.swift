/// UDP flows seen in a capture (`tap --summary`): each pair of endpoints once, with the
/// packets and bytes each way, the side that sent first called the client.
package struct UDPFlowTable {
    package struct Flow: Sendable {
        /// The endpoint that sent the first datagram seen.
        package var client: SocketAddress
        package var server: SocketAddress
        package var packetsToServer = 0
        package var packetsToClient = 0
        package var bytesToServer = 0
        package var bytesToClient = 0
        package var firstTimestamp: Duration
        package var lastTimestamp: Duration
    }

    private var index: [String: Int] = [:]
    package private(set) var flows: [Flow] = []

    package init() {}

    /// Counts one packet when it is UDP.
    package mutating func add(_ packet: Packet) {
        guard case .udp(let sourcePort, let destinationPort, let length) = packet.transport else { return }
        let source = SocketAddress(packet.source, port: sourcePort)
        let destination = SocketAddress(packet.destination, port: destinationPort)
        let key = "\(source)" < "\(destination)" ? "\(source) \(destination)" : "\(destination) \(source)"
        let number = index[key] ?? flows.count
        if number == flows.count {
            index[key] = number
            flows.append(Flow(client: source, server: destination, firstTimestamp: packet.timestamp, lastTimestamp: packet.timestamp))
        }
        let payload = length
        if flows[number].client == source {
            flows[number].packetsToServer += 1
            flows[number].bytesToServer += payload
        } else {
            flows[number].packetsToClient += 1
            flows[number].bytesToClient += payload
        }
        // Earliest and latest: a capture's clock may step back.
        flows[number].firstTimestamp = min(flows[number].firstTimestamp, packet.timestamp)
        flows[number].lastTimestamp = max(flows[number].lastTimestamp, packet.timestamp)
    }
}
