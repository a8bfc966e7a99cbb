import ArgumentParser
import SockscopeCore

/// `-u` and `-U PATH`: which kind of socket `connect` and `listen` use.
struct TransportOptions: ParsableArguments {
    @Flag(name: [.customShort("u"), .customLong("udp")], help: "Use UDP (with -U: a Unix datagram socket).")
    var udp = false

    @Option(
        name: [.customShort("U"), .customLong("unix")],
        help: ArgumentHelp("Use a Unix socket at this path (@name: a Linux abstract socket).", valueName: "path"))
    var unixPath: String?

    var socketType: SocketType { udp ? .datagram : .stream }
    var protocolName: String { udp ? "udp" : "tcp" }
}

/// How a session with one peer runs: idle timeout, half-close, narration.
struct SessionOptions: ParsableArguments {
    @Option(
        name: [.customShort("i"), .customLong("idle-timeout")],
        help: ArgumentHelp("Close after this many seconds with no data either way (a UDP listener stops).", valueName: "secs"))
    var idleTimeout: Seconds?

    @Flag(name: .customLong("no-half-close"), help: "At the end of stdin, do not send FIN; wait for the peer to close.")
    var noHalfClose = false

    @Flag(name: .shortAndLong, help: "Narrate every socket call on stderr.")
    var verbose = false

    /// The relay's options. `--linger 0` asks for an abortive close, so no FIN is sent
    /// at the end of stdin: the final close() then resets the connection (RST) instead
    /// of completing a teardown that would leave TIME-WAIT behind.
    func relayOptions(tuning: SocketTuningOptions) -> StreamRelay.Options {
        StreamRelay.Options(halfClose: !noHalfClose && tuning.linger != 0, idleTimeout: idleTimeout?.duration)
    }
}
