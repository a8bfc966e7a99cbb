import Glibc
import SockscopeCore
import Testing

/// Connection stages: the TLS handshake and the proxy client handshake, each stepped
/// by the loop's driver or run to the end on its own — the same code either way.
@Suite("Connection stages", .serialized)
struct ConnectionStageTests {
    /// A connected pair over loopback TCP: (client, server).
    static func pair() throws -> (client: Socket, server: Socket) {
        let listener = try BoundSocket(ListenRequest(address: .ipv4(.loopback, port: 0), type: .stream), tracer: .silent)
        let client = try Socket(family: .inet, type: .stream)
        try client.connect(to: listener.address, timeout: .seconds(5))
        _ = try EventLoop.wait(for: listener.socket.descriptor, .readable, deadline: .now + .seconds(5))
        let server = try #require(try listener.socket.accept()).socket
        return (client, server)
    }

    /// Waits for writability, then reconnects its socket (as the proxy client does at a
    /// 407) and waits for writability again — the same interest as before.
    final class ReconnectingStage: ConnectionStage {
        let address: SocketAddress
        var steps = 0
        init(to address: SocketAddress) { self.address = address }
        func step(on socket: Socket) throws(SockscopeError) -> StageProgress {
            steps += 1
            switch steps {
            case 1: return .waiting(.writable)
            case 2:
                do { _ = try socket.reconnect(to: address) } catch { throw SockscopeError(error) }
                return .waiting(.writable)
            default: return .done
            }
        }
        func timedOut(after waited: Duration) -> SockscopeError { SockscopeError("timed out after \(steps) steps", status: .timedOut) }
    }

    @Test("a stage that reconnects its socket and waits as before is stepped again: the driver registers the number's new file")
    func reconnectedSocketRenewed() throws {
        let (client, server) = try Self.pair()
        defer { withExtendedLifetime(server) {} }
        let listener = try BoundSocket(ListenRequest(address: .ipv4(.loopback, port: 0), type: .stream), tracer: .silent)
        let stage = ReconnectingStage(to: listener.address)
        let loop = try EventLoop()
        var result: SockscopeError??
        try loop.drive(stage, on: client, deadline: .now + .seconds(3)) { result = .some($0) }
        try loop.run(until: { result != nil })
        let failure: SockscopeError? = result ?? nil
        #expect(result != nil && failure == nil, "the reconnected socket's readiness never came: \(String(describing: failure?.message))")
        #expect(stage.steps == 3)
    }

    @Test("two TLS handshakes driven on one loop both end, and the client learns the version and the server's certificate")
    func tlsOnOneLoop() throws {
        let (client, server) = try Self.pair()
        let clientSide = try TLSSession(context: try TLSContext(TLSConfiguration(role: .client, verify: false)), socket: client, serverName: "localhost")
        let serverSide = try TLSSession(context: try TLSContext(TLSConfiguration(role: .server, verify: false)), socket: server)
        let loop = try EventLoop()
        var results: [SockscopeError?] = []
        for (session, socket) in [(clientSide, client), (serverSide, server)] {
            try loop.drive(session, on: socket, deadline: .now + .seconds(5)) { results.append($0) }
        }
        try loop.run(until: { results.count == 2 })
        #expect(results.count == 2 && results.allSatisfy { $0 == nil }, "\(results)")
        #expect(clientSide.handshake.version?.hasPrefix("TLSv1.") == true && !clientSide.handshake.chain.isEmpty)
    }

    @Test("a peer that never speaks TLS: the driver ends the stage at its deadline with the stage's own timeout (exit 75)")
    func tlsDeadline() throws {
        let (client, silentServer) = try Self.pair()
        defer { withExtendedLifetime(silentServer) {} }  // open and silent, never closed early
        let session = try TLSSession(context: try TLSContext(TLSConfiguration(role: .client, verify: false)), socket: client)
        let loop = try EventLoop()
        var result: SockscopeError??
        let started = ContinuousClock.now
        try loop.drive(session, on: client, deadline: .now + .milliseconds(200)) { result = .some($0) }
        try loop.run(until: { result != nil })
        let failure = try #require(result ?? nil)
        #expect(failure.status == .timedOut && failure.message.contains("timed out after"), "\(failure)")
        #expect(ContinuousClock.now - started >= .milliseconds(190))
        // Run on its own, the same stage says the same.
        let (other, otherServer) = try Self.pair()
        defer { withExtendedLifetime(otherServer) {} }
        let alone = try TLSSession(context: try TLSContext(TLSConfiguration(role: .client, verify: false)), socket: other)
        #expect(throws: SockscopeError.self) { try alone.performHandshake(deadline: .now + .milliseconds(100)) }
    }

