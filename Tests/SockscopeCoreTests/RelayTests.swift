import Glibc
import SockscopeCore
import Testing

/// The relay and event loop on real kernel objects: a TCP connection on loopback and pipes.
@Suite("Stream relay")
struct RelayTests {
    /// Every relay in these tests ends within seconds, whatever breaks.
    static let bounded = StreamRelay.Options(idleTimeout: .seconds(5))

    /// A loopback TCP connection: the listener, the client's socket and the server's
    /// accepted socket (which closes — sending FIN — as soon as the caller drops it).
    static func connectedPair() throws -> (BoundSocket, Socket, Socket) {
        let listener = try BoundSocket(ListenRequest(address: .ipv4(.loopback, port: 0), type: .stream), tracer: .silent)
        let client = try Socket(family: .inet, type: .stream)
        try client.connect(to: listener.address, timeout: .seconds(2))
        _ = try EventLoop.wait(for: listener.socket.descriptor, .readable, deadline: .now + .seconds(2))
        let (server, _) = try #require(try listener.socket.accept())
        return (listener, client, server)
    }

    @Test("echo relay returns every byte, upper-cased, then half-closes")
    func echoUppercase() throws {
        let (_, client, server) = try Self.connectedPair()

        let message = Array("mixed Case 123 \u{00}\u{ff}".utf8)
        try message.withUnsafeBytes { try client.sendAll($0) }
        client.shutdownWrite()

        let report = try StreamRelay(socket: server, mode: .echo(.asciiUppercase), options: Self.bounded).run()
        #expect(report.bytesReceived == message.count)
        #expect(report.ending == .peerClosed)

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        var sawEndOfStream = false
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while !sawEndOfStream && ContinuousClock.now < deadline {
            _ = try EventLoop.wait(for: client.descriptor, .readable, deadline: .now + .milliseconds(100))
            guard let count = try buffer.withUnsafeMutableBytes({ try client.receive(into: $0) }) else { continue }
            if count == 0 { sawEndOfStream = true }
            received += buffer.prefix(count)
        }
        #expect(sawEndOfStream, "the echo relay did not send FIN after the client's")
        let expected = message.map { $0 >= 0x61 && $0 <= 0x7a ? $0 - 0x20 : $0 }
        #expect(received == expected)
    }

    @Test("stdin-style relay: pipe → socket with FIN at end, socket → pipe")
    func pipesToSocket() throws {
        let (_, client, server) = try Self.connectedPair()

        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        #expect(pipe(&input) == 0)
        #expect(pipe(&output) == 0)
        let payload = Array("request".utf8)
        #expect(write(input[1], payload, payload.count) == payload.count)
        close(input[1])
        // The server side answers before the relay starts; the relay must deliver it.
        try Array("reply".utf8).withUnsafeBytes { try server.sendAll($0) }
        server.shutdownWrite()

        let report = try StreamRelay(socket: client, mode: .standardStreams(input: input[0], output: output[1]), options: Self.bounded).run()
        close(output[1])
        #expect(report.bytesSent == payload.count)
        #expect(report.bytesReceived == 5)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(output[0], &buffer, 64)
        #expect(Array(buffer.prefix(max(0, count))) == Array("reply".utf8))

        var serverGot = [UInt8](repeating: 0, count: 64)
        _ = try EventLoop.wait(for: server.descriptor, .readable, deadline: .now + .seconds(2))
        let got = try serverGot.withUnsafeMutableBytes { try server.receive(into: $0) } ?? 0
        #expect(Array(serverGot.prefix(got)) == payload)
        close(input[0])
        close(output[0])
    }

    @Test("idle timeout ends a quiet relay")
    func idleTimeout() throws {
        let (_, client, server) = try Self.connectedPair()
        let started = ContinuousClock.now
        // The server's socket stays open and silent for the whole relay.
        let report = try withExtendedLifetime(server) {
            try StreamRelay(socket: client, mode: .echo(.none), options: .init(idleTimeout: .milliseconds(200))).run()
        }
        #expect(report.ending == .idleTimeout)
        #expect(started.duration(to: .now) >= .milliseconds(190))
    }
}
