import Testing

/// The harness itself must fail fast, not hang, when a process does not end.
@Suite("Test harness")
struct HarnessTests {
    @Test("a process that outlives its timeout is killed and reported")
    func timeoutKills() async throws {
        let started = ContinuousClock.now
        await #expect(throws: TimedOut.self) {
            _ = try await run("/bin/sleep", ["100"], timeout: .seconds(1))
        }
        // Far below the sleep's 100 s: the process was killed, not waited for. (Not a
        // timing test: on a loaded machine the 1 s timeout itself can fire late.)
        #expect(started.duration(to: .now) < .seconds(60))
    }

    @Test("a background process that does not exit in time is killed and reported")
    func backgroundTimeoutKills() async throws {
        let process = try BackgroundProcess("/bin/sleep", ["100"])
        let started = ContinuousClock.now
        await #expect(throws: TimedOut.self) {
            _ = try await process.finish(timeout: .seconds(1))
        }
        #expect(started.duration(to: .now) < .seconds(60))
    }
}
