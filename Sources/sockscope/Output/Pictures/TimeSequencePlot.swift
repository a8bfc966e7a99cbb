import SockscopeCore

/// `--plot`: the time-sequence graph of tcptrace and of Stevens' TCP/IP Illustrated, one
/// panel per direction: each data segment a vertical bar from its first to its last
/// relative sequence number at the time it was seen (retransmissions red, out-of-order
/// orange), the receiver's acknowledgments as a step line under them, its advertised
/// window (ack + window, scaled) as a step line above, SACK blocks as purple bars and
/// zero windows as red rings on the ACK line.
///
/// The marks are `<path>` elements whose `data-count` says how many they draw (class
/// data, retransmission, out-of-order, sack, zero-window), so a program can count them.
struct TimeSequencePlot {
    let recording: ConversationRecording

    private static let width = 1_100
    private static let panelHeight = 390.0
    private static let left = 110.0
    private static let plotWidth = 950.0
    private static let plotHeight = 300.0

    /// One direction's marks, in plot units (seconds, relative sequence numbers).
    private struct Marks {
        var bars: [String: [(t: Double, low: Double, high: Double)]] = [:]
        var ackSteps: [(t: Double, ack: Double, edge: Double)] = []
        var zeroWindows: [(t: Double, ack: Double)] = []
        var sackBars: [(t: Double, low: Double, high: Double)] = []

        var dataTop: Double {
            let high = bars.values.joined().map(\.high).max() ?? 0
            return max(1, high, ackSteps.map(\.ack).max() ?? 0)
        }
    }

