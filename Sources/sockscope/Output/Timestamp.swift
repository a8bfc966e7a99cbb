import Glibc

/// Wall-clock times and durations, formatted in one place: RFC 3339 and `_ms`
/// numbers for JSON, and the few human forms the tables and timelines use.
enum Timestamp {
    /// Tenths of a second: `59.9 s` (timers, TIME-WAIT left).
    static func seconds(_ duration: Duration) -> String {
        let tenths = duration.milliseconds / 100
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// A round trip or a lookup: `0.42 ms` below 10 ms, else whole milliseconds.
    static func shortMilliseconds(_ duration: Duration) -> String {
        let value = Double(duration.microseconds) / 1000
        return value < 10 ? "\(String(format2: value)) ms" : "\(Int(saturating: value.rounded())) ms"
    }

    /// A packet's offset from the first one, right-aligned: `+   12.345 ms`; a packet
    /// stamped before the first (a clock stepped back) is `-    0.500 ms`.
    static func offset(_ elapsed: Duration) -> String {
        let microseconds = elapsed.microseconds
        let magnitude = microseconds.magnitude
        let fraction = String(magnitude % 1000)
        let milliseconds = "\(magnitude / 1000)." + String(repeating: "0", count: max(0, 3 - fraction.count)) + fraction
        return ((microseconds < 0 ? "-" : "+") + milliseconds).leftPadded(to: 10) + " ms"
    }

    /// Now as RFC 3339 in UTC with microseconds: `2026-11-21T09:50:01.123456Z`.
    static func now() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return rfc3339(seconds: now.tv_sec, microseconds: Int(now.tv_nsec / 1000))
    }

    /// A Unix time as RFC 3339 in UTC with microseconds. Microseconds outside 0..<1e6
    /// (negative, or past a second) carry into the seconds, so the text is always valid.
    static func rfc3339(seconds: Int, microseconds: Int) -> String {
        let (carry, micro) = microseconds.floorDivided(by: 1_000_000)
        var time = seconds &+ carry
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = String(micro)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + String(repeating: "0", count: max(0, 6 - fraction.count)) + fraction + "Z"
    }

    /// A time since the epoch as RFC 3339 (a packet's capture time).
    static func rfc3339(_ sinceEpoch: Duration) -> String {
        let (seconds, micro) = sinceEpoch.microseconds.floorDivided(by: 1_000_000)
        return rfc3339(seconds: Int(seconds), microseconds: Int(micro))
    }

    /// The local time of day for human output: `09:50:01.123456`.
    static func clock() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var time = now.tv_sec
        var parts = tm()
        localtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = String(now.tv_nsec / 1000)
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))." + String(repeating: "0", count: max(0, 6 - fraction.count)) + fraction
    }

    /// A time since the epoch as tcpdump -tttt prints it, in local time:
    /// `2026-11-21 20:02:13.666130`.
    static func localDateTime(_ sinceEpoch: Duration) -> String {
        let (seconds, micro) = sinceEpoch.microseconds.floorDivided(by: 1_000_000)
        var time = Int(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + sixDigits(micro)
    }

    /// A gap between packets as tcpdump -ttt prints it: `00:00:00.000123`; a packet
    /// stamped before the one printed last gives a negative gap, `-00:00:00.000500`
    /// (tcpdump's sign).
    /// Seconds since the epoch, to the microsecond (tcpdump -tt): `1733510000.123456`.
    static func epoch(_ sinceEpoch: Duration) -> String {
        let (seconds, micro) = sinceEpoch.microseconds.floorDivided(by: 1_000_000)
        return "\(seconds)." + sixDigits(micro)
    }

    static func delta(_ gap: Duration) -> String {
        let microseconds = gap.microseconds
        let magnitude = microseconds.magnitude
        let seconds = magnitude / 1_000_000
        func two(_ value: UInt64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return (microseconds < 0 ? "-" : "") + "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))."
            + sixDigits(Int64(magnitude % 1_000_000))
    }

    /// Microseconds 0..<1e6 as six digits.
    private static func sixDigits(_ microseconds: Int64) -> String {
        let fraction = String(microseconds)
        return String(repeating: "0", count: max(0, 6 - fraction.count)) + fraction
    }

    /// A duration in milliseconds with microsecond precision, for `_ms` fields.
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return (Double(seconds) * 1000 + Double(attoseconds) / 1e15).rounded(toPlaces: 3)
    }
}

extension Double {
    /// Rounded to `places` decimal places.
    func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}

extension Duration {
    /// The duration in whole microseconds (toward zero), with its sign; saturating at
    /// Int64's range for absurd values.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflowed) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000)
        return overflowed ? (seconds < 0 ? .min : .max) : sum
    }
}

extension BinaryInteger {
    /// Quotient and remainder rounded toward minus infinity: the remainder is never negative.
    func floorDivided(by divisor: Self) -> (quotient: Self, remainder: Self) {
        let remainder = self % divisor
        return remainder < 0 ? (self / divisor - 1, remainder + divisor) : (self / divisor, remainder)
    }
}

extension Int {
    /// A Double as an Int, the nearest bound when it is out of range (NaN is 0): never
    /// the trap `Int(_:)` is for a capture's absurd times and lengths.
    init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= Double(Int.max) {
            self = .max
        } else if value <= Double(Int.min) {
            self = .min
        } else {
            self = Int(value)
        }
    }
}
