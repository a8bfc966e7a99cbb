/// The process exit codes sockscope uses, following `sysexits.h`.
///
/// | code | meaning |
/// |---|---|
/// | 0 | success |
/// | 1 | the operation ran but found nothing (no open port, no reply) |
/// | 64 | usage error: a bad option, port, address or path |
/// | 68 | unknown host |
/// | 69 | refused, unreachable, or the address is unavailable (in use) |
/// | 70 | internal error |
/// | 72 | a system library a feature needs is missing (libpcap, for capture) |
/// | 73 | cannot create an output file (`-o`, `--pcap-out`) |
/// | 74 | I/O error: reset by the peer, a failed read or write |
/// | 75 | timed out, or a temporary failure worth retrying |
/// | 76 | TLS handshake failed: an alert, no common version or cipher, not TLS (EX_PROTOCOL) |
/// | 77 | missing privilege (a port below 1024, CAP_NET_RAW for the tap) |
/// | 79 | the peer's TLS certificate failed verification (expired, wrong name, untrusted, self-signed) |
/// | 129 | stopped by SIGHUP, likewise |
/// | 130 | stopped by SIGINT (Ctrl-C), after writing out what had arrived |
/// | 143 | stopped by SIGTERM, likewise |
package enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    case nothingFound = 1
    case usage = 64
    case unknownHost = 68
    case unavailable = 69
    case internalError = 70
    /// EX_OSFILE: libpcap, loaded when a capture starts, is not installed.
    case missingLibrary = 72
    case cannotCreate = 73
    case ioError = 74
    case timedOut = 75
    /// EX_PROTOCOL: the TLS handshake failed (an alert, no common version or cipher).
    case tlsHandshake = 76
    case noPermission = 77
    /// The peer's certificate failed verification (beyond sysexits.h, as curl's 60 is).
    case tlsVerification = 79
    case hangUp = 129
    case interrupted = 130
    case terminated = 143

    /// A short description, for the manual's exit-code table.
    package var summary: String {
        switch self {
        case .success: "success"
        case .nothingFound: "the operation ran but found nothing (no open port, reply, datagram, packet, socket or name)"
        case .usage: "usage error (bad option, port, address or path; a datagram too large, EMSGSIZE)"
        case .unknownHost: "unknown host"
        case .unavailable: "connection refused, host or network unreachable, or address in use"
        case .internalError: "internal error"
        case .missingLibrary: "a library the feature needs is not installed (libpcap0.8 for capture, libssl3 for TLS)"
        case .cannotCreate: "cannot create an output file (-o, --pcap-out)"
        case .ioError: "I/O error (connection reset, failed read or write)"
        case .timedOut: "timed out, or temporary failure"
        case .tlsHandshake: "TLS handshake failed (an alert, no common version or cipher, the peer does not speak TLS)"
        case .tlsVerification: "the peer's TLS certificate failed verification (expired, wrong name, untrusted issuer, self-signed)"
        case .noPermission: "missing privilege or permission"
        case .hangUp: "stopped by SIGHUP (the terminal went away), likewise"
        case .interrupted: "stopped by SIGINT, after writing out what had arrived (tap too: tcpdump says 0)"
        case .terminated: "stopped by SIGTERM, after writing out what had arrived"
        }
    }
}
