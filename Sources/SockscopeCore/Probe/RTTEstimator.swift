/// Smoothed round-trip time and its variation (RFC 6298), measured from answered
/// probes, giving how long an unanswered probe is worth waiting for.
struct RTTEstimator {
    /// Before any answer: wait this long.
    static let initialTimeout: Duration = .seconds(1)
    static let minimumTimeout: Duration = .milliseconds(50)
    static let maximumTimeout: Duration = .milliseconds(1500)

    private(set) var smoothed: Double?
    private var variation: Double = 0

    /// Adds one measured round trip, in seconds.
    mutating func add(_ sample: Double) {
        guard let current = smoothed else {
            smoothed = sample
            variation = sample / 2
            return
        }
        variation = 0.75 * variation + 0.25 * abs(current - sample)
        smoothed = 0.875 * current + 0.125 * sample
    }

    /// srtt + 4·rttvar, at least twice srtt, clamped to [50 ms, 1.5 s].
    var timeout: Duration {
        guard let smoothed else { return Self.initialTimeout }
        let seconds = max(smoothed + 4 * variation, 2 * smoothed)
        let value = Duration.nanoseconds(Int64(seconds * 1e9))
        return min(max(value, Self.minimumTimeout), Self.maximumTimeout)
    }
}