    var svg: String {
        let end = max(1e-6, recording.segments.last.map { Self.seconds($0.elapsed) } ?? 0)
        var document = SVGDocument(width: Self.width, height: Int(70 + 2 * Self.panelHeight))
        let client = recording.client.map { "\($0)" } ?? "?"
        let server = recording.server.map { "\($0)" } ?? "?"
        document.text(20, 28, "Time-sequence graph: \(client) ⇄ \(server)", class: "title")
        var caption = "\(counted(recording.segments.count, "segment")); sequence numbers relative to each side's first (tcpdump's)"
        if recording.omitted > 0 { caption += "; \(counted(recording.omitted, "later segment")) not kept (limit \(recording.limit))" }
        document.text(20, 48, caption, class: "muted")
        for (index, side) in [TCPConversationTracker.Side.client, .server].enumerated() {
            let title = side == .client ? "client → server (\(client) sends)" : "server → client (\(server) sends)"
            drawPanel(marks(sentBy: side), title: title, top: 80 + Double(index) * Self.panelHeight, end: end, clip: "clip-\(side.rawValue)", on: &document)
        }
        return document.text(
            title: "TCP time-sequence graph \(client) ⇄ \(server)",
            description: "Drawn by sockscope: sequence numbers over time for each direction, ACKs, receive window, retransmissions, SACK blocks, zero windows",
            style: Self.style)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// What `side` sent (its data) and what the other side answered (ACKs, window, SACK).
    private func marks(sentBy side: TCPConversationTracker.Side) -> Marks {
        var marks = Marks()
        for segment in recording.segments {
            let t = Self.seconds(segment.elapsed)
            if segment.from == side {
                guard segment.length > 0 || segment.flags.contains(.syn) || segment.flags.contains(.fin) else { continue }
                let kind =
                    segment.isRetransmission ? "retransmission" : segment.isOutOfOrder ? "out-of-order" : "data"
                let low = Double(segment.sequence)
                marks.bars[kind, default: []].append((t, low, low + Double(max(segment.length, 1))))
            } else if let ack = segment.acknowledgment, !segment.flags.contains(.rst) {
                marks.ackSteps.append((t, Double(ack), Double(ack) + Double(segment.window)))
                if segment.window == 0 { marks.zeroWindows.append((t, Double(ack))) }
                for block in segment.sack { marks.sackBars.append((t, Double(block.lowerBound), Double(block.upperBound))) }
            }
        }
        return marks
    }

    private func drawPanel(_ marks: Marks, title: String, top: Double, end: Double, clip: String, on document: inout SVGDocument) {
        let dataTop = marks.dataTop
        let windowTop = marks.ackSteps.map(\.edge).max() ?? 0
        let yTop = max(dataTop * 1.05, min(windowTop, dataTop * 2))
        let x = { (t: Double) in Self.left + Self.plotWidth * t / end }
        let y = { (v: Double) in top + 30 + Self.plotHeight * (1 - v / yTop) }
        document.text(Self.left, top + 16, title, class: "label")
        document.rect(Self.left, top + 30, Self.plotWidth, Self.plotHeight, class: "frame")
        Self.drawAxes(top: top, end: end, yTop: yTop, on: &document)
        document.open("clipPath", [("id", clip)])
        document.rect(Self.left, top + 30, Self.plotWidth, Self.plotHeight, class: "frame")
        document.close("clipPath")
        document.open("g", [("clip-path", "url(#\(clip))")])
        document.element("path", [("class", "window"), ("d", Self.steps(marks.ackSteps.map { (x($0.t), y($0.edge)) }, until: x(end)))])
        document.element("path", [("class", "ackline"), ("d", Self.steps(marks.ackSteps.map { (x($0.t), y($0.ack)) }, until: x(end)))])
        for kind in ["data", "retransmission", "out-of-order"] {
            let bars = marks.bars[kind] ?? []
            document.element("path", [("class", kind), ("data-count", "\(bars.count)"), ("d", Self.bars(bars.map { (x($0.t), y($0.low), y($0.high)) }))])
        }
        document.element(
            "path",
            [("class", "sack"), ("data-count", "\(marks.sackBars.count)"), ("d", Self.bars(marks.sackBars.map { (x($0.t) + 2, y($0.low), y($0.high)) }))])
        let rings = marks.zeroWindows.map { "M\(SVGDocument.number(x($0.t) - 4)),\(SVGDocument.number(y($0.ack)))a4,4 0 1,0 8,0a4,4 0 1,0 -8,0" }
        document.element("path", [("class", "zero-window"), ("data-count", "\(marks.zeroWindows.count)"), ("d", rings.joined())])
        document.close("g")
        if marks.bars.isEmpty {
            document.text(Self.left + Self.plotWidth / 2, top + 30 + Self.plotHeight / 2, "no data sent this way", class: "muted", anchor: "middle")
        }
        if windowTop > yTop {
            document.text(Self.left + Self.plotWidth - 4, top + 44, "window edge up to \(Self.bytes(windowTop)), above the top", class: "muted", anchor: "end")
        }
        document.text(Self.left, top + 30 + Self.plotHeight + 40, Self.legend, class: "muted")
    }

    private static let legend =
        "bars: data (black), retransmitted (red), out of order (orange) · grey: ACK · green: ACK + window · purple: SACK · red ring: zero window"

    /// A step line through the points, held level to `end`.
    private static func steps(_ points: [(Double, Double)], until end: Double) -> String {
        guard let first = points.first else { return "M0,0" }
        var path = "M\(SVGDocument.number(first.0)),\(SVGDocument.number(first.1))"
        for point in points.dropFirst() { path += "H\(SVGDocument.number(point.0))V\(SVGDocument.number(point.1))" }
        return path + "H\(SVGDocument.number(end))"
    }

    /// Vertical bars with short serifs (tcptrace's I-bars), at least 1 px tall.
    private static func bars(_ bars: [(x: Double, low: Double, high: Double)]) -> String {
        guard !bars.isEmpty else { return "M0,0" }
        return bars.map { bar in
            let (top, bottom) = (min(bar.low, bar.high), max(bar.low, bar.high, min(bar.low, bar.high) + 1))
            let x = SVGDocument.number(bar.x)
            return "M\(SVGDocument.number(bar.x - 2)),\(SVGDocument.number(top))h4M\(x),\(SVGDocument.number(top))V\(SVGDocument.number(bottom))"
        }.joined()
    }

    private static func drawAxes(top: Double, end: Double, yTop: Double, on document: inout SVGDocument) {
        let base = top + 30 + plotHeight
        for tick in ticks(upTo: end) {
            let x = left + plotWidth * tick / end
            document.line(x, base, x, base + 5, class: "tick")
            document.text(x, base + 18, time(tick, scale: end), class: "axis", anchor: "middle")
        }
        for tick in ticks(upTo: yTop) {
            let y = base - plotHeight * tick / yTop
            document.line(left - 5, y, left, y, class: "tick")
            document.text(left - 8, y + 4, bytes(tick), class: "axis", anchor: "end")
        }
        // Past the axis's end, level with it: never on a tick's label (it was "1.5 mstime").
        document.text(left + plotWidth + 6, base + 4, "time", class: "axis")
    }

    /// Round tick values (1, 2 or 5 × 10ⁿ apart), about six of them.
    static func ticks(upTo maximum: Double) -> [Double] {
        guard maximum > 0, maximum.isFinite else { return [0] }
        let rough = maximum / 6
        var magnitude = 1.0
        while magnitude * 10 <= rough { magnitude *= 10 }
        while magnitude > rough { magnitude /= 10 }
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? magnitude * 10
        return (0...min(100, Int(saturating: maximum / step))).map { Double($0) * step }
    }

    /// `250 µs`, `12.5 ms`, `3 s`: the unit follows the graph's span.
    static func time(_ seconds: Double, scale: Double) -> String {
        if scale < 0.001 { return "\(SVGDocument.number(seconds * 1e6)) µs" }
        if scale < 1 { return "\(SVGDocument.number(seconds * 1e3)) ms" }
        return "\(SVGDocument.number(seconds)) s"
    }

    /// `512`, `64 K`, `1.5 M` (bytes of sequence space).
    static func bytes(_ value: Double) -> String {
        if value >= 1_048_576 { return "\(SVGDocument.number(value / 1_048_576)) M" }
        if value >= 10_240 { return "\(SVGDocument.number(value / 1_024)) K" }
        return SVGDocument.number(value)
    }

    private static let style = """
        .frame { fill: none; stroke: #444444; }
        .tick { stroke: #444444; }
        .axis { font-size: 11px; fill: #444444; }
        .label { font-weight: bold; }
        .data { stroke: #222222; stroke-width: 1.2; fill: none; }
        .retransmission { stroke: #c62828; stroke-width: 2; fill: none; }
        .out-of-order { stroke: #ef6c00; stroke-width: 2; fill: none; }
        .sack { stroke: #7b1fa2; stroke-width: 2; fill: none; }
        .ackline { stroke: #8a8a8a; stroke-width: 1.2; fill: none; }
        .window { stroke: #1b7f3b; stroke-width: 1.2; fill: none; }
        .zero-window { stroke: #c62828; stroke-width: 1.5; fill: none; }

        """
}
