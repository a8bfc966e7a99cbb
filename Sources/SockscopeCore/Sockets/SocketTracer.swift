/// Receives one line per socket call, for `-v` narration:
/// `bind(fd 3, 127.0.0.1:8080) → ok`.
///
/// The core describes each call; the command line decides where the lines go.
package struct SocketTracer: Sendable {
    private let sink: (@Sendable (String) -> Void)?
    /// When set, the sockets note their connect, shutdown and close calls in it with
    /// their times, for a tap that names the call behind each packet (`-v` with a
    /// pcapng `--pcap-out`).
    package let calls: SocketCallLog?

    /// A tracer that hands each line to `sink`, and notes the calls in `calls`.
    package init(_ sink: @escaping @Sendable (String) -> Void, calls: SocketCallLog? = nil) {
        self.sink = sink
        self.calls = calls
    }

    private init() {
        sink = nil
        calls = nil
    }

    /// A tracer that drops everything (and costs nothing to call).
    package static let silent = SocketTracer()

    /// Whether anyone is listening; lets callers skip building expensive lines.
    package var isActive: Bool { sink != nil }

    /// Records one line. The text is built only when a sink is set.
    package func record(_ line: @autoclosure () -> String) {
        guard let sink else { return }
        sink(line())
    }
}
