/// What `probe -u` sends to well-known UDP ports, and how it reads the answers.
///
/// An empty datagram gets no answer from most UDP services, so the port looks
/// open|filtered; a real request (what nmap -sU sends) makes the service answer and the
/// port show open, with what answered. Each request is built here from the protocol's
/// specification, named in `source`.
package struct UDPService: Sendable {
    package let port: UInt16
    package let name: String
    /// The document the request follows.
    package let source: String
    package let request: [UInt8]
    /// A one-line description of a reply, or nil when the bytes are not this protocol's.
    let describe: @Sendable ([UInt8]) -> String?

    /// The services, by port.
    package static let table: [UInt16: UDPService] = {
        var table: [UInt16: UDPService] = [:]
        for service in [dns, ntp, snmp, netbios, ssdp, mdns, ike, tftp, memcached, portmapper] { table[service.port] = service }
        return table
    }()

    /// The request for `port`, or nil when the table has none (an empty datagram is sent).
    package static func request(for port: UInt16) -> [UInt8]? { table[port]?.request }

    /// What a reply says: the service's reading of it when the table's request went
    /// out, else its length and first bytes, escaped.
    package static func describe(_ reply: [UInt8], port: UInt16, fromPort: UInt16, tableRequest: Bool) -> String {
        let moved = fromPort == port ? "" : " (from port \(fromPort))"
        if tableRequest, let service = table[port], let text = service.describe(reply) { return text + moved }
        return "\(reply.count) bytes: " + escaped(reply.prefix(48)) + (reply.count > 48 ? "…" : "") + moved
    }

    static func escaped(_ bytes: some Collection<UInt8>) -> String { PrintableBytes.escaped(bytes) }
}

// MARK: DNS and mDNS

extension UDPService {
    /// RFC 1035 §4.1: a recursive query for the root's NS records (`. IN NS`).
    static let dns = UDPService(
        port: 53, name: "dns", source: "RFC 1035 §4.1 (a query for . IN NS)",
        request: [0x73, 0x6B, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x00, 0, 2, 0, 1],
        describe: { describeDNS($0, label: "DNS") })

