/// The one rule for untrusted text in text output — banners, payloads, certificate
/// fields, names asked of a proxy, HTTP request lines, host names from DNS: printable
/// UTF-8 as it is, and anything that could move the cursor, end a line, change the
/// terminal's state or hide text escaped, so that one line stays one line:
/// `\n` `\r` `\t` `\0` and `\\`; other C0 controls, DEL and bytes that are not UTF-8 as
/// `\xHH` (ESC is `\x1b`); C1 controls, line and paragraph separators and bidirectional
/// or invisible formatting characters as `\u{HHHH}`.
package enum PrintableBytes {
    /// `bytes` as one line of text, escaped by the rule above.
    package static func escaped(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var text = ""
        text.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                appendASCII(byte, to: &text)
                index += 1
            } else if let (scalar, length) = decodeScalar(bytes, at: index) {
                if isHidden(scalar) {
                    text += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    text.unicodeScalars.append(scalar)
                }
                index += length
            } else {
                text += hex(byte)
                index += 1
            }
        }
        return text
    }

    /// A string (from the network or a file) escaped by the same rule.
    package static func escaped(_ text: String) -> String { escaped(Array(text.utf8)) }

    private static func appendASCII(_ byte: UInt8, to text: inout String) {
        switch byte {
        case 0x0A: text += "\\n"
        case 0x0D: text += "\\r"
        case 0x09: text += "\\t"
        case 0x00: text += "\\0"
        case 0x5C: text += "\\\\"
        case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
        default: text += hex(byte)
        }
    }

    private static func hex(_ byte: UInt8) -> String { "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16) }

    /// C1 controls, separators that end a line, and formatting characters that reorder
    /// or hide text (bidirectional overrides, zero-width marks, the byte-order mark).
    private static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x80...0x9F, 0x2028, 0x2029, 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2069, 0xFEFF: return true
        default: return false
        }
    }

    /// One well-formed UTF-8 sequence at `index` (no overlong forms, no surrogates, at
    /// most U+10FFFF): the scalar and its length, or nil.
    private static func decodeScalar(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        let (length, initial, minimum): (Int, UInt32, UInt32)
        switch lead {
        case 0xC2...0xDF: (length, initial, minimum) = (2, UInt32(lead & 0x1F), 0x80)
        case 0xE0...0xEF: (length, initial, minimum) = (3, UInt32(lead & 0x0F), 0x800)
        case 0xF0...0xF4: (length, initial, minimum) = (4, UInt32(lead & 0x07), 0x10000)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        var value = initial
        for offset in 1..<length {
            let next = bytes[index + offset]
            guard next & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(next & 0x3F)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
