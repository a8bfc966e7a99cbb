import SockscopeCore
import Testing

/// The one byte queue: indexed from its front whatever was taken, compacted without
/// losing a byte, written out by one drain that stops where the writer would block.
@Suite("Byte queue")
struct ByteQueueTests {
    @Test("indices count from the front after bytes are taken; take and removeFirst clamp to what is there")
    func frontIndexing() {
        var queue: ByteQueue = [1, 2, 3]
        queue += [4, 5]
        queue.removeFirst(2)
        #expect(queue[0] == 3 && queue.count == 3 && Array(queue) == [3, 4, 5])
        #expect(queue.firstIndex(of: 5) == 2 && queue[1...].firstIndex(of: 4) == 1)
        #expect(queue.take(2) == [3, 4] && Array(queue) == [5])
        queue.removeFirst(10)
        #expect(queue.isEmpty && queue.take(3) == [])
        var head = ByteQueue(Array("xx\r\nab\r\n\r\nc".utf8))
        head.removeFirst(2)
        #expect(head.firstRange(of: Array("\r\n\r\n".utf8)) == 4..<8 && head.firstRange(of: Array("\r\n\r\n\r".utf8)) == nil)
        #expect(head.firstIndex(of: UInt8(ascii: "c")) == 8 && head.firstRange(of: Array("c".utf8)) == 8..<9)
        #expect(head.firstIndex(of: 0x0a, from: 2) == 5 && head.firstIndex(of: 0x0a, from: 8) == nil && head.lastIndex(of: 0x0a) == 7)
        #expect(Array(head.bytes(2..<4)) == Array("ab".utf8) && Array(head.waiting) == Array("\r\nab\r\n\r\nc".utf8))
    }

    @Test("1,000 random appends and takes keep the bytes in order through compactions (against an array)")
    func randomAgainstArray() {
        var generator = SystemRandomNumberGenerator()
        var queue = ByteQueue()
        var model: [UInt8] = []
        var next: UInt8 = 0
        for _ in 0..<1_000 {
            let add = Int.random(in: 0..<40_000, using: &generator)
            let bytes = (0..<add).map { _ in
                next &+= 1
                return next
            }
            queue += bytes
            model += bytes
            let taken = Int.random(in: 0...(model.count), using: &generator)
            queue.removeFirst(taken)
            model.removeFirst(taken)
            guard queue.count == model.count, queue.first == model.first, queue.last == model.last else {
                Issue.record("diverged at \(model.count) bytes")
                return
            }
        }
        #expect(Array(queue) == model)
    }

    @Test("drain writes until the writer would block, keeps the rest, and finishes later")
    func drain() throws {
        var queue = ByteQueue(Array(0..<100))
        var written: [UInt8] = []
        var budget = 30
        let writer = { (raw: UnsafeRawBufferPointer) -> Int? in
            guard budget > 0 else { return nil }
            let count = min(raw.count, min(budget, 7))
            written += raw.prefix(count)
            budget -= count
            return count
        }
        #expect(try queue.drain(writer) == false && written.count == 30 && queue.count == 70 && queue[0] == 30)
        budget = 1_000
        #expect(try queue.drain(writer) == true && written == Array(0..<100) && queue.isEmpty)
    }
}
