import ArgumentParser
import Glibc
import SockscopeCore

/// The process entry point.
///
/// Startup time matters for a shell tool. Plain command lines (`resolve NAME`,
/// `connect HOST PORT`, `--version`, …) skip the argument parser altogether
/// (`LightPath`). Parsing from the root command makes the argument parser reflect over
/// every subcommand's options (its completion-script check alone walks the whole
/// tree), so when the first argument names a subcommand, that subcommand is parsed
/// directly. Anything that does not parse
/// cleanly that way — an error, `--help`, `--version` — goes through the full root
/// parser instead, so messages and help are exactly those of `Sockscope.main()`.
/// Only parsing is ever retried, never running a command.
@main
enum Entry {
    /// The subcommand called `name`. A switch, not a dictionary: instantiating
    /// `[String: any ParsableCommand.Type]` checks String's Hashable conformance at run
    /// time, a scan of every conformance record in the binary (~0.1 ms at start-up).
    static func subcommand(_ name: String) -> (any ParsableCommand.Type)? {
        switch name {
        case "connect": ConnectCommand.self
        case "listen": ListenCommand.self
        case "send": SendCommand.self
        case "recv": RecvCommand.self
        case "broadcast": BroadcastCommand.self
        case "probe": ProbeCommand.self
        case "merge": MergeCommand.self
        case "forward": ForwardCommand.self
        case "proxy": ProxyCommand.self
        case "resolve": ResolveCommand.self
        case "tap": TapCommand.self
        case "sockets": SocketsCommand.self
        case "demo": DemoCommand.self
        default: nil
        }
    }

    /// The subcommands in the order the help lists them.
    static let order = ["connect", "listen", "forward", "proxy", "send", "recv", "broadcast", "probe", "merge", "resolve", "tap", "sockets", "demo"]

    static func main() {
        // From the first instruction: a closed stdout or stderr is EPIPE, never a fatal
        // SIGPIPE — even while the argument parser prints usage.
        signal(SIGPIPE, SIG_IGN)
        reopenClosedStandardDescriptors()
        Interruption.install()
        var arguments = Array(CommandLine.arguments.dropFirst())
        if let invocation = LightPath.recognise(arguments) { LightPath.run(invocation) }
        if let advice = Habits.advice(for: arguments, subcommands: Self.order) {
            CommandRunner.report(SockscopeError(advice, status: .usage), json: arguments.contains("--json"))
            exit(ExitStatus.usage.rawValue)
        }
        // `CMD --help` as `help CMD`, whose usage line names the program: `sockscope CMD`.
        if let name = arguments.first, subcommand(name) != nil, arguments.dropFirst().contains(where: { $0 == "--help" || $0 == "-h" }) {
            arguments = ["help", name]
        }
        if let name = arguments.first, let type = subcommand(name),
            var command = try? type.parseAsRoot(Array(arguments.dropFirst()))
        {
            do {
                try command.run()
                exit(0)
            } catch {
                Sockscope.exit(withError: error)
            }
        }
        do {
            var command = try Sockscope.parseAsRoot(arguments)
            try command.run()
            exit(0)
        } catch {
            reportParseFailure(error, json: arguments.contains("--json"))
        }
    }

    /// A standard descriptor the shell closed (`>&-`, `<&-`, `2>&-`) would otherwise be
    /// handed to the first socket: the server's data would go back to it, or -v's
    /// trace into the connection. Each closed one of 0, 1, 2 is opened on /dev/null.
    static func reopenClosedStandardDescriptors() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if opened >= 0, opened != fd {
                dup2(opened, fd)
                close(opened)
            }
        }
    }

    /// Ends the process for a command line the parser refused (or for --help and
    /// --version, which it reports the same way). With --json, a usage error is a
    /// JSON `error` record like every other failure; help and version stay text.
    static func reportParseFailure(_ error: any Error, json: Bool) -> Never {
        let code = Sockscope.exitCode(for: error)
        guard json, code != .success, !(error is ExitCode) else { Sockscope.exit(withError: error) }
        let message = Sockscope.message(for: error)
        CommandRunner.report(SockscopeError(message.isEmpty ? "usage error" : message, status: .usage), json: true)
        exit(code.rawValue)
    }
}
