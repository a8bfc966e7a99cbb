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
        var line = JSONLine(type: "connected")
        line.add("protocol", protocolName)
        line.add(endpoint: "local", socket.localAddress)
        line.add(endpoint: "peer", socket.remoteAddress)
        Diagnostics.raw(line.text)
    }

    /// The proxy opened the tunnel (-v has said so): a `proxy` record with --json.
    func tunnelled(_ tunnel: ProxyClientHandshake) {
        guard json else { return }
        var line = JSONLine(type: "proxy")
        line.add("proxy", "\(tunnel.proxy)")
        line.add("proxy_type", tunnel.proxy.kind.rawValue)
        line.add("destination", "\(tunnel.destination)")
        line.add("reply", tunnel.reply)
        Diagnostics.raw(line.text)
    }

    func streamDone(_ report: StreamRelay.Report) {
        emit(
            bytesSent: report.bytesSent, bytesReceived: report.bytesReceived, reason: report.ending.description,
            closedFirst: report.closedFirst?.rawValue, inputLeft: report.inputLeft,
            closeNotify: report.tlsEndedWithoutCloseNotify ? false : nil)
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
            var line = JSONLine(type: "closed")
            line.add("protocol", protocolName)
            line.add("messages_sent", report.messagesSent)
            line.add("messages_received", report.messagesReceived)
            line.add("reason", "finished")
            Diagnostics.raw(line.text)
            return
        }
        tracer.record("sent \(counted(report.messagesSent, "message")), received \(report.messagesReceived)")
    }

    private func emit(bytesSent: Int, bytesReceived: Int, reason: String, closedFirst: String?, inputLeft: Bool = false, closeNotify: Bool? = nil) {
        if json {
            var line = JSONLine(type: "closed")
            line.add("protocol", protocolName)
            line.add("bytes_sent", bytesSent)
            line.add("bytes_received", bytesReceived)
            line.add("closed_first", closedFirst)
            if inputLeft { line.add("stdin_unsent", true) }
            if let closeNotify { line.add("close_notify", closeNotify) }
            line.add("reason", reason)
            Diagnostics.raw(line.text)
            return
        }
        let first = closedFirst.map { "; \($0 == "local" ? "we" : "the peer") closed first" } ?? ""
        tracer.record("sent \(counted(bytesSent, "byte")), received \(counted(bytesReceived, "byte")); \(reason)\(first)")
    }
}

/// How many datagrams (and bytes) went each way, when a datagram session ends: a -v
/// line, or a `closed` record. One summary for `connect -u` and `listen -u`.
enum DatagramSummary {
    static func report(_ report: DatagramRelay.Report, json: Bool, tracer: SocketTracer, protocolName: String, reason: String) {
        if json {
            var line = JSONLine(type: "closed")
            line.add("protocol", protocolName)
            line.add("bytes_sent", report.bytesSent)
            line.add("bytes_received", report.bytesReceived)
            line.add("datagrams_sent", report.datagramsSent)
            line.add("datagrams_received", report.datagramsReceived)
            line.add("reason", reason)
            Diagnostics.raw(line.text)
            return
        }
        tracer.record(
            "sent \(counted(report.datagramsSent, "datagram")) (\(counted(report.bytesSent, "byte"))), received \(report.datagramsReceived) (\(counted(report.bytesReceived, "byte")))"
        )
    }
}
