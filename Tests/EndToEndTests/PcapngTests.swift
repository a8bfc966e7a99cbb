import Foundation
import Testing

/// pcapng files that carry the tap's annotations: written by connect, tap, probe and
/// demo, read by tshark, capinfos and editcap (Wireshark's own readers), and read back
/// by `tap --read`, with another tool's comments (Tests/Peers/pcapng_build.py).
@Suite("pcapng with annotations")
struct PcapngTests {
    /// tshark's packet comments, one per frame ("" for a frame without one).
    static func comments(_ path: String) async throws -> [String] {
        let fields = try await run(Paths.tshark, ["-r", path, "-T", "fields", "-e", "frame.comment"])
        try #require(fields.status == 0, "\(fields)")
        return fields.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// What a timeline line says after the packet's fields — the states each side entered
    /// and the notes — written as a packet comment is: parts separated by "; ".
    static func annotation(_ line: String) -> String {
        guard let length = line.range(of: #"len \d+"#, options: .regularExpression) else { return "" }
        var rest = line[length.upperBound...].trimmingCharacters(in: .whitespaces)
        var notes: [String] = []
        if let open = rest.range(of: "("), rest.hasSuffix(")") {
            notes = rest[open.upperBound..<rest.index(before: rest.endIndex)].components(separatedBy: ", ")
            rest = rest[..<open.lowerBound].trimmingCharacters(in: .whitespaces)
        }
        let states =
            rest.isEmpty ? [] : rest.replacingOccurrences(of: #", (client|server):"#, with: "; $1:", options: .regularExpression).components(separatedBy: "; ")
        return (states + notes).joined(separator: "; ")
    }

    @Test(
        "connect --pcap-out F.pcapng: tshark shows exactly the tap's annotations, one per annotated packet; capinfos sees the command line, the version, the interface and nanosecond time",
        .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
    func connectAnnotations() async throws {
        let directory = try TemporaryDirectory.make()
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let path = directory + "/c.pcapng"
        let outcome = try await sockscope("connect", "--pcap-out", path, "127.0.0.1", "\(port)", input: Array("pcapng".utf8))
        #expect(outcome.status == 0 && outcome.stdoutText == "PCAPNG", "\(outcome)")
        let lines = TapTests.timeline(outcome.stderr)
        let comments = try await Self.comments(path)
        #expect(lines.count >= 8 && comments.count == lines.count, "tshark read \(comments.count) frames, the tap showed \(lines.count)")
        #expect(comments == lines.map(Self.annotation), "tshark: \(comments)\ntap: \(lines)")
        #expect(comments.first == "client: SYN-SENT" && comments.last == "server: CLOSED", "\(comments)")
        #expect(comments.contains(""), "a packet without an annotation carries no comment: \(comments)")
        let expert = try await run(Paths.tshark, ["-r", path, "-q", "-z", "expert"])
        let listed = expert.stdoutText.components(separatedBy: "Comments (").dropFirst().first ?? ""
        let annotated = comments.filter { !$0.isEmpty }
        #expect(listed.hasPrefix("\(annotated.count))"), "Wireshark's expert info: \(expert.stdoutText)")
        for comment in annotated { #expect(listed.contains("Frame  " + comment), "expert info lacks \(comment): \(listed)") }
        let info = try await run(Paths.capinfos, [path])
        #expect(info.status == 0, "\(info)")
        for fact in [
            "pcapng", "nanoseconds (9)", "Capture application: sockscope 0.", "Capture comment:     sockscope 0.",
            "sockscope connect --pcap-out \(path) 127.0.0.1 \(port)", "Name = lo", "Ethernet", "Capture length = 128",
        ] {
            #expect(info.stdoutText.contains(fact), "capinfos lacks \(fact): \(info.stdoutText)")
        }
    }

    @Test(
        "tap --read of our pcapng: the comments come back (JSON 'comment'), the same timeline as the live tap; --summary and --diagram work on it; tap -w copies it with its comments; editcap round-trips it (pcapng and pcap)",
        .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
    func readBack() async throws {
        let directory = try TemporaryDirectory.make()
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let path = directory + "/c.pcapng"
        let live = try await sockscope("connect", "--tap", "--pcapng", "--pcap-out", path, "127.0.0.1", "\(port)", input: Array("again".utf8))
        #expect(live.status == 0, "\(live)")
        let liveLines = TapTests.timeline(live.stderr).map(Self.annotation)
        let read = try await sockscope("tap", "-r", path, "--json")
        #expect(read.status == 0, "\(read)")
        let records = read.stdoutText.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let readComments = records.map { $0["comment"] as? String ?? "" }
        #expect(readComments == liveLines, "read back: \(readComments)\nlive: \(liveLines)")
        let text = try await sockscope("tap", "-r", path)
        #expect(!text.stdoutText.contains("comment:"), "our own annotations are not repeated under the packet: \(text.stdoutText)")
        let summary = try await sockscope("tap", "-r", path, "--summary", "--diagram", directory + "/d.svg", "--plot", directory + "/p.svg")
        #expect(summary.status == 0 && summary.stdoutText.contains("client TIME-WAIT"), "\(summary)")
        #expect(FileManager.default.fileExists(atPath: directory + "/d.svg") && FileManager.default.fileExists(atPath: directory + "/p.svg"))
        let copy = try await sockscope("tap", "-r", path, "-w", directory + "/copy.pcapng")
        #expect(copy.status == 0, "\(copy)")
        let original = try await Self.comments(path)
        #expect(try await Self.comments(directory + "/copy.pcapng") == original)
        let round = try await run(Paths.editcap, ["-F", "pcapng", path, directory + "/round.pcapng"])
        #expect(round.status == 0, "\(round)")
        #expect(try await Self.comments(directory + "/round.pcapng") == original, "editcap kept the comments")
        let again = try await sockscope("tap", "-r", directory + "/round.pcapng", "--json")
        #expect(again.stdoutText.split(separator: "\n").count == records.count, "\(again)")
        let classic = try await run(Paths.editcap, ["-F", "pcap", path, directory + "/round.pcap"])
        #expect(classic.status == 0, "\(classic)")
        let fromPcap = try await sockscope("tap", "-r", directory + "/round.pcap")
        #expect(TapTests.timeline(fromPcap.stdoutText) == TapTests.timeline(text.stdoutText), "the same packets and states from the pcap copy")
    }

    @Test(
        "connect -v and listen -v with a pcapng --pcap-out: the packets a socket call sent name it (connect: SYN and the handshake's ACK; shutdown: the FIN); the peer's packets and data name none",
        .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
    func verboseCalls() async throws {
        let directory = try TemporaryDirectory.make()
        let server = try BackgroundProcess(Paths.python, [Paths.peer("tcp_server.py"), "upper"])
        defer { server.kill() }
        let port = Int(try await server.announcedPort(marker: "", inStdout: true))
        let path = directory + "/v.pcapng"
        let outcome = try await sockscope("connect", "-v", "--pcap-out", path, "127.0.0.1", "\(port)", input: Array("calls".utf8))
        #expect(outcome.status == 0 && outcome.stdoutText == "CALLS", "\(outcome)")
        let fd = try #require(outcome.stderr.firstMatch(of: /socket\(AF_INET, SOCK_STREAM\) → fd (\d+)/)?.1, "\(outcome.stderr)")
        let frames = try await Self.framesAndComments(path)
        let ours = frames.filter { $0.source != port }
        let theirs = frames.filter { $0.source == port }
        let connect = "call connect(fd \(fd), 127.0.0.1:\(port))"
        #expect(ours.first?.comment == connect + "; client: SYN-SENT", "\(frames)")
        #expect(ours.dropFirst().first?.comment.hasPrefix(connect) == true, "the handshake's ACK: \(frames)")
        #expect(ours.contains { $0.flags.contains("F") && $0.comment.hasPrefix("call shutdown(fd \(fd), SHUT_WR); client: FIN-WAIT-1") }, "\(frames)")
        #expect(theirs.allSatisfy { !$0.comment.contains("call ") }, "\(frames)")
        #expect(ours.contains { $0.flags.contains("P") && !$0.comment.contains("call ") }, "writes are not traced: \(frames)")

        let listenPath = directory + "/l.pcapng"
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "--pcap-out", listenPath, "127.0.0.1", "0"])
        defer { listener.kill() }
        let listenPort = Int(try await listener.announcedPort())
        let client = try await sockscope("connect", "127.0.0.1", "\(listenPort)", input: Array("hi".utf8))
        #expect(client.status == 0, "\(client)")
        _ = try await listener.finish(timeout: .seconds(10))
        let served = try await Self.framesAndComments(listenPath)
        #expect(
            served.contains { $0.source == listenPort && $0.flags.contains("F") && $0.comment.contains(/^call (shutdown|close)\(fd \d+/) },
            "\(served)")
        #expect(served.filter { $0.source != listenPort }.allSatisfy { !$0.comment.contains("call ") }, "\(served)")
    }

    /// Each frame's TCP source port, flags (tshark's tcp.flags.str) and comment.
    static func framesAndComments(_ path: String) async throws -> [(source: Int, flags: String, comment: String)] {
        let fields = try await run(Paths.tshark, ["-r", path, "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.flags.str", "-e", "frame.comment"])
        try #require(fields.status == 0, "\(fields)")
        return fields.stdoutText.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return (Int(parts[0]) ?? -1, parts.count > 1 ? parts[1] : "", parts.count > 2 ? parts[2] : "")
        }
    }

    @Test(
        "demo --pcap-out F.pcapng: each packet's comment names the socket call of the step that sent it and the states it caused; tap --read shows them",
        .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
    func demoCalls() async throws {
        let directory = try TemporaryDirectory.make()
        let path = directory + "/demo.pcapng"
        let demo = try await sockscope("demo", "--pcap-out", path)
        #expect(demo.status == 0, "\(demo)")
        let comments = try await Self.comments(path)
        #expect(comments.count >= 10, "\(comments)")
        #expect(comments.first?.hasPrefix("call connect(fd ") == true && comments.first?.hasSuffix("; client: SYN-SENT") == true, "\(comments)")
        #expect(comments.contains { $0.contains("call send(") }, "\(comments)")
        #expect(comments.contains { $0.contains("shutdown(fd ") && $0.contains("client: FIN-WAIT-1") }, "\(comments)")
        #expect(comments.contains { $0.contains("call close(fd ") && $0.contains("client: TIME-WAIT") }, "\(comments)")
        let read = try await sockscope("tap", "-r", path)
        #expect(read.stdoutText.contains("comment: call connect(fd "), "\(read.stdoutText)")
    }

    @Test(
        "another tool's pcapng (either byte order, two sections, obsolete and simple packet blocks, blocks without packets): tap --read shows its comments where tshark does, escaped; -w keeps them beside the tap's",
        arguments: ["big", "little"])
    func foreignComments(_ order: String) async throws {
        let directory = try TemporaryDirectory.make()
        let path = directory + "/\(order).pcapng"
        let made = try await run(Paths.python, [Paths.peer("pcapng_build.py"), path, order])
        try #require(made.status == 0, "\(made)")
        let theirs = try await Self.comments(path)
        let read = try await sockscope("tap", "-r", path, "--json")
        #expect(read.status == 0, "\(read)")
        let ours = read.stdoutText.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .map { ($0["comment"] as? String ?? "").replacingOccurrences(of: "\n", with: "\\n") }
        #expect(ours == theirs && theirs.filter { !$0.isEmpty }.count == 3, "ours \(ours)\ntshark \(theirs)")
        let text = try await sockscope("tap", "-r", path)
        #expect(text.stdoutText.contains(#"comment: escape \x1b[31m and\na newline"#) && !text.stdoutText.contains("\u{1b}"), "\(text.stdoutText)")
        let copy = try await sockscope("tap", "-r", path, "-w", directory + "/copy.pcapng")
        #expect(copy.status == 0, "\(copy)")
        let copied = try await Self.comments(directory + "/copy.pcapng")
        #expect(copied.first == "SYN from the hand-made client; client: SYN-SENT" && copied[1] == "server: SYN-RECEIVED; client: ESTABLISHED", "\(copied)")
    }

    @Test("usage and failures: --pcapng without --pcap-out, a pcapng file that cannot be written completely (74)")
    func failures() async throws {
        try await expectFailure(["tap", "--pcapng"], "--pcapng is the format of the --pcap-out file")
        try await expectFailure(["connect", "--pcapng", "127.0.0.1", "9"], "--pcapng is the format of the --pcap-out file")
        try await expectFailure(["demo", "--pcapng"], "--pcapng is the format of the --pcap-out file")
        try await expectFailure(["demo", "--no-packets", "--pcap-out", "x.pcapng"], "--no-packets captures none")
        let directory = try TemporaryDirectory.make()
        let made = try await run(Paths.python, [Paths.peer("pcapng_build.py"), directory + "/in.pcapng", "little"])
        try #require(made.status == 0)
        let full = try await sockscope("tap", "-r", directory + "/in.pcapng", "--pcapng", "-w", "/dev/full")
        #expect(full.status == 74 && full.stderr.contains("cannot write /dev/full") && !full.stderr.contains("written to"), "\(full)")
    }
}
