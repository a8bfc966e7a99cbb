import Foundation
import Glibc
import Testing

/// probe at scale: shards that split a scan disjointly and completely, a seeded order
/// that moves from host to host, targets from a file, and memory that does not grow
/// with the number of targets. The targets are addresses made local in a network
/// namespace of the test's own (`ip route add local 10.77.0.0/… dev lo`): every one
/// answers, nothing leaves the machine.
@Suite("probe: shards, order and scale", .serialized)
struct ProbeScaleTests {
    /// Runs `script` in a new network namespace with the block `route` local and a
    /// listener on port 80 of every address; $1 is sockscope, $2 a scratch directory.
    static func inNamespace(route: String, _ script: String, timeout: Duration = .seconds(240)) async throws -> (Outcome, String) {
        let directory = try TemporaryDirectory.make()
        let setUp = """
            ip link set lo up && ip route add local \(route) dev lo || exit 90
            "$3" "$4" 80 > "$2/listener.out" & listener=$!
            for i in $(seq 100); do grep -q ready "$2/listener.out" && break; sleep 0.05; done
            """
        let outcome = try await run(
            Paths.unshare,
            ["--net", Paths.sh, "-c", setUp + "\n" + script + "\nkill $listener", "sh", Paths.sockscope, directory, Paths.python, Paths.peer("listeners.py")],
            timeout: timeout)
        return (outcome, directory)
    }

