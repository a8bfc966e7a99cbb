import SockscopeCore

/// Tells what `forward` does with each connection: -v lines (a failed target always) on
/// stderr, or with `--json` one record per event (schema: forward_*).
struct ForwardReporter {
    let json: Bool
    let tracer: SocketTracer
    /// The clients are a proxy's: a failed target is answered in their protocol, not reset.
    var proxy = false
    /// UDP sessions (`forward -u`): a failed session's datagram is dropped, there is nothing to reset.
    var datagrams = false
    /// UDP sessions (forward -u): they end after this long without a datagram.
    var idle: Duration?

    func report(_ event: ForwardEvent) {
        if json {
            Diagnostics.raw(Self.record(event))
            return
        }
        switch event {
        case .connected(let client, let peer, let target):
            tracer.record("client \(client) (\(peer)): connected to the target \(target)")
        case .targetFailed(let client, let peer, let error):
            let fate =
                proxy
                ? "the client was told so (SOCKS reply, HTTP 502)"
                : datagrams ? "its datagram was dropped (UDP has no reset to send)" : "the client is reset"
            Diagnostics.line("sockscope: client \(client) (\(peer)): the target failed: \(error.message); \(fate)")
        case .halfClosed(let client, let leg):
            let other = leg == .client ? "target" : "client"
            tracer.record("client \(client): the \(leg.rawValue) sent FIN; shutdown(SHUT_WR) passes it on to the \(other)")
        case .finished(let client, let peer, let toTarget, let toClient, let first, let reset, let duration):
            var text = "client \(client) (\(peer)) done in \(Timestamp.shortMilliseconds(duration)): \(counted(toTarget, "byte")) to the target, "
            text += "\(counted(toClient, "byte")) to the client"
            if let idle {
                text += "; no datagram either way for \(Timestamp.shortMilliseconds(idle)), so the session ended"
            } else if let reset {
                text += "; the \(reset.rawValue) reset the connection, passed on as a reset"
            } else if let first {
                text += "; the \(first.rawValue) closed first"
            }
            tracer.record(text)
        case .fault(let client, let from, let outcome, let after):
            let direction = from == .client ? "client→target" : "target→client"
            let what =
                switch outcome {
                case .reset: "both legs reset (--reset-after)"
                case .close: "FIN sent to the \(from == .client ? "target" : "client") (--close-after); the rest is dropped"
                case .stall: "stalled (--stall-after): nothing more passes, no FIN"
                }
            tracer.record("client \(client): \(direction) after \(counted(after, "byte")): \(what)")
        case .refused(let client, let peer):
            tracer.record("client \(client) (\(peer)): reset at once (--refuse)")
        case .targetTLS(let client, let fd, let target, let handshake, let failure):
            tracer.record("client \(client): TLS with the target \(target)\(failure == nil ? "" : " failed")")
            TLSReporter(json: false, tracer: tracer).handshake(handshake, fd: fd, peer: target, failure: failure)
        case .tunnelled(let client, let proxy, _, let destination, let reply):
            tracer.record("client \(client): the proxy \(proxy) opened a tunnel to \(destination) (\(PrintableBytes.escaped(reply ?? "ok")))")
        case .proxyRequest(let client, let peer, let dialect, let method, let user, let destination, let refusal):
            // HTTP names its method (CONNECT, or a forwarded GET …): the client's word, escaped.
            let spoke = dialect == .http ? "HTTP \(PrintableBytes.escaped(method ?? "CONNECT"))" : dialect.map { Self.dialectName($0) } ?? "something"
            // The user name and the destination are the client's words: escaped, one line.
            let who = user.map { " as '\(PrintableBytes.escaped($0))'" } ?? ""
            let asked = destination.map { " for \(PrintableBytes.escaped("\($0)"))" } ?? ""
            let text = "client \(client) (\(peer)) asked in \(spoke)\(who)\(asked)"
            // Every request is logged, as a proxy's access log is.
            Diagnostics.line("sockscope: \(text)" + (refusal.map { ": refused: \(PrintableBytes.escaped($0))" } ?? ""))
        }
    }

