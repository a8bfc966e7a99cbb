import Glibc
import SockscopeCore
import SystemPackage
import TestSupport
import Testing

/// The one event loop: handlers per descriptor, timers in deadline order, the
/// syscall helper, and the one CIDR type.
@Suite("Event loop and helpers")
struct EventLoopTests {
    /// A pipe whose ends are closed when the test ends.
    final class Pipe {
        let read: Int32
        let write: Int32
        init() throws {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { throw SockscopeError("pipe failed", status: .ioError) }
            read = ends[0]
            write = ends[1]
            _ = fcntl(read, F_SETFL, fcntl(read, F_GETFL) | O_NONBLOCK)
        }
        deinit {
            close(read)
            close(write)
        }
    }

    @Test("registration identities: readiness reported for a descriptor closed and reused in the same wait is not its new owner's")
    func staleReadinessDropped() throws {
        var tested = 0
        for _ in 0..<20 where tested == 0 {
            // Two readable pipes, both in one wait's events: whichever handler runs first
            // closes the other's read end and makes a new pipe, whose read end takes the
            // freed number; the other's event, still to be dispatched, names that number.
            func makePipe() -> [Int32] {
                var ends: [Int32] = [-1, -1]
                _ = pipe(&ends)
                _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
                return ends
            }
            var open = [makePipe(), makePipe()]
            let loop = try EventLoop()
            var handled = 0
            var reused = false
            var newOwnerCalled = false
            for index in 0..<2 {
                try loop.register(FileDescriptor(rawValue: open[index][0]), .readable) { _ throws(SockscopeError) in
                    handled += 1
                    guard handled == 1 else { return }
                    let other = open[1 - index][0]
                    loop.forget(FileDescriptor(rawValue: other))
                    close(other)
                    let made = makePipe()
                    open.append(made)
                    open[1 - index][0] = -1
                    guard made[0] == other else { return }
                    reused = true
                    try loop.register(FileDescriptor(rawValue: made[0]), .readable) { _ throws(SockscopeError) in newOwnerCalled = true }
                }
            }
            for ends in open { #expect(write(ends[1], "x", 1) == 1) }
            try loop.run(until: { handled >= 1 })
            if reused {
                tested += 1
                #expect(!newOwnerCalled, "the new pipe never had data: the old descriptor's event reached its new owner")
            }
            for ends in open { for fd in ends where fd >= 0 { close(fd) } }
        }
        #expect(tested > 0, "the freed descriptor number was never reused: nothing was tested")
    }

    @Test("a registered handler is called with its descriptor's readiness; run ends when done says so")
    func handlers() throws {
        let pipe = try Pipe()
        let loop = try EventLoop()
        var received: [UInt8] = []
        try loop.register(FileDescriptor(rawValue: pipe.read), .readable) { readiness throws(SockscopeError) in
            #expect(readiness.descriptor.rawValue == pipe.read && readiness.readable)
            var buffer = [UInt8](repeating: 0, count: 16)
            let count = buffer.withUnsafeMutableBytes { (try? SystemCall.read(pipe.read, into: $0)) ?? nil } ?? 0
            received += buffer.prefix(count)
        }
        #expect(write(pipe.write, "abc", 3) == 3)
        try loop.run { received.count >= 3 }
        #expect(received == Array("abc".utf8))
    }

    @Test("a number given a new file (dup3, as Socket.reconnect does) is watched again when its interest changes")
    func replacedFileWatchedAgain() throws {
        let pipe = try Pipe()
        let loop = try EventLoop()
        var writable = false
        let watched = FileDescriptor(rawValue: pipe.read)
        try loop.register(watched, .readable) { readiness throws(SockscopeError) in writable = writable || readiness.writable }
        var ends: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        defer { close(ends[1]) }
        #expect(dup2(ends[0], pipe.read) == pipe.read)  // the pipe's read end closes: epoll drops it
        close(ends[0])
        try loop.update(watched, .writable)  // EPOLL_CTL_MOD finds no entry (ENOENT): added anew
        var expired = false
        loop.schedule(at: .now + .seconds(5)) { expired = true }  // bounded: a lost registration ends the test
        try loop.run { writable || expired }
        #expect(writable, "the new file's readiness never came")
    }

    @Test("timers fire in deadline order, a cancelled one never; the wait ends at the earliest")
    func timers() throws {
        let loop = try EventLoop()
        var fired: [Int] = []
        let start = ContinuousClock.now
        loop.schedule(at: start + .milliseconds(30)) { fired.append(3) }
        loop.schedule(at: start + .milliseconds(10)) { fired.append(1) }
        let cancelled = loop.schedule(at: start + .milliseconds(20)) { fired.append(2) }
        loop.cancel(cancelled)
        try loop.run { fired.count >= 2 }
        #expect(fired == [1, 3])
        #expect(start.duration(to: .now) < .seconds(2))
    }

    @Test("2,000 timers, a third cancelled: the rest fire in (deadline, scheduling) order, each once (the heap against a sort)")
    func timerHeapOrder() throws {
        let loop = try EventLoop()
        var generator = SystemRandomNumberGenerator()
        let base = ContinuousClock.now - .seconds(10)
        var expected: [(deadline: ContinuousClock.Instant, id: Int)] = []
        var fired: [Int] = []
        var timers: [EventLoop.Timer] = []
        for id in 0..<2_000 {
            let deadline = base + .milliseconds(Int.random(in: 0..<500, using: &generator))
            timers.append(loop.schedule(at: deadline) { fired.append(id) })
            expected.append((deadline, id))
        }
        var cancelled = Set<Int>()
        for id in (0..<2_000).shuffled(using: &generator).prefix(667) {
            loop.cancel(timers[id])
            cancelled.insert(id)
        }
        loop.cancel(timers[0])  // cancelling twice changes nothing
        loop.cancel(timers[0])
        cancelled.insert(0)
        var late = false
        loop.schedule(at: .now + .seconds(10)) { late = true }
        try loop.run { fired.count == 2_000 - cancelled.count || late }
        let order = expected.filter { !cancelled.contains($0.id) }.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }.map(\.id)
        #expect(fired == order)
    }

