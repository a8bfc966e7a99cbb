import Foundation
import Testing

/// `probe --resume FILE`: a scan stopped by SIGINT, SIGTERM or SIGKILL continues from its
/// file, and the runs together are the whole scan — in JSON Lines, nmap's XML and
/// grepable files — with no probe of a finished window sent again (every SYN counted by
/// tcpdump). In a network namespace of the test's own with a /16 local (AnyIP) and a
/// listener on port 80 of every address: 65,536 hosts × 2 ports, four windows.
@Suite("probe --resume", .serialized)
struct ProbeResumeTests {
    /// Waits (5 s at most) until FILE records at least N blocks done, then sends SIGNAL to $p.
    static let stopAt = """
        stop() { for i in $(seq 100); do grep -q "^blocks-done [$1-9]" "$2" 2>/dev/null && break; sleep 0.05; done; kill -$3 $p; wait $p; echo "rc=$?"; }
        """

    /// Every port record of the JSON Lines files: "ADDRESS PORT" → state, and the count.
    static func union(_ paths: [String]) throws -> (states: [String: String], records: Int) {
        var states: [String: String] = [:]
        var records = 0
        for path in paths {
            let part = try ProbeScaleTests.states(path)
            states.merge(part.states) { first, _ in first }
            records += part.records
        }
        return (states, records)
    }

