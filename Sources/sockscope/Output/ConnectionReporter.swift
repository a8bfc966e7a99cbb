import Glibc
import SockscopeCore

/// Tells the user what a client connection did: -v lines on stderr, or with
/// `--json` one record per event on stderr (stdout carries the data).
struct ConnectionReporter {
    let json: Bool
    let tracer: SocketTracer
    let protocolName: String

    func connected(_ socket: Socket) {
        guard json else { return }  // -v already narrated connect()
        Diagnostics.raw(JSONLine.text(ConnectedRecord(protocol: protocolName, local: socket.localAddress, peer: socket.remoteAddress)))
    }

    /// The proxy opened the tunnel (-v has said so): a `proxy` record with --json.
    func tunnelled(_ tunnel: ProxyClientHandshake) {
        guard json else { return }
        let record = ProxyRecord(proxy: "\(tunnel.proxy)", proxyType: tunnel.proxy.kind.rawValue, destination: "\(tunnel.destination)", reply: tunnel.reply)
        Diagnostics.raw(JSONLine.text(record))
    }

    func streamDone(_ report: StreamRelay.Report) {
        if json {
            var record = ClosedRecord(protocol: protocolName, reason: report.ending.description)
            record.add(report)
            Diagnostics.raw(JSONLine.text(record))
        } else {
            let first = report.closedFirst.map { "; \($0 == .local ? "we" : "the peer") closed first" } ?? ""
            tracer.record(
                "sent \(counted(report.bytesSent, "byte")), received \(counted(report.bytesReceived, "byte")); \(report.ending.description)\(first)")
        }
        Self.noteInputLeft(report, json: json)
        Self.noteNoCloseNotify(report, json: json)
    }

    /// Says so, even without -v, when a TLS peer ended TCP without close_notify at a
    /// record boundary: nothing was seen to be lost, but a cut there cannot be told
    /// from the end (openssl s_client calls it an unexpected EOF).
    static func noteNoCloseNotify(_ report: StreamRelay.Report, json: Bool) {
        guard report.tlsEndedWithoutCloseNotify, !json else { return }
        Diagnostics.line(
            "sockscope: the peer ended TLS without close_notify after \(counted(report.bytesReceived, "byte")), at a record boundary: a cut there cannot be told from the end"
        )
    }

    /// Says so when --stop-at-peer-close left stdin unsent: data a script piped in was
    /// not sent, which must not pass unnoticed. Only when bytes were left (or may have
    /// been: a pipe still open), never after a complete transfer.
    static func noteInputLeft(_ report: StreamRelay.Report, json: Bool) {
        guard report.inputLeft, !json else { return }
        let left = report.inputBytesLeft.map { "\(counted($0, "byte")) of stdin were" } ?? "stdin had not ended; what came after was"
        Diagnostics.line("sockscope: the peer closed first (--stop-at-peer-close): \(left) not sent")
    }

    /// At a terminal, the peer's FIN does not end the session (it ends only the peer's
    /// direction): say so once, and how to end it. Nil (nothing said) when stdin is not a
    /// terminal or with --json.
    static func peerFinishedNotice(json: Bool) -> (() -> Void)? {
        guard !json, isatty(0) == 1 else { return nil }
        return { Diagnostics.line("sockscope: the peer has finished sending (FIN); what you type still goes to it — Ctrl-D ends the session") }
    }

    func datagramsDone(_ report: DatagramRelay.Report) {
        DatagramSummary.report(report, json: json, tracer: tracer, protocolName: protocolName, reason: report.timedOut ? "idle timeout" : "no more replies")
    }

    func messagesDone(_ report: FramedRelay.Report) {
        if json {
            var record = ClosedRecord(protocol: protocolName, reason: "finished")
            record.messagesSent = report.messagesSent
            record.messagesReceived = report.messagesReceived
            Diagnostics.raw(JSONLine.text(record))
            return
        }
        tracer.record("sent \(counted(report.messagesSent, "message")), received \(report.messagesReceived)")
    }
}

/// How many datagrams (and bytes) went each way, when a datagram session ends: a -v
/// line, or a `closed` record. One summary for `connect -u` and `listen -u`.
enum DatagramSummary {
    static func report(_ report: DatagramRelay.Report, json: Bool, tracer: SocketTracer, protocolName: String, reason: String) {
        if json {
            var record = ClosedRecord(protocol: protocolName, reason: reason)
            record.bytesSent = report.bytesSent
            record.bytesReceived = report.bytesReceived
            record.datagramsSent = report.datagramsSent
            record.datagramsReceived = report.datagramsReceived
            Diagnostics.raw(JSONLine.text(record))
            return
        }
        tracer.record(
            "sent \(counted(report.datagramsSent, "datagram")) (\(counted(report.bytesSent, "byte"))), received \(report.datagramsReceived) (\(counted(report.bytesReceived, "byte")))"
        )
    }
}