    @Test("cancelled timers do not pile up: 10,000 armed and 9,990 cancelled (none at the top first), at most 64 entries stay, and the 10 left fire in order")
    func timerHeapCompacts() {
        var heap = TimerHeap()
        let base = ContinuousClock.now
        for id in 0..<10_000 { heap.insert(.init(deadline: base + .seconds(10_000 - id), id: id) {}) }
        let kept = Set((0..<10).map { $0 * 1_000 + 500 })
        for id in 0..<10_000 where !kept.contains(id) { heap.cancel(id) }
        #expect(heap.count == 10 && heap.storedCount <= 64, "\(heap.storedCount) entries for \(heap.count) timers")
        var fired: [Int] = []
        while let due = heap.popDue(at: base + .seconds(20_000)) { fired.append(due.id) }
        #expect(fired == kept.sorted(by: >))
    }

    @Test("execute from another thread wakes a loop that waits with nothing scheduled, and the work runs on the loop's thread")
    func remoteExecute() throws {
        let loop = try EventLoop()
        let remote = try loop.remote()
        let loopThread = pthread_self()
        var ranOnLoop = false
        let bound = LoopBound(Box())
        let started = ContinuousClock.now
        OwnThread.detach {
            usleep(50_000)
            remote.execute {
                bound.value.count += 1
            }
        }
        try loop.run { bound.value.count == 1 }
        ranOnLoop = pthread_equal(loopThread, pthread_self()) != 0
        #expect(ranOnLoop && bound.value.count == 1)
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test("a stop request from another thread ends a server loop at once (no tick asks for it)")
    func stopRequest() throws {
        let stop = EventLoop.StopRequest()
        let (loop, stopped) = try EventLoop.serving(stoppedBy: stop)
        OwnThread.detach {
            usleep(50_000)
            stop.stop()
        }
        let started = ContinuousClock.now
        try loop.run(until: stopped)
        #expect(stop.isRequested)
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test("a child's exit is a readiness (pidfd): the loop, waiting with no timer, gets its status as it exits; two children, each once")
    func childExit() throws {
        let loop = try EventLoop()
        let devNull = open("/dev/null", O_RDWR)
        defer { close(devNull) }
        var statuses: [pid_t: Int32] = [:]
        var pids: [pid_t] = []
        for code in [3, 0] {
            let pid = try ProcessSpawner.spawn(["/bin/sh", "-c", "sleep 0.1; exit \(code)"], streams: devNull, mergeStderr: true)
            pids.append(pid)
            #expect(try loop.watchExit(of: pid) { status in statuses[pid] = status }, "this kernel has pidfds: no fallback tick")
        }
        var late = false
        loop.schedule(at: .now + .seconds(10)) { late = true }
        try loop.run { statuses.count == 2 || late }
        #expect(statuses.count == 2)
        let codes = pids.map { pid in statuses[pid].map { ($0 >> 8) & 0xff } }
        #expect(codes == [3, 0])
    }

    final class Box {
        var count = 0
    }

    @Test("prepare runs before every wait and can end the loop")
    func prepare() throws {
        let loop = try EventLoop()
        var rounds = 0
        try loop.run {
            rounds >= 3
        } prepare: { () throws(SockscopeError) in
            rounds += 1
            loop.schedule(at: .now) {}
        }
        #expect(rounds == 3)
    }

    @Test("SystemCall: EAGAIN is nil, end of stream 0, a closed descriptor an Errno; writeAll writes everything")
    func systemCalls() throws {
        let pipe = try Pipe()
        var buffer = [UInt8](repeating: 0, count: 8)
        let empty = try buffer.withUnsafeMutableBytes { try SystemCall.read(pipe.read, into: $0) }
        #expect(empty == nil)
        let bytes = [UInt8](repeating: 7, count: 5000)
        try bytes.withUnsafeBytes { try SystemCall.writeAll(pipe.write, $0) }
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 1024)
        while let count = try chunk.withUnsafeMutableBytes({ try SystemCall.read(pipe.read, into: $0) }), count > 0 { total += count }
        #expect(total == 5000)
        #expect(throws: Errno.self) { try buffer.withUnsafeMutableBytes { _ = try SystemCall.read(-1, into: $0) } }
    }

    @Test("IPNetwork: parsing, containment, and expansion into hosts")
    func networks() throws {
        let block = try IPNetwork(parsing: "10.1.2.3/24")
        #expect(block.contains(try #require(IPAddress("10.1.2.200"))))
        #expect(!block.contains(try #require(IPAddress("10.1.3.1"))))
        #expect(try IPNetwork(parsing: "::1").prefixLength == 128)
        #expect(try IPNetwork(parsing: "fd00::10/126").hosts().map(\.description) == ["fd00::10", "fd00::11", "fd00::12", "fd00::13"])
        #expect(try IPNetwork(parsing: "0.0.0.0/0").contains(try #require(IPAddress("8.8.8.8"))))
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "nonsense/8", "1.2.3.4/8/9"] {
            #expect(throws: SockscopeError.self) { try IPNetwork(parsing: bad) }
        }
        #expect(throws: SockscopeError.self) { try IPNetwork(parsing: "127.0.0.1", singleAddress: false) }
        #expect(throws: SockscopeError.self) { try IPNetwork(parsing: "10.0.0.0/8").hosts() }
        let mapped = try AccessControl.Block(parsing: "::ffff:127.0.0.0/104")
        #expect(mapped.kind == .network(try IPNetwork(parsing: "127.0.0.0/8")))
        #expect(mapped.contains(try #require(IPAddress("127.0.0.2"))))
        #expect(mapped.contains(try #require(IPAddress("::ffff:127.0.0.9"))))
    }
}
