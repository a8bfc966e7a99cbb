import ArgumentParser
import SockscopeCore

/// `-w/--timeout` (ncat's -w): how long setting up a connection may take — connect(),
/// a --proxy tunnel, a TLS handshake — one option with one meaning in connect,
/// forward and proxy.
struct SetupTimeoutOptions: ParsableArguments {
    @Option(
        name: [.customShort("w"), .customLong("timeout")],
        help: ArgumentHelp(
            "Give up setting up a connection after this many seconds: connect(), a proxy tunnel, a TLS handshake (connect: as long as the kernel tries; forward resets the client, proxy answers SOCKS5 reply 6 or HTTP 504, after \(Self.serverDefault.components.seconds) s by default).",
            valueName: "secs"))
    var timeout: Seconds?

    /// What forward and proxy allow a target leg when -w is not given.
    static var serverDefault: Duration { ForwardServer.defaultSetupTimeout }

    func validate() throws {
        if let timeout, timeout.duration <= .zero {
            throw ValidationError("-w/--timeout must be more than 0 seconds (leave it out for the default)")
        }
    }
}
