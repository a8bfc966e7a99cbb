import SockscopeCore
import Testing

/// The one escaping rule for untrusted text in text output.
@Suite("PrintableBytes")
struct PrintableBytesTests {
    @Test("printable UTF-8 is kept; controls, ESC, NUL and bytes that are not UTF-8 are escaped; one line stays one line")
    func rule() {
        #expect(PrintableBytes.escaped(Array("café ✓ 日本".utf8)) == "café ✓ 日本")
        #expect(PrintableBytes.escaped(Array("a\nb\r\tc\\".utf8)) == #"a\nb\r\tc\\"#)
        #expect(PrintableBytes.escaped([0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x7f]) == #"\0\x1b[2J\x7f"#)
        #expect(PrintableBytes.escaped([0xff, 0xc3, 0x28, 0xe2, 0x82]) == #"\xff\xc3(\xe2\x82"#, "invalid and cut sequences")
        #expect(PrintableBytes.escaped([0xc0, 0xaf, 0xed, 0xa0, 0x80]) == #"\xc0\xaf\xed\xa0\x80"#, "overlong forms and surrogates are not UTF-8")
        #expect(PrintableBytes.escaped("x\u{85}y\u{2028}z\u{202e}w") == #"x\u{85}y\u{2028}z\u{202e}w"#, "C1, separators, bidi overrides")
        #expect(PrintableBytes.escaped("bank.example\0.evil") == #"bank.example\0.evil"#)
    }

    @Test("20,000 random byte strings: never a control character, a line end or an invalid sequence in the result")
    func random() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = PrintableBytes.escaped(bytes)
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) || $0 == "\u{2028}" }, "\(bytes)")
        }
    }
}
