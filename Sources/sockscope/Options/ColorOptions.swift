import ArgumentParser

/// `--color=auto|always|never`, for every command that can colour its output.
struct ColorOptions: ParsableArguments {
    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
    }

    @Option(
        name: .customLong("color"),
        help: ArgumentHelp("Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.", valueName: "when"))
    var choice: Choice = .auto
}

extension ColorOptions.Values {
    /// Makes the choice the one every output in this process follows.
    func apply() {
        Diagnostics.colourChoice.store(choice == .always ? 1 : choice == .never ? 2 : 0, ordering: .relaxed)
    }
}
