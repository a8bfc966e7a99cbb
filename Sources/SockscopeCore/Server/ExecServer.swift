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
/// ends with it. When the program exits, the server closes its copy, so the kernel
/// delivers everything the program wrote and then sends FIN. Every child is reaped;
/// when the server ends, every group gets SIGTERM, then SIGKILL.
package final class ExecServer {
    package struct Options: Sendable {
        package var command: [String]
        package var mergeStderr: Bool
        package var keepOpen: Bool
        package var grace: Duration
        /// End a client's program when no data moved either way for this long (TCP only).
        package var idleTimeout: Duration?

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

    package init(
        _ request: ListenRequest, options: Options, policy: Listener.Policy, tracer: SocketTracer,
        events: @escaping (ListenerEvent) -> Void
    ) throws(SockscopeError) {
        listener = try Listener(request, policy: policy, tracer: tracer, events: events)
        self.options = options
        self.events = events
    }

    /// Serves clients; without `keepOpen`, returns when the first client's program
    /// has exited. SIGINT or SIGTERM sends SIGTERM to every program, then ends the server.
    package func run() throws(SockscopeError) {
        listener.announce()
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        try loop.register(listener.socket.fd, .readable) { [self] _ throws(SockscopeError) in try acceptClients(loop: loop) }
        // Exits are not descriptors: children are reaped, and lingering ones
        // terminated, on a short period.
        func tick() {
            expireIdle(loop: loop)
            terminateLingering()
            reap(loop: loop)
            loop.schedule(at: .now + .milliseconds(100), tick)
        }
        loop.schedule(at: .now + .milliseconds(100), tick)
        var firstClientLate = false
        if let deadline = listener.acceptDeadline { loop.schedule(at: deadline) { [listener] in firstClientLate = !listener.hasAdmitted } }
        do {
            try loop.run { firstClientLate || !options.keepOpen && served > 0 && children.isEmpty }
        } catch {
            endEveryGroup()
            throw error
        }
        if firstClientLate { throw listener.acceptTimeoutError }
    }

    /// The server is ending: SIGTERM to every program's group, a short wait for them to
    /// go (bounded: a signal must end the server at once), then SIGKILL to what is left.
    private func endEveryGroup() {
        for pid in children.keys { kill(-pid, SIGTERM) }
        let deadline = ContinuousClock.now + .milliseconds(200)
        while !children.isEmpty && ContinuousClock.now < deadline {
            for (pid, _) in ProcessSpawner.reapExited() { children[pid] = nil }
            if !children.isEmpty { usleep(10_000) }
        }
        for pid in children.keys { kill(-pid, SIGKILL) }
        for (pid, _) in ProcessSpawner.reapExited() { children[pid] = nil }
    }

    /// With an idle timeout: a client whose connection moved no data either way for
    /// that long is treated as gone (the kernel's TCP_INFO says when data last moved).
    private func expireIdle(loop: EventLoop) {
        guard let idle = options.idleTimeout else { return }
        let limit = UInt32(clamping: idle.milliseconds)
        for (pid, child) in children where child.hangUpTime == nil {
            var received: UInt32 = 0
            var sent: UInt32 = 0
            guard cshim_tcp_idle_ms(child.socket.fd, &received, &sent) == 0, received >= limit, sent >= limit else { continue }
            _ = shutdown(child.socket.fd, Int32(SHUT_RDWR))  // the program reads EOF, its writes fail
            hungUp(pid, loop: loop)
        }
    }

    /// Only the hang-up is watched: the client has gone.
    private func hungUp(_ pid: pid_t, loop: EventLoop) {
        guard let child = children[pid] else { return }
        loop.forget(child.socket.fd)
        guard child.hangUpTime == nil else { return }
        children[pid]?.hangUpTime = .now
        events(.hungUp(peer: child.peer, pid: pid))
    }

    private func reap(loop: EventLoop) {
        for (pid, status) in ProcessSpawner.reapExited() {
            guard let child = children.removeValue(forKey: pid) else { continue }
            loop.forget(child.socket.fd)
            child.socket.close()
            events(.exited(peer: child.peer, pid: pid, status: status))
        }
    }

    private func acceptClients(loop: EventLoop) throws(SockscopeError) {
        for client in try listener.acceptWaiting(serving: children.count, limit: options.keepOpen ? .max : 1) {
            // The program gets a blocking socket, as programs expect of stdin and stdout.
            let fd = client.socket.fd
            _ = cshim_set_status_flags(fd, cshim_get_status_flags(fd) & ~O_NONBLOCK)
            let pid: pid_t
            do {
                pid = try ProcessSpawner.spawn(options.command, streams: fd, mergeStderr: options.mergeStderr)
            } catch {
                // No process to be had (EAGAIN at the process limit, ENOMEM): this client
                // is refused; the others keep their programs.
                client.socket.close()
                events(.refused(peer: client.peer, reason: .exhausted(error.message), count: 1))
                continue
            }
            children[pid] = Child(socket: client.socket, peer: client.peer)
            served += 1
            events(.started(peer: client.peer, pid: pid))
            // Only a failure (RST) means the client is gone; its FIN is a half-close.
            try loop.register(fd, .failure) { [self] _ throws(SockscopeError) in hungUp(pid, loop: loop) }
        }
        if !options.keepOpen && served > 0 {
            loop.forget(listener.socket.fd)
            listener.stopListening()  // one client: later ones are refused, not queued for nobody
        }
    }

    /// SIGTERM for programs still running `grace` after their client hung up.
    private func terminateLingering() {
        let now = ContinuousClock.now
        for (pid, child) in children where !child.terminated {
            guard let hungUp = child.hangUpTime, hungUp.duration(to: now) >= options.grace else { continue }
            kill(-pid, SIGTERM)  // the program's whole process group
            children[pid]?.terminated = true
            events(.terminated(peer: child.peer, pid: pid))
        }
    }
}
