import Glibc
import Synchronization

/// The embedded walk-through: one TCP connection's whole life on loopback, in one
/// process — socket, bind, listen, connect, accept, send, recv, shutdown, close —
/// with the kernel's TCP state of every socket after each call, ending with the
/// client's socket in TIME-WAIT.
package struct ConnectionLifeDemo {
    /// The loopback address to use (127.0.0.1 or ::1).
    package var address: IPAddress
    /// The message the client sends; the server answers it upper-cased.
    package var message: String
    /// Capture the packets on `lo` and show them next to the calls (needs CAP_NET_RAW).
    package var capturePackets: Bool
    /// Also write the captured packets to this file (pcapng: each packet with the calls
    /// of the step that sent it and the states it caused).
    package var pcapOut: CaptureOutput?
    /// Speak TLS over the connection (an ephemeral certificate; the client does not
    /// verify it): the handshake's records show in the packets, the data is encrypted.
    package var tls: Bool

    package init(
        address: IPAddress = .v4(.loopback), message: String = "hello, sockets\n", capturePackets: Bool = false, pcapOut: CaptureOutput? = nil,
        tls: Bool = false
    ) {
        self.address = address
        self.message = message
        self.capturePackets = capturePackets
        self.pcapOut = pcapOut
        self.tls = tls
    }

    /// Runs the demo, handing each step to `observe` as it happens.
    /// Runs the demo, handing each step to `observe` as it happens. When packet capture
    /// was asked for but is not allowed, `captureFailure` says why and the demo runs without.
    package func run(captureFailure: ((SockscopeError) -> Void)? = nil, observe: @escaping (DemoStep) -> Void) throws(SockscopeError) {
        var run = DemoRun(observe: observe)
        run.capturePackets = capturePackets || pcapOut != nil
        run.pcapOut = pcapOut
        run.captureFailure = captureFailure
        run.tls = tls
        let played = Result { try run.play(address: address, message: message) }
        // The capture file is complete only now: a failure to write it is the demo's.
        _ = run.tap?.finish(grace: .zero)
        switch played {
        case .success:
            if let failure = run.tap?.writeFailure { throw failure }
        case .failure(let error as SockscopeError): throw error
        case .failure(let error as SocketCallError): throw SockscopeError(error)
        case .failure(let error): throw SockscopeError("demo failed: \(error)", status: .internalError)
        }
    }
}

/// Collects the lines a socket narrates, so each demo step can show its call.
final class CallLog: Sendable {
    let lines = Mutex<[String]>([])
    let packets = Mutex<[TCPConversationTracker.Event]>([])
    /// The calls of the step whose packets are being read (for their pcapng comments).
    let step = Mutex("")
    func take() -> [String] {
        lines.withLock { lines in
            defer { lines = [] }
            return lines
        }
    }
    func takePackets() -> [TCPConversationTracker.Event] {
        packets.withLock { packets in
            defer { packets = [] }
            return packets
        }
    }
}

struct DemoRun {
    let observe: (DemoStep) -> Void
    let log = CallLog()
    var number = 0
    var listenerAddress: SocketAddress?
    var clientAddress: SocketAddress?
    var capturePackets = false
    var pcapOut: CaptureOutput?
    var captureFailure: ((SockscopeError) -> Void)?
    var tap: ConnectionTap?
    var clientExists = false
    var serverConnectionExists = false
    var listenerExists = false
    var tls = false
    /// The TLS sessions of the client and of the server's connection (`--tls`).
    var clientSession: TLSSession?
    var serverSession: TLSSession?

    init(observe: @escaping (DemoStep) -> Void) { self.observe = observe }

    var tracer: SocketTracer {
        let log = self.log
        return SocketTracer { line in log.lines.withLock { $0.append(line) } }
    }

    mutating func play(address: IPAddress, message: String) throws {
        let listener = try openListener(address)
        let (client, server) = try handshake(listener)
        if tls { try tlsHandshake(client: client, server: server) }
        try exchange(message, client: client, server: server)
        try teardown(listener, client: client, server: server)
    }

