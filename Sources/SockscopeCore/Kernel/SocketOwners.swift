import Glibc

/// Which processes hold which sockets, found as `ss -p` finds them: every
/// `/proc/PID/fd/N` that is a link to `socket:[INODE]` names a process holding the
/// socket with that inode (several processes may share one, after fork).
package enum SocketOwners {
    /// A process that holds a socket, and the descriptor number it holds it under.
    package struct Owner: Sendable, Equatable {
        package var pid: Int32
        /// The process's command name (`/proc/PID/comm`, at most 15 bytes).
        package var command: String
        package var fd: Int32
    }

    /// Socket inode → the processes holding it. Processes that end during the scan, or
    /// whose descriptors this user may not read, are left out (as `ss -p` leaves them).
    package static func scan() -> [UInt32: [Owner]] {
        var owners: [UInt32: [Owner]] = [:]
        for pid in numericEntries(of: "/proc") {
            let fds = numericEntries(of: "/proc/\(pid)/fd")
            guard !fds.isEmpty else { continue }
            var command: String?
            for fd in fds {
                guard let inode = socketInode(link: "/proc/\(pid)/fd/\(fd)") else { continue }
                if command == nil { command = commandName(of: pid) }
                owners[inode, default: []].append(Owner(pid: pid, command: command ?? "?", fd: fd))
            }
        }
        return owners
    }

    /// The numeric names in a directory (`opendir(3)`/`readdir(3)`); empty when it cannot be read.
    private static func numericEntries(of path: String) -> [Int32] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var numbers: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if let number = Int32(name) { numbers.append(number) }
        }
        return numbers.sorted()
    }

    /// `readlink(2)` of a descriptor link: the inode of `socket:[INODE]`, else nil.
    private static func socketInode(link: String) -> UInt32? {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink(link, &buffer, buffer.count - 1)
        guard count > 8 else { return nil }
        let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard target.hasPrefix("socket:["), target.hasSuffix("]") else { return nil }
        return UInt32(target.dropFirst(8).dropLast())
    }

    private static func commandName(of pid: Int32) -> String? {
        guard let file = fopen("/proc/\(pid)/comm", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let name = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.hasSuffix("\n") ? String(name.dropLast()) : name
    }
}