    @Test(
        "stopped by SIGINT, re-run with the same command (continued), killed with SIGKILL, resumed with --resume FILE alone: the runs' records are the whole scan, the -oX file validates with every host once, -oG is whole, no finished window's probe is sent twice; a finished scan is not run again",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace and tcpdump"))
    func stopAndResume() async throws {
        let scan = #""$1" probe --json 10.78.0.0/16 80,443 -oX "$2/scan.xml" -oG "$2/scan.gnmap" --resume "$2/state""#
        let script = """
            \(Self.stopAt)
            \(Paths.tcpdump) -i lo -n -s 64 -B 262144 --immediate-mode -U -w "$2/syn.pcap" 'tcp[13] == 2' 2> "$2/tcpdump.err" & capture=$!
            for i in $(seq 100); do grep -q listening "$2/tcpdump.err" && break; sleep 0.05; done
            \(scan) > "$2/a.jsonl" & p=$!; stop 1 "$2/state" INT
            \(scan) > "$2/b.jsonl" 2> "$2/b.err" & p=$!; stop 2 "$2/state" KILL
            "$1" probe --resume "$2/state" > "$2/c.jsonl" 2> "$2/c.err"; echo "rc=$?"
            "$1" probe --resume "$2/state" 2> "$2/d.err"; echo "rc=$?"
            sleep 0.5; kill -INT $capture; wait $capture
            sed -n 's/^\\([0-9]*\\) packets\\{0,1\\} dropped by kernel.*/dropped \\1/p' "$2/tcpdump.err"
            # SYNs per destination: "COUNT ADDRESS.PORT"
            \(Paths.tcpdump) -n -r "$2/syn.pcap" 2>/dev/null | awk '{print $5}' | sort | uniq -c > "$2/syns"
            """
        let (outcome, directory) = try await ProbeScaleTests.inNamespace(route: "10.78.0.0/16", script)
        #expect(outcome.stdoutText.hasPrefix("rc=130\nrc=137\nrc=0\nrc=0\n"), "\(outcome)")
        #expect(outcome.stdoutText.contains("dropped 0"), "a capture that dropped SYNs proves nothing: \(outcome.stdoutText)")
        let runs = ["a", "b", "c"].map { directory + "/\($0).jsonl" }
        let (states, records) = try Self.union(runs)
        #expect(states.count == 131_072, "\(states.count) of 131,072 ports reported")
        #expect(states.filter { $0.key.hasSuffix(" 80") }.allSatisfy { $0.value == "open" }, "port 80 listens on every address")
        #expect(states.filter { $0.key.hasSuffix(" 443") }.allSatisfy { $0.value == "closed" })
        // At most the two stopped windows (32,768 probes each) are probed again.
        #expect(records >= 131_072 && records <= 131_072 + 2 * 32_768, "\(records) records")
        #expect(try String(contentsOfFile: directory + "/d.err", encoding: .utf8).contains("is finished; nothing is left to probe"))

        // The first run's records are of finished windows: none of their probes went out twice.
        var syns: [String: Int] = [:]
        for line in try String(contentsOfFile: directory + "/syns", encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let count = Int(fields[0]) { syns[String(fields[1].dropLast())] = count }  // "10.78.1.2.80:"
        }
        let first = try ProbeScaleTests.states(runs[0]).states.keys
        #expect(!first.isEmpty && first.count <= 32_768 * 2)
        let twice = first.filter { syns[$0.replacingOccurrences(of: " ", with: ".")] != 1 }
        #expect(twice.isEmpty, "\(twice.count) probes of a finished window sent again or never: \(twice.prefix(5))")
        #expect(syns.count == 131_072, "\(syns.count) destinations got a SYN")

        // nmap's formats: continued in place, one whole document with every host once.
        let valid = try await run(Paths.xmllint, ["--noout", "--dtdvalid", ProbeNmapOutputTests.dtd, directory + "/scan.xml"])
        #expect(valid.status == 0, "\(valid.stderr.prefix(500))")
        let hosts = try await run(
            Paths.python,
            [
                "-c",
                "import sys, xml.etree.ElementTree as ET; a = [h.find('address').get('addr') for h in ET.parse(sys.argv[1]).iter('host')]; print(len(a), len(set(a)))",
                directory + "/scan.xml",
            ])
        #expect(hosts.stdoutText == "65536 65536\n", "\(hosts)")
        let grepable = try String(contentsOfFile: directory + "/scan.gnmap", encoding: .utf8).split(separator: "\n")
        #expect(grepable.filter { $0.hasSuffix("Status: Up") }.count == 65_536 && grepable.last?.hasPrefix("# Nmap done at ") == true)
        #expect(grepable.filter { $0.hasPrefix("# Nmap done") }.count == 1, "the stopped runs' closing lines were cut off")
    }

    @Test(
        "--shard with --resume: each shard keeps its own file; a shard stopped by SIGTERM resumes on its own, and the shards together are the whole scan",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace"))
    func shardsResume() async throws {
        let script = """
            \(Self.stopAt)
            "$1" probe --json --seed 3 --shard 1/2 10.78.0.0/16 80,443 --resume "$2/one" > "$2/1a.jsonl" & p=$!; stop 1 "$2/one" TERM
            "$1" probe --json --seed 3 --shard 2/2 10.78.0.0/16 80,443 --resume "$2/two" > "$2/2.jsonl"; echo "rc=$?"
            "$1" probe --resume "$2/one" > "$2/1b.jsonl" 2>/dev/null; echo "rc=$?"
            """
        let (outcome, directory) = try await ProbeScaleTests.inNamespace(route: "10.78.0.0/16", script)
        #expect(outcome.stdoutText == "rc=143\nrc=0\nrc=0\n", "\(outcome)")
        let (states, records) = try Self.union(["1a", "1b", "2"].map { directory + "/\($0).jsonl" })
        #expect(states.count == 131_072 && records <= 131_072 + 16_384, "\(states.count) ports, \(records) records")
        let two = try ProbeScaleTests.states(directory + "/2.jsonl")
        let one = try Self.union(["1a", "1b"].map { directory + "/\($0).jsonl" })
        #expect(Set(one.states.keys).isDisjoint(with: two.states.keys), "the shards are disjoint")
    }

    @Test(
        "--resume's refusals: another scan's file (64), a file that is not one (64), options beside a bare --resume (64), a changed -iL list (64)"
    )
    func refusals() async throws {
        let directory = try TemporaryDirectory.make()
        let state = directory + "/state"
        let first = try await run(Paths.sockscope, ["probe", "-q", "127.0.0.1", "9", "--resume", state])
        #expect(first.status == 1, "\(first)")
        let other = try await run(Paths.sockscope, ["probe", "127.0.0.1", "10", "--resume", state])
        #expect(other.status == 64 && other.stderr.contains("holds another scan (-q 127.0.0.1 9)"), "\(other)")
        let extra = try await run(Paths.sockscope, ["probe", "--json", "--resume", state])
        #expect(extra.status == 64 && extra.stderr.contains("continue it with 'probe --resume \(state)' alone"), "\(extra)")
        try writeFile(directory + "/junk", Array("hello\n".utf8))
        let junk = try await run(Paths.sockscope, ["probe", "--resume", directory + "/junk"])
        #expect(junk.status == 64 && junk.stderr.contains("is not a resume file of sockscope probe"), "\(junk)")
        // A target list that changed under a stopped scan cannot continue it.
        let list = directory + "/targets"
        try writeFile(list, Array("127.0.0.1\n127.0.0.2\n".utf8))
        let listed = directory + "/listed"
        let begun = try await run(Paths.sockscope, ["probe", "-iL", list, "9", "--resume", listed])
        #expect(begun.status == 1, "\(begun)")
        // As if it had stopped before the end (a finished scan is not looked at again).
        let saved = String(decoding: try readFile(listed), as: UTF8.self)
        try writeFile(listed, Array(saved.replacingOccurrences(of: "finished 1", with: "finished 0").utf8))
        let again = try await run(Paths.sockscope, ["probe", "--resume", listed])
        #expect(again.status == 1 && again.stderr.contains("resuming the scan in \(listed) after 2 probes: -iL \(list) 9"), "\(again)")
        try writeFile(listed, Array(saved.replacingOccurrences(of: "finished 1", with: "finished 0").utf8))
        try writeFile(list, Array("127.0.0.1\n127.0.0.2\n127.0.0.3\n".utf8))
        let changed = try await run(Paths.sockscope, ["probe", "--resume", listed])
        #expect(changed.status == 64 && changed.stderr.contains("the targets and ports now make 3 probes, and the scan in \(listed) has 2"), "\(changed)")
    }
}
