import Glibc
import SystemPackage

/// Which client addresses a server accepts: `--allow` and `--deny` rules (addresses
/// or CIDR blocks, IPv4 and IPv6), checked at accept.
///
/// A client is refused when a deny rule matches it, or when allow rules exist and
/// none matches. IPv4-mapped IPv6 clients (`::ffff:a.b.c.d`, on a dual-stack
/// listener) are matched as the IPv4 address they are.
package struct AccessControl: Sendable {
    /// An address block: one `IPNetwork`, with IPv4-mapped rules
    /// (`::ffff:a.b.c.d`, `::ffff:a.b.c.0/120`) meaning the IPv4 one, whatever the
    /// family of the listening socket.
    package struct Block: Sendable, Hashable, CustomStringConvertible {
        package var network: IPNetwork

        /// Parses `10.0.0.0/8`, `::1`, `192.168.1.7` (a single address is a /32 or /128).
        package init(parsing text: String) throws(SockscopeError) {
            var network = try IPNetwork(parsing: text)
            if case .v6(let v6) = network.address, let v4 = v6.mappedIPv4, network.prefixLength >= 96 {
                network = IPNetwork(address: .v4(v4), prefixLength: network.prefixLength - 96)
            }
            self.network = network
        }

        /// Whether `address` is in the block. An IPv4-mapped client is the IPv4 client it
        /// is: IPv4 blocks match it, IPv6 blocks (even `::/0`) do not.
        package func contains(_ address: IPAddress) -> Bool {
            if case .v6(let v6) = address, let v4 = v6.mappedIPv4 { return network.contains(.v4(v4)) }
            return network.contains(address)
        }

        package var description: String { network.description }
    }

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

    /// Reads blocks from a file: one address or CIDR block per line; `#` starts a
    /// comment (a whole line or after the entry); blank lines, spaces, tabs and CRLF
    /// line ends are allowed. The file is read as bytes, must be a regular file of at
    /// most 1 MiB, and must yield at least one block: an allow list that ends up
    /// empty would let everyone in, so it is an error (fail closed).
    package static func blocks(fromFile path: String) throws(SockscopeError) -> [Block] {
        let bytes = try readRegularFile(path, limit: maximumFileSize)
        var blocks: [Block] = []
        for (number, line) in bytes.split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
            var content = line.prefix { $0 != UInt8(ascii: "#") }
            while let last = content.last, last == 0x20 || last == 0x09 || last == 0x0d { content = content.dropLast() }
            while let first = content.first, first == 0x20 || first == 0x09 { content = content.dropFirst() }
            guard !content.isEmpty else { continue }
            guard let text = String(validating: content, as: UTF8.self), !text.contains(where: { $0 == " " || $0 == "\t" }) else {
                throw .usage("\(path), line \(number + 1): one address or CIDR block per line")
            }
            do {
                blocks.append(try Block(parsing: text))
            } catch {
                throw .usage("\(path), line \(number + 1): \(error.message)")
            }
        }
        if blocks.isEmpty {
            throw .usage("\(path) lists no address: an empty allow list would let everyone in, so sockscope refuses it")
        }
        return blocks
    }

    /// The bytes of a regular file of at most `limit` bytes.
    private static func readRegularFile(_ path: String, limit: Int) throws(SockscopeError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .usage("cannot read \(path): \(Errno.current.nameAndText)") }
        defer { close(fd) }
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