    static func dialectName(_ dialect: ProxyServerSession.Dialect) -> String {
        switch dialect {
        case .socks5: "SOCKS5"
        case .socks4: "SOCKS4"
        case .http: "HTTP CONNECT"
        }
    }

    /// The faults in force, said once at the start (-v), or the forward_faults record.
    func announce(_ faults: Faults) {
        guard !faults.isEmpty else { return }
        if json {
            Diagnostics.raw(JSONLine.text(ForwardFaultsRecord(faults)))
            return
        }
        for (plan, direction) in [(faults.upstream, "client→target"), (faults.downstream, "target→client")] where !plan.isEmpty {
            tracer.record("faults \(direction): \(Self.describe(plan))")
        }
        if faults.refuse > 0 { tracer.record("faults: \(Self.percent(faults.refuse)) of new clients reset at once (--refuse)") }
    }

    static func describe(_ plan: FaultPlan) -> String {
        var parts: [String] = []
        if plan.delay > .zero || plan.jitter > .zero {
            let jitter = plan.jitter > .zero ? " ± \(Timestamp.shortMilliseconds(plan.jitter))" : ""
            parts.append("delay \(Timestamp.shortMilliseconds(plan.delay))\(jitter)")
        }
        if let rate = plan.rate { parts.append("at most \(counted(rate, "byte"))/s") }
        if let slice = plan.slice { parts.append("slices of \(counted(slice, "byte")) \(Timestamp.shortMilliseconds(plan.sliceGap)) apart") }
        if let limit = plan.limit {
            let action = ["reset": "reset", "close": "FIN", "stall": "stall"][limit.action.rawValue] ?? limit.action.rawValue
            parts.append("\(action) after \(counted(limit.bytes, "byte"))")
        }
        return parts.joined(separator: ", ")
    }

    private static func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        return value == value.rounded() ? "\(Int(value))%" : "\(value)%"
    }

    /// The JSON line of `event`.
    static func record(_ event: ForwardEvent) -> String {
        switch event {
        case .connected(let client, let peer, let target):
            return JSONLine.text(ForwardConnectedRecord(client: client, peer: peer, target: target))
        case .targetFailed(let client, let peer, let error):
            return JSONLine.text(ForwardFailedRecord(client: client, peer: peer, failure: error))
        case .halfClosed(let client, let leg):
            return JSONLine.text(ForwardHalfClosedRecord(client: client, by: leg.rawValue))
        case .finished(let client, let peer, let toTarget, let toClient, let first, let reset, let duration):
            let endpoint = JSONEndpoint(peer)
            let record = ForwardFinishedRecord(
                client: client, peerAddress: endpoint.address, peerPort: endpoint.port, bytesToTarget: toTarget, bytesToClient: toClient,
                closedFirst: first?.rawValue, resetBy: reset?.rawValue, durationMs: duration.jsonMilliseconds)
            return JSONLine.text(record)
        case .fault(let client, let from, let outcome, let after):
            let direction = from == .client ? "client_to_target" : "target_to_client"
            return JSONLine.text(ForwardFaultRecord(client: client, direction: direction, fault: outcome.rawValue, bytesAfter: after))
        case .refused(let client, let peer):
            return JSONLine.text(ForwardRefusedRecord(client: client, peer: peer))
        case .targetTLS(let client, _, let target, let handshake, let failure):
            return JSONLine.text(TLSRecord(handshake, peer: target, client: client, failure: failure))
        case .tunnelled(let client, let proxy, let kind, let destination, let reply):
            return JSONLine.text(ProxyRecord(proxy: proxy, proxyType: kind.rawValue, destination: destination, reply: reply, client: client))
        case .proxyRequest(let client, let peer, let dialect, let method, let user, let destination, let refusal):
            let endpoint = JSONEndpoint(peer)
            let record = ProxyRequestRecord(
                client: client, peerAddress: endpoint.address, peerPort: endpoint.port, proxyType: dialect?.rawValue, method: method, user: user,
                destination: destination.map { "\($0)" }, allowed: refusal == nil, refusal: refusal)
            return JSONLine.text(record)
        }
    }
}
