/// Makes a value of any `Decodable` type with every field given: strings "x", numbers
/// 1 and 1.5, true, arrays of one element — and, when `filled` is false, every
/// optional nil and every array empty. For holding types to a schema without
/// writing an example of each.
struct SampleDecoder: Decoder {
    let filled: Bool
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed<Key>(filled: filled))
    }

    func unkeyedContainer() -> any UnkeyedDecodingContainer { Unkeyed(filled: filled) }
    func singleValueContainer() -> any SingleValueDecodingContainer { Single(filled: filled) }

    static func sample<T: Decodable>(_ type: T.Type, filled: Bool) throws -> T {
        switch type {
        case is String.Type: return "x" as! T
        case is Bool.Type: return true as! T
        case is Double.Type: return 1.5 as! T
        case is Float.Type: return Float(1.5) as! T
        case is Int.Type: return 1 as! T
        case is Int32.Type: return Int32(1) as! T
        case is Int64.Type: return Int64(1) as! T
        case is UInt16.Type: return UInt16(1) as! T
        case is UInt32.Type: return UInt32(1) as! T
        case is UInt64.Type: return UInt64(1) as! T
        default: return try T(from: SampleDecoder(filled: filled))
        }
    }

    private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let filled: Bool
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }
        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) -> Bool { !filled }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try SampleDecoder.sample(type, filled: filled) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedDecodingContainer<NestedKey> {
            KeyedDecodingContainer(Keyed<NestedKey>(filled: filled))
        }
        func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedDecodingContainer { Unkeyed(filled: filled) }
        func superDecoder() -> any Decoder { SampleDecoder(filled: filled) }
        func superDecoder(forKey key: Key) -> any Decoder { SampleDecoder(filled: filled) }
    }

    private struct Unkeyed: UnkeyedDecodingContainer {
        let filled: Bool
        var codingPath: [any CodingKey] { [] }
        var count: Int? { filled ? 1 : 0 }
        var isAtEnd: Bool { currentIndex >= (count ?? 0) }
        var currentIndex = 0

        init(filled: Bool) { self.filled = filled }

        mutating func decodeNil() -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            currentIndex += 1
            return try SampleDecoder.sample(type, filled: filled)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedDecodingContainer<NestedKey> {
            currentIndex += 1
            return KeyedDecodingContainer(Keyed<NestedKey>(filled: filled))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedDecodingContainer {
            currentIndex += 1
            return Unkeyed(filled: filled)
        }
        mutating func superDecoder() -> any Decoder { SampleDecoder(filled: filled) }
    }

    private struct Single: SingleValueDecodingContainer {
        let filled: Bool
        var codingPath: [any CodingKey] { [] }
        func decodeNil() -> Bool { !filled }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try SampleDecoder.sample(type, filled: filled) }
    }
}
