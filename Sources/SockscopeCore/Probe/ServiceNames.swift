import Glibc
import Synchronization

/// Port → service name, from the services database (`/etc/services`), read once.
///
/// `getservbyport` scans the whole file on every call; a scan that names 65535
/// ports would read it 65535 times.
package enum ServiceNames {
    private static let tables = Mutex<[String: [UInt16: String]]>([:])

    /// The name of `port` for `protocolName` (`tcp`, `udp`), e.g. 22/tcp → `ssh`.
    package static func name(of port: UInt16, protocolName: String) -> String? {
        tables.withLock { tables in
            if tables[protocolName] == nil { tables[protocolName] = load(protocolName) }
            return tables[protocolName]?[port]
        }
    }

    /// Reads every entry of the database for one protocol; the first name for a port wins.
    private static func load(_ protocolName: String) -> [UInt16: String] {
        var table: [UInt16: String] = [:]
        setservent(0)
        defer { endservent() }
        while let entry = getservent() {
            guard let name = entry.pointee.s_name, let proto = entry.pointee.s_proto,
                String(cString: proto) == protocolName
            else { continue }
            let port = UInt16(bigEndian: UInt16(truncatingIfNeeded: entry.pointee.s_port))
            if table[port] == nil { table[port] = String(cString: name) }
        }
        return table
    }
}
