/// One TLS record seen on the wire, described (RFC 8446 §5.1, RFC 5246 §6.2).
package struct TLSRecordSummary: Sendable, Equatable {
    /// 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data.
    package var contentType: UInt8
    /// The record's length field (bytes of fragment after the 5-byte header).
    package var length: Int
    /// What it carries, in words: "ClientHello: SNI localhost, ALPN h2,http/1.1, versions TLSv1.3,TLSv1.2".
    package var text: String
    /// The handshake messages it holds, by name ("ClientHello", "ServerHello",
    /// "HelloRetryRequest", "Certificate" …); empty for other records.
    package var messages: [String] = []
    /// An alert's name when it is readable (not encrypted).
    package var alert: String?
}

/// Follows one direction of a TCP stream and cuts it into TLS records, from the
/// captured payload of each segment in sequence order. Retransmitted bytes are
/// skipped; a gap (a segment not captured, or captured without its whole payload)
/// ends the decoding of that direction, since record boundaries are then lost.
package struct TLSStreamDecoder: Sendable {
    /// The next relative sequence number expected.
    private var next: UInt32?
    private var pending: ByteQueue = []
    /// The direction is not TLS, or could no longer be followed.
    package private(set) var stopped = false
    /// After the peer's ChangeCipherSpec (TLS 1.2) or a TLS 1.3 ServerHello, records are encrypted.
    package var encrypted = false

    package init() {}

    /// Takes a segment's data (its relative sequence number, the bytes captured, and
    /// how many it carried) and returns the records it completed.
    package mutating func feed(sequence: UInt32, payload: [UInt8], length: Int) -> [TLSRecordSummary] {
        guard !stopped, length > 0 else { return [] }
        let expected = next ?? sequence
        var bytes = payload[...]
        if sequence != expected {
            let behind = expected &- sequence
            // Entirely old (a retransmission): nothing new. Partly old: the new tail.
            guard behind < 1 << 30 else {
                stopped = true
                return []
            }
            if Int(behind) >= length { return [] }
            bytes = bytes.dropFirst(Int(behind))
        }
        guard payload.count == length else {
            stopped = true  // the capture kept only part of it: boundaries are lost
            return []
        }
        next = sequence &+ UInt32(length)
        pending += bytes
        return cut()
    }

    private mutating func cut() -> [TLSRecordSummary] {
        var records: [TLSRecordSummary] = []
        while pending.count >= 5 {
            let type = pending[0]
            guard (20...24).contains(type), pending[1] == 3, pending[2] <= 4 else {
                stopped = true  // not (or no longer) TLS
                pending = []
                break
            }
            let length = Int(pending[3]) << 8 | Int(pending[4])
            guard pending.count >= 5 + length else { break }
            let fragment = Array(pending.bytes(5..<5 + length))
            pending.removeFirst(5 + length)
            records.append(describe(type: type, fragment: fragment))
        }
        return records
    }

    private mutating func describe(type: UInt8, fragment: [UInt8]) -> TLSRecordSummary {
        switch type {
        case 20:
            encrypted = true
            return TLSRecordSummary(contentType: type, length: fragment.count, text: "ChangeCipherSpec")
        case 21 where !encrypted && fragment.count == 2:
            let alert = TLSAlert(level: Int(fragment[0]), description: Int(fragment[1]))
            return TLSRecordSummary(
                contentType: type, length: 2, text: "Alert (\(alert.isFatal ? "fatal" : "warning")): \(alert.name)", alert: alert.name)
        case 21:
            return TLSRecordSummary(contentType: type, length: fragment.count, text: "Alert, encrypted, \(fragment.count) bytes")
        case 22 where !encrypted:
            let messages = TLSHandshakeMessages.parse(fragment)
            if messages.contains(where: { $0.selectsTLS13 }) { encrypted = true }
            return TLSRecordSummary(
                contentType: type, length: fragment.count, text: messages.map(\.text).joined(separator: "; "), messages: messages.map(\.name))
        case 22:
            return TLSRecordSummary(contentType: type, length: fragment.count, text: "Handshake, encrypted, \(fragment.count) bytes")
        case 23:
            return TLSRecordSummary(contentType: type, length: fragment.count, text: "Application Data, \(fragment.count) bytes")
        default:
            return TLSRecordSummary(contentType: type, length: fragment.count, text: "Heartbeat, \(fragment.count) bytes")
        }
    }
}

/// Handshake messages in a record's fragment (RFC 8446 §4): type, 24-bit length, body.
enum TLSHandshakeMessages {
    struct Message {
        var name: String
        var text: String
        /// A ServerHello that chose TLS 1.3: what follows from the server is encrypted.
        var selectsTLS13 = false
    }

    static func parse(_ fragment: [UInt8]) -> [Message] {
        var reader = ByteReader(fragment)
        var messages: [Message] = []
        while let type = reader.u8(), let high = reader.u8(), let low = reader.u16() {
            let length = Int(high) << 16 | Int(low)
            guard let body = reader.take(length) else {
                messages.append(Message(name: name(type), text: "\(name(type)) (continues in the next record)"))
                break
            }
            messages.append(describe(type: type, body: ByteReader(Array(body))))
        }
        return messages
    }

