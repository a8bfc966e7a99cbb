import ArgumentParser
import Glibc
import SockscopeCore

/// Invocations recognised without the argument parser, whose reflection over the
/// commands' options (protocol-conformance scans) is most of a plain invocation's
/// start-up time. Only exact shapes are taken; anything else — help, errors, other
/// options — goes through swift-argument-parser as before, so messages, help,
/// completions and the manual do not change. The tests check that each shape taken
/// here gives what the parser's path gives.
enum LightPath {
    /// What a recognised command line asks for.
    enum Invocation: Equatable {
        /// `sockscope --version`: the version line, as the parser prints it.
        case version
    }

    /// The invocation `arguments` (without the program name) is, or nil for the parser.
    static func recognise(_ arguments: [String]) -> Invocation? {
        arguments == ["--version"] ? .version : nil
    }

    /// Runs `invocation` through the one command runner (a failed write to stdout is
    /// exit 74, as everywhere) and ends the process.
    static func run(_ invocation: Invocation) -> Never {
        do {
            try CommandRunner.run { () throws(SockscopeError) in
                switch invocation {
                case .version: Diagnostics.output(text(invocation))
                }
            }
            exit(0)
        } catch {
            Sockscope.exit(withError: error)
        }
    }

    /// What `invocation` prints on stdout.
    static func text(_ invocation: Invocation) -> String {
        switch invocation {
        case .version: Sockscope.configuration.version + "\n"
        }
    }
}