    /// The port records of a JSON Lines file: "ADDRESS PORT" → state, and how many records.
    static func states(_ path: String) throws -> (states: [String: String], records: Int) {
        var states: [String: String] = [:]
        var records = 0
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard record["type"] as? String == "port", let address = record["peer_address"] as? String, let port = record["peer_port"] as? Int else { continue }
            states["\(address) \(port)"] = record["state"] as? String
            records += 1
        }
        return (states, records)
    }

    @Test(
        "--shard i/N for N = 1, 3, 7 on a /20 × 3 ports: the shards' records add up to the unsharded scan, no probe sent twice (every SYN counted by tcpdump)",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace"))
    func shardsAddUp() async throws {
        let script = """
            "$1" probe --json --seed 42 10.77.0.0/20 22,80,443 > "$2/all.jsonl"
            "$1" probe --json --seed 42 --shard 1/1 10.77.0.0/20 22,80,443 > "$2/shard-1-1.jsonl"
            for i in 1 2 3 4 5 6 7; do "$1" probe --json --seed 42 --shard $i/7 10.77.0.0/20 22,80,443 > "$2/shard-$i-7.jsonl"; done
            # A capture that dropped packets (a loaded machine) proves nothing either way: up
            # to three tries, and the last one's kernel drop count is printed.
            for attempt in 1 2 3; do
              \(Paths.tcpdump) -i lo -n -B 65536 --immediate-mode -U -w "$2/syn.pcap" 'tcp[13] == 2' 2> "$2/tcpdump.err" & capture=$!
              for i in $(seq 100); do grep -q listening "$2/tcpdump.err" && break; sleep 0.05; done
              for i in 1 2 3; do "$1" probe --json --seed 42 --shard $i/3 10.77.0.0/20 22,80,443 > "$2/shard-$i-3.jsonl"; done
              sleep 0.5; kill -INT $capture; wait $capture
              dropped=$(sed -n 's/^\\([0-9]*\\) packets\\{0,1\\} dropped by kernel.*/\\1/p' "$2/tcpdump.err")
              [ "${dropped:-0}" = 0 ] && break
            done
            echo "dropped ${dropped:-0}"
            \(Paths.tcpdump) -n -r "$2/syn.pcap" 2>/dev/null | awk '{print $5}' | sort | uniq -c | awk '{print $1}' | sort | uniq -c
            """
        let (outcome, directory) = try await Self.inNamespace(route: "10.77.0.0/20", script)
        #expect(outcome.status == 0, "\(outcome)")
        let whole = try Self.states(directory + "/all.jsonl")
        #expect(whole.records == 4096 * 3 && whole.states.count == 4096 * 3, "\(whole.records) records")
        #expect(whole.states.filter { $0.key.hasSuffix(" 80") }.allSatisfy { $0.value == "open" }, "port 80 listens on every local address")
        #expect(whole.states.filter { !$0.key.hasSuffix(" 80") }.allSatisfy { $0.value == "closed" })
        for shards in [1, 3, 7] {
            var union: [String: String] = [:]
            var records = 0
            for shard in 1...shards {
                let part = try Self.states(directory + "/shard-\(shard)-\(shards).jsonl")
                #expect(abs(part.records - 4096 * 3 / shards) <= 4096 * 3 / shards / 10 + 2, "shard \(shard)/\(shards) holds about its share: \(part.records)")
                records += part.records
                union.merge(part.states) { first, _ in first }
            }
            #expect(records == 4096 * 3 && union == whole.states, "\(shards) shards: \(records) records")
        }
        // tcpdump's count of SYNs per destination, as "how many destinations got N SYNs": all
        // exactly one. When the capture itself dropped packets (its kernel drop counter, after
        // three tries), the count proves nothing: only "none twice" is checked then.
        var lines = outcome.stdoutText.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let dropped = lines.first.flatMap { $0.first == "dropped" ? Int($0.last ?? "") : nil }
        try #require(dropped != nil, "\(outcome.stdoutText)")
        lines.removeFirst()
        if dropped == 0 {
            #expect(lines == [["12288", "1"]], "\(outcome.stdoutText)")
        } else {
            #expect(lines.count == 1 && lines.first?.last == "1" && (Int(lines.first?.first ?? "") ?? 0) <= 12288, "no SYN twice: \(outcome.stdoutText)")
        }
    }

    @Test(
        "the probe order moves from host to host, is the same for the same --seed and another for another seed (SYNs seen by tcpdump, one probe at a time)",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace"))
    func seededOrder() async throws {
        let script = """
            for seed in 7 7 8; do
              # A capture that dropped packets (a loaded machine) is taken again, up to three times.
              for attempt in 1 2 3; do
                \(Paths.tcpdump) -i lo -n -B 65536 --immediate-mode -U -w "$2/order-$seed.pcap" 'tcp[13] == 2' 2> "$2/tcpdump.err" & capture=$!
                for i in $(seq 100); do grep -q listening "$2/tcpdump.err" && break; sleep 0.05; done
                "$1" probe -q --parallel 1 --seed $seed 10.77.0.0/28 20-23
                sleep 0.3; kill -INT $capture; wait $capture
                dropped=$(sed -n 's/^\\([0-9]*\\) packets\\{0,1\\} dropped by kernel.*/\\1/p' "$2/tcpdump.err"); rm "$2/tcpdump.err"
                [ "${dropped:-0}" = 0 ] && break
              done
              echo "seed $seed: $(\(Paths.tcpdump) -n -r "$2/order-$seed.pcap" 2>/dev/null | awk '{print $5}' | tr '\\n' ' ')"
              echo "dropped $seed ${dropped:-0}"
            done
            """
        let (outcome, _) = try await Self.inNamespace(route: "10.77.0.0/28", script, timeout: .seconds(60))
        let runs = outcome.stdoutText.split(separator: "\n").filter { $0.hasPrefix("seed ") }.map { $0.split(separator: " ").dropFirst(2).map(String.init) }
        try #require(runs.count == 3, "\(outcome)")
        // A capture that still dropped SYNs after three tries proves nothing about the order.
        if outcome.stdoutText.split(separator: "\n").contains(where: { $0.hasPrefix("dropped ") && !$0.hasSuffix(" 0") }) {
            // Reported as a known issue (not a pass, not a product failure).
            withKnownIssue("inconclusive: tcpdump dropped packets three times running") { Issue.record("\(outcome.stdoutText)") }
            return
        }
        #expect(runs[0].count == 64 && Set(runs[0]).count == 64, "16 hosts × 4 ports, each once: \(runs[0])")
        #expect(runs[0] == runs[1], "the same seed, the same order")
        #expect(runs[0] != runs[2] && Set(runs[0]) == Set(runs[2]), "another seed, another order of the same probes")
        let hosts = runs[0].map { $0.split(separator: ".").prefix(4).joined(separator: ".") }
        let changes = zip(hosts, hosts.dropFirst()).filter { $0 != $1 }.count
        #expect(changes >= 48, "consecutive probes go to different hosts (\(changes) changes of 63; address order would make 15)")
    }

    @Test(
        "50,000 targets from a file (-iL), in random order, less an --exclude-file: each probed once, memory bounded; a /14 costs no more than a /16",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace"))
    func targetsFromFile() async throws {
        let script = """
            "$3" -c 'import random; r = random.Random(5); a = r.sample(range(65536), 50000); print("# fifty thousand\\n" + "\\n".join("10.77.%d.%d" % (x // 256, x % 256) for x in a))' > "$2/targets"
            head -1001 "$2/targets" | tail -1000 | tr '\\n' ',' > "$2/exclude"
            echo "file $("$3" \(Paths.peer("maxrss.py")) "$2/file.jsonl" "$1" probe --json -iL "$2/targets" --exclude-file "$2/exclude" 80)"
            echo "stdin $(cat "$2/targets" | "$3" \(Paths.peer("maxrss.py")) "$2/stdin.jsonl" "$1" probe -q -iL - 80)"
            echo "16 $("$3" \(Paths.peer("maxrss.py")) /dev/null "$1" probe -q 10.77.0.0/16 80)"
            echo "14 $("$3" \(Paths.peer("maxrss.py")) /dev/null "$1" probe -q 10.76.0.0/14 80)"
            """
        let (outcome, directory) = try await Self.inNamespace(route: "10.76.0.0/14", script)
        let lines = Dictionary(
            outcome.stdoutText.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.filter { $0.count == 3 }.map {
                ($0[0], ($0[1], Int($0[2]) ?? 0))
            },
            uniquingKeysWith: { first, _ in first })
        try #require(lines.count == 4, "\(outcome)")
        let file = try Self.states(directory + "/file.jsonl")
        let listed = try String(contentsOfFile: directory + "/targets", encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)
        let excluded = Set(try String(contentsOfFile: directory + "/exclude", encoding: .utf8).split(separator: ",").map(String.init))
        #expect(excluded.count == 1000)
        #expect(file.records == 49_000 && Set(file.states.keys) == Set(listed.filter { !excluded.contains($0) }.map { $0 + " 80" }), "\(file.records) records")
        #expect(file.states.values.allSatisfy { $0 == "open" })
        #expect(lines["file"]?.0 == "0" && lines["stdin"]?.0 == "0", "\(lines)")
        for (name, (_, kibibytes)) in lines { #expect(kibibytes > 0 && kibibytes < 64 * 1024, "\(name): peak RSS \(kibibytes) KiB") }
        if let wide = lines["14"]?.1, let narrow = lines["16"]?.1 {
            #expect(Double(wide) < Double(narrow) * 1.15, "a /14 (4 windows) costs about what a /16 (one) does: \(wide) vs \(narrow) KiB")
        }
    }
}

extension ProbeScaleTests {
    @Test(
        "RSTs that arrive while the scanner waits (a 1 ms link): 1,000 closed ports are all closed (conn-refused), 3 open, 100 dropped filtered — a refused socket is reused only when connect() itself said so",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces and a TUN link"))
    func refusalsOverALink() async throws {
        let link = try await DelayedLink.make("sr", subnet: "10.213.0", "1")
        defer { link.close() }
        let (a, b) = (link.a, link.b)
        let rules = "table inet drops {\n  chain input {\n    type filter hook input priority 0;\n    tcp dport 21001-21100 drop\n  }\n}\n"
        let nft = try await run(Paths.ip, ["netns", "exec", b, Paths.nft, "-f", "-"], input: Array(rules.utf8))
        try #require(nft.status == 0, "\(nft)")
        let listeners = try BackgroundProcess(Paths.ip, ["netns", "exec", b, Paths.python, Paths.peer("listeners.py"), "20100", "20200", "20300"])
        defer { listeners.kill() }
        _ = try await listeners.waitForLine(containing: "ready", inStdout: true)
        let outcome = try await run(
            Paths.ip, ["netns", "exec", a, Paths.sockscope, "probe", "--json", "--timeout", "1", "10.213.0.2", "20001-21100"], timeout: .seconds(60))
        var counts: [String: Int] = [:]
        for line in outcome.stdoutText.split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            counts["\(record["state"] as? String ?? "?") \(record["reason"] as? String ?? "?")", default: 0] += 1
        }
        #expect(counts == ["closed conn-refused": 997, "open syn-ack": 3, "filtered no-response": 100], "\(counts) \(outcome.stderr)")
    }
}

extension ProbeScaleTests {
    @Test(
        "a link that drops 5% of packets each way (10 ms): with default options 1,000 ports come out exact (4 open, 100 filtered, 896 closed) — the retries follow the loss, so some port took a third try; --retries 1 is kept as given (never a third)",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces and a TUN link"))
    func lossyLink() async throws {
        let link = try await DelayedLink.make("sl", subnet: "10.214.0", "5 5")
        defer { link.close() }
        let (a, b) = (link.a, link.b)
        let rules = "table inet drops {\n  chain input {\n    type filter hook input priority 0;\n    tcp dport 20501-20600 drop\n  }\n}\n"
        let nft = try await run(Paths.ip, ["netns", "exec", b, Paths.nft, "-f", "-"], input: Array(rules.utf8))
        try #require(nft.status == 0, "\(nft)")
        let listeners = try BackgroundProcess(
            Paths.ip, ["netns", "exec", b, Paths.python, Paths.peer("listeners.py"), "20100", "20200", "20300", "20400"])
        defer { listeners.kill() }
        _ = try await listeners.waitForLine(containing: "ready", inStdout: true)

        func scan(_ options: [String]) async throws -> (counts: [String: Int], mostAttempts: Int) {
            let outcome = try await run(
                Paths.ip, ["netns", "exec", a, Paths.sockscope, "probe", "--json"] + options + ["10.214.0.2", "20001-21000"], timeout: .seconds(60))
            var counts: [String: Int] = [:]
            var mostAttempts = 0
            for line in outcome.stdoutText.split(separator: "\n") {
                let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(outcome)")
                let port = record["peer_port"] as? Int ?? 0
                let state = record["state"] as? String ?? "?"
                let truth = [20100, 20200, 20300, 20400].contains(port) ? "open" : (20501...20600).contains(port) ? "filtered" : "closed"
                counts[state == truth ? state : "WRONG \(port): \(state)", default: 0] += 1
                mostAttempts = max(mostAttempts, record["attempts"] as? Int ?? 0)
            }
            return (counts, mostAttempts)
        }
        let adaptive = try await scan([])
        #expect(adaptive.counts == ["open": 4, "filtered": 100, "closed": 896], "\(adaptive)")
        #expect(adaptive.mostAttempts >= 3, "the filtered ports at least get more tries once loss is measured: \(adaptive)")
        let fixed = try await scan(["--retries", "1"])
        #expect(fixed.mostAttempts == 2, "\(fixed)")
        #expect(fixed.counts.values.reduce(0, +) == 1000, "\(fixed)")
    }
}