    static func name(_ type: UInt8) -> String {
        switch type {
        case 1: "ClientHello"
        case 2: "ServerHello"
        case 4: "NewSessionTicket"
        case 8: "EncryptedExtensions"
        case 11: "Certificate"
        case 12: "ServerKeyExchange"
        case 13: "CertificateRequest"
        case 14: "ServerHelloDone"
        case 15: "CertificateVerify"
        case 16: "ClientKeyExchange"
        case 20: "Finished"
        default: "Handshake type \(type)"
        }
    }

    private static func describe(type: UInt8, body: ByteReader) -> Message {
        switch type {
        case 1: return clientHello(body)
        case 2: return serverHello(body)
        case 11: return certificate(body)
        default: return Message(name: name(type), text: name(type))
        }
    }

    /// SHA-256 of "HelloRetryRequest": the random of a ServerHello that is a HelloRetryRequest.
    static let helloRetryRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    private static func clientHello(_ body: ByteReader) -> Message {
        var reader = body
        var parts: [String] = []
        guard reader.skip(2 + 32), let sessionLength = reader.u8(), reader.skip(Int(sessionLength)), let suitesLength = reader.u16(),
            reader.skip(Int(suitesLength)), let compressionLength = reader.u8(), reader.skip(Int(compressionLength))
        else { return Message(name: "ClientHello", text: "ClientHello (truncated)") }
        parts.append("\(suitesLength / 2) cipher suites")
        for (type, data) in extensions(&reader) {
            var field = ByteReader(data)
            switch type {
            case 0:
                // server_name_list: length, then (type 0, length, name)…
                if field.skip(2), field.u8() == 0, let length = field.u16(), let name = field.take(Int(length)) {
                    parts.insert("SNI \(PrintableBytes.escaped(name))", at: 0)
                }
            case 16:
                var protocols: [String] = []
                if field.skip(2) {
                    while let length = field.u8(), let name = field.take(Int(length)) { protocols.append(PrintableBytes.escaped(name)) }
                }
                parts.append("ALPN " + protocols.joined(separator: ","))
            case 43:
                var versions: [String] = []
                if field.skip(1) {
                    while let version = field.u16() { versions.append(versionName(version)) }
                }
                parts.append("versions " + versions.filter { !$0.hasPrefix("GREASE") }.joined(separator: ","))
            default: break
            }
        }
        return Message(name: "ClientHello", text: "ClientHello: " + parts.joined(separator: ", "))
    }

    private static func serverHello(_ body: ByteReader) -> Message {
        var reader = body
        guard let legacy = reader.u16(), let random = reader.take(32), let sessionLength = reader.u8(), reader.skip(Int(sessionLength)),
            let suite = reader.u16(), reader.skip(1)
        else { return Message(name: "ServerHello", text: "ServerHello (truncated)") }
        var version = legacy
        for (type, data) in extensions(&reader) where type == 43 {
            var field = ByteReader(data)
            if let chosen = field.u16() { version = chosen }
        }
        let retry = Array(random) == helloRetryRandom
        let name = retry ? "HelloRetryRequest" : "ServerHello"
        let text = "\(name): \(versionName(version)), \(cipherSuiteName(suite))"
        return Message(name: name, text: text, selectsTLS13: !retry && version == 0x0304)
    }

    private static func certificate(_ body: ByteReader) -> Message {
        var reader = body
        guard let high = reader.u8(), let low = reader.u16() else { return Message(name: "Certificate", text: "Certificate") }
        var list = reader.sub(Int(high) << 16 | Int(low))
        var sizes: [Int] = []
        while let high = list.u8(), let low = list.u16() {
            let size = Int(high) << 16 | Int(low)
            guard list.skip(size) else { break }
            sizes.append(size)
        }
        let described = sizes.map { "\($0) bytes" }.joined(separator: ", ")
        return Message(name: "Certificate", text: "Certificate: \(sizes.count) certificate\(sizes.count == 1 ? "" : "s") (\(described))")
    }

    /// The extensions block: (type, data) pairs.
    private static func extensions(_ reader: inout ByteReader) -> [(UInt16, [UInt8])] {
        guard let total = reader.u16() else { return [] }
        var block = reader.sub(Int(total))
        var found: [(UInt16, [UInt8])] = []
        while let type = block.u16(), let length = block.u16(), let data = block.take(Int(length)) { found.append((type, Array(data))) }
        return found
    }

    static func versionName(_ version: UInt16) -> String {
        switch version {
        case 0x0304: "TLSv1.3"
        case 0x0303: "TLSv1.2"
        case 0x0302: "TLSv1.1"
        case 0x0301: "TLSv1.0"
        case 0x0300: "SSLv3"
        default: version & 0x0F0F == 0x0A0A ? "GREASE" : String(version, radix: 16)
        }
    }

    /// IANA names of the suites OpenSSL offers by default (others as hex).
    static func cipherSuiteName(_ suite: UInt16) -> String {
        let names: [UInt16: String] = [
            0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384", 0x1303: "TLS_CHACHA20_POLY1305_SHA256",
            0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            0x009E: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x009F: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        ]
        return names[suite] ?? "cipher suite 0x" + String(suite, radix: 16, uppercase: true)
    }
}
