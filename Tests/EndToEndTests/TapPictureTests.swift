import Foundation
import Glibc
import Testing

/// Captures of TCP scenarios between Python peers (tcpdump, in a network namespace of
/// their own: Tests/Peers/tcp_scenarios.py) read back by `tap --read`, and drawn with
/// `--diagram` and `--plot`: every packet as tshark and tcpdump decode it, the summary's
/// counts as tshark's analysis makes them, the states as the kernel left them (ss).
@Suite("tap --read against tshark, and the pictures")
struct TapPictureTests {
    /// One segment as every decoder can say it: tcpdump's flags, relative seq and ack
    /// (ack only with the ACK flag), payload length.
    struct Segment: Equatable, CustomStringConvertible {
        var flags: String
        var seq: Int
        var ack: Int?
        var length: Int

        var description: String { "[\(flags)] \(seq) \(ack.map(String.init) ?? "-") \(length)" }
    }

    /// A scenario's capture, and the local ports the kernel held in TIME-WAIT after it.
    static func capture(_ scenario: String) async throws -> (pcap: String, timeWait: Set<String>) {
        let pcap = try TemporaryDirectory.make() + "/\(scenario).pcap"
        let made = try await run(Paths.unshare, ["-n", Paths.python, Paths.peer("tcp_scenarios.py"), scenario, pcap], timeout: .seconds(60))
        try #require(made.status == 0 && made.stdoutText.contains("done"), "\(scenario): \(made)")
        let ports = made.stdoutText.split(separator: "\n").filter { $0.hasPrefix("time-wait ") }.map { String($0.dropFirst(10)) }
        return (pcap, Set(ports))
    }

    /// tcpdump's spelling of tshark's `tcp.flags` (hex).
    static func notation(_ hex: Substring) -> String {
        let value = Int(hex.dropFirst(2), radix: 16) ?? 0
        let letters: [(Int, String)] = [(0x02, "S"), (0x01, "F"), (0x08, "P"), (0x04, "R"), (0x20, "U"), (0x40, "E"), (0x80, "W"), (0x10, ".")]
        return letters.filter { value & $0.0 != 0 }.map(\.1).joined()
    }

