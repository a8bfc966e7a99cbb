import CShim
import Glibc
import SystemPackage

/// The raw calls of one probe, kept to the fewest system calls: a scan makes
/// tens of thousands of them, so each saved call is a measurable share of its time.
/// The probe's fast path keeps its descriptors as swift-system `FileDescriptor` values
/// (no object per probe, unlike `Socket`); they are made, asked and closed only through
/// this type, which is their owner.
enum ProbeSocket {
    /// What starting a probe led to.
    enum Start {
        /// The outcome is already known: nil for connected (open), or the errno.
        case finished(Errno?)
        /// The handshake is under way; wait for writability (TCP) or a reply (UDP).
        case pending
        /// This machine ran short (EMFILE, EADDRNOTAVAIL, …): try again later.
        case localShortage(SocketCallError)
    }

    /// Creates a non-blocking socket and starts connecting it. For TCP, a second
    /// connect() right after EINPROGRESS reports the outcome in one call — EISCONN
    /// (connected), EALREADY (still in progress) or the failure — so answers that
    /// arrived during the first call (loopback RSTs) need no epoll round at all.
    /// `reusing`: a socket of the same family and type whose connect() was refused.
    /// `askAgain`: make the second connect() (false when answers take longer than the
    /// call, as over a real link: it would only say EALREADY).
    static func start(
        _ destination: SocketAddress, type: SocketType, payload: [UInt8], reusing spare: FileDescriptor? = nil, askAgain: Bool = true
    ) -> (fd: FileDescriptor, start: Start) {
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let raw = spare?.rawValue ?? socket(destination.family.rawValue, type.rawValue | flags, 0)
        let fd = FileDescriptor(rawValue: raw)
        guard raw >= 0 else { return (fd, classify(Errno(rawValue: errno), call: .socket)) }
        var result = destination.withSockaddr { connect(raw, $0, $1) }
        if result == 0 {
            if type == .datagram { return (fd, send(payload, on: fd)) }
            return (fd, .finished(nil))
        }
        var error = Errno(rawValue: errno)
        if error == .nowInProgress && !askAgain { return (fd, .pending) }
        if error == .nowInProgress {
            result = destination.withSockaddr { connect(raw, $0, $1) }
            if result == 0 { return (fd, .finished(nil)) }
            error = Errno(rawValue: errno)
            switch error {
            case .socketIsConnected: return (fd, .finished(nil))
            case .alreadyInProcess, .nowInProgress: return (fd, .pending)
            default: break
            }
        }
        return (fd, classify(error, call: .connect))
    }

    /// UDP: an unconnected socket, the payload sent with sendto(). IP_RECVERR (IPV6_RECVERR)
    /// makes the kernel report an ICMP error (port unreachable: ECONNREFUSED) on it as on a
    /// connected one, and being unconnected it also hears a reply from another port of the
    /// target (a TFTP server answers from a new one); the caller checks the sender.
    static func startDatagram(_ destination: SocketAddress, payload: [UInt8]) -> (fd: FileDescriptor, start: Start) {
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let raw = socket(destination.family.rawValue, Int32(SOCK_DGRAM.rawValue) | flags, 0)
        let fd = FileDescriptor(rawValue: raw)
        guard raw >= 0 else { return (fd, classify(Errno(rawValue: errno), call: .socket)) }
        var on: Int32 = 1
        let v6 = destination.family == .inet6
        guard setsockopt(raw, v6 ? Int32(IPPROTO_IPV6) : Int32(IPPROTO_IP), v6 ? IPV6_RECVERR : IP_RECVERR, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
        else {
            return (fd, classify(Errno(rawValue: errno), call: .setsockopt))
        }
        let sent = payload.withUnsafeBytes { bytes in
            destination.withSockaddr { Glibc.sendto(raw, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) }
        }
        return sent >= 0 ? (fd, .pending) : (fd, classify(Errno(rawValue: errno), call: .sendto))
    }

    private static func send(_ payload: [UInt8], on fd: FileDescriptor) -> Start {
        let sent = payload.withUnsafeBytes { Glibc.send(fd.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent >= 0 ? .pending : classify(Errno(rawValue: errno), call: .send)
    }

    private static func classify(_ error: Errno, call: SocketCall) -> Start {
        ProbeResult.isLocalResourceLimit(error) ? .localShortage(SocketCallError(call, error)) : .finished(error)
    }

    /// SO_ERROR: the result of a connect that finished while we waited.
    static func pendingError(_ fd: FileDescriptor) -> Errno? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return Errno(rawValue: errno) }
        return value == 0 ? nil : Errno(rawValue: value)
    }

    /// net.ipv4.ip_local_port_range: where connect() picks source ports (32768–60999 by default).
    static func ephemeralPortRange() -> ClosedRange<UInt16> {
        let text = KernelTCPTable.readFile("/proc/sys/net/ipv4/ip_local_port_range")
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        guard numbers.count == 2, numbers[0] <= numbers[1] else { return 1...65535 }
        return numbers[0]...numbers[1]
    }

    /// Whether a connected socket is connected to itself (source port = destination port).
    static func isSelfConnected(_ fd: FileDescriptor) -> Bool {
        var local = sockaddr_storage()
        var remote = sockaddr_storage()
        var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var remoteLength = localLength
        let ok = withUnsafeMutablePointer(to: &local) { localPointer in
            withUnsafeMutablePointer(to: &remote) { remotePointer in
                localPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { l in
                    remotePointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { r in
                        getsockname(fd.rawValue, l, &localLength) == 0 && getpeername(fd.rawValue, r, &remoteLength) == 0
                    }
                }
            }
        }
        guard ok else { return false }
        return SocketAddress(storage: local, length: localLength) == SocketAddress(storage: remote, length: remoteLength)
    }

    /// getsockname: the probe's own address.
    static func localAddress(_ fd: FileDescriptor) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &length) }
        }
        return result == 0 ? SocketAddress(storage: storage, length: length) : nil
    }

    /// Closes a probe's socket that never connected, or one kept spare: close(2), nothing
    /// to reset. Probe descriptors are made, asked and closed here only.
    static func discard(_ fd: FileDescriptor) {
        Glibc.close(fd.rawValue)
    }

    /// Closes a probe. A connected TCP probe is reset (SO_LINGER 0) unless `graceful`,
    /// so it leaves no TIME-WAIT; other probes have nothing to reset.
    static func close(_ fd: FileDescriptor, connected: Bool, graceful: Bool) {
        if connected && !graceful {
            var value = linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd.rawValue, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size))
        }
        Glibc.close(fd.rawValue)
    }

    /// Whether `start` made a descriptor (false: socket() itself failed).
    static func exists(_ fd: FileDescriptor) -> Bool { fd.rawValue >= 0 }
}
