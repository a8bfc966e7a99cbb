import Glibc
import SystemPackage

extension SockscopeError {
    /// Turns a failed socket call into the one line the user sees, with what the
    /// errno means on the wire and how to fix it, and the documented exit status.
    package init(_ failure: SocketCallError) {
        if failure.errno == .interrupted {
            // Every EINTR is retried where it happens; one that comes back up means
            // the event loop saw SIGINT or SIGTERM.
            self = Interruption.error(for: Interruption.pending ?? SIGINT)
            return
        }
        let code = failure.errno.nameAndText
        let target = failure.address.map { "\($0)" } ?? "the peer"
        self =
            Self.tlsFailure(failure, target) ?? Self.datagramFailure(failure, code, target) ?? Self.connectFailure(failure, code, target)
            ?? Self.bindFailure(failure, code, target) ?? Self.streamFailure(failure, code, target)
            ?? SockscopeError("\(failure.call.rawValue)\(failure.address.map { " (\($0))" } ?? "") failed: \(code)", status: .ioError)
    }

    /// A TLS session that failed after its handshake: a bad record, an alert.
    private static func tlsFailure(_ failure: SocketCallError, _ target: String) -> SockscopeError? {
        guard failure.call == .sslRead || failure.call == .sslWrite, failure.errno == .protocolError else { return nil }
        if let alert = failure.tlsAlert {
            // TLS 1.3 settles client certificates after the client's handshake: the
            // server's verdict arrives as an alert on the first read.
            let name = TLSNames.alert(alert)
            let meaning = TLSExplanation.alertMeaning(name, sentByPeer: true, configuration: TLSConfiguration(role: .client))
            return SockscopeError(
                "TLS session with \(target) ended: the peer sent the alert \(name)", explanation: meaning ?? failure.detail,
                status: ["certificate_required", "unknown_ca", "bad_certificate", "certificate_expired", "certificate_unknown"].contains(name)
                    ? .tlsHandshake : .ioError)
        }
        return SockscopeError(
            "TLS session with \(target) failed in \(failure.call.rawValue): \(failure.detail ?? "protocol error")",
            explanation: "the TLS records could not be processed; the data after the failure is lost", status: .ioError)
    }

    /// Datagram errors: ICMP port-unreachable, EMSGSIZE, a broadcast without SO_BROADCAST.
    private static func datagramFailure(_ failure: SocketCallError, _ code: String, _ target: String) -> SockscopeError? {
        switch (failure.call, failure.errno) {
        case (.recv, .connectionRefused), (.recvfrom, .connectionRefused), (.send, .connectionRefused), (.sendto, .connectionRefused),
            (.sslHandshake, .connectionRefused), (.sslRead, .connectionRefused), (.sslWrite, .connectionRefused):
            // Only a UDP socket hears ECONNREFUSED after connect(): DTLS's records are datagrams.
            return SockscopeError(
                "no one is receiving at \(target): \(code)",
                explanation: "an ICMP port-unreachable came back for a datagram sent there", status: .unavailable)
        case (_, .messageTooLong):
            return SockscopeError(
                "datagram too large for \(target): \(code)",
                explanation: "a UDP payload is at most 65,507 bytes over IPv4 (65,527 over IPv6); send less, or use TCP", status: .usage)
        case (.sendto, .permissionDenied), (.send, .permissionDenied):
            return SockscopeError(
                "sending to \(target) not permitted: \(code)",
                explanation: "a broadcast address needs SO_BROADCAST set on the socket (or a firewall rule refused it)", status: .noPermission)
        default:
            return nil
        }
    }

    /// connect() and routing errors: refused, timed out, unreachable, not permitted, no socket file.
    private static func connectFailure(_ failure: SocketCallError, _ code: String, _ target: String) -> SockscopeError? {
        switch (failure.call, failure.errno) {
        case (.connect, .connectionRefused):
            if case .unix(.path(let path)) = failure.address, let kind = Self.fileKind(path), kind != S_IFSOCK {
                return SockscopeError(
                    "connection to \(target) refused: \(code)",
                    explanation: "that path is \(kind == S_IFDIR ? "a directory" : "a regular file or other non-socket file"), not a socket", status: .usage)
            }
            if case .unix = failure.address {
                return SockscopeError(
                    "connection to \(target) refused: \(code)",
                    explanation: "the socket file exists but nothing is listening on it (a stale socket)", status: .unavailable)
            } else {
                return SockscopeError(
                    "connection to \(target) refused: \(code)",
                    explanation: "the host answered the SYN with RST: nothing listens on that port, or a firewall rejects it", status: .unavailable)
            }
        case (.connect, .timedOut):
            let waited = failure.waited.map { " after \(Self.seconds($0))" } ?? ""
            return SockscopeError(
                "connection to \(target) timed out\(waited): \(code)",
                explanation: "no answer to the SYN: the host is down or a firewall drops the packets", status: .timedOut)
        case (_, .noRouteToHost):
            return SockscopeError(
                "\(failure.call.rawValue) to \(target) failed: \(code)",
                explanation: "no route to that host, or a router or firewall answered with ICMP host-unreachable or admin-prohibited", status: .unavailable)
        case (_, .networkUnreachable):
            return SockscopeError(
                "\(failure.call.rawValue) to \(target) failed: \(code)",
                explanation: "this machine has no route to that network", status: .unavailable)
        case (.connect, .permissionDenied), (.connect, .notPermitted):
            if case .unix = failure.address {
                return SockscopeError(
                    "connection to \(target) not permitted: \(code)",
                    explanation: "you lack write permission on the socket file", status: .noPermission)
            } else {
                return SockscopeError(
                    "connection to \(target) not permitted: \(code)",
                    explanation: "a local firewall rule or a prohibit route forbids it", status: .unavailable)
            }
        case (.connect, .noSuchFileOrDirectory), (.bind, .noSuchFileOrDirectory):
            if case .unix(.path(let path)) = failure.address, let directory = Self.missingDirectory(of: path) {
                return SockscopeError(
                    "\(failure.call == .bind ? "bind to" : "connection to") \(target) failed: \(code)",
                    explanation: "the directory \(directory) does not exist", status: .usage)
            }
            return SockscopeError(
                "connection to \(target) failed: \(code)",
                explanation: "no socket file at that path; is the server running?", status: .unavailable)
        default:
            return nil
        }
    }

