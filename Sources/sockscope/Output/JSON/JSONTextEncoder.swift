import Synchronization

/// Writes an `Encodable` value as JSON text without Foundation: the subset the
/// records of `schema/sockscope.schema.json` use — objects whose keys keep the order
/// they were encoded in (a record's declaration order), strings, integers, doubles,
/// booleans, null and arrays.
///
/// Keys are the coding keys in snake case (`bytesSent` → `bytes_sent`), the schema's
/// spelling. An optional that is nil is written as `null` — the schema names every
/// field a record has, null or not — unless it is ``Omitted``, which leaves the key out.
final class JSONTextEncoder: Encoder {
    /// Where the text goes; shared by the encoders of nested values.
    final class Output {
        /// The UTF-8 written so far. One writer appends at a time (an Output is never
        /// shared between threads), so the per-append exclusivity check is not paid.
        @exclusivity(unchecked) var bytes: [UInt8] = []

        /// What was written, as text.
        var text: String { String(decoding: bytes, as: UTF8.self) }

        func append(_ text: String) {
            bytes.append(contentsOf: text.utf8)
        }
        /// Member names learned for this output's record types (see `memberNames`),
        /// looked up without the lock.
        @exclusivity(unchecked) var names: [ObjectIdentifier: [(key: String, name: String)]] = [:]
    }

    private enum Opened { case none, object, array, value }

    let output: Output
    private var opened = Opened.none
    /// Members written so far in the object or array this encoder opened.
    fileprivate var members = 0
    let codingPath: [any CodingKey] = []
    let userInfo: [CodingUserInfoKey: Any] = [:]

    init(output: Output) {
        self.output = output
    }

    /// An encoder for the rest of an object whose `{` and first `members` members are
    /// written already (a record's `type` and `time`).
    init(continuing output: Output, members: Int) {
        self.output = output
        opened = .object
        self.members = members
    }

    /// The JSON text of `value`.
    static func text(_ value: some Encodable) -> String {
        let output = Output()
        write(value, to: output)
        return output.text
    }

    /// Appends `value`'s JSON text to `output`: the scalars directly, anything else
    /// through its `encode(to:)`, closing the object or array it opened.
    static func write(_ value: some Encodable, to output: Output) {
        switch value {
        case let string as String: appendQuoted(string, to: output)
        case let integer as Int: output.append(String(integer))
        case let flag as Bool: output.append(flag ? "true" : "false")
        case let number as Double: output.append(number.isFinite ? "\(number)" : "null")
        case let integer as any BinaryInteger: output.append("\(integer)")
        case let number as Float: write(Double(number), to: output)
        default:
            let encoder = JSONTextEncoder(output: output)
            // The encoders here never throw: every value is representable.
            try? value.encode(to: encoder)
            switch encoder.opened {
            case .object: output.append("}")
            case .array: output.append("]")
            case .value: break
            case .none: output.append("{}")
            }
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // A value may encode in parts (a record's envelope, then its fields): one object.
        if opened == .none {
            opened = .object
            output.append("{")
        }
        return KeyedEncodingContainer(ObjectContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if opened == .none {
            opened = .array
            output.append("[")
        }
        return ArrayContainer(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        opened = .value
        return ValueContainer(encoder: self)
    }

    /// `bytesSent` → `bytes_sent`: the schema's names from Swift's. Each name is
    /// converted once (a scan writes the same dozen keys 65,535 times).
    static func snakeCase(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return name }
        if let known = snakeNames.withLock({ $0[name] }) { return known }
        let converted = convertToSnakeCase(name)
        snakeNames.withLock { $0[name] = converted }
        return converted
    }

    private static let snakeNames = Mutex<[String: String]>([:])

    private static func convertToSnakeCase(_ name: String) -> String {
        var result = ""
        for character in name.unicodeScalars {
            if character.properties.isUppercase {
                result += "_"
                result.unicodeScalars.append(contentsOf: character.properties.lowercaseMapping.unicodeScalars)
            } else {
                result.unicodeScalars.append(character)
            }
        }
        return result
    }

    /// Starts the next member of the open object: the comma before all but the first,
    /// then its name, already quoted (`"bytes_sent":`).
    fileprivate func startMember(_ name: String) {
        if members > 0 { output.bytes.append(UInt8(ascii: ",")) }
        members += 1
        output.append(name)
    }

    /// Each coding-key type's member names, quoted, in the order its records write them:
    /// learned from the first record of the type, so the many after it (65,535 port
    /// records in a scan) neither convert nor look up a name.
    private static let memberNames = Mutex<[ObjectIdentifier: [(key: String, name: String)]]>([:])

    fileprivate func memberNames<Key: CodingKey>(of type: Key.Type) -> [(key: String, name: String)] {
        let id = ObjectIdentifier(type)
        if let known = output.names[id] { return known }
        let shared = Self.memberNames.withLock { $0[id] ?? [] }
        output.names[id] = shared
        return shared
    }

    fileprivate func learn<Key: CodingKey>(_ names: [(key: String, name: String)], of type: Key.Type) {
        output.names[ObjectIdentifier(type)] = names
        Self.memberNames.withLock { $0[ObjectIdentifier(type)] = names }
    }

    /// Appends `text` as a JSON string literal (see `JSONLine.quote`).
    static func appendQuoted(_ text: String, to output: Output) {
        // Native strings are contiguous UTF-8: one pass over the bytes, copied as they are
        // when nothing needs escaping (the common case, and most of a scan's output).
        let clean = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            output.bytes.append(UInt8(ascii: "\""))
            output.bytes.append(contentsOf: bytes)
            output.bytes.append(UInt8(ascii: "\""))
            return true
        }
        if clean == true { return }
        if text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(JSONLine.quote(text))
        } else {
            output.bytes.append(UInt8(ascii: "\""))
            output.append(text)
            output.bytes.append(UInt8(ascii: "\""))
        }
    }

