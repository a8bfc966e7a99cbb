import SockscopeCore

/// `--diagram`: a TCP conversation as the sequence (ladder) diagram every tutorial
/// draws — the client's and the server's lifelines, each segment an arrow between them
/// labelled with its flags, relative seq/ack, window and length, the state each side
/// enters written on its lifeline where it changes, retransmissions and resets in red,
/// TLS records and ICMP errors where present. Time runs down the page: gaps up to a
/// threshold (ten times the median gap, at least 1 ms) are drawn to scale, longer ones
/// are cut short and marked with their length.
///
/// Each arrow is a `<g class="segment">` carrying `data-from`, `data-flags`, `data-seq`,
/// `data-ack` and `data-len`, and each state a `<text class="state">` with `data-side`
/// and `data-state`, so a program can read the picture back.
struct LadderDiagram {
    let recording: ConversationRecording
    /// The most arrows drawn; the rest are counted at the foot (`--plot` shows them all).
    static let drawLimit = 2_000

    private static let width = 1_100
    private static let clientX = 330.0
    private static let serverX = 770.0
    private static let slant = 16.0
    private static let top = 130.0

    /// A segment or an ICMP error, in time order.
    enum Item {
        case segment(ConversationRecording.Segment)
        case icmp(ConversationRecording.ICMPError)

        var elapsed: Duration {
            switch self {
            case .segment(let segment): segment.elapsed
            case .icmp(let error): error.elapsed
            }
        }
    }

    /// Where an item is drawn, and whether a cut-short gap comes before it.
    private struct Row {
        var item: Item
        var y: Double
        var cutGap: Duration?
    }

    var items: [Item] {
        let segments = recording.segments.prefix(Self.drawLimit).map(Item.segment)
        let icmp = recording.icmpErrors.map(Item.icmp)
        return (segments + icmp).enumerated().sorted { ($0.element.elapsed, $0.offset) < ($1.element.elapsed, $1.offset) }.map(\.element)
    }

    var svg: String {
        let rows = Self.layout(items)
        let bottom = (rows.last.map { $0.y + Self.height(of: $0.item) } ?? Self.top) + 20
        var document = SVGDocument(width: Self.width, height: Int(saturating: bottom) + 90)
        drawHeader(&document, bottom: bottom)
        for row in rows { draw(row, on: &document) }
        drawFooter(&document, at: bottom)
        let client = recording.client.map { "\($0)" } ?? "?"
        let server = recording.server.map { "\($0)" } ?? "?"
        return document.text(
            title: "TCP conversation \(client) → \(server)",
            description:
                "Sequence diagram drawn by sockscope: \(counted(recording.segments.count + recording.omitted, "segment")), the TCP states of both sides",
            style: Self.style)
    }

    /// Each row's height: the arrow, its label, and a line per note or TLS record.
    private static func height(of item: Item) -> Double {
        switch item {
        case .segment(let segment): slant + 26 + 14 * Double(segment.notes.count + segment.tls.count)
        case .icmp: slant + 26
        }
    }

    /// Rows down the page: each after the previous one's height, plus its gap to scale
    /// up to the threshold; a longer gap becomes a fixed, marked break.
    private static func layout(_ items: [Item]) -> [Row] {
        var gaps: [Duration] = []
        for (previous, next) in zip(items, items.dropFirst()) { gaps.append(next.elapsed - previous.elapsed) }
        let nonzero = gaps.filter { $0 > .zero }.sorted()
        let median = nonzero.isEmpty ? Duration.zero : nonzero[nonzero.count / 2]
        let threshold = max(.milliseconds(1), median * 10)
        var rows: [Row] = []
        var y = top
        for (index, item) in items.enumerated() {
            var cut: Duration?
            if index > 0 {
                let gap = gaps[index - 1]
                y += height(of: items[index - 1])
                if gap > threshold {
                    cut = gap
                    y += 44
                } else {
                    y += 40 * (gap / threshold)
                }
            }
            rows.append(Row(item: item, y: y, cutGap: cut))
        }
        return rows
    }

