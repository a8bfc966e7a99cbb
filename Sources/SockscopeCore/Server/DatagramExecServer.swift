import CShim
import Glibc

/// Serves each UDP source with a program of its own (`listen -u --exec`), as ncat
/// does: the receiving socket is connected (`connect(2)`) to the first datagram's
/// source — which is still queued on it, unread (MSG_PEEK) — and becomes the program's
/// stdin and stdout, so the program reads that datagram and every later one from the
/// same source, and what it writes goes back there. A fresh socket is then bound to the
/// same address (SO_REUSEADDR) for the next source: the kernel prefers a connected
/// socket for its own peer, so each program sees only its source's datagrams.
///
/// UDP has no end of stream: a program runs until it exits (or the server ends, when
/// every program's group gets SIGTERM, then SIGKILL).
package final class DatagramExecServer {
    private var listener: Listener
    private let request: ListenRequest
    private let policy: Listener.Policy
    private let options: ExecServer.Options
    private let tracer: SocketTracer
    private let events: (ListenerEvent) -> Void
    /// Each program's listener (its socket), kept open until the program has exited.
    private var children: [pid_t: (listener: Listener, peer: SocketAddress)] = [:]
    private var served = 0
    /// --max-clients: how many programs run at once (a source beyond them is dropped,
    /// said at most once a second per source, until one exits).
    private let maxPrograms: Int?
    private var refusalsSaid: [SocketAddress: ContinuousClock.Instant] = [:]

    package init(
        _ request: ListenRequest, options: ExecServer.Options, policy: Listener.Policy, tracer: SocketTracer,
        events: @escaping (ListenerEvent) -> Void
    ) throws(SockscopeError) {
        guard request.address.family != .unix else {
            throw .usage("--exec over datagrams rebinds the address for each source; a Unix socket path cannot be bound twice")
        }
        var perSource = policy
        perSource.maxClients = nil  // counted here, in programs; each listener serves one source
        maxPrograms = policy.maxClients
        listener = try Listener(request, policy: perSource, tracer: tracer, events: events)
        var again = request
        again.address = listener.address  // port 0 became a port: later sockets bind the same one
        self.request = again
        self.policy = perSource
        self.options = options
        self.tracer = tracer
        self.events = events
    }

    package var address: SocketAddress { listener.address }

    /// Serves sources; without `keepOpen`, returns when the first source's program has
    /// exited. SIGINT or SIGTERM ends every program, then the server.
    package func run() throws(SockscopeError) {
        listener.announce()
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        try watch(listener, loop: loop)
        do {
            try loop.run { !options.keepOpen && served > 0 && children.isEmpty }
        } catch {
            endEveryProgram()
            throw error
        }
    }

    private func watch(_ listener: Listener, loop: EventLoop) throws(SockscopeError) {
        try loop.register(listener.socket.descriptor, .readable) { [self] _ throws(SockscopeError) in try serveNext(loop: loop) }
    }

    /// The first datagram of a new source is waiting: hand the socket to a program.
    private func serveNext(loop: EventLoop) throws(SockscopeError) {
        let socket = listener.socket
        let peek = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
        defer { peek.deallocate() }
        let waiting: Socket.Datagram?
        do { waiting = try socket.receiveDatagram(into: peek, peek: true) } catch { throw SockscopeError(error) }
        guard let waiting, let source = waiting.source else { return }
        guard listener.admits(datagramFrom: source), !isFull(refusing: source) else {
            _ = try? socket.receiveDatagram(into: peek)  // refused: dropped unseen
            return
        }
        do { try socket.connect(to: source, timeout: nil) } catch { throw SockscopeError(error) }
        loop.forget(socket.descriptor)
        _ = cshim_set_status_flags(socket.fd, cshim_get_status_flags(socket.fd) & ~O_NONBLOCK)
        let environment = [
            "SOCKSCOPE_PROTO": "udp", "SOCKSCOPE_REMOTE_ADDR": source.ipAddress.map { "\($0)" } ?? "",
            "SOCKSCOPE_REMOTE_PORT": source.port.map { "\($0)" } ?? "",
            "SOCKSCOPE_LOCAL_ADDR": listener.address.ipAddress.map { "\($0)" } ?? "",
            "SOCKSCOPE_LOCAL_PORT": listener.address.port.map { "\($0)" } ?? "",
        ]
        let handedOver = listener
        var started: pid_t?
        do {
            started = try ProcessSpawner.spawn(options.command, streams: socket.fd, mergeStderr: options.mergeStderr, environment: environment)
        } catch {
            // No process to be had (EAGAIN, ENOMEM): this source is refused, its socket
            // closed with what it sent, and the next source is served as usual.
            handedOver.stopListening()
            events(.refused(peer: source, reason: .exhausted(error.message), count: 1))
        }
        if let pid = started {
            children[pid] = (handedOver, source)
            served += 1
            events(.started(peer: source, pid: pid))
            try loop.watchExit(of: pid) { [self] status in exited(pid, status: status) }
        }
        guard options.keepOpen || served == 0 else { return }
        // The next source gets a socket of its own on the same address.
        listener = try Listener(request, policy: policy, tracer: tracer, events: events)
        try watch(listener, loop: loop)
    }

    /// Whether --max-clients programs run already; the refusal of `source` is said then.
    private func isFull(refusing source: SocketAddress) -> Bool {
        guard let maximum = maxPrograms, children.count >= maximum else { return false }
        let now = ContinuousClock.now
        if refusalsSaid.count > 1024 { refusalsSaid.removeAll() }
        if let said = refusalsSaid[source], said.duration(to: now) < .seconds(1) { return true }
        refusalsSaid[source] = now
        events(.refused(peer: source.unmapped, reason: .full(maximum: maximum), count: 1))
        return true
    }

    /// The program has exited (its pidfd said so): its socket is closed.
    private func exited(_ pid: pid_t, status: Int32) {
        guard let child = children.removeValue(forKey: pid) else { return }
        child.listener.stopListening()
        events(.exited(peer: child.peer, pid: pid, status: status))
    }

    private func endEveryProgram() {
        for (pid, status) in ProcessSpawner.endGroups(Array(children.keys)) {
            guard let child = children.removeValue(forKey: pid) else { continue }
            child.listener.stopListening()
            events(.exited(peer: child.peer, pid: pid, status: status))
        }
    }
}
