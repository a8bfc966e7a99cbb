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

    private static let nmapTable = Mutex<[String: String]??>(nil)

    /// The name nmap gives `port` (its own table, nmap-services, from the nmap-common
    /// package, read once); nil when the table names no service there, and
    /// `.none` twice-wrapped — the outer nil — when nmap's table is not installed.
    package static func nmapName(of port: UInt16, protocolName: String) -> String?? {
        nmapTable.withLock { table in
            if table == nil { table = .some(loadNmapServices()) }
            guard let loaded = table ?? nil else { return nil }
            return .some(loaded["\(port)/\(protocolName)"])
        }
    }

    /// nmap-services: `name port/protocol frequency`, one a line, `#` comments; the
    /// first name for a port wins. nil when the file is not there.
    private static func loadNmapServices() -> [String: String]? {
        guard let bytes = SystemCall.readWholeFile("/usr/share/nmap/nmap-services") else { return nil }
        var table: [String: String] = [:]
        for line in bytes.split(separator: 0x0A) where line.first != UInt8(ascii: "#") {
            let fields = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })
            guard fields.count >= 2 else { continue }
            let key = String(decoding: fields[1], as: UTF8.self)
            if table[key] == nil { table[key] = String(decoding: fields[0], as: UTF8.self) }
        }
        return table
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
