/// The process exit codes sockscope uses, following `sysexits.h` (79 beyond it, as
/// curl's 60 is; 128 + the signal for SIGHUP, SIGINT and SIGTERM). Each case's
/// `summary` is the one description every table of them is made from.
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

    /// What the status means: the one text the help's EXIT STATUS table, the manual's
    /// and the README's are made from (`sockscope --help`, scripts/exit-codes.sh).
    package var summary: String {
        switch self {
        case .success:
            "success; for a data session, every byte of stdin went to the socket (over TCP, FIN sent) and everything that arrived was written out"
        case .nothingFound: "the operation ran but found nothing: no open port, reply, datagram, captured packet, matching socket or name"
        case .usage: "usage error: a bad option, port (0, 65536, abc), address, a Unix path over 107 bytes, a datagram too large (EMSGSIZE)"
        case .unknownHost: "unknown host"
        case .unavailable: "connection refused, host or network unreachable, or address in use"
        case .internalError: "internal error"
        case .missingLibrary: "a library the feature needs is not installed: libpcap (libpcap0.8) for capture, OpenSSL (libssl3) for --tls"
        case .cannotCreate: "an output file (-o, --pcap-out) cannot be created"
        case .ioError:
            "I/O error: connection reset (with the bytes of stdin not sent), a failed read or write, output that could not be written "
                + "(a full disk, --output, --pcap-out, stdout)"
        case .timedOut: "timed out (ETIMEDOUT), or a temporary failure (a name lookup's EAI_AGAIN)"
        case .tlsHandshake: "TLS handshake failed: an alert (handshake_failure, protocol_version, ...), no common version or cipher, not TLS on that port"
        case .noPermission:
            "missing privilege or permission: a port below 1024 without CAP_NET_BIND_SERVICE, capture without CAP_NET_RAW, "
                + "a broadcast without SO_BROADCAST (EACCES)"
        case .tlsVerification:
            "the peer's TLS certificate failed verification (expired, wrong name, untrusted issuer, self-signed), or is not the one --pin-sha256 names"
        case .hangUp: "stopped by SIGHUP (the terminal went away), after writing out what had arrived"
        case .interrupted: "stopped by SIGINT (Ctrl-C), after writing out what had arrived; tap too (tcpdump exits 0 there)"
        case .terminated: "stopped by SIGTERM, after writing out what had arrived"
        }
    }
}
