import Foundation
import Testing

/// `merge`: shards' and resumed runs' outputs back into one scan, from JSON Lines, nmap's
/// XML or both.
@Suite("merge")
struct MergeTests {
    /// Three shards of a scan of 127.0.0.1-4 (one port open on 127.0.0.2) as JSON Lines
    /// and XML, and the unsharded scan.
    static func shards() async throws -> (String, UInt16) {
        let directory = try TemporaryDirectory.make()
        let open = try freePort()
        let server = try BackgroundProcess(Paths.python, ["-m", "http.server", "--bind", "127.0.0.2", "\(open)"])
        defer { server.kill() }
        _ = try await server.waitForLine(containing: "Serving HTTP", inStdout: true)
        let ports = "\(open),9,\(try freePort())"
        for shard in 1...3 {
            let part = try await run(
                Paths.sockscope, ["probe", "--json", "--seed", "4", "--shard", "\(shard)/3", "-oX", directory + "/s\(shard).xml", "127.0.0.1-4", ports])
            try writeFile(directory + "/s\(shard).jsonl", Array(part.stdoutText.utf8))
        }
        let whole = try await run(Paths.sockscope, ["probe", "--json", "127.0.0.1-4", ports])
        try writeFile(directory + "/all.jsonl", Array(whole.stdoutText.utf8))
        return (directory, open)
    }

    @Test(
        "JSON Lines shards (one given twice, as a re-run task would leave it) merge into the unsharded scan: its port records once each, host records, the totals"
    )
    func jsonLines() async throws {
        let (directory, open) = try await Self.shards()
        let files = ["s1", "s2", "s3", "s1"].map { directory + "/\($0).jsonl" }
        let text = try await run(Paths.sockscope, ["merge"] + files)
        #expect(text.status == 0, "\(text)")
        #expect(text.stdoutText.contains("127.0.0.2") && text.stdoutText.contains("\(open)"), "\(text)")
        #expect(text.stdoutText.hasSuffix("12 ports of 4 hosts from 4 files: 1 open, 11 closed; 4 repeated results left out\n"), "\(text)")
        let json = try await run(Paths.sockscope, ["merge", "--json"] + files)
        try writeFile(directory + "/merged.jsonl", Array(json.stdoutText.utf8))
        let merged = try ProbeScaleTests.states(directory + "/merged.jsonl")
        let whole = try ProbeScaleTests.states(directory + "/all.jsonl")
        #expect(merged.records == 12 && merged.states == whole.states, "\(merged) \(whole)")
        #expect(json.stdoutText.components(separatedBy: "\"type\":\"probe_host\"").count - 1 == 4, "\(json.stdoutText)")
        let schema = try await run(
            Paths.python, [Paths.peer("validate_json.py"), Paths.packageRoot + "/schema/sockscope.schema.json", directory + "/merged.jsonl"])
        #expect(schema.status == 0, "\(schema)")
    }

    @Test("nmap's XML shards (ours and nmap's own -oX) merge into one valid document with every host's ports together; XML and JSON Lines mix")
    func xml() async throws {
        let (directory, open) = try await Self.shards()
        let merged = try await run(Paths.sockscope, ["merge", "-oX", directory + "/merged.xml"] + ["s1", "s2", "s3"].map { directory + "/\($0).xml" })
        #expect(merged.status == 0 && merged.stdoutText.hasSuffix("12 ports of 4 hosts from 3 files: 1 open, 11 closed\n"), "\(merged)")
        let valid = try await run(Paths.xmllint, ["--noout", "--dtdvalid", ProbeNmapOutputTests.dtd, directory + "/merged.xml"])
        #expect(valid.status == 0, "\(valid)")
        let ports = try await ProbeNmapOutputTests.ports(directory + "/merged.xml")
        #expect(ports.count == 12 && ports.contains { $0.hasPrefix("127.0.0.2 tcp \(open) open syn-ack") }, "\(ports)")
        // nmap's own XML is read too.
        let nmap = try await run("/usr/bin/nmap", ["-sT", "-Pn", "-n", "-p", "9", "-oX", directory + "/nmap.xml", "127.0.0.5"], timeout: .seconds(60))
        #expect(nmap.status == 0, "\(nmap)")
        let mixed = try await run(
            Paths.sockscope, ["merge", "--json", directory + "/s1.jsonl", directory + "/s2.xml", directory + "/s3.xml", directory + "/nmap.xml"])
        try writeFile(directory + "/mixed.jsonl", Array(mixed.stdoutText.utf8))
        let states = try ProbeScaleTests.states(directory + "/mixed.jsonl")
        #expect(states.records == 13 && states.states["127.0.0.5 9"] == "closed", "\(states)")
    }

