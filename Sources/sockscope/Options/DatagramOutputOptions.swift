import ArgumentParser
import SockscopeCore

/// How received datagrams are shown (recv, and replies for send and broadcast).
struct DatagramOutputOptions: ParsableArguments {
    @Flag(name: .customLong("hexdump"), help: "Show each payload as a hex dump.")
    var hexdump = false

    @Flag(name: .customLong("raw"), help: "Write the payloads alone to stdout, back to back (for piping).")
    var raw = false

    @OptionGroup var jsonOutput: OutputOptions

    var json: Bool { jsonOutput.json }

    func validate() throws {
        if [hexdump, raw, json].filter({ $0 }).count > 1 { throw ValidationError("choose one of --hexdump, --raw, --json") }
    }
}

extension DatagramOutputOptions.Values {
    var json: Bool { jsonOutput.json }

    func printer() -> DatagramPrinter {
        let format: DatagramPrinter.Format = hexdump ? .hexdump : raw ? .raw : json ? .json : .text
        return DatagramPrinter(format: format, style: Style(enabled: format != .raw && format != .json && Diagnostics.usesColour(1)))
    }

    /// Prints the replies that come to `socket` until none has come for `idle` (or
    /// `count` have); returns how many came.
    func printReplies(on socket: Socket, idle: Duration, count: Int?) throws(SockscopeError) -> Int {
        let printer = printer()
        defer { printer.flush() }
        return try DatagramListening.receive(on: socket, bufferSize: 65_535, idle: idle, count: count) { printer.print($0) }
    }
}
