import Glibc
import SockscopeCore
import SystemPackage

/// `probe --resume FILE`: what a scan needs to continue after Ctrl-C, SIGTERM, a crash
/// or a reboot — its command line, the seed of its order, how many blocks of the order
/// are done, the totals so far and how far each nmap-format file had got — kept in
/// FILE, replaced atomically (`SystemCall.replaceFile`) after every window.
///
/// The file is text, a line per fact (`key value`), arguments and paths percent-encoded:
/// readable, and a torn write is impossible (the old file or the new one).
struct ScanCheckpoint: Equatable {
    /// The probe command's arguments, without `--resume FILE`.
    var arguments: [String]
    var seed: UInt64
    /// How many probes the whole scan holds: a changed target or port list cannot continue.
    var probes: UInt64
    /// Blocks of the order done (their windows probed and written out).
    var blocksDone: UInt64 = 0
    var probed = 0
    var openCount = 0
    var answering = 0
    var hostsProbed = 0
    var anyOpen = false
    var states: [PortState: Int] = [:]
    var elapsedMilliseconds: Int64 = 0
    /// How far each of nmap's format files had got: "xml", "grepable", "nmap".
    var outputs: [String: Output] = [:]
    var finished = false

    /// One output file: its path, its length after the last window done, its hosts.
    struct Output: Equatable {
        var path: String
        var offset: Int64
        var hosts: Int
    }

    static let heading = "# sockscope probe --resume: the state of a scan (continue it with: sockscope probe --resume FILE)"

    /// The file's text.
    var text: String {
        var lines = [Self.heading, "version 1"]
        lines += arguments.map { "argument " + Self.encoded($0) }
        lines += ["seed \(seed)", "probes \(probes)", "blocks-done \(blocksDone)", "probed \(probed)", "open \(openCount)"]
        lines += ["answering \(answering)", "hosts \(hostsProbed)", "any-open \(anyOpen ? 1 : 0)", "elapsed-ms \(elapsedMilliseconds)"]
        lines += PortState.allCases.compactMap { state in states[state].map { "state \(state.rawValue) \($0)" } }
        lines += outputs.keys.sorted().compactMap { key in
            outputs[key].map { "output \(key) \($0.offset) \($0.hosts) \(Self.encoded($0.path))" }
        }
        lines.append("finished \(finished ? 1 : 0)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads FILE; nil when there is none.
    /// - Throws: exit 74 when it cannot be read, 64 when it is not a resume file.
    static func load(_ path: String) throws(SockscopeError) -> ScanCheckpoint? {
        guard let bytes = SystemCall.readWholeFile(path, limit: 1 << 20) else {
            if errno == ENOENT { return nil }
            throw SockscopeError("cannot read \(path) (--resume): \(Errno.current.nameAndText)", status: .ioError)
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }

    static func parse(_ text: String, path: String) throws(SockscopeError) -> ScanCheckpoint {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
        guard lines.first.map(String.init) == heading, lines.dropFirst().first == "version 1" else {
            throw .usage("\(path) is not a resume file of sockscope probe (it was not written by --resume, or by a newer version)")
        }
        var checkpoint = ScanCheckpoint(arguments: [], seed: 0, probes: 0)
        var seen: Set<String> = []
        for (number, line) in lines.enumerated().dropFirst(2) {
            let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard let key = words.first, checkpoint.read(key, Array(words.dropFirst())) else {
                throw .usage("\(path) line \(number + 1) is not what --resume writes: '\(PrintableBytes.escaped(Array(line.utf8)))'")
            }
            seen.insert(key)
        }
        let required = ["seed", "probes", "blocks-done", "finished"]
        if let missing = required.first(where: { !seen.contains($0) }) {
            throw .usage("\(path) lacks its '\(missing)' line: it is not a whole resume file")
        }
        return checkpoint
    }

    /// The lines that hold a count.
    private static var counts: [String: WritableKeyPath<ScanCheckpoint, Int>] {
        [
            "probed": \.probed, "open": \.openCount, "answering": \.answering, "hosts": \.hostsProbed,
        ]
    }
    private static var numbers: [String: WritableKeyPath<ScanCheckpoint, UInt64>] {
        ["seed": \.seed, "probes": \.probes, "blocks-done": \.blocksDone]
    }

    /// Takes one line's value; false when the line is not understood.
    private mutating func read(_ key: String, _ values: [String]) -> Bool {
        guard let value = values.first else { return false }
        switch (key, values.count) {
        case ("argument", 1):
            guard let argument = Self.decoded(value) else { return false }
            arguments.append(argument)
        case (_, 1) where Self.counts[key] != nil:
            guard let path = Self.counts[key], let count = Int(value), count >= 0 else { return false }
            self[keyPath: path] = count
        case (_, 1) where Self.numbers[key] != nil:
            guard let path = Self.numbers[key], let number = UInt64(value) else { return false }
            self[keyPath: path] = number
        case ("elapsed-ms", 1):
            guard let milliseconds = Int64(value), milliseconds >= 0 else { return false }
            elapsedMilliseconds = milliseconds
        case ("any-open", 1), ("finished", 1):
            guard value == "0" || value == "1" else { return false }
            if key == "finished" { finished = value == "1" } else { anyOpen = value == "1" }
        case ("state", 2):
            guard let state = PortState(rawValue: value), let count = Int(values[1]), count >= 0 else { return false }
            states[state] = count
        case ("output", 4):
            guard let offset = Int64(values[1]), offset >= 0, let hosts = Int(values[2]), let path = Self.decoded(values[3]) else { return false }
            outputs[value] = Output(path: path, offset: offset, hosts: hosts)
        default: return false
        }
        return true
    }

    /// Replaces FILE with this state (atomically).
    /// - Throws: exit 73 when it cannot be written.
    func save(to path: String) throws(SockscopeError) {
        do throws(Errno) { try SystemCall.replaceFile(path, with: Array(text.utf8)) } catch {
            throw SockscopeError("cannot write \(path) (--resume): \(error.nameAndText)", status: .cannotCreate)
        }
    }

    /// Bytes outside `!`…`~`, and `%`, as `%HH`.
    static func encoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "%") {
                result.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                let digits = Array("0123456789ABCDEF")
                result += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
            }
        }
        return result
    }

    static func decoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var rest = Substring(text).utf8[...]
        while let byte = rest.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard rest.count >= 2, let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
            rest = rest.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// This invocation's probe arguments, without `--resume FILE` (or `--resume=FILE`).
    static func givenArguments(_ all: [String] = CommandLine.arguments) -> [String] {
        guard let command = all.dropFirst().firstIndex(of: "probe") else { return [] }
        var arguments: [String] = []
        var words = all[(command + 1)...]
        while let word = words.popFirst() {
            if word == "--" {
                arguments.append(word)
                arguments += words
                break
            }
            if word == "--resume" {
                _ = words.popFirst()
            } else if !word.hasPrefix("--resume=") {
                arguments.append(word)
            }
        }
        return arguments
    }
}
