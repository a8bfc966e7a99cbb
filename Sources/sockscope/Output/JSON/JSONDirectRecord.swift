/// A record written in bulk — a full scan's 65,535 `port` records — writes its fields
/// straight into the output instead of through `Encodable`'s containers, whose per-field
/// dynamic dispatch cost a scan more than half the time the scan's own lines take.
/// It is still the record type the schema test holds to its `$def`: a test writes
/// records of each such type both ways and requires the same bytes.
protocol JSONDirectRecord: JSONRecord {
    /// Appends the record's fields, in declaration order, as `Encodable` would write them.
    func appendFields(to fields: inout JSONFieldWriter)
}

/// Writes the members of one open object: `,"name":value` each, into a
/// `JSONTextEncoder.Output`. Names are given in the schema's spelling (snake case).
struct JSONFieldWriter {
    let output: JSONTextEncoder.Output

    private func name(_ name: StaticString) {
        output.bytes.append(UInt8(ascii: ","))
        output.bytes.append(UInt8(ascii: "\""))
        output.bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        output.bytes.append(UInt8(ascii: "\""))
        output.bytes.append(UInt8(ascii: ":"))
    }

    private func null() { output.append("null") }

    mutating func field(_ name: StaticString, _ value: String) {
        self.name(name)
        JSONTextEncoder.appendQuoted(value, to: output)
    }

    mutating func field(_ name: StaticString, _ value: String?) {
        self.name(name)
        if let value { JSONTextEncoder.appendQuoted(value, to: output) } else { null() }
    }

    mutating func field(_ name: StaticString, _ value: Int) {
        self.name(name)
        guard value >= 0 && value < 1_000_000 else { return output.append(String(value)) }
        // Ports, counts and codes: the digits written straight, without a String.
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[5 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            output.bytes.append(contentsOf: buffer[(6 - count)...])
        }
    }

    mutating func field(_ name: StaticString, _ value: Double) {
        self.name(name)
        JSONTextEncoder.write(value, to: output)
    }

    /// An ``Omitted`` field: left out when absent, else its value (null included).
    mutating func field(_ name: StaticString, _ value: Omitted<String?>) {
        guard let present = value.wrappedValue else { return }
        field(name, present)
    }
}

extension JSONLine {
    /// `record`'s line through its direct writer (see ``JSONDirectRecord``).
    static func append<Record: JSONDirectRecord>(_ record: Record, time: String, to output: JSONTextEncoder.Output) {
        output.append("{\"type\":")
        JSONTextEncoder.appendQuoted(Record.type, to: output)
        output.append(",\"time\":")
        JSONTextEncoder.appendQuoted(time, to: output)
        var fields = JSONFieldWriter(output: output)
        record.appendFields(to: &fields)
        output.append("}\n")
    }

    /// `record`'s line through `Encodable`, even for a ``JSONDirectRecord`` (for the test
    /// that holds the two ways to the same bytes).
    static func encodedText<Record: JSONRecord>(_ record: Record, time: String) -> String {
        let output = JSONTextEncoder.Output()
        append(record, time: time, to: output)
        return output.text
    }
}
