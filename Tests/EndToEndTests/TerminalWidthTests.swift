import Foundation
import Testing

/// Output fitted to the terminal: on a pseudo-terminal of 80 and 120 columns
/// (Tests/Peers/pty_run.py) every line of tap, probe and sockets fits; piped, or with
/// --wide, tap's lines are whole.
@Suite("output fits the terminal")
struct TerminalWidthTests {
    /// The lines a command wrote on a pseudo-terminal `columns` wide, colour codes removed.
    static func onTerminal(_ columns: Int, _ arguments: [String]) async throws -> [String] {
        let outcome = try await run(Paths.python, [Paths.peer("pty_run.py"), "\(columns)", Paths.sockscope] + arguments, timeout: .seconds(90))
        let plain = outcome.stdoutText.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        return plain.split(separator: "\n").map(String.init)
    }

    @Test(
        "tap -r of a real handshake and transfer: every line within 80 and 120 columns on a terminal, the fields, states and notes under their line; whole lines when piped or with --wide",
        .enabled(if: Paths.isRoot, "skipped: the capture is made in a network namespace (unshare -n) with tcpdump"))
    func tapLines() async throws {
        let pcap = try TemporaryDirectory.make() + "/plain.pcap"
        let made = try await run(Paths.unshare, ["-n", Paths.python, Paths.peer("tcp_scenarios.py"), "plain", pcap], timeout: .seconds(60))
        try #require(made.status == 0, "\(made)")
        for columns in [80, 120] {
            let lines = try await Self.onTerminal(columns, ["tap", "-r", pcap])
            #expect(lines.count > 8, "\(lines)")
            let long = lines.filter { $0.count > columns }
            #expect(long.isEmpty, "\(columns) columns: \(long)")
            #expect(lines.contains { $0.contains("client: SYN-SENT") }, "the states are still there: \(lines)")
        }
        let piped = try await sockscope("tap", "-r", pcap)
        let whole = piped.stdoutText.split(separator: "\n").filter { $0.contains("[S]") }
        #expect(whole.count == 1 && whole[0].count > 120 && whole[0].contains("client: SYN-SENT"), "\(whole)")
        let wide = try await Self.onTerminal(80, ["tap", "--wide", "-r", pcap])
        #expect(wide.contains { $0.count > 120 && $0.contains("[S]") && $0.contains("client: SYN-SENT") }, "\(wide)")
        // --summary's rows too: fitted on a terminal, whole when piped.
        let summary = try await Self.onTerminal(80, ["tap", "--summary", "-r", pcap])
        #expect(summary.contains { $0.contains("client TIME-WAIT") } && summary.allSatisfy { $0.count <= 80 }, "\(summary)")
        let pipedSummary = try await sockscope("tap", "--summary", "-r", pcap)
        #expect(pipedSummary.stdoutText.split(separator: "\n").contains { $0.count > 80 && $0.contains("client TIME-WAIT") }, "\(pipedSummary)")
    }

    @Test("probe's table and sockets' table fit 80 columns on a terminal of 80")
    func tables() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "-k", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let probe = try await Self.onTerminal(80, ["probe", "--all", "127.0.0.1", "\(port - 2)-\(port)"])
        #expect(probe.contains { $0.contains("open") } && probe.allSatisfy { $0.count <= 80 }, "\(probe)")
        for columns in [60, 80] {
            let sockets = try await Self.onTerminal(columns, ["sockets", "-tanp", "--port", "\(port)"])
            #expect(sockets.contains { $0.contains("LISTEN") } && sockets.allSatisfy { $0.count <= columns }, "\(columns): \(sockets)")
            #expect(sockets.contains { $0.contains("sockscope(") }, "the process is still shown: \(sockets)")
        }
        let wide = try await Self.onTerminal(60, ["sockets", "--wide", "-tanp", "--port", "\(port)"])
        #expect(wide.contains { $0.count > 60 && $0.contains("LISTEN") && $0.contains("sockscope(") }, "\(wide)")
    }

    @Test("probe --tls's certificate table fits a terminal of 80 columns (issuer, expiry and verification under the row); piped, a row is whole")
    func tlsTable() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "--tls", "-v", "-k", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        for columns in [80] {
            let lines = try await Self.onTerminal(columns, ["probe", "--tls", "127.0.0.1", "\(port)"])
            #expect(
                lines.contains { $0.contains("X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT") } && lines.allSatisfy { $0.count <= columns }, "\(columns): \(lines)")
        }
        let piped = try await sockscope("probe", "--tls", "127.0.0.1", "\(port)")
        #expect(
            piped.stdoutText.split(separator: "\n").contains { $0.hasPrefix("\(port)/tcp") && $0.contains("TLSv1.3") && $0.contains("X509_V_ERR_DEPTH_ZERO") },
            "\(piped)")
    }

    @Test("demo's narration fits a terminal of 80 columns (explanations and packet lines broken between words), whole when piped")
    func demo() async throws {
        let packets = Paths.isRoot ? [] : ["--no-packets"]
        let lines = try await Self.onTerminal(80, ["demo"] + packets)
        #expect(lines.contains { $0.contains("TIME-WAIT") } && lines.allSatisfy { $0.count <= 80 }, "\(lines.filter { $0.count > 80 })")
        let piped = try await run(Paths.sockscope, ["demo"] + packets)
        #expect(piped.stdoutText.split(separator: "\n").contains { $0.count > 80 }, "piped lines are whole")
    }

    @Test("usage: --wide with --json (tap, sockets)")
    func usage() async throws {
        try await expectFailure(["tap", "--wide", "--json", "-r", "x.pcap"], "--wide keeps the text lines whole; --json prints none")
        try await expectFailure(["sockets", "--wide", "--json"], "--wide keeps the table's rows whole; --json prints none")
    }
}
