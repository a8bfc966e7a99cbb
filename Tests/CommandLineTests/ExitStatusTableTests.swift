import Foundation
import Glibc
import SockscopeCore
import Testing

@testable import sockscope

/// One source for exit statuses: `ExitStatus` makes the help's table, and the manual's
/// and the README's are made from the help (scripts/exit-codes.sh); every status the
/// code can exit with, and every one its texts name, is in it.
@Suite("exit statuses: one table, everywhere, complete")
struct ExitStatusTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func read(_ path: String) throws -> String { try String(contentsOfFile: root + "/" + path, encoding: .utf8) }

    /// The Swift files of the program (the fuzzing driver is a developer's tool).
    static func sources() throws -> [(path: String, text: String)] {
        var found: [(String, String)] = []
        for directory in ["Sources/sockscope", "Sources/SockscopeCore"] {
            let files = FileManager.default.enumerator(atPath: root + "/" + directory)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") { found.append((directory + "/" + file, try read(directory + "/" + file))) }
        }
        return found
    }

    @Test("the help's table has every status once, in order, within 76 columns; the root help shows it")
    func helpTable() {
        let table = ExitStatusTable.help()
        let codes = table.split(separator: "\n").dropFirst().compactMap { line in
            line.hasPrefix("  ") && line.dropFirst(2).first?.isNumber == true ? Int32(line.split(separator: " ")[0]) : nil
        }
        #expect(codes == ExitStatus.allCases.map(\.rawValue), "\(codes)")
        #expect(table.split(separator: "\n").allSatisfy { $0.count <= 76 }, "\(table)")
        #expect(Sockscope.configuration.discussion.contains(table))
    }

    @Test("README.md's table and the manual's EXIT STATUS list every status with its summary, in order")
    func readmeAndManual() throws {
        let readme = try Self.read("README.md")
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.dropFirst(2).first?.isNumber == true && readme.contains("exit-codes") }
        let expected = ExitStatus.allCases.map { "| \($0.rawValue) | \($0.summary) |" }
        #expect(rows.map(String.init).filter { expected.contains($0) } == expected, "README rows: \(rows)")
        let manual = try Self.read("man/sockscope.1")
        let section = manual.components(separatedBy: ".Sh \"EXIT STATUS\"").last ?? ""
        let items = section.split(separator: "\n").filter { $0.hasPrefix(".It ") }.map { String($0.dropFirst(4)) }
        #expect(items == ExitStatus.allCases.map { "\($0.rawValue)" }, "\(items)")
        #expect(!section.contains(".Ex -std"))
    }

    @Test("every way the program exits goes through ExitStatus, and the signals it ends on are in the table")
    func exitSitesUseTheTable() throws {
        let allowed = ["0", "status.rawValue", "code.rawValue", "ExitStatus.usage.rawValue"]
        let call = try Regex(#"(?:^|[^A-Za-z_.])((?:_exit|exit|ExitCode)\([^()]*\))"#)
        for (path, text) in try Self.sources() {
            for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                for match in line.matches(of: call) {
                    let argument = String(match.output[1].substring ?? "").drop { $0 != "(" }.dropFirst().dropLast()
                    let ok = allowed.contains(String(argument)) || argument.hasPrefix("128 + ") || argument.hasPrefix("withError:")
                    #expect(ok, "\(path): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        // _exit(128 + signal): the signals Interruption turns into an end.
        let interruption = try Self.read("Sources/SockscopeCore/EventLoop/Interruption.swift")
        let signals = Set(interruption.matches(of: try Regex(#"signal\((SIG[A-Z]+)\)"#)).compactMap { $0.output[1].substring.map(String.init) })
        let numbers = ["SIGHUP": SIGHUP, "SIGINT": SIGINT, "SIGTERM": SIGTERM]
        #expect(!signals.isEmpty && signals.isSubset(of: Set(numbers.keys)), "\(signals)")
        for signal in signals {
            #expect(ExitStatus(rawValue: 128 + (numbers[signal] ?? 0)) != nil, "\(signal) ends the program with a status the table lacks")
        }
    }

    @Test("every exit status a help text or message names ('exit 79', '(exit 74)', 'exits 1') is in the table")
    func namedStatusesExist() throws {
        let named = try Regex(#"\bexit(?:s| status)? (\d+)\b(?! ?\+)"#)
        for (path, text) in try Self.sources() {
            for match in text.matches(of: named) {
                guard let number = match.output[1].substring.flatMap({ Int32($0) }) else { continue }
                #expect(ExitStatus(rawValue: number) != nil, "\(path) names exit \(number)")
            }
        }
    }
}