    @Test("the proxy client handshake as a stage: SOCKS5 answered by hand opens the tunnel, the bytes after the reply are kept; silence times out")
    func proxyStage() throws {
        let (client, server) = try Self.pair()
        let proxy = ProxyURL(kind: .socks5, host: "127.0.0.1", port: 1080)
        let handshake = try ProxyClientHandshake(proxy: proxy, destination: .address(.v4(.loopback), port: 80))
        #expect(try handshake.step(on: client) == .waiting(.readable))  // the greeting is sent; the method is awaited
        var buffer = [UInt8](repeating: 0, count: 64)
        _ = try EventLoop.wait(for: server.descriptor, .readable, deadline: .now + .seconds(5))
        #expect(try buffer.withUnsafeMutableBytes { try server.receive(into: $0) } == 3)  // 05 01 00
        let answer: [UInt8] = [5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0, 80] + Array("hi".utf8)
        _ = try answer.withUnsafeBytes { try server.send($0) }
        let leftover = try handshake.perform(on: client, deadline: .now + .seconds(5), tracer: .silent)
        #expect(leftover == Array("hi".utf8))
        let (quiet, quietServer) = try Self.pair()
        defer { withExtendedLifetime(quietServer) {} }
        let silent = try ProxyClientHandshake(proxy: proxy, destination: .address(.v4(.loopback), port: 80))
        #expect {
            _ = try silent.perform(on: quiet, deadline: .now + .milliseconds(100), tracer: .silent)
        } throws: { ($0 as? SockscopeError)?.status == .timedOut }
    }

    @Test("the connect stage: a listener is connected, a closed port is ECONNREFUSED with the errno kept, both through the same driver")
    func connectStage() throws {
        let listener = try BoundSocket(ListenRequest(address: .ipv4(.loopback, port: 0), type: .stream), tracer: .silent)
        let closedPort: SocketAddress = try {
            let probe = try BoundSocket(ListenRequest(address: .ipv4(.loopback, port: 0), type: .stream), tracer: .silent)
            defer { probe.socket.close() }
            return probe.address
        }()
        let loop = try EventLoop()
        var outcomes: [SocketAddress: SockscopeError?] = [:]
        var stages: [ConnectStage] = []
        for destination in [listener.address, closedPort] {
            let socket = try Socket(family: .inet, type: .stream)
            let stage = ConnectStage(to: destination)
            stages.append(stage)
            try loop.drive(stage, on: socket, deadline: .now + .seconds(5)) { failure in
                outcomes[destination] = .some(failure)
                withExtendedLifetime(socket) {}
            }
        }
        try loop.run(until: { outcomes.count == 2 })
        let connected = try #require(outcomes[listener.address])
        #expect(connected == nil && stages[0].failure == nil)
        #expect(stages[1].failure?.errno == .connectionRefused, "\(String(describing: outcomes[closedPort]))")
    }

    @Test("a stage sequence (connect, then TLS) reports each stage as it ends, in order; a failure or the deadline names the stage that was running")
    func sequence() throws {
        let listener = try BoundSocket(ListenRequest(address: .ipv4(.loopback, port: 0), type: .stream), tracer: .silent)
        let clientContext = try TLSContext(TLSConfiguration(role: .client, verify: false))
        let loop = try EventLoop()
        // A listener that accepts (the kernel completes the handshake) but never speaks TLS:
        // connect ends, TLS is cut by the deadline.
        let socket = try Socket(family: .inet, type: .stream)
        let connect = ConnectStage(to: listener.address)
        let session = try TLSSession(context: clientContext, socket: socket)
        var ended: [String] = []
        let setup = StageSequence([connect, session]) { ended.append($0 is ConnectStage ? "connect" : "tls") }
        var result: SockscopeError??
        try loop.drive(setup, on: socket, deadline: .now + .milliseconds(300)) { result = .some($0) }
        try loop.run(until: { result != nil })
        let failure = try #require(result ?? nil)
        #expect(ended == ["connect"])
        #expect(setup.expired && setup.current === session && failure.status == .timedOut, "\(failure)")
        #expect(failure.message.contains("TLS handshake"), "the TLS stage's own words: \(failure)")
        // A closed port: the connect stage fails; nothing ended, the connect stage is current, not expired.
        let closedPort: SocketAddress = try {
            let probe = try BoundSocket(ListenRequest(address: .ipv4(.loopback, port: 0), type: .stream), tracer: .silent)
            defer { probe.socket.close() }
            return probe.address
        }()
        let refusedSocket = try Socket(family: .inet, type: .stream)
        let refusedConnect = ConnectStage(to: closedPort)
        var refusedEnded = 0
        let refused = StageSequence([refusedConnect, try TLSSession(context: clientContext, socket: refusedSocket)]) { _ in refusedEnded += 1 }
        var refusal: SockscopeError??
        try loop.drive(refused, on: refusedSocket, deadline: .now + .seconds(5)) { refusal = .some($0) }
        try loop.run(until: { refusal != nil })
        #expect((refusal ?? nil) != nil && refusedEnded == 0 && !refused.expired)
        #expect(refused.current === refusedConnect && refusedConnect.failure?.errno == .connectionRefused)
        withExtendedLifetime(listener) {}
    }
}
