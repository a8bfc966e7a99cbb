import SockscopeCore

extension CaptureOutput {
    /// The file `--pcap-out PATH` asks for: pcapng with `--pcapng` or a `.pcapng` name,
    /// whose section comment is this command line and sockscope's version.
    static func requested(_ path: String?, pcapng: Bool) -> CaptureOutput? {
        guard let path else { return nil }
        return CaptureOutput(
            path: path, pcapng: pcapng, comment: "sockscope \(Sockscope.version): " + commandLine, application: "sockscope \(Sockscope.version)")
    }

    /// The command line as a shell would take it back: arguments with spaces or
    /// shell characters in single quotes.
    static var commandLine: String {
        (["sockscope"] + CommandLine.arguments.dropFirst()).map(shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ argument: String) -> String {
        let plain = !argument.isEmpty && argument.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || "0123456789-_./:=,@+%".unicodeScalars.contains($0) }
        return plain ? argument : "'" + argument.map { $0 == "'" ? "'\\''" : String($0) }.joined() + "'"
    }
}
