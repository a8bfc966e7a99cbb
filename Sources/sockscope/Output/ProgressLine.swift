import Glibc

/// A progress line on stderr (done/total, rate, ETA) for work that runs longer than
/// a second, redrawn in place; shown only when stderr is a terminal.
final class ProgressLine {
    private let enabled: Bool
    private let started = ContinuousClock.now
    private var lastDrawn = ContinuousClock.now
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ done: Int, _ total: Int) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let elapsed = started.duration(to: now)
        guard elapsed > .seconds(1), lastDrawn.duration(to: now) > .milliseconds(200) else { return }
        lastDrawn = now
        let seconds = Double(elapsed.milliseconds) / 1000
        let rate = Double(done) / max(seconds, 0.001)
        let left = rate > 0 ? Double(total - done) / rate : 0
        let line = "\(done)/\(total) ports · \(Int(rate))/s · \(Int(left.rounded())) s left"
        Diagnostics.raw("\r\u{1B}[K" + line)
        drawn = true
    }

    func clear() {
        if drawn { Diagnostics.raw("\r\u{1B}[K") }
    }
}
