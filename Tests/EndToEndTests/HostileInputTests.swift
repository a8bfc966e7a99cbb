import Glibc
import Testing

/// Hostile peers and input: bounded memory, no descriptor leaks, no crash on junk.
@Suite("Hostile input")
struct HostileInputTests {
    @Test("a peer that sends 1 GiB and never reads: everything passes through in bounded memory")
    func flood() async throws {
        let server = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
                print(s.getsockname()[1], flush=True)
                import time
                c, _ = s.accept(); block = b'z' * (1 << 20)
                for _ in range(1024): c.sendall(block)
                c.shutdown(socket.SHUT_WR); time.sleep(1); c.close()
                """,
            ])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        // Our stdin never ends during the flood, so we keep sending what the peer never
        // reads (its close then resets the connection: exit 74). Every byte of the
        // gigabyte must reach stdout first; peak memory is measured.
        let outcome = try await run(
            Paths.sh, ["-c", "yes | /usr/bin/time -f 'maxrss %M' \(Paths.sockscope) connect 127.0.0.1 \(port) | wc -c"], timeout: .seconds(60))
        let rss = outcome.stderr.split(separator: "\n").first { $0.hasPrefix("maxrss ") }.flatMap { Int($0.dropFirst(7)) } ?? .max
        #expect(outcome.stdoutText.filter(\.isNumber) == "1073741824", "\(outcome)")
        #expect(rss < 100_000, "peak RSS \(rss) KiB for a 1 GiB flood")
    }

    @Test("10,000 connections opened and dropped at once against listen -k --echo: no descriptor leak")
    func connectionStorm() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "--echo", "--backlog", "4096", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let owner = try await run(Paths.ss, ["-Hltnp", "( sport = :\(port) )"]).stdoutText
        let pid = owner.split(separator: "pid=").dropFirst().first.map { String($0.prefix(while: \.isNumber)) } ?? ""
        func descriptors() -> Int {
            guard let directory = opendir("/proc/\(pid)/fd") else { return -1 }
            defer { closedir(directory) }
            var count = 0
            while readdir(directory) != nil { count += 1 }
            return count
        }
        let before = descriptors()
        let storm = try await run(
            Paths.python,
            [
                "-c",
                """
                import socket, resource
                resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
                opened = []
                for _ in range(10000):
                    try:
                        opened.append(socket.create_connection(('127.0.0.1', \(port)), timeout=5))
                    except OSError:
                        pass
                for s in opened: s.close()
                print(len(opened))
                """,
            ], timeout: .seconds(90))
        #expect(Int(storm.stdoutText.filter(\.isNumber)) ?? 0 >= 9000, "\(storm)")
        var after = descriptors()
        for _ in 0..<100 where after != before {
            try await Task.sleep(for: .milliseconds(50))
            after = descriptors()
        }
        #expect(before > 0 && after == before, "descriptors before \(before), after \(after)")
        let still = try await sockscope("connect", "127.0.0.1", "\(port)", input: Array("alive".utf8))
        #expect(still.stdoutText == "alive", "the server still serves: \(still)")
    }

    @Test("non-UTF-8 bytes are escaped wherever text is printed, never a crash")
    func nonUTF8() async throws {
        let receiver = try BackgroundProcess(Paths.sockscope, ["recv", "--count", "1", "127.0.0.1", "0"])
        defer { receiver.kill() }
        let port = try await receiver.announcedPort(marker: "receiving on")
        _ = try await run(
            Paths.python, ["-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'\\xff\\xfe\\x00ok\\x80', ('127.0.0.1', \(port)))"])
        #expect(try await receiver.finish() == 0)
        #expect(receiver.stdoutText.contains("\\xff\\xfe\\0ok\\x80"), "\(receiver.stdoutText)")
        let json = try BackgroundProcess(Paths.sockscope, ["recv", "--json", "--count", "1", "127.0.0.1", "0"])
        defer { json.kill() }
        let jsonPort = try await json.announcedPort(marker: "receiving on")
        _ = try await run(
            Paths.python, ["-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'\\xff\\x00', ('127.0.0.1', \(jsonPort)))"])
        #expect(try await json.finish() == 0)
        #expect(json.stdoutText.contains("\"text\":null,\"hex\":\"ff00\""), "\(json.stdoutText)")
    }

    @Test(
        "the fuzz corpus (seeds and every crash ever found) replays through each target without a crash",
        arguments: ["decoder", "tracker", "parsers", "frames", "filters", "tls", "proxy", "text"])
    func fuzzCorpus(target: String) async throws {
        let fuzzer = Paths.sockscope.split(separator: "/").dropLast().joined(separator: "/") + "/sockscope-fuzz"
        let outcome = try await run("/" + fuzzer, [target, Paths.packageRoot + "/Tests/Fuzz/" + target])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText.contains("inputs replayed, no crash"))
    }

    @Test(
        "arguments at and past their size limits get a clear error, never a trap",
        arguments: [
            (["connect", String(repeating: "a", count: 100_000), "80"], 64, "253"),
            (["resolve", String(repeating: "b.", count: 60_000)], 64, "253"),
            (["probe", "127.0.0.1", String(repeating: "1,", count: 50_000) + "1"], 1, ""),
            (["listen", "-U", String(repeating: "c", count: 70_000)], 64, "over the limit of 107"),
            (["send", "127.0.0.1", "9", String(repeating: "d", count: 70_000)], 64, "EMSGSIZE"),
        ])
    func longArguments(arguments: [String], status: Int32, message: String) async throws {
        let outcome = try await run(Paths.sockscope, arguments)
        #expect(outcome.status == status, "\(outcome.stderr.prefix(300))")
        if !message.isEmpty { #expect(outcome.stderr.contains(message), "\(outcome.stderr.prefix(300))") }
    }
}