    /// socket, SO_REUSEADDR, bind to port 0, listen.
    private mutating func openListener(_ address: IPAddress) throws -> Socket {
        let listener = try Socket(family: address.family, type: .stream, tracer: tracer)
        listenerExists = true
        try step(.server, "a socket is only a descriptor until it has an address; the kernel lists it as CLOSED")
        try listener.set(.reuseAddress(true))
        try step(.server, "SO_REUSEADDR lets a restarted server bind this port while old connections sit in TIME-WAIT")
        try listener.bind(to: SocketAddress(address, port: 0))
        listenerAddress = listener.localAddress
        startCapture()
        try step(.server, "port 0 asks the kernel for a free port: getsockname says \(listenerAddress.map { "\($0)" } ?? "?")")
        try listener.listen(backlog: 8)
        try step(
            .server, "the socket now accepts handshakes; up to 8 finished connections may wait for accept()",
            expect: (listener: .listen, client: nil, server: nil))
        return listener
    }

    /// The client connects (the kernel does the three-way handshake), the server accepts.
    private mutating func handshake(_ listener: Socket) throws -> (client: Socket, server: Socket) {
        guard let listenerAddress else { throw SockscopeError("getsockname failed on the listener", status: .internalError) }
        let client = try Socket(family: listenerAddress.family, type: .stream, tracer: tracer)
        clientExists = true
        try step(.client, "the client's socket; connect() will give it an ephemeral port")
        try client.connect(to: listenerAddress, timeout: .seconds(5))
        clientAddress = client.localAddress
        serverConnectionExists = true
        try step(
            .client,
            "SYN → SYN/ACK → ACK: the kernel finished the three-way handshake before the server called accept(); the client got port \(clientAddress?.port.map(String.init) ?? "?")",
            expect: (listener: .listen, client: .established, server: .established))

        _ = try EventLoop.wait(for: listener.descriptor, .readable, deadline: .now + .seconds(5))
        guard let (server, peer) = try listener.accept() else { throw SockscopeError("accept found no connection", status: .internalError) }
        try step(.server, "accept() takes the finished connection off the queue as a new socket; the listener keeps listening (peer \(peer))")
        return (client, server)
    }

    /// A request and its upper-cased reply, with what send and recv return.
    private mutating func exchange(_ message: String, client: Socket, server: Socket) throws {
        let request = Array(message.utf8)
        try sendAll(request, on: client, session: clientSession)
        try step(
            .client,
            tls
                ? "SSL_write() encrypts the bytes into a TLS record and hands it to the kernel's send buffer; TCP carries the record like any bytes"
                : "send() copies bytes into the kernel's send buffer and returns; TCP delivers them when it can")

        let received = try receiveSome(server, session: serverSession)
        try step(.server, "recv() returns what has arrived so far — TCP is a byte stream, so one send may arrive as several recvs, or several as one")

        var reply = received
        ByteTransform.asciiUppercase.apply(to: &reply)
        try sendAll(reply, on: server, session: serverSession)
        try step(.server, "the classic first server: answer with the message upper-cased")

        _ = try receiveSome(client, session: clientSession)
        try step(.client, "the reply arrives on the client")
    }

    /// Half-close, end of stream, close on both sides, and the TIME-WAIT left behind.
    private mutating func teardown(_ listener: Socket, client: Socket, server: Socket) throws {
        try finishSending(client, session: clientSession)
        try step(
            .client,
            (tls ? "SSL_shutdown() sends close_notify (TLS's own end of data, so a cut cannot pass for an end), then " : "")
                + "shutdown(SHUT_WR) sends FIN: \"I have no more to send\"; the client can still receive (a half-close)",
            expect: (listener: .listen, client: .finWait2, server: .closeWait))

        let end = try receiveSome(server, session: serverSession)
        if !tls { record("recv(fd \(server.fd), 1024) → \(end.count) (end of stream)") }
        try step(.server, "recv() returning 0 bytes is how a program learns the peer closed its sending side")

        if let serverSession { try finishSending(server, session: serverSession) }
        server.close()
        try step(
            .server, "the server closes too: its FIN is acknowledged at once, and the socket is gone (LAST-ACK → CLOSED)",
            expect: (listener: .listen, client: .timeWait, server: nil))

        let finalRead = try receiveSome(client, session: clientSession)
        if !tls { record("recv(fd \(client.fd), 1024) → \(finalRead.count) (end of stream)") }
        try step(.client, "the client reads the server's FIN as end of stream")

        client.close()
        try step(
            .client,
            "the descriptor is closed, but the kernel keeps the connection in TIME-WAIT: the side that closed first waits 2×MSL (60 s on Linux) so late packets of this connection cannot be mistaken for a new one",
            expect: (listener: .listen, client: .timeWait, server: nil))

        listener.close()
        if tap != nil { try pause(.milliseconds(50)) }  // the last ACK
        try step(
            .server,
            "closing the listener does not end TIME-WAIT; SO_REUSEADDR is what lets a new server bind port \(listenerAddress?.port.map(String.init) ?? "?") now",
            expect: (listener: nil, client: .timeWait, server: nil))
    }

