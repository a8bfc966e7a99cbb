import Foundation
import SockscopeCore
import Testing

@testable import sockscope

/// The typed JSON records against `schema/sockscope.schema.json`: every record `$def`
/// has its type and every type its `$def`; each type, filled in and left empty, writes
/// exactly the `$def`'s field names, with values of the types it allows, and never
/// leaves out a required field. Code and schema cannot drift apart unseen.
@Suite("JSON records")
struct JSONRecordTests {
    nonisolated(unsafe) static let schema: [String: Any] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = (try? Data(contentsOf: root.appendingPathComponent("schema/sockscope.schema.json"))) ?? Data()
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }()

    static var definitions: [String: [String: Any]] { schema["$defs"] as? [String: [String: Any]] ?? [:] }

    /// The `$def`s that are records (their `type` is a constant): the others are objects records hold.
    static var recordNames: Set<String> {
        Set(
            definitions.compactMap { name, definition in ((definition["properties"] as? [String: Any])?["type"] as? [String: Any])?["const"] == nil ? nil : name
            })
    }

    @Test("one record type per record $def, and no type without one")
    func everyDefinitionHasAType() {
        #expect(!Self.definitions.isEmpty, "the schema was read")
        let types = JSONLine.recordTypes.map { $0.type }
        #expect(Set(types).count == types.count, "a $def has two types: \(types)")
        #expect(
            Set(types) == Self.recordNames,
            "types without a $def: \(Set(types).subtracting(Self.recordNames)); $defs without a type: \(Self.recordNames.subtracting(types))")
        let objects = Set(Self.definitions.keys).subtracting(Self.recordNames)
        #expect(Set(JSONLine.objectTypes.keys) == objects, "object $defs: \(objects)")
    }

    @Test("each record type, every optional field filled in and none, matches its $def", arguments: JSONLine.recordTypes.map { $0.type })
    func recordMatchesDefinition(_ name: String) throws {
        let type = try #require(JSONLine.recordTypes.first { $0.type == name })
        let definition = try #require(Self.definitions[name])
        for filled in [true, false] {
            let line = try Self.line(type, filled: filled)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let problems = Self.check(object, against: definition, path: name, complete: filled)
            #expect(problems.isEmpty, "\(filled ? "filled" : "empty") \(name): \(problems.joined(separator: "; "))\n\(line)")
            #expect(line.hasPrefix(#"{"type":"\#(name)","time":""#) && line.hasSuffix("}\n"))
        }
    }

    @Test("the objects records hold match their $defs", arguments: Array(JSONLine.objectTypes.keys))
    func objectMatchesDefinition(_ name: String) throws {
        let type = try #require(JSONLine.objectTypes[name])
        let definition = try #require(Self.definitions[name])
        for filled in [true, false] {
            let value = try type.init(from: SampleDecoder(filled: filled))
            let text = JSONTextEncoder.text(value)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
            let problems = Self.check(object, against: definition, path: name, complete: filled)
            #expect(problems.isEmpty, "\(name): \(problems.joined(separator: "; "))\n\(text)")
        }
    }

    @Test("the fields probe's help lists for its port record are the schema's")
    func helpNamesSchemaFields() throws {
        let discussion = ProbeCommand.configuration.discussion
        let start = try #require(discussion.range(of: "\"port\" record per port: "))
        let listed = discussion[start.upperBound...].prefix { $0 != "." }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let properties = Set((Self.definitions["port"]?["properties"] as? [String: Any] ?? [:]).keys)
        #expect(listed.count > 5 && Set(listed).isSubset(of: properties), "not in the schema: \(Set(listed).subtracting(properties))")
    }

    @Test("the encoder: keys in snake case and in order, nil as null, an omitted field left out, strings escaped")
    func encoder() {
        var record = ClosedRecord(protocol: "tcp", reason: "a \"quoted\"\nline")
        record.bytesSent = 3
        #expect(
            JSONLine.text(record, time: "T")
                == #"{"type":"closed","time":"T","client":null,"peer_address":null,"peer_port":null,"protocol":"tcp","reason":"a \"quoted\"\nline","bytes_sent":3,"#
                + #""bytes_received":null,"closed_first":null,"stdin_unsent":false,"close_notify":null,"datagrams_sent":null,"datagrams_received":null,"#
                + #""messages_sent":null,"messages_received":null}"# + "\n")
        #expect(JSONLine.text(ProxyRecord(proxy: "p", proxyType: "http", destination: "d", reply: nil), time: "T").contains(#""reply":null}"#))
        #expect(
            JSONLine.text(ProxyRecord(proxy: "p", proxyType: "http", destination: "d", reply: nil, client: 7), time: "T").hasSuffix(
                #""reply":null,"client":7}"# + "\n"))
        var packet = PacketRecord(
            offset: .milliseconds(1.5), source: JSONEndpoint(.ipv4(.loopback, port: 80)), destination: JSONEndpoint(host: .v4(.loopback)), protocol: "tcp")
        packet.ack = Int?.none
        packet.states = []
        #expect(JSONLine.text(packet, time: "T").hasSuffix(#""protocol":"tcp","ack":null,"states":[]}"# + "\n"))
        // Member names are learned per type from the first record: records of the same type
        // with other fields left out, in any order, still name every field right.
        for round in 0..<3 {
            var tcp = PacketRecord(offset: .zero, source: JSONEndpoint(host: .v4(.loopback)), destination: JSONEndpoint(host: .v4(.loopback)), protocol: "tcp")
            if round != 1 { tcp.flags = "S" }
            if round != 2 { tcp.truncated = true }
            let text = JSONLine.text(tcp, time: "T")
            #expect(
                text.contains(#""protocol":"tcp""#) && text.contains(#""flags":"S""#) == (round != 1)
                    && text.hasSuffix(round != 2 ? #""truncated":true}"# + "\n" : "\"tcp\",\"flags\":\"S\"}\n"), "\(text)")
        }
        #expect(JSONTextEncoder.snakeCase("timeWaitLeftMs") == "time_wait_left_ms" && JSONTextEncoder.snakeCase("sha256") == "sha256")
        #expect(JSONTextEncoder.text(Double.infinity) == "null" && JSONTextEncoder.text([UInt64.max]) == "[18446744073709551615]")
    }

    @Test("a record written directly (a scan's ports) is byte for byte what Encodable writes: filled, empty, a null banner, text to escape")
    func directRecordsMatchEncodable() throws {
        // Every type with a direct writer is checked here: a new one must be added below.
        #expect(JSONLine.recordTypes.filter { $0 is any JSONDirectRecord.Type }.map { $0.type } == ["port"])
        func both<R: JSONDirectRecord>(_ record: R) -> (direct: String, encoded: String) {
            let output = JSONTextEncoder.Output()
            JSONLine.append(record, time: "T", to: output)
            return (output.text, JSONLine.encodedText(record, time: "T"))
        }
        var records = [try PortRecord(from: SampleDecoder(filled: true)), try PortRecord(from: SampleDecoder(filled: false))]
        var port = PortRecord(
            target: "h\"ost\n", peerAddress: "::1", peerPort: 22, protocol: "tcp", state: "open", code: 0, errno: nil, error: nil, reason: "syn-ack",
            service: nil, rttMs: 0.125, attempts: 1)
        records.append(port)
        port.banner = .some(nil)
        port.answer = .some("\u{1}\\")
        records.append(port)
        port.errno = "ECONNREFUSED"
        port.error = "Connection refused"
        port.rttMs = 1e-7
        records.append(port)
        for record in records {
            let (direct, encoded) = both(record)
            #expect(direct == encoded)
            #expect(try JSONSerialization.jsonObject(with: Data(direct.utf8)) is [String: Any], "\(direct)")
        }
    }

    static func line(_ type: any JSONRecord.Type, filled: Bool) throws -> String {
        func make<R: JSONRecord>(_ type: R.Type) throws -> String { JSONLine.text(try R(from: SampleDecoder(filled: filled))) }
        return try make(type)
    }

    /// What in `object` breaks `definition`: a field it does not name, a value of a
    /// type it does not allow, a required field missing; with `complete`, a field it
    /// names that the type never writes.
    static func check(_ object: [String: Any], against definition: [String: Any], path: String, complete: Bool) -> [String] {
        let properties = definition["properties"] as? [String: [String: Any]] ?? [:]
        var problems: [String] = []
        for (key, value) in object {
            guard let property = properties[key] else {
                problems.append("\(path).\(key) is not in the schema")
                continue
            }
            problems += checkValue(value, property, path: "\(path).\(key)", complete: complete)
        }
        for required in definition["required"] as? [String] ?? [] where object[required] == nil {
            problems.append("\(path).\(required) is required but missing")
        }
        if complete {
            for key in properties.keys where object[key] == nil { problems.append("\(path).\(key) is in the schema but never written") }
        }
        return problems
    }

    private static func checkValue(_ value: Any, _ property: [String: Any], path: String, complete: Bool) -> [String] {
        if let reference = property["$ref"] as? String {
            let name = String(reference.split(separator: "/").last ?? "")
            if value is NSNull, allowedTypes(definitions[name] ?? [:]).contains("null") { return [] }
            guard let object = value as? [String: Any], let definition = definitions[name] else { return ["\(path) is not a \(name) object"] }
            return check(object, against: definition, path: path, complete: complete)
        }
        let allowed = allowedTypes(property)
        let actual = jsonType(value)
        if !allowed.isEmpty, !allowed.contains(actual), !(actual == "integer" && allowed.contains("number")) {
            return ["\(path) is \(actual), the schema allows \(allowed.sorted())"]
        }
        if let array = value as? [Any], let items = property["items"] as? [String: Any] {
            return array.enumerated().flatMap { checkValue($1, items, path: "\(path)[\($0)]", complete: complete) }
        }
        if let object = value as? [String: Any], property["properties"] != nil {
            return check(object, against: property, path: path, complete: complete)
        }
        return []
    }

    /// The JSON types a property allows: its `type`, or those of its `enum` or `const` values.
    private static func allowedTypes(_ property: [String: Any]) -> Set<String> {
        if let type = property["type"] as? String { return [type] }
        if let types = property["type"] as? [String] { return Set(types) }
        if let values = property["enum"] as? [Any] { return Set(values.map(jsonType)) }
        if let value = property["const"] { return [jsonType(value)] }
        return []
    }

    private static func jsonType(_ value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case is String: return "string"
        case let number as NSNumber:
            // JSONSerialization makes true/false NSNumbers of C type char, 1 a long, 1.5 a double.
            switch String(cString: number.objCType) {
            case "c", "B": return "boolean"
            case "d", "f": return "number"
            default: return "integer"
            }
        case is [Any]: return "array"
        case is [String: Any]: return "object"
        default: return "unknown"
        }
    }
}
