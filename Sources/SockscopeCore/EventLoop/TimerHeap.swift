/// The loop's timers, by deadline: a binary min-heap, so scheduling and firing cost
/// O(log n) however many timers a server holds (one per connection's deadline; swift-nio
/// keeps its scheduled tasks in a heap too). Timers with the same deadline fire in the
/// order they were scheduled. Cancelling forgets the timer's id; a cancelled entry is
/// dropped when it reaches the top, or all at once when cancelled entries outnumber the
/// live ones (a server that arms a 10 s set-up timer per connection and cancels it at
/// once would otherwise carry 10 s worth of them).
package struct TimerHeap {
    package typealias Instant = ContinuousClock.Instant

    package struct Entry {
        package var deadline: Instant
        package var id: Int
        package var action: () throws(SockscopeError) -> Void

        package init(deadline: Instant, id: Int, action: @escaping () throws(SockscopeError) -> Void) {
            self.deadline = deadline
            self.id = id
            self.action = action
        }

        func precedes(_ other: Entry) -> Bool {
            deadline < other.deadline || (deadline == other.deadline && id < other.id)
        }
    }

    private var entries: [Entry] = []
    /// The ids scheduled and neither fired nor cancelled.
    private var live: Set<Int> = []

    package init() {}

    /// How many timers are scheduled (cancelled ones not counted).
    package var count: Int { live.count }

    /// Entries held, cancelled ones included (at most twice `count` past 64).
    package var storedCount: Int { entries.count }

    package mutating func insert(_ entry: Entry) {
        live.insert(entry.id)
        entries.append(entry)
        siftUp(entries.count - 1)
    }

    /// Forgets a timer that has not fired; nothing when it has.
    package mutating func cancel(_ id: Int) {
        guard live.remove(id) != nil else { return }
        dropCancelledTop()
        if entries.count > 64 && entries.count > 2 * live.count { compact() }
    }

    /// Drops every cancelled entry and restores the heap order (Floyd's O(n) build).
    private mutating func compact() {
        entries.removeAll { !live.contains($0.id) }
        for index in stride(from: entries.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    /// The earliest deadline still scheduled.
    package var nextDeadline: Instant? { entries.first?.deadline }

    /// Takes the earliest timer if it is due at `now`.
    package mutating func popDue(at now: Instant) -> Entry? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        removeTop()
        live.remove(first.id)
        dropCancelledTop()
        return first
    }

    package mutating func removeAll() {
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
