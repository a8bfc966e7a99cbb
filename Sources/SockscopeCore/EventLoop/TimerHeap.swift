/// The loop's timers, by deadline: a binary min-heap, so scheduling and firing cost
/// O(log n) however many timers a server holds (one per connection's deadline; swift-nio
/// keeps its scheduled tasks in a heap too). Timers with the same deadline fire in the
/// order they were scheduled. Cancelling forgets the timer's id; a cancelled entry is
/// dropped when it reaches the top.
struct TimerHeap {
    typealias Instant = ContinuousClock.Instant

    struct Entry {
        var deadline: Instant
        var id: Int
        var action: () throws(SockscopeError) -> Void

        func precedes(_ other: Entry) -> Bool {
            deadline < other.deadline || (deadline == other.deadline && id < other.id)
        }
    }

    private var entries: [Entry] = []
    /// The ids scheduled and neither fired nor cancelled.
    private var live: Set<Int> = []

    /// How many timers are scheduled (cancelled ones not counted).
    var count: Int { live.count }

    mutating func insert(_ entry: Entry) {
        live.insert(entry.id)
        entries.append(entry)
        siftUp(entries.count - 1)
    }

    /// Forgets a timer that has not fired; nothing when it has.
    mutating func cancel(_ id: Int) {
        live.remove(id)
        dropCancelledTop()
    }

    /// The earliest deadline still scheduled.
    var nextDeadline: Instant? { entries.first?.deadline }

    /// Takes the earliest timer if it is due at `now`.
    mutating func popDue(at now: Instant) -> Entry? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        removeTop()
        live.remove(first.id)
        dropCancelledTop()
        return first
    }

    mutating func removeAll() {
        entries.removeAll()
        live.removeAll()
    }

    private mutating func dropCancelledTop() {
        while let first = entries.first, !live.contains(first.id) { removeTop() }
    }

    private mutating func removeTop() {
        let last = entries.removeLast()
        guard !entries.isEmpty else { return }
        entries[0] = last
        siftDown(0)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < entries.count && entries[left].precedes(entries[first]) { first = left }
            if right < entries.count && entries[right].precedes(entries[first]) { first = right }
            guard first != parent else { return }
            entries.swapAt(parent, first)
            parent = first
        }
    }
}
