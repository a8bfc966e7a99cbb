import SockscopeCore

/// The fuzz targets: each takes arbitrary bytes and must return without trapping.
enum FuzzTargets {
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "decoder": decoder, "tracker": tracker, "parsers": parsers, "frames": frames, "filters": filters, "tls": tls,
        "proxy": proxy, "text": text,
    ]

    static let linkTypes = LinkType.allCases

    /// The first byte picks the link type; the rest is the frame.
    static func decoder(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        _ = PacketDecoder.decode(Array(bytes.dropFirst()), linkType: linkTypes[Int(first) % linkTypes.count])
        // The same bytes as a UDP service's reply (probe -u reads them).
        let ports = Array(UDPService.table.keys).sorted()
        _ = UDPService.describe(Array(bytes.dropFirst()), port: ports[Int(first) % ports.count], fromPort: 1, tableRequest: true)
    }

    /// Frames separated by a length byte, all decoded as raw IP and fed to one tracker.
    static func tracker(_ bytes: [UInt8]) {
        var tracker = TCPConversationTracker()
        var index = 0
        var time = 0
        while index < bytes.count {
            let length = Int(bytes[index])
            index += 1
            let frame = Array(bytes[index..<min(bytes.count, index + length)])
            index += length
            time += 1
            if let packet = PacketDecoder.decode(frame, linkType: .raw, timestamp: .milliseconds(time)) { _ = tracker.track(packet) }
        }
    }

    /// Segments separated by a length byte, fed in order to one direction's TLS record
    /// decoder (a length byte of 0 repeats the previous segment: a retransmission).
    static func tls(_ bytes: [UInt8]) {
        var decoder = TLSStreamDecoder()
        var index = 0
        var sequence: UInt32 = 1
        var previous: (UInt32, [UInt8])?
        while index < bytes.count {
            let length = Int(bytes[index])
            index += 1
            if length == 0, let (at, segment) = previous {
                _ = decoder.feed(sequence: at, payload: segment, length: segment.count)
                continue
            }
            let segment = Array(bytes[index..<min(bytes.count, index + length)])
            index += length
            _ = decoder.feed(sequence: sequence, payload: segment, length: segment.count)
            previous = (sequence, segment)
            sequence &+= UInt32(segment.count)
        }
    }

    /// Chunks separated by a length byte, fed to a proxy server's session (the first byte
    /// of the input also picks whether it wants credentials), and each chunk to a client
    /// handshake of every kind as the proxy's answer: neither may trap.
    static func proxy(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let session = ProxyServerSession(credentials: first & 1 == 0 ? nil : (user: "u", password: "p"))
        let clients = ProxyURL.Kind.allCases.compactMap { kind in
            try? ProxyClientHandshake(
                proxy: ProxyURL(kind: kind, host: "127.0.0.1", port: 1080, username: first & 2 == 0 ? nil : "u", password: "p"),
                destination: first & 4 == 0 ? .name("peer.test", port: 80) : .address(.v4(.loopback), port: 80))
        }
        var index = 1
        while index < bytes.count {
            let length = Int(bytes[index])
            index += 1
            let chunk = Array(bytes[index..<min(bytes.count, index + length)])
            index += length
            _ = session.receive(chunk)
            for client in clients where !client.isOpen { _ = try? client.receive(chunk) }
        }
    }

    /// Untrusted bytes through the one escaping rule and the Base64 decoder: the escaped
    /// text must hold no control character, and decoding never traps.
    static func text(_ bytes: [UInt8]) {
        let escaped = PrintableBytes.escaped(bytes)
        if escaped.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) { fatalError("a control character passed: \(bytes)") }
        _ = Base64.decode(String(decoding: bytes, as: UTF8.self))
    }

    /// The input as text, through every parser of user input.
    static func parsers(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = SocketAddress.parse(text)
        _ = IPAddress(text)
        _ = try? PortNumber.parse(text, allowZero: true)
        _ = try? PortList(parsing: text)
        if text.utf8.count < 64 { _ = try? TargetList.expand(cidr: text) }
        // Target items of numbers only (a name would be looked up).
        if text.utf8.allSatisfy({ "0123456789abcdefABCDEF.:/-,*".utf8.contains($0) }) {
            _ = try? TargetSpace.parse(IPv4OctetPattern.items(ofList: text), excluding: ["10.0.0.0/9"], family: nil)
        }
        if let pattern = try? IPv4OctetPattern(parsing: text) { _ = try? pattern.runs(limit: 1 << 12) }
        _ = try? AccessControl.Block(parsing: text)
        _ = try? UnixSocketPath(parsing: text)
        _ = try? Resolver.validateHostName(text)
        _ = KernelTCPTable.parse(text, family: .inet)
        _ = KernelUnixTable.parseBoundPaths(text)
    }

    /// The first byte picks the format and the chunk size; the rest is the stream.
    static func frames(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let format = FrameFormat.allCases[Int(first) % FrameFormat.allCases.count]
        var decoder = FrameDecoder(format: format, maximumFrame: 1 << 16)
        let chunk = Int(first >> 2) + 1
        var index = 1
        while index < bytes.count {
            guard (try? decoder.feed(bytes[index..<min(bytes.count, index + chunk)])) != nil else { return }
            index += chunk
        }
    }

    /// The input as a BPF filter expression, compiled by libpcap.
    static func filters(_ bytes: [UInt8]) {
        let text = String(decoding: bytes.prefix(512).filter { $0 != 0 }, as: UTF8.self)
        _ = PacketCapture.filterProblem(text)
    }
}
