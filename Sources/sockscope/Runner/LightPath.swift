import ArgumentParser
import Glibc
import SockscopeCore

/// Invocations recognised without the argument parser, whose reflection over the
/// commands' options (protocol-conformance scans) is most of a plain invocation's
/// start-up time. Only exact shapes are taken — `--version`, `resolve NAME [SERVICE]`,
/// `probe [-q] TARGETS PORTS`, `connect HOST [PORT]`, `listen [ADDR] PORT` and
/// `send HOST PORT [MESSAGE]`, whose arguments are plain words (none starts with `-`),
/// with the commonest options as separate words, each at most once (``options``:
/// `--json`, `-v`, `-u`, `-4`/`-6`, `connect -w SECS`);
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
        guard let name = arguments.first, let (words, setters) = takeOptions(name, Array(arguments.dropFirst())) else { return nil }
        let quiet = name == "probe" && arguments.contains { $0 == "-q" || $0 == "--quiet" }
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
        var configured = invocation
        for set in setters { set(&configured) }
        return configured.passesValidation ? configured : nil
    }

    /// Sets one option's value in an invocation's request.
    typealias Setter = (inout Invocation) -> Void

    /// The options taken besides plain words, per command: what each spelling sets. A
    /// value-taking option (`-w`) reads the next word through the parser's own
    /// `init(argument:)`.
    static func options(_ name: String) -> [String: (takesValue: Bool, set: (String) -> Setter?)] {
        func flag(_ set: @escaping Setter) -> (takesValue: Bool, set: (String) -> Setter?) { (false, { _ in set }) }
        var options = ["-4": flag { $0.family(ipv4: true) }, "-6": flag { $0.family(ipv4: false) }]
        let (json, udp, verbose) = (flag { $0.setJSON() }, flag { $0.setUDP() }, flag { $0.setVerbose() })
        switch name {
        case "resolve": options["--json"] = json
        case "probe": options.merge(["--json": json, "-u": udp, "--udp": udp]) { $1 }
        case "listen": options.merge(["--json": json, "-u": udp, "--udp": udp, "-v": verbose, "--verbose": verbose]) { $1 }
        case "connect":
            let timeout: (takesValue: Bool, set: (String) -> Setter?) = (
                true,
                { word in
                    // SetupTimeoutOptions.validate() refuses 0: its usage error.
                    Seconds(argument: word).flatMap { seconds in seconds.duration > .zero ? { $0.setTimeout(seconds) } : nil }
                }
            )
            options.merge(["--json": json, "-u": udp, "--udp": udp, "-v": verbose, "--verbose": verbose, "-w": timeout, "--timeout": timeout]) { $1 }
        case "send": options.merge(["-v": verbose, "--verbose": verbose]) { $1 }
        default: return [:]
        }
        return options
    }

    /// Takes the options ``options`` knows out of `words` (and `probe`'s `-q`): the plain
    /// words left and what the options set; nil when a word looks like any other option
    /// (or `-`, or `--`), when an option comes twice (under either spelling), or when a
    /// value is missing or not one the parser would take.
    static func takeOptions(_ name: String, _ arguments: [String]) -> (words: [String], setters: [Setter])? {
        let known = options(name)
        var words: [String] = []
        var setters: [Setter] = []
        var seen: Set<String> = []
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            guard word.hasPrefix("-") else {
                words.append(word)
                continue
            }
            if name == "probe" && (word == "-q" || word == "--quiet") {
                guard seen.insert("-q").inserted else { return nil }
                continue
            }
            guard let option = known[word], seen.insert(canonical(word)).inserted else { return nil }
            var value = ""
            if option.takesValue {
                guard index < arguments.count, !arguments[index].hasPrefix("-") else { return nil }
                value = arguments[index]
                index += 1
            }
            guard let setter = option.set(value) else { return nil }
            setters.append(setter)
        }
        // Combinations the parser's validate() refuses (-4 with -6; probe's --json with
        // -q) are left to it and its usage error.
        guard !(seen.contains("-4") && seen.contains("-6")), !(seen.contains("-q") && seen.contains("--json")) else { return nil }
        return (words, setters)
    }

    /// One name for both spellings of an option.
    private static func canonical(_ word: String) -> String {
        ["--udp": "-u", "--verbose": "-v", "--timeout": "-w"][word] ?? word
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