    /// The file type bits (`S_IFSOCK`, `S_IFREG`, …) of what is at `path` (`lstat(2)`), nil when nothing is.
    private static func fileKind(_ path: String) -> mode_t? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return status.st_mode & S_IFMT
    }

    /// The directory part of a socket path, when it does not exist (the usual ENOENT
    /// of a mistyped path), else nil.
    private static func missingDirectory(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        let directory = String(path[..<slash])
        return fileKind(directory) == nil ? directory : nil
    }

    /// bind() errors: in use (TIME-WAIT explained), a privileged port, an address this machine lacks.
    private static func bindFailure(_ failure: SocketCallError, _ code: String, _ target: String) -> SockscopeError? {
        switch (failure.call, failure.errno) {
        case (.bind, .addressInUse):
            return SockscopeError("bind to \(target) failed: \(code)", explanation: Self.addressInUseExplanation(failure.address), status: .unavailable)
        case (.bind, .permissionDenied):
            if case .unix = failure.address {
                return SockscopeError(
                    "bind to \(target) failed: \(code)",
                    explanation: "no write permission in the socket file's directory", status: .noPermission)
            } else {
                return SockscopeError(
                    "bind to \(target) failed: \(code)",
                    explanation:
                        "ports below 1024 need root or CAP_NET_BIND_SERVICE (setcap cap_net_bind_service+ep on the binary); or pick a port of 1024 or more",
                    status: .noPermission)
            }
        case (.bind, .addressNotAvailable):
            return SockscopeError(
                "bind to \(target) failed: \(code)",
                explanation: "that address is not assigned to any interface of this machine", status: .unavailable)
        default:
            return nil
        }
    }

    /// Errors on an established stream: the peer reset, closed or went silent; out of descriptors.
    private static func streamFailure(_ failure: SocketCallError, _ code: String, _ target: String) -> SockscopeError? {
        switch (failure.call, failure.errno) {
        case (.recv, .timedOut), (.send, .timedOut):
            return SockscopeError(
                "connection to \(target) timed out: \(code)",
                explanation: "the peer stopped answering: keepalive probes or retransmissions went unacknowledged (is its host or link down?)",
                status: .timedOut)
        case (_, .connectionReset):
            return SockscopeError(
                "connection reset by \(target): \(code)",
                explanation: "the peer sent RST (it closed with unread data, or aborted)", status: .ioError)
        case (_, .brokenPipe):
            return SockscopeError(
                "\(failure.call.rawValue) to \(target) failed: \(code)",
                explanation: "the peer has closed the connection and will not read more", status: .ioError)
        case (_, .tooManyOpenFiles):
            return SockscopeError(
                "\(failure.call.rawValue) failed: \(code)",
                explanation: "the process is out of file descriptors (ulimit -n)", status: .ioError)
        default:
            return nil
        }
    }

    private static func addressInUseExplanation(_ address: SocketAddress?) -> String {
        guard let port = address?.port else {
            return "another socket is bound to that path"
        }
        let table = KernelTCPTable.snapshot()
        let listeners = table.filter { $0.local.port == port && $0.state == .listen }.count
        let timeWaits = table.filter { $0.local.port == port && $0.state == .timeWait }.count
        if listeners > 0 {
            return "another socket is already listening on port \(port); stop it or choose another port"
        }
        var text = "another socket holds port \(port)"
        if timeWaits > 0 {
            text =
                "\(timeWaits) connection\(timeWaits == 1 ? "" : "s") on port \(port) \(timeWaits == 1 ? "is" : "are") in TIME-WAIT"
                + " (the side that closes first keeps the 4-tuple for 60 s)"
        }
        return text + "; SO_REUSEADDR lets a listener bind over TIME-WAIT sockets — sockscope sets it unless told not to"
            + " (see: sockscope sockets --port \(port))"
    }

    /// `1.5 s`, `250 ms`.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        let tenths = milliseconds / 100
        return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
    }
}
