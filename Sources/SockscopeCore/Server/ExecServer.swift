import CShim
import Glibc
import SystemPackage

/// Serves each client with a program of its own (`listen --exec`, `--sh-exec`):
/// the program's stdin and stdout are the client's socket.
///
/// The server keeps its own copy of each client socket only to notice the client
/// hanging up (EPOLLRDHUP — it never reads, so the program gets every byte). When the
/// client hangs up, the program sees end of input; if it is still running after
/// `grace`, it gets SIGTERM. When the program exits, the server closes its copy,
/// so the kernel delivers everything the program wrote and then sends FIN. Every
/// child is reaped.
package final class ExecServer {
    package struct Options: Sendable {
        package var command: [String]
        package var mergeStderr: Bool
        package var keepOpen: Bool
        package var grace: Duration

        package init(command: [String], mergeStderr: Bool, keepOpen: Bool, grace: Duration = .seconds(2)) {
            self.command = command
            self.mergeStderr = mergeStderr
            self.keepOpen = keepOpen
            self.grace = grace
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
            terminateLingering()
            reap(loop: loop)
            loop.schedule(at: .now + .milliseconds(100), tick)
        }
        loop.schedule(at: .now + .milliseconds(100), tick)
        do {
            try loop.run { !options.keepOpen && served > 0 && children.isEmpty }
        } catch {
            for pid in children.keys { kill(pid, SIGTERM) }
            throw error
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
            let pid = try ProcessSpawner.spawn(options.command, streams: fd, mergeStderr: options.mergeStderr)
            children[pid] = Child(socket: client.socket, peer: client.peer)
            served += 1
            events(.started(peer: client.peer, pid: pid))
            try loop.register(fd, .hangUp) { [self] _ throws(SockscopeError) in hungUp(pid, loop: loop) }
        }
        if !options.keepOpen && served > 0 { try loop.update(listener.socket.fd, []) }
    }

    /// SIGTERM for programs still running `grace` after their client hung up.
    private func terminateLingering() {
        let now = ContinuousClock.now
        for (pid, child) in children where !child.terminated {
            guard let hungUp = child.hangUpTime, hungUp.duration(to: now) >= options.grace else { continue }
            kill(pid, SIGTERM)
            children[pid]?.terminated = true
            events(.terminated(peer: child.peer, pid: pid))
        }
    }
}
