import Glibc
import SockscopeCore

/// Prints received datagrams: one line each with time, source, size and payload
/// (text, or a hex dump), or the payloads alone (`--raw`), or JSON Lines. Output is
/// collected and written in large pieces, so fast streams cost few system calls.
final class DatagramPrinter {
    enum Format {
        case text, hexdump, raw, json
    }

    private let format: Format
    private let style: Style
    private var pending: [UInt8] = []

    init(format: Format, style: Style) {
        self.format = format
        self.style = style
        pending.reserveCapacity(1 << 16)
    }

    deinit { flush() }

    func print(_ datagram: DatagramBatchReceiver.Received) {
        let source = datagram.source.map { "\($0)" } ?? "?"
        switch format {
        case .raw:
            pending.append(contentsOf: datagram.payload)
        case .json:
            var line = JSONLine()
            line.add("time", Self.timestamp())
            line.add("from", source)
            line.add("size", datagram.payload.count)
            line.add("arrived", datagram.arrivedBytes)
            line.add("truncated", datagram.isTruncated)
            line.add("text", String(validating: datagram.payload, as: UTF8.self))
            line.add("hex", Self.hex(datagram.payload))
            pending.append(contentsOf: line.text.utf8)
        case .text, .hexdump:
            var header = style.dim(Self.timestamp()) + "  " + style.cyan(source) + "  " + size(datagram)
            if format == .text, !datagram.payload.isEmpty { header += "  " + Self.escaped(datagram.payload) }
            pending.append(contentsOf: (header + "\n").utf8)
            if format == .hexdump { pending.append(contentsOf: Self.hexdump(datagram.payload).utf8) }
        }
        if pending.count >= 1 << 16 { flush() }
    }

    private func size(_ datagram: DatagramBatchReceiver.Received) -> String {
        if datagram.isTruncated {
            return style.yellow("truncated: \(datagram.arrivedBytes) bytes arrived, \(datagram.payload.count) kept")
        }
        return datagram.payload.isEmpty ? "0 bytes (empty datagram)" : "\(datagram.payload.count) bytes"
    }

    /// Writes out what has been collected.
    func flush() {
        guard !pending.isEmpty else { return }
        try? SystemCall.writeAll(1, pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// Local wall-clock time with milliseconds: `14:03:27.512`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        localtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let milliseconds = now.tv_nsec / 1_000_000
        let fraction = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)"
    }

    /// Payload as one line of text: printable ASCII as is, everything else escaped.
    static func escaped(_ bytes: UnsafeRawBufferPointer) -> String {
        var text = ""
        for byte in bytes.prefix(4096) {
            switch byte {
            case 0x0a: text += "\\n"
            case 0x0d: text += "\\r"
            case 0x09: text += "\\t"
            case 0x5c: text += "\\\\"
            case 0x20...0x7e: text.unicodeScalars.append(Unicode.Scalar(byte))
            default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return bytes.count > 4096 ? text + "…" : text
    }

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

    /// `  0000  68 65 6c 6c 6f …  hello`, 16 bytes a line.
    static func hexdump(_ bytes: UnsafeRawBufferPointer) -> String {
        var text = ""
        var offset = 0
        while offset < bytes.count {
            let line = bytes[offset..<min(offset + 16, bytes.count)]
            let address = String(offset, radix: 16)
            var hexPart = line.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
            hexPart += String(repeating: " ", count: 16 * 3 - 1 - hexPart.count)
            let ascii = String(decoding: line.map { (0x20...0x7e).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
            text += "  " + String(repeating: "0", count: max(0, 4 - address.count)) + address + "  " + hexPart + "  " + ascii + "\n"
            offset += 16
        }
        return text
    }
}
