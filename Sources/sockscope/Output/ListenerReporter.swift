import SockscopeCore

/// Tells the user what a listener does, in every mode: human lines on stderr (the
/// quiet ones only with -v), or with `--json` one record per event on stderr —
/// stdout carries the clients' data.
struct ListenerReporter {
    let json: Bool
    let tracer: SocketTracer
    /// Say where we listen even without -v (port 0 asked the kernel for one).
    let announce: Bool
    let dualStack: Bool
    let protocolName: String

    func report(_ event: ListenerEvent) {
        if json {
            Diagnostics.raw(Self.record(event, protocolName: protocolName).text)
            return
        }
        switch event {
        case .listening(let bound):
            if announce { Diagnostics.line("sockscope: listening on \(bound)\(dualStack ? " (IPv6 and IPv4)" : "")") }
        case .accepted(let peer, let client):
            tracer.record("client \(client) connected from \(peer)")
        case .refused(let peer, let reason, let count):
            Diagnostics.line("sockscope: refused \(peer): \(Self.text(reason))\(count > 1 ? " (\(counted(count, "datagram")))" : "")")
        case .acceptFailed(let reason):
            Diagnostics.line("sockscope: accept failed: \(reason); the client waits in the queue")
        case .closed(let peer, let client, let reason, let report):
            let counts = report.map { ": sent \(counted($0.bytesSent, "byte")), received \(counted($0.bytesReceived, "byte"))" } ?? ""
            tracer.record("client \(client) (\(peer)) gone\(counts); \(reason)")
            if let report {
                ConnectionReporter.noteInputLeft(report, json: false)
                ConnectionReporter.noteNoCloseNotify(report, json: false)
            }
        case .started(let peer, let pid):
            tracer.record("\(peer): started pid \(pid)")
        case .hungUp(let peer, let pid):
            tracer.record("\(peer) hung up; pid \(pid) sees end of input")
        case .terminated(let peer, let pid):
            Diagnostics.line("sockscope: \(peer) hung up; pid \(pid) still running after the grace time: SIGTERM")
        case .exited(let peer, let pid, let status):
            tracer.record("\(peer): pid \(pid) exited (status \(status))")
        case .tls(let peer, let client, let handshake, let failure):
            for line in TLSReporter.narration(handshake, fd: -1, failed: failure != nil) { tracer.record("client \(client): \(line)") }
            if let failure { Diagnostics.line("sockscope: client \(client) (\(peer)): \(failure)") }
        }
    }

    /// Closing counts for a datagram listener.
    func datagramsDone(_ report: DatagramRelay.Report) {
        DatagramSummary.report(report, json: json, tracer: tracer, protocolName: protocolName, reason: report.timedOut ? "idle timeout" : "finished")
    }

    static func record(_ event: ListenerEvent, protocolName: String) -> JSONLine {
        var line: JSONLine
        switch event {
        case .listening(let bound):
            line = JSONLine(type: "listening")
            line.add("protocol", protocolName)
            line.add(endpoint: "local", bound)
        case .accepted(let peer, let client):
            line = JSONLine(type: "accepted")
            line.add("client", client)
            line.add(endpoint: "peer", peer)
        case .refused(let peer, let reason, let count):
            line = JSONLine(type: "refused")
            line.add(endpoint: "peer", peer)
            line.add("reason", Self.text(reason))
            line.add("count", count)
        case .acceptFailed(let reason):
            line = JSONLine(type: "accept_failed")
            line.add("reason", reason)
        case .closed(let peer, let client, let reason, let report):
            line = JSONLine(type: "closed")
            line.add("client", client)
            line.add(endpoint: "peer", peer)
            line.add("reason", reason)
            line.add("bytes_sent", report?.bytesSent)
            line.add("bytes_received", report?.bytesReceived)
            if report?.inputLeft == true { line.add("stdin_unsent", true) }
            if report?.tlsEndedWithoutCloseNotify == true { line.add("close_notify", false) }
        case .started(let peer, let pid), .hungUp(let peer, let pid), .terminated(let peer, let pid):
            line = JSONLine(type: Self.processEventName(event))
            line.add(endpoint: "peer", peer)
            line.add("pid", Int(pid))
        case .exited(let peer, let pid, let status):
            line = JSONLine(type: "exited")
            line.add(endpoint: "peer", peer)
            line.add("pid", Int(pid))
            line.add("wait_status", Int(status))
        case .tls(let peer, let client, let handshake, let failure):
            line = TLSReporter.record(handshake, peer: peer, client: client, failure: failure)
        }
        return line
    }

    /// A refusal in the words of the options that caused it.
    static func text(_ refusal: Refusal) -> String {
        switch refusal {
        case .denied(let rule): "denied by --deny \(rule)"
        case .notAllowed: "not in any --allow block"
        case .full(let maximum): "already serving \(maximum) client\(maximum == 1 ? "" : "s") (--max-clients)"
        case .exhausted(let what): "the server is out of resources (\(what)); serving the clients it has"
        }
    }

    private static func processEventName(_ event: ListenerEvent) -> String {
        switch event {
        case .started: "started"
        case .hungUp: "hung_up"
        default: "terminated"
        }
    }
}
