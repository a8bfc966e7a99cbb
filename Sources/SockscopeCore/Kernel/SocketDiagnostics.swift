import Glibc
import SystemPackage

/// The kernel's socket table through netlink sock_diag — what `ss` reads: every
/// TCP, UDP or Unix socket with its state, queues and timer.
package enum SocketDiagnostics {
    /// One socket as sock_diag reports it.
    package struct Entry: Sendable, Hashable {
        package enum Kind: String, Sendable { case tcp, udp, unix }
        package enum Timer: Sendable, Hashable {
            case retransmit(Duration)
            case keepalive(Duration)
            case timeWait(Duration)
            case zeroWindowProbe(Duration)
        }

        package var kind: Kind
        package var family: AddressFamily
        /// TCP: the connection state; UDP: ESTABLISHED (connected) or CLOSED (unconnected);
        /// Unix: LISTEN, ESTABLISHED or CLOSED.
        package var state: TCPState
        package var local: SocketAddress
        package var remote: SocketAddress?
        package var receiveQueue: UInt32
        package var sendQueue: UInt32
        package var timer: Timer?
        package var inode: UInt32
        /// Unix: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET.
        package var unixType: String?
        /// Unix sockets bound to a file: that file's inode (UNIX_DIAG_VFS).
        package var fileInode: UInt32? = nil
    }

    /// Queries TCP or UDP sockets of one family (or both, when nil).
    /// - Throws: `SockscopeError` when netlink is unavailable.
    package static func inet(_ kind: Entry.Kind, family: AddressFamily? = nil) throws(SockscopeError) -> [Entry] {
        var entries: [Entry] = []
        for each in family.map({ [$0] }) ?? [.inet, .inet6] {
            var request: [UInt8] = []
            request += [UInt8(each.rawValue), kind == .tcp ? UInt8(IPPROTO_TCP) : UInt8(IPPROTO_UDP), 0, 0]
            request += le32(0xffff_ffff)  // every state
            request += [UInt8](repeating: 0, count: 48)  // inet_diag_sockid: match all
            for message in try dump(request) where message.count >= 72 {
                entries.append(inetEntry(message, kind: kind))
            }
        }
        return entries
    }

    /// Queries Unix-domain sockets (with their names and queues).
    package static func unix() throws(SockscopeError) -> [Entry] {
        var request: [UInt8] = [UInt8(AF_UNIX), 0, 0, 0]
        request += le32(0xffff_ffff)  // states
        request += le32(0)  // inode
        request += le32(1 | 0x02 | 0x10)  // UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_RQLEN
        request += le32(0xffff_ffff) + le32(0xffff_ffff)  // cookie: none
        return try dump(request).compactMap(unixEntry)
    }

    // MARK: Netlink

    private static let sockDiagByFamily: UInt16 = 20
    private static let netlinkSockDiag: Int32 = 4

    /// Sends one dump request and collects every reply message's payload.
    private static func dump(_ payload: [UInt8]) throws(SockscopeError) -> [[UInt8]] {
        let raw = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkSockDiag)
        guard raw >= 0 else { throw SockscopeError("cannot open a sock_diag netlink socket: \(Errno(rawValue: errno).nameAndText)", status: .ioError) }
        let netlink = OwnedDescriptor(adopting: raw)
        defer { netlink.close() }
        let fd = netlink.rawValue
        let length = 16 + payload.count
        var message = le32(UInt32(length)) + le16(sockDiagByFamily) + le16(0x1 | 0x300) + le32(1) + le32(0) + payload
        let sent = message.withUnsafeMutableBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == length else { throw SockscopeError("sock_diag request failed: \(Errno(rawValue: errno).nameAndText)", status: .ioError) }
        var replies: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if Errno(rawValue: errno) == .interrupted { continue }
                throw SockscopeError("sock_diag reply failed: \(Errno(rawValue: errno).nameAndText)", status: .ioError)
            }
            var offset = 0
            while offset + 16 <= count {
                let messageLength = Int(readLE32(buffer, offset))
                let type = readLE16(buffer, offset + 4)
                guard messageLength >= 16, offset + messageLength <= count else { return replies }
                if type == 3 { return replies }  // NLMSG_DONE
                if type == 2 {  // NLMSG_ERROR
                    let code = Int32(bitPattern: readLE32(buffer, offset + 16))
                    if code == 0 { return replies }
                    throw SockscopeError("sock_diag: \(Errno(rawValue: -code).nameAndText)", status: .ioError)
                }
                replies.append(Array(buffer[(offset + 16)..<(offset + messageLength)]))
                offset += (messageLength + 3) & ~3
            }
        }
    }

    private static func inetEntry(_ bytes: [UInt8], kind: Entry.Kind) -> Entry {
        let family: AddressFamily = Int32(bytes[0]) == AF_INET6 ? .inet6 : .inet
        let localPort = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        let remotePort = UInt16(bytes[6]) << 8 | UInt16(bytes[7])
        func address(_ offset: Int, port: UInt16) -> SocketAddress {
            if family == .inet {
                let value = UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
                return .ipv4(IPv4Address(value), port: port)
            }
            var address = IPv6Address.any
            address.bytes = Array(bytes[offset..<(offset + 16)])
            return .ipv6(address, port: port)
        }
        let expires = Duration.milliseconds(Int64(readLE32(bytes, 52)))
        let timer: Entry.Timer? =
            switch bytes[2] {
            case 1: .retransmit(expires)
            case 2: .keepalive(expires)
            case 3: .timeWait(expires)
            case 4: .zeroWindowProbe(expires)
            default: nil
            }
        let local = address(8, port: localPort)
        let remote = address(24, port: remotePort)
        let unspecifiedRemote = remotePort == 0 && remote.ipAddress.map { $0 == .v4(.any) || $0 == .v6(.any) } == true
        return Entry(
            kind: kind, family: family, state: TCPState(rawValue: bytes[1]) ?? .closed, local: local,
            remote: unspecifiedRemote ? nil : remote, receiveQueue: readLE32(bytes, 56), sendQueue: readLE32(bytes, 60),
            timer: timer, inode: readLE32(bytes, 68), unixType: nil)
    }

    private static func unixEntry(_ bytes: [UInt8]) -> Entry? {
        guard bytes.count >= 16 else { return nil }
        let type =
            switch Int32(bytes[1]) {
            case Int32(SOCK_STREAM.rawValue): "SOCK_STREAM"
            case Int32(SOCK_DGRAM.rawValue): "SOCK_DGRAM"
            case Int32(SOCK_SEQPACKET.rawValue): "SOCK_SEQPACKET"
            default: "type \(bytes[1])"
            }
        var path: UnixSocketPath = .unnamed
        var receiveQueue: UInt32 = 0
        var sendQueue: UInt32 = 0
        var fileInode: UInt32?
        var offset = 16
        while offset + 4 <= bytes.count {  // attributes: u16 length, u16 type, value
            let length = Int(readLE16(bytes, offset))
            let kind = readLE16(bytes, offset + 2)
            guard length >= 4, offset + length <= bytes.count else { break }
            let value = Array(bytes[(offset + 4)..<(offset + length)])
            if kind == 0, !value.isEmpty {  // UNIX_DIAG_NAME
                path =
                    value[0] == 0
                    ? .abstract(String(decoding: value.dropFirst(), as: UTF8.self))
                    : .path(String(decoding: value.prefix(while: { $0 != 0 }), as: UTF8.self))
            } else if kind == 1, value.count >= 8 {  // UNIX_DIAG_VFS: the socket file's inode and device
                fileInode = readLE32(value, 0)
            } else if kind == 4, value.count >= 8 {  // UNIX_DIAG_RQLEN
                receiveQueue = readLE32(value, 0)
                sendQueue = readLE32(value, 4)
            }
            offset += (length + 3) & ~3
        }
        return Entry(
            kind: .unix, family: .unix, state: TCPState(rawValue: bytes[2]) ?? .closed, local: .unix(path), remote: nil,
            receiveQueue: receiveQueue, sendQueue: sendQueue, timer: nil, inode: readLE32(bytes, 4), unixType: type,
            fileInode: fileInode)
    }

    /// Whether a live Unix socket is bound to the file with this inode — however its
    /// path was spelled (`dir//app.sock`, a relative path): a check that never connects.
    package static func unixSocketBound(toFileInode inode: UInt64) -> Bool {
        guard let entries = try? unix() else { return false }
        return entries.contains { $0.fileInode.map { UInt64($0) == inode } ?? false }
    }

    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
    private static func le32(_ value: UInt32) -> [UInt8] { le16(UInt16(value & 0xffff)) + le16(UInt16(value >> 16)) }
    private static func readLE16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        guard offset + 2 <= bytes.count else { return 0 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }
    private static func readLE32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        guard offset + 4 <= bytes.count else { return 0 }
        return UInt32(readLE16(bytes, offset)) | UInt32(readLE16(bytes, offset + 2)) << 16
    }
}
