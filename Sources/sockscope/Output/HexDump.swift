import SockscopeCore

/// The one hex dump: `MARK OFFSET  xx xx … (16 bytes)  |ascii|`, offsets in hex, eight
/// digits, counted from `start` (per direction for a stream). Used for `--hexdump` on
/// connect and listen (mark `>` sent, `<` received) and for received datagrams.
enum HexDump {
    static func lines(_ bytes: UnsafeRawBufferPointer, mark: String, start: Int = 0) -> String {
        var text = ""
        var index = 0
        while index < bytes.count {
            let line = bytes[index..<min(index + 16, bytes.count)]
            let address = String(start + index, radix: 16)
            var hexPart = line.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
            hexPart += String(repeating: " ", count: 47 - hexPart.count)
            let ascii = String(decoding: line.map { (0x20...0x7e).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
            text += "\(mark) " + String(repeating: "0", count: max(0, 8 - address.count)) + address + "  " + hexPart + "  |" + ascii + "|\n"
            index += 16
        }
        return text
    }

    /// Lower-case hex digits, two per byte (JSON's `hex` fields).
    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Payload as one line of text: printable ASCII as is, everything else escaped
    /// (`\n`, `\x80`), at most `limit` bytes then `…` (all of it when nil).
    static func escaped(_ bytes: UnsafeRawBufferPointer, limit: Int? = 4096) -> String {
        let text = PrintableBytes.escaped(bytes.prefix(limit ?? bytes.count))
        return bytes.count > (limit ?? bytes.count) ? text + "…" : text
    }
}
