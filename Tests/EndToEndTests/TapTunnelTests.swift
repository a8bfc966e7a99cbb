import Foundation
import Testing

/// tap --read of tunnelled traffic: the conversation inside the tunnel is decoded and
/// tracked as tshark tracks it — a real VXLAN tunnel between two namespaces (this
/// kernel has vxlan; it lacks the geneve, gre and 8021q modules, so Geneve, GRE over
/// IPv4 and IPv6, and gretap are files Tests/Peers/offload_pcap.py writes).
@Suite("tap --read: tunnels")
struct TapTunnelTests {
    @Test(
        "VXLAN, Geneve, GRE (with checksum, key and sequence number; Ethernet inside as gretap sends) and GRE over IPv6: each inner TCP conversation's frames and payload bytes each way are tshark's; 12 nested GRE headers are opened too",
        arguments: ["vxlan", "geneve", "gre", "ip6gre", "nested"])
    func craftedTunnels(_ name: String) async throws {
        let path = try await TapOffloadTests.files() + "/\(name).pcap"
        let theirs = try await TapOffloadTests.tshark(path)
        let (ours, outcome) = try await TapOffloadTests.ours(path)
        #expect(theirs.count == 2 && ours == theirs, "\(name): ours \(ours), tshark \(theirs)\n\(outcome.stderr)")
    }

    @Test("each tunnelled packet's line names its tunnel and the outer endpoints; the annotation carries it too")
    func tunnelNoted() async throws {
        let directory = try await TapOffloadTests.files()
        let vxlan = try await sockscope("tap", "-r", directory + "/vxlan.pcap")
        let lines = vxlan.stdoutText.split(separator: "\n")
        #expect(lines.count == 16 && lines.allSatisfy { $0.contains("(in VXLAN 42 192.168.7.1 → 192.168.7.2") }, "\(vxlan.stdoutText)")
        let gre = try await sockscope("tap", "-r", directory + "/gre.pcap", "--json")
        #expect(gre.stdoutText.contains(#""notes":["in GRE key 5 192.168.7.1 → 192.168.7.2"]"#), "\(gre.stdoutText)")
        let six = try await sockscope("tap", "-r", directory + "/ip6gre.pcap")
        #expect(six.stdoutText.contains("in GRE fd07::1 → fd07::2"), "\(six.stdoutText)")
    }

    @Test(
        "hostile tunnel frames — garbage flags, option lengths past the end, cut frames, 30 tunnels deep — are read to the end: exit 0, with and without --summary",
        arguments: [1, 2, 3])
    func hostileTunnels(_ seed: Int) async throws {
        let path = try TemporaryDirectory.make() + "/hostile.pcap"
        let made = try await run(Paths.python, [Paths.peer("tunnel_fuzz_pcap.py"), path, "\(seed)", "5000"])
        try #require(made.status == 0, "\(made)")
        for extra in [[], ["--summary", "--json"]] {
            let outcome = try await run(Paths.sockscope, ["tap", "-r", path] + extra)
            #expect(outcome.status == 0 && !outcome.stdout.isEmpty, "seed \(seed) \(extra): \(outcome.status) \(outcome.stderr)")
        }
    }

    @Test(
        "a real VXLAN tunnel between two namespaces, captured by tcpdump on the underlay: tap --read finds the conversations inside as tshark does",
        .enabled(if: Paths.isRoot, "skipped: namespaces and capturing need root"))
    func realVXLAN() async throws {
        let lan = try await TestLAN.make(hosts: 2)
        defer { lan.removeNow() }
        let overlay = (0..<2).map { "10.203.\(Int.random(in: 1...250)).\($0 + 1)" }
        let shared = overlay[0].split(separator: ".").prefix(3).joined(separator: ".")
        for index in 0..<2 {
            let host = lan.hosts[index]
            let address = "\(shared).\(index + 1)"
            for command in [
                [
                    "link", "add", "vx42", "type", "vxlan", "id", "42", "local", host.address,
                    "remote", lan.hosts[1 - index].address, "dstport", "4789", "dev", host.interface,
                ],
                ["addr", "add", "\(address)/24", "dev", "vx42"], ["link", "set", "vx42", "up"],
            ] {
                let outcome = try await run(Paths.ip, ["-n", host.namespace] + command)
                try #require(outcome.status == 0, "\(command): \(outcome)")
            }
        }
        let path = try TemporaryDirectory.make() + "/underlay.pcap"
        let capture = try lan.start(on: 0, Paths.tcpdump, ["-i", lan.hosts[0].interface, "--immediate-mode", "-U", "-w", path, "udp port 4789"])
        defer { capture.kill() }
        _ = try await capture.waitForLine(containing: "listening on")
        let server = try lan.start(on: 1, Paths.sockscope, ["listen", "-v", "--keep-open", "--upper", "\(shared).2", "80"])
        defer { server.kill() }
        _ = try await server.waitForLine(containing: "listening on")
        for size in [100, 200_000, 3000] {
            let client = try await run(
                Paths.ip, ["netns", "exec", lan.hosts[0].namespace, Paths.sockscope, "connect", "\(shared).2", "80"],
                input: Array(repeating: 0x76, count: size))
            #expect(client.status == 0 && client.stdout.count == size, "\(client.status) \(client.stderr)")
        }
        try await Task.sleep(for: .milliseconds(500))
        kill(capture.pid, SIGINT)
        _ = try? await capture.finish(timeout: .seconds(5))
        let theirs = try await TapOffloadTests.tshark(path)
        let (ours, outcome) = try await TapOffloadTests.ours(path)
        #expect(theirs.count == 3 && ours == theirs, "ours \(ours), tshark \(theirs)\n\(outcome.stderr)")
    }
}
