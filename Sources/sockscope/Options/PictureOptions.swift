import ArgumentParser

/// `--diagram` and `--plot`: pictures of a TCP conversation, for `tap`, `demo` and the
/// commands with `--tap` (connect, listen, forward).
struct PictureOptions: ParsableArguments {
    @Option(
        name: .customLong("diagram"),
        help: ArgumentHelp(
            "Draw the conversation as a sequence (ladder) diagram in this SVG file: every segment an arrow, the TCP states on both lifelines.",
            valueName: "file.svg"), completion: .file(extensions: ["svg"]))
    var diagram: String?

    @Option(
        name: .customLong("plot"),
        help: ArgumentHelp(
            "Draw the conversation's time-sequence graph (tcptrace) in this SVG file: sequence numbers over time, ACKs, window, retransmissions, SACK.",
            valueName: "file.svg"), completion: .file(extensions: ["svg"]))
    var plot: String?
}

extension PictureOptions.Values {
    var enabled: Bool { diagram != nil || plot != nil }
}
