import Glibc
import SystemPackage

/// The hosts of a scan as ranges of addresses, never as a list: a /8 is one segment of
/// 16,777,216 addresses, indexed by a binary search over the segments' first indices.
///
/// Items are IPv4 or IPv6 addresses, CIDR blocks (`10.77.0.0/20`), address ranges
/// (`10.0.0.1-10.0.0.20`) and names (each of a name's addresses is its own segment,
/// with the name and the resolver's rank kept for output). Excluded items are cut out
/// of the ranges; overlapping ranges are merged, so no address is probed twice.
package struct TargetSpace: Sendable {
    /// Consecutive addresses of one family. IPv6 ranges vary only the low 64 bits
    /// (a block may hold at most 2^48 addresses).
    package struct Segment: Sendable, Hashable {
        package var isV6: Bool
        /// The upper 64 bits of an IPv6 address; 0 for IPv4.
        package var high: UInt64
        /// The first address: an IPv4 address's value, or an IPv6 address's low 64 bits.
        package var low: UInt64
        package var count: UInt64
        package var name: String?
        package var rank = 0
        package var scopeID: UInt32 = 0

        /// One past the last address's `low`.
        var end: UInt64 { low + count }

        func address(at offset: UInt64) -> IPAddress {
            let value = low + offset
            guard isV6 else { return .v4(IPv4Address(UInt32(truncatingIfNeeded: value))) }
            var bytes = [UInt8](repeating: 0, count: 16)
            for index in 0..<8 {
                bytes[index] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * index))
                bytes[8 + index] = UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * index))
            }
            var address = IPv6Address(bytes: bytes) ?? .any
            address.scopeID = scopeID
            return .v6(address)
        }

        /// Whether two segments are of the same family and upper half (comparable by `low`).
        func sharesBase(with other: Segment) -> Bool { isV6 == other.isV6 && high == other.high }

        static func ordered(_ a: Segment, _ b: Segment) -> Bool { (a.isV6 ? 1 : 0, a.high, a.low) < (b.isV6 ? 1 : 0, b.high, b.low) }
    }

    /// The most addresses one block or range may hold.
    static let maximumBlock: UInt64 = 1 << 48

    package private(set) var segments: [Segment]
    /// The index of each segment's first address.
    private var starts: [UInt64]
    /// How many addresses the space holds.
    package private(set) var count: UInt64

    package init(_ segments: [Segment]) {
        self.segments = segments.filter { $0.count > 0 }
        var starts: [UInt64] = []
        starts.reserveCapacity(self.segments.count)
        var total: UInt64 = 0
        for segment in self.segments {
            starts.append(total)
            total += segment.count
        }
        self.starts = starts
        count = total
    }

    /// The target at `index` (0 ..< count).
    package func target(at index: UInt64) -> TargetList.Target {
        var low = 0
        var high = starts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        let segment = segments[low]
        return TargetList.Target(address: segment.address(at: index - starts[low]), name: segment.name, rank: segment.rank)
    }

    /// How many hosts the space names: a name's addresses count as one host.
    package var hostCount: UInt64 {
        var names = Set<String>()
        var literal: UInt64 = 0
        for segment in segments {
            if let name = segment.name { names.insert(name) } else { literal += segment.count }
        }
        return literal + UInt64(names.count)
    }

    /// Whether any target came from a name.
    package var hasNames: Bool { segments.contains { $0.name != nil } }
}

extension TargetSpace {
    /// Builds the space from target items, less the excluded ones.
    /// - Parameters:
    ///   - items: addresses, CIDR blocks, ranges and names, in the order given.
    ///   - excluding: items to leave out (names are resolved, as nmap's --exclude does).
    ///   - family: keep only this family (names are resolved to it).
    /// - Throws: usage (64) for a malformed item, unknown host (68).
    package static func parse(_ items: [String], excluding: [String] = [], family: AddressFamily?) throws(SockscopeError) -> TargetSpace {
        var builder = Builder(family: family)
        for item in items { try builder.add(item) }
        for item in excluding { try builder.exclude(item) }
        return builder.build()
    }

