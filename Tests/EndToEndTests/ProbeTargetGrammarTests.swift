import Testing

/// nmap's target grammar in `probe`: octet ranges and lists in any position, `*`,
/// CIDR, FIRST-LAST, names — the addresses each expression stands for compared with
/// nmap's own `-sL -n` listing (which sends nothing). Every address is in 127.0.0.0/8,
/// and the probes go to a closed port there.
@Suite("probe's target grammar")
struct ProbeTargetGrammarTests {
    /// The addresses sockscope probes for the targets of `arguments` (a closed loopback port).
    static func probed(_ arguments: [String]) async throws -> Set<String> {
        let outcome = try await run(Paths.sockscope, ["probe", "--json", "--timeout", "1"] + arguments + ["9"], timeout: .seconds(120))
        #expect(outcome.status == 1, "every port closed: \(outcome.stderr)")
        return Set(
            outcome.stdoutText.split(separator: "\n").compactMap { line in
                line.split(separator: ",").first { $0.hasPrefix("\"peer_address\":") }.map { String($0.dropFirst(16).dropLast()) }
            })
    }

    /// The addresses nmap lists for `arguments` (`-sL -n`: no packet, no lookup).
    static func listedByNmap(_ arguments: [String]) async throws -> Set<String> {
        let outcome = try await run("/usr/bin/nmap", ["-sL", "-n"] + arguments, timeout: .seconds(120))
        #expect(outcome.status == 0, "\(outcome)")
        return Set(outcome.stdoutText.split(separator: "\n").compactMap { $0.hasPrefix("Nmap scan report for ") ? String($0.dropFirst(21)) : nil })
    }

    /// Expressions of every shape nmap takes, each within 127.0.0.0/8 and at most a few
    /// hundred addresses, from a fixed seed.
    static func expressions(_ count: Int) -> [String] {
        var state: UInt64 = 0x5eed_2026
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        func octet(wide: Bool) -> String {
            switch next(wide ? 6 : 4) {
            case 0: return "\(next(256))"
            case 1:
                let low = next(250)
                return "\(low)-\(low + next(5))"
            case 2: return (0..<(2 + next(2))).map { _ in "\(next(256))" }.joined(separator: ",")
            case 3:
                let low = next(200)
                return "\(next(256)),\(low)-\(low + next(3))"
            case 4: return "*"
            default: return "\(next(2) == 0 ? "" : "\(next(250))")-\(next(2) == 0 ? "" : "\(250 + next(6))")"
            }
        }
        return (0..<count).map { index in
            switch index % 5 {
            case 0: return "127.\(octet(wide: false)).\(octet(wide: false)).\(octet(wide: false))"
            case 1: return "127.\(next(256)).\(octet(wide: false)).\(octet(wide: true))"
            case 2: return "127.\(next(256)).\(next(256)).\(next(256))/\(24 + next(9))"
            case 3: return "127.\(octet(wide: false)).\(octet(wide: false)).\(next(256))"
            default: return "127.\(octet(wide: false)).\(next(256)).\(next(256))"
            }
        }
    }

    @Test(
        "200 generated expressions (octet lists and ranges in any position, *, N-, -M, CIDR): the addresses nmap -sL -n lists, one -iL file and each of the first 25 alone"
    )
    func agreesWithNmap() async throws {
        let expressions = Self.expressions(200)
        let file = try TemporaryDirectory.make() + "/targets"
        try writeFile(file, Array((expressions.joined(separator: "\n") + "\n").utf8))
        let ours = try await Self.probed(["-iL", file])
        let nmaps = try await Self.listedByNmap(["-iL", file])
        #expect(nmaps.count > 2_000, "a real workload: \(nmaps.count) addresses")
        #expect(ours == nmaps, "only sockscope: \(ours.subtracting(nmaps).sorted().prefix(5)), only nmap: \(nmaps.subtracting(ours).sorted().prefix(5))")
        for expression in expressions.prefix(25) {
            #expect(try await Self.probed([expression]) == (try await Self.listedByNmap([expression])), "\(expression)")
        }
    }

    @Test("commas: a list's items, and an octet list's values — 127.0.0.1,5,7-9 and 127.1,2.0.1 as nmap reads them; --exclude takes the same grammar")
    func commas() async throws {
        #expect(try await Self.probed(["127.0.0.1,5,7-9"]) == ["127.0.0.1", "127.0.0.5", "127.0.0.7", "127.0.0.8", "127.0.0.9"])
        #expect(try await Self.probed(["127.1,2.0.1"]) == ["127.1.0.1", "127.2.0.1"])
        #expect(try await Self.probed(["127.0.0.1,127.0.0.3-4"]) == ["127.0.0.1", "127.0.0.3", "127.0.0.4"])
        // FIRST-LAST, which nmap does not take, spans octets.
        #expect(try await Self.probed(["127.0.0.254-127.0.1.1"]) == ["127.0.0.254", "127.0.0.255", "127.0.1.0", "127.0.1.1"])
        #expect(
            try await Self.probed(["--exclude", "127.0.0.2-3,9", "127.0.0.1-10"]) == Set((1...10).filter { ![2, 3, 9].contains($0) }.map { "127.0.0.\($0)" }))
    }

    @Test(
        "text shaped like an address is never looked up: a bad one is a usage error naming the item and its place",
        arguments: [
            ("127.0.0.300", "bad target '127.0.0.300'"),
            ("127.0.0.1,127.0.0.300", "target 2 of 2"),
            ("127.0.0.5-2", "bad address range '127.0.0.5-2'"),
            ("127.0.0.1-5/24", "a prefix length goes with an address"),
            ("127.0.0.1.5", "bad target '127.0.0.1.5'"),
        ])
    func malformed(target: String, message: String) async throws {
        let outcome = try await run(Paths.sockscope, ["probe", target, "9"])
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.stderr.contains(message), "\(message) in \(outcome.stderr)")
    }
}
