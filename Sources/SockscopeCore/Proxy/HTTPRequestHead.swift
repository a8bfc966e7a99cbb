/// A request head as an HTTP proxy reads it (RFC 9112 §2–5, leniently as ncat does):
/// the request line and the header fields. A line may end with CR LF or a bare LF; a
/// line that starts with a space or a tab continues the field before it (obs-fold,
/// joined with one space).
package struct HTTPRequestHead: Sendable, Equatable {
    package var method: String
    package var target: String
    package var version: String
    /// The fields in order, names as sent.
    package var fields: [(name: String, value: String)]

    /// The longest request line taken: longer is 414 URI Too Long.
    package static let maximumRequestLine = 8 << 10
    /// The longest head taken: longer is 413 (ncat's answer to a head that never ends).
    package static let maximumHead = 16 << 10

    /// What reading the head of `input` came to.
    package enum Reading: Equatable {
        /// More bytes are needed.
        case incomplete
        /// A whole head, `length` bytes of the input (its empty line included).
        case head(HTTPRequestHead, length: Int)
        /// The request cannot be served: the status to answer and why.
        case refused(status: Int, reason: String)
    }

    package static func == (lhs: HTTPRequestHead, rhs: HTTPRequestHead) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.version == rhs.version
            && lhs.fields.map(\.name) == rhs.fields.map(\.name) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    /// The values of every field called `name` (case-insensitively), in order.
    package func values(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return fields.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// Reads the head at the start of `input`, if it is all there.
    package static func read(_ input: ByteQueue) -> Reading {
        var lineStart = 0
        var lines: [ArraySlice<UInt8>] = []
        while let newline = input.firstIndex(of: 0x0A, from: lineStart) {
            var line = input.bytes(lineStart..<newline)
            if line.last == 0x0D { line = line.dropLast() }
            if lines.isEmpty && line.count > maximumRequestLine { return .refused(status: 414, reason: "request line over 8 KiB") }
            if newline + 1 > maximumHead { return .refused(status: 413, reason: "request head over 16 KiB") }
            lineStart = newline + 1
            if line.isEmpty {
                if lines.isEmpty { continue }  // an empty line before the request line is skipped (RFC 9112 §2.2)
                return parse(lines).map { .head($0, length: lineStart) } ?? .refused(status: 400, reason: "not an HTTP request")
            }
            lines.append(line)
        }
        if lines.isEmpty && input.count - lineStart > maximumRequestLine { return .refused(status: 414, reason: "request line over 8 KiB") }
        if input.count > maximumHead { return .refused(status: 413, reason: "request head over 16 KiB") }
        return .incomplete
    }

    private static func parse(_ lines: [ArraySlice<UInt8>]) -> HTTPRequestHead? {
        let words = String(decoding: lines[0], as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 3, !words[0].isEmpty, !words[1].isEmpty, words[2].hasPrefix("HTTP/1.") else { return nil }
        var fields: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            if line.first == 0x20 || line.first == 0x09 {  // obs-fold: the field before goes on
                guard let last = fields.popLast() else { return nil }
                fields.append((last.name, last.value + " " + trimmed(line)))
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { return nil }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            guard !name.contains(" ") && !name.contains("\t") else { return nil }
            fields.append((name, trimmed(line[(colon + 1)...])))
        }
        return HTTPRequestHead(method: String(words[0]), target: String(words[1]), version: String(words[2]), fields: fields)
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}
