import SystemPackage

/// What a probe concluded about a port, with nmap's connect-scan vocabulary.
package enum PortState: String, Sendable, CaseIterable {
    /// connect() succeeded (TCP), or a reply came back (UDP).
    case open
    /// The host answered RST (TCP: ECONNREFUSED) or ICMP port-unreachable (UDP).
    case closed
    /// No answer within the timeout, after every retry (TCP).
    case filtered
    /// No answer (UDP): a silent service and a firewall look the same.
    case openFiltered = "open|filtered"
    /// An ICMP error or the local routing table said the host or network cannot be
    /// reached (EHOSTUNREACH, ENETUNREACH, EACCES/EPERM).
    case unreachable
}

/// The outcome of probing one port of one target: the connect() result code and
/// what it means.
package struct ProbeResult: Sendable {
    package enum Transport: String, Sendable {
        case tcp, udp
    }

    package var target: IPAddress
    package var port: UInt16
    package var transport: Transport
    package var state: PortState
    /// The errno connect() (or the UDP exchange) produced; nil means success (0).
    /// A probe that got no answer reports ETIMEDOUT.
    package var error: Errno?
    /// nmap's reason: syn-ack, conn-refused, no-response, host-unreach, net-unreach,
    /// admin-prohibited, udp-response, port-unreach.
    package var reason: String
    /// From the first attempt to the answer (or, when none came, to giving up).
    package var elapsed: Duration
    /// How many probes were sent.
    package var attempts: Int
    /// UDP: what the reply said (the service's reading of it, or its first bytes); nil
    /// without a reply, and for TCP.
    package var answer: String?

    /// The numeric result code, as `connect_ex` returns it: 0 or an errno value.
    package var code: Int32 { error?.rawValue ?? 0 }

    package init(
        target: IPAddress, port: UInt16, transport: Transport, state: PortState, error: Errno?, reason: String, elapsed: Duration, attempts: Int,
        answer: String? = nil
    ) {
        self.target = target
        self.port = port
        self.transport = transport
        self.state = state
        self.error = error
        self.reason = reason
        self.elapsed = elapsed
        self.attempts = attempts
        self.answer = answer
    }
}

extension ProbeResult {
    /// The state and reason a TCP connect() result means (nmap's connect-scan table).
    package static func verdict(tcp error: Errno?) -> (state: PortState, reason: String) {
        classify(tcp: error)
    }

    /// The state and reason a UDP probe's outcome means.
    package static func verdict(udp error: Errno?, replied: Bool) -> (state: PortState, reason: String) {
        classify(udp: error, replied: replied)
    }

    /// Classifies a TCP connect() result the way nmap's connect scan does.
    static func classify(tcp error: Errno?) -> (PortState, String) {
        guard let error else { return (.open, "syn-ack") }
        switch error {
        case .connectionRefused: return (.closed, "conn-refused")
        case .timedOut, .hostIsDown: return (.filtered, "no-response")
        case .noRouteToHost: return (.unreachable, "host-unreach")
        case .networkUnreachable: return (.unreachable, "net-unreach")
        case .permissionDenied, .notPermitted: return (.unreachable, "admin-prohibited")
        default: return (.unreachable, error.symbolicName.lowercased())
        }
    }

    /// Classifies the result of a UDP probe: a reply, an ICMP error, or silence.
    static func classify(udp error: Errno?, replied: Bool) -> (PortState, String) {
        if replied { return (.open, "udp-response") }
        guard let error else { return (.openFiltered, "no-response") }
        switch error {
        case .connectionRefused: return (.closed, "port-unreach")
        case .timedOut: return (.openFiltered, "no-response")
        default: return classify(tcp: error)
        }
    }

    /// Errors that say "this machine ran short" rather than anything about the port:
    /// they are retried after backing off, never reported as a port state.
    static func isLocalResourceLimit(_ error: Errno) -> Bool {
        [
            .addressNotAvailable, .tooManyOpenFiles, .tooManyOpenFilesInSystem, .noBufferSpace,
            .resourceTemporarilyUnavailable, .noMemory,
        ].contains(error)
    }
}

/// One port of one address for a prober to work on (`probe --proxy`, `--banner`).
package struct PortJob: Sendable, Hashable {
    package var address: IPAddress
    package var port: UInt16

    package init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }
}
