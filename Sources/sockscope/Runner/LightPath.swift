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
/// shape builds the command's request — every option's value, plain data, generated
/// from the option declarations (Sources/sockscope/Generated, `make generate`) — that the
/// parser's path builds from the parsed command (`ResolveCommand.request`, …), and
/// runs it the same way; the tests check that the two agree over generated command
/// lines. Building a command struct instead would cost most of what is saved: its
/// property wrappers' definitions (names, help) take 0.3–0.5 ms to make.
enum LightPath {
    /// What a recognised command line asks for.
    enum Invocation: Equatable {
        /// `sockscope --version`: the version line, as the parser prints it.
        case version
        case resolve(ResolveCommand.Request)
        case probe(ProbeCommand.Request)
        case connect(ConnectCommand.Request)
        case listen(ListenCommand.Request)
        case send(SendCommand.Request)
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
        // Every option at its default: no command's validate() refuses these shapes (the
        // agreement test has the parser accept each one).
        let second = words.count > 1 ? words[1] : nil
        let invocation: Invocation
        switch (name, words.count) {
        case ("resolve", 1...2): invocation = .resolve(.init(name: words[0], service: second))
        case ("probe", 2): invocation = .probe(.init(targets: words[0], ports: words[1], quiet: quiet))
        case ("connect", 1...2): invocation = .connect(.init(host: words[0], port: second))
        case ("listen", 1...2): invocation = .listen(.init(first: words[0], second: second))
        case ("send", 2...3): invocation = .send(.init(host: words[0], port: words[1], message: words.count > 2 ? words[2] : nil))
        default: return nil
        }
        return invocation.passesValidation ? invocation : nil
    }

    /// Runs `invocation` and ends the process. A command reports its own failures
    /// through the command runner and ends with its exit status, as on the parser's path.
    static func run(_ invocation: Invocation) -> Never {
        do {
            switch invocation {
            case .version:
                try CommandRunner.run { () throws(SockscopeError) in Diagnostics.output(versionLine) }
            case .resolve(let request): try request.run()
            case .probe(let request): try request.run()
            case .connect(let request): try request.run()
            case .listen(let request): try request.run()
            case .send(let request): try request.run()
            }
            exit(0)
        } catch let status as ExitCode {
            exit(status.rawValue)
        } catch {
            Sockscope.exit(withError: error)
        }
    }

    /// What `--version` prints on stdout.
    static var versionLine: String { Sockscope.version + "\n" }
}

extension LightPath.Invocation {
    /// Whether the parser's validate() would take these words: the checks of the
    /// positionals it makes (a missing PORT, a bad port, brackets…), run here too, so
    /// that a line the parser refuses is left to the parser and its usage error.
    var passesValidation: Bool {
        do throws(SockscopeError) {
            switch self {
            case .version, .probe: break  // probe's validate() has nothing to say about TARGETS PORTS alone
            case .resolve(let request): try request.checkArguments()
            case .connect(let request): _ = try request.target()
            case .listen(let request): _ = try request.positionals()
            case .send(let request): _ = try request.destination()
            }
            return true
        } catch {
            return error.status != .usage
        }
    }
}
