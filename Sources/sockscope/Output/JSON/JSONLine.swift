import SockscopeCore

/// One kind of line of `--json` output: a `$def` of `schema/sockscope.schema.json`,
/// named by ``type``. The stored properties are the record's fields in order (snake
/// case in the output); `"type"` and `"time"` come first, written by ``JSONLine``.
/// A test checks every record type against its `$def`: names, types, required fields.
protocol JSONRecord: Codable, Sendable {
    static var type: String { get }
}

/// Writes records as JSON Lines (one object per line) without Foundation.
enum JSONLine {
    /// `record` as one line: `{"type":…,"time":…,fields…}` and a newline. `time` is
    /// when it happened, RFC 3339 with a date (default: now).
    static func text<Record: JSONRecord>(_ record: Record, time: String = Timestamp.now()) -> String {
        let output = JSONTextEncoder.Output()
        append(record, time: time, to: output)
        return output.text
    }

    /// Appends `record`'s line to `output`: for writers of many records at once.
    static func append<Record: JSONRecord>(_ record: Record, time: String, to output: JSONTextEncoder.Output) {
        // The envelope — type and time first, as every record has — written directly,
        // then the record's own fields in the same object.
        output.append("{\"type\":")
        JSONTextEncoder.appendQuoted(Record.type, to: output)
        output.append(",\"time\":")
        JSONTextEncoder.appendQuoted(time, to: output)
        // The encoder never throws: every value a record holds is representable.
        try? record.encode(to: JSONTextEncoder(continuing: output, members: 2))
        output.append("}\n")
    }

    /// A JSON string literal, escaping quotes, backslashes and control characters.
    static func quote(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""  // the common case: nothing to escape
        }
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

/// An endpoint as the schema writes it: `ROLE_address` and `ROLE_port` — the port null
/// for a Unix socket, whose address is its path (`@name` for an abstract one), or for
/// a host without a port (ICMP). An endpoint that may be missing is a `JSONEndpoint?`.
struct JSONEndpoint {
    let address: String
    let port: Int?

    init(_ address: SocketAddress) {
        switch address {
        case .unix(let path):
            self.address = path.text
            port = nil
        case .ipv4(let host, let number):
            self.address = "\(host)"
            port = Int(number)
        case .ipv6(let host, let number):
            self.address = "\(host)"
            port = Int(number)
        }
    }

    init(host: IPAddress) {
        address = "\(host)"
        port = nil
    }

    init?(_ address: SocketAddress?) {
        guard let address else { return nil }
        self.init(address)
    }
}

extension Duration {
    /// The duration as the schema's `*_ms` number.
    var jsonMilliseconds: Double { Timestamp.milliseconds(self) }
}

extension JSONLine {
    /// Every record type, one per record `$def` of the schema (a test holds each to its
    /// `$def`, and the list to the schema's).
    static let recordTypes: [any JSONRecord.Type] = [
        PortRecord.self, AddressRecord.self, HostRecord.self, FQDNRecord.self, ReverseRecord.self, ServiceRecord.self, SocketRecord.self,
        PacketRecord.self, StepRecord.self, DatagramRecord.self, MessageRecord.self, ListeningRecord.self, ConnectedRecord.self, AcceptedRecord.self,
        RefusedRecord.self, AcceptFailedRecord.self, ClosedRecord.self, ProgramEventRecord<ProgramStarted>.self, ProgramEventRecord<ProgramHungUp>.self,
        ProgramEventRecord<ProgramTerminated>.self, ExitedRecord.self,
        ErrorRecord.self, TLSRecord.self, TLSIdentityRecord.self, ForwardConnectedRecord.self, ForwardFailedRecord.self, ForwardHalfClosedRecord.self,
        ForwardFinishedRecord.self, ForwardFaultsRecord.self, ForwardFaultRecord.self, ForwardRefusedRecord.self, ProxyRecord.self,
        ProxyRequestRecord.self, ConversationRecord.self, ProbeAttemptRecord.self, ProbeStatisticsRecord.self, ProbeHostRecord.self, PortChangeRecord.self,
    ]

    /// The objects records hold that the schema defines on their own (`$defs` without a type).
    static let objectTypes: [String: any (Codable & Sendable).Type] = ["certificate": CertificateObject.self, "fault_plan": FaultPlanObject.self]
}
