import Glibc
import SystemPackage

/// Writes a pcapng file (the IETF draft-ietf-opsawg-pcapng format Wireshark writes):
/// a section header block whose comment says what made the file, one interface
/// description block per capture interface, then an enhanced packet block per packet
/// with nanosecond time and, when the packet has one, a comment (`opt_comment`).
///
/// libpcap 1.10 reads pcapng but cannot write it (`pcap_dump_open` writes classic
/// pcap only), so the blocks are built here, in this machine's byte order (the section
/// header's byte-order magic tells readers which), and written with `write(2)` through
/// a 1 MiB buffer. A write that fails (ENOSPC, EIO) is remembered, and later packets are
/// dropped: ``close()`` reports it, and the file holds the packets before.
package final class PcapngWriter {
    /// One capture interface: its libpcap link type (DLT), snap length and name.
    package struct Interface: Sendable {
        package var linkType: Int32
        package var snapLength: UInt32
        package var name: String?

        package init(linkType: Int32, snapLength: UInt32, name: String? = nil) {
            self.linkType = linkType
            self.snapLength = snapLength
            self.name = name
        }
    }

    /// Block types and option codes of the pcapng specification.
    private enum Code {
        static let sectionHeader: UInt32 = 0x0A0D_0D0A
        static let interfaceDescription: UInt32 = 1
        static let enhancedPacket: UInt32 = 6
        static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
        static let comment: UInt16 = 1
        static let sectionOS: UInt16 = 3
        static let sectionApplication: UInt16 = 4
        static let interfaceName: UInt16 = 2
        static let interfaceTimeResolution: UInt16 = 9
    }

    private let file: OwnedDescriptor
    private let path: String
    private var buffer: [UInt8] = []
    private var failure: SocketCallError?
    private static let flushSize = 1 << 20

    /// Creates (or truncates) `path` — `-` is standard output — and writes the section
    /// header (with `comment`, the command line, and `application`, the program and its
    /// version) and the interfaces' descriptions.
    /// - Throws: exit 73 when the file cannot be created.
    package init(path: String, comment: String, application: String, interfaces: [Interface]) throws(SockscopeError) {
        self.path = path
        let opened = path == "-" ? OwnedDescriptor(adopting: dup(1)) : OwnedDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        guard let opened, opened.rawValue >= 0 else {
            throw SockscopeError("cannot create \(path): \(Errno.current.nameAndText)", status: .cannotCreate)
        }
        file = opened
        buffer.reserveCapacity(Self.flushSize + 70_000)
        sectionHeader(comment: comment, application: application)
        for interface in interfaces { interfaceDescription(interface) }
    }

    /// Appends an enhanced packet block: `data` (the bytes captured) of a packet
    /// `originalLength` long on the wire, captured `time` after the epoch on interface
    /// number `interface`, with `comment` as its `opt_comment` when there is one.
    package func write(_ data: UnsafeRawBufferPointer, originalLength: Int, time: Duration, interface: Int = 0, comment: String? = nil) {
        guard failure == nil else { return }
        let commentBytes = comment.map { Array($0.utf8.prefix(65_000)) } ?? []
        let optionsLength = commentBytes.isEmpty ? 0 : 4 + Self.padded(commentBytes.count) + 4
        let total = 32 + Self.padded(data.count) + optionsLength
        let nanoseconds = UInt64(clamping: time.components.seconds) &* 1_000_000_000 &+ UInt64(clamping: time.components.attoseconds / 1_000_000_000)
        append(Code.enhancedPacket)
        append(UInt32(total))
        append(UInt32(interface))
        append(UInt32(truncatingIfNeeded: nanoseconds >> 32))
        append(UInt32(truncatingIfNeeded: nanoseconds))
        append(UInt32(data.count))
        append(UInt32(clamping: originalLength))
        buffer.append(contentsOf: data)
        pad(data.count)
        if !commentBytes.isEmpty {
            option(Code.comment, commentBytes)
            append(UInt32(0))  // opt_endofopt
        }
        append(UInt32(total))
        if buffer.count >= Self.flushSize { flush() }
    }

    /// Writes what is buffered and closes the file; the failure when it is short.
    package func close() -> SockscopeError? {
        flush()
        file.close()
        guard let failure else { return nil }
        return SockscopeError(
            "cannot write \(path): \(failure.errno.nameAndText)", explanation: "the file holds only the packets written before the failure",
            status: .ioError)
    }

    /// The section header: byte-order magic, version 1.0, section length unknown (-1),
    /// the comment, the operating system and the application.
    private func sectionHeader(comment: String, application: String) {
        var system = utsname()
        uname(&system)
        let os = [system.sysname, system.release].map { field in
            withUnsafeBytes(of: field) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        block(Code.sectionHeader) { writer in
            writer.append(Code.byteOrderMagic)
            writer.append(UInt16(1))
            writer.append(UInt16(0))
            writer.append(UInt64.max)
            if !comment.isEmpty { writer.option(Code.comment, Array(comment.utf8)) }
            writer.option(Code.sectionOS, Array(os.joined(separator: " ").utf8))
            writer.option(Code.sectionApplication, Array(application.utf8))
            writer.append(UInt32(0))
        }
    }

    /// An interface description: link type, snap length, name, nanosecond time (`if_tsresol` 9).
    private func interfaceDescription(_ interface: Interface) {
        block(Code.interfaceDescription) { writer in
            writer.append(UInt16(truncatingIfNeeded: interface.linkType))
            writer.append(UInt16(0))
            writer.append(interface.snapLength)
            if let name = interface.name { writer.option(Code.interfaceName, Array(name.utf8)) }
            writer.option(Code.interfaceTimeResolution, [9])
            writer.append(UInt32(0))
        }
    }

    /// A block: its type, its length before and after, `body` between.
    private func block(_ type: UInt32, _ body: (PcapngWriter) -> Void) {
        let start = buffer.count
        append(type)
        append(UInt32(0))
        body(self)
        let total = UInt32(buffer.count - start + 4)
        append(total)
        withUnsafeBytes(of: total) { buffer.replaceSubrange(start + 4..<start + 8, with: $0) }
    }

    private func option(_ code: UInt16, _ value: [UInt8]) {
        append(code)
        append(UInt16(value.count))
        buffer.append(contentsOf: value)
        pad(value.count)
    }

    private func append<Integer: FixedWidthInteger>(_ value: Integer) {
        withUnsafeBytes(of: value) { buffer.append(contentsOf: $0) }
    }

    private func pad(_ count: Int) {
        buffer.append(contentsOf: repeatElement(0, count: Self.padded(count) - count))
    }

    private static func padded(_ count: Int) -> Int { (count + 3) & ~3 }

    /// Writes the buffer out (every byte, short writes continued); a failure is kept.
    private func flush() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard failure == nil, !buffer.isEmpty else { return }
        let descriptor = file.rawValue
        let written = buffer.withUnsafeBytes { raw in Result { () throws(SocketCallError) in try SystemCall.writeAll(descriptor, raw) } }
        if case .failure(let error) = written { failure = error }
    }
}