    private func drawHeader(_ document: inout SVGDocument, bottom: Double) {
        let client = recording.client.map { "\($0)" } ?? "?"
        let server = recording.server.map { "\($0)" } ?? "?"
        document.text(20, 28, "TCP conversation \(client) → \(server)", class: "title")
        let span = recording.segments.last.map { Timestamp.shortMilliseconds($0.elapsed) } ?? "0 ms"
        let drawn = recording.sawOpening ? "from its SYN" : "joined mid-stream (no handshake seen)"
        document.text(20, 48, "\(counted(recording.segments.count + recording.omitted, "segment")) over \(span), \(drawn); time runs down", class: "muted")
        for (side, x) in [(TCPConversationTracker.Side.client, Self.clientX), (.server, Self.serverX)] {
            document.text(x, 80, "\(side.rawValue) \(side == .client ? client : server)", class: "endpoint", anchor: "middle")
            let state = recording.initialStates[side]?.name ?? "?"
            document.text(x, 100, state, class: "state", anchor: "middle", [("data-side", side.rawValue), ("data-state", state), ("data-initial", "true")])
            document.line(x, Self.top - 18, x, bottom, class: "lifeline")
        }
    }

    private func draw(_ row: Row, on document: inout SVGDocument) {
        if let gap = row.cutGap {
            let y = row.y - 30
            document.rect(Self.clientX - 60, y - 8, Self.serverX - Self.clientX + 120, 18, class: "cut")
            document.text(
                (Self.clientX + Self.serverX) / 2, y + 5, "≈ \(Timestamp.shortMilliseconds(gap)) later (gap cut short)", class: "muted", anchor: "middle")
        }
        document.text(16, row.y + Self.slant / 2 + 4, Timestamp.offset(row.item.elapsed).trimmingLeadingSpaces, class: "time")
        switch row.item {
        case .segment(let segment): draw(segment, at: row.y, on: &document)
        case .icmp(let error): draw(error, at: row.y, on: &document)
        }
    }

    private static func x(of side: TCPConversationTracker.Side) -> Double { side == .client ? clientX : serverX }

    private func draw(_ segment: ConversationRecording.Segment, at y: Double, on document: inout SVGDocument) {
        let flags = segment.flags.tcpdumpNotation
        let kind = Self.kind(segment)
        document.open(
            "g",
            [
                ("class", "segment \(kind)"), ("data-from", segment.from.rawValue), ("data-flags", flags), ("data-seq", "\(segment.sequence)"),
                ("data-ack", segment.acknowledgment.map { "\($0)" } ?? ""), ("data-len", "\(segment.length)"),
            ])
        let (fromX, toX) = (Self.x(of: segment.from), Self.x(of: segment.from.other))
        document.line(fromX, y, toX + (toX > fromX ? -3 : 3), y + Self.slant, class: "arrow", [("marker-end", "url(#head-\(kind))")])
        document.text((fromX + toX) / 2, y - 4, Self.label(segment), class: "label", anchor: "middle")
        var lineY = y + Self.slant + 14
        for note in segment.notes {
            document.text((fromX + toX) / 2, lineY, note, class: "note", anchor: "middle")
            lineY += 14
        }
        for record in segment.tls {
            document.text((fromX + toX) / 2, lineY, "TLS " + String(record.prefix(90)), class: "tls", anchor: "middle")
            lineY += 14
        }
        var placed: [TCPConversationTracker.Side: Int] = [:]
        for change in segment.stateChanges {
            let stateY = (change.side == segment.from ? y : y + Self.slant) + 4 + 13 * Double(placed[change.side, default: 0])
            placed[change.side, default: 0] += 1
            let x = change.side == .client ? Self.clientX - 10 : Self.serverX + 10
            document.text(
                x, stateY, change.state.name, class: "state", anchor: change.side == .client ? "end" : "start",
                [("data-side", change.side.rawValue), ("data-state", change.state.name)])
        }
        document.close("g")
    }

