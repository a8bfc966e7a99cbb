import CShim
import Glibc
import SystemPackage

/// Serves each client with a program of its own (`listen --exec`, `--sh-exec`):
/// the program's stdin and stdout are the client's socket.
///
/// The server keeps its own copy of each client socket only to notice the client
/// going away — it never reads, so the program gets every byte. A client's FIN is a
/// half-close, not a hang-up: the program reads end of input and may go on writing
/// its answer. The client is gone when its socket fails (RST: EPOLLERR/EPOLLHUP) or,
/// with an idle timeout, when no data moved either way for that long (TCP_INFO);
/// then the program gets SIGTERM after `grace`. Each program runs in a process group
/// of its own, and the whole group is signalled, so a pipeline (`sh -c 'a | b'`)
/// ends with it. When the program exits, the server closes its copy with a lingering
/// close: FIN first (`shutdown(SHUT_WR)`, after everything the program wrote), then it
/// reads and drops what the client still sends until the client closes (or
/// `lingerLimit`), so a request the program never read cannot turn the close into an
/// RST that destroys the response in flight. The program's environment names the
/// connection (`SOCKSCOPE_REMOTE_ADDR`, …, as ncat's `NCAT_*`), and it inherits no
/// descriptor but its three streams. Every child is reaped; when the server ends,
/// every group gets SIGTERM, then SIGKILL.
package final class ExecServer {
    package struct Options: Sendable {
        package var command: [String]
        package var mergeStderr: Bool
        package var keepOpen: Bool
        package var grace: Duration
        /// End a client's program when no data moved either way for this long (TCP only).
        package var idleTimeout: Duration?

        /// How long a finished client's socket is drained before it is closed anyway.
        package var lingerLimit: Duration = .seconds(2)
        /// -C: the program's line ends go out as CR LF, through a relay between it and the
        /// client (ncat's -C with --exec); without it the program has the socket itself.
        package var crlf = false

        package init(command: [String], mergeStderr: Bool, keepOpen: Bool, grace: Duration = .seconds(2), idleTimeout: Duration? = nil) {
            self.command = command
            self.mergeStderr = mergeStderr
            self.keepOpen = keepOpen
            self.grace = grace
            self.idleTimeout = idleTimeout
        }
    }

    private struct Child {
        var socket: Socket
        var peer: SocketAddress
        var hangUpTime: ContinuousClock.Instant?
        var terminated = false
    }

    private let listener: Listener
    private let options: Options
    private let events: (ListenerEvent) -> Void
    private var children: [pid_t: Child] = [:]
    private var served = 0
    /// Sockets whose program has exited, drained until their client closes.
    private lazy var lingering = LingeringCloses(limit: options.lingerLimit)
    private let protocolName: String

    package init(
        _ request: ListenRequest, options: Options, policy: Listener.Policy, tracer: SocketTracer,
        events: @escaping (ListenerEvent) -> Void
    ) throws(SockscopeError) {
        listener = try Listener(request, policy: policy, tracer: tracer, events: events)
        self.options = options
        self.events = events
        protocolName = request.address.family == .unix ? "unix" : request.type == .stream ? "tcp" : "udp"
    }

    /// Serves clients; without `keepOpen`, returns when the first client's program
    /// has exited. SIGINT or SIGTERM sends SIGTERM to every program, then ends the server.
    package func run() throws(SockscopeError) {
        listener.announce()
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        for socket in listener.sockets {
            try loop.register(socket.descriptor, .readable) { [self] _ throws(SockscopeError) in try acceptClients(from: socket, loop: loop) }
        }
        // With --keep-open, TLS handshakes go on in this loop while others are accepted
        // (one client's program at a time otherwise: its handshake is made at accept).
        if options.keepOpen {
            listener.handshake(in: loop) { [self, unowned loop] client throws(SockscopeError) in try start(client, loop: loop) }
        }
        var firstClientLate = false
        if let deadline = listener.acceptDeadline { loop.schedule(at: deadline) { [listener] in firstClientLate = !listener.hasAdmitted } }
        do {
            try loop.run { firstClientLate || !options.keepOpen && served > 0 && children.isEmpty && lingering.isEmpty }
        } catch {
            endEveryGroup()
            lingering.closeAll(loop: loop)
            throw error
        }
        if firstClientLate { throw listener.acceptTimeoutError }
    }

    /// The server is ending: every program's group is ended (`ProcessSpawner.endGroups`).
    private func endEveryGroup() {
        for (pid, _) in ProcessSpawner.endGroups(Array(children.keys)) { children[pid] = nil }
    }

    /// With an idle timeout: a client whose connection moved no data either way for
    /// that long is treated as gone. The kernel's TCP_INFO says when data last moved,
    /// so the next check is set for when the timeout could first be reached.
    private func watchIdle(_ pid: pid_t, loop: EventLoop) {
        guard let idle = options.idleTimeout else { return }
        let limit = UInt32(clamping: idle.milliseconds)
        func check() {
            guard let child = children[pid], child.hangUpTime == nil else { return }
            var received: UInt32 = 0
            var sent: UInt32 = 0
            guard cshim_tcp_idle_ms(child.socket.fd, &received, &sent) == 0 else { return }
            guard received >= limit, sent >= limit else {
                let quiet = min(received, sent)
                loop.schedule(at: .now + .milliseconds(Int(max(limit - quiet, 10))), check)
                return
            }
            _ = shutdown(child.socket.fd, Int32(SHUT_RDWR))  // the program reads EOF, its writes fail
            hungUp(pid, loop: loop)
        }
        loop.schedule(at: .now + idle, check)
    }

    /// Only the hang-up is watched: the client has gone.
    private func hungUp(_ pid: pid_t, loop: EventLoop) {
        guard let child = children[pid] else { return }
        loop.forget(child.socket.descriptor)
        guard child.hangUpTime == nil else { return }
        children[pid]?.hangUpTime = .now
        events(.hungUp(peer: child.peer, pid: pid))
        loop.schedule(at: .now + options.grace) { [self] in terminate(pid) }
    }

    /// The program has exited (its pidfd said so): its client gets the lingering close.
    private func exited(_ pid: pid_t, status: Int32, loop: EventLoop) {
        guard let child = children.removeValue(forKey: pid) else { return }
        loop.forget(child.socket.descriptor)
        events(.exited(peer: child.peer, pid: pid, status: status))
        lingering.close(child.socket, loop: loop)
    }

    /// What the program learns of its connection from the environment (ncat's NCAT_*).
    private func environment(for client: Listener.Client) -> [String: String] {
        // The TCP socket's local address, also when TLS is bridged.
        ProcessSpawner.connectionEnvironment(protocolName: protocolName, remote: client.peer, local: client.localAddress)
    }

    private func acceptClients(from socket: Socket, loop: EventLoop) throws(SockscopeError) {
        for client in try listener.acceptWaiting(serving: children.count, limit: options.keepOpen ? .max : 1, from: socket) {
            try start(client, loop: loop)
        }
        stopListeningAfterOne(loop: loop)
    }

    /// Runs the program for a new client (accepted, and with TLS, its handshake done).
    private func start(_ accepted: Listener.Client, loop: EventLoop) throws(SockscopeError) {
        let environment = environment(for: accepted)  // the client's own addresses, before any relay
        var client = accepted
        if options.crlf { client.socket = try TLSBridge.start(accepted.socket, tls: nil, crlf: true, tracer: accepted.socket.tracer) }
        // The program gets a blocking socket, as programs expect of stdin and stdout.
        let fd = client.socket.fd
        _ = cshim_set_status_flags(fd, cshim_get_status_flags(fd) & ~O_NONBLOCK)
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(
                options.command, streams: fd, mergeStderr: options.mergeStderr, environment: environment)
        } catch {
            // No process to be had (EAGAIN at the process limit, ENOMEM): this client
            // is refused; the others keep their programs.
            client.socket.close()
            events(.refused(peer: client.peer, reason: .exhausted(error.message), count: 1))
            return
        }
        children[pid] = Child(socket: client.socket, peer: client.peer)
        served += 1
        events(.started(peer: client.peer, pid: pid))
        // Only a failure (RST) means the client is gone; its FIN is a half-close.
        try loop.register(client.socket.descriptor, .failure) { [self] _ throws(SockscopeError) in hungUp(pid, loop: loop) }
        try loop.watchExit(of: pid) { [self] status in exited(pid, status: status, loop: loop) }
        watchIdle(pid, loop: loop)
    }

    /// Without --keep-open, one client is served: once it is, later ones are refused,
    /// not queued for nobody.
    private func stopListeningAfterOne(loop: EventLoop) {
        guard !options.keepOpen && served > 0 else { return }
        for socket in listener.sockets { loop.forget(socket.descriptor) }
        listener.stopListening()
    }

    /// SIGTERM for a program still running `grace` after its client hung up.
    private func terminate(_ pid: pid_t) {
        guard let child = children[pid], !child.terminated else { return }
        kill(-pid, SIGTERM)  // the program's whole process group
        children[pid]?.terminated = true
        events(.terminated(peer: child.peer, pid: pid))
    }
}
