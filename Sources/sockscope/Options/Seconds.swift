import ArgumentParser

/// A length of time given in seconds on the command line (`5`, `0.25`).
struct Seconds: ExpressibleByArgument, Equatable, Sendable {
    let duration: Duration

    init?(argument: String) {
        guard let value = Double(argument), value.isFinite, value >= 0, value <= 1_000_000 else { return nil }
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
