import Glibc
import SystemPackage

/// Creates, configures and binds the socket of a listener, including the Unix-socket
/// chores: refusing to steal a live socket's path, removing a stale one we own,
/// and removing our own socket file when done.
package final class BoundSocket {
    package let socket: Socket
    /// The address the kernel gave the socket (with the real port when 0 was asked).
    package let address: SocketAddress
    private let ownedPath: String?

    package init(_ request: ListenRequest, tracer: SocketTracer) throws(SockscopeError) {
        var ownedPath: String?
        if case .unix(.path(let path)) = request.address {
            try Self.clearStaleSocketFile(path, type: request.type, tracer: tracer)
            ownedPath = path
        }
        let socket = try SockscopeError.converting {
            let socket = try Socket(family: request.address.family, type: request.type, tracer: tracer)
            if request.reuseAddress, request.address.family != .unix {
                try socket.set(.reuseAddress(true))
            }
            if let v6Only = request.ipv6Only, request.address.family == .inet6 {
                try socket.set(.ipv6Only(v6Only))
            }
            for option in request.options { try socket.set(option) }
            try socket.bind(to: request.address)
            if let beforeListen = request.beforeListen { try beforeListen(socket.localAddress ?? request.address) }
            if request.type == .stream {
                try socket.listen(backlog: request.backlog)
            }
            return socket
        }
        self.socket = socket
        self.address = socket.localAddress ?? request.address
        self.ownedPath = ownedPath
    }

    deinit {
        socket.close()
        if let ownedPath { unlink(ownedPath) }
    }

    /// A socket file left by a dead server makes bind fail with EADDRINUSE. Remove it
    /// only when it is a socket, we own it, and nothing is bound to it: the kernel's
    /// Unix socket table lists no live socket on that path, and a connection attempt
    /// is refused. (The table is checked first so that a one-shot listener is not
    /// handed our probe as its client.)
    static func clearStaleSocketFile(_ path: String, type: SocketType, tracer: SocketTracer) throws(SockscopeError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw SockscopeError(
                "cannot listen on \(path): \(Errno.fileExists.nameAndText)",
                explanation: "that path exists and is not a socket; sockscope will not remove it", status: .unavailable)
        }
        let inUse = SockscopeError(
            "cannot listen on \(path): \(Errno.addressInUse.nameAndText)",
            explanation: "another process is listening on that socket", status: .unavailable)
        // Asked of the kernel by the file's inode (sock_diag), so another spelling of the
        // path (dir//app.sock, a relative path) is recognised without connecting to it:
        // a live listener must never be handed our probe as a client.
        if SocketDiagnostics.unixSocketBound(toFileInode: UInt64(status.st_ino)) { throw inUse }
        if KernelUnixTable.boundPaths().contains(path) || absolutePathIsBound(path) { throw inUse }
        let probe: Socket
        do { probe = try Socket(family: .unix, type: type) } catch { throw SockscopeError(error) }
        defer { probe.close() }
        do {
            try probe.connect(to: .unix(.path(path)), timeout: .seconds(1))
            throw inUse
        } catch let failure as SocketCallError {
            guard failure.errno == .connectionRefused else { return }  // anything else: let bind report it
        } catch {
            throw error as? SockscopeError ?? SockscopeError("cannot check \(path)", status: .internalError)
        }
        guard status.st_uid == geteuid() else {
            throw SockscopeError(
                "cannot listen on \(path): a stale socket file owned by another user is in the way",
                explanation: "remove it yourself if it is no longer used", status: .unavailable)
        }
        if unlink(path) == 0 {
            tracer.record("unlink(\(path)) → ok (stale socket file: nothing was listening on it)")
        }
    }

    /// The kernel lists the path as it was given to bind; compare a relative path by
    /// its absolute form too.
    private static func absolutePathIsBound(_ path: String) -> Bool {
        guard !path.hasPrefix("/"), let cwd = getcwd(nil, 0) else { return false }
        defer { free(cwd) }
        return KernelUnixTable.boundPaths().contains(String(cString: cwd) + "/" + path)
    }
}
