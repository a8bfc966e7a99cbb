/// The kernel's Unix-domain socket table, from `/proc/net/unix`.
package enum KernelUnixTable {
    /// Filesystem paths that live sockets in this network namespace are bound to.
    package static func boundPaths() -> Set<String> {
        parseBoundPaths(KernelTCPTable.readFile("/proc/net/unix"))
    }

    /// Parses `/proc/net/unix`: `Num RefCount Protocol Flags Type St Inode Path`,
    /// where Path (absent for unbound sockets, `@…` for abstract ones) may hold spaces.
    package static func parseBoundPaths(_ text: String) -> Set<String> {
        var paths = Set<String>()
        for line in text.split(separator: "\n").dropFirst() {
            var fields = 0
            var index = line.startIndex
            // Skip the seven fixed fields and the spaces after them.
            while index < line.endIndex && fields < 7 {
                while index < line.endIndex && line[index] == " " { index = line.index(after: index) }
                while index < line.endIndex && line[index] != " " { index = line.index(after: index) }
                fields += 1
            }
            while index < line.endIndex && line[index] == " " { index = line.index(after: index) }
            let path = line[index...]
            if fields == 7, path.hasPrefix("/") { paths.insert(String(path)) }
        }
        return paths
    }
}
