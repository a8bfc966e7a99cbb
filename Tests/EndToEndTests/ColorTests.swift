import Testing

/// `--color` wherever colour can appear: the tap's timeline (tap, and connect/listen
/// --tap on stderr) colours flags, states and notes on a terminal, or when asked.
@Suite("colour")
struct ColorTests {
    static let escape = "\u{1B}["

    /// The text without its SGR sequences.
    static func plain(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: escape) {
            result += rest[..<start.lowerBound]
            rest = rest[start.upperBound...].drop { $0 != "m" }.dropFirst()
        }
        return result + rest
    }

    @Test("tap -r --color always: flags bold, the states each side enters cyan, and without the colour the very lines of --color never (the default on a pipe)")
    func tapTimeline() async throws {
        let pcap = try await TrustTests.hostilePcap("backwards")
        let coloured = try await sockscope("tap", "-r", pcap, "--color", "always")
        let never = try await sockscope("tap", "-r", pcap, "--color", "never")
        let piped = try await sockscope("tap", "-r", pcap)
        #expect(coloured.status == 0 && never.status == 0, "\(coloured) \(never)")
        #expect(coloured.stdoutText.contains("\(Self.escape)1m[S]  "), "\(coloured.stdoutText)")
        #expect(coloured.stdoutText.contains("\(Self.escape)36mclient: SYN-SENT"), "\(coloured.stdoutText)")
        #expect(!never.stdoutText.contains(Self.escape) && !piped.stdoutText.contains(Self.escape))
        #expect(Self.plain(coloured.stdoutText) == never.stdoutText)
        #expect(piped.stdoutText == never.stdoutText)
        let json = try await sockscope("tap", "-r", pcap, "--color", "always", "--json")
        #expect(json.status == 0 && !json.stdoutText.contains(Self.escape), "JSON is never coloured")
    }

    @Test("connect and listen take --color (a bad value is a usage error)")
    func connectAndListenParse() async throws {
        let refused = try await sockscope("connect", "--color", "always", "127.0.0.1", "1")
        #expect(refused.status == 69, "a refusal, not a usage error: \(refused)")
        let bad = try await sockscope("listen", "--color", "sometimes", "127.0.0.1", "0")
        #expect(bad.status == 64, "\(bad)")
    }

    @Test(
        "connect --tap --color always: the timeline on stderr is coloured, the data on stdout is not",
        .enabled(if: Paths.isRoot, "skipped: needs root to capture"))
    func connectTap() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "--send-only", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let outcome = try await sockscope("connect", "--tap", "--color", "always", "--recv-only", "127.0.0.1", "\(port)")
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stderr.contains("\(Self.escape)36mclient: SYN-SENT"), "\(outcome.stderr)")
        #expect(!outcome.stdoutText.contains(Self.escape))
    }
}
