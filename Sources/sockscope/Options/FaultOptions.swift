import ArgumentParser
import SockscopeCore

/// forward's network faults (toxiproxy's kinds, made in user space): each applies to both
/// directions unless `--upstream` or `--downstream` picks one.
struct FaultOptions: ParsableArguments {
    @Option(name: .customLong("delay"), help: ArgumentHelp("Hold each chunk MS milliseconds before passing it on (latency).", valueName: "ms"))
    var delay: Milliseconds?

    @Option(name: .customLong("jitter"), help: ArgumentHelp("Vary --delay by up to ± MS, uniformly (order is kept).", valueName: "ms"))
    var jitter: Milliseconds?

    @Option(name: .customLong("rate"), help: ArgumentHelp("Pass on at most BYTES per second (64K, 1M: powers of 1024).", valueName: "bytes"))
    var rate: ByteCount?

    @Option(
        name: .customLong("slice"),
        help: ArgumentHelp("Split what passes into writes of at most BYTES, each its own segment (TCP_NODELAY), --slice-gap apart.", valueName: "bytes"))
    var slice: ByteCount?

    @Option(name: .customLong("slice-gap"), help: ArgumentHelp("The pause between slices (default 1 ms).", valueName: "ms"))
    var sliceGap: Milliseconds?

    @Option(
        name: .customLong("reset-after"),
        help: ArgumentHelp("After BYTES have reached the receiver, reset both legs (RST).", valueName: "bytes"))
    var resetAfter: ByteCount?

    @Option(
        name: .customLong("close-after"),
        help: ArgumentHelp("After BYTES, send the receiver a FIN; what follows is read and dropped.", valueName: "bytes"))
    var closeAfter: ByteCount?

    @Option(
        name: .customLong("stall-after"),
        help: ArgumentHelp("After BYTES, pass nothing more and send no FIN: the connection stays, silent.", valueName: "bytes"))
    var stallAfter: ByteCount?

    @Option(
        name: .customLong("refuse"),
        help: ArgumentHelp("Reset this share of new clients at once instead of forwarding them (0.25 or 25%).", valueName: "fraction"))
    var refuse: Fraction?

    @Flag(name: .customLong("upstream"), help: "Apply the byte faults to client→target only.")
    var upstream = false

    @Flag(name: .customLong("downstream"), help: "Apply the byte faults to target→client only.")
    var downstream = false

    /// The plan one direction gets.
    var plan: FaultPlan {
        var plan = FaultPlan()
        plan.delay = delay?.duration ?? .zero
        plan.jitter = jitter?.duration ?? .zero
        plan.rate = rate?.value
        plan.slice = slice?.value
        if let sliceGap { plan.sliceGap = sliceGap.duration }
        if let resetAfter { plan.limit = .init(bytes: resetAfter.value, action: .reset) }
        if let closeAfter { plan.limit = .init(bytes: closeAfter.value, action: .close) }
        if let stallAfter { plan.limit = .init(bytes: stallAfter.value, action: .stall) }
        return plan
    }

    /// The faults for both directions and the refusals.
    var faults: Faults {
        let plan = self.plan
        return Faults(upstream: downstream ? FaultPlan() : plan, downstream: upstream ? FaultPlan() : plan, refuse: refuse?.value ?? 0)
    }

    func validate() throws {
        let limits = [("--reset-after", resetAfter), ("--close-after", closeAfter), ("--stall-after", stallAfter)].filter { $0.1 != nil }
        if limits.count > 1 {
            throw ValidationError("\(limits.map(\.0).joined(separator: " and ")) each end a direction; give one")
        }
        if jitter != nil && delay == nil { throw ValidationError("--jitter varies --delay; give --delay too") }
        if let jitter, let delay, jitter.duration > delay.duration {
            throw ValidationError("--jitter cannot exceed --delay: a chunk cannot leave before it arrived")
        }
        if sliceGap != nil && slice == nil { throw ValidationError("--slice-gap is the pause between slices; give --slice too") }
        if upstream && downstream { throw ValidationError("--upstream and --downstream together are both directions: leave both out") }
        if (upstream || downstream) && plan.isEmpty {
            throw ValidationError(
                "--\(upstream ? "upstream" : "downstream") picks the direction of --delay, --rate, --slice and the --…-after faults; none was given")
        }
    }
}

/// Milliseconds on the command line (`50`, `0.5`).
struct Milliseconds: ExpressibleByArgument, Equatable, Sendable {
    let duration: Duration

    init?(argument: String) {
        guard let value = Double(argument), value.isFinite, value >= 0, value <= 3_600_000 else { return nil }
        duration = .microseconds(Int64((value * 1000).rounded()))
    }
}

/// A share from 0 to 1: `0.25` or `25%`.
struct Fraction: ExpressibleByArgument, Equatable, Sendable {
    let value: Double

    init?(argument: String) {
        let percent = argument.hasSuffix("%")
        guard let number = Double(percent ? String(argument.dropLast()) : argument), number.isFinite else { return nil }
        let value = percent ? number / 100 : number
        guard value >= 0 && value <= 1 else { return nil }
        self.value = value
    }
}
