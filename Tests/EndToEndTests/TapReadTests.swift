import Foundation
import Glibc
import Testing

/// `tap --read`: captures made here (tcpdump -w of our own connection; pcapng from
/// editcap; files written by Python for odd link types and damage) read back.
@Suite("tap --read")
struct TapReadTests {
    /// A pcap file written by Python: link type `dlt`, `count` frames of 60 zero bytes,
    /// optionally cut short by `cut` bytes.
    static func syntheticPcap(dlt: Int, count: Int, cut: Int = 0) async throws -> String {
        let path = try TemporaryDirectory.make() + "/synthetic.pcap"
        let script = """
            import struct, sys
            data = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, \(dlt))
            for i in range(\(count)):
                data += struct.pack('<IIII', 1700000000 + i, 0, 60, 60) + bytes(60)
            open(sys.argv[1], 'wb').write(data[:len(data) - \(cut)])
            """
        let made = try await run(Paths.python, ["-c", script, path])
        try #require(made.status == 0, "\(made)")
        return path
    }

    @Test(
        "a connection captured by tcpdump -w reads back packet for packet as tcpdump -r shows it (flags, lengths, -tttt and -ttt times), with states; pcapng (editcap) reads the same; -w copies what passes the filter",
        .enabled(if: Paths.isRoot, "skipped: capturing with tcpdump needs root (CAP_NET_RAW)"))
    func tcpdumpCapture() async throws {
        let directory = try TemporaryDirectory.make()
        let target = try BackgroundProcess(Paths.python, [Paths.peer("forward_peer.py"), "target"])
        defer { target.kill() }
        let port = try await target.announcedPort(marker: "", inStdout: true)
        let pcap = directory + "/capture.pcap"
        let dump = try BackgroundProcess(Paths.tcpdump, ["--immediate-mode", "-i", "lo", "-U", "-w", pcap, "tcp port \(port)"])
        defer { dump.kill() }
        _ = try await dump.waitForLine(containing: "listening on")
        let client = try await sockscope("connect", "127.0.0.1", "\(port)", input: Array("hello".utf8))
        #expect(client.stdoutText == "hellobye")
        try await Task.sleep(for: .milliseconds(500))
        kill(dump.pid, SIGINT)
        _ = try await dump.finish(timeout: .seconds(10))

        let ours = try await sockscope("tap", "-r", pcap)
        #expect(ours.status == 0, "\(ours)")
        let theirs = try await run(Paths.tcpdump, ["-n", "-r", pcap])
        let theirFlags = theirs.stdoutText.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "Flags [") else { return nil }
            let flags = line[range.upperBound...].prefix { $0 != "]" }
            let length = line.split(separator: " ").last.map(String.init) ?? "?"
            return "[\(flags)] \(length)"
        }
        let ourLines = ours.stdoutText.split(separator: "\n")
        let ourFlags = ourLines.compactMap { line -> String? in
            guard let open = line.firstIndex(of: "["), let lengthRange = line.range(of: "len ") else { return nil }
            let flags = line[open...].prefix { $0 != "]" } + "]"
            let length = line[lengthRange.upperBound...].prefix { $0.isNumber }
            return "\(flags) \(length)"
        }
        #expect(!theirFlags.isEmpty && ourFlags == theirFlags, "ours \(ourFlags), tcpdump \(theirFlags)")
        #expect(ours.stdoutText.contains("client: TIME-WAIT"), "\(ours.stdoutText)")
        #expect(ours.stderr.contains("closed first, so it held TIME-WAIT"), "\(ours.stderr)")

        // --time epoch, delta, absolute and start, and tcpdump's own letters for them,
        // print tcpdump -tt's, -ttt's, -tttt's and -ttttt's times, line for line.
        for (form, flag) in [("epoch", "-tt"), ("delta", "-ttt"), ("absolute", "-tttt"), ("start", "-ttttt")] {
            let theirLines = try await run(Paths.tcpdump, [flag, "-n", "-r", pcap]).stdoutText.split(separator: "\n")
            let theirTimes = theirLines.map { String($0.trimmingCharacters(in: .whitespaces).components(separatedBy: " IP").first ?? "") }
            for options in [["--time", form], [flag]] {
                let stamped = try await run(Paths.sockscope, ["tap", "-r", pcap] + options)
                let ourTimes = stamped.stdoutText.split(separator: "\n").filter { $0.contains("→") }.map { $0.components(separatedBy: "  ").first ?? "" }
                #expect(!ourTimes.isEmpty && ourTimes == theirTimes, "\(options): ours \(ourTimes), tcpdump \(flag) \(theirTimes)")
            }
        }
        // -t: no time, each line starts with its endpoints (tcpdump -t starts with "IP").
        let untimed = try await sockscope("tap", "-t", "-r", pcap)
        #expect(untimed.stdoutText.split(separator: "\n").filter { $0.contains("→") }.allSatisfy { $0.hasPrefix("127.0.0.1:") }, "\(untimed)")
        // -n and -nn are what tap always does; -q keeps the flags and lengths tcpdump
        // shows and drops seq, ack, window and options.
        for numeric in ["-n", "-nn"] {
            let same = try await sockscope("tap", numeric, "-r", pcap)
            #expect(same.status == 0 && same.stdoutText == ours.stdoutText, "\(numeric): \(same)")
        }
        let brief = try await sockscope("tap", "-q", "-r", pcap)
        let briefLines = brief.stdoutText.split(separator: "\n").filter { $0.contains("→") }
        let briefFlags = briefLines.compactMap { line -> String? in
            guard let open = line.firstIndex(of: "["), let lengthRange = line.range(of: "len ") else { return nil }
            return "\(line[open...].prefix { $0 != "]" })] \(line[lengthRange.upperBound...].prefix { $0.isNumber })"
        }
        #expect(briefFlags == theirFlags && !briefLines.contains { $0.contains("seq ") || $0.contains("win ") }, "\(brief)")

        // --summary: the packets each way equal tshark -z conv,tcp's frames each way.
        let summary = try await sockscope("tap", "-r", pcap, "--summary")
        let row = try #require(summary.stdoutText.split(separator: "\n").first { $0.hasPrefix("1   ") }, "\(summary)")
        let packets = try #require(row.components(separatedBy: "packets ").last?.split(separator: " ").first, "\(row)")
        let conversation = try await run(Paths.tshark, ["-r", pcap, "-q", "-z", "conv,tcp"])
        let tsharkRow = try #require(conversation.stdoutText.split(separator: "\n").first { $0.contains("<->") }, "\(conversation)")
        let numbers = tsharkRow.split(separator: " ").filter { $0.allSatisfy(\.isNumber) }.compactMap { Int($0) }
        #expect(
            numbers.count >= 3 && Set(packets.split(separator: "/").compactMap { Int($0) }) == Set([numbers[0], numbers[2]]), "ours \(row), tshark \(tsharkRow)"
        )
        #expect(row.contains("client TIME-WAIT, server CLOSED") && row.contains("client closed first"), "\(row)")

        let pcapng = directory + "/capture.pcapng"
        let converted = try await run("/usr/bin/editcap", ["-F", "pcapng", pcap, pcapng])
        try #require(converted.status == 0, "\(converted)")
        let fromNG = try await sockscope("tap", "-r", pcapng)
        #expect(fromNG.stdoutText == ours.stdoutText, "pcapng reads as pcap: \(fromNG)")

        let copy = directory + "/syn-only.pcap"
        let filtered = try await sockscope("tap", "-r", pcap, "-w", copy, "tcp[tcpflags] & tcp-syn != 0")
        #expect(filtered.status == 0 && filtered.stderr.contains("2 packets written to \(copy)"), "\(filtered)")
        let reread = try await run(Paths.tcpdump, ["-n", "-r", copy])
        #expect(reread.stdoutText.split(separator: "\n").count == 2, "\(reread)")
    }

    @Test("a link type sockscope does not decode is counted and named, not fatal; a file cut short gives exit 74 after what it holds; a missing file 74")
    func oddFiles() async throws {
        let user0 = try await Self.syntheticPcap(dlt: 147, count: 3)
        let odd = try await sockscope("tap", "-r", user0, "")
        #expect(odd.status == 0 || odd.status == 1, "\(odd)")
        #expect(odd.stderr.contains("3 packets not decoded: sockscope does not decode link type 147"), "\(odd)")

        let cut = try await Self.syntheticPcap(dlt: 1, count: 3, cut: 20)
        let damaged = try await sockscope("tap", "-r", cut, "")
        #expect(damaged.status == 74 && damaged.stderr.contains("cut short"), "\(damaged)")
        #expect(damaged.stderr.contains("2 packets not decoded"), "the two whole packets were read first: \(damaged)")

        let missing = try await sockscope("tap", "-r", "/nonexistent/capture.pcap")
        #expect(missing.status == 74 && missing.stderr.contains("No such file"), "\(missing)")
    }

    @Test("--summary of UDP flows: packets and bytes each way as tshark -z conv,udp counts them; JSON conversation records")
    func udpSummary() async throws {
        let path = try TemporaryDirectory.make() + "/udp.pcap"
        let made = try await run(Paths.python, [Paths.peer("udp_pcap.py"), path, "4000:53:10", "53:4000:30", "4000:53:5", "5000:6000:1"])
        try #require(made.status == 0, "\(made)")
        let summary = try await sockscope("tap", "-r", path, "--summary")
        #expect(summary.stdoutText.contains("0 TCP conversations, 2 UDP flows"), "\(summary)")
        #expect(summary.stdoutText.contains("127.0.0.1:4000 ⇄ 127.0.0.1:53  UDP  packets 2/1  bytes 15/30"), "\(summary)")
        let tshark = try await run(Paths.tshark, ["-r", path, "-q", "-z", "conv,udp"])
        let row = try #require(tshark.stdoutText.split(separator: "\n").first { $0.contains(":4000") && $0.contains("<->") }, "\(tshark)")
        let numbers = row.split(separator: " ").filter { $0.allSatisfy(\.isNumber) }.compactMap { Int($0) }
        #expect(numbers.count >= 3 && Set([numbers[0], numbers[2]]) == Set([2, 1]), "tshark's frames each way: \(row)")
        let json = try await sockscope("tap", "-r", path, "--summary", "--json")
        #expect(json.stdoutText.contains(#""protocol":"udp","client_address":"127.0.0.1","client_port":5000"#), "\(json)")
        try await expectFailure(["tap", "-r", path, "--summary", "--time", "delta"], "--summary prints none")
    }

    @Test("usage: --read with live-capture options")
    func usage() async throws {
        try await expectFailure(["tap", "-r", "x.pcap", "-i", "lo"], "-i/--interface is for live capture")
        try await expectFailure(["tap", "-r", "x.pcap", "--duration", "1"], "--duration is for live capture")
        try await expectFailure(["tap", "-r", "x.pcap", "--json", "--time", "delta"], "--time shapes the text lines")
    }
}
