import ArgumentParser
import Testing

@testable import sockscope

/// The light path (invocations recognised without the argument parser) agrees with
/// the parser: what it takes gives the parser's output, and what it declines is left
/// to the parser untouched.
@Suite("Light path")
struct LightPathTests {
    @Test("--version prints what the parser prints for it")
    func version() {
        #expect(LightPath.recognise(["--version"]) == .version)
        do {
            _ = try Sockscope.parseAsRoot(["--version"])
            Issue.record("the parser did not answer --version")
        } catch {
            #expect(Sockscope.exitCode(for: error) == .success)
            #expect(LightPath.text(.version) == Sockscope.message(for: error) + "\n")
        }
    }

    @Test(
        "every other shape is declined: left to the parser, as before",
        arguments: [
            ["--version", "--json"], ["--version", "x"], ["-V"], ["--help"], [], ["resolve", "127.0.0.1"],
            ["resolve", "--version"], ["help", "--version"], ["--versio"], ["--version="],
        ])
    func declined(_ arguments: [String]) {
        #expect(LightPath.recognise(arguments) == nil, "\(arguments)")
    }
}
