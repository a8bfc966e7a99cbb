import SockscopeCore

/// Text fitted to a terminal's width (`TerminalSize.columns`): lines broken between
/// pieces, never inside one.
enum TerminalWidth {
    /// The terminal's width on stdout, or nil when stdout is not a terminal or `wide`.
    static func columns(wide: Bool) -> Int? { wide ? nil : TerminalSize.columns(of: 1) }

    /// Plain text broken between words into lines of at most `width` columns, each
    /// after the first indented by `indent` (a word longer than a line stays whole).
    static func wrap(_ text: String, width: Int, indent: Int) -> String {
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map { (String($0), $0.count, " ") }
        return fill(words, width: width, indent: indent)
    }

    /// `pieces` in order on lines of at most `width` columns: a piece that does not fit
    /// on the current line starts the next one, indented by `indent` spaces. Each piece
    /// is (its text as shown, its length without colour codes, the separator before it).
    static func fill(_ pieces: [(shown: String, length: Int, separator: String)], width: Int, indent: Int) -> String {
        var text = ""
        var column = 0
        var lineStarted = false  // a line's first piece takes no separator
        for piece in pieces {
            if lineStarted && column > indent && column + piece.separator.count + piece.length > width {
                text += "\n" + String(repeating: " ", count: indent) + piece.shown
                column = indent + piece.length
                continue
            }
            if lineStarted {
                text += piece.separator
                column += piece.separator.count
            }
            text += piece.shown
            column += piece.length
            lineStarted = true
        }
        return text
    }
}

extension String {
    /// The text without the spaces padding left at its end.
    var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
