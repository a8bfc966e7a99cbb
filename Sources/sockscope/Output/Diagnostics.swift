import Glibc
import SockscopeCore
import Synchronization

/// Writing to the terminal: diagnostics and narration on stderr, colour only on a
/// TTY and never when `NO_COLOR` is set.
enum Diagnostics {
    /// Writes a line to stderr (file descriptor 2), completing short writes.
    /// On a terminal, a line longer than its width is broken between words, the rest
    /// indented by 2 (`TerminalWidth.wrap`); to a pipe or a file it goes whole.
    static func line(_ text: String) {
        guard let width = stderrColumns, text.count > width, !text.contains("\n") else { return writeAll(2, text + "\n") }
        writeAll(2, TerminalWidth.wrap(text, width: width, indent: 2) + "\n")
    }

    /// The width of the terminal stderr shows on, or nil (looked up once).
    private static let stderrColumns: Int? = TerminalSize.columns(of: 2)

    /// `sockscope: no reply in 0.5 s` when a wait ended with nothing (the exit status,
    /// 1, says it to scripts; with --json that is all).
    static func nothingCame(_ what: String, within wait: Duration?, json: Bool) {
        guard !json, let wait else { return }
        line("sockscope: \(what) in \(Timestamp.seconds(wait))")
    }

    /// Writes text to stderr as it is (no newline added).
    static func raw(_ text: String) {
        writeAll(2, text)
    }

    /// Writes text to stdout; a failure is remembered for the command runner.
    static func output(_ text: String) {
        output(bytes: Array(text.utf8))
    }

    /// Writes bytes to stdout, all of them (waiting when a non-blocking stdout is
    /// full). The first failure (ENOSPC, EIO, EPIPE) is kept: the command runner ends
    /// the command with it (exit 74) rather than report success with output lost.
    static func output(bytes: [UInt8]) {
        guard outputFailure.withLock({ $0 == nil }) else { return }
        for fd in [1] + (outputCopy.withLock { $0 }.map { [$0] } ?? []) {
            do {
                try SystemCall.writeAll(fd, bytes)
            } catch  where error.errno != .interrupted {
                outputFailure.withLock { $0 = $0 ?? error }
            } catch {}
        }
    }

    /// The first write to stdout (or its copy) that failed.
    static let outputFailure = Mutex<SocketCallError?>(nil)

    /// A file that gets a copy of everything written to stdout (`probe -oA`'s .nmap).
    static let outputCopy = Mutex<Int32?>(nil)

    /// Prints a failure as `sockscope: message — explanation`.
    static func report(_ error: SockscopeError) {
        line("sockscope: \(error)")
    }

    /// A tracer that prints each socket call on stderr (noting in `calls` those a tap
    /// names), or a silent one.
    static func tracer(verbose: Bool, calls: SocketCallLog? = nil) -> SocketTracer {
        verbose ? SocketTracer({ line($0) }, calls: calls) : .silent
    }

    /// Warnings shown whatever the verbosity (a truncated datagram).
    static let notices = SocketTracer { line("sockscope: \($0)") }

    /// `--color`: 0 auto, 1 always, 2 never.
    static let colourChoice = Atomic<UInt8>(0)

    /// Whether to colour output on `fd`: `--color=always|never`, else only on a
    /// terminal and never when `NO_COLOR` is set.
    static func usesColour(_ fd: Int32) -> Bool {
        switch colourChoice.load(ordering: .relaxed) {
        case 1: return true
        case 2: return false
        default: break
        }
        guard isatty(fd) == 1 else { return false }
        if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
        return true
    }

    private static func writeAll(_ fd: Int32, _ text: String) {
        try? SystemCall.writeAll(fd, text.utf8)
    }
}

/// Terminal text styles (ANSI SGR), applied only when colour is on.
struct Style {
    let enabled: Bool

    /// No colour (JSON, files, pipes).
    static let plain = Style(enabled: false)

    func bold(_ text: String) -> String { wrap(text, "1") }
    func dim(_ text: String) -> String { wrap(text, "2") }
    func cyan(_ text: String) -> String { wrap(text, "36") }
    func yellow(_ text: String) -> String { wrap(text, "33") }
    func green(_ text: String) -> String { wrap(text, "32") }

    private func wrap(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