    fileprivate func startElement() {
        if members > 0 { output.append(",") }
        members += 1
    }
}

/// A value left out of its record when nil, rather than written as null: for the few
/// fields the schema marks as present only sometimes (`close_notify`, `stdin_unsent`).
@propertyWrapper
struct Omitted<Value: Codable & Sendable>: Codable, Sendable, OmittableValue {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    var isAbsent: Bool { wrappedValue == nil }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }
}

/// What ``JSONTextEncoder`` asks of a value it may leave out.
protocol OmittableValue {
    var isAbsent: Bool { get }
}

private struct ObjectContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: JSONTextEncoder
    var codingPath: [any CodingKey] { [] }
    /// The names this key type's records write, in order (see `memberNames`), and
    /// which of them comes next.
    private var names: [(key: String, name: String)]
    private var next = 0

    init(encoder: JSONTextEncoder) {
        self.encoder = encoder
        names = encoder.memberNames(of: Key.self)
    }

    /// The quoted name of `key`, the next member: from the learned list when it is the
    /// one expected there, else made (and learned when it extends the list).
    private mutating func name(of key: Key) -> String {
        defer { next += 1 }
        let source = key.stringValue
        if next < names.count, names[next].key == source { return names[next].name }
        let name = "\"" + JSONTextEncoder.snakeCase(source) + "\":"
        if next == names.count {
            names.append((source, name))
            encoder.learn(names, of: Key.self)
        }
        return name
    }

    mutating func encodeNil(forKey key: Key) {
        encoder.startMember(name(of: key))
        encoder.output.append("null")
    }

    mutating func encode(_ value: Bool, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: String, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: Double, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: Int, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: Float, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) { member(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) { member(value, key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) {
        if let omittable = value as? any OmittableValue, omittable.isAbsent {
            _ = name(of: key)  // its place in the order is kept (and learned)
            return
        }
        member(value, key)
    }

    // Nil optionals are written as null: the schema lists them as present.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) { optional(value, key) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) { optional(value, key) }

    private mutating func member(_ value: some Encodable, _ key: Key) {
        encoder.startMember(name(of: key))
        JSONTextEncoder.write(value, to: encoder.output)
    }

    private mutating func optional(_ value: (some Encodable)?, _ key: Key) {
        encoder.startMember(name(of: key))
        guard let value else {
            encoder.output.append("null")
            return
        }
        JSONTextEncoder.write(value, to: encoder.output)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        encoder.nestedObject(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        encoder.nestedObject(keyedBy: Key.self)
        return ArrayContainer(encoder: encoder)
    }

    mutating func superEncoder() -> any Encoder { encoder }
    mutating func superEncoder(forKey key: Key) -> any Encoder { encoder }
}

extension JSONTextEncoder {
    /// Records never nest containers by hand (nested values go through `write`, which
    /// closes them); one that did would get an object nobody closes — so it is refused.
    @discardableResult
    fileprivate func nestedObject<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        preconditionFailure("JSONTextEncoder: nested containers are not supported; encode a nested Encodable value instead")
    }
}

private struct ArrayContainer: UnkeyedEncodingContainer {
    let encoder: JSONTextEncoder
    var codingPath: [any CodingKey] { [] }
    var count: Int { encoder.members }

    mutating func encodeNil() {
        encoder.startElement()
        encoder.output.append("null")
    }

    mutating func encode<T: Encodable>(_ value: T) {
        encoder.startElement()
        JSONTextEncoder.write(value, to: encoder.output)
    }
    mutating func encode(_ value: Bool) { element(value) }
    mutating func encode(_ value: String) { element(value) }
    mutating func encode(_ value: Double) { element(value) }
    mutating func encode(_ value: Int) { element(value) }
    mutating func encode(_ value: Float) { element(value) }
    mutating func encode(_ value: Int8) { element(value) }
    mutating func encode(_ value: Int16) { element(value) }
    mutating func encode(_ value: Int32) { element(value) }
    mutating func encode(_ value: Int64) { element(value) }
    mutating func encode(_ value: UInt) { element(value) }
    mutating func encode(_ value: UInt8) { element(value) }
    mutating func encode(_ value: UInt16) { element(value) }
    mutating func encode(_ value: UInt32) { element(value) }
    mutating func encode(_ value: UInt64) { element(value) }

    private func element(_ value: some Encodable) {
        encoder.startElement()
        JSONTextEncoder.write(value, to: encoder.output)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        encoder.nestedObject(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        encoder.nestedObject(keyedBy: ArrayIndex.self)
        return self
    }

    mutating func superEncoder() -> any Encoder { encoder }
}

private struct ValueContainer: SingleValueEncodingContainer {
    let encoder: JSONTextEncoder
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() { encoder.output.append("null") }
    mutating func encode<T: Encodable>(_ value: T) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: Bool) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: String) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: Double) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: Int) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: Float) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: Int8) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: Int16) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: Int32) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: Int64) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: UInt) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: UInt8) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: UInt16) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: UInt32) { JSONTextEncoder.write(value, to: encoder.output) }
    mutating func encode(_ value: UInt64) { JSONTextEncoder.write(value, to: encoder.output) }
}

private struct ArrayIndex: CodingKey {
    var stringValue: String { "" }
    var intValue: Int? { nil }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}
