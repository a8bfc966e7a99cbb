import Foundation
import Glibc
import Testing

/// probe over several targets: a line (or `probe_host` record) per host before the
/// totals, and progress on a terminal even when --json goes to a file.
@Suite("probe: many hosts")
struct ProbeHostTests {
    static func hostRecords(_ outcome: Outcome) throws -> [String: [String: Any]] {
        var hosts: [String: [String: Any]] = [:]
        for line in outcome.stdoutText.split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if record["type"] as? String == "probe_host", let address = record["address"] as? String { hosts[address] = record }
        }
        return hosts
    }

    @Test("two loopback hosts: one with an open port, one answering with RSTs only; text rows and totals; probe_host records")
    func loopbackHosts() async throws {
        let port = try freePort()
        let listener = try BackgroundProcess(Paths.python, [Paths.peer("listeners.py"), "--host", "127.0.0.1", "\(port)"])
        defer { listener.kill() }
        _ = try await listener.waitForLine(containing: "ready", inStdout: true)
        let ports = "\(port),\(port + 1)"
        let text = try await sockscope("probe", "127.0.0.1,127.0.0.2", ports)
        #expect(text.status == 0, "\(text)")
        let rows = text.stdoutText.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.contains { $0.first == "127.0.0.1" && $0.count >= 5 && $0[1] == "yes" && $0[2] == "1" && $0.last == "\(port)" }, "\(text.stdoutText)")
        #expect(rows.contains { $0.first == "127.0.0.2" && $0.count >= 5 && $0[1] == "yes" && $0[2] == "0" && $0.last == "-" }, "\(text.stdoutText)")
        #expect(text.stdoutText.contains("2 hosts probed in ") && text.stdoutText.contains(": 2 answering, 1 open port"), "\(text.stdoutText)")

        let json = try await sockscope("probe", "--json", "127.0.0.1,127.0.0.2", ports)
        let hosts = try Self.hostRecords(json)
        #expect(hosts["127.0.0.1"]?["open_ports"] as? [Int] == [Int(port)] && hosts["127.0.0.1"]?["answering"] as? Bool == true, "\(json)")
        #expect(hosts["127.0.0.2"]?["open"] as? Int == 0 && hosts["127.0.0.2"]?["closed"] as? Int == 2, "\(json)")
        #expect((hosts["127.0.0.2"]?["rtt_median_ms"] as? Double).map { $0 > 0 } == true, "\(json)")
    }

    @Test(
        "a host whose ports all drop (nftables) is not answering, with no median; the other answers",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces and nftables"))
    func silentHost() async throws {
        let network = try await TestNetwork.make(targetRules: ["tcp dport { 7100, 7101 } drop"])
        defer { network.removeNow() }
        let outcome = try await network.runInClient(
            Paths.sockscope, ["probe", "--json", "--timeout", "0.3", "--retries", "0", "127.0.0.1,\(network.targetAddress)", "7100,7101"])
        let hosts = try Self.hostRecords(outcome)
        let silent = try #require(hosts[network.targetAddress], "\(outcome)")
        #expect(silent["answering"] as? Bool == false && silent["not_answered"] as? Int == 2 && silent["rtt_median_ms"] is NSNull, "\(silent)")
        #expect(hosts["127.0.0.1"]?["answering"] as? Bool == true, "\(outcome)")
    }

    @Test("on a terminal the progress line shows even with --json going to a file, and the file holds only records")
    func progressWithJSON() async throws {
        let directory = try TemporaryDirectory.make()
        let file = directory + "/scan.jsonl"
        // script(1) gives the scan a terminal; --rate 2000 over 3,000 ports takes 1.5 s (progress starts after 1 s).
        let outcome = try await run(
            "/usr/bin/script", ["-qec", "\(Paths.sockscope) probe --json --rate 2000 127.0.0.1 1-3000 > \(file)", "/dev/null"], timeout: .seconds(30))
        #expect(outcome.stdoutText.contains("/3000 ports · "), "the terminal saw progress: \(outcome)")
        let lines = String(decoding: try readFile(file), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 3000 && lines.allSatisfy { $0.hasPrefix("{\"type\":\"port\"") }, "\(lines.count) lines")
    }
}
