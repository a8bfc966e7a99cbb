import Testing

/// --frame against a Python peer that frames with struct.pack('>I', n).
@Suite("Framing")
struct FramingTests {
    @Test("connect --frame u32be: answers split byte by byte and coalesced two per write are reassembled")
    func connectReassembles() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("frame_peer.py"), "server"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await sockscope("connect", "--frame", "u32be", "127.0.0.1", "\(port)", input: Array("first message\nsecond\nthird\nfourth\n".utf8))
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdoutText == "FIRST MESSAGE\nSECOND\nTHIRD\nFOURTH\n")
    }

    @Test("listen --frame u32be: a Python client's coalesced frames arrive one per line; --frame-json gives lengths")
    func listenSeparates() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "--frame", "u32be", "--frame-json", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let client = try await run(Paths.python, [Paths.peer("frame_peer.py"), "client", "\(port)", "one", "two words", ""])
        #expect(client.status == 0, "\(client)")
        #expect(try await listener.finish() == 0)
        let records = listener.stdoutText.split(separator: "\n").map { $0.split(separator: ",").dropFirst(2).joined(separator: ",") }
        #expect(
            records == [
                #""bytes":3,"text":"one","hex":"6f6e65"}"#, #""bytes":9,"text":"two words","hex":"74776f20776f726473"}"#,
                #""bytes":0,"text":"","hex":""}"#,
            ], "\(listener.stdoutText)")
        #expect(listener.stdoutText.split(separator: "\n").allSatisfy { $0.hasPrefix(#"{"type":"message","time":""#) })
    }

    @Test("a header claiming 4 GiB closes the connection with a clear error (exit 74) and allocates nothing like it")
    func oversized() async throws {
        let server = try BackgroundProcess(Paths.python, [Paths.peer("frame_peer.py"), "huge"])
        defer { server.kill() }
        let port = try await server.announcedPort(marker: "", inStdout: true)
        let outcome = try await run("/usr/bin/time", ["-f", "maxrss %M", Paths.sockscope, "connect", "--frame", "u32be", "127.0.0.1", "\(port)"])
        #expect(outcome.status == 74, "\(outcome)")
        #expect(outcome.stderr.contains("announces a 4294967295-byte message, over the limit of 16777216 bytes"))
        let rss = outcome.stderr.split(separator: "\n").first { $0.hasPrefix("maxrss ") }.flatMap { Int($0.dropFirst(7)) } ?? .max
        #expect(rss < 100_000, "peak RSS \(rss) KiB")
    }

    @Test("--frame with UDP or with --keep-open is a usage error")
    func usage() async throws {
        let udp = try await sockscope("connect", "-u", "--frame", "line", "127.0.0.1", "9")
        #expect(udp.status == 64 && udp.stderr.contains("datagrams keep their boundaries"), "\(udp)")
        let keepOpen = try await sockscope("listen", "-k", "--frame", "line", "0")
        #expect(keepOpen.status == 64, "\(keepOpen)")
    }
}