    static func tshark(_ pcap: String) async throws -> (segments: [Segment], windows: [Int]) {
        let fields = try await run(
            Paths.tshark, ["-r", pcap, "-T", "fields", "-e", "tcp.flags", "-e", "tcp.seq", "-e", "tcp.ack", "-e", "tcp.len", "-e", "tcp.window_size"])
        var segments: [Segment] = []
        var windows: [Int] = []
        for line in fields.stdoutText.split(separator: "\n") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count == 5 else { continue }
            let flags = notation(columns[0])
            segments.append(Segment(flags: flags, seq: Int(columns[1]) ?? -1, ack: flags.contains(".") ? Int(columns[2]) : nil, length: Int(columns[3]) ?? -1))
            windows.append(Int(columns[4]) ?? -1)
        }
        return (segments, windows)
    }

    /// The packet records of `tap -r FILE --json`.
    static func ours(_ pcap: String) async throws -> [Segment] {
        let outcome = try await sockscope("tap", "-r", pcap, "--json")
        try #require(outcome.status == 0, "\(outcome)")
        return try outcome.stdoutText.split(separator: "\n").map { line in
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return Segment(
                flags: record["flags"] as? String ?? "?", seq: record["seq"] as? Int ?? -1, ack: record["ack"] as? Int, length: record["bytes"] as? Int ?? -1)
        }
    }

    /// The arrows of a --diagram, in order, and the states written on each lifeline.
    static func diagram(_ svg: String) throws -> (segments: [Segment], windows: [Int], states: [String: [String]]) {
        let arrow = try Regex(#"<g class="segment [a-z]+" data-from="[a-z]+" data-flags="([^"]*)" data-seq="(\d+)" data-ack="(\d*)" data-len="(\d+)">"#)
        let segments = svg.matches(of: arrow).map { match in
            Segment(
                flags: String(match.output[1].substring ?? ""), seq: Int(match.output[2].substring ?? "") ?? -1,
                ack: Int(match.output[3].substring ?? ""), length: Int(match.output[4].substring ?? "") ?? -1)
        }
        let label = try Regex(#"class="label" x="[\d.]+" y="[\d.]+" text-anchor="middle">\[[^\]]*\] seq [\d:]+(?: ack \d+)? win (\d+) len"#)
        let windows = svg.matches(of: label).map { Int($0.output[1].substring ?? "") ?? -1 }
        let state = try Regex(#"data-side="(client|server)" data-state="([A-Z0-9-]+)""#)
        var states: [String: [String]] = [:]
        for match in svg.matches(of: state) {
            states[String(match.output[1].substring ?? ""), default: []].append(String(match.output[2].substring ?? ""))
        }
        return (segments, windows, states)
    }

    /// xmllint accepts it and rsvg-convert renders it to a PNG.
    static func expectValidPicture(_ path: String) async throws {
        let lint = try await run(Paths.xmllint, ["--noout", path])
        #expect(lint.status == 0, "xmllint \(path): \(lint)")
        let png = try TemporaryDirectory.make() + "/picture.png"
        let rendered = try await run(Paths.rsvgConvert, ["-o", png, path])
        #expect(rendered.status == 0, "rsvg-convert \(path): \(rendered)")
        let bytes = try readFile(png)
        #expect(bytes.count > 2_000 && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG of \(bytes.count) bytes")
    }

    /// The JSON summary record of conversation 1.
    static func summary(_ pcap: String) async throws -> [String: Any] {
        let outcome = try await sockscope("tap", "-r", pcap, "--summary", "--json")
        let line = try #require(outcome.stdoutText.split(separator: "\n").first, "\(outcome)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// How many packets tshark's display filter matches.
    static func tsharkCount(_ pcap: String, _ filter: String) async throws -> Int {
        try await run(Paths.tshark, ["-r", pcap, "-Y", filter, "-T", "fields", "-e", "frame.number"]).stdoutText.split(separator: "\n").count
    }
}

extension TapPictureTests {
    @Test(
        "captures of a plain connection, forced retransmissions (nftables drops), a RST, zero windows and crossing FINs read back packet for packet as tshark decodes them; the summary's counts are tshark's; the TIME-WAIT holders are the kernel's",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace, nftables and tcpdump"))
    func scenariosAgainstTshark() async throws {
        for scenario in ["plain", "drops", "reset", "zerowindow", "simultaneous"] {
            let (pcap, timeWait) = try await Self.capture(scenario)
            let theirs = try await Self.tshark(pcap)
            let ours = try await Self.ours(pcap)
            #expect(!ours.isEmpty && ours == theirs.segments, "\(scenario): ours \(ours)\ntshark \(theirs.segments)")

            let record = try await Self.summary(pcap)
            let client = try #require(record["client_port"] as? Int)
            let toServer = try await Self.tsharkCount(pcap, "tcp.dstport == 5000")
            let toClient = try await Self.tsharkCount(pcap, "tcp.srcport == 5000")
            #expect(record["packets_to_server"] as? Int == toServer && record["packets_to_client"] as? Int == toClient, "\(scenario): \(record)")
            for (field, filter) in [
                ("retransmissions", "tcp.analysis.retransmission"), ("out_of_order", "tcp.analysis.out_of_order"),
                ("zero_windows", "tcp.analysis.zero_window"), ("resets_by_server", "tcp.flags.reset == 1 && tcp.srcport == 5000"),
                ("resets_by_client", "tcp.flags.reset == 1 && tcp.dstport == 5000"),
            ] {
                let count = try await Self.tsharkCount(pcap, filter)
                #expect(record[field] as? Int == count, "\(scenario): \(field) \(record[field] ?? "nil"), tshark \(count)")
            }
            // Who holds TIME-WAIT, told from the packets, is who the kernel lists.
            var holders: Set<String> = []
            if record["client_state"] as? String == "TIME-WAIT" { holders.insert("\(client)") }
            if record["server_state"] as? String == "TIME-WAIT" { holders.insert("5000") }
            #expect(holders == timeWait, "\(scenario): ours \(holders), ss \(timeWait)")
        }
    }

    @Test(
        "the numbers tcpdump -n -r prints (relative seq ranges and acks) are ours; pcapng written by tshark -w reads the same as the pcap",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace, nftables and tcpdump"))
    func tcpdumpNumbersAndPcapng() async throws {
        let (pcap, _) = try await Self.capture("drops")
        let ours = try await sockscope("tap", "-r", pcap)
        let dump = try await run(Paths.tcpdump, ["-n", "-r", pcap])
        let theirs = dump.stdoutText.split(separator: "\n")
        let lines = ours.stdoutText.split(separator: "\n").filter { $0.contains("→") }
        try #require(lines.count == theirs.count && !lines.isEmpty, "ours \(lines.count) lines, tcpdump \(theirs.count)")
        for (line, their) in zip(lines, theirs) where !their.contains("Flags [S") {
            // tcpdump: `seq 1:6941, ack 1,` (the range only with data); ours the same words.
            for field in ["seq", "ack"] {
                guard let range = their.range(of: ", \(field) ") else { continue }
                let value = their[range.upperBound...].prefix { $0 != "," }
                #expect(line.contains("\(field) \(value),"), "tcpdump \(their)\nours \(line)")
            }
        }
        let pcapng = pcap + "ng"
        let written = try await run(Paths.tshark, ["-r", pcap, "-F", "pcapng", "-w", pcapng])
        try #require(written.status == 0, "\(written)")
        let fromNG = try await sockscope("tap", "-r", pcapng)
        #expect(fromNG.status == 0 && fromNG.stdoutText == ours.stdoutText, "pcapng (tshark -w) reads as the pcap: \(fromNG.stderr)")
    }

    /// Pairs of `<text>` elements whose boxes overlap, each box estimated from its
    /// position, anchor and length in the monospace font the style sheet names (0.6 of
    /// the font size a character; the size by class: .title 15, .axis .note .tls .time 11,
    /// else 12).
    static func overlappingTexts(_ svg: String) throws -> [(String, String)] {
        let element = try Regex(#"<text class="([^"]*)" x="([-0-9.]+)" y="([-0-9.]+)" text-anchor="([a-z]+)"[^>]*>([^<]*)</text>"#)
        let sizes = ["title": 15.0, "axis": 11, "note": 11, "tls": 11, "time": 11]
        let boxes = svg.matches(of: element).compactMap { match -> (text: String, x0: Double, x1: Double, y0: Double, y1: Double)? in
            guard let x = Double(match.output[2].substring ?? ""), let y = Double(match.output[3].substring ?? "") else { return nil }
            let text = String(match.output[5].substring ?? "")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            let size = sizes[String(match.output[1].substring ?? "")] ?? 12
            let width = Double(text.count) * size * 0.6
            let anchor = match.output[4].substring ?? "start"
            let x0 = anchor == "end" ? x - width : anchor == "middle" ? x - width / 2 : x
            return (text, x0, x0 + width, y - size * 0.8, y + size * 0.2)
        }
        var clashes: [(String, String)] = []
        for (index, a) in boxes.enumerated() {
            for b in boxes[(index + 1)...] where a.x0 < b.x1 - 0.5 && b.x0 < a.x1 - 0.5 && a.y0 < b.y1 - 0.5 && b.y0 < a.y1 - 0.5 {
                clashes.append((a.text, b.text))
            }
        }
        return clashes
    }

    @Test(
        "--diagram draws exactly the capture's segments in order (tshark's flags, seq, ack, length, window) with the states of both sides; --plot marks the retransmissions and zero windows the summary counts; both valid SVG that rsvg-convert renders",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace, nftables and tcpdump"))
    func pictures() async throws {
        let expectedStates: [String: [String: [String]]] = [
            "plain": [
                "client": ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"],
                "server": ["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"],
            ],
            "reset": [
                "client": ["CLOSED", "SYN-SENT", "ESTABLISHED", "CLOSED"], "server": ["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSED"],
            ],
            "simultaneous": [:], "drops": [:], "zerowindow": [:],
        ]
        for (scenario, states) in expectedStates.sorted(by: { $0.key < $1.key }) {
            let (pcap, _) = try await Self.capture(scenario)
            let directory = try TemporaryDirectory.make()
            let outcome = try await sockscope("tap", "-r", pcap, "--summary", "--diagram", directory + "/d.svg", "--plot", directory + "/p.svg")
            #expect(outcome.status == 0 && outcome.stderr.contains("sequence diagram of TCP conversation 1"), "\(scenario): \(outcome)")
            let svg = String(decoding: try readFile(directory + "/d.svg"), as: UTF8.self)
            let drawn = try Self.diagram(svg)
            let theirs = try await Self.tshark(pcap)
            #expect(drawn.segments == theirs.segments, "\(scenario): diagram \(drawn.segments)\ntshark \(theirs.segments)")
            #expect(drawn.windows == theirs.windows, "\(scenario): windows \(drawn.windows), tshark's calculated \(theirs.windows)")
            if !states.isEmpty { #expect(drawn.states == states, "\(scenario): \(drawn.states)") }
            if scenario == "simultaneous" {
                // Either FIN may go first, and either resend may arrive first: each side goes
                // FIN-WAIT-1, then CLOSING (the other's FIN first) or FIN-WAIT-2 (the ACK of
                // its own first), then TIME-WAIT. The second side is drawn in CLOSE-WAIT
                // until its own FIN shows it had not had the other's (left out here).
                let paths = drawn.states.mapValues { Array($0.filter { $0 != "CLOSE-WAIT" }.suffix(3)) }
                let valid = [["FIN-WAIT-1", "CLOSING", "TIME-WAIT"], ["FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]]
                #expect(paths.count == 2 && paths.values.allSatisfy(valid.contains) && paths.values.contains(valid[0]), "\(drawn.states)")
            }
            try await Self.expectValidPicture(directory + "/d.svg")
            try await Self.expectValidPicture(directory + "/p.svg")

            let plot = String(decoding: try readFile(directory + "/p.svg"), as: UTF8.self)
            for (name, picture) in [("plot", plot), ("diagram", svg)] {
                let clashes = try Self.overlappingTexts(picture)
                #expect(clashes.isEmpty, "\(scenario): \(name) labels overlap: \(clashes)")
            }
            let record = try await Self.summary(pcap)
            for (mark, field) in [("retransmission", "retransmissions"), ("out-of-order", "out_of_order"), ("zero-window", "zero_windows")] {
                let counts = try plot.matches(of: Regex("class=\"\(mark)\" data-count=\"(\\d+)\"")).compactMap { Int($0.output[1].substring ?? "") }
                #expect(counts.count == 2 && counts.reduce(0, +) == record[field] as? Int, "\(scenario): \(mark) marks \(counts), summary \(record)")
            }
            // Every SACK block tshark decodes is a purple bar.
            let sackEdges = try await run(Paths.tshark, ["-r", pcap, "-T", "fields", "-e", "tcp.options.sack_le"]).stdoutText
            let blocks = sackEdges.split(separator: "\n").map { $0.split(separator: ",").count }.reduce(0, +)
            let bars = try plot.matches(of: Regex(#"class="sack" data-count="(\d+)""#)).compactMap { Int($0.output[1].substring ?? "") }
            #expect(bars.reduce(0, +) == blocks && (scenario != "drops" || blocks > 0), "\(scenario): SACK bars \(bars), tshark's blocks \(blocks)")
        }
    }
}

extension TapPictureTests {
    @Test(
        "live: connect --tap --diagram --plot and demo --diagram draw the connection the timeline shows, arrow for line, with both sides' states",
        .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
    func liveTaps() async throws {
        let directory = try TemporaryDirectory.make()
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope(
            "connect", "--diagram", directory + "/c.svg", "--plot", directory + "/c-plot.svg", "127.0.0.1", "\(port)", input: Array("hello".utf8))
        #expect(outcome.status == 0 && outcome.stdoutText == "HELLO", "\(outcome)")
        let timeline = TapTests.timeline(outcome.stderr)
        let drawn = try Self.diagram(String(decoding: try readFile(directory + "/c.svg"), as: UTF8.self))
        #expect(!drawn.segments.isEmpty && drawn.segments.count == timeline.count, "diagram \(drawn.segments), timeline \(timeline)")
        #expect(drawn.segments.first?.flags == "S" && drawn.segments.map(\.flags).contains("F."), "\(drawn.segments)")
        #expect(drawn.states["client"]?.last == "TIME-WAIT" && drawn.states["server"]?.first == "LISTEN", "\(drawn.states)")
        try await Self.expectValidPicture(directory + "/c.svg")
        try await Self.expectValidPicture(directory + "/c-plot.svg")

        // listen --tap --diagram draws the first client's connection.
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--upper", "--diagram", directory + "/l.svg", "127.0.0.1", "0"])
        defer { listener.kill() }
        let listenPort = try await listener.announcedPort()
        let client = try await run(Paths.python, [Paths.peer("tcp_client.py"), "127.0.0.1", "\(listenPort)", "classic", "hello"])
        #expect(client.status == 0 && client.stdoutText == "HELLO", "\(client)")
        let served = try await listener.finish(timeout: .seconds(10))
        #expect(served == 0 && listener.stderrText.contains("sequence diagram of the first connection captured"), "\(listener.stderrText)")
        let listened = try Self.diagram(String(decoding: try readFile(directory + "/l.svg"), as: UTF8.self))
        #expect(listened.segments.first?.flags == "S" && listened.states["server"]?.first == "LISTEN", "\(listened)")

        // demo --tls: the TLS records are written under their segments.
        let tls = try await sockscope("demo", "--tls", "--diagram", directory + "/tls.svg")
        let tlsSVG = String(decoding: try readFile(directory + "/tls.svg"), as: UTF8.self)
        #expect(tls.status == 0 && tlsSVG.contains(">TLS ClientHello: SNI localhost") && tlsSVG.contains(">TLS ServerHello: TLSv1.3"), "\(tls)")

        let demo = try await sockscope("demo", "--diagram", directory + "/demo.svg")
        #expect(demo.status == 0 && demo.stderr.contains("sequence diagram of the demo's connection"), "\(demo)")
        let packets = demo.stdoutText.split(separator: "\n").filter { $0.contains("packet ") }
        let demoDrawn = try Self.diagram(String(decoding: try readFile(directory + "/demo.svg"), as: UTF8.self))
        #expect(!packets.isEmpty && demoDrawn.segments.count == packets.count, "diagram \(demoDrawn.segments), demo packets \(packets)")
        #expect(demoDrawn.states["client"] == ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"], "\(demoDrawn.states)")
        try await Self.expectValidPicture(directory + "/demo.svg")
    }

    @Test(
        "usage and failures: --conversation without a picture or below 1, probe and demo --no-packets with --diagram, nothing to draw (exit 1, no file left), an unwritable path (73)"
    )
    func pictureErrors() async throws {
        let directory = try TemporaryDirectory.make()
        try await expectFailure(["tap", "-r", "x.pcap", "--conversation", "2"], "--conversation picks what --diagram or --plot draws")
        try await expectFailure(["tap", "-r", "x.pcap", "--diagram", directory + "/d.svg", "--conversation", "0"], "--conversation counts from 1")
        try await expectFailure(["probe", "--diagram", directory + "/d.svg", "127.0.0.1", "1"], "probe makes one per port")
        try await expectFailure(["demo", "--no-packets", "--plot", directory + "/d.svg"], "--no-packets captures none")
        try await expectFailure(["connect", "-u", "--diagram", directory + "/d.svg", "127.0.0.1", "9"], "follow TCP connections")

        let empty = try await TapReadTests.syntheticPcap(dlt: 1, count: 2)
        let nothing = try await sockscope("tap", "-r", empty, "--diagram", directory + "/none.svg", "--conversation", "3")
        #expect(nothing.status == 1 && nothing.stderr.contains("nothing to draw: TCP conversation 3 of 0 was not seen"), "\(nothing)")
        #expect(access(directory + "/none.svg", F_OK) != 0, "an empty picture is not left behind")
        try await expectFailure(["tap", "-r", empty, "--plot", "/nonexistent/dir/p.svg"], "cannot create /nonexistent/dir/p.svg", status: 73)
    }
}

extension TapPictureTests {
    @Test("the README's diagram is one sockscope demo --diagram wrote: valid, rendered, the demo's eleven segments and both sides' states")
    func readmeDiagram() async throws {
        let path = Paths.packageRoot + "/docs/demo-diagram.svg"
        let readme = String(decoding: try readFile(Paths.packageRoot + "/README.md"), as: UTF8.self)
        #expect(readme.contains("](docs/demo-diagram.svg)"))
        let drawn = try Self.diagram(String(decoding: try readFile(path), as: UTF8.self))
        #expect(drawn.segments.map(\.flags) == ["S", "S.", ".", "P.", ".", "P.", ".", "F.", ".", "F.", "."], "\(drawn.segments)")
        #expect(drawn.states["client"] == ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"], "\(drawn.states)")
        #expect(drawn.states["server"] == ["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"], "\(drawn.states)")
        try await Self.expectValidPicture(path)
    }
}

extension TapPictureTests {
    @Test("what goes wrong, from a written pcap: SYN unanswered with its ICMP error drawn, half-open, joined mid-stream; --conversation N draws the Nth")
    func anomalies() async throws {
        let directory = try TemporaryDirectory.make()
        let pcap = directory + "/anomalies.pcap"
        let made = try await run(Paths.python, [Paths.peer("tcp_anomalies_pcap.py"), pcap])
        try #require(made.status == 0, "\(made)")
        let summary = try await sockscope("tap", "-r", pcap, "--summary", "--json")
        let notes = try summary.stdoutText.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["notes"] as? [String] ?? []
        }
        #expect(
            notes == [["SYN unanswered"], ["half-open (the handshake's last ACK was not seen)"], ["no handshake seen (joined mid-stream)"]],
            "\(summary)")

        let first = try await sockscope("tap", "-r", pcap, "--diagram", directory + "/1.svg")
        let svg = String(decoding: try readFile(directory + "/1.svg"), as: UTF8.self)
        #expect(first.status == 0 && svg.contains(#"<g class="icmp" data-to="client" data-message="admin prohibited">"#), "\(first)")
        #expect(try Self.diagram(svg).segments == [Segment(flags: "S", seq: 0, ack: nil, length: 0)])

        let second = try await sockscope("tap", "-r", pcap, "--diagram", directory + "/2.svg", "--conversation", "2")
        let drawn = try Self.diagram(String(decoding: try readFile(directory + "/2.svg"), as: UTF8.self))
        #expect(second.status == 0 && drawn.segments.map(\.flags) == ["S", "S."], "\(second) \(drawn)")
        #expect(second.stderr.contains("sequence diagram of TCP conversation 2 of 3 (2 segments)"), "\(second.stderr)")
        #expect(drawn.states == ["client": ["CLOSED", "SYN-SENT", "ESTABLISHED"], "server": ["LISTEN", "SYN-RECEIVED"]], "\(drawn.states)")
        let third = try await sockscope("tap", "-r", pcap, "--diagram", directory + "/3.svg", "--conversation", "3")
        let thirdSVG = String(decoding: try readFile(directory + "/3.svg"), as: UTF8.self)
        #expect(third.status == 0 && thirdSVG.contains("joined mid-stream"), "\(third)")
        try await Self.expectValidPicture(directory + "/1.svg")
    }
}
