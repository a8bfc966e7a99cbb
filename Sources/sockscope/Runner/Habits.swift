import Glibc
import SockscopeCore

/// Answers for command lines typed from nc, ncat or nmap habits, checked before the
/// argument parser sees them: a misspelt subcommand, `help` of one that does not
/// exist, nc's `-z`, ncat's `--ssl-*` options. Each is a usage error (64) that names what to
/// type instead, never a silent fallback.
enum Habits {
    /// `HOST:PORT` or `[V6]:PORT` split in two (nc and ncat take them apart, as do URLs);
    /// nil for anything else, an IPv6 address without brackets included.
    static func hostAndPort(_ text: String) -> (host: String, port: String)? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), rest.count > 1 else { return nil }
            return (String(text[text.index(after: text.startIndex)..<close]), String(rest.dropFirst()))
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// Whether a word given where a host goes names a file instead: it has a slash, or
    /// names an existing Unix socket (`connect /tmp/app.sock`, `connect ./app.sock`).
    static func looksLikePath(_ text: String) -> Bool {
        if text.contains("/") { return true }
        var status = stat()
        return stat(text, &status) == 0 && (status.st_mode & S_IFMT) == S_IFSOCK
    }

    /// Each word that is `HOST:PORT` or `[V6]:PORT` as two words (forward's and proxy's
    /// lists of words, where an address and its port are two).
    static func splittingHostPorts(_ words: [String]) -> [String] {
        words.flatMap { word in hostAndPort(word).map { [$0.host, $0.port] } ?? [word] }
    }

    /// The usage error for `arguments`, when they are one of these habits.
    static func advice(for arguments: [String], subcommands: [String]) -> String? {
        guard let first = arguments.first else { return nil }
        if first == "help", arguments.count > 1, !subcommands.contains(arguments[1]) {
            return "no command '\(arguments[1])'\(suggestion(arguments[1], among: subcommands)); the commands: \(subcommands.joined(separator: ", "))"
        }
        if !first.hasPrefix("-"), first != "help", !subcommands.contains(first) {
            return "no command '\(first)'\(suggestion(first, among: subcommands)); see 'sockscope --help'"
        }
        let options = arguments.dropFirst().prefix { $0 != "--" }
        // nc's -z alone or among other letters: -z, -zv, -vz, -nzv.
        let cluster = options.first { $0.count > 1 && $0.hasPrefix("-") && !$0.hasPrefix("--") && $0.dropFirst().allSatisfy(\.isLetter) && $0.contains("z") }
        if ["connect", "listen"].contains(first), let cluster {
            return "\(cluster) is nc's port scan: use 'sockscope probe HOST PORTS' (for example: sockscope probe 127.0.0.1 20-25)"
        }
        if first == "probe", let cluster {
            let verbose = cluster.contains("v") ? "; it reports every port it was asked about, -v is not needed" : ""
            return "probe is nc -z already: leave out \(cluster)\(verbose) (for example: sockscope probe 127.0.0.1 20-25)"
        }
        if ["connect", "listen", "probe"].contains(first), let flag = options.first(where: { $0.hasPrefix("--ssl-") }) {
            return ncatTLSAdvice(flag, command: first)
        }
        return nil
    }

    /// ncat's --ssl-* options, and sockscope's words for them.
    static func ncatTLSAdvice(_ flag: String, command: String) -> String {
        let name = String(flag.prefix { $0 != "=" })
        let ours: String
        switch name {
        case "--ssl-cert": ours = command == "listen" ? "--cert FILE" : "--client-cert FILE"
        case "--ssl-key": ours = command == "listen" ? "--key FILE" : "--client-key FILE"
        case "--ssl-trustfile": ours = "--ca-file FILE"
        case "--ssl-verify": ours = "nothing: connect --tls verifies by default (--insecure turns it off)"
        case "--ssl-ciphers": ours = "--ciphers LIST"
        case "--ssl-alpn": ours = "--alpn LIST"
        case "--ssl-servername": ours = "--sni NAME"
        default:
            return
                "\(name) is ncat's; sockscope's TLS options are --tls, --ca-file, --insecure, --sni, --alpn, --ciphers, --tls-min, --tls-max, --keylog (see 'sockscope \(command) --help')"
        }
        return "\(name) is ncat's: with sockscope give \(ours) (with --tls)"
    }

    /// ` (did you mean 'connect'?)` for the closest name within two edits, else "".
    static func suggestion(_ typed: String, among names: [String]) -> String {
        let scored = names.map { (name: $0, distance: editDistance(typed.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= 2 else { return "" }
        return " (did you mean '\(best.name)'?)"
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
