import Glibc

/// A socket option sockscope can set, with the C name it prints in narration.
package enum SocketOption: Sendable, Hashable, CustomStringConvertible {
    /// SO_REUSEADDR: bind a listener's port even while old connections on it sit in TIME-WAIT.
    case reuseAddress(Bool)
    /// SO_REUSEPORT: let several sockets bind the same address and port.
    case reusePort(Bool)
    /// TCP_NODELAY: send small segments at once instead of coalescing them (Nagle).
    case noDelay(Bool)
    /// SO_KEEPALIVE: probe an idle connection so a vanished peer is noticed.
    case keepAlive(Bool)
    /// TCP_KEEPIDLE, TCP_KEEPINTVL (both this many seconds) and TCP_KEEPCNT 3: with
    /// SO_KEEPALIVE, a peer that stops answering is declared gone after about 4× this.
    case keepAliveTime(Int)
    /// SO_LINGER: nil turns lingering off; 0 makes close() send RST (no TIME-WAIT);
    /// N makes close() wait up to N seconds for unsent data.
    case linger(seconds: Int?)
    /// SO_RCVBUF (SO_RCVBUFFORCE when privileged): the receive buffer, in bytes.
    case receiveBufferSize(Int)
    /// SO_SNDBUF (SO_SNDBUFFORCE when privileged): the send buffer, in bytes.
    case sendBufferSize(Int)
    /// IP_TTL / IPV6_UNICAST_HOPS: hop limit of outgoing packets.
    case timeToLive(Int)
    /// IPV6_V6ONLY: an IPv6 socket that does not also accept IPv4 (mapped) traffic.
    case ipv6Only(Bool)
    /// SO_BROADCAST: allow sending to a broadcast address.
    case broadcast(Bool)
    /// IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS: how far multicast datagrams travel.
    case multicastTTL(Int)
    /// IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP: deliver our own multicast to local receivers.
    case multicastLoop(Bool)
    /// IP_MULTICAST_IF / IPV6_MULTICAST_IF: the interface multicast leaves by (index; 0: the route's).
    case multicastInterface(UInt32)
    /// IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP: receive a multicast group on an interface (0: any).
    case joinGroup(IPAddress, interfaceIndex: UInt32)

    package var description: String {
        switch self {
        case .reuseAddress(let on): "SO_REUSEADDR, \(on ? 1 : 0)"
        case .reusePort(let on): "SO_REUSEPORT, \(on ? 1 : 0)"
        case .noDelay(let on): "TCP_NODELAY, \(on ? 1 : 0)"
        case .keepAlive(let on): "SO_KEEPALIVE, \(on ? 1 : 0)"
        case .keepAliveTime(let seconds): "TCP_KEEPIDLE/TCP_KEEPINTVL, \(seconds) s, TCP_KEEPCNT 3"
        case .linger(let seconds):
            if let seconds { "SO_LINGER, {on, \(seconds) s}" } else { "SO_LINGER, {off}" }
        case .receiveBufferSize(let bytes): "SO_RCVBUF, \(bytes)"
        case .sendBufferSize(let bytes): "SO_SNDBUF, \(bytes)"
        case .timeToLive(let hops): "IP_TTL, \(hops)"
        case .ipv6Only(let on): "IPV6_V6ONLY, \(on ? 1 : 0)"
        case .broadcast(let on): "SO_BROADCAST, \(on ? 1 : 0)"
        case .multicastTTL(let hops): "IP_MULTICAST_TTL, \(hops)"
        case .multicastLoop(let on): "IP_MULTICAST_LOOP, \(on ? 1 : 0)"
        case .multicastInterface(let index): "IP_MULTICAST_IF, interface \(index)"
        case .joinGroup(let group, let index): "IP_ADD_MEMBERSHIP, \(group) on interface \(index == 0 ? "any" : String(index))"
        }
    }

    /// Applies the option to `fd`; returns errno on failure.
    func apply(to fd: Int32, family: AddressFamily) -> Int32? {
        func setInt(_ level: Int32, _ name: Int32, _ value: Int) -> Int32? {
            var value = Int32(clamping: value)
            let result = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
            return result == 0 ? nil : errno
        }
        switch self {
        case .reuseAddress(let on): return setInt(SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0)
        case .reusePort(let on): return setInt(SOL_SOCKET, SO_REUSEPORT, on ? 1 : 0)
        case .noDelay(let on): return setInt(Int32(IPPROTO_TCP), TCP_NODELAY, on ? 1 : 0)
        case .keepAlive(let on): return setInt(SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0)
        case .keepAliveTime(let seconds):
            return setInt(Int32(IPPROTO_TCP), TCP_KEEPIDLE, seconds) ?? setInt(Int32(IPPROTO_TCP), TCP_KEEPINTVL, seconds)
                ?? setInt(Int32(IPPROTO_TCP), TCP_KEEPCNT, 3)
        case .linger(let seconds):
            var value = Glibc.linger(l_onoff: seconds == nil ? 0 : 1, l_linger: Int32(clamping: seconds ?? 0))
            let result = setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<Glibc.linger>.size))
            return result == 0 ? nil : errno
        case .receiveBufferSize(let bytes):
            // The forced variant ignores net.core.rmem_max but needs CAP_NET_ADMIN.
            if setInt(SOL_SOCKET, SO_RCVBUFFORCE, bytes) == nil { return nil }
            return setInt(SOL_SOCKET, SO_RCVBUF, bytes)
        case .sendBufferSize(let bytes):
            if setInt(SOL_SOCKET, SO_SNDBUFFORCE, bytes) == nil { return nil }
            return setInt(SOL_SOCKET, SO_SNDBUF, bytes)
        case .timeToLive(let hops):
            if family == .inet6 { return setInt(Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, hops) }
            return setInt(Int32(IPPROTO_IP), IP_TTL, hops)
        case .ipv6Only(let on): return setInt(Int32(IPPROTO_IPV6), IPV6_V6ONLY, on ? 1 : 0)
        case .broadcast(let on): return setInt(SOL_SOCKET, SO_BROADCAST, on ? 1 : 0)
        case .multicastTTL(let hops):
            if family == .inet6 { return setInt(Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, hops) }
            return setInt(Int32(IPPROTO_IP), IP_MULTICAST_TTL, hops)
        case .multicastLoop(let on):
            if family == .inet6 { return setInt(Int32(IPPROTO_IPV6), IPV6_MULTICAST_LOOP, on ? 1 : 0) }
            return setInt(Int32(IPPROTO_IP), IP_MULTICAST_LOOP, on ? 1 : 0)
        case .multicastInterface(let index):
            if family == .inet6 { return setInt(Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, Int(index)) }
            var request = ip_mreqn()
            request.imr_ifindex = Int32(bitPattern: index)
            let result = setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &request, socklen_t(MemoryLayout<ip_mreqn>.size))
            return result == 0 ? nil : errno
        case .joinGroup(let group, let index):
            let result: Int32
            switch group {
            case .v4(let address):
                var request = ip_mreqn()
                request.imr_multiaddr = address.raw
                request.imr_ifindex = Int32(bitPattern: index)
                result = setsockopt(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ip_mreqn>.size))
            case .v6(let address):
                var request = ipv6_mreq()
                request.ipv6mr_multiaddr = address.raw
                request.ipv6mr_interface = index
                result = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ipv6_mreq>.size))
            }
            return result == 0 ? nil : errno
        }
    }

    /// Whether the option only means something on TCP sockets.
    var isTCPOnly: Bool {
        switch self {
        case .noDelay, .keepAliveTime: true
        default: false
        }
    }
}
