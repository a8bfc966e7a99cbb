import CShim
import Glibc

/// How wide the terminal that shows a descriptor's output is.
package enum TerminalSize {
    /// `ioctl(TIOCGWINSZ)` on `fd`, else `COLUMNS`, else 80 — or nil when `fd` is not a
    /// terminal (piped or redirected output is never fitted: scripts read whole lines).
    package static func columns(of fd: Int32 = 1) -> Int? {
        guard isatty(fd) == 1 else { return nil }
        let measured = cshim_terminal_columns(fd)
        if measured > 0 { return Int(measured) }
        if let text = getenv("COLUMNS"), let value = Int(String(cString: text)), value > 0 { return value }
        return 80
    }
}
