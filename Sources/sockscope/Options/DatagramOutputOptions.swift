import ArgumentParser

/// How received datagrams are shown (recv, and replies for send and broadcast).
struct DatagramOutputOptions: ParsableArguments {
    @Flag(name: .customLong("hexdump"), help: "Show each payload as a hex dump.")
    var hexdump = false

    @Flag(name: .customLong("raw"), help: "Write the payloads alone to stdout, back to back (for piping).")
    var raw = false

    @Flag(name: .customLong("json"), help: "One JSON object per datagram: time, from, size, arrived, truncated, text, hex.")
    var json = false

    func validate() throws {
        if [hexdump, raw, json].filter({ $0 }).count > 1 { throw ValidationError("choose one of --hexdump, --raw, --json") }
    }

    func printer() -> DatagramPrinter {
        let format: DatagramPrinter.Format = hexdump ? .hexdump : raw ? .raw : json ? .json : .text
        return DatagramPrinter(format: format, style: Style(enabled: format != .raw && format != .json && Diagnostics.usesColour(1)))
    }
}
