// MARK: NetBIOS, SSDP and IKE

extension UDPService {
    /// RFC 1002 §4.2.17: a NODE STATUS (NBSTAT) query for the wildcard name `*`,
    /// first-level encoded (RFC 1001 §14.1: each half-byte as a letter from 'A').
    static let netbios = UDPService(
        port: 137, name: "netbios-ns", source: "RFC 1002 §4.2.17 (NBSTAT query for *)",
        request: [0x73, 0x6B, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x20] + Array("CK".utf8) + [UInt8](repeating: UInt8(ascii: "A"), count: 30)
            + [0, 0, 0x21, 0, 1],
        describe: describeNetBIOS)

    /// RFC 1002 §4.2.18: the first name of the node status reply.
    static func describeNetBIOS(_ reply: [UInt8]) -> String? {
        // Header (12), the question name echoed (34), type, class, TTL, RDLENGTH (10), NUM_NAMES.
        guard reply.count >= 12, reply[2] & 0x80 != 0 else { return nil }
        let names = 12 + 34 + 10
        guard reply.count >= names + 1 + 18, reply[names] > 0 else { return "NetBIOS-NS reply (\(reply.count) bytes)" }
        let name = escaped(String(decoding: reply[(names + 1)..<(names + 16)], as: UTF8.self).trimmingSpaces.utf8)
        return "NetBIOS-NS: \(reply[names]) name\(reply[names] == 1 ? "" : "s"), the first \(name)"
    }

    /// UPnP Device Architecture 1.1 §1.3.2 (from draft-cai-ssdp-v1-03): an M-SEARCH for
    /// every device and service.
    static let ssdp = UDPService(
        port: 1900, name: "ssdp", source: "UPnP Device Architecture 1.1 §1.3.2, draft-cai-ssdp-v1-03 (M-SEARCH ssdp:all)",
        request: Array("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n".utf8),
        describe: describeSSDP)

    /// `SSDP: HTTP/1.1 200 OK, SERVER Linux/6.1 UPnP/1.0 …`.
    static func describeSSDP(_ reply: [UInt8]) -> String? {
        let text = String(decoding: reply.prefix(1024), as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let status = lines.first, status.hasPrefix("HTTP/") else { return nil }
        let server = lines.first { $0.lowercased().hasPrefix("server:") }.map { ", SERVER " + $0.dropFirst(7).trimmingSpaces } ?? ""
        return "SSDP: " + escaped(Array(status.utf8).prefix(60)) + escaped(Array(server.utf8).prefix(100))
    }

    /// RFC 2408 §3 (ISAKMP) and RFC 2409 §5 (IKEv1 main mode): a first message offering
    /// one proposal (3DES, SHA-1, pre-shared key, MODP group 2, 8 hours).
    static let ike = UDPService(
        port: 500, name: "isakmp", source: "RFC 2408 §3, RFC 2409 §5 (IKEv1 main mode, one proposal)",
        request: ikeRequest, describe: describeIKE)

    static var ikeRequest: [UInt8] {
        let attributes: [(UInt16, UInt16)] = [(1, 5), (2, 2), (3, 1), (4, 2), (11, 1), (12, 28_800)]
        let transform: [UInt8] =
            [0, 0, 0, 32, 1, 1, 0, 0] + attributes.flatMap { [UInt8(0x80 | $0.0 >> 8), UInt8($0.0 & 0xFF), UInt8($0.1 >> 8), UInt8($0.1 & 0xFF)] }
        let proposal: [UInt8] = [0, 0, 0, 40, 1, 1, 0, 1] + transform
        let association: [UInt8] = [0, 0, 0, 52, 0, 0, 0, 1, 0, 0, 0, 1] + proposal
        let header: [UInt8] = Array("sockscop".utf8) + [UInt8](repeating: 0, count: 8) + [1, 0x10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 80]
        return header + association
    }

    static let ikeNotifications: [UInt16: String] = [
        14: "NO-PROPOSAL-CHOSEN", 16: "PAYLOAD-MALFORMED", 24: "AUTHENTICATION-FAILED", 7: "INVALID-SYNTAX", 17: "INVALID-KEY-INFORMATION",
    ]

    /// `IKEv1 reply: main mode, SA chosen` or `…: notify NO-PROPOSAL-CHOSEN (14)`.
    static func describeIKE(_ reply: [UInt8]) -> String? {
        guard reply.count >= 28, reply[0..<8].elementsEqual("sockscop".utf8) else { return nil }
        let version = reply[17] >> 4
        let exchange = reply[18] == 2 ? "main mode" : reply[18] == 5 ? "informational" : "exchange \(reply[18])"
        var text = "IKEv\(version) reply: \(exchange)"
        switch reply[16] {
        case 1: text += ", SA chosen"
        case 11 where reply.count >= 28 + 12:
            let type = UInt16(reply[28 + 10]) << 8 | UInt16(reply[28 + 11])
            text += ", notify \(ikeNotifications[type] ?? "type") (\(type))"
        default: text += ", first payload \(reply[16])"
        }
        return text
    }
}

// MARK: TFTP, Memcached and the portmapper

extension UDPService {
    /// RFC 1350 §5: a read request (RRQ) for a file no server should have, octet mode.
    /// The answer comes from another port of the server (its new transfer identifier).
    static let tftp = UDPService(
        port: 69, name: "tftp", source: "RFC 1350 §5 (RRQ sockscope-probe, octet)",
        request: [0, 1] + Array("sockscope-probe".utf8) + [0] + Array("octet".utf8) + [0],
        describe: describeTFTP)

