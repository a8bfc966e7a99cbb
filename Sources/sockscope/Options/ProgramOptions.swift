import ArgumentParser

/// `-e/--exec`, `-c/--sh-exec`, `--stderr` (ncat's letters): a program with the
/// connection as its stdin and stdout — per client for `listen`, the one connection for
/// `connect`.
struct ProgramOptions: ParsableArguments {
    @Option(
        name: [.customShort("e"), .customLong("exec")],
        help: ArgumentHelp(
            "Run this program (split on spaces, run without a shell) with the connection as its stdin and stdout; listen: one per client.",
            valueName: "command"))
    var exec: String?

    @Option(name: [.customShort("c"), .customLong("sh-exec")], help: ArgumentHelp("Like --exec, with /bin/sh -c STRING.", valueName: "string"))
    var shellExec: String?

    @Flag(name: .customLong("stderr"), help: "With --exec/--sh-exec: send the program's stderr to the connection too.")
    var mergeStderr = false

    func validate() throws {
        if exec != nil && shellExec != nil { throw ValidationError("--exec and --sh-exec cannot be used together") }
        if mergeStderr && exec == nil && shellExec == nil { throw ValidationError("--stderr goes with --exec or --sh-exec") }
    }
}

extension ProgramOptions.Values {
    /// The program to run: --exec split on spaces, or /bin/sh -c for --sh-exec.
    var command: [String]? {
        if let exec { return exec.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        if let shellExec { return ["/bin/sh", "-c", shellExec] }
        return nil
    }
}
