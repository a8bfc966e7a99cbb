/// A self-contained SVG document, built as text: one embedded style sheet, no fonts,
/// images or scripts from elsewhere, so a browser, `rsvg-convert` or an editor shows it
/// as it is. Every string put in is escaped for XML.
struct SVGDocument {
    let width: Int
    var height: Int
    private var body: [String] = []

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// `&`, `<`, `>`, `"` and `'` as entities; control characters (not allowed in XML 1.0) as `?`.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            default: escaped.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF ? "?" : scalar)
            }
        }
        return escaped
    }

    /// A number as SVG wants it: at most one decimal, no exponent.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        // Far outside any picture: kept finite and printable (a capture's absurd times).
        let tenths = (min(max(value, -1e12), 1e12) * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(tenths / 10)
    }

    /// Attributes in order, values escaped.
    private static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    mutating func open(_ element: String, _ pairs: [(String, String)] = []) {
        body.append("<\(element)\(Self.attributes(pairs))>")
    }

    mutating func close(_ element: String) { body.append("</\(element)>") }

    /// Adds another document's body (a part built apart, such as `<defs>`).
    mutating func append(_ other: SVGDocument) { body += other.body }

    mutating func element(_ element: String, _ pairs: [(String, String)]) {
        body.append("<\(element)\(Self.attributes(pairs))/>")
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, class name: String, _ extra: [(String, String)] = []) {
        let points = [("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)].map { ($0.0, Self.number($0.1)) }
        element("line", [("class", name)] + points + extra)
    }

    /// Text at (x, y); `anchor` is start, middle or end.
    mutating func text(_ x: Double, _ y: Double, _ content: String, class name: String, anchor: String = "start", _ extra: [(String, String)] = []) {
        let pairs = [("class", name), ("x", Self.number(x)), ("y", Self.number(y)), ("text-anchor", anchor)] + extra
        body.append("<text\(Self.attributes(pairs))>\(Self.escape(content))</text>")
    }

    mutating func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double, class name: String) {
        element("rect", [("class", name), ("x", Self.number(x)), ("y", Self.number(y)), ("width", Self.number(width)), ("height", Self.number(height))])
    }

    /// The document: XML declaration, size, title and description (what screen readers
    /// and file browsers show), the style sheet, a white background, then the body.
    func text(title: String, description: String, style: String) -> String {
        var lines = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">",
            "<title>\(Self.escape(title))</title>",
            "<desc>\(Self.escape(description))</desc>",
            "<style>\n" + Self.baseStyle + style + "</style>",
            "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>",
        ]
        lines += body
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    private static let baseStyle = """
        text { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 12px; fill: #222222; }
        .title { font-size: 15px; font-weight: bold; }
        .muted { fill: #666666; }

        """
}
