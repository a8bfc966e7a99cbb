import ArgumentParser
import SockscopeCore

/// Socket options shared by `connect` and `listen`.
struct SocketTuningOptions: ParsableArguments {
    @Flag(name: .customLong("nodelay"), help: "Set TCP_NODELAY: send small writes at once (no Nagle coalescing).")
    var noDelay = false

    @Flag(name: .customLong("keepalive"), help: "Set SO_KEEPALIVE: probe an idle connection so a vanished peer is noticed.")
    var keepAlive = false

    @Option(
        name: .customLong("keepalive-time"),
        help: ArgumentHelp(
            "With --keepalive (implied): probe after this many idle seconds, then every as many, and give up after 3 unanswered probes.", valueName: "secs"))
    var keepAliveTime: Int?

    @Option(
        name: .customLong("linger"),
        help: ArgumentHelp(
            "Set SO_LINGER: 0 ends the connection with RST instead of FIN (no half-close, no TIME-WAIT); N makes close() wait up to N seconds for unsent data.",
            valueName: "secs"))
    var linger: Int?

    @Option(name: .customLong("recv-buffer"), help: ArgumentHelp("SO_RCVBUF in bytes (K/M suffixes).", valueName: "bytes"))
    var receiveBuffer: ByteCount?

    @Option(name: .customLong("send-buffer"), help: ArgumentHelp("SO_SNDBUF in bytes (K/M suffixes).", valueName: "bytes"))
    var sendBuffer: ByteCount?

    @Option(name: .customLong("ttl"), help: ArgumentHelp("IP_TTL / IPV6_UNICAST_HOPS of outgoing packets (1-255).", valueName: "hops"))
    var ttl: Int?

    func validate() throws {
        if let linger, linger < 0 || linger > 65535 {
            throw ValidationError("--linger takes 0 to 65535 seconds, not \(linger)")
        }
        if let keepAliveTime, keepAliveTime < 1 || keepAliveTime > 32767 {
            throw ValidationError("--keepalive-time takes 1 to 32767 seconds, not \(keepAliveTime)")
        }
        if let ttl, ttl < 1 || ttl > 255 {
            throw ValidationError("--ttl takes 1 to 255 hops, not \(ttl)")
        }
    }
}

extension SocketTuningOptions.Values {
    /// The options to set, in the order they are narrated.
    var socketOptions: [SocketOption] {
        var options: [SocketOption] = []
        if noDelay { options.append(.noDelay(true)) }
        if keepAlive || keepAliveTime != nil { options.append(.keepAlive(true)) }
        if let keepAliveTime { options.append(.keepAliveTime(keepAliveTime)) }
        if let linger { options.append(.linger(seconds: linger)) }
        if let receiveBuffer { options.append(.receiveBufferSize(receiveBuffer.value)) }
        if let sendBuffer { options.append(.sendBufferSize(sendBuffer.value)) }
        if let ttl { options.append(.timeToLive(ttl)) }
        return options
    }
}

/// `-4` / `-6`.
struct FamilyOptions: ParsableArguments {
    @Flag(name: .customShort("4"), help: "Use IPv4 only.")
    var ipv4Only = false

    @Flag(name: .customShort("6"), help: "Use IPv6 only.")
    var ipv6Only = false

    func validate() throws {
        if ipv4Only && ipv6Only { throw ValidationError("-4 and -6 cannot be used together") }
    }

    var family: AddressFamily? { values.family }

    /// Where a relay server (forward, proxy) listens: `address` resolved, or loopback of
    /// the chosen family when none is given (such a server is open to whoever reaches it).
    func listenAddress(_ address: String?, port text: String, protocolName: String = "tcp") throws(SockscopeError) -> SocketAddress {
        let port = try PortNumber.parse(text, allowZero: true, protocolName: protocolName)
        guard let address else { return family == .inet6 ? .ipv6(.loopback, port: port) : .ipv4(.loopback, port: port) }
        let type: SocketType = protocolName == "udp" ? .datagram : .stream
        guard let resolved = try HostResolver.resolve(address, port: port, family: family, type: type).first else {
            throw .usage("no address for '\(address)'")
        }
        return resolved
    }
}

extension FamilyOptions.Values {
    var family: AddressFamily? {
        if ipv4Only { return .inet }
        if ipv6Only { return .inet6 }
        return nil
    }
}
