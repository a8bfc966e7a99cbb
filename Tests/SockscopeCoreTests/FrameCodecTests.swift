import SockscopeCore
import Testing

@Suite("Frame codec")
struct FrameCodecTests {
    @Test("messages survive any split and any coalescing", arguments: FrameFormat.allCases)
    func anySplit(format: FrameFormat) throws {
        let messages: [[UInt8]] = [Array("first".utf8), [], Array("second message".utf8), Array(repeating: 0x41, count: 300)]
        let stream = try messages.flatMap { try format.encode($0[...]) }
        // Every way of cutting the stream in two, and one byte at a time.
        for cut in 0...stream.count {
            var decoder = FrameDecoder(format: format, maximumFrame: 1 << 20)
            let got = try decoder.feed(stream[..<cut]) + decoder.feed(stream[cut...])
            #expect(got == messages, "\(format) cut at \(cut)")
        }
        var decoder = FrameDecoder(format: format, maximumFrame: 1 << 20)
        var got: [[UInt8]] = []
        for byte in stream { got += try decoder.feed([byte]) }
        #expect(got == messages)
    }

    @Test("u32be is struct.pack('>I', n); u16be is '>H'")
    func headers() throws {
        #expect(try FrameFormat.u32be.encode(Array("hi".utf8)[...]) == [0, 0, 0, 2, 0x68, 0x69])
        #expect(try FrameFormat.u16be.encode(Array("hi".utf8)[...]) == [0, 2, 0x68, 0x69])
        #expect(throws: SockscopeError.self) { try FrameFormat.u16be.encode([UInt8](repeating: 0, count: 70_000)[...]) }
    }

    @Test("a header over the limit is refused before its bytes arrive; a line over the limit too")
    func limits() {
        var decoder = FrameDecoder(format: .u32be, maximumFrame: 1024)
        #expect(throws: SockscopeError.self) { try decoder.feed([0xff, 0xff, 0xff, 0xff]) }
        var lines = FrameDecoder(format: .line, maximumFrame: 16)
        #expect(throws: SockscopeError.self) { try lines.feed([UInt8](repeating: 0x61, count: 40)) }
    }
}
