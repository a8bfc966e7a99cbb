import Testing

/// The installed program's two paths give the same results: each plain command line,
/// which the light path takes, against the same words after `--`, which it leaves to
/// the argument parser. Exit status, stdout and stderr must match, timings aside.
@Suite("Light path, end to end")
struct LightPathEndToEndTests {
    /// The outcome with durations (`0.19 ms`, `in 0.00 s`) blanked.
    static func normalised(_ outcome: Outcome) -> String {
        func blank(_ text: String) -> String { text.replacing(/\d+(\.\d+)? ?m?s\b/, with: "T") }
        return "status \(outcome.status)\nstdout:\n\(blank(outcome.stdoutText))\nstderr:\n\(blank(outcome.stderr))"
    }

    /// `CMD [-q] -- WORDS`: the parser's path for the same command line.
    static func separated(_ arguments: [String]) -> [String] {
        let quiet = arguments.filter { $0 == "-q" }
        return [arguments[0]] + quiet + ["--"] + arguments.dropFirst().filter { $0 != "-q" }
    }

    /// Runs both forms; returns the light path's outcome after checking they agree.
    @discardableResult
    static func agree(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> Outcome {
        let light = try await run(Paths.sockscope, arguments)
        let parsed = try await run(Paths.sockscope, separated(arguments))
        #expect(normalised(light) == normalised(parsed), "\(arguments)", sourceLocation: sourceLocation)
        return light
    }

    @Test("resolve, probe, connect, listen and send: the same status and output either way")
    func sameOutcomes() async throws {
        let closed = try freePort()
        let cases: [([String], Int32)] = [
            (["resolve", "127.0.0.1"], 0), (["resolve", "::1", "ssh"], 0), (["resolve", "127.0.0.1", "nosuch"], 64), (["resolve", ""], 64),
            (["probe", "-q", "127.0.0.1", "\(closed)"], 1), (["probe", "127.0.0.1", "\(closed),\(closed)"], 1), (["probe", "::1", "x"], 64),
            (["connect", "127.0.0.1", "\(closed)"], 69), (["connect", "[::1]:\(closed)"], 69), (["connect", "127.0.0.1:x"], 64),
            (["listen", "192.0.2.1", "\(closed)"], 69), (["listen", "127.0.0.1", "x"], 64), (["listen", "::1%nosuch", "\(closed)"], 64),
            (["send", "127.0.0.1", "\(closed)", "hello"], 0), (["send", "127.0.0.1", "0", "hello"], 64),
        ]
        for (arguments, status) in cases {
            let outcome = try await Self.agree(arguments)
            #expect(outcome.status == status, "\(arguments): \(outcome.stderr)")
        }
    }

    @Test("listen PORT and connect HOST PORT relay the same bytes either way")
    func relay() async throws {
        for form in [{ (words: [String]) in words }, Self.separated] {
            // Port 0: the kernel picks one, and listen announces it.
            let server = try BackgroundProcess(Paths.sockscope, form(["listen", "127.0.0.1", "0"]))
            let port = try await server.announcedPort()
            let client = try await run(Paths.sockscope, form(["connect", "127.0.0.1", "\(port)"]), input: Array("hello over the light path\n".utf8))
            #expect(client.status == 0, "\(client.stderr)")
            #expect(try await server.finish() == 0)
            #expect(server.stdoutText == "hello over the light path\n")
        }
    }
}
