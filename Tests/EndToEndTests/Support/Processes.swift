import Glibc
import Synchronization
import TestSupport
import Testing

/// The result of a finished process.
struct Outcome: Sendable, CustomStringConvertible {
    /// Exit code, or 128 + signal number when a signal ended it (as a shell reports it).
    var status: Int32
    var stdout: [UInt8]
    var stderr: String

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

    var description: String { "status \(status), stdout \(stdout.count) bytes \(stdoutText.prefix(200).debugDescription), stderr: \(stderr)" }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(what)" }
}

struct SpawnFailed: Error, CustomStringConvertible {
    var executable: String
    var code: Int32
    var description: String { "posix_spawn \(executable): \(String(cString: strerror(code)))" }
}

/// Runs `operation`, cancelling it (which kills the process it runs) after `limit`.
func withTimeout<T: Sendable>(_ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut(what: what)
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw TimedOut(what: what) }
        return result
    }
}

/// The test process writes input to children that may exit without reading all of it
/// (as `send` does on an oversized datagram): that must be EPIPE, not a SIGPIPE that
/// kills the whole test run. Touched by every spawn below.
let ignoringSIGPIPE: Void = {
    signal(SIGPIPE, SIG_IGN)
}()

/// glibc's posix_spawn_file_actions_addclosefrom_np (2.34), which Swift's Glibc module
/// does not show: found with dlsym.
private let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()

/// A child started with posix_spawn(3) in a process group of its own, its standard
/// streams opened from paths in the child, every other descriptor closed.
///
/// Its exit is awaited by a thread of its own blocked in waitid(2), never by the
/// cooperative pool's threads (two on this machine): a test run starts hundreds of
/// children, and waits that hold pool threads starve every other test's timers.
final class ChildProcess: Sendable {
    let pid: pid_t
    private let state = Mutex(State())

