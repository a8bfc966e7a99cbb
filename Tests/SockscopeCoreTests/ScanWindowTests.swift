import SockscopeCore
import Testing

/// The scan window (probes in flight, below --parallel) against modelled paths, and
/// the retries the measured loss calls for.
@Suite("probe: the window that follows the path, and retries from measured loss")
struct ScanWindowTests {
    /// A path whose round trip is `base` seconds, with a bottleneck that carries
    /// `capacity` probes a second (nil: none): a window of w probes kept full sees round
    /// trips of max(base, w / capacity) (Little's law: the rest waits in a queue); the
    /// first burst fills that queue one probe at a time, so its answers come back
    /// base, base + 1/capacity, … apart. Each round feeds one round trip's answers;
    /// every `lossEvery`-th answer comes only to a retry. Returns the last round's rate
    /// (probes/s) and round trip.
    struct Path {
        var base: Double
        var capacity: Double?
        var lossEvery: Int?
        var now = ContinuousClock.now
        var answers = 0

        @discardableResult
        mutating func drive(_ window: inout ScanWindow, inFlight: Int? = nil, rounds: Int) -> (rate: Double, rtt: Double) {
            var last = (rate: 0.0, rtt: base)
            for _ in 0..<rounds {
                let size = window.limit
                let rtt = capacity.map { max(base, Double(size) / $0) } ?? base
                let count = inFlight ?? size
                for index in 0..<count {
                    window.sent(inFlight: count)
                    let sample = answers < size ? min(rtt, base + Double(index) / (capacity ?? .infinity)) : rtt
                    now += .nanoseconds(Int64(rtt / Double(count) * 1e9))
                    answers += 1
                    let late = lossEvery.map { answers % $0 == 0 } ?? false
                    window.answered(rtt: late ? nil : sample, now: now, smoothed: rtt)
                }
                last = (Double(count) / rtt, rtt)
            }
            return last
        }
    }

    @Test("a path with room (20 ms, no queue): the window grows from 1,024 to the ceiling within a few round trips")
    func growsToTheCeiling() {
        var window = ScanWindow(initial: 1024, ceiling: 4096)
        var path = Path(base: 0.02)
        path.drive(&window, rounds: 12)
        #expect(window.limit == 4096 && window.peak == 4096, "\(window)")
        #expect(window.baseRTT == 0.02)
    }

    @Test(
        "a bottleneck of 33,000 probes/s behind 20 ms: from 1,024 or from 16, the window settles where the rate is the bottleneck's and the round trip at most 2.5× the path's"
    )
    func settlesAtTheBottleneck() {
        for initial in [1024, 16] {
            var window = ScanWindow(initial: initial, ceiling: 4096)
            var path = Path(base: 0.02, capacity: 33_000)
            path.drive(&window, rounds: 60)
            var rates: [Double] = []
            var rtts: [Double] = []
            for _ in 0..<20 {
                let (rate, rtt) = path.drive(&window, rounds: 1)
                rates.append(rate)
                rtts.append(rtt)
            }
            #expect(rates.allSatisfy { $0 >= 0.99 * 33_000 }, "initial \(initial): \(rates)")
            #expect(rtts.allSatisfy { $0 <= 0.02 * ScanWindow.queueFactor + 2 * ScanWindow.slack }, "initial \(initial): \(rtts) \(window)")
            #expect(window.limit < 4096, "the queue, not the ceiling, stops it: \(window)")
        }
    }

    @Test("a lossy path with no queue (1 answer in 10 only to a retry): the window does not shrink; with a queue, the same losses halve it")
    func lossWithAndWithoutQueue() {
        var lossy = ScanWindow(initial: 1024, ceiling: 4096)
        var lossyPath = Path(base: 0.02, lossEvery: 10)
        lossyPath.drive(&lossy, rounds: 12)
        #expect(lossy.limit == 4096, "\(lossy)")
        #expect(lossy.lateAnswers > 0)

        var queued = ScanWindow(initial: 2048, ceiling: 4096)
        var path = Path(base: 0.02)
        path.drive(&queued, rounds: 1)
        let before = queued.limit
        // Now through 20,000/s: 2,000+ in flight wait 100 ms and more, 5× the 20 ms seen first.
        path.capacity = 20_000
        path.lossEvery = 10
        path.drive(&queued, rounds: 4)
        #expect(queued.limit <= before / 4, "two halvings at least: \(before) → \(queued.limit)")
        #expect(queued.limit >= 16)
    }

    @Test("unanswered probes (a firewall that drops) say nothing; a window that is not used (--rate) does not grow")
    func silenceAndIdleness() {
        var silent = ScanWindow(initial: 512, ceiling: 4096)
        for _ in 0..<10_000 { silent.sent(inFlight: 512) }
        #expect(silent.limit == 512)

        var idle = ScanWindow(initial: 512, ceiling: 4096)
        var path = Path(base: 0.02)
        path.drive(&idle, inFlight: 10, rounds: 50)
        #expect(idle.limit == 512, "\(idle)")
    }

    @Test("a local shortage lowers the ceiling to 3/4 of what was in flight (never below 16), and the window with it")
    func shortage() {
        var window = ScanWindow(initial: 1024, ceiling: 4096)
        window.shortage(inFlight: 800)
        #expect(window.ceiling == 600 && window.limit == 600)
        window.shortage(inFlight: 4)
        #expect(window.ceiling == 16 && window.limit == 16)
        var small = ScanWindow(initial: 4, ceiling: 4)
        small.shortage(inFlight: 2)
        #expect(small.ceiling == 4 && small.limit == 4)
    }

    @Test("retries: the default until an answer comes only to a retry; then enough that N·lossᵗ ≤ 0.001, at least one more than any answer needed, at most 10")
    func retriesFromLoss() {
        var estimate = LossEstimate()
        estimate.firstAnswers = 5000
        #expect(estimate.retries(base: 1, probes: 1000) == 1)
        #expect(estimate.retries(base: 3, probes: 1000) == 3)

        // 12% of first attempts lost, 1,000 probes: 0.12⁶ · 1000 = 0.003, 0.12⁷ · 1000 = 0.0004: 7 tries.
        estimate.firstAnswers = 880
        estimate.lateAnswers = 120
        estimate.mostRetriesAnswered = 2
        #expect(estimate.retries(base: 1, probes: 1000) == 6)
        // 65,536 probes need more: 0.12⁸ · 65,536 = 0.003, 0.12⁹ · 65,536 = 0.0003: 9 tries.
        #expect(estimate.retries(base: 1, probes: 65536) == 8)

        estimate.firstAnswers = 100_000
        estimate.lateAnswers = 1
        estimate.mostRetriesAnswered = 1
        #expect(estimate.retries(base: 1, probes: 1000) == 2, "nmap's rule: one more than the most an answer needed")
        estimate.mostRetriesAnswered = 12
        #expect(estimate.retries(base: 1, probes: 1000) == LossEstimate.maximumRetries)

        var hopeless = LossEstimate()
        hopeless.firstAnswers = 0
        hopeless.lateAnswers = 50
        hopeless.mostRetriesAnswered = 1
        #expect(hopeless.retries(base: 1, probes: 1000) == LossEstimate.maximumRetries)
    }
}
