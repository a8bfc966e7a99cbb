import Glibc
import SockscopeCore
import Synchronization
import TestSupport
import Testing

/// The forwarder on loopback: a client, the forwarder on a thread of its own, a target.
@Suite("Forward server", .serialized)
struct ForwardServerTests {
    /// The forwarder's state, handed between the test and the forwarder's thread.
    final class Running: @unchecked Sendable {
        let server: ForwardServer
        let stop = EventLoop.StopRequest()
        let events = Mutex<[ForwardEvent]>([])
        let ended = Atomic<Bool>(false)
        init(_ server: ForwardServer) { self.server = server }
    }

    /// A target listener, and a forwarder to it running until the test stops it.
    static func start() throws -> (target: BoundSocket, running: Running) {
        let target = try BoundSocket(ListenRequest(address: .ipv4(.loopback, port: 0), type: .stream), tracer: .silent)
        var running: Running?
        let server = try ForwardServer(
            ListenRequest(address: .ipv4(.loopback, port: 0), type: .stream), route: .fixed(target.address), policy: Listener.Policy(), tracer: .silent,
            events: { _ in }, forwardEvents: { event in running?.events.withLock { $0.append(event) } })
        let made = Running(server)
        running = made
        OwnThread.detach {
            try? made.server.run(stoppedBy: made.stop)
            made.ended.store(true, ordering: .relaxed)
        }
        return (target, made)
    }

    static func accept(_ listener: BoundSocket) throws -> Socket {
        _ = try EventLoop.wait(for: listener.socket.descriptor, .readable, deadline: .now + .seconds(5))
        return try #require(try listener.socket.accept()).socket
    }

    /// Reads until `count` bytes or the end of the stream (within 5 s).
    static func read(_ socket: Socket, count: Int) throws -> (bytes: [UInt8], ended: Bool) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(5)
        while bytes.count < count && ContinuousClock.now < deadline {
            _ = try EventLoop.wait(for: socket.descriptor, .readable, deadline: .now + .milliseconds(100))
            guard let got = try buffer.withUnsafeMutableBytes({ try socket.receive(into: $0) }) else { continue }
            if got == 0 { return (bytes, true) }
            bytes += buffer.prefix(got)
        }
        return (bytes, false)
    }

    @Test("bytes both ways; the client's FIN reaches the target as end of stream while the target still answers; then the target's FIN")
    func halfClose() throws {
        let (target, running) = try Self.start()
        defer { running.stop.stop() }
        let client = try Socket(family: .inet, type: .stream)
        try client.connect(to: running.server.address, timeout: .seconds(5))
        let upstream = try Self.accept(target)
        try Array("hello".utf8).withUnsafeBytes { try client.sendAll($0) }
        #expect(try Self.read(upstream, count: 5).bytes == Array("hello".utf8))
        client.shutdownWrite()
        #expect(try Self.read(upstream, count: 1).ended, "the client's FIN passed on")
        try Array("after your FIN".utf8).withUnsafeBytes { try upstream.sendAll($0) }
        #expect(try Self.read(client, count: 14).bytes == Array("after your FIN".utf8), "a half-closed connection still carries the other way")
        upstream.shutdownWrite()
        #expect(try Self.read(client, count: 1).ended)
        let deadline = ContinuousClock.now + .seconds(5)
        var finished: ForwardEvent?
        while finished == nil && ContinuousClock.now < deadline {
            finished = running.events.withLock { $0.first { if case .finished = $0 { true } else { false } } }
            try EventLoop.sleep(for: .milliseconds(10))
        }
        guard case .finished(_, _, let toTarget, let toClient, let first, let reset, _) = finished else {
            Issue.record("no finished event: \(running.events.withLock { $0 })")
            return
        }
        #expect(toTarget == 5 && toClient == 14 && first == .client && reset == nil)
    }

    @Test("a reset from the target is passed on to the client as a reset")
    func resetPassedOn() throws {
        let (target, running) = try Self.start()
        defer { running.stop.stop() }
        let client = try Socket(family: .inet, type: .stream)
        try client.connect(to: running.server.address, timeout: .seconds(5))
        let upstream = try Self.accept(target)
        try Array("x".utf8).withUnsafeBytes { try client.sendAll($0) }
        _ = try Self.read(upstream, count: 1)
        try upstream.set(.linger(seconds: 0))
        upstream.close()  // RST
        var failure: SocketCallError?
        do { _ = try Self.read(client, count: 1) } catch { failure = error as? SocketCallError }
        #expect(failure?.errno == .connectionReset, "the client saw ECONNRESET, not a quiet end")
    }

    @Test("a target that refuses: the client is reset and the failure reported")
    func targetRefuses() throws {
        let (target, running) = try Self.start()
        defer { running.stop.stop() }
        target.socket.close()  // nothing listens there any more
        let client = try Socket(family: .inet, type: .stream)
        var failure: SocketCallError?
        do {
            // The reset can come before connect() has reported success (a loaded machine
            // runs the server first): then connect() itself says ECONNRESET.
            try client.connect(to: running.server.address, timeout: .seconds(5))
            _ = try Self.read(client, count: 1)
        } catch {
            failure = error as? SocketCallError
        }
        #expect(failure?.errno == .connectionReset)
        // The server's thread reports the failure after resetting the client: give it 2 s.
        let deadline = ContinuousClock.now + .seconds(2)
        func reported() -> Bool { running.events.withLock { $0.contains { if case .targetFailed = $0 { true } else { false } } } }
        while !reported() && ContinuousClock.now < deadline { usleep(5_000) }
        #expect(reported())
    }
}
