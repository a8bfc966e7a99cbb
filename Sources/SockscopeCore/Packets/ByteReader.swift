/// Reads big-endian fields from a packet, bounds-checked: every read past the end
/// yields nil, so a truncated or malformed packet can never trap.
///
/// A reader is a view — the packet's bytes, where it is, and where its part ends — so
/// `sub` shares the bytes instead of copying them: offsets are the packet's own.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    /// Where this reader's part of `bytes` ends (`bytes.count` for a whole packet).
    let end: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = min(max(0, offset), bytes.count)
        end = bytes.count
    }

    private init(_ bytes: [UInt8], offset: Int, end: Int) {
        self.bytes = bytes
        self.offset = offset
        self.end = end
    }

    var remaining: Int { max(0, end - offset) }

    /// The next byte, without moving past it.
    var peek: UInt8? { offset < end ? bytes[offset] : nil }

    mutating func u8() -> UInt8? {
        guard offset < end else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() -> UInt16? {
        guard end - offset >= 2 else { return nil }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
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

    /// A reader over `count` bytes from here (or fewer when this part ends first),
    /// sharing the bytes.
    func sub(_ count: Int) -> ByteReader {
        ByteReader(bytes, offset: offset, end: min(end, offset + max(0, count)))
    }

    /// What is left of this part, as an array of its own.
    var rest: [UInt8] { Array(bytes[offset..<max(offset, end)]) }
}
