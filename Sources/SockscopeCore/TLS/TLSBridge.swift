import Glibc
import Synchronization

/// How a listener speaks TLS with its clients (`listen --tls`).
package struct TLSService: Sendable {
    package var context: TLSContext
    /// How long a client may take to finish its handshake.
    package var handshakeTimeout: Duration
    /// Hand each client over as plaintext on a Unix socket pair, a thread relaying it
    /// to and from TLS (for the servers that drive sockets themselves: -k, --broker,
    /// --chat, --exec); false hands over the session itself (one client, relayed directly).
    package var bridged: Bool

    package init(context: TLSContext, handshakeTimeout: Duration = .seconds(10), bridged: Bool = true) {
        self.context = context
        self.handshakeTimeout = handshakeTimeout
        self.bridged = bridged
    }
}

/// Carries a TLS session's plaintext to and from a Unix socket pair, on a thread of its
/// own, so a server that reads and writes plain sockets (or gives one to a program as
/// its stdin and stdout) serves TLS clients unchanged. Each end's close is passed on:
/// the client's close_notify or FIN becomes a FIN on the pair, and the server's close
/// becomes close_notify and FIN to the client. The thread's waits go through the event
/// loop, so a signal ends them too; `finishAll` lets the process wait for every bridge
/// to deliver what it holds before exiting (each wakes it as it ends).
package enum TLSBridge {
    /// Starts relaying `session`; returns the server's end of the pair (non-blocking).
    package static func start(_ session: TLSSession, tracer: SocketTracer) throws(SockscopeError) -> Socket {
        try start(session.socket, tls: session, crlf: false, tracer: tracer)
    }

    /// Starts relaying a connection — its TLS session, or the socket itself — to a pair
    /// whose other end a program gets; with `crlf`, the program's line ends go out as
    /// CR LF (`-C` with `--exec`, as ncat converts them), what comes in unchanged.
    package static func start(_ socket: Socket, tls session: TLSSession?, crlf: Bool, tracer: SocketTracer) throws(SockscopeError) -> Socket {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SockscopeError(SocketCallError(.socket, .current))
        }
        let inner = Socket(adopting: pair[0], family: .unix, type: .stream, tracer: .silent)
        let outer = Socket(adopting: pair[1], family: .unix, type: .stream, tracer: tracer)
        let job = Job(socket: socket, session: session, inner: inner, crlf: crlf)
        return try launch(job.run, inner: inner, outer: outer)
    }

    /// Runs a bridge's relay on a thread of its own, counted until it ends; returns the
    /// outer end, or closes both ends when no thread can be started.
    static func launch(_ relay: @escaping @Sendable () -> Void, inner: Socket, outer: Socket) throws(SockscopeError) -> Socket {
        active.withLock { $0.count += 1 }
        guard DetachedThread.start(relay) else {
            active.withLock { $0.count -= 1 }
            inner.close()
            outer.close()
            throw SockscopeError("cannot start a thread to relay the client", status: .internalError)
        }
        return outer
    }

    /// Waits until every bridge has finished, or `limit` has passed (a signal ends the
    /// wait). Each bridge wakes the waiting loop as it ends: nothing polls.
    package static func finishAll(within limit: Duration) {
        guard let loop = try? EventLoop(), let remote = try? loop.remote() else { return }
        guard
            active.withLock({ state in
                state.waiter = remote
                return state.count > 0
            })
        else { return }
        defer { active.withLock { $0.waiter = nil } }
        var late = false
        loop.schedule(at: .now + limit) { late = true }
        try? loop.run { late || active.withLock { $0.count } == 0 }
    }

    /// Bridges still relaying, and the loop of a `finishAll` waiting for them.
    static let active = Mutex<(count: Int, waiter: EventLoop.Remote?)>((0, nil))

    /// The last failure of any bridge (a reset, a stream cut inside a record), for a
    /// caller whose exit status must say that bytes may not have arrived.
    static let lastFailure = Mutex<SockscopeError?>(nil)

    /// Takes the failure a bridge met since the last call, if any.
    package static func takeFailure() -> SockscopeError? {
        lastFailure.withLock { failure in
            defer { failure = nil }
            return failure
        }
    }

    static func ended() {
        active.withLock { state in
            state.count -= 1
            return state.waiter
        }?.wake()
    }

    private final class Job: @unchecked Sendable {
        let socket: Socket
        let session: TLSSession?
        let inner: Socket
        let crlf: Bool

        init(socket: Socket, session: TLSSession?, inner: Socket, crlf: Bool) {
            self.socket = socket
            self.session = session
            self.inner = inner
            self.crlf = crlf
        }

        func run() {
            var options = StreamRelay.Options(bufferSize: 256 << 10)
            options.crlf = crlf  // what the inner side (the program) sends
            do {
                _ = try StreamRelay(socket: socket, tls: session, mode: .bridge(inner), options: options).run()
            } catch {
                socket.tracer.record("relay for fd \(socket.fd) ended: \(error)")
                TLSBridge.lastFailure.withLock { $0 = error }
                // A failure (a stream cut inside a record, a reset) reaches the inner side as
                // a reset, never as a clean end: SO_LINGER 0 makes the close an RST.
                try? inner.set(.linger(seconds: 0))
            }
            socket.close()
            inner.close()
            TLSBridge.ended()
        }
    }
}
