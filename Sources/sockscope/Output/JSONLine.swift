import SockscopeCore

/// Builds one JSON object per line (JSON Lines) without Foundation: keys keep the
/// order they were added in, values are strings, numbers, booleans or null.
struct JSONLine {
    private var fields: [String] = []

    init() {}

    /// A record of one kind (`"type"` first, as every record in the schema has), stamped
    /// with the wall-clock time it was made (`"time"`, RFC 3339 with a date).
    init(type: String, time: String = Timestamp.now()) {
        add("type", type)
        add("time", time)
    }

    mutating func add(_ key: String, _ value: String?) {
        fields.append("\(Self.quote(key)):\(value.map(Self.quote) ?? "null")")
    }

    mutating func add(_ key: String, _ value: Int) {
        fields.append("\(Self.quote(key)):\(value)")
    }

    mutating func add(_ key: String, _ value: Int?) {
        fields.append("\(Self.quote(key)):\(value.map { "\($0)" } ?? "null")")
    }

    mutating func add(_ key: String, _ value: Double?) {
        fields.append("\(Self.quote(key)):\(value.map { "\($0)" } ?? "null")")
    }

    mutating func add(_ key: String, _ values: [String]) {
        fields.append("\(Self.quote(key)):[" + values.map(Self.quote).joined(separator: ",") + "]")
    }

    /// A value already in JSON (an array of objects), added as it is.
    mutating func add(raw key: String, _ json: String) {
        fields.append("\(Self.quote(key)):\(json)")
    }

    mutating func add(_ key: String, _ value: Bool) {
        fields.append("\(Self.quote(key)):\(value)")
    }

    /// An endpoint as two fields, `ROLE_address` and `ROLE_port` (null for a Unix
    /// socket, whose address is its path, `@name` for an abstract one).
    mutating func add(endpoint role: String, _ address: SocketAddress?) {
        guard let address else {
            add("\(role)_address", String?.none)
            add("\(role)_port", Int?.none)
            return
        }
        switch address {
        case .unix(let path):
            add("\(role)_address", path.text)
            add("\(role)_port", Int?.none)
        default:
            add("\(role)_address", address.ipAddress.map { "\($0)" })
            add("\(role)_port", address.port.map(Int.init))
        }
    }

    /// A host without a port (ICMP): `ROLE_address`, and `ROLE_port` null.
    mutating func add(endpoint role: String, host: IPAddress) {
        add("\(role)_address", "\(host)")
        add("\(role)_port", Int?.none)
    }

    /// A duration as a number of milliseconds (`NAME_ms`).
    mutating func add(milliseconds key: String, _ duration: Duration?) {
        add(key + "_ms", duration.map(Timestamp.milliseconds))
    }

    var text: String { "{" + fields.joined(separator: ",") + "}\n" }

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
