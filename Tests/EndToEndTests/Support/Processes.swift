import Glibc
import Subprocess
import SystemPackage
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

extension TerminationStatus {
    var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }
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

/// Runs a program to completion with `input` on stdin, collecting stdout and stderr.
/// Killed (and the test failed) if it runs longer than `timeout`.
///
/// The input is given as a file, not a pipe: a program may rightly exit without
/// reading all of it, and a pipe would then fail the writer (swift-subprocess traps
/// on that error path).
func run(_ executable: String, _ arguments: [String], input: [UInt8] = [], timeout: Duration = .seconds(30)) async throws -> Outcome {
    _ = ignoringSIGPIPE
    let inputPath: String
    if input.isEmpty {
        inputPath = "/dev/null"
    } else {
        inputPath = try TemporaryDirectory.make() + "/stdin"
        try writeFile(inputPath, input)
    }
    let stdin = try FileDescriptor.open(FilePath(inputPath), .readOnly)
    return try await withTimeout(timeout, "\(executable) \(arguments.joined(separator: " "))") {
        let result = try await Subprocess.run(
            .path(FilePath(executable)), arguments: Arguments(arguments),
            input: .fileDescriptor(stdin, closeAfterSpawningProcess: true), output: .bytes(limit: 64 << 20), error: .string(limit: 1 << 20))
        return Outcome(status: result.terminationStatus.shellStatus, stdout: result.standardOutput, stderr: result.standardError)
    }
}

/// Runs `sockscope` with arguments.
func sockscope(_ arguments: String..., input: [UInt8] = [], timeout: Duration = .seconds(30)) async throws -> Outcome {
    try await run(Paths.sockscope, arguments, input: input, timeout: timeout)
}

/// A process running in the background (a server), its stdout and stderr going to
/// files the test can poll. It is killed — by its own PID, through cancellation —
/// when `stop()` is called or when `finish` times out.
final class BackgroundProcess: Sendable {
    let stdoutPath: String
    let stderrPath: String
    private let task: Task<Int32, any Error>

    /// Starts `executable`; stdin comes from `stdinPath` (or /dev/null), stdout goes
    /// to `stdoutPath` (or a temporary file).
    init(_ executable: String, _ arguments: [String], stdinPath: String? = nil, stdoutPath: String? = nil) throws {
        _ = ignoringSIGPIPE
        let directory = try TemporaryDirectory.make()
        let outPath = stdoutPath ?? directory + "/stdout"
        let errPath = directory + "/stderr"
        self.stdoutPath = outPath
        self.stderrPath = errPath
        let input = try FileDescriptor.open(FilePath(stdinPath ?? "/dev/null"), .readOnly)
        let output = try FileDescriptor.open(FilePath(outPath), .writeOnly, options: [.create, .truncate], permissions: .ownerReadWrite)
        let error = try FileDescriptor.open(FilePath(errPath), .writeOnly, options: [.create, .truncate], permissions: .ownerReadWrite)
        task = Task {
            try await Subprocess.run(
                .path(FilePath(executable)), arguments: Arguments(arguments),
                input: .fileDescriptor(input, closeAfterSpawningProcess: true),
                output: .fileDescriptor(output, closeAfterSpawningProcess: true),
                error: .fileDescriptor(error, closeAfterSpawningProcess: true)
            ).terminationStatus.shellStatus
        }
    }

    var stdoutText: String { readText(stdoutPath) }
    var stderrText: String { readText(stderrPath) }

    /// Waits until a line of stderr (or stdout) contains `marker`, and returns that line.
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
        let task = self.task
        // Awaiting a Task's value does not react to cancellation by itself: forward it,
        // so that the timeout kills the process instead of waiting for it forever.
        return try await withTimeout(timeout, "background process to exit") {
            try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        }
    }

    /// Kills the process (if still running) and waits for it.
    func stop() async {
        task.cancel()
        _ = try? await task.value
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
