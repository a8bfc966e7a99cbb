import Foundation
import Testing

/// tap --read of what Linux captures hold beyond plain frames — 802.1Q and QinQ tags,
/// TSO/GRO super-packets (IPv4 total length 0), IPv6 jumbograms and BIG TCP packets —
/// against tshark's own reading of the same files (Tests/Peers/offload_pcap.py).
@Suite("tap --read: tags and offloaded segments")
struct TapOffloadTests {
    /// Per conversation (client port): frames and payload bytes each way, as tshark reads them.
    static func tshark(_ path: String) async throws -> [Int: [Int]] {
        let fields = try await run(Paths.tshark, ["-r", path, "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.len"])
        var conversations: [Int: [Int]] = [:]
        for line in fields.stdoutText.split(separator: "\n") {
            let columns = line.split(separator: "\t").compactMap { Int($0) }
            guard columns.count == 3 else { continue }
            let toServer = columns[1] == 80
            let client = toServer ? columns[0] : columns[1]
            var counts = conversations[client] ?? [0, 0, 0, 0]
            counts[toServer ? 0 : 1] += 1
            counts[toServer ? 2 : 3] += columns[2]
            conversations[client] = counts
        }
        return conversations
    }

    /// The same from `tap -r FILE --summary --json`'s conversation records.
    static func ours(_ path: String) async throws -> ([Int: [Int]], Outcome) {
        let outcome = try await sockscope("tap", "-r", path, "--summary", "--json")
        var conversations: [Int: [Int]] = [:]
        for line in outcome.stdoutText.split(separator: "\n") {
            guard let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], record["type"] as? String == "conversation",
                record["protocol"] as? String == "tcp", let client = record["client_port"] as? Int
            else { continue }
            conversations[client] = ["packets_to_server", "packets_to_client", "bytes_to_server", "bytes_to_client"].map { record[$0] as? Int ?? -1 }
        }
        return (conversations, outcome)
    }

    static func files() async throws -> String {
        let directory = try TemporaryDirectory.make()
        let made = try await run(Paths.python, [Paths.peer("offload_pcap.py"), directory])
        try #require(made.status == 0, "\(made)")
        return directory
    }

    @Test(
        "802.1Q and QinQ tagged frames pass the default filter, TSO super-packets (IPv4 total length 0) and IPv6 jumbograms count the frame's bytes, PPP, PPP in HDLC framing and IP over InfiniBand are decoded (IPoIB: no filter compiles, none is needed): every conversation's frames and payload each way are tshark's",
        arguments: ["vlan", "tso", "jumbo6", "ppp", "ppp_hdlc", "ipoib", "lying"])
    func agreesWithTshark(_ name: String) async throws {
        let path = try await Self.files() + "/\(name).pcap"
        let theirs = try await Self.tshark(path)
        let (ours, outcome) = try await Self.ours(path)
        #expect(!theirs.isEmpty && ours == theirs, "\(name): ours \(ours), tshark \(theirs)\n\(outcome.stderr)")
    }

    @Test("an IPv4 header that claims more than the wire carried is flagged and counted for what the packet held; one cut by the snap length is not")
    func lyingLength() async throws {
        let outcome = try await sockscope("tap", "-r", try await Self.files() + "/lying.pcap")
        let flagged = outcome.stdoutText.split(separator: "\n").filter { $0.contains("IP length exceeds packet") }
        #expect(flagged.count == 1 && flagged.first?.contains("len 12") == true, "\(outcome.stdoutText)")
    }

    @Test(
        "real super-segments: a 16 MiB transfer between two namespaces, tcpdump on the sender's veth (TSO hands it 64 KiB IP packets, far above the 1,500-byte MTU): tap --read finds tshark's frames and payload bytes each way",
        .enabled(if: Paths.isRoot, "skipped: namespaces and capturing need root"))
    func realSuperSegments() async throws {
        let lan = try await TestLAN.make(hosts: 2)
        defer { lan.removeNow() }
        let path = try TemporaryDirectory.make() + "/veth.pcap"
        let capture = try lan.start(on: 0, Paths.tcpdump, ["-i", lan.hosts[0].interface, "--immediate-mode", "-U", "-s", "128", "-w", path, "tcp"])
        defer { capture.kill() }
        _ = try await capture.waitForLine(containing: "listening on")
        let server = try lan.start(on: 1, Paths.sockscope, ["listen", "-v", "--recv-only", lan.hosts[1].address, "80"])
        defer { server.kill() }
        _ = try await server.waitForLine(containing: "listening on")
        let size = 16 << 20
        let client = try await run(
            Paths.ip, ["netns", "exec", lan.hosts[0].namespace, Paths.sockscope, "connect", "--send-only", lan.hosts[1].address, "80"],
            input: Array(repeating: 0x73, count: size))
        #expect(client.status == 0, "\(client)")
        _ = try await server.finish(timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(300))
        kill(capture.pid, SIGINT)
        _ = try? await capture.finish(timeout: .seconds(5))
        let lengths = try await run(Paths.tshark, ["-r", path, "-T", "fields", "-e", "ip.len"])
        let largest = lengths.stdoutText.split(separator: "\n").compactMap { Int($0) }.max() ?? 0
        #expect(largest > 1500, "no super-segment captured (largest IP packet \(largest) bytes)")
        let theirs = try await Self.tshark(path)
        let (ours, outcome) = try await Self.ours(path)
        #expect(theirs.count == 1 && (theirs.first?.value[2] ?? 0) >= size && ours == theirs, "ours \(ours), tshark \(theirs)\n\(outcome.stderr)")
    }

    @Test("Linux BIG TCP packets (IPv6 payload length 0, no hop-by-hop header) count the frame's bytes (tshark 4.0 does not decode them)")
    func bigTCP() async throws {
        let (ours, outcome) = try await Self.ours(try await Self.files() + "/bigtcp6.pcap")
        #expect(ours == [40005: [5, 3, 80_000, 5_000]], "\(ours)\n\(outcome.stderr)")
    }
}
