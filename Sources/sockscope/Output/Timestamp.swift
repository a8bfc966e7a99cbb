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
        return value < 10 ? "\(String(format2: value)) ms" : "\(Int(value.rounded())) ms"
    }

    /// A packet's offset from the first one, right-aligned: `+   12.345 ms`.
    static func offset(_ elapsed: Duration) -> String {
        let microseconds = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        let fraction = String(microseconds % 1000)
        let milliseconds = "\(microseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
        return ("+" + milliseconds).leftPadded(to: 10) + " ms"
    }

    /// Now as RFC 3339 in UTC with microseconds: `2026-11-21T09:50:01.123456Z`.
    static func now() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return rfc3339(seconds: now.tv_sec, microseconds: Int(now.tv_nsec / 1000))
    }

    /// A Unix time as RFC 3339 in UTC with microseconds.
    static func rfc3339(seconds: Int, microseconds: Int) -> String {
        var time = seconds
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = String(microseconds)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + String(repeating: "0", count: max(0, 6 - fraction.count)) + fraction + "Z"
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
        var time = Int(sinceEpoch.components.seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + sixDigits(sinceEpoch)
    }

    /// A gap between packets as tcpdump -ttt prints it: `00:00:00.000123`.
    static func delta(_ gap: Duration) -> String {
        let seconds = Int(max(gap, .zero).components.seconds)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))." + sixDigits(max(gap, .zero))
    }

    /// The microseconds of a duration's last second, six digits.
    private static func sixDigits(_ duration: Duration) -> String {
        let fraction = String(duration.components.attoseconds / 1_000_000_000_000)
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
