import SockscopeCore

/// The EXIT STATUS table of `sockscope --help`, made from `ExitStatus` (every case, its
/// `summary`): the manual's and the README's tables are made from this one
/// (scripts/exit-codes.sh reads it back from the help).
enum ExitStatusTable {
    /// The block as the help shows it: "EXIT STATUS", then a row per status, its
    /// description wrapped under itself within `width` columns.
    static func help(width: Int = 76) -> String {
        var lines = ["EXIT STATUS"]
        for status in ExitStatus.allCases {
            let code = String(status.rawValue)
            let wrapped = wrap(status.summary, width: width - 6)
            for (index, line) in wrapped.enumerated() {
                lines.append((index == 0 ? "  " + code.padded(to: 4) : String(repeating: " ", count: 6)) + line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Words into lines of at most `width` characters (a longer word on its own line).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