    static func describeTFTP(_ reply: [UInt8]) -> String? {
        guard reply.count >= 4, reply[0] == 0 else { return nil }
        switch reply[1] {
        case 3: return "TFTP: DATA block \(Int(reply[2]) << 8 | Int(reply[3]))"
        case 5:
            let message = escaped(reply[4...].prefix { $0 != 0 }.prefix(80))
            return "TFTP: ERROR \(Int(reply[2]) << 8 | Int(reply[3])) \"\(message)\""
        case 6: return "TFTP: OACK"
        default: return nil
        }
    }

    /// memcached's protocol.txt, "UDP protocol": the 8-byte frame header (request ID,
    /// sequence 0 of 1) and a `version` command.
    static let memcached = UDPService(
        port: 11211, name: "memcache", source: "memcached protocol.txt, UDP protocol (version)",
        request: [0x73, 0x6B, 0, 0, 0, 1, 0, 0] + Array("version\r\n".utf8),
        describe: { reply in
            guard reply.count > 8, reply[0] == 0x73, reply[1] == 0x6B else { return nil }
            let text = escaped(reply[8...].prefix { $0 != 0x0D && $0 != 0x0A }.prefix(80))
            return "memcached: " + text
        })

    /// RFC 5531 §9 (ONC RPC version 2 CALL) to RFC 1833 §3's portmapper (program
    /// 100000, version 2), procedure 0 (NULL), AUTH_NONE.
    static let portmapper = UDPService(
        port: 111, name: "sunrpc", source: "RFC 5531 §9, RFC 1833 §3 (portmapper v2 NULL call)",
        request: [0x73, 0x6B, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0x86, 0xA0, 0, 0, 0, 2] + [UInt8](repeating: 0, count: 20),
        describe: describeRPC)

    static func describeRPC(_ reply: [UInt8]) -> String? {
        guard reply.count >= 12, reply[0..<4].elementsEqual([0x73, 0x6B, 0x00, 0x01]), reply[7] == 1 else { return nil }
        guard reply[11] == 0 else { return "RPC reply: portmapper call denied" }
        guard reply.count >= 24 else { return "RPC reply: accepted" }
        let status = ["SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH", "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"]
        let accept = Int(reply[23])
        return "RPC reply: portmapper v2 \(accept < status.count ? status[accept] : "accept status \(accept)")"
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and NULs.
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\0" }.reversed().drop { $0 == " " || $0 == "\0" }.reversed())
    }
}
