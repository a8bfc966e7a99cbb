/// nmap's IPv4 octet ranges, the one grammar of probe targets, `-iL`, `--exclude` and
/// `--allow`/`--deny`: `a.b.c.d[/N]` where each octet is a comma list of `N`, `N-M`,
/// `-M`, `N-`, `-` or `*` (`192.168.1-3.1,5,7-9`, `10.*.*.1`), with at least one list,
/// range or wildcard (a plain address is an `IPAddress`).
package struct IPv4OctetPattern: Sendable, Hashable {
    /// Each octet's values: sorted, merged ranges.
    package var octets: [[ClosedRange<UInt8>]]
    /// The prefix length that widens the pattern (32: none).
    package var prefixLength: Int

    /// Parses `text`; nil when it is not an octet pattern at all (an address, a block, a name).
    /// - Throws: usage (64) for text shaped like one that is malformed.
    package init?(parsing text: String) throws(SockscopeError) {
        let pieces = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let parts = pieces[0].split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, pieces[0].contains(where: { "*-,".contains($0) }), !text.contains(":") else { return nil }
        let bad = SockscopeError.usage("bad address range '\(text)': each octet is a comma list of N, N-M, -M, N-, - or * (0 to 255, low to high)")
        var octets: [[ClosedRange<UInt8>]] = []
        for part in parts {
            var ranges: [ClosedRange<UInt8>] = []
            for item in part.split(separator: ",", omittingEmptySubsequences: false) {
                guard let range = Self.octetRange(item) else { throw bad }
                ranges.append(range)
            }
            octets.append(Self.merged(ranges))
        }
        prefixLength = 32
        if pieces.count == 2 {
            let digits = pieces[1]
            guard !digits.isEmpty, digits.count <= 2, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(digits), length <= 32 else {
                throw .usage("bad address range '\(text)': the prefix length is 0 to 32")
            }
            prefixLength = length
        }
        self.octets = octets
    }

    /// One item of an octet list: `N`, `N-M`, `-M`, `N-`, `-` or `*`.
    private static func octetRange(_ item: Substring) -> ClosedRange<UInt8>? {
        if item == "*" || item == "-" { return 0...255 }
        func number(_ text: Substring) -> UInt8? {
            guard !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return UInt8(text)
        }
        let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
        switch bounds.count {
        case 1:
            return number(bounds[0]).map { $0...$0 }
        case 2:
            let low = bounds[0].isEmpty ? 0 : number(bounds[0])
            let high = bounds[1].isEmpty ? 255 : number(bounds[1])
            guard let low, let high, low <= high else { return nil }
            return low...high
        default:
            return nil
        }
    }

    private static func merged(_ ranges: [ClosedRange<UInt8>]) -> [ClosedRange<UInt8>] {
        var result: [ClosedRange<UInt8>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, Int(range.lowerBound) <= Int(last.upperBound) + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// The addresses as runs of consecutive IPv4 values (first, count), in order: the
    /// octets right of the last one that is not `*` vary inside each run.
    /// - Throws: usage (64) when the pattern breaks into more than `limit` runs.
    package func runs(limit: Int) throws(SockscopeError) -> [(first: UInt32, count: UInt64)] {
        var varying = 3  // the octet whose ranges start the runs
        while varying > 0 && octets[varying] == [0...255] { varying -= 1 }
        let width = UInt64(1) << UInt64(8 * (3 - varying))
        var prefixes: [UInt32] = [0]
        for index in 0..<varying {
            let values = octets[index].flatMap { $0 }
            guard prefixes.count * values.count * octets[varying].count <= limit else {
                throw .usage("the address range breaks into more than \(limit) pieces: use CIDR blocks or FIRST-LAST ranges")
            }
            prefixes = prefixes.flatMap { prefix in values.map { prefix << 8 | UInt32($0) } }
        }
        return prefixes.flatMap { prefix in
            octets[varying].map { range in
                let first = (prefix << 8 | UInt32(range.lowerBound)) << UInt32(8 * (3 - varying))
                return (first, UInt64(range.count) * width)
            }
        }
    }

    /// A host name rather than an address, block or range: a letter, and no `:` or `*`.
    /// Text that looks like an address or range is never looked up.
    package static func looksLikeName(_ item: String) -> Bool {
        let head = item.split(separator: "/", maxSplits: 1).first ?? ""
        return head.contains(where: { $0.isLetter }) && !head.contains(where: { ":*".contains($0) })
    }

    /// The items of a comma-separated list read as nmap reads a target: commas inside
    /// an IPv4 octet pattern belong to its octets (`192.168.1.1,5,7-9` is one item,
    /// `192.168.1,2.5` too), others part items (`10.0.0.1,10.0.0.2,db.example`).
    package static func items(ofList text: String) -> [String] {
        var items: [String] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            if let last = items.last, continues(last, with: piece) {
                items[items.count - 1] = last + "," + piece
            } else {
                items.append(String(piece))
            }
        }
        return items
    }

    /// Whether `piece` continues an octet list of `item`: `item` is made of octet
    /// characters, and either has not all its four octets yet or `piece` has no dot
    /// (and may end the pattern with its prefix length: `192.168.0.5,30/30`).
    private static func continues(_ item: String, with piece: Substring) -> Bool {
        let octetCharacters = { (character: Character) in character.isASCII && (character.isNumber || "-*,.".contains(character)) }
        let tail = piece.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard !item.isEmpty, !tail.isEmpty, item.allSatisfy(octetCharacters), tail.allSatisfy(octetCharacters) else { return false }
        let dots = item.filter { $0 == "." }.count
        return dots < 3 ? dots + tail.filter({ $0 == "." }).count <= 3 : !tail.contains(".")
    }
}
