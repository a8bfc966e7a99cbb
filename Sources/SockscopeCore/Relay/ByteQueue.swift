import Glibc

/// Bytes waiting to be sent or parsed — the one queue every relay, server and protocol
/// parser keeps: appended at the back, taken from the front without moving what is
/// left (a head index; the storage is compacted once the taken part is both over
/// 64 KiB and over half of it, and reset when the queue empties). Indexed from its
/// front, so `queue[4]` is the fifth byte waiting, whatever was taken before.
package struct ByteQueue: RandomAccessCollection, ExpressibleByArrayLiteral, Sendable, Equatable {
    private var storage: [UInt8] = []
    private var head = 0

    package init() {}

    package init(_ bytes: some Sequence<UInt8>) {
        storage = Array(bytes)
    }

    package init(arrayLiteral bytes: UInt8...) {
        storage = bytes
    }

    package var startIndex: Int { 0 }
    package var endIndex: Int { storage.count - head }
    package subscript(position: Int) -> UInt8 { storage[head + position] }

    package static func == (left: ByteQueue, right: ByteQueue) -> Bool { left.elementsEqual(right) }

    /// Adds bytes at the back.
    package mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        storage.append(contentsOf: bytes)
    }

    package mutating func append(_ byte: UInt8) {
        storage.append(byte)
    }

    package static func += (queue: inout ByteQueue, bytes: some Sequence<UInt8>) {
        queue.append(contentsOf: bytes)
    }

    /// Takes `count` bytes (at most all of them) off the front.
    package mutating func removeFirst(_ count: Int) {
        head += Swift.min(Swift.max(count, 0), self.count)
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1 << 16, head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    /// The waiting bytes at `offsets` (from the front), sharing the storage: an
    /// ArraySlice, so copying it out is one memcpy rather than a walk through the queue.
    package func bytes(_ offsets: Range<Int>) -> ArraySlice<UInt8> {
        storage[(head + offsets.lowerBound)..<(head + offsets.upperBound)]
    }

    /// All the waiting bytes (see `bytes(_:)`).
    package var waiting: ArraySlice<UInt8> { storage[head...] }

    /// Takes the first `count` bytes off the front and returns them.
    package mutating func take(_ count: Int) -> [UInt8] {
        let taken = Array(bytes(0..<Swift.min(Swift.max(count, 0), self.count)))
        removeFirst(taken.count)
        return taken
    }

    package mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
    }

    /// The waiting bytes as one contiguous buffer.
    package func withUnsafeBytes<Result, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Result) throws(Failure) -> Result {
        let result: Swift.Result<Result, Failure> = storage.withUnsafeBytes { raw in
            do throws(Failure) { return .success(try body(UnsafeRawBufferPointer(rebasing: raw[head...]))) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Where `pattern` first occurs among the waiting bytes (memchr(3) for its first
    /// byte, memcmp(3) for the rest): a protocol parser looks for its end of head after
    /// every read, so this must not walk byte by byte through generic code.
    package func firstRange(of pattern: [UInt8]) -> Range<Int>? {
        guard let first = pattern.first, pattern.count <= count else { return nil }
        return withUnsafeBytes { haystack in
            pattern.withUnsafeBytes { needle -> Range<Int>? in
                guard let base = haystack.baseAddress, let wanted = needle.baseAddress else { return nil }
                var offset = 0
                while offset + pattern.count <= haystack.count {
                    guard let hit = memchr(base + offset, Int32(first), haystack.count - offset - pattern.count + 1) else { return nil }
                    let start = UnsafeRawPointer(hit) - base
                    if memcmp(hit, wanted, pattern.count) == 0 { return start..<(start + pattern.count) }
                    offset = start + 1
                }
                return nil
            }
        }
    }

    /// The first waiting `byte` (memchr(3)).
    package func firstIndex(of byte: UInt8) -> Int? { firstIndex(of: byte, from: 0) }

    /// The first `byte` at or after offset `start` (memchr(3)): parsers scanning for
    /// line ends call this, never a generic walk through the collection.
    package func firstIndex(of byte: UInt8, from start: Int) -> Int? {
        guard start < count else { return nil }
        return withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let found = memchr(base + start, Int32(byte), raw.count - start) else { return nil }
            return UnsafeRawPointer(found) - base
        }
    }

    /// The last waiting `byte`, found from the back.
    package func lastIndex(of byte: UInt8) -> Int? {
        withUnsafeBytes { raw in raw.lastIndex(of: byte) }
    }

    /// Hands the waiting bytes to `write` (send(), SSL_write) until they are all gone or
    /// it would block (nil), taking off what each call took: the one path by which a
    /// queue is written out. Returns true when the queue is empty.
    package mutating func drain<Failure: Error>(_ write: (UnsafeRawBufferPointer) throws(Failure) -> Int?) throws(Failure) -> Bool {
        while !isEmpty {
            guard let written = try withUnsafeBytes(write), written > 0 else { return false }
            removeFirst(written)
        }
        return true
    }
}
