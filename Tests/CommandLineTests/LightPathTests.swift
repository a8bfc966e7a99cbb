import ArgumentParser
import Glibc
import TestSupport
import Testing

@testable import sockscope

/// The light path (invocations recognised without the argument parser) agrees with
/// the parser: what it takes is the request the parser's path builds, every option's
/// value alike, and what it declines is left to the parser untouched.
///
/// Serialized, with the parsing on a thread of its own: a debug build's parser takes tens
/// of milliseconds per line, and a test that held this machine's cooperative threads for
/// seconds starves the end-to-end tests' process tasks (their waits then time out).
@Suite("Light path", .serialized)
struct LightPathTests {
    /// Words a plain invocation may hold: addresses, names, ports, services, oddities.
    static let words = ["127.0.0.1", "80", "[::1]:80", "127.0.0.1:8080", "22", "example.invalid", "9", "65536", "http", "", "x y", "help"]

    /// Options and option-like words, each of which must send the line to the parser.
    static let optionWords = ["-", "--", "-4", "-u", "--json", "--help", "-h", "--version", "-q", "--quiet", "-v", "-k", "--tap", "-x", "--port=1"]

    static let commands = ["resolve", "probe", "connect", "listen", "send", "recv", "tap", "sockets", "demo", "broadcast", "nosuch", "help"]

    /// For one command: zero to three plain words (every word first, then paired with
    /// the next word and a third), and an option placed before, among and after two plain
    /// words; `probe -q` in each position.
    static func generated(_ command: String) -> [[String]] {
        var lines: [[String]] = [[command]]
        for (index, first) in words.enumerated() {
            let second = words[(index + 1) % words.count]
            lines += [[command, first], [command, first, second], [command, first, second, "hello"]]
        }
        // Lines every command's own checks accept (a port where one goes), so that each
        // shape is taken often: the generated ones above are mostly malformed.
        for words in [
            ["127.0.0.1", "80"], ["::1", "22"], ["127.0.0.1", "9", "hello"], ["80"], ["127.0.0.1:8080"], ["[::1]:80"], ["example.invalid", "http"],
        ] {
            lines.append([command] + words)
        }
        for option in optionWords {
            lines.append([command, option, "127.0.0.1", "80"])
            lines.append([command, "127.0.0.1", option, "80"])
            lines.append([command, "127.0.0.1", "80", option])
        }
        if command == "probe" {
            lines += [["probe", "-q", "-q", "127.0.0.1", "80"], ["probe", "127.0.0.1", "80", "-q"], ["probe", "--quiet", "::1", "22,80"]]
        }
        // The options taken besides plain words, alone, together, twice, in conflict, and
        // -w with good and bad values.
        for options in [
            ["--json"], ["-4"], ["-6"], ["-u"], ["--udp"], ["-v"], ["--verbose"], ["--json", "-4"], ["-v", "-u", "--json"], ["-4", "-6"],
            ["--json", "--json"], ["-u", "--udp"], ["-v", "--verbose"], ["-w", "5"], ["-w", "1.5s"], ["--timeout", "500ms"], ["-w", "-1"],
            ["-w", "abc"], ["-w"], ["-w", "0"], ["-w", "0ms"], ["--timeout", "2000000"], ["-w", "5", "--timeout", "6"], ["-q", "--json"], ["-vu"], ["--json=1"],
        ] {
            lines.append([command] + options + ["127.0.0.1", "80"])
            lines.append([command, "127.0.0.1"] + options + ["80"])
            lines.append([command, "127.0.0.1", "80"] + options)
            lines.append([command] + options + ["127.0.0.1", "9", "hello"])
        }
        return lines
    }

    /// The options the light path is meant to take, per command (the issue's list:
    /// --json, -v, -u, -4/-6, connect's -w): spelling → whether it takes a value.
    static func takenOptions(_ command: String) -> [String: Bool] {
        let family = ["-4": false, "-6": false]
        switch command {
        case "resolve": return family.merging(["--json": false]) { $1 }
        case "probe": return family.merging(["--json": false, "-u": false, "--udp": false]) { $1 }
        case "listen": return family.merging(["--json": false, "-u": false, "--udp": false, "-v": false, "--verbose": false]) { $1 }
        case "connect":
            return family.merging(["--json": false, "-u": false, "--udp": false, "-v": false, "--verbose": false, "-w": true, "--timeout": true]) { $1 }
        case "send": return family.merging(["-v": false, "--verbose": false]) { $1 }
        default: return [:]
        }
    }

    /// The request the parser's path runs for a parsed command, as the light path's
    /// invocation; nil for commands the light path never takes.
    static func invocation(_ command: any ParsableCommand) -> LightPath.Invocation? {
        switch command {
        case let command as ResolveCommand: .resolve(command.request)
        case let command as ProbeCommand: .probe(command.request)
        case let command as ConnectCommand: .connect(command.request)
        case let command as ListenCommand: .listen(command.request)
        case let command as SendCommand: .send(command.request)
        default: nil
        }
    }

