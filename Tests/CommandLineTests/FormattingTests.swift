import SockscopeCore
import Testing

@testable import sockscope

/// The command line's one hex dump, byte escaper, JSON string quoting and time formats.
@Suite("Formatting")
struct FormattingTests {
    @Test("the hex dump: marker, 8-digit offsets counted from start, 16 bytes a line, printable ASCII")
    func hexDump() {
        let bytes = Array("hello, hex dump world!\n".utf8)
        let text = bytes.withUnsafeBytes { HexDump.lines($0, mark: ">", start: 0x20) }
        #expect(
            text == """
                > 00000020  68 65 6c 6c 6f 2c 20 68 65 78 20 64 75 6d 70 20  |hello, hex dump |
                > 00000030  77 6f 72 6c 64 21 0a                             |world!.|

                """)
        #expect([UInt8]().withUnsafeBytes { HexDump.lines($0, mark: "<") }.isEmpty)
        #expect([UInt8]([0x00, 0xff, 0x41]).withUnsafeBytes { HexDump.hex($0) } == "00ff41")
    }

    @Test("the escaper keeps printable ASCII and escapes the rest; long payloads are cut at 4096 bytes")
    func escaper() {
        let bytes: [UInt8] = Array("a\\b\n\r\t".utf8) + [0x00, 0x80, 0x7f]
        #expect(bytes.withUnsafeBytes { HexDump.escaped($0) } == #"a\\b\n\r\t\0\x80\x7f"#)
        let long = [UInt8](repeating: 0x41, count: 5000)
        let escaped = long.withUnsafeBytes { HexDump.escaped($0) }
        #expect(escaped.hasSuffix("…") && escaped.utf8.count == 4096 + "…".utf8.count)
    }

    @Test("JSON strings escape quotes, backslashes and control characters")
    func jsonQuoting() {
        #expect(JSONLine.quote("plain") == #""plain""#)
        #expect(JSONLine.quote("a\"b\\c\n\u{01}") == #""a\"b\\c\n\u0001""#)
        let record = AcceptedRecord(client: 2, peer: .ipv4(.loopback, port: 80))
        #expect(
            JSONLine.text(record, time: "2026-11-21T00:00:00.000000Z")
                == #"{"type":"accepted","time":"2026-11-21T00:00:00.000000Z","client":2,"peer_address":"127.0.0.1","peer_port":80}"# + "\n")
        #expect(Duration.microseconds(1500).jsonMilliseconds == 1.5)
    }

    @Test("times: RFC 3339 with a date, milliseconds as numbers, and the human forms")
    func times() {
        #expect(Timestamp.rfc3339(seconds: 0, microseconds: 7) == "1970-01-01T00:00:00.000007Z")
        #expect(Timestamp.rfc3339(seconds: 1_795_000_000, microseconds: 123_456) == "2026-11-18T11:06:40.123456Z")
        #expect(Timestamp.milliseconds(.microseconds(1234)) == 1.234)
        #expect(Timestamp.seconds(.milliseconds(59_940)) == "59.9 s")
        #expect(Timestamp.shortMilliseconds(.microseconds(420)) == "0.42 ms")
        #expect(Timestamp.shortMilliseconds(.milliseconds(12)) == "12 ms")
        #expect(Timestamp.offset(.microseconds(12_345)) == "   +12.345 ms")
        let now = Timestamp.now()
        #expect(now.count == 27 && now.hasSuffix("Z") && now.contains("T"))
    }
}

extension FormattingTests {
    @Test("fitting to a terminal: words move to indented lines, none is cut, leading spaces stay, nothing over the width unless one word is")
    func terminalWrap() {
        let text = "  tap: 127.0.0.1:51020 → 127.0.0.1:5000: handshake RTT 0.01 ms (SYN → SYN/ACK); client sent 5 bytes"
        for width in [20, 40, 80] {
            let wrapped = TerminalWidth.wrap(text, width: width, indent: 2)
            let lines = wrapped.split(separator: "\n")
            #expect(lines.allSatisfy { $0.count <= width || !$0.dropFirst(2).contains(" ") }, "\(width): \(wrapped)")
            #expect(wrapped.hasPrefix("  tap:"), "\(wrapped)")
            #expect(wrapped.split(whereSeparator: { $0 == " " || $0 == "\n" }) == text.split(separator: " "), "no word lost or cut: \(wrapped)")
        }
        #expect(TerminalWidth.wrap("short", width: 80, indent: 2) == "short")
    }
}