    /// Collects targets and exclusions item by item (a file of them is never held whole).
    package struct Builder {
        let family: AddressFamily?
        var segments: [Segment] = []
        var excluded: [Segment] = []

        package init(family: AddressFamily?) { self.family = family }

        package mutating func add(_ item: String) throws(SockscopeError) { try TargetSpace.append(item, to: &segments, family: family) }

        package mutating func exclude(_ item: String) throws(SockscopeError) { try TargetSpace.append(item, to: &excluded, family: nil) }

        package func build() -> TargetSpace { TargetSpace(normalise(segments, excluding: excluded, family: family)) }

        /// Reads items from a file (`-`: standard input): separated by white space or
        /// commas (a comma inside an octet list is the list's: `10.0.0.1,5`), `#` to the
        /// end of a line a comment (nmap's -iL format). The file is
        /// read in 64 KiB pieces; a wait on a pipe or terminal goes through the event loop.
        /// - Throws: usage (64) for an unreadable file or a bad item (with its line).
        package static func items(ofFile path: String, _ body: (String) throws(SockscopeError) -> Void) throws(SockscopeError) {
            let opened = path == "-" ? nil : OwnedDescriptor.open(path, O_RDONLY)
            if path != "-" && opened == nil { throw .usage("cannot read \(path): \(Errno.current.nameAndText)") }
            defer { opened?.close() }  // standard input is borrowed, not closed
            let fd = opened?.descriptor ?? .standardInput
            var status = stat()
            let regular = fstat(fd.rawValue, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
            defer { chunk.deallocate() }
            var carry: [UInt8] = []
            var line = 0
            while true {
                // A long file is read without waiting: a signal is looked for between pieces.
                try Interruption.check()
                if !regular { _ = try waitReadable(fd, path: path) }
                let count: Int?
                do { count = try SystemCall.read(fd.rawValue, into: chunk) } catch { throw .usage("cannot read \(path): \(error.nameAndText)") }
                guard let count else { continue }
                if count == 0 { break }
                let piece = UnsafeRawBufferPointer(rebasing: chunk[0..<count])
                let newlineInPiece = piece.contains(0x0A)
                carry += piece
                guard newlineInPiece, let lastNewline = carry.lastIndex(of: 0x0A) else {
                    if carry.count > maximumLine {
                        throw .usage(
                            "\(path), line \(line + 1): longer than \(maximumLine >> 20) MiB with no line end (targets are host names, addresses and ranges)")
                    }
                    continue
                }
                try lines(carry[...lastNewline], path: path, line: &line, body)
                carry.removeSubrange(...lastNewline)
            }
            try lines(carry[...], path: path, line: &line, body)
        }

        /// The longest line an -iL file may have.
        static let maximumLine = 1 << 20

        private static func waitReadable(_ fd: FileDescriptor, path: String) throws(SockscopeError) -> Bool {
            do { return try EventLoop.wait(for: fd, .readable, deadline: nil) } catch { throw SockscopeError(error) }
        }

        private static func lines(
            _ bytes: ArraySlice<UInt8>, path: String, line: inout Int, _ body: (String) throws(SockscopeError) -> Void
        ) throws(SockscopeError) {
            for text in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                line += 1
                let content = text.prefix { $0 != UInt8(ascii: "#") }
                guard let text = String(validating: content, as: UTF8.self) else { throw .usage("\(path), line \(line): not text (UTF-8)") }
                let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
                for item in words.flatMap({ IPv4OctetPattern.items(ofList: String($0)) }) where !item.isEmpty {
                    do throws(SockscopeError) { try body(item) } catch {
                        throw SockscopeError("\(path), line \(line): \(error.message)", status: error.status)
                    }
                }
            }
        }
    }