    @Test("the light path builds the parser's request for every plain shape it takes, and declines the rest", arguments: commands)
    func agreement(_ command: String) async throws {
        // The parser's work runs on a thread of its own, off the two cooperative threads
        // the end-to-end tests' process tasks need (a debug parser validates every option
        // group on each parse: tens of milliseconds a line).
        let taken = await OwnThread.run { Self.checkAgreement(command) }
        // Each shape the issue names is exercised, many times over; other commands never.
        let plain = ["resolve", "probe", "connect", "listen", "send"].contains(command)
        #expect(plain ? taken >= 9 : taken == 0, "\(command): \(taken) taken")
    }

    /// Checks every generated line of `command`; returns how many the light path took.
    static func checkAgreement(_ command: String) -> Int {
        var taken = 0
        for arguments in Self.generated(command) {
            guard let invocation = LightPath.recognise(arguments) else {
                // A plain shape is declined only when the parser refuses it (its usage error).
                if Self.isPlain(arguments) {
                    #expect((try? Entry.subcommand(arguments[0])?.parseAsRoot(Array(arguments.dropFirst()))) == nil, "declined a plain shape: \(arguments)")
                }
                continue
            }
            let name = arguments[0]
            taken += 1
            #expect(Self.isPlain(arguments), "took a shape that is not plain: \(arguments)")
            // Entry's parser path: the subcommand parsed on its own.
            let parsed: any ParsableCommand
            do {
                parsed = try #require(Entry.subcommand(name)).parseAsRoot(Array(arguments.dropFirst()))
            } catch {
                Issue.record("\(arguments): taken by the light path, refused by the parser: \(Sockscope.message(for: error))")
                continue
            }
            #expect(Self.invocation(parsed) == invocation, "\(arguments)")
            // The same words after `--`, which the light path leaves to the parser, build
            // the same request through the root parser (the end-to-end tests run both).
            let separated = Self.separated(arguments)
            #expect(LightPath.recognise(separated) == nil, "\(separated)")
            #expect((try? Sockscope.parseAsRoot(separated)).flatMap(Self.invocation) == invocation, "\(separated)")
        }
        return taken
    }

    /// `CMD [OPTIONS] -- WORDS`: the same command line with its plain words after `--`.
    static func separated(_ arguments: [String]) -> [String] {
        let taken = takenOptions(arguments[0])
        var options: [String] = []
        var words: [String] = []
        var index = 1
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if word == "-q" || word == "--quiet" || taken[word] != nil {
                options.append(word)
                if taken[word] == true, index < arguments.count {
                    options.append(arguments[index])
                    index += 1
                }
            } else {
                words.append(word)
            }
        }
        return [arguments[0]] + options + ["--"] + words
    }

    /// The shapes the light path is meant to take.
    static func isPlain(_ arguments: [String]) -> Bool {
        guard let name = arguments.first else { return false }
        var words: [String] = []
        var seen: [String] = []
        let taken = takenOptions(name)
        let rest = Array(arguments.dropFirst())
        var index = 0
        while index < rest.count {
            let word = rest[index]
            index += 1
            if name == "probe" && (word == "-q" || word == "--quiet") {
                seen.append("-q")
            } else if let takesValue = taken[word] {
                seen.append(["--udp": "-u", "--verbose": "-v", "--timeout": "-w"][word] ?? word)
                if takesValue {
                    guard index < rest.count, !rest[index].hasPrefix("-") else { return false }
                    index += 1
                }
            } else {
                words.append(word)
            }
        }
        if Set(seen).count < seen.count || (seen.contains("-4") && seen.contains("-6")) || (seen.contains("-q") && seen.contains("--json")) {
            return false
        }
        if words.contains(where: { $0.hasPrefix("-") }) { return false }
        switch name {
        case "resolve", "connect", "listen": return (1...2).contains(words.count)
        case "probe": return words.count == 2
        case "send": return (2...3).contains(words.count)
        default: return false
        }
    }

    @Test("Entry finds each subcommand by its name, and knows every one the root command has")
    func subcommandNames() {
        let names = Sockscope.configuration.subcommands.map { $0.configuration.commandName ?? "" }
        #expect(Set(names) == Set(Entry.order))
        for name in names {
            #expect(Entry.subcommand(name)?.configuration.commandName == name, "\(name)")
        }
        #expect(Entry.subcommand("nosuch") == nil)
    }

    @Test("--version prints what the parser prints for it")
    func version() {
        guard case .version = LightPath.recognise(["--version"]) else {
            Issue.record("--version is not taken")
            return
        }
        do {
            _ = try Sockscope.parseAsRoot(["--version"])
            Issue.record("the parser did not answer --version")
        } catch {
            #expect(Sockscope.exitCode(for: error) == .success)
            #expect(LightPath.versionLine == Sockscope.message(for: error) + "\n")
        }
    }

    @Test(
        "every other shape is declined: left to the parser, as before",
        arguments: [
            ["--version", "--json"], ["--version", "x"], ["-V"], ["--help"], [], ["resolve"], ["resolve", "--json", "--all", "127.0.0.1"],
            ["resolve", "--version"], ["help", "--version"], ["--versio"], ["--version="], ["probe", "127.0.0.1", "-"],
            ["connect", "127.0.0.1", "80", "extra"], ["listen"], ["send", "127.0.0.1"], ["recv", "9000"],
        ])
    func declined(_ arguments: [String]) {
        #expect(LightPath.recognise(arguments) == nil, "\(arguments)")
    }
}
