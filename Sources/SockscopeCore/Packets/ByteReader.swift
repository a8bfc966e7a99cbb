/// Reads big-endian fields from a packet, bounds-checked: every read past the end
/// yields nil, so a truncated or malformed packet can never trap.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { max(0, bytes.count - offset) }

    mutating func u8() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() -> UInt16? {
        guard let high = u8(), let low = u8() else { return nil }
        return UInt16(high) << 8 | UInt16(low)
    }

    mutating func u32() -> UInt32? {
        guard let high = u16(), let low = u16() else { return nil }
        return UInt32(high) << 16 | UInt32(low)
    }

    /// The next `count` bytes, or nil when fewer remain.
    mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, count <= remaining else { return nil }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    /// Skips `count` bytes; false when fewer remain.
    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= remaining else { return false }
        offset += count
        return true
    }

    /// A reader over `count` bytes from here (or fewer when the packet ends first).
    func sub(_ count: Int) -> ByteReader {
        ByteReader(Array(bytes[offset..<min(bytes.count, offset + max(0, count))]))
    }
}
