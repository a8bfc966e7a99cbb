import SockscopeCore
import Testing

/// The requests probe -u sends, byte for byte as their RFCs lay them out, and the
/// readings of replies — never a crash on a short or garbled one.
@Suite("probe -u: the service table")
struct UDPServiceTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

    @Test("ten services, each with its source named; the requests' bytes")
    func requests() throws {
        #expect(Set(UDPService.table.keys) == [53, 69, 111, 123, 137, 161, 500, 1900, 5353, 11211])
        #expect(UDPService.table.values.allSatisfy { $0.source.contains("RFC") || $0.source.contains("protocol.txt") || $0.source.contains("UPnP") })
        // . IN NS, recursion desired.
        #expect(Self.hex(try #require(UDPService.request(for: 53))) == "736b01000001000000000000" + "00" + "0002" + "0001")
        // SNMPv2c GetRequest for sysDescr.0, community public (the BER lengths: 41, 28, 14, 12).
        #expect(
            Self.hex(try #require(UDPService.request(for: 161)))
                == "3029" + "020101" + "0406" + "7075626c6963" + "a01c" + "0204736b0001" + "020100" + "020100" + "300e" + "300c" + "06082b06010201010100"
                + "0500")
        let ntp = try #require(UDPService.request(for: 123))
        #expect(ntp.count == 48 && ntp[0] == 0x23, "LI 0, version 4, mode 3 (client)")
        let ike = try #require(UDPService.request(for: 500))
        #expect(ike.count == 80 && ike[16] == 1 && ike[17] == 0x10 && ike[18] == 2 && ike[27] == 80, "ISAKMP header: SA first, v1.0, main mode, length 80")
        let rpc = try #require(UDPService.request(for: 111))
        #expect(rpc.count == 40 && Self.hex(Array(rpc[12..<16])) == "000186a0", "program 100000")
        #expect(UDPService.request(for: 7) == nil, "other ports get an empty datagram")
    }

    @Test("replies read: DNS, NTP, SNMP errors; unknown or short replies shown as bytes; random bytes never trap")
    func replies() {
        var dns: [UInt8] = [0x73, 0x6B, 0x81, 0x83, 0, 1, 0, 0, 0, 1, 0, 0]
        #expect(UDPService.describe(dns, port: 53, fromPort: 53, tableRequest: true) == "DNS reply: NXDOMAIN, 0 answers, 1 authority, 0 additional")
        dns[2] = 0x01  // a query, not a reply
        #expect(UDPService.describe(dns, port: 53, fromPort: 53, tableRequest: true).hasPrefix("12 bytes: sk"))
        var ntp = [UInt8](repeating: 0, count: 48)
        ntp[0] = 0xE4  // leap 3, version 4, mode 4
        ntp[1] = 16
        #expect(UDPService.describe(ntp, port: 123, fromPort: 123, tableRequest: true) == "NTP v4 server, stratum 16, refid 0.0.0.0, unsynchronised")
        let noSuchName: [UInt8] =
            [0x30, 0x1A, 0x02, 0x01, 0x01, 0x04, 0x06] + Array("public".utf8) + [
                0xA2, 0x0D, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01, 0x30, 0x02, 0x30, 0x00,
            ]
        #expect(UDPService.describe(noSuchName, port: 161, fromPort: 161, tableRequest: true) == "SNMPv2c: error noSuchName")
        #expect(UDPService.describe(Array("hi\r\n".utf8), port: 9999, fromPort: 9999, tableRequest: true) == "4 bytes: hi\\r\\n")
        #expect(UDPService.describe([1, 2], port: 53, fromPort: 5353, tableRequest: false) == "2 bytes: \\x01\\x02 (from port 5353)")
        var random = SplitMix64(seed: 77)
        for _ in 0..<20_000 {
            let length = Int(random.next() % 120)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            for port in UDPService.table.keys { _ = UDPService.describe(bytes, port: port, fromPort: port, tableRequest: true) }
        }
    }
}