    private struct State {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    /// Starts `executable` with `arguments`; stdin, stdout and stderr are opened from
    /// the paths given (stdout and stderr created or truncated).
    init(_ executable: String, _ arguments: [String], stdin: String, stdout: String, stderr: String) throws {
        _ = ignoringSIGPIPE
        _ = TemporaryDirectory.root  // TMPDIR is set before any child inherits the environment
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let closeFrom = closeFrom { _ = closeFrom(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own group, so that stop() reaches what a shell started under it; signal
        // dispositions and mask back to the defaults (this process ignores SIGPIPE).
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        var noSignal = sigset_t()
        sigemptyset(&noSignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setsigmask(&attributes, &noSignal)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child = pid_t()
        let code = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard code == 0 else { throw SpawnFailed(executable: executable, code: code) }
        pid = child
        startWaiter()
    }

    /// The exit status, as a shell reports it; waits for it without holding a thread.
    func status() async -> Int32 {
        await withCheckedContinuation { continuation in
            let ready: Int32? = state.withLock { state in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The exit status; cancelling the waiting task kills the process group.
    func statusKillingOnCancel() async -> Int32 {
        await withTaskCancellationHandler {
            await status()
        } onCancel: {
            kill()
        }
    }

    /// Blocks this thread until the child has exited (waitid with WNOWAIT: the waiter
    /// thread still reaps it). For clean-ups in `defer`, which cannot await.
    func waitBlocking() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
    }

    /// SIGKILL to the child's process group, unless the child has been reaped (its
    /// PID, and so the group's ID, may then belong to another process).
    func kill() {
        state.withLock { state in
            guard state.status == nil else { return }
            _ = Glibc.kill(-pid, SIGKILL)
        }
    }

    /// A detached thread waits for the exit without reaping it (WNOWAIT, so the PID
    /// cannot be reused while kill() may still aim at it), records the status, then
    /// reaps the child and wakes every waiter.
    private func startWaiter() {
        let pid = self.pid
        OwnThread.detach { [self] in
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
            let code = info._sifields._sigchld.si_status
            let status = info.si_code == CLD_EXITED ? code : 128 + code
            let waiters = state.withLock { state in
                state.status = status
                var reaped: Int32 = 0
                while waitpid(pid, &reaped, 0) == -1 && errno == EINTR {}
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
    }
}

/// Runs a program to completion with `input` on stdin, collecting stdout and stderr.
/// Killed (and the test failed) if it runs longer than `timeout`.
///
/// Input and output go through files, not pipes: a program may rightly exit without
/// reading all of its input, and nothing in this process has to pump a pipe.
func run(_ executable: String, _ arguments: [String], input: [UInt8] = [], timeout: Duration = .seconds(30)) async throws -> Outcome {
    let directory = try TemporaryDirectory.make()
    let inputPath = input.isEmpty ? "/dev/null" : directory + "/stdin"
    if !input.isEmpty { try writeFile(inputPath, input) }
    let child = try ChildProcess(executable, arguments, stdin: inputPath, stdout: directory + "/stdout", stderr: directory + "/stderr")
    let status = try await withTimeout(timeout, "\(executable) \(arguments.joined(separator: " "))") {
        await child.statusKillingOnCancel()
    }
    let stdout = (try? readFile(directory + "/stdout")) ?? []
    let stderr = (try? readFile(directory + "/stderr")) ?? []
    return Outcome(status: status, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
}

/// Runs a short program (a clean-up such as `ip netns del`) to its end, blocking the
/// calling thread: for `defer` blocks, which cannot await, and whose clean-up must not
/// be left to a task that may never run before the test process ends.
func runNow(_ executable: String, _ arguments: [String]) {
    guard let child = try? ChildProcess(executable, arguments, stdin: "/dev/null", stdout: "/dev/null", stderr: "/dev/null") else { return }
    child.waitBlocking()
}

/// Runs `sockscope` with arguments.
func sockscope(_ arguments: String..., input: [UInt8] = [], timeout: Duration = .seconds(30)) async throws -> Outcome {
    try await run(Paths.sockscope, arguments, input: input, timeout: timeout)
}

/// A process running in the background (a server), its stdout and stderr going to
/// files the test can poll. Its process group is killed — by the ID of the group the
/// harness made for it — when `stop()` is called or when `finish` times out.
final class BackgroundProcess: Sendable {
    let stdoutPath: String
    let stderrPath: String
    private let child: ChildProcess

    /// Starts `executable`; stdin comes from `stdinPath` (or /dev/null), stdout goes
    /// to `stdoutPath` (or a temporary file).
    init(_ executable: String, _ arguments: [String], stdinPath: String? = nil, stdoutPath: String? = nil) throws {
        let directory = try TemporaryDirectory.make()
        let outPath = stdoutPath ?? directory + "/stdout"
        let errPath = directory + "/stderr"
        self.stdoutPath = outPath
        self.stderrPath = errPath
        child = try ChildProcess(executable, arguments, stdin: stdinPath ?? "/dev/null", stdout: outPath, stderr: errPath)
    }

    var pid: pid_t { child.pid }
    var stdoutText: String { readText(stdoutPath) }
    var stderrText: String { readText(stderrPath) }

    ///    /// Waits until a line of stderr (or stdout) contains `marker`, and returns that line.
    func waitForLine(containing marker: String, inStdout: Bool = false, timeout: Duration = .seconds(10)) async throws -> String {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        func found() -> String? {
            let text = inStdout ? stdoutText : stderrText
            return text.split(separator: "\n").first(where: { marker.isEmpty || $0.contains(marker) }).map(String.init)
        }
        while ContinuousClock.now < deadline {
            if let line = found() { return line }
            try await Task.sleep(for: .milliseconds(20))
        }
        // One last look: when the test process's threads were busy past the deadline, the
        // line may have come in time all the same (a stall of this process is not the
        // program's failure).
        if let line = found() { return line }
        throw TimedOut(what: "waiting for '\(marker)'; stderr: \(stderrText)")
    }

    /// The port a server announced: in the first line containing `marker`, the number
    /// after the last colon of `sockscope: listening on ADDR:PORT …`, or a bare number.
    func announcedPort(marker: String = "listening on", inStdout: Bool = false) async throws -> UInt16 {
        let line = try await waitForLine(containing: marker, inStdout: inStdout)
        let address = line.split(separator: " ").first { $0.contains(":") && $0.last?.isNumber == true } ?? Substring(line)
        let digits = address.reversed().prefix(while: { $0.isNumber }).reversed()
        guard let port = UInt16(String(digits)) else { throw TimedOut(what: "no port in '\(line)'") }
        return port
    }

    /// Waits for the process to exit by itself; kills it and throws after `timeout`.
    func finish(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let child = self.child
        return try await withTimeout(timeout, "background process to exit") {
            await child.statusKillingOnCancel()
        }
    }

    /// Kills the process group (if the process still runs), without waiting: what a
    /// test's `defer` does.
    func kill() { child.kill() }

    /// Kills the process group (if the process still runs) and waits for the process.
    func stop() async {
        child.kill()
        _ = await child.status()
    }

    private func readText(_ path: String) -> String {
        (try? readFile(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// Runs sockscope with `arguments` and expects it to fail with `status` (a usage
/// error, 64, unless told) and a message on stderr containing `message`.
func expectFailure(_ arguments: [String], _ message: String, status: Int32 = 64, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let outcome = try await run(Paths.sockscope, arguments)
    #expect(outcome.status == status, "\(arguments): \(outcome)", sourceLocation: sourceLocation)
    #expect(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)", sourceLocation: sourceLocation)
}