    /// `[P.] seq 1:6 ack 1 win 512 len 5`, as tcpdump writes the fields.
    static func label(_ segment: ConversationRecording.Segment) -> String {
        var fields = ["[\(segment.flags.tcpdumpNotation)]"]
        fields.append(segment.length > 0 ? "seq \(segment.sequence):\(segment.sequence &+ UInt32(segment.length))" : "seq \(segment.sequence)")
        if let ack = segment.acknowledgment { fields.append("ack \(ack)") }
        fields.append("win \(segment.window)")
        fields.append("len \(segment.length)")
        return fields.joined(separator: " ")
    }

    /// The arrow's colour class: syn, fin, rst, retransmission, data or ack.
    static func kind(_ segment: ConversationRecording.Segment) -> String {
        if segment.flags.contains(.rst) { return "rst" }
        if segment.isRetransmission { return "retransmission" }
        if segment.flags.contains(.syn) { return "syn" }
        if segment.flags.contains(.fin) { return "fin" }
        return segment.length > 0 ? "data" : "ack"
    }

    private func draw(_ error: ConversationRecording.ICMPError, at y: Double, on document: inout SVGDocument) {
        let (fromX, toX) = (Self.x(of: error.about.other), Self.x(of: error.about))
        document.open("g", [("class", "icmp"), ("data-to", error.about.rawValue), ("data-message", error.meaning)])
        document.line(fromX, y, toX + (toX > fromX ? -3 : 3), y + Self.slant, class: "arrow", [("marker-end", "url(#head-icmp)")])
        document.text((fromX + toX) / 2, y - 4, "ICMP \(error.meaning) from \(error.source)", class: "label", anchor: "middle")
        document.close("g")
    }

    private func drawFooter(_ document: inout SVGDocument, at y: Double) {
        let final = recording.segments.reduce(into: recording.initialStates) { states, segment in
            for change in segment.stateChanges { states[change.side] = change.state }
        }
        let ends = "At the end: client \(final[.client]?.name ?? "?"), server \(final[.server]?.name ?? "?")"
        document.text(20, y + 22, ends, class: "label")
        var legend = "green SYN · black data · grey ACK · blue FIN · red RST and retransmissions · purple ICMP"
        let notDrawn = recording.omitted + max(0, recording.segments.count - Self.drawLimit)
        if notDrawn > 0 { legend += " · \(counted(notDrawn, "more segment")) not drawn (--plot shows them all)" }
        document.text(20, y + 42, legend, class: "muted")
        var markers = SVGDocument(width: 0, height: 0)
        markers.open("defs")
        for (kind, colour) in Self.colours {
            markers.open("marker", [("id", "head-\(kind)"), ("markerWidth", "10"), ("markerHeight", "8"), ("refX", "9"), ("refY", "4"), ("orient", "auto")])
            markers.element("path", [("d", "M0,0 L10,4 L0,8 z"), ("fill", colour)])
            markers.close("marker")
        }
        markers.close("defs")
        document.append(markers)
    }

    static let colours: [(String, String)] = [
        ("syn", "#1b7f3b"), ("fin", "#1f5fbf"), ("rst", "#c62828"), ("retransmission", "#c62828"), ("data", "#222222"),
        ("ack", "#8a8a8a"), ("icmp", "#7b1fa2"),
    ]

    private static var style: String {
        var css = """
            .lifeline { stroke: #444444; stroke-width: 2; }
            .arrow { stroke-width: 1.5; }
            .endpoint { font-weight: bold; }
            .state { fill: #b35900; font-weight: bold; }
            .note { fill: #c62828; font-size: 11px; }
            .tls { fill: #1f5fbf; font-size: 11px; }
            .time { fill: #666666; font-size: 11px; }
            .cut { fill: #f3f3f3; stroke: #bbbbbb; stroke-dasharray: 4 3; }
            .retransmission .arrow { stroke-dasharray: 6 3; }
            .icmp .arrow { stroke-dasharray: 2 3; }

            """
        for (kind, colour) in colours { css += ".\(kind) .arrow { stroke: \(colour); }\n" }
        return css
    }
}

extension String {
    var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }
}