    /// Starts capturing the demo's port on lo, so the handshake's packets are seen.
    private mutating func startCapture() {
        guard capturePackets, let port = listenerAddress?.port else { return }
        let log = self.log
        do {
            // With TLS the whole packets: the timeline shows the records they carry.
            let options = PacketCapture.Options(interface: "lo", filter: "tcp port \(port)", snapLength: tls ? 65_535 : 128, pcapOut: pcapOut)
            // Not started: each step reads its packets itself, after its calls.
            self.tap = try ConnectionTap(options) { event in
                if case .tcp(let packet) = event { log.packets.withLock { $0.append(packet) } }
                let call = log.step.withLock { $0 }
                return [call.isEmpty ? nil : "call " + call, event.annotation].compactMap { $0 }.joined(separator: "; ")
            }
        } catch {
            captureFailure?(error)
        }
    }

    func receiveSome(_ socket: Socket) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while ContinuousClock.now < deadline {
            _ = try EventLoop.wait(for: socket.descriptor, .readable, deadline: .now + .milliseconds(100))
            if let count = try buffer.withUnsafeMutableBytes({ try socket.receive(into: $0) }) {
                return Array(buffer.prefix(count))
            }
        }
        throw SockscopeError("the demo's loopback connection stalled", status: .internalError)
    }

    func record(_ line: String) { log.lines.withLock { $0.append(line) } }

    func quoted(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        return "\"" + text.replacingNewlines() + "\""
    }

    /// Lets time pass for the kernel or the capture thread; a signal ends the demo.
    func pause(_ duration: Duration) throws(SockscopeError) {
        do { try EventLoop.sleep(for: duration) } catch { throw SockscopeError(error) }
    }

    /// Emits a step with the kernel's states, waiting briefly (bounded) for the
    /// states a loopback exchange is known to reach, since the packets are
    /// processed asynchronously to the call that sent them.
    mutating func step(
        _ side: DemoStep.Side, _ explanation: String,
        expect: (listener: TCPState?, client: TCPState?, server: TCPState?)? = nil
    ) throws(SockscopeError) {
        number += 1
        var table = KernelTCPTable.snapshot()
        if let expect {
            for _ in 0..<50 {
                let seen = states(in: table)
                if seen.listener?.state == expect.listener && seen.client?.state == expect.client && seen.server?.state == expect.server { break }
                try pause(.milliseconds(10))
                table = KernelTCPTable.snapshot()
            }
        }
        let seen = states(in: table)
        func label(_ socket: KernelTCPSocket?, exists: Bool) -> String? {
            if let socket { return socket.state.name }
            return exists ? TCPState.closed.name : nil
        }
        let call = log.take().joined(separator: "; ")
        if let tap {
            // Give the kernel a moment to hand over this step's packets, then read them.
            try pause(.milliseconds(30))
            log.step.withLock { $0 = call }
            tap.drainNow()
        }
        observe(
            DemoStep(
                number: number, side: side, call: call, explanation: explanation,
                listenerState: label(seen.listener, exists: listenerExists),
                clientState: label(seen.client, exists: clientExists),
                serverState: label(seen.server, exists: serverConnectionExists),
                timeWaitLeft: seen.client?.state == .timeWait ? seen.client?.timeWaitLeft : nil,
                packets: log.takePackets()))
    }

    private func states(in table: [KernelTCPSocket]) -> (listener: KernelTCPSocket?, client: KernelTCPSocket?, server: KernelTCPSocket?) {
        guard let listenerAddress else { return (nil, nil, nil) }
        let listener = table.first { $0.local == listenerAddress && $0.state == .listen }
        guard let clientAddress else { return (listener, nil, nil) }
        let client = table.first { $0.local == clientAddress && $0.remote == listenerAddress }
        let server = table.first { $0.local == listenerAddress && $0.remote == clientAddress }
        return (listener, client, server)
    }
}

extension String {
    /// Shows line breaks and tabs as escapes, for one-line display of received text.
    func replacingNewlines() -> String {
        var result = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
