import SockscopeCore
import Testing

/// Hand-built packets: every link type, TCP options, ICMP quotes, and junk.
enum Frames {
    static func ipv4TCP(
        source: [UInt8] = [127, 0, 0, 1], destination: [UInt8] = [127, 0, 0, 1], sourcePort: UInt16 = 51234, destinationPort: UInt16 = 8080,
        sequence: UInt32 = 1000, acknowledgment: UInt32 = 0, flags: UInt8 = 0x02, window: UInt16 = 65495,
        options: [UInt8] = [], payload: Int = 0, ipOptions: [UInt8] = []
    ) -> [UInt8] {
        let tcpLength = 20 + options.count
        let ipHeader = 20 + ipOptions.count
        let total = ipHeader + tcpLength + payload
        var ip: [UInt8] =
            [0x40 | UInt8(ipHeader / 4), 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0] + source + destination + ipOptions
        ip += be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(acknowledgment)
        ip += [UInt8(tcpLength / 4) << 4, flags] + be16(window) + [0, 0, 0, 0] + options
        return ip + [UInt8](repeating: 0x61, count: payload)
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    static func be32(_ value: UInt32) -> [UInt8] { be16(UInt16(value >> 16)) + be16(UInt16(value & 0xffff)) }

    static let synOptions: [UInt8] = [2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]
    static let ethernetHeader: [UInt8] = [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
}

@Suite("Packet decoder")
struct PacketDecoderTests {
    @Test(
        "a SYN on every link type decodes to the same TCP segment",
        arguments: [
            (LinkType.ethernet, Frames.ethernetHeader),
            (.null, [2, 0, 0, 0]),
            (.loop, [0, 0, 0, 2]),
            (.raw, []),
            (.ipv4, []),
            (.linuxSLL, [UInt8](repeating: 0, count: 14) + [0x08, 0x00]),
            (.linuxSLL2, [0x08, 0x00] + [UInt8](repeating: 0, count: 18)),
        ])
    func linkTypes(linkType: LinkType, header: [UInt8]) throws {
        let packet = try #require(PacketDecoder.decode(header + Frames.ipv4TCP(options: Frames.synOptions), linkType: linkType))
        guard case .tcp(let segment) = packet.transport else {
            Issue.record("not TCP")
            return
        }
        #expect(packet.source == .v4(.loopback))
        #expect(segment.sourcePort == 51234 && segment.destinationPort == 8080)
        #expect(segment.flags == .syn)
        #expect(segment.sequence == 1000)
        #expect(segment.options == [.maximumSegmentSize(65495), .sackPermitted, .timestamp(value: 1, echo: 0), .windowScale(7)])
        #expect(segment.payloadLength == 0)
    }

    @Test("IPv4 options are skipped; the payload length comes from the IP header")
    func ipv4Options() throws {
        let frame = Frames.ipv4TCP(flags: 0x18, payload: 5, ipOptions: [1, 1, 1, 0])
        let packet = try #require(PacketDecoder.decode(frame, linkType: .raw))
        guard case .tcp(let segment) = packet.transport else {
            Issue.record("not TCP")
            return
        }
        #expect(segment.payloadLength == 5)
        #expect(segment.flags == [.psh, .ack])
        #expect(segment.flags.tcpdumpNotation == "P.")
    }

    @Test("IPv6 with a hop-by-hop extension header, then TCP")
    func ipv6Extensions() throws {
        let tcp = Array(Frames.ipv4TCP(flags: 0x12).dropFirst(20))
        let hopByHop: [UInt8] = [6, 0, 1, 4, 0, 0, 0, 0]  // next header TCP, length 0 (8 bytes), PadN
        let payloadLength = hopByHop.count + tcp.count
        let loopback = [UInt8](repeating: 0, count: 15) + [1]
        let frame: [UInt8] = [0x60, 0, 0, 0] + Frames.be16(UInt16(payloadLength)) + [0, 64] + loopback + loopback + hopByHop + tcp
        let packet = try #require(PacketDecoder.decode(frame, linkType: .raw))
        #expect(packet.source == .v6(.loopback))
        guard case .tcp(let segment) = packet.transport else {
            Issue.record("not TCP")
            return
        }
        #expect(segment.flags == [.syn, .ack])
    }

    @Test("an ICMP port-unreachable is tied to the datagram it quotes")
    func icmpQuote() throws {
        let quotedUDP: [UInt8] = [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2] + Frames.be16(40000) + Frames.be16(53) + [0, 8, 0, 0]
        let icmp: [UInt8] = [3, 3, 0, 0, 0, 0, 0, 0] + quotedUDP
        let frame: [UInt8] = [0x45, 0, 0, UInt8(20 + icmp.count), 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1] + icmp
        let packet = try #require(PacketDecoder.decode(frame, linkType: .raw))
        guard case .icmp(let message) = packet.transport else {
            Issue.record("not ICMP")
            return
        }
        #expect(message.meaning == "port unreachable")
        #expect(message.quoted?.protocolNumber == 17)
        #expect(message.quoted?.sourcePort == 40000 && message.quoted?.destinationPort == 53)
    }

    @Test("an ICMP admin-prohibited quoting only 8 bytes of TCP still yields the ports")
    func icmpQuoteTCP() throws {
        let quoted = Array(Frames.ipv4TCP(source: [10, 0, 0, 1], destination: [10, 0, 0, 2], destinationPort: 81).prefix(28))
        let icmp: [UInt8] = [3, 13, 0, 0, 0, 0, 0, 0] + quoted
        let frame: [UInt8] = [0x45, 0, 0, UInt8(20 + icmp.count), 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1] + icmp
        let packet = try #require(PacketDecoder.decode(frame, linkType: .raw))
        guard case .icmp(let message) = packet.transport else {
            Issue.record("not ICMP")
            return
        }
        #expect(message.meaning == "admin prohibited")
        #expect(message.quoted?.protocolNumber == 6 && message.quoted?.destinationPort == 81)
    }

    @Test("every truncation of a packet decodes or is refused, never traps")
    func truncations() {
        let frame = Frames.ethernetHeader + Frames.ipv4TCP(options: Frames.synOptions, payload: 10)
        for length in 0...frame.count {
            _ = PacketDecoder.decode(Array(frame.prefix(length)), linkType: .ethernet)
        }
    }

    @Test("random bytes on every link type never trap")
    func junk() {
        var generator = SystemRandomNumberGenerator()
        let linkTypes = LinkType.allCases
        for round in 0..<2000 {
            var bytes = (0..<Int.random(in: 0...120, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 2 == 0, !bytes.isEmpty { bytes[0] = round % 4 == 0 ? 0x45 : 0x60 }  // look like IP more often
            for linkType in linkTypes { _ = PacketDecoder.decode(bytes, linkType: linkType) }
        }
    }

    @Test("tcpdump flag notation")
    func flagNotation() {
        #expect(TCPFlags.syn.tcpdumpNotation == "S")
        #expect(TCPFlags([.syn, .ack]).tcpdumpNotation == "S.")
        #expect(TCPFlags([.fin, .ack]).tcpdumpNotation == "F.")
        #expect(TCPFlags.ack.tcpdumpNotation == ".")
        #expect(TCPFlags([.rst, .ack]).tcpdumpNotation == "R.")
    }
}

@Suite("TCP conversation tracker")
struct TCPTrackerTests {
    /// Builds a packet between client (127.0.0.1:51234) and server (127.0.0.1:8080).
    static func packet(_ fromClient: Bool, _ flags: UInt8, seq: UInt32, ack: UInt32 = 0, payload: Int = 0, window: UInt16 = 65495, at ms: Int) -> Packet {
        let frame = Frames.ipv4TCP(
            sourcePort: fromClient ? 51234 : 8080, destinationPort: fromClient ? 8080 : 51234,
            sequence: seq, acknowledgment: ack, flags: flags, window: window, payload: payload)
        return PacketDecoder.decode(frame, linkType: .raw, timestamp: .milliseconds(ms))!
    }

    static func states(_ event: TCPConversationTracker.Event?) -> String {
        (event?.stateChanges ?? []).map { "\($0.side.rawValue): \($0.state.name)" }.joined(separator: ", ")
    }

    @Test("handshake, data, client closes first: the states each side goes through, relative numbers, RTT, TIME-WAIT on the client")
    func lifeOfAConnection() {
        var tracker = TCPConversationTracker()
        let c: UInt32 = 1_000_000
        let s: UInt32 = 5_000_000
        let script: [(Packet, String, UInt32, UInt32?)] = [
            (Self.packet(true, 0x02, seq: c, at: 0), "client: SYN-SENT", 0, nil),
            (Self.packet(false, 0x12, seq: s, ack: c + 1, at: 2), "server: SYN-RECEIVED, client: ESTABLISHED", 0, 1),
            (Self.packet(true, 0x10, seq: c + 1, ack: s + 1, at: 3), "server: ESTABLISHED", 1, 1),
            (Self.packet(true, 0x18, seq: c + 1, ack: s + 1, payload: 5, at: 4), "", 1, 1),
            (Self.packet(false, 0x10, seq: s + 1, ack: c + 6, at: 5), "", 1, 6),
            (Self.packet(true, 0x11, seq: c + 6, ack: s + 1, at: 6), "client: FIN-WAIT-1, server: CLOSE-WAIT", 6, 1),
            (Self.packet(false, 0x10, seq: s + 1, ack: c + 7, at: 7), "client: FIN-WAIT-2", 1, 7),
            (Self.packet(false, 0x11, seq: s + 1, ack: c + 7, at: 8), "server: LAST-ACK, client: TIME-WAIT", 1, 7),
            (Self.packet(true, 0x10, seq: c + 7, ack: s + 2, at: 9), "server: CLOSED", 7, 2),
        ]
        for (packet, expected, sequence, acknowledgment) in script {
            let event = tracker.track(packet)
            #expect(Self.states(event) == expected)
            #expect(event?.relativeSequence == sequence)
            #expect(event?.relativeAcknowledgment == acknowledgment)
        }
        let conversation = tracker.conversations[0]
        #expect(conversation.states[.client] == .timeWait)
        #expect(conversation.states[.server] == .closed)
        #expect(conversation.firstToClose == .client)
        #expect(conversation.handshakeRTT == .milliseconds(2))
        #expect(conversation.bytes[.client] == 5)
        #expect(conversation.retransmissions == 0)
        #expect(conversation.client == .ipv4(.loopback, port: 51234))
    }

    /// A handshake (client ISN 10, server 20), then 100 bytes from the client at 3 ms.
    static func afterFirstData() -> TCPConversationTracker {
        var tracker = TCPConversationTracker()
        _ = tracker.track(Self.packet(true, 0x02, seq: 10, at: 0))
        _ = tracker.track(Self.packet(false, 0x12, seq: 20, ack: 11, at: 1))
        _ = tracker.track(Self.packet(true, 0x10, seq: 11, ack: 21, at: 2))
        _ = tracker.track(Self.packet(true, 0x18, seq: 11, ack: 21, payload: 100, at: 3))
        return tracker
    }

    @Test("a segment behind the highest sequence number within the handshake round trip is out of order, later a retransmission (Wireshark's rules)")
    func outOfOrder() {
        var tracker = Self.afterFirstData()  // the handshake took 2 ms, SYN to its ACK
        _ = tracker.track(Self.packet(true, 0x18, seq: 211, ack: 21, payload: 100, at: 4))  // 111..<211 not seen yet
        let late = tracker.track(Self.packet(true, 0x18, seq: 111, ack: 21, payload: 50, at: 5))
        #expect(late?.notes == ["out of order"])
        let again = tracker.track(Self.packet(true, 0x18, seq: 111, ack: 21, payload: 50, at: 250))
        #expect(again?.notes == ["retransmission"])
        let keepAlive = tracker.track(Self.packet(true, 0x10, seq: 310, ack: 21, payload: 1, at: 300))
        #expect(keepAlive?.notes == [])
        #expect(tracker.conversations[0].outOfOrder == 1)
        #expect(tracker.conversations[0].retransmissions == 1)
    }

    @Test(
        "a resend of data the other side has acknowledged is a spurious retransmission, counted as a retransmission, even inside the out-of-order window (tshark 4.0 checks it first)"
    )
    func spuriousRetransmission() {
        var tracker = Self.afterFirstData()  // client data 11..<111 at 3 ms; the handshake took 2 ms
        _ = tracker.track(Self.packet(true, 0x18, seq: 211, ack: 21, payload: 100, at: 3))  // 111..<211 not seen yet
        _ = tracker.track(Self.packet(true, 0x18, seq: 111, ack: 21, payload: 100, at: 3))  // out of order
        _ = tracker.track(Self.packet(false, 0x10, seq: 21, ack: 311, at: 3))  // the server has it all
        let resend = tracker.track(Self.packet(true, 0x18, seq: 111, ack: 21, payload: 100, at: 4))
        #expect(resend?.notes == ["spurious retransmission"])
        #expect(tracker.conversations[0].retransmissions == 1 && tracker.conversations[0].outOfOrder == 1)
    }

    @Test("a resend of what two duplicate ACKs ask for, within 20 ms, is a fast retransmission, even inside the out-of-order window")
    func fastRetransmission() {
        var tracker = Self.afterFirstData()  // client data 11..<111 at 3 ms
        _ = tracker.track(Self.packet(true, 0x18, seq: 111, ack: 21, payload: 100, at: 4))
        _ = tracker.track(Self.packet(true, 0x18, seq: 211, ack: 21, payload: 100, at: 4))
        // The server has 11..<111 only: it acks 111 three times (the first an ordinary ACK).
        for _ in 0..<3 { _ = tracker.track(Self.packet(false, 0x10, seq: 21, ack: 111, at: 4)) }
        let resend = tracker.track(Self.packet(true, 0x18, seq: 111, ack: 21, payload: 100, at: 5))
        #expect(resend?.notes == ["fast retransmission"])
        #expect(tracker.conversations[0].retransmissions == 1 && tracker.conversations[0].outOfOrder == 0)
    }

    @Test("RST closes both sides and names its sender; a repeated segment is a retransmission; window 0 is noted")
    func resetAndRetransmission() {
        var tracker = Self.afterFirstData()
        let again = tracker.track(Self.packet(true, 0x18, seq: 11, ack: 21, payload: 100, at: 250))
        #expect(again?.notes.contains("retransmission") == true)
        let full = tracker.track(Self.packet(false, 0x10, seq: 21, ack: 111, window: 0, at: 251))
        #expect(full?.notes.contains("zero window") == true)
        let reset = tracker.track(Self.packet(false, 0x14, seq: 21, ack: 111, at: 300))
        #expect(Self.states(reset) == "server: CLOSED, client: CLOSED")
        #expect(tracker.conversations[0].resetBy == .server)
        #expect(tracker.conversations[0].retransmissions == 1)
    }

    @Test("finished conversations quiet for long enough are forgotten; live ones are kept")
    func expiry() {
        var tracker = TCPConversationTracker()
        _ = tracker.track(Self.packet(true, 0x02, seq: 10, at: 0))
        _ = tracker.track(Self.packet(false, 0x12, seq: 20, ack: 11, at: 1))
        _ = tracker.track(Self.packet(false, 0x14, seq: 21, ack: 11, at: 2))  // RST: over
        tracker.expireFinished(quiet: .seconds(10), now: .seconds(5))
        #expect(tracker.conversations.count == 1 && tracker.expired == 0, "not quiet long enough yet")
        tracker.expireFinished(quiet: .seconds(10), now: .seconds(20))
        #expect(tracker.conversations.isEmpty && tracker.expired == 1)
        // The same 4-tuple opening again is a new conversation, followed as before.
        let again = tracker.track(Self.packet(true, 0x02, seq: 99, at: 21_000))
        #expect(Self.states(again) == "client: SYN-SENT")
        tracker.expireFinished(quiet: .seconds(10), now: .seconds(60))
        #expect(tracker.conversations.count == 1, "a live conversation is never forgotten")
    }

    @Test("simultaneous close: both FIN-WAIT-1, both CLOSING, both TIME-WAIT")
    func simultaneousClose() {
        var tracker = TCPConversationTracker()
        _ = tracker.track(Self.packet(true, 0x02, seq: 10, at: 0))
        _ = tracker.track(Self.packet(false, 0x12, seq: 20, ack: 11, at: 1))
        _ = tracker.track(Self.packet(true, 0x10, seq: 11, ack: 21, at: 2))
        #expect(Self.states(tracker.track(Self.packet(true, 0x11, seq: 11, ack: 21, at: 3))) == "client: FIN-WAIT-1, server: CLOSE-WAIT")
        // The server's FIN crossed ours: to the tracker it arrives while the client is in FIN-WAIT-1.
        var crossing = TCPConversationTracker()
        _ = crossing.track(Self.packet(true, 0x02, seq: 10, at: 0))
        _ = crossing.track(Self.packet(false, 0x12, seq: 20, ack: 11, at: 1))
        _ = crossing.track(Self.packet(true, 0x10, seq: 11, ack: 21, at: 2))
        _ = crossing.track(Self.packet(true, 0x11, seq: 11, ack: 21, at: 3))
        let serverFin = crossing.track(Self.packet(false, 0x11, seq: 21, ack: 11, at: 3))  // does not ack the client's FIN
        // So the server had not had the client's FIN: it was ESTABLISHED, not CLOSE-WAIT.
        #expect(Self.states(serverFin) == "server: FIN-WAIT-1, client: CLOSING")
        #expect(serverFin?.notes == ["FINs crossed"])
        #expect(crossing.conversations[0].simultaneousClose)
        // The server acknowledges the client's FIN: it has had it (CLOSING), and the client's FIN is acknowledged.
        let ack = crossing.track(Self.packet(false, 0x10, seq: 22, ack: 12, at: 4))
        #expect(Self.states(ack) == "server: CLOSING, client: TIME-WAIT")
        let lastAck = crossing.track(Self.packet(true, 0x10, seq: 12, ack: 22, at: 4))
        #expect(Self.states(lastAck) == "server: TIME-WAIT")
    }

    @Test("joining mid-stream: the higher port is the client, numbers relative to the first packet")
    func midStream() {
        var tracker = TCPConversationTracker()
        let event = tracker.track(Self.packet(true, 0x18, seq: 5000, ack: 9000, payload: 10, at: 0))
        #expect(event?.relativeSequence == 1)
        #expect(event?.from == .client)
        #expect(tracker.conversations[0].states[.client] == .established)
    }
}
