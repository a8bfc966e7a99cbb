import ArgumentParser
import Glibc
import SockscopeCore

/// Invocations recognised without the argument parser, whose reflection over the
/// commands' options (protocol-conformance scans) is most of a plain invocation's
/// start-up time. Only exact shapes are taken — `--version`, `resolve NAME [SERVICE]`,
/// `probe [-q] TARGETS PORTS`, `connect HOST [PORT]`, `listen [ADDR] PORT` and
/// `send HOST PORT [MESSAGE]`, whose arguments are plain words (none starts with `-`);
/// anything else — help, errors, any other option — goes through swift-argument-parser
/// as before, so messages, help, completions and the manual do not change. A taken
/// shape builds the same command, every option at its default, that the parser
/// builds for it (see LightPath+Defaults.swift), and runs it the same way; the tests
/// check that the two agree over generated command lines.
enum LightPath {
    /// What a recognised command line asks for.
    enum Invocation {
        /// `sockscope --version`: the version line, as the parser prints it.
        case version
        /// A subcommand, built as the parser would build it.
        case command(any ParsableCommand)
    }

    /// The invocation `arguments` (without the program name) is, or nil for the parser.
    static func recognise(_ arguments: [String]) -> Invocation? {
        if arguments == ["--version"] { return .version }
        guard let name = arguments.first else { return nil }
        var words = Array(arguments.dropFirst())
        var quiet = false
        if name == "probe", let flag = words.firstIndex(where: { $0 == "-q" || $0 == "--quiet" }) {
            quiet = true
            words.remove(at: flag)
        }
        // A word the parser could read as an option (or `-`, or `--`) is its business.
        guard !words.contains(where: { $0.hasPrefix("-") }) else { return nil }
        guard var command = plainCommand(name, words, quiet: quiet) else { return nil }
        // What the command itself refuses, the parser reports, in its words.
        do {
            try command.validate()
        } catch {
            return nil
        }
        return .command(command)
    }

    /// The command `name` with these positional words, when that is a shape taken here.
    private static func plainCommand(_ name: String, _ words: [String], quiet: Bool) -> (any ParsableCommand)? {
        switch (name, words.count) {
        case ("resolve", 1...2): ResolveCommand.plain(name: words[0], service: words.count > 1 ? words[1] : nil)
        case ("probe", 2): ProbeCommand.plain(targets: words[0], ports: words[1], quiet: quiet)
        case ("connect", 1...2): ConnectCommand.plain(host: words[0], port: words.count > 1 ? words[1] : nil)
        case ("listen", 1...2): ListenCommand.plain(first: words[0], second: words.count > 1 ? words[1] : nil)
        case ("send", 2...3): SendCommand.plain(host: words[0], port: words[1], message: words.count > 2 ? words[2] : nil)
        default: nil
        }
    }

    /// Runs `invocation` and ends the process. A command reports its own failures
    /// through the command runner and ends with its exit status, as on the parser's path.
    static func run(_ invocation: Invocation) -> Never {
        do {
            switch invocation {
            case .version:
                try CommandRunner.run { () throws(SockscopeError) in Diagnostics.output(text(invocation)) }
            case .command(var command):
                try command.run()
            }
            exit(0)
        } catch let status as ExitCode {
            exit(status.rawValue)
        } catch {
            Sockscope.exit(withError: error)
        }
    }

    /// What `invocation` prints on stdout, for the ones whose output is fixed.
    static func text(_ invocation: Invocation) -> String {
        switch invocation {
        case .version: Sockscope.configuration.version + "\n"
        case .command: ""
        }
    }
}
