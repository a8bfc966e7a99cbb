import Glibc

/// One TCP socket as the kernel lists it in `/proc/net/tcp` or `/proc/net/tcp6`.
package struct KernelTCPSocket: Sendable, Hashable {
    package var local: SocketAddress
    package var remote: SocketAddress
    package var state: TCPState
    /// Bytes queued to send / waiting to be read (for a listener: accept-queue length).
    package var sendQueue: UInt32
    package var receiveQueue: UInt32
    /// Time left on the socket's timer when it is the TIME-WAIT timer.
    package var timeWaitLeft: Duration?
    /// The socket's inode; 0 for TIME-WAIT sockets, which no descriptor owns.
    package var inode: UInt64
}

/// The kernel's TCP socket table, read from procfs the way `netstat` does.
package enum KernelTCPTable {
    /// Clock ticks per second used by `/proc/net/tcp` timers (USER_HZ).
    static let ticksPerSecond: Int64 = {
        let value = sysconf(Int32(_SC_CLK_TCK))
        return value > 0 ? Int64(value) : 100
    }()

    /// Every IPv4 and IPv6 TCP socket visible in this network namespace, from netlink
    /// sock_diag as `ss` reads it (with /proc/net/tcp as the fallback).
    package static func snapshot() -> [KernelTCPSocket] {
        if let entries = try? SocketDiagnostics.inet(.tcp) {
            return entries.compactMap { entry in
                guard let remote = entry.remote ?? entry.local.ipAddress.map({ SocketAddress($0.family == .inet ? .v4(.any) : .v6(.any), port: 0) }) else {
                    return nil
                }
                var left: Duration?
                if case .timeWait(let expires)? = entry.timer { left = expires }
                return KernelTCPSocket(
                    local: entry.local, remote: remote, state: entry.state, sendQueue: entry.sendQueue,
                    receiveQueue: entry.receiveQueue, timeWaitLeft: left, inode: UInt64(entry.inode))
            }
        }
        return procSnapshot()
    }

    /// The same table read from procfs, as netstat does.
    package static func procSnapshot() -> [KernelTCPSocket] {
        parse(readFile("/proc/net/tcp"), family: .inet) + parse(readFile("/proc/net/tcp6"), family: .inet6)
    }

    /// The socket with exactly this local and remote address, if the kernel has one.
    package static func find(local: SocketAddress, remote: SocketAddress) -> KernelTCPSocket? {
        snapshot().first { normalized($0.local) == normalized(local) && normalized($0.remote) == normalized(remote) }
    }

    /// Parses the text of `/proc/net/tcp` (or `tcp6` with `family: .inet6`).
    package static func parse(_ text: String, family: AddressFamily) -> [KernelTCPSocket] {
        var sockets: [KernelTCPSocket] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 10,
                let local = parseEndpoint(fields[1], family: family),
                let remote = parseEndpoint(fields[2], family: family),
                let stateCode = UInt8(fields[3], radix: 16),
                let state = TCPState(rawValue: stateCode)
            else { continue }
            let queues = fields[4].split(separator: ":")
            let timer = fields[5].split(separator: ":")
            var timeWaitLeft: Duration?
            if timer.count == 2, timer[0] == "03", let ticks = Int64(timer[1], radix: 16) {
                timeWaitLeft = .milliseconds(ticks * 1000 / ticksPerSecond)
            }
            sockets.append(
                KernelTCPSocket(
                    local: local, remote: remote, state: state,
                    sendQueue: queues.count == 2 ? UInt32(queues[0], radix: 16) ?? 0 : 0,
                    receiveQueue: queues.count == 2 ? UInt32(queues[1], radix: 16) ?? 0 : 0,
                    timeWaitLeft: timeWaitLeft,
                    inode: UInt64(fields[9]) ?? 0))
        }
        return sockets
    }

    /// `0100007F:1F90` → 127.0.0.1:8080. The kernel prints each 32-bit word of the
    /// (network-order) address as a native integer, so the word's in-memory bytes
    /// are the address bytes.
    static func parseEndpoint(_ field: Substring, family: AddressFamily) -> SocketAddress? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1], radix: 16) else { return nil }
        let hex = parts[0]
        switch family {
        case .inet:
            guard hex.count == 8, let word = UInt32(hex, radix: 16) else { return nil }
            return .ipv4(IPv4Address(UInt32(bigEndian: word)), port: port)
        case .inet6:
            guard hex.count == 32 else { return nil }
            var bytes: [UInt8] = []
            var index = hex.startIndex
            for _ in 0..<4 {
                let next = hex.index(index, offsetBy: 8)
                guard let word = UInt32(hex[index..<next], radix: 16) else { return nil }
                bytes += withUnsafeBytes(of: word) { Array($0) }
                index = next
            }
            guard var address = IPv6Address("::") else { return nil }
            address.bytes = bytes
            return .ipv6(address, port: port)
        case .unix:
            return nil
        }
    }

    /// Maps `::ffff:a.b.c.d` to `a.b.c.d` so that dual-stack sockets compare equal.
    static func normalized(_ address: SocketAddress) -> SocketAddress {
        if case .ipv6(let v6, let port) = address, let v4 = v6.mappedIPv4 { return .ipv4(v4, port: port) }
        return address
    }

    /// A whole file as text ("" when it cannot be read): /proc tables, small files.
    static func readFile(_ path: String) -> String { String(decoding: SystemCall.readWholeFile(path) ?? [], as: UTF8.self) }
}
