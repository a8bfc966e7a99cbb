/// An IP network (CIDR block): an address and a prefix length, `10.0.0.0/8`,
/// `fd00::/126`, or a single address as a /32 or /128. The one CIDR type: access
/// rules match clients against it, probe targets expand it into hosts.
package struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    package var address: IPAddress
    package var prefixLength: Int

    package init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/PREFIX`, or (when `singleAddress`) a bare address.
    /// - Throws: usage (64) naming what is wrong.
    package init(parsing text: String, singleAddress: Bool = true) throws(SockscopeError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])), parts.count == 2 || singleAddress else {
            throw .usage("bad \(singleAddress ? "address or " : "")CIDR block '\(text)': write ADDRESS/PREFIX, e.g. 10.200.0.0/29")
        }
        let maximum = address.family == .inet ? 32 : 128
        guard parts.count == 2 else {
            self.init(address: address, prefixLength: maximum)
            return
        }
        // Digits only: Int("+24") and Int("-0") would parse, and "/-0" must not mean "/0".
        let digits = parts[1]
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(digits), (0...maximum).contains(length)
        else {
            throw .usage("bad CIDR block '\(text)': the prefix length is 0 to \(maximum) for \(maximum == 32 ? "IPv4" : "IPv6")")
        }
        self.init(address: address, prefixLength: length)
    }

    /// Whether `candidate` is in the block (of the same family).
    package func contains(_ candidate: IPAddress) -> Bool {
        switch (address, candidate) {
        case (.v4(let block), .v4(let value)):
            let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefixLength)
            return block.value & mask == value.value & mask
        case (.v6(let block), .v6(let value)):
            var bits = prefixLength
            for index in 0..<16 where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xff : ~UInt8(0) << UInt8(8 - bits)
                if block.bytes[index] & mask != value.bytes[index] & mask { return false }
                bits -= 8
            }
            return true
        default:
            return false
        }
    }

    /// How many host bits the block has.
    package var hostBits: Int { (address.family == .inet ? 32 : 128) - prefixLength }

    /// Every address in the block, network and broadcast addresses included (as nmap
    /// does), in order. Blocks of more than 2^16 addresses are refused.
    package func hosts() throws(SockscopeError) -> [IPAddress] {
        guard hostBits <= 16 else {
            throw .usage("CIDR block '\(self)' holds 2^\(hostBits) addresses; at most 65536 (a /16 or a /112) may be probed at once")
        }
        switch address {
        case .v4(let base):
            let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << UInt32(hostBits)
            let network = base.value & mask
            return (0..<(UInt32(1) << UInt32(hostBits))).map { .v4(IPv4Address(network | $0)) }
        case .v6(let base):
            var bytes = base.bytes
            // Clear the host bits (all within the last two bytes).
            let low = (UInt16(bytes[14]) << 8 | UInt16(bytes[15])) & (hostBits == 16 ? 0 : ~UInt16(0) << UInt16(hostBits))
            return (0..<(1 << hostBits)).map { offset in
                let value = low | UInt16(offset)
                bytes[14] = UInt8(value >> 8)
                bytes[15] = UInt8(value & 0xff)
                var next = base
                next.bytes = bytes
                return .v6(next)
            }
        }
    }

    package var description: String { "\(address)/\(prefixLength)" }
}
