import SockscopeCore

/// Tells what `forward` does with each connection: -v lines (a failed target always) on
/// stderr, or with `--json` one record per event (schema: forward_*).
struct ForwardReporter {
    let json: Bool
    let tracer: SocketTracer

    func report(_ event: ForwardEvent) {
        if json {
            Diagnostics.raw(Self.record(event).text)
            return
        }
        switch event {
        case .connected(let client, let peer, let target):
            tracer.record("client \(client) (\(peer)): connected to the target \(target)")
        case .targetFailed(let client, let peer, let error):
            Diagnostics.line("sockscope: client \(client) (\(peer)): the target failed: \(error.message); the client is reset")
        case .halfClosed(let client, let leg):
            let other = leg == .client ? "target" : "client"
            tracer.record("client \(client): the \(leg.rawValue) sent FIN; shutdown(SHUT_WR) passes it on to the \(other)")
        case .finished(let client, let peer, let toTarget, let toClient, let first, let reset, let duration):
            var text = "client \(client) (\(peer)) done in \(Timestamp.shortMilliseconds(duration)): \(counted(toTarget, "byte")) to the target, "
            text += "\(counted(toClient, "byte")) to the client"
            if let reset {
                text += "; the \(reset.rawValue) reset the connection, passed on as a reset"
            } else if let first {
                text += "; the \(first.rawValue) closed first"
            }
            tracer.record(text)
        }
    }

    static func record(_ event: ForwardEvent) -> JSONLine {
        var line: JSONLine
        switch event {
        case .connected(let client, let peer, let target):
            line = JSONLine(type: "forward_connected")
            line.add("client", client)
            line.add(endpoint: "peer", peer)
            line.add(endpoint: "target", target)
        case .targetFailed(let client, let peer, let error):
            line = JSONLine(type: "forward_failed")
            line.add("client", client)
            line.add(endpoint: "peer", peer)
            line.add("error", error.message)
            line.add("explanation", error.explanation)
        case .halfClosed(let client, let leg):
            line = JSONLine(type: "forward_half_closed")
            line.add("client", client)
            line.add("by", leg.rawValue)
        case .finished(let client, let peer, let toTarget, let toClient, let first, let reset, let duration):
            line = JSONLine(type: "forward_finished")
            line.add("client", client)
            line.add(endpoint: "peer", peer)
            line.add("bytes_to_target", toTarget)
            line.add("bytes_to_client", toClient)
            line.add("closed_first", first?.rawValue)
            line.add("reset_by", reset?.rawValue)
            line.add(milliseconds: "duration", duration)
        }
        return line
    }
}
