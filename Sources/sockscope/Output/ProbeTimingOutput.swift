import SockscopeCore

/// One `probe --count` attempt as shown: the TCP port's state and code, and with
/// --tls the handshake's outcome; `time` is what the statistics count (the connect
/// time, or with --tls the handshake's).
struct TimedAttempt {
    var state: PortState
    var code: Int32
    var errno: String?
    var reason: String
    var answered: Bool
    /// Open (TCP), or the TLS handshake finished (--tls).
    var succeeded: Bool
    var time: Duration?
    var tlsVersion: String?
    var tlsError: String?
    /// What follows `seq N: ` on the line.
    var summary: String

    init(_ result: ProbeResult, timeout: Duration) {
        (state, code, errno, reason) = (result.state, result.code, result.error?.symbolicName, result.reason)
        answered = result.state == .open || result.state == .closed
        succeeded = result.state == .open
        time = answered ? result.elapsed : nil
        switch result.state {
        case .open: summary = "open in \(Timestamp.shortMilliseconds(result.elapsed))"
        case .closed: summary = "closed (\(errno ?? "RST")) in \(Timestamp.shortMilliseconds(result.elapsed))"
        case .filtered: summary = "filtered (ETIMEDOUT: no answer in \(Timestamp.seconds(timeout)))"
        default: summary = "\(result.state.rawValue) (\(errno ?? "?"): \(result.reason)) after \(Timestamp.shortMilliseconds(result.elapsed))"
        }
    }

    /// --tls: the TCP connect and the handshake, each attempt on a new connection.
    init(_ result: TLSProbeResult, elapsed: Duration) {
        (state, code, errno, reason) = (.open, 0, nil, "syn-ack")
        (answered, succeeded) = (true, false)
        switch result.outcome {
        case .established(let handshake):
            succeeded = true
            time = handshake.duration
            tlsVersion = handshake.version
            summary =
                "\(handshake.version ?? "TLS") handshake in \(Timestamp.shortMilliseconds(handshake.duration)) (\(handshake.cipher ?? "?"); with the connect \(Timestamp.shortMilliseconds(elapsed)))"
        case .failed(_, let error):
            tlsError = error.message
            summary = "open, TLS handshake failed: \(error.message)"
        case .notTLS(let why, _):
            tlsError = why
            summary = "open, not TLS: \(why)"
        case .unreachable(let error):
            let timedOut = error.status == .timedOut
            (state, answered) = (timedOut ? .filtered : .closed, !timedOut)
            (code, errno, reason) = (timedOut ? 110 : 111, timedOut ? "ETIMEDOUT" : "ECONNREFUSED", timedOut ? "no-response" : "conn-refused")
            summary = "\(state.rawValue): \(error.message)"
        }
    }
}

/// `probe --count`: a line per attempt as it ends, then ping's statistics — or, with
/// --json, a `probe_attempt` record per attempt and a `probe_statistics` record.
struct ProbeTimingOutput {
    let destination: SocketAddress
    /// What the user named (a host name), when not the address itself.
    let name: String?
    let json: Bool
    let quiet: Bool
    /// --tls: the times are handshakes.
    let tls: Bool

    func attempt(_ attempt: TimedAttempt, sequence: Int) {
        guard !quiet else { return }
        guard json else { return Diagnostics.output("probe \(destination): seq \(sequence): \(attempt.summary)\n") }
        let peer = JSONEndpoint(destination)
        var record = ProbeAttemptRecord(
            target: name ?? peer.address, peerAddress: peer.address, peerPort: peer.port ?? 0, protocol: "tcp", sequence: sequence,
            state: attempt.state.rawValue, code: Int(attempt.code), errno: attempt.errno, reason: attempt.reason, rttMs: attempt.time?.jsonMilliseconds)
        if tls {
            record.tlsVersion = String??.some(attempt.tlsVersion)
            record.error = String??.some(attempt.tlsError)
        }
        Diagnostics.output(JSONLine.text(record))
    }

    func statistics(_ statistics: ConnectTimer.Statistics) {
        guard !quiet else { return }
        let times = statistics.milliseconds
        if json {
            let peer = JSONEndpoint(destination)
            let record = ProbeStatisticsRecord(
                target: name ?? peer.address, peerAddress: peer.address, peerPort: peer.port ?? 0, sent: statistics.sent,
                answered: statistics.answered, open: statistics.open, closed: statistics.closed, lossPercent: statistics.lossPercent.rounded(toPlaces: 1),
                rttMinMs: times?.min.rounded(toPlaces: 3), rttAvgMs: times?.average.rounded(toPlaces: 3), rttMaxMs: times?.max.rounded(toPlaces: 3),
                rttMdevMs: times?.deviation.rounded(toPlaces: 3))
            return Diagnostics.output(JSONLine.text(record))
        }
        let kinds = tls ? ("TLS handshakes", "without") : ("open", "closed")
        var text = "--- \(name.map { "\($0) (\(destination))" } ?? "\(destination)") \(tls ? "TLS handshake" : "connect") statistics ---\n"
        text += "\(counted(statistics.sent, "probe")), \(statistics.answered) answered (\(statistics.open) \(kinds.0), \(statistics.closed) \(kinds.1)), "
        text += "\(SVGDocument.number(statistics.lossPercent))% loss\n"
        if let times {
            let values = [times.min, times.average, times.max, times.deviation].map { String(format3: $0) }
            text += "\(tls ? "handshake" : "connect") min/avg/max/mdev = \(values.joined(separator: "/")) ms\n"
        }
        Diagnostics.output(text)
    }
}
