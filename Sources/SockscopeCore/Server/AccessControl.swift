import Glibc
import SystemPackage

/// Which client addresses a server accepts: `--allow` and `--deny` rules (addresses
/// or CIDR blocks, IPv4 and IPv6), checked at accept.
///
/// A client is refused when a deny rule matches it, or when allow rules exist and
/// none matches. IPv4-mapped IPv6 clients (`::ffff:a.b.c.d`, on a dual-stack
/// listener) are matched as the IPv4 address they are.
package struct AccessControl: Sendable {
    /// One rule's set of addresses, written as ncat reads them (its addrset): an
    /// address, a CIDR block (IPv4 or IPv6), or an IPv4 address whose octets are lists
    /// of numbers and ranges — `10.0.0.1-20`, `192.168.1-3.*`, `10.*.*.1`,
    /// `192.168.0.2,3,5`, half-open `192.168.-3.0` and `192.168.252-.0` — optionally
    /// with a prefix (`192.168.0.5,30/30`: the blocks around each). IPv4-mapped rules
    /// (`::ffff:a.b.c.d`, `::ffff:a.b.c.0/120`) mean the IPv4 one, whatever the family
    /// of the listening socket. Host names become one block per address (`blocks`).
    package struct Block: Sendable, Hashable, CustomStringConvertible {
        package enum Kind: Sendable, Hashable {
            case network(IPNetwork)
            /// Each of the four IPv4 octets' allowed values, and the prefix length that
            /// widens them (32: none).
            case octets([[ClosedRange<UInt8>]], prefixLength: Int)
        }

        package var kind: Kind
        /// The rule as written (a host name for its addresses), for messages.
        package var text: String

        /// Parses one entry: `10.0.0.0/8`, `::1`, `192.168.1.7` (a single address is a
        /// /32 or /128), or octet lists and ranges such as `10.0.0.1-20`.
        package init(parsing text: String) throws(SockscopeError) {
            self.text = text
            if let pattern = try IPv4OctetPattern(parsing: text) {
                kind = .octets(pattern.octets, prefixLength: pattern.prefixLength)
                return
            }
            var network = try IPNetwork(parsing: text)
            if case .v6(let v6) = network.address, let v4 = v6.mappedIPv4, network.prefixLength >= 96 {
                network = IPNetwork(address: .v4(v4), prefixLength: network.prefixLength - 96)
            }
            kind = .network(network)
        }

        package init(network: IPNetwork, text: String) {
            kind = .network(network)
            self.text = text
        }

        /// Whether `address` is in the block. An IPv4-mapped client is the IPv4 client it
        /// is: IPv4 blocks match it, IPv6 blocks (even `::/0`) do not.
        package func contains(_ address: IPAddress) -> Bool {
            var candidate = address
            if case .v6(let v6) = address, let v4 = v6.mappedIPv4 { candidate = .v4(v4) }
            switch kind {
            case .network(let network):
                return network.contains(candidate)
            case .octets(let octets, let prefixLength):
                guard case .v4(let v4) = candidate else { return false }
                return (0..<4).allSatisfy { index in
                    let value = UInt8(truncatingIfNeeded: v4.value >> UInt32(24 - 8 * index))
                    let bits = min(8, max(0, prefixLength - 8 * index))
                    let mask: UInt8 = bits == 0 ? 0 : ~UInt8(0) << UInt8(8 - bits)
                    // Some allowed value agrees with the client on the octet's prefix bits.
                    return octets[index].contains { range in
                        mask == 0xff ? range.contains(value) : range.contains { $0 & mask == value & mask }
                    }
                }
            }
        }

        package var description: String {
            if case .network(let network) = kind, text.contains("/") || IPAddress(text) != nil { return network.description }
            return text
        }
    }

    /// The blocks of one rule, in the grammar of probe's targets (nmap's and ncat's): a
    /// comma-separated list of addresses, CIDR blocks, octet lists (whose commas belong
    /// to the octets, `192.168.0.2,3`) and host names (`10.0.0.1,10.0.0.9,db.example`). A name is
    /// resolved once, now, to every address it has (each a /32 or /128, or the block
    /// of the prefix given after it: `name/24`).
    /// - Throws: usage (64) for a malformed item; unknown host (68) for a name that does not resolve.
    package static func blocks(parsing text: String) throws(SockscopeError) -> [Block] {
        var blocks: [Block] = []
        for item in IPv4OctetPattern.items(ofList: text) {
            guard !item.isEmpty else { throw .usage("bad address list '\(text)': empty item") }
            if Self.looksLikeName(item) {
                blocks += try Self.nameBlocks(item)
            } else {
                blocks.append(try Block(parsing: item))
            }
        }
        return blocks
    }

    /// A host name (with an optional `/prefix`) resolved to its addresses' blocks.
    private static func nameBlocks(_ item: String) throws(SockscopeError) -> [Block] {
        let pieces = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addresses = try HostResolver.resolve(String(pieces[0]), port: 0, family: nil, type: .stream).compactMap(\.ipAddress)
        var blocks: [Block] = []
        for address in Set(addresses).sorted(by: { "\($0)" < "\($1)" }) {
            var network = try IPNetwork(parsing: "\(address)" + (pieces.count == 2 ? "/\(pieces[1])" : ""))
            if case .v6(let v6) = network.address, let v4 = v6.mappedIPv4 {
                network = IPNetwork(address: .v4(v4), prefixLength: max(0, network.prefixLength - 96))
            }
            blocks.append(Block(network: network, text: item))
        }
        return blocks
    }

    /// A host name rather than an address, block or range (``IPv4OctetPattern/looksLikeName(_:)``).
    private static func looksLikeName(_ item: String) -> Bool { IPv4OctetPattern.looksLikeName(item) }

    package var allow: [Block]
    package var deny: [Block]

    package init(allow: [Block] = [], deny: [Block] = []) {
        self.allow = allow
        self.deny = deny
    }

    /// Whether anything restricts clients.
    package var isRestricted: Bool { !allow.isEmpty || !deny.isEmpty }

    /// nil when `address` may connect, else why it may not.
    package func refusal(for address: SocketAddress) -> Refusal? {
        guard let ip = address.ipAddress else { return nil }  // Unix-socket peers: the file's permissions decide
        if let rule = deny.first(where: { $0.contains(ip) }) { return .denied(by: rule) }
        if !allow.isEmpty, !allow.contains(where: { $0.contains(ip) }) { return .notAllowed }
        return nil
    }

    /// The largest allow file read (an admin's list, not a data set).
    package static let maximumFileSize = 1 << 20

    /// Reads blocks from a file: entries (as `blocks(parsing:)` reads them) separated
    /// by spaces, tabs, commas or new lines; `#` starts a comment (a whole line or after
    /// entries); blank lines and CRLF line ends are allowed. The file is read as bytes,
    /// must be a regular file of at most 1 MiB, and must yield at least one block: an
    /// allow list that ends up empty would let everyone in, so it is an error (fail
    /// closed) — and so is an empty deny file, which is surely a mistake.
    package static func blocks(fromFile path: String) throws(SockscopeError) -> [Block] {
        let bytes = try readRegularFile(path, limit: maximumFileSize)
        var blocks: [Block] = []
        for (number, line) in bytes.split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
            let content = line.prefix { $0 != UInt8(ascii: "#") }
            guard let text = String(validating: content, as: UTF8.self) else {
                throw .usage("\(path), line \(number + 1): not text (UTF-8)")
            }
            for entry in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "," }) {
                do {
                    blocks += try Self.blocks(parsing: String(entry))
                } catch {
                    throw SockscopeError("\(path), line \(number + 1): \(error.message)", status: error.status)
                }
            }
        }
        if blocks.isEmpty {
            throw .usage(
                "\(path) lists no address: an empty allow list would let everyone in (and an empty deny list is surely a mistake), so sockscope refuses it")
        }
        return blocks
    }

    /// The bytes of a regular file of at most `limit` bytes.
    private static func readRegularFile(_ path: String, limit: Int) throws(SockscopeError) -> [UInt8] {
        guard let file = OwnedDescriptor.open(path, O_RDONLY | O_NONBLOCK) else {
            throw .usage("cannot read \(path): \(Errno.current.nameAndText)")
        }
        defer { file.close() }
        let fd = file.rawValue
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { throw .usage("\(path) is not a regular file") }
        guard status.st_size <= limit else { throw .usage("\(path) is \(status.st_size) bytes; an allow file is at most \(limit)") }
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { chunk.deallocate() }
        while bytes.count <= limit {
            let count: Int?
            do { count = try SystemCall.read(fd, into: chunk) } catch { throw .usage("cannot read \(path): \(error.nameAndText)") }
            guard let count, count > 0 else { break }
            bytes += UnsafeRawBufferPointer(rebasing: chunk[0..<count])
        }
        guard bytes.count <= limit else { throw .usage("\(path) grew past \(limit) bytes while being read") }
        return bytes
    }
}

/// Why a listener turned a client (or a datagram) away.
package enum Refusal: Sendable, Equatable {
    /// A deny rule matched it.
    case denied(by: AccessControl.Block)
    /// Allow rules exist and none matched it.
    case notAllowed
    /// The listener already serves its maximum number of clients.
    case full(maximum: Int)
    /// The process ran out of something it needs for the client (descriptors, processes).
    case exhausted(String)
}
