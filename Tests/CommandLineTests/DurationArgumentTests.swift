import Testing

@testable import sockscope

/// Durations on the command line (-w, -i, -d, --timeout …): seconds, or ncat's units.
@Suite("Duration arguments")
struct DurationArgumentTests {
    @Test("seconds and ncat's units: ms, s, m, h; decimals; bounds and junk refused")
    func units() {
        let accepted: [(String, Duration)] = [
            ("5", .seconds(5)), ("0.25", .milliseconds(250)), ("500ms", .milliseconds(500)), ("3s", .seconds(3)),
            ("1.5s", .milliseconds(1500)), ("2m", .seconds(120)), ("1h", .seconds(3600)), ("0", .zero), (".5", .milliseconds(500)),
            ("0ms", .zero),
        ]
        for (text, duration) in accepted {
            #expect(Seconds(argument: text)?.duration == duration, "\(text)")
        }
        for text in ["", "ms", "s", "3x", "-1", "-1s", "inf", "nan", "1e9", "300h", "1 s", "s1", "+2", "2min"] {
            #expect(Seconds(argument: text) == nil, "'\(text)' must be refused")
        }
    }
}
