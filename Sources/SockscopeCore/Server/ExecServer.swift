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
public final class ExecServer {
    public struct Options: Sendable {
        public var command: [String]
        public var mergeStderr: Bool
        public var keepOpen: Bool
        public var maxClients: Int?
        public var access: AccessControl
        public var grace: Duration

        public init(command: [String], mergeStderr: Bool, keepOpen: Bool, maxClients: Int?, access: AccessControl, grace: Duration = .seconds(2)) {
            self.command = command
            self.mergeStderr = mergeStderr
            self.keepOpen = keepOpen
            self.maxClients = maxClients
            self.access = access
            self.grace = grace
        }
    }

    public enum Event: Sendable {
        case listening(SocketAddress)
        case started(peer: SocketAddress, pid: Int32)
        case refused(peer: SocketAddress, reason: String)
        case hungUp(peer: SocketAddress, pid: Int32)
        case terminated(peer: SocketAddress, pid: Int32)
        case exited(peer: SocketAddress, pid: Int32, status: Int32)
    }

    private struct Child {
        var socket: Socket
        var peer: SocketAddress
        var hangUpTime: ContinuousClock.Instant?
        var terminated = false
    }

    private let bound: BoundSocket
    private let options: Options
    private let events: (Event) -> Void
    private var children: [pid_t: Child] = [:]
    private var served = 0

    public init(_ request: ListenRequest, options: Options, tracer: SocketTracer, events: @escaping (Event) -> Void) throws(SockscopeError) {
        bound = try BoundSocket(request, tracer: tracer)
        self.options = options
        self.events = events
    }

    /// Serves clients; without `keepOpen`, returns when the first client's program has exited.
    public func run() throws(SockscopeError) {
        events(.listening(bound.address))
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw SockscopeError(error) }
        while true {
            let accepting = options.keepOpen || served == 0
            do {
                try loop.setInterest(accepting ? .readable : [], for: bound.socket.fd)
            } catch {
                throw SockscopeError(error)
            }
            for (_, child) in children where child.hangUpTime == nil {
                loop.watchHangUp(child.socket.fd)
            }
            let ready: [EventLoop.Readiness]
            do { ready = try loop.wait(timeout: .milliseconds(100), capacity: 64) } catch { throw SockscopeError(error) }
            if Interruption.pending != nil {
                for pid in children.keys { kill(pid, SIGTERM) }
                try Interruption.check()
            }
            for readiness in ready {
                if readiness.fd == bound.socket.fd {
                    try acceptClients()
                } else if let pid = children.first(where: { $0.value.socket.fd == readiness.fd })?.key, readiness.hangUpOrError || readiness.readable {
                    // Only the hang-up is watched: the client has gone.
                    loop.forget(readiness.fd)
                    if children[pid]?.hangUpTime == nil, let peer = children[pid]?.peer {
                        children[pid]?.hangUpTime = .now
                        events(.hungUp(peer: peer, pid: pid))
                    }
                }
            }
            terminateLingering()
            for (pid, status) in ProcessSpawner.reapExited() {
                guard let child = children.removeValue(forKey: pid) else { continue }
                loop.forget(child.socket.fd)
                child.socket.close()
                events(.exited(peer: child.peer, pid: pid, status: status))
            }
            if !options.keepOpen && served > 0 && children.isEmpty { return }
        }
    }

    private func acceptClients() throws(SockscopeError) {
        while true {
            let accepted: (socket: Socket, peer: SocketAddress)?
            do { accepted = try bound.socket.accept() } catch { throw SockscopeError(error) }
            guard let (socket, peer) = accepted else { return }
            if let reason = options.access.refusal(for: peer) {
                socket.close()
                events(.refused(peer: peer, reason: reason))
                continue
            }
            if let maximum = options.maxClients, children.count >= maximum {
                socket.close()
                events(.refused(peer: peer, reason: "already serving \(maximum) client\(maximum == 1 ? "" : "s") (--max-clients)"))
                continue
            }
            // The program gets a blocking socket, as programs expect of stdin and stdout.
            _ = cshim_set_status_flags(socket.fd, cshim_get_status_flags(socket.fd) & ~O_NONBLOCK)
            let pid = try ProcessSpawner.spawn(options.command, streams: socket.fd, mergeStderr: options.mergeStderr)
            children[pid] = Child(socket: socket, peer: peer)
            served += 1
            events(.started(peer: peer, pid: pid))
            if !options.keepOpen { return }
        }
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