    @Test("a target name read from a file reaches the terminal escaped; merge - waiting on a silent pipe ends at SIGINT with 130")
    func escapedAndInterruptible() async throws {
        let directory = try TemporaryDirectory.make()
        let record =
            #"{"type":"port","target":"evil\u001b[31mname","peer_address":"127.0.0.1","peer_port":9,"protocol":"tcp","state":"open","code":0,"reason":"syn-ack","rtt_ms":1,"attempts":1}"#
        try writeFile(directory + "/evil.jsonl", Array((record + "\n").utf8))
        let text = try await run(Paths.sockscope, ["merge", directory + "/evil.jsonl"])
        #expect(text.status == 0 && text.stdoutText.contains("evil\\x1b[31mname (127.0.0.1)") && !text.stdoutText.contains("\u{1b}"), "\(text)")
        // stdin a pipe that stays open and silent (a FIFO: a background job's stdin would be /dev/null).
        let script = """
            mkfifo \(directory)/fifo; sleep 10 > \(directory)/fifo & w=$!
            \(Paths.sockscope) merge - < \(directory)/fifo & p=$!; sleep 0.5; kill -INT $p; wait $p; echo "rc=$?"; kill $w
            """
        let stopped = try await run(Paths.sh, ["-c", script], timeout: .seconds(20))
        #expect(stopped.stdoutText.hasSuffix("rc=130\n") && stopped.stderr.contains("stopped by SIGINT"), "\(stopped)")
    }

    @Test(
        "merge's refusals",
        arguments: [
            (["merge"], "give the files to merge", 64),
            (["merge", "-oX", "-", "-oG", "-", "x"], "-oX and -oG would all write to stdout", 64),
            (["merge", "/nonexistent/scan.jsonl"], "cannot read /nonexistent/scan.jsonl", 74),
        ])
    func refusals(arguments: [String], message: String, status: Int32) async throws {
        let outcome = try await run(Paths.sockscope, arguments)
        #expect(outcome.status == status && outcome.stderr.contains(message), "\(outcome)")
    }

    @Test("a file that is neither format, or a broken record, is refused with its line (64)")
    func badInput() async throws {
        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/text", Array("hello\n".utf8))
        let text = try await run(Paths.sockscope, ["merge", directory + "/text"])
        #expect(text.status == 64 && text.stderr.contains("is neither JSON Lines (probe --json) nor nmap's XML (probe -oX)"), "\(text)")
        try writeFile(directory + "/bad.xml", Array("<nmaprun><host><address addr=\"300.1.1.1\" addrtype=\"ipv4\"/></host></nmaprun>\n".utf8))
        let address = try await run(Paths.sockscope, ["merge", directory + "/bad.xml"])
        #expect(address.status == 64 && address.stderr.contains("a host's address '300.1.1.1' is not an IP address"), "\(address)")
        try writeFile(directory + "/broken.jsonl", Array("{\"type\":\"port\",\"peer_address\":\"127.0.0.1\"}\n{\"type\":\n".utf8))
        let broken = try await run(Paths.sockscope, ["merge", directory + "/broken.jsonl"])
        #expect(broken.status == 64 && broken.stderr.contains("line 1 is not a whole port record"), "\(broken)")
    }
}
