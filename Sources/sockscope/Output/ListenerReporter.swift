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
            Diagnostics.raw(Self.record(event, protocolName: protocolName))
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

    /// The JSON line of `event`.
    static func record(_ event: ListenerEvent, protocolName: String) -> String {
        switch event {
        case .listening(let bound):
            return JSONLine.text(ListeningRecord(protocol: protocolName, local: bound))
        case .accepted(let peer, let client):
            return JSONLine.text(AcceptedRecord(client: client, peer: peer))
        case .refused(let peer, let reason, let count):
            return JSONLine.text(RefusedRecord(peer: peer, reason: Self.text(reason), count: count))
        case .acceptFailed(let reason):
            return JSONLine.text(AcceptFailedRecord(reason: reason))
        case .closed(let peer, let client, let reason, let report):
            var record = ClosedRecord(protocol: protocolName, reason: reason, client: client, peer: peer)
            if let report { record.add(report) }
            return JSONLine.text(record)
        case .started(let peer, let pid):
            return JSONLine.text(ProgramEventRecord<ProgramStarted>(peer: peer, pid: pid))
        case .hungUp(let peer, let pid):
            return JSONLine.text(ProgramEventRecord<ProgramHungUp>(peer: peer, pid: pid))
        case .terminated(let peer, let pid):
            return JSONLine.text(ProgramEventRecord<ProgramTerminated>(peer: peer, pid: pid))
        case .exited(let peer, let pid, let status):
            return JSONLine.text(ExitedRecord(peer: peer, pid: pid, status: status))
        case .tls(let peer, let client, let handshake, let failure):
            return JSONLine.text(TLSRecord(handshake, peer: peer, client: client, failure: failure))
        }
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
}
