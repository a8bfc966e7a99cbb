import ArgumentParser
import SockscopeCore

/// `-u` and `-U PATH`: which kind of socket `connect` and `listen` use.
struct TransportOptions: ParsableArguments {
    @Flag(name: [.customShort("u"), .customLong("udp")], help: "Use UDP (with -U: a Unix datagram socket).")
    var udp = false

    @Option(
        name: [.customShort("U"), .customLong("unix")],
        help: ArgumentHelp("Use a Unix socket at this path (@name: a Linux abstract socket).", valueName: "path"), completion: .file())
    var unixPath: String?
}

/// How a session with one peer runs: idle timeout, half-close, narration.
struct SessionOptions: ParsableArguments {
    @Option(
        name: [.customShort("i"), .customLong("idle-timeout")],
        help: ArgumentHelp("Close after this many seconds with no data either way (a UDP listener stops).", valueName: "secs"))
    var idleTimeout: Seconds?

    @Flag(name: .customLong("no-half-close"), help: "At the end of stdin, do not send FIN; wait for the peer to close.")
    var noHalfClose = false

    @Flag(
        name: .customLong("send-only"),
        help:
            "Only send stdin; drop what the peer sends, and end when stdin has been sent (ncat) and the peer has closed or been quiet for 0.5 s (2 s at most).")
    var sendOnly = false

    @Flag(name: .customLong("recv-only"), help: "Only receive; never read stdin, and end when the peer closes (ncat).")
    var receiveOnly = false

    @Flag(
        name: .customLong("stop-at-peer-close"),
        help: "When the peer sends FIN first, stop sending stdin and end (ncat -l's way); by default stdin is sent to its end.")
    var stopAtPeerClose = false

    @Flag(name: .customLong("keep-sending"), help: "Send stdin to its end after the peer's FIN (the default; the opposite of --stop-at-peer-close).")
    var keepSending = false

    @Flag(name: [.customShort("C"), .customLong("crlf")], help: "Send line endings as CR LF (a bare LF in stdin becomes CR LF).")
    var crlf = false

    @Flag(name: .shortAndLong, help: "Narrate every socket call on stderr.")
    var verbose = false

    func validate() throws {
        if sendOnly && receiveOnly { throw ValidationError("--send-only and --recv-only cannot be used together") }
        if keepSending && stopAtPeerClose { throw ValidationError("--keep-sending and --stop-at-peer-close are opposites; give one") }
        if (keepSending || stopAtPeerClose) && (sendOnly || receiveOnly) {
            throw ValidationError("--\(keepSending ? "keep-sending" : "stop-at-peer-close") is for sessions that both send and receive")
        }
        if noHalfClose && receiveOnly { throw ValidationError("--no-half-close is about the end of stdin, which --recv-only never reads") }
        if crlf && receiveOnly { throw ValidationError("--crlf converts what is sent, and --recv-only sends nothing") }
    }
}

extension SessionOptions.Values {
    /// Which ways the session moves bytes.
    var directions: RelayDirections { sendOnly ? .sendOnly : receiveOnly ? .receiveOnly : .both }

    /// Whether any option that shapes a stdin/stdout session was given (for modes such as
    /// --echo or --exec that have none).
    var shapesStandardStreams: Bool { sendOnly || receiveOnly || stopAtPeerClose || keepSending || crlf || noHalfClose }

    /// Whether an option other than -C shapes the session (-C alone can also convert a
    /// program's line ends, with --exec).
    var shapesBeyondLineEnds: Bool { sendOnly || receiveOnly || stopAtPeerClose || keepSending || noHalfClose }

    /// The relay's options. `--linger 0` asks for an abortive close, so no FIN is sent
    /// at the end of stdin: replies are read until the peer has been quiet for the reply
    /// wait (the idle timeout, or 0.5 s), and the final close() then resets the
    /// connection (RST) instead of completing a teardown that would leave TIME-WAIT.
    func relayOptions(tuning: SocketTuningOptions.Values) -> StreamRelay.Options {
        var options = StreamRelay.Options(halfClose: !noHalfClose && tuning.linger != 0, idleTimeout: idleTimeout?.duration)
        options.directions = directions
        options.stopsAtPeerClose = stopAtPeerClose
        options.crlf = crlf
        if tuning.linger == 0 && !noHalfClose { options.replyWait = idleTimeout?.duration ?? .milliseconds(500) }
        return options
    }
}

extension TransportOptions.Values {
    var socketType: SocketType { udp ? .datagram : .stream }
    var protocolName: String { udp ? "udp" : "tcp" }
}
