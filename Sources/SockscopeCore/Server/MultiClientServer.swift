import Glibc
import SystemPackage

/// A TCP or Unix stream server that serves many clients at once on one event loop
/// (no thread per client, TLS clients included: each is a `RelayEndpoint`, its session
/// stepped on this loop): `listen --keep-open`, `--broker`, `--chat`.
///
/// Each client has a bounded output queue; a client that stops reading until its
/// queue passes `maximumQueuedBytes` is disconnected (with the reason logged) rather
/// than buffered without limit.
package final class MultiClientServer {
    package enum Mode: Sendable {
        /// stdin goes to every client; what clients send goes to stdout.
        case standardStreams
        /// Each client gets back what it sends, transformed.
        case echo(ByteTransform)
        /// stdin goes to every client, and what a client sends to every other client, a whole line at a time, so
        /// that lines from clients sending at once never interleave mid-line.
        case broker
        /// A broker that names its clients (`<user1> text`), announces who joins and
        /// leaves, and lets a client rename itself at any time with a line `/nick NAME`.
        case chat
    }

    package struct Options: Sendable {
        package var idleTimeout: Duration?
        package var maximumQueuedBytes: Int
        /// The most bytes waiting for all clients together (a broker with many slow readers).
        package var maximumTotalQueuedBytes: Int
        /// Where stdin comes from and clients' data goes (standard streams mode).
        package var input: FileDescriptor
        package var output: Int32
        /// Standard streams mode: which ways bytes move (`--send-only`, `--recv-only`); a
        /// broker with `--send-only` sends stdin and relays nothing between clients.
        package var directions: RelayDirections = .both
        /// Standard streams mode: at the end of stdin, send every client FIN.
        package var halfClose = true
        /// Standard streams and broker modes: bare LF in stdin goes out as CR LF.
        package var crlf = false

        package init(
            idleTimeout: Duration? = nil, maximumQueuedBytes: Int = 4 << 20, maximumTotalQueuedBytes: Int = 32 << 20, input: FileDescriptor = .standardInput,
            output: Int32 = 1
        ) {
            self.idleTimeout = idleTimeout
            self.maximumQueuedBytes = maximumQueuedBytes
            self.maximumTotalQueuedBytes = maximumTotalQueuedBytes
            self.input = input
            self.output = output
        }
    }

    private final class Client {
        let id: Int
        let socket: Socket
        /// What the server reads and writes: the socket, or TLS over it.
        let endpoint: RelayEndpoint
        let peer: SocketAddress
        var name: String
        var output: ByteQueue = []
        var lastActivity: ContinuousClock.Instant
        var pendingLine: ByteQueue = []
        var peerClosed = false
        /// Our end of the stream is due (FIN, after close_notify on TLS) but TLS could not
        /// send close_notify yet (the socket was full): tried again when writable.
        var finishing = false
        /// Set when the client must go (too slow); acted on after the current round.
        var dropReason: String?

        init(id: Int, socket: Socket, tls: TLSSession?, peer: SocketAddress, now: ContinuousClock.Instant) {
            self.id = id
            self.socket = socket
            endpoint = tls.map { .tls($0) } ?? .socket(socket)
            self.peer = peer
            self.name = "user\(id)"
            self.lastActivity = now
        }

        var queued: Int { output.count }
    }

    private let listener: Listener
    private let mode: Mode
    private let options: Options
    private let events: (ListenerEvent) -> Void
    private var clients: [FileDescriptor: Client] = [:]
    private var inputOpen = true
    /// Whether stdin is being read now: only while there is a client to send it to, so
    /// what stdin holds before the first client is kept for it (as `ncat -lk` does).
    private var inputWatched = false
    private var lineEndings = LineEndingConverter()
    private let clock = ContinuousClock()
    /// Clients whose interest or fate may have changed this round.
    private var dirty: Set<FileDescriptor> = []
    /// Bytes waiting in every client's output queue together.
    private var totalQueued = 0
    /// Gives memory back after a load of clients has gone.
    private var memoryRelease = MemoryRelease()
    /// Echo clients not read while the total waiting is high.
    private var pausedEchoes: Set<FileDescriptor> = []
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    /// Binds and listens at once, so errors such as EADDRINUSE surface here.
    package init(
        _ request: ListenRequest, mode: Mode, options: Options, policy: Listener.Policy, tracer: SocketTracer,
        events: @escaping (ListenerEvent) -> Void
    ) throws(SockscopeError) {
        listener = try Listener(request, policy: policy, tracer: tracer, events: events)
        self.mode = mode
        self.options = options
        self.events = events
    }

    deinit { buffer.deallocate() }

    package var address: SocketAddress { listener.address }

    /// Serves until a fatal error, SIGINT/SIGTERM, or no first client by `--accept-timeout`
    /// (each thrown as the error that ends the program).
    package func run() throws(SockscopeError) -> Never {
        listener.announce()
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        try loop.register(listener.socket.descriptor, .readable) { [self, unowned loop] _ throws(SockscopeError) in try acceptAll(loop: loop) }
        listener.handshake(in: loop) { [self, unowned loop] client throws(SockscopeError) in try admit(client, loop: loop) }
        if readsInput {
            try loop.register(options.input, []) { [self, unowned loop] _ throws(SockscopeError) in try readInput(loop: loop) }
        } else {
            inputOpen = false
        }
        if let idle = options.idleTimeout {
            // One sweep when the quietest client could first have been idle that long
            // (a client admitted later cannot expire before now + idle), not on a tick.
            func sweep() {
                expireIdle(loop: loop)
                loop.schedule(at: nextIdleDeadline() ?? .now + idle, sweep)
            }
            loop.schedule(at: .now + idle, sweep)
        }
        // Only the clients a round touched are looked at again: the work per event does
        // not grow with the number of idle clients.
        let prepare: () throws(SockscopeError) -> Void = { [self] () throws(SockscopeError) in
            if inputOpen && inputWatched != !clients.isEmpty {
                inputWatched.toggle()
                try loop.update(options.input, inputWatched ? .readable : [])
            }
            try readBuffered(loop: loop)
            try refreshInterest(loop: loop)
        }
        var firstClientLate = false
        if let deadline = listener.acceptDeadline { loop.schedule(at: deadline) { [listener] in firstClientLate = !listener.hasAdmitted } }
        try loop.run(until: { firstClientLate }, prepare: prepare)
        throw listener.acceptTimeoutError
    }

    /// Whether stdin is read: sent to every client in standard streams mode and by a
    /// broker (as `ncat --broker`), unless the server only receives.
    private var readsInput: Bool {
        switch mode {
        case .standardStreams, .broker: return options.directions.sends
        case .echo, .chat: return false
        }
    }

    /// A client's socket is ready: send what is queued, receive what came.
    private func serve(_ readiness: EventLoop.Readiness, loop: EventLoop) throws(SockscopeError) {
        guard let client = clients[readiness.descriptor] else { return }
        if readiness.hangUpOrError && client.peerClosed && !readiness.writable {
            // A client that had half-closed has now gone altogether (RST).
            remove(client, reason: "the client closed", loop: loop)
            return
        }
        // TLS may read on writability and write on readability: any readiness counts.
        let tls = client.endpoint.isTLS
        if readiness.writable || tls { flush(client, loop: loop) }
        if readiness.readable || tls, clients[readiness.descriptor] != nil { try receive(from: client, loop: loop) }
    }

    /// Records OpenSSL has already read are never announced by epoll: a TLS client with
    /// some is read again before the next wait (unless paused or finished).
    private func readBuffered(loop: EventLoop) throws(SockscopeError) {
        for client in clients.values where client.endpoint.hasBufferedInput && !client.peerClosed && client.dropReason == nil && !echoPaused(client) {
            try receive(from: client, loop: loop)
        }
    }

    /// Ends our direction to `client`: FIN, after close_notify on TLS (retried when the
    /// socket is full).
    private func finishSending(to client: Client) {
        client.finishing = !client.endpoint.finishSending()
        if client.finishing { dirty.insert(client.socket.descriptor) }
    }

    // MARK: Clients coming and going

    private func acceptAll(loop: EventLoop) throws(SockscopeError) {
        for admitted in try listener.acceptWaiting(serving: clients.count) { try admit(admitted, loop: loop) }
    }

    /// Serves a new client (accepted, and with TLS, its handshake done).
    private func admit(_ admitted: Listener.Client, loop: EventLoop) throws(SockscopeError) {
        let client = Client(id: admitted.number, socket: admitted.socket, tls: admitted.tls, peer: admitted.peer, now: clock.now)
        clients[admitted.socket.descriptor] = client
        memoryRelease.note(live: clients.count)
        dirty.insert(admitted.socket.descriptor)
        try loop.register(admitted.socket.descriptor, .readable) { [self, unowned loop] readiness throws(SockscopeError) in
            try serve(readiness, loop: loop)
        }
        if case .chat = mode {
            announce("\(client.name) (\(client.peer)) has joined", except: client)
            enqueue(Array("<announce> you are \(client.name); send /nick NAME to change it\n".utf8), to: client)
        }
        if case .standardStreams = mode, options.directions.sends, !inputOpen, options.halfClose { finishSending(to: client) }
    }

    private func remove(_ client: Client, reason: String, loop: EventLoop) {
        guard clients.removeValue(forKey: client.socket.descriptor) != nil else { return }
        memoryRelease.note(live: clients.count)
        totalQueued -= client.queued
        dirty.remove(client.socket.descriptor)
        pausedEchoes.remove(client.socket.descriptor)
        loop.forget(client.socket.descriptor)
        client.socket.close()
        events(.closed(peer: client.peer, client: client.id, reason: reason, report: nil))
        if case .chat = mode { announce("\(client.name) has left", except: nil) }
    }

    private func nextIdleDeadline() -> ContinuousClock.Instant? {
        guard let idle = options.idleTimeout, let oldest = clients.values.map(\.lastActivity).min() else { return nil }
        return oldest + idle
    }

    private func expireIdle(loop: EventLoop) {
        guard let idle = options.idleTimeout else { return }
        let now = clock.now
        for client in clients.values where client.lastActivity.duration(to: now) >= idle {
            remove(client, reason: "idle for \(SockscopeError.seconds(idle))", loop: loop)
        }
    }

    // MARK: Moving bytes

    private func readInput(loop: EventLoop) throws(SockscopeError) {
        let count: Int?
        do {
            count = try SystemCall.read(options.input.rawValue, into: buffer)
        } catch  where error == .badFileDescriptor {
            count = 0  // no stdin at all: input has ended
        } catch {
            throw SockscopeError(SocketCallError(.read, error))
        }
        guard let count else { return }
        guard count > 0 else {
            inputOpen = false
            inputWatched = false
            try loop.update(options.input, [])
            // A broker goes on relaying between its clients after its own input ends.
            // A client still waiting for queued input gets its FIN after the queue (flush).
            if case .standardStreams = mode {
                for client in clients.values where client.queued == 0 {
                    if options.halfClose { finishSending(to: client) }
                    if client.peerClosed { remove(client, reason: "the client closed", loop: loop) }
                }
            }
            return
        }
        var bytes = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        if options.crlf { bytes = lineEndings.convert(bytes) }
        for client in clients.values { enqueue(bytes, to: client) }
    }

    private func receive(from client: Client, loop: EventLoop) throws(SockscopeError) {
        if echoPaused(client) {
            dirty.insert(client.socket.descriptor)  // its interest is brought in step before the next wait
            return
        }
        let count: Int?
        do {
            count = try client.endpoint.read(into: buffer)
        } catch {
            remove(client, reason: error.errno.nameAndText, loop: loop)
            return
        }
        guard let count else { return }
        client.lastActivity = clock.now
        if count == 0 {
            if case .broker = mode, !client.pendingLine.isEmpty {
                let rest = Array(client.pendingLine.waiting)
                client.pendingLine.removeAll()
                for other in clients.values where other !== client { enqueue(rest, to: other) }
            }
            // The client's FIN: it stays while there is more to send it.
            client.peerClosed = true
            dirty.insert(client.socket.descriptor)
            if !sendsMore(to: client) { remove(client, reason: "the client closed", loop: loop) }
            return
        }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        switch mode {
        case .standardStreams:
            if options.directions.receives { try writeOut(bytes) }
        case .echo(let transform):
            let reply = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
            transform.apply(to: reply)
            enqueue(Array(reply), to: client)
        case .broker:
            guard options.directions.receives else { return }  // --send-only: only stdin goes out
            broker(bytes, from: client)
        case .chat:
            client.pendingLine += bytes
            while let newline = client.pendingLine.firstIndex(of: 0x0a) {
                let line = Array(client.pendingLine.bytes(0..<newline))
                client.pendingLine.removeFirst(newline + 1)
                chatLine(line, from: client)
            }
            if client.pendingLine.count > 64 << 10 {  // no newline for 64 KiB: pass it on as it is
                chatLine(Array(client.pendingLine.waiting), from: client)
                client.pendingLine.removeAll()
            }
        }
    }

    /// A broker passes whole lines from one client to all the others (or 64 KiB
    /// without a newline, as it is).
    private func broker(_ bytes: UnsafeRawBufferPointer, from client: Client) {
        client.pendingLine += bytes
        let cut: Int?
        if let newline = client.pendingLine.lastIndex(of: 0x0a) {
            cut = newline + 1
        } else {
            cut = client.pendingLine.count > 64 << 10 ? client.pendingLine.count : nil
        }
        guard let cut else { return }
        let lines = Array(client.pendingLine.bytes(0..<cut))
        client.pendingLine.removeFirst(cut)
        for other in clients.values where other !== client { enqueue(lines, to: other) }
    }

    /// Whether the server still sends `client` something after its FIN: what is queued
    /// for it, and in chat mode what others say (a person's Ctrl-D does not take them out
    /// of the conversation). With -k and --broker a client's FIN is its leaving, as in
    /// ncat: its place is free for the next (--max-clients).
    private func sendsMore(to client: Client) -> Bool {
        if client.queued > 0 { return true }
        if case .chat = mode { return true }
        return false
    }

    /// How much may wait to be echoed to one client before its socket is not read.
    static let echoReadLimit = 64 << 10

    /// Whether an echo must not read `client` now: its replies, or everyone's together
    /// (half the server's bound), wait to go out.
    private func echoPaused(_ client: Client) -> Bool {
        guard case .echo = mode else { return false }
        return client.queued >= Self.echoReadLimit || totalQueued >= options.maximumTotalQueuedBytes / 2
    }

    /// Brings the interest of the clients this round touched in step with their queues;
    /// drops those marked to go. An echo reads from a client only while its replies go
    /// out: a client that sends faster than it reads is slowed by TCP's window, never
    /// dropped as too slow; clients paused for the total are looked at again once it falls.
    private func refreshInterest(loop: EventLoop) throws(SockscopeError) {
        if !pausedEchoes.isEmpty && totalQueued < options.maximumTotalQueuedBytes / 2 {
            dirty.formUnion(pausedEchoes)
            pausedEchoes.removeAll(keepingCapacity: true)
        }
        let touched = dirty
        dirty.removeAll(keepingCapacity: true)
        for fd in touched {
            guard let client = clients[fd] else { continue }
            if let reason = client.dropReason {
                remove(client, reason: reason, loop: loop)
                continue
            }
            let paused = echoPaused(client)
            if paused { pausedEchoes.insert(fd) }
            var interest: EventLoop.Interest = client.peerClosed || paused ? [] : client.endpoint.readInterest
            if client.queued > 0 || client.finishing || client.endpoint.hasPendingOutput { interest.insert(.writable) }
            try loop.update(fd, interest)
        }
    }

    /// Whether this mode sends the client something back after it closes (an echo still draining).
    private var isReplying: Bool {
        if case .echo = mode { return true }
        return false
    }

    private func chatLine(_ line: [UInt8], from client: Client) {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("/nick ") {
            let name = text.dropFirst(6).filter { !$0.isWhitespace && $0 != "<" && $0 != ">" }.prefix(32)
            if !name.isEmpty {
                let wanted = String(name)
                // The server's marker and other clients' names are not to be had: a client
                // must never be able to pass for the server or for someone else.
                if let refusal = nameRefusal(wanted, for: client) {
                    enqueue(Array("<announce> \(refusal)\n".utf8), to: client)
                    return
                }
                let old = client.name
                client.name = wanted
                announce("\(old) is now \(client.name)", except: nil)
                return
            }
        }
        let message = Array("<\(client.name)> ".utf8) + line + [0x0a]
        for other in clients.values where other !== client { enqueue(message, to: other) }
    }

    /// Why `name` cannot be `client`'s, if it cannot: the server's own marker, a
    /// generated name, or another client's (compared without case).
    private func nameRefusal(_ name: String, for client: Client) -> String? {
        let folded = name.lowercased()
        if folded == "announce" { return "the name \(name) is the server's; choose another" }
        if folded.hasPrefix("user"), Int(folded.dropFirst(4)) != nil, folded != client.name.lowercased() {
            return "names user1, user2, … are given by the server; choose another"
        }
        if clients.values.contains(where: { $0 !== client && $0.name.lowercased() == folded }) {
            return "the name \(name) is taken; choose another"
        }
        return nil
    }

    private func announce(_ text: String, except: Client?) {
        let message = Array("<announce> \(text)\n".utf8)
        for client in clients.values where client !== except { enqueue(message, to: client) }
    }

    private func enqueue(_ bytes: [UInt8], to client: Client) {
        guard client.dropReason == nil else { return }
        dirty.insert(client.socket.descriptor)
        if client.queued + bytes.count > options.maximumQueuedBytes {
            // Removing it here would disturb the caller's iteration: mark it, drop it after this round.
            drop(client, because: "too slow: more than \(options.maximumQueuedBytes) bytes were waiting for it")
            return
        }
        client.output += bytes
        totalQueued += bytes.count
        // A bound for all clients together, not only for each: past it, the client with
        // the most waiting (the slowest reader) goes.
        while totalQueued > options.maximumTotalQueuedBytes,
            let slowest = clients.values.filter({ $0.dropReason == nil }).max(by: { $0.queued < $1.queued })
        {
            let bound = options.maximumTotalQueuedBytes
            drop(slowest, because: "too slow: the server holds at most \(bound) bytes for all its clients, and most were waiting for it")
        }
    }

    /// Marks a client to be dropped after this round, releasing what was queued for it.
    private func drop(_ client: Client, because reason: String) {
        totalQueued -= client.queued
        client.output.removeAll()
        client.dropReason = reason
        dirty.insert(client.socket.descriptor)
    }

    private func flush(_ client: Client, loop: EventLoop) {
        if client.endpoint.hasPendingOutput {
            do { _ = try client.endpoint.flushPending() } catch {
                remove(client, reason: error.errno.nameAndText, loop: loop)
                return
            }
        }
        if client.finishing { finishSending(to: client) }
        let endpoint = client.endpoint
        let before = client.queued
        let drained = Result { () throws(SocketCallError) in try client.output.drain { raw throws(SocketCallError) in try endpoint.write(raw) } }
        if client.queued < before {
            totalQueued -= before - client.queued
            client.lastActivity = clock.now
        }
        switch drained {
        case .success(true): break
        case .success(false): return
        case .failure(let error):
            remove(client, reason: error.errno.nameAndText, loop: loop)
            return
        }
        dirty.insert(client.socket.descriptor)
        if case .standardStreams = mode, !inputOpen, options.halfClose { finishSending(to: client) }
        if client.peerClosed && !sendsMore(to: client) {
            if isReplying && !client.finishing { finishSending(to: client) }
            guard !client.finishing else { return }  // close_notify first, then the close
            remove(client, reason: "the client closed", loop: loop)
        }
    }

    private func writeOut(_ bytes: UnsafeRawBufferPointer) throws(SockscopeError) {
        do { try SystemCall.writeAll(options.output, bytes) } catch { throw SockscopeError(error) }
    }
}
