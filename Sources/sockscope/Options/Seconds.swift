import ArgumentParser

/// A length of time on the command line: seconds (`5`, `0.25`), or with ncat's units
/// `500ms`, `3s`, `2m`, `1h` (`1.5s` too). At most 1,000,000 seconds.
struct Seconds: ExpressibleByArgument, Equatable, Sendable {
    let duration: Duration

    /// The units, longest suffix first (`ms` before `s` and `m`), in seconds.
    private static let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]

    init?(argument: String) {
        let unit = Self.units.first { argument.hasSuffix($0.suffix) }
        let number = unit.map { String(argument.dropLast($0.suffix.count)) } ?? argument
        guard number.first?.isNumber == true || number.first == ".", let given = Double(number) else { return nil }
        let value = given * (unit?.seconds ?? 1)
        guard value.isFinite, value >= 0, value <= 1_000_000 else { return nil }
        duration = .milliseconds(Int64((value * 1000).rounded()))
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// A byte count on the command line: `65536`, `64K`, `4M`.
struct ByteCount: ExpressibleByArgument, Equatable, Sendable {
    let value: Int

    init?(argument: String) {
        var digits = Substring(argument)
        var multiplier = 1
        switch digits.last {
        case "k", "K": multiplier = 1 << 10
        case "m", "M": multiplier = 1 << 20
        case "g", "G": multiplier = 1 << 30
        default: break
        }
        if multiplier > 1 { digits = digits.dropLast() }
        guard let number = Int(digits), number > 0, number <= (1 << 31) / multiplier else { return nil }
        value = number * multiplier
    }
}