    /// Adds one item's segments; a single address right after the previous one
    /// extends it (a sorted list of 50,000 addresses becomes a few ranges).
    static func append(_ item: String, to segments: inout [Segment], family: AddressFamily?) throws(SockscopeError) {
        for segment in try self.segments(of: item, family: family) {
            if segment.name == nil, segment.count == 1, var last = segments.last, last.name == nil, last.sharesBase(with: segment),
                last.end == segment.low, last.scopeID == segment.scopeID
            {
                last.count += 1
                segments[segments.count - 1] = last
            } else {
                segments.append(segment)
            }
        }
    }

    /// The segments one item stands for.
    static func segments(of item: String, family: AddressFamily?) throws(SockscopeError) -> [Segment] {
        if item.isEmpty { throw .usage("bad target: empty item") }
        if let pattern = try IPv4OctetPattern(parsing: item) { return try segments(of: pattern, text: item) }
        if item.contains("/") { return [try block(item)] }
        if let address = IPAddress(item) { return [single(address)] }
        if let dash = item.firstIndex(of: "-"), let first = IPAddress(String(item[..<dash])),
            let last = IPAddress(String(item[item.index(after: dash)...]))
        {
            return [try range(first, last, text: item)]
        }
        // Text shaped like an address is never sent to the resolver (DNS leaves the machine).
        guard IPv4OctetPattern.looksLikeName(item) else {
            throw .usage(
                "bad target '\(item)': not an address, a CIDR block, a range (FIRST-LAST, or octets as in 10.0.0.1-20 or 192.168.1-3.*) or a host name")
        }
        let addresses = try HostResolver.resolve(item, port: 0, family: family, type: .stream).compactMap(\.ipAddress)
        var seen = Set<IPAddress>()
        return addresses.filter { seen.insert($0).inserted }.enumerated().map { rank, address in
            var segment = single(address)
            segment.name = item
            segment.rank = rank
            return segment
        }
    }

    /// nmap's octet ranges (`10.0.0.1-20`, `192.168.1-3.1,5`, `10.*.*.1`): a run of
    /// addresses for each range of the last octet that varies.
    static func segments(of pattern: IPv4OctetPattern, text: String) throws(SockscopeError) -> [Segment] {
        guard pattern.prefixLength == 32 else {
            throw .usage("bad target '\(text)': a prefix length goes with an address (a CIDR block), not with octet ranges")
        }
        return try pattern.runs(limit: 1 << 20).map { Segment(isV6: false, high: 0, low: UInt64($0.first), count: $0.count) }
    }

    static func single(_ address: IPAddress) -> Segment {
        switch address {
        case .v4(let v4): return Segment(isV6: false, high: 0, low: UInt64(v4.value), count: 1)
        case .v6(let v6):
            let (high, low) = halves(v6)
            return Segment(isV6: true, high: high, low: low, count: 1, scopeID: v6.scopeID)
        }
    }

    static func halves(_ address: IPv6Address) -> (UInt64, UInt64) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(address.bytes[index])
            low = low << 8 | UInt64(address.bytes[8 + index])
        }
        return (high, low)
    }

    /// A CIDR block, network and broadcast addresses included (as nmap does).
    static func block(_ text: String) throws(SockscopeError) -> Segment {
        let network = try IPNetwork(parsing: text, singleAddress: false)
        guard network.hostBits <= 48 else {
            throw .usage("CIDR block '\(text)' holds 2^\(network.hostBits) addresses; a scan takes blocks of at most 2^48 (an IPv6 /80)")
        }
        var segment = single(network.address)
        segment.low &= network.hostBits == 64 ? 0 : ~((UInt64(1) << UInt64(network.hostBits)) - 1)
        segment.count = UInt64(1) << UInt64(network.hostBits)
        guard segment.low <= UInt64.max - segment.count else { throw .usage("CIDR block '\(text)' reaches the last address of the space: split it") }
        return segment
    }

    /// `FIRST-LAST`, both addresses of one family (IPv6: the same upper 64 bits).
    static func range(_ first: IPAddress, _ last: IPAddress, text: String) throws(SockscopeError) -> Segment {
        var start = single(first)
        let end = single(last)
        guard start.sharesBase(with: end) else {
            throw .usage("bad address range '\(text)': both ends must be of one family (and IPv6 ends share their first 64 bits)")
        }
        guard start.low <= end.low else { throw .usage("bad address range '\(text)': it runs backwards") }
        guard end.low < UInt64.max, end.low - start.low < TargetSpace.maximumBlock else {
            throw .usage("bad address range '\(text)': at most 2^48 addresses, ending before the last one")
        }
        start.count = end.low - start.low + 1
        return start
    }
}

