import Glibc
import Testing

/// send, recv and broadcast against Python's socket module, socat and nc -u, and
/// across a LAN of namespaces for broadcast and multicast.
@Suite("UDP datagrams")
struct UDPTests {
    @Test("send --wait ↔ the Python tutorial UDP server: the reply is shown with its source and size")
    func sendToPythonServer() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("udp_peer.py"), "echo-server"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("send", "--wait", "1", "--json", "127.0.0.1", "\(port)", "hello")
        #expect(outcome.status == 0, "\(outcome)")
        #expect(
            outcome.stdoutText.contains(
                "\"source_address\":\"127.0.0.1\",\"source_port\":\(port),\"bytes\":5,\"bytes_arrived\":5,\"truncated\":false,\"text\":\"HELLO\""),
            "\(outcome.stdoutText)")
    }

    @Test(
        "send --wait --replies 2 against a server that answers three times: two replies shown, then it ends (the older --count too)",
        arguments: ["--replies", "--count"])
    func sendStopsAfterReplies(option: String) async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("udp_peer.py"), "chorus"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let started = ContinuousClock.now
        let outcome = try await sockscope("send", "--wait", "8", option, "2", "--raw", "127.0.0.1", "\(port)", "hi")
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "1 HI2 HI", "\(outcome)")
        #expect(ContinuousClock.now - started < .seconds(6), "ended at the second reply, not at --wait: \(outcome)")
    }

    @Test("recv --upper answers the Python client (sendto / recvfrom(1024)) and shows what came")
    func recvForPythonClient() async throws {
        let receiver = try BackgroundProcess(Paths.sockscope, ["recv", "--upper", "--count", "1", "127.0.0.1", "0"])
        defer { receiver.kill() }
        let port = try await receiver.announcedPort(marker: "receiving on")
        let client = try await run(Paths.python, [Paths.peer("udp_peer.py"), "client", "127.0.0.1", "\(port)", "quiet please"])
        #expect(client.stdoutText == "QUIET PLEASE", "\(client)")
        #expect(try await receiver.finish() == 0)
        #expect(receiver.stdoutText.contains("12 bytes  quiet please"), "\(receiver.stdoutText)")
    }

    @Test("socat and nc -u send to recv; send reaches socat UDP-RECV")
    func socatAndNc() async throws {
        let receiver = try BackgroundProcess(Paths.sockscope, ["recv", "--json", "--count", "2", "127.0.0.1", "0"])
        defer { receiver.kill() }
        let port = try await receiver.announcedPort(marker: "receiving on")
        _ = try await run(Paths.socat, ["-u", "-", "UDP-SENDTO:127.0.0.1:\(port)"], input: Array("via socat".utf8))
        _ = try await run(Paths.nc, ["-u", "-w", "1", "127.0.0.1", "\(port)"], input: Array("via nc\n".utf8))
        #expect(try await receiver.finish() == 0)
        #expect(receiver.stdoutText.contains("\"text\":\"via socat\""), "\(receiver.stdoutText)")
        #expect(receiver.stdoutText.contains("\"text\":\"via nc\\n\""), "\(receiver.stdoutText)")

        let socatPort = try freePort()
        let socat = try BackgroundProcess(Paths.socat, ["-u", "UDP-RECV:\(socatPort),bind=127.0.0.1", "-"])
        defer { socat.kill() }
        var received = false
        for _ in 0..<50 where !received {
            _ = try await sockscope("send", "127.0.0.1", "\(socatPort)", "to socat")
            try await Task.sleep(for: .milliseconds(50))
            received = socat.stdoutText.contains("to socat")
        }
        #expect(received, "socat printed: \(socat.stdoutText)")
    }

    @Test("a 2000-byte datagram into a 1024-byte buffer: both sizes reported (MSG_TRUNC)")
    func truncation() async throws {
        let receiver = try BackgroundProcess(Paths.sockscope, ["recv", "--buffer", "1024", "--count", "2", "127.0.0.1", "0"])
        defer { receiver.kill() }
        let port = try await receiver.announcedPort(marker: "receiving on")
        _ = try await run(Paths.python, [Paths.peer("udp_peer.py"), "send", "127.0.0.1", "\(port)", "2000"])
        _ = try await run(Paths.python, [Paths.peer("udp_peer.py"), "send", "127.0.0.1", "\(port)", "0"])
        #expect(try await receiver.finish() == 0)
        #expect(receiver.stdoutText.contains("truncated: 2000 bytes arrived, 1024 kept  " + String(repeating: "x", count: 1024) + "\n"))
        #expect(receiver.stdoutText.contains("0 bytes (empty datagram)"), "an empty datagram is delivered and shown")
    }

    @Test(
        "datagrams keep their boundaries: --lines keeps each newline, --size cuts N bytes, a message is one datagram, and an empty one is sent",
        arguments: [
            (["--lines"], "a\nbb\nccc", ["2 610a", "3 62620a", "3 636363"]),
            (["--size", "4"], "0123456789", ["4 30313233", "4 34353637", "2 3839"]),
            ([], "whole input\nin one", ["18 77686f6c6520696e7075740a696e206f6e65"]),
        ])
    func boundaries(options: [String], input: String, expected: [String]) async throws {
        let collector = try BackgroundProcess(Paths.python, [Paths.peer("udp_peer.py"), "collect", "\(expected.count)"])
        defer { collector.kill() }
        let port = try await collector.announcedPort(marker: "", inStdout: true)
        let outcome = try await run(Paths.sockscope, ["send"] + options + ["127.0.0.1", "\(port)"], input: Array(input.utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(try await collector.finish() == 0)
        #expect(Array(collector.stdoutText.split(separator: "\n").dropFirst().map(String.init)) == expected)
    }

    @Test("an empty MESSAGE is one empty datagram")
    func emptyMessage() async throws {
        let collector = try BackgroundProcess(Paths.python, [Paths.peer("udp_peer.py"), "collect", "1"])
        defer { collector.kill() }
        let port = try await collector.announcedPort(marker: "", inStdout: true)
        _ = try await sockscope("send", "127.0.0.1", "\(port)", "")
        #expect(try await collector.finish() == 0)
        #expect(collector.stdoutText.split(separator: "\n").last == "0 ")
    }

    @Test("limits and errors: EMSGSIZE, --size too large, connected send to a closed port (ECONNREFUSED), no SO_BROADCAST (EACCES)")
    func errors() async throws {
        let big = try await sockscope("send", "127.0.0.1", "9", input: [UInt8](repeating: 0x41, count: 70_000))
        #expect(big.status == 64, "\(big)")
        #expect(big.stderr.contains("EMSGSIZE (Message too long)"))
        let size = try await sockscope("send", "--size", "70000", "127.0.0.1", "9")
        #expect(size.status == 64)
        #expect(size.stderr.contains("--size takes 1 to 65507"))
        let closed = try freePort()
        let refused = try await sockscope("send", "--connect", "--wait", "2", "127.0.0.1", "\(closed)", "anyone?")
        #expect(refused.status == 69, "\(refused)")
        #expect(refused.stderr.contains("ECONNREFUSED") && refused.stderr.contains("ICMP port-unreachable"))
        let unconnected = try await sockscope("send", "127.0.0.1", "\(closed)", "into the void")
        #expect(unconnected.status == 0, "unconnected UDP: the loss is silent")
        let denied = try await sockscope("broadcast", "--no-so-broadcast", "--to", "127.255.255.255", "9", "hi")
        #expect(denied.status == 77, "\(denied)")
        #expect(denied.stderr.contains("EACCES (Permission denied)") && denied.stderr.contains("SO_BROADCAST"))
    }

    @Test(
        "connect -u: a peer that answers and then closes its socket while our sends go on — its answer is written out before the ICMP refusal ends the run (exit 69), every time"
    )
    func lastWordsBeforeRefusal() async throws {
        let input = try randomFile(megabytes: 16, in: try TemporaryDirectory.make())
        for _ in 0..<5 {
            let peer = try BackgroundProcess(
                Paths.python,
                [
                    "-c",
                    "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('127.0.0.1',0))\nprint('listening on 127.0.0.1:%d'%s.getsockname()[1],flush=True)\n_,a=s.recvfrom(65535);s.sendto(b'bye\\n',a);s.close()",
                ])
            defer { peer.kill() }
            let port = try await peer.announcedPort(inStdout: true)
            let outcome = try await run(Paths.sh, ["-c", "\(Paths.sockscope) connect -u --size 1200 127.0.0.1 \(port) < \(input)"])
            #expect(outcome.status == 69 && outcome.stderr.contains("ECONNREFUSED"), "\(outcome)")
            #expect(outcome.stdoutText == "bye\n", "the peer's answer came before it closed: \(outcome)")
        }
    }

    @Test("recv --echo answers with the datagram itself; --timeout with nothing arriving exits 1")
    func echoAndTimeout() async throws {
        let receiver = try BackgroundProcess(Paths.sockscope, ["recv", "--echo", "--count", "1", "127.0.0.1", "0"])
        defer { receiver.kill() }
        let port = try await receiver.announcedPort(marker: "receiving on")
        let client = try await run(Paths.python, [Paths.peer("udp_peer.py"), "client", "127.0.0.1", "\(port)", "Same Bytes"])
        #expect(client.stdoutText == "Same Bytes", "\(client)")

        let started = ContinuousClock.now
        let quiet = try await sockscope("recv", "--idle-timeout", "0.3", "127.0.0.1", "0")
        #expect(quiet.status == 1, "nothing received: \(quiet)")
        #expect(started.duration(to: .now) >= .milliseconds(300))
    }

    @Test("a port held without SO_REUSEADDR gives EADDRINUSE; --reuseport receivers share the datagrams of many senders")
    func reusePort() async throws {
        let holder = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, time
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
                print(s.getsockname()[1], flush=True); time.sleep(30)
                """,
            ])
        defer { holder.kill() }
        let held = try await holder.announcedPort(marker: "", inStdout: true)
        let refused = try await sockscope("recv", "--idle-timeout", "0.2", "127.0.0.1", "\(held)")
        #expect(refused.status == 69, "\(refused)")
        #expect(refused.stderr.contains("EADDRINUSE"))

        let first = try BackgroundProcess(Paths.sockscope, ["recv", "--json", "--reuseport", "--idle-timeout", "3", "127.0.0.1", "0"])
        defer { first.kill() }
        let port = try await first.announcedPort(marker: "receiving on")
        let second = try BackgroundProcess(Paths.sockscope, ["recv", "-v", "--json", "--reuseport", "--idle-timeout", "3", "127.0.0.1", "\(port)"])
        defer { second.kill() }
        _ = try await second.waitForLine(containing: "receiving on")
        _ = try await run(Paths.python, [Paths.peer("udp_peer.py"), "spray", "127.0.0.1", "\(port)", "40"])
        #expect(try await first.finish() == 0)
        #expect(try await second.finish() == 0)
        let counts = [first, second].map { $0.stdoutText.split(separator: "\n").count }
        #expect(counts[0] + counts[1] == 40, "\(counts)")
        #expect(counts[0] > 0 && counts[1] > 0, "SO_REUSEPORT spreads senders over both receivers: \(counts)")
    }

    @Test("--hexdump and --raw")
    func formats() async throws {
        let hex = try BackgroundProcess(Paths.sockscope, ["recv", "--hexdump", "--count", "1", "127.0.0.1", "0"])
        defer { hex.kill() }
        let port = try await hex.announcedPort(marker: "receiving on")
        _ = try await sockscope("send", "127.0.0.1", "\(port)", "Hello, hex dump!!")
        #expect(try await hex.finish() == 0)
        #expect(
            hex.stdoutText.contains("  00000000  48 65 6c 6c 6f 2c 20 68 65 78 20 64 75 6d 70 21  |Hello, hex dump!|\n  00000010  21"),
            "one hex dump format for every --hexdump: \(hex.stdoutText)")

        let raw = try BackgroundProcess(Paths.sockscope, ["recv", "--raw", "--count", "2", "127.0.0.1", "0"])
        defer { raw.kill() }
        let rawPort = try await raw.announcedPort(marker: "receiving on")
        _ = try await sockscope("send", "127.0.0.1", "\(rawPort)", "one")
        _ = try await sockscope("send", "127.0.0.1", "\(rawPort)", "two")
        #expect(try await raw.finish() == 0)
        #expect(raw.stdoutText == "onetwo")
    }

    @Test(
        "broadcast on a LAN of namespaces: to the subnet's and the limited broadcast address, two receivers answer",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces"))
    func broadcastLAN() async throws {
        let lan = try await TestLAN.make(hosts: 3)
        defer { lan.removeNow() }
        for destination in [["--interface", lan.hosts[0].interface], []] {
            var receivers: [BackgroundProcess] = []
            for index in 1...2 {
                let receiver = try lan.start(on: index, Paths.sockscope, ["recv", "-v", "--count", "1", "--reply", "host \(index) here", "7777"])
                receivers.append(receiver)
                _ = try await receiver.waitForLine(containing: "receiving on")
            }
            let outcome = try await lan.run(on: 0, Paths.sockscope, ["broadcast"] + destination + ["--wait", "1", "--json", "7777", "who is there?"])
            #expect(outcome.status == 0, "\(destination): \(outcome)")
            #expect(
                outcome.stdoutText.contains("\"source_address\":\"\(lan.hosts[1].address)\",\"source_port\":7777")
                    && outcome.stdoutText.contains("\"text\":\"host 1 here\""), "\(outcome.stdoutText)")
            #expect(
                outcome.stdoutText.contains("\"source_address\":\"\(lan.hosts[2].address)\",\"source_port\":7777")
                    && outcome.stdoutText.contains("\"text\":\"host 2 here\""), "\(outcome.stdoutText)")
            for receiver in receivers {
                #expect(try await receiver.finish() == 0)
                #expect(receiver.stdoutText.contains("\(lan.hosts[0].address):") && receiver.stdoutText.contains("who is there?"))
            }
        }
    }

    @Test(
        "multicast on a LAN of namespaces: two receivers join 239.1.2.3, both get the datagram and answer",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces"))
    func multicastLAN() async throws {
        let lan = try await TestLAN.make(hosts: 3)
        defer { lan.removeNow() }
        var receivers: [BackgroundProcess] = []
        for index in 1...2 {
            let receiver = try lan.start(
                on: index, Paths.sockscope,
                [
                    "recv", "-v", "--group", "239.1.2.3", "--interface", lan.hosts[index].interface, "--count", "1", "--reply", "member \(index)", "7778",
                ])
            receivers.append(receiver)
            _ = try await receiver.waitForLine(containing: "receiving on")
        }
        let outcome = try await lan.run(
            on: 0, Paths.sockscope,
            [
                "send", "-v", "--group", "239.1.2.3", "--interface", lan.hosts[0].interface, "--wait", "1", "--json", "7778", "hello group",
            ])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stderr.contains("IP_MULTICAST_TTL, 1"))
        #expect(outcome.stdoutText.contains("\"text\":\"member 1\"") && outcome.stdoutText.contains("\"text\":\"member 2\""), "\(outcome.stdoutText)")
        for receiver in receivers {
            #expect(try await receiver.finish() == 0)
            #expect(receiver.stdoutText.contains("hello group"))
            #expect(receiver.stderrText.contains("IP_ADD_MEMBERSHIP, 239.1.2.3"), "\(receiver.stderrText)")
        }
    }
}

extension UDPTests {
    @Test(
        "send --group and receivers on the same host: by a veth, only --loop (IP_MULTICAST_LOOP) delivers to them; by lo, they get it without",
        .enabled(if: Paths.isRoot, "skipped: needs root for network namespaces"))
    func multicastLoop() async throws {
        let lan = try await TestLAN.make(hosts: 2)
        defer { lan.removeNow() }
        let interface = lan.hosts[0].interface
        for loop in [false, true] {
            let receiver = try lan.start(
                on: 0, Paths.sockscope, ["recv", "-v", "--group", "239.1.2.3", "--interface", interface, "--count", "1", "-w", "1", "7781"])
            _ = try await receiver.waitForLine(containing: "receiving on")
            let sent = try await lan.run(
                on: 0, Paths.sockscope, ["send", "--group", "239.1.2.3", "--interface", interface] + (loop ? ["--loop"] : []) + ["7781", "hi"])
            #expect(sent.status == 0, "\(sent)")
            let status = try await receiver.finish()
            #expect(status == (loop ? 0 : 1) && receiver.stdoutText.contains("2 bytes  hi") == loop, "--loop \(loop): \(status) \(receiver.stdoutText)")
        }
        // A namespace whose multicast route is lo: what lo sends, it receives.
        let namespace = "smc\(getpid() % 1000)\(UInt16.random(in: 0...999))"
        for words in [
            ["netns", "add", namespace], ["-n", namespace, "link", "set", "lo", "up", "multicast", "on"],
            ["-n", namespace, "route", "add", "224.0.0.0/4", "dev", "lo"],
        ] {
            let step = try await run(Paths.ip, words)
            try #require(step.status == 0, "\(words): \(step)")
        }
        defer { runNow(Paths.ip, ["netns", "del", namespace]) }
        let receiver = try BackgroundProcess(
            Paths.ip, ["netns", "exec", namespace, Paths.sockscope, "recv", "-v", "--group", "239.1.2.3", "--count", "1", "-w", "2", "7782"])
        defer { receiver.kill() }
        _ = try await receiver.waitForLine(containing: "receiving on")
        let sent = try await run(Paths.ip, ["netns", "exec", namespace, Paths.sockscope, "send", "--group", "239.1.2.3", "7782", "by lo"])
        #expect(sent.status == 0, "\(sent)")
        #expect(try await receiver.finish() == 0 && receiver.stdoutText.contains("5 bytes  by lo"), "\(receiver.stdoutText)")
    }
}
