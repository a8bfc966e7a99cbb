import Glibc

/// Parsing of port numbers and service names from the command line.
package enum PortNumber {
    /// Parses a port: a number from 0 (or 1) to 65535, or a service name from the
    /// services database (`http`, `ssh`).
    ///
    /// - Parameters:
    ///   - text: what the user typed.
    ///   - allowZero: whether 0 ("pick a free port") is acceptable, as it is for a listener.
    ///   - protocolName: `tcp` or `udp`, for service-name lookups.
    /// - Throws: `SockscopeError` (usage, exit 64) naming the bad value and the valid range.
    package static func parse(_ text: String, allowZero: Bool, protocolName: String = "tcp") throws(SockscopeError) -> UInt16 {
        let lowest = allowZero ? 0 : 1
        let range = "\(lowest)-65535"
        if let number = Int(text) {
            guard number >= lowest, number <= 65535 else {
                if number == 0 {
                    throw .usage("bad port '\(text)': port 0 cannot be connected to (valid: \(range))")
                }
                throw .usage("bad port '\(text)': out of range (valid: \(range))")
            }
            return UInt16(number)
        }
        if !text.isEmpty, text.utf8.allSatisfy({ isServiceNameByte($0) }), let entry = getservbyname(text, protocolName) {
            return UInt16(bigEndian: UInt16(truncatingIfNeeded: entry.pointee.s_port))
        }
        throw .usage("bad port '\(text)': not a number (\(range)) or a known \(protocolName) service name")
    }

    private static func isServiceNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
