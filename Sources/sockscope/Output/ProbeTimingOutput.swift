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
        var line = JSONLine(type: "probe_attempt")
        line.add("target", name ?? destination.ipAddress.map { "\($0)" })
        line.add(endpoint: "peer", destination)
        line.add("protocol", "tcp")
        line.add("sequence", sequence)
        line.add("state", attempt.state.rawValue)
        line.add("code", Int(attempt.code))
        line.add("errno", attempt.errno)
        line.add("reason", attempt.reason)
        line.add(milliseconds: "rtt", attempt.time)
        if tls {
            line.add("tls_version", attempt.tlsVersion)
            line.add("tls_error", attempt.tlsError)
        }
        Diagnostics.output(line.text)
    }

    func statistics(_ statistics: ConnectTimer.Statistics) {
        guard !quiet else { return }
        let times = statistics.milliseconds
        if json {
            var line = JSONLine(type: "probe_statistics")
            line.add("target", name ?? destination.ipAddress.map { "\($0)" })
            line.add(endpoint: "peer", destination)
            line.add("sent", statistics.sent)
            line.add("answered", statistics.answered)
            line.add("open", statistics.open)
            line.add("closed", statistics.closed)
            line.add("loss_percent", statistics.lossPercent.rounded(toPlaces: 1))
            line.add("rtt_min_ms", times?.min.rounded(toPlaces: 3))
            line.add("rtt_avg_ms", times?.average.rounded(toPlaces: 3))
            line.add("rtt_max_ms", times?.max.rounded(toPlaces: 3))
            line.add("rtt_mdev_ms", times?.deviation.rounded(toPlaces: 3))
            return Diagnostics.output(line.text)
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
