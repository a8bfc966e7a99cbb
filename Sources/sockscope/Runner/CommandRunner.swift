import ArgumentParser
import SockscopeCore

/// The one path every command runs through: the command's work is one function
/// that returns an exit status or throws a `SockscopeError`; the runner reports the
/// error (a line on stderr, or a JSON object with `--json`) and exits with the
/// documented status.
enum CommandRunner {
    /// Runs `body`; a status other than success ends the process with that code.
    static func run(json: Bool = false, _ body: () throws(SockscopeError) -> ExitStatus) throws {
        var status: ExitStatus
        do {
            status = try body()
        } catch {
            report(error, json: json)
            status = error.status
        }
        if status.rawValue < ExitStatus.usage.rawValue, let failure = Diagnostics.outputFailure.withLock({ $0 }) {
            // The work was done but its output did not all reach stdout: not a success.
            report(SockscopeError("cannot write the output (stdout): \(failure.errno.nameAndText)", status: .ioError), json: json)
            status = .ioError
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }

    /// Runs `body`, which succeeds or throws.
    static func run(json: Bool = false, _ body: () throws(SockscopeError) -> Void) throws {
        try run(json: json) { () throws(SockscopeError) -> ExitStatus in
            try body()
            return .success
        }
    }

    /// `sockscope: message — explanation` on stderr, or one JSON error record there.
    static func report(_ error: SockscopeError, json: Bool) {
        if json {
            Diagnostics.raw(JSONLine.text(ErrorRecord(error)))
        } else {
            Diagnostics.report(error)
        }
    }
}
