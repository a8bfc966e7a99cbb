import Glibc
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

    @Test("stop() ends what a shell started under a background process, not only the shell")
    func stopKillsTheGroup() async throws {
        let process = try BackgroundProcess(Paths.sh, ["-c", "sleep 100 | sleep 100; echo unreachable"])
        // dash forks both sleeps: wait until they exist, then stop the shell.
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        var members: [pid_t] = []
        while members.count < 3 && ContinuousClock.now < deadline {
            members = Self.groupMembers(process.pid)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(members.count == 3, "\(members)")
        await process.stop()
        var left = Self.groupMembers(process.pid)
        for _ in 0..<100 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(20))
            left = Self.groupMembers(process.pid)
        }
        #expect(left.isEmpty, "still running in the group: \(left)")
    }

    @Test("a child inherits stdin, stdout and stderr, and no other descriptor of the test process")
    func noInheritedDescriptors() async throws {
        let open = Glibc.open("/dev/null", O_RDONLY)  // without O_CLOEXEC
        defer { close(open) }
        #expect(open > 2)
        let outcome = try await run("/bin/ls", ["/proc/self/fd"])
        // ls's own descriptor for the directory it lists is the one extra.
        let descriptors = outcome.stdoutText.split(separator: "\n").compactMap { Int32($0) }
        #expect(descriptors.filter { $0 > 3 }.isEmpty && descriptors.contains(2), "\(outcome)")
        #expect(!descriptors.contains(open) || open == 3, "\(outcome)")
    }

    /// The live processes whose process group is `group` (from /proc/PID/stat).
    static func groupMembers(_ group: pid_t) -> [pid_t] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var members: [pid_t] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard let pid = pid_t(name), let stat = try? readFile("/proc/\(pid)/stat") else { continue }
            // pid (comm) state ppid pgrp …: the fields after the last ')'.
            let text = String(decoding: stat, as: UTF8.self)
            guard let close = text.lastIndex(of: ")") else { continue }
            let fields = text[text.index(after: close)...].split(separator: " ")
            if fields.count > 2, fields[0] != "Z", pid_t(fields[2]) == group { members.append(pid) }
        }
        return members
    }
}
