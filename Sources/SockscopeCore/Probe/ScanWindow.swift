import Glibc

/// How many probes one scan worker keeps in flight: a window that follows the path,
/// as TCP's congestion window and nmap's timing do, below a ceiling (`--parallel`).
///
/// Time is cut into epochs of about one smoothed round trip. At the end of each, the
/// epoch's answered first attempts are compared with the lowest round trip seen (the
/// path's own, with no queue): round trips close to it mean the path has room, and a
/// window that was used grows by a quarter; round trips well above it mean probes
/// queue somewhere (a link, a forwarder, a firewall's table), and it shrinks. Answers
/// that came only to a retry mean the first attempt was lost: many of them, or some
/// with queueing, halve the window — a few with no queueing are a lossy path, not a
/// full one, and are left to the retries (`LossEstimate`). Unanswered probes say
/// nothing: a firewall that drops SYNs is not congestion.
package struct ScanWindow {
    /// The window never grows past this (probes for this worker).
    package private(set) var ceiling: Int
    package private(set) var size: Double
    /// The largest window used so far.
    package private(set) var peak: Int
    /// The lowest round trip of an answered first attempt, in seconds.
    package private(set) var baseRTT: Double?
    /// Answers that came to a retry (the earlier attempt was lost or too late).
    package private(set) var lateAnswers = 0

    private var epochEnd: ContinuousClock.Instant?
    private var epochAnswers = 0
    private var epochSum = 0.0
    private var epochLate = 0
    private var epochMostInFlight = 0

    /// Round trips up to this multiple of the base (plus `slack`) leave room to grow.
    static let roomFactor = 1.6
    /// Round trips above this multiple of the base (plus twice `slack`) mean a queue.
    package static let queueFactor = 2.5
    /// What timer and scheduling noise add to a round trip, in seconds.
    package static let slack = 0.001
    static let shortestEpoch: Duration = .milliseconds(5)

    package init(initial: Int, ceiling: Int) {
        self.ceiling = max(1, ceiling)
        size = Double(max(1, min(initial, ceiling)))
        peak = Int(size)
    }

    /// Probes this worker may have in flight now.
    package var limit: Int { max(1, Int(size)) }

    /// A probe went out with `inFlight` probes in flight (counting it).
    package mutating func sent(inFlight: Int) {
        epochMostInFlight = max(epochMostInFlight, inFlight)
    }

    /// An answer arrived: `rtt` (seconds) for a first attempt, nil for a retry's.
    package mutating func answered(rtt: Double?, now: ContinuousClock.Instant, smoothed: Double?) {
        if let rtt {
            baseRTT = min(baseRTT ?? rtt, rtt)
            epochAnswers += 1
            epochSum += rtt
        } else {
            epochLate += 1
            lateAnswers += 1
        }
        guard let end = epochEnd else {
            epochEnd = now + epochLength(smoothed)
            return
        }
        if now >= end {
            endEpoch()
            epochEnd = now + epochLength(smoothed)
        }
    }

    /// A local shortage (EMFILE, EADDRNOTAVAIL, ENOBUFS) with `inFlight` probes out:
    /// the machine, not the path, sets the ceiling from now on.
    package mutating func shortage(inFlight: Int) {
        ceiling = max(min(16, ceiling), min(ceiling, inFlight * 3 / 4))
        size = min(size, Double(ceiling))
    }

    private func epochLength(_ smoothed: Double?) -> Duration {
        max(Self.shortestEpoch, .nanoseconds(Int64((smoothed ?? 0) * 1e9)))
    }

    /// Decides the next epoch's window from this one's answers.
    private mutating func endEpoch() {
        defer {
            epochAnswers = 0
            epochSum = 0
            epochLate = 0
            epochMostInFlight = 0
        }
        let floor = Double(min(16, ceiling))
        let base = baseRTT ?? 0
        let mean = epochAnswers > 0 ? epochSum / Double(epochAnswers) : nil
        let queued = mean.map { $0 > base * Self.queueFactor + 2 * Self.slack } ?? false
        let lossShare = Double(epochLate) / Double(max(1, epochAnswers + epochLate))
        if epochLate > 0 && (queued || lossShare > 0.2) {
            size = max(floor, size * 0.5)
        } else if queued {
            size = max(floor, size * 0.85)
        } else if let mean, mean <= base * Self.roomFactor + Self.slack, epochMostInFlight * 2 >= limit {
            size = min(Double(ceiling), size * 1.25 + 1)
            peak = max(peak, limit)
        }
    }
}

/// How often an unanswered probe is worth sending again, from the loss the scan
/// measured: the share of answering ports whose first attempt went unanswered. With
/// no loss seen, the default (one retry); with loss `p`, enough tries that all of the
/// scan's `N` probes together expect fewer than 1/1000 wrong "filtered" verdicts
/// (N·pᵗ ≤ 0.001), and at least one more than the most any answer needed (nmap's
/// rule) — at most 10, nmap's own ceiling.
package struct LossEstimate {
    package var firstAnswers = 0
    package var lateAnswers = 0
    /// The most retries any answer needed.
    package var mostRetriesAnswered = 0

    package init() {}

    package static let maximumRetries = 10

    package func retries(base: Int, probes: Int) -> Int {
        guard lateAnswers > 0 else { return base }
        let loss = Double(lateAnswers) / Double(firstAnswers + lateAnswers)
        var tries = Self.maximumRetries + 1
        if loss < 1 {
            let needed = (0.001 / Double(max(1, probes))).log / loss.log
            if needed.isFinite { tries = Int(needed.rounded(.up)) }
        }
        return min(Self.maximumRetries, max(base, mostRetriesAnswered + 1, tries - 1))
    }
}

extension Double {
    fileprivate var log: Double { Glibc.log(self) }
}
