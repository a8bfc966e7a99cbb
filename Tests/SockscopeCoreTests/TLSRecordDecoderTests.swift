import Testing

@testable import SockscopeCore

/// The tap's TLS record decoder on hand-made streams: records split across segments,
/// retransmissions, gaps, a HelloRetryRequest.
@Suite("TLS record decoder")
struct TLSRecordDecoderTests {
    @Test("a record split across segments is whole once its end arrives; a retransmission adds nothing; a gap stops the direction")
    func reassembly() {
        var decoder = TLSStreamDecoder()
        let data: [UInt8] = [23, 3, 3, 0, 5, 1, 2, 3, 4, 5]
        let alert: [UInt8] = [21, 3, 3, 0, 2, 2, 40]
        #expect(decoder.feed(sequence: 1, payload: Array(data[0..<7]), length: 7).isEmpty)
        let second = Array(data[7...]) + alert
        let records = decoder.feed(sequence: 8, payload: second, length: second.count)
        #expect(records.map(\.text) == ["Application Data, 5 bytes", "Alert (fatal): handshake_failure"])
        #expect(records.last?.alert == "handshake_failure")
        #expect(decoder.feed(sequence: 8, payload: second, length: second.count).isEmpty, "a retransmission")
        #expect(decoder.feed(sequence: 500, payload: data, length: data.count).isEmpty)
        #expect(decoder.stopped, "a gap: record boundaries are lost")
    }

    @Test("data captured only in part stops the decoding instead of guessing")
    func partialCapture() {
        var decoder = TLSStreamDecoder()
        #expect(decoder.feed(sequence: 1, payload: [22, 3, 1], length: 300).isEmpty)
        #expect(decoder.stopped)
    }

    @Test("a ServerHello whose random is SHA-256(\"HelloRetryRequest\") is a HelloRetryRequest, and what follows is not yet encrypted")
    func helloRetryRequest() {
        var body: [UInt8] = [0x03, 0x03] + TLSHandshakeMessages.helloRetryRandom + [0, 0x13, 0x01, 0]
        body += [0, 6, 0, 43, 0, 2, 0x03, 0x04]  // extensions: supported_versions = TLS 1.3
        let message: [UInt8] = [2, 0, 0, UInt8(body.count)] + body
        let record: [UInt8] = [22, 3, 3, 0, UInt8(message.count)] + message
        var decoder = TLSStreamDecoder()
        let records = decoder.feed(sequence: 1, payload: record, length: record.count)
        #expect(records.map(\.text) == ["HelloRetryRequest: TLSv1.3, TLS_AES_128_GCM_SHA256"])
        #expect(records.first?.messages == ["HelloRetryRequest"])
        #expect(!decoder.encrypted)
    }

    @Test("a stream that is not TLS stops at its first bytes")
    func notTLS() {
        var decoder = TLSStreamDecoder()
        let text = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        #expect(decoder.feed(sequence: 1, payload: text, length: text.count).isEmpty)
        #expect(decoder.stopped)
    }
}