extension TargetSpace {
    /// Drops other families and excluded addresses, and probes no address twice:
    /// ranges that overlap are merged (then in address order), and an address that
    /// also came from a name is kept only under the name.
    static func normalise(_ segments: [Segment], excluding: [Segment], family: AddressFamily?) -> [Segment] {
        let wanted = segments.filter { family == nil || $0.isV6 == (family == .inet6) }
        let excludedOnly = merged(excluding)
        var seen = Set<Segment>()
        var named: [Segment] = []
        for segment in wanted where segment.name != nil {
            var key = segment
            key.name = nil
            key.rank = 0
            if seen.insert(key).inserted { named += subtract(excludedOnly, from: segment) }
        }
        let cuts = merged(excluding + Array(seen))
        var literal = wanted.filter { $0.name == nil }
        let sorted = literal.sorted(by: Segment.ordered)
        if zip(sorted, sorted.dropFirst()).contains(where: { $0.sharesBase(with: $1) && $1.low < $0.end }) { literal = merged(literal) }
        return literal.flatMap { subtract(cuts, from: $0) } + named
    }

    /// Sorted, non-overlapping segments covering the same addresses (names dropped).
    static func merged(_ segments: [Segment]) -> [Segment] {
        var result: [Segment] = []
        for var segment in segments.sorted(by: Segment.ordered) {
            segment.name = nil
            segment.rank = 0
            if var last = result.last, last.sharesBase(with: segment), segment.low <= last.end {
                last.count = max(last.end, segment.end) - last.low
                result[result.count - 1] = last
            } else {
                result.append(segment)
            }
        }
        return result
    }

    /// `segment` less the sorted, merged `cuts`: zero or more pieces.
    static func subtract(_ cuts: [Segment], from segment: Segment) -> [Segment] {
        // The first cut that could overlap: binary search on (family, high, end).
        var low = 0
        var high = cuts.count
        while low < high {
            let middle = (low + high) / 2
            let cut = cuts[middle]
            if (cut.isV6 ? 1 : 0, cut.high, cut.end) <= (segment.isV6 ? 1 : 0, segment.high, segment.low) { low = middle + 1 } else { high = middle }
        }
        var pieces: [Segment] = []
        var next = segment.low
        var index = low
        while index < cuts.count, cuts[index].sharesBase(with: segment), cuts[index].low < segment.end {
            let cut = cuts[index]
            if cut.low > next {
                var piece = segment
                piece.low = next
                piece.count = cut.low - next
                pieces.append(piece)
            }
            next = max(next, cut.end)
            index += 1
        }
        if next < segment.end {
            var piece = segment
            piece.low = next
            piece.count = segment.end - next
            pieces.append(piece)
        }
        return pieces
    }
}

/// Every probe of a scan: targets × ports, probe `i` being target `i / ports.count` on
/// port `ports[i % ports.count]`.
package struct ProbeSpace: Sendable {
    package let targets: TargetSpace
    package let ports: [UInt16]

    package init(targets: TargetSpace, ports: [UInt16]) {
        self.targets = targets
        self.ports = ports
    }

    /// targets × ports.
    package var count: UInt64 { targets.count * UInt64(ports.count) }

    /// The target of probe `index`.
    package func target(of index: UInt64) -> TargetList.Target { targets.target(at: index / UInt64(ports.count)) }

    /// Where probe `index` goes.
    package func destination(_ index: UInt64) -> SocketAddress {
        SocketAddress(target(of: index).address, port: ports[Int(index % UInt64(ports.count))])
    }
}