    /// RFC 6762 §6.7 (a legacy unicast query, answered to its source port) for RFC 6763
    /// §9's service enumeration name, `_services._dns-sd._udp.local PTR`.
    static let mdns = UDPService(
        port: 5353, name: "mdns", source: "RFC 6762 §6.7, RFC 6763 §9 (_services._dns-sd._udp.local PTR)",
        request: [0x73, 0x6B, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + dnsName(["_services", "_dns-sd", "_udp", "local"]) + [0, 12, 0, 1],
        describe: { describeDNS($0, label: "mDNS") })

    static func dnsName(_ labels: [String]) -> [UInt8] {
        labels.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    static let rcodes = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"]

    /// `DNS reply: NOERROR, 13 answers, 0 authority, 0 additional`.
    static func describeDNS(_ reply: [UInt8], label: String) -> String? {
        guard reply.count >= 12, reply[2] & 0x80 != 0 else { return nil }
        let rcode = Int(reply[3] & 0x0F)
        let count = { (offset: Int) in Int(reply[offset]) << 8 | Int(reply[offset + 1]) }
        let name = rcode < rcodes.count ? rcodes[rcode] : "rcode \(rcode)"
        let answers = count(6)
        return "\(label) reply: \(name), \(answers) answer\(answers == 1 ? "" : "s"), \(count(8)) authority, \(count(10)) additional"
    }
}

// MARK: NTP and SNMP

extension UDPService {
    /// RFC 5905 §7.3: a version 4 client request (mode 3) with a transmit timestamp.
    static let ntp = UDPService(
        port: 123, name: "ntp", source: "RFC 5905 §7.3 (an NTPv4 client request)",
        request: [0x23] + [UInt8](repeating: 0, count: 39) + [0xE9, 0x4E, 0x2B, 0x00, 0x00, 0x00, 0x00, 0x00],
        describe: describeNTP)

    /// `NTP v4 server, stratum 10, refid 127.127.1.1` (`, unsynchronised` for leap 3).
    static func describeNTP(_ reply: [UInt8]) -> String? {
        guard reply.count >= 48 else { return nil }
        let mode = reply[0] & 7
        guard mode == 4 || mode == 2 else { return nil }
        let version = (reply[0] >> 3) & 7
        let stratum = reply[1]
        let reference = reply[12..<16]
        let refid =
            stratum <= 1
            ? String(decoding: reference.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self)
            : reference.map(String.init).joined(separator: ".")
        let synchronised = reply[0] >> 6 == 3 ? ", unsynchronised" : ""
        return "NTP v\(version) \(mode == 4 ? "server" : "peer"), stratum \(stratum), refid \(refid)\(synchronised)"
    }

    /// RFC 1901 (community-based SNMPv2) and RFC 3416 §4.2.1: a GetRequest for
    /// sysDescr.0 (1.3.6.1.2.1.1.1.0, RFC 1213) with the community `public`.
    static let snmp = UDPService(
        port: 161, name: "snmp", source: "RFC 1901, RFC 3416 §4.2.1 (v2c GetRequest sysDescr.0, community public)",
        request: BER.tlv(
            0x30,
            BER.tlv(0x02, [1]) + BER.tlv(0x04, Array("public".utf8))
                + BER.tlv(
                    0xA0,
                    BER.tlv(0x02, [0x73, 0x6B, 0x00, 0x01]) + BER.tlv(0x02, [0]) + BER.tlv(0x02, [0])
                        + BER.tlv(0x30, BER.tlv(0x30, BER.tlv(0x06, [0x2B, 6, 1, 2, 1, 1, 1, 0]) + BER.tlv(0x05, []))))),
        describe: describeSNMP)

    static let snmpErrors = ["noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess"]

    /// `SNMPv2c: sysDescr "Linux host 6.1.0 …"`, or the error status.
    static func describeSNMP(_ reply: [UInt8]) -> String? {
        var reader = BER(reply[...])
        guard var message = reader.read(0x30), let version = message.read(0x02)?.first, message.read(0x04) != nil,
            var pdu = message.read(0xA2), pdu.read(0x02) != nil, let status = pdu.read(0x02)?.last, pdu.read(0x02) != nil
        else { return nil }
        let name = version == 1 ? "SNMPv2c" : version == 0 ? "SNMPv1" : "SNMP version \(version)"
        guard status == 0 else { return "\(name): error \(Int(status) < snmpErrors.count ? snmpErrors[Int(status)] : "status \(status)")" }
        guard var list = pdu.read(0x30), var binding = list.read(0x30), binding.read(0x06) != nil, let (tag, value) = binding.readAny() else {
            return "\(name) reply"
        }
        switch tag {
        case 0x04: return "\(name): sysDescr \"\(escaped(value.prefix(120)))\""
        case 0x80: return "\(name): noSuchObject"
        case 0x81: return "\(name): noSuchInstance"
        default: return "\(name) reply"
        }
    }
}

/// The little of ASN.1 BER that SNMP needs: definite lengths, short and long form.
struct BER {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        let count = content.count
        let length: [UInt8] = count < 128 ? [UInt8(count)] : count < 256 ? [0x81, UInt8(count)] : [0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
        return [tag] + length + content
    }

    /// The next element if it has `tag`: a reader over its content.
    mutating func read(_ tag: UInt8) -> BER? {
        guard bytes.first == tag, let (_, content) = readAny() else { return nil }
        return BER(content)
    }

    /// The next element's tag and content.
    mutating func readAny() -> (UInt8, ArraySlice<UInt8>)? {
        guard bytes.count >= 2 else { return nil }
        let tag = bytes[bytes.startIndex]
        var index = bytes.startIndex + 1
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let octets = length & 0x7F
            guard octets >= 1, octets <= 2, bytes.endIndex - index >= octets else { return nil }
            length = bytes[index..<index + octets].reduce(0) { $0 << 8 | Int($1) }
            index += octets
        }
        guard bytes.endIndex - index >= length else { return nil }
        let content = bytes[index..<index + length]
        bytes = bytes[(index + length)...]
        return (tag, content)
    }

    var first: UInt8? { bytes.first }
    var last: UInt8? { bytes.last }
}
