import CShim
import Glibc

extension ProcessSpawner {
    /// The environment a program run on a connection reads (ncat's NCAT_* variables):
    /// `SOCKSCOPE_PROTO`, and the remote and local address and port.
    package static func connectionEnvironment(protocolName: String, remote: SocketAddress?, local: SocketAddress?) -> [String: String] {
        var environment = ["SOCKSCOPE_PROTO": protocolName]
        for (side, address) in [("REMOTE", remote), ("LOCAL", local)] {
            guard let address else { continue }
            if let ip = address.ipAddress, let port = address.port {
                environment["SOCKSCOPE_\(side)_ADDR"] = "\(ip)"
                environment["SOCKSCOPE_\(side)_PORT"] = "\(port)"
            } else if side == "LOCAL" {
                environment["SOCKSCOPE_LOCAL_ADDR"] = "\(address)"  // a Unix socket's path
            }
        }
        return environment
    }

    /// Runs `command` with the connected `socket` as its stdin and stdout (and stderr
    /// with `mergeStderr`) — `connect --exec`, as ncat's — in a process group of its own,
    /// and waits for it through the event loop: our copy of the socket is closed once it
    /// runs, so the connection ends when the program ends. A signal (Ctrl-C) ends the
    /// program's whole group and is then thrown (exit 130/143).
    /// - Returns: the program's wait status.
    package static func run(
        _ command: [String], on socket: Socket, mergeStderr: Bool, environment: [String: String]
    ) throws(SockscopeError) -> Int32 {
        let fd = socket.fd
        _ = cshim_set_status_flags(fd, cshim_get_status_flags(fd) & ~O_NONBLOCK)  // programs expect blocking stdio
        let pid = try spawn(command, streams: fd, mergeStderr: mergeStderr, environment: environment)
        socket.close()
        let loop: EventLoop
        do { loop = try EventLoop() } catch {
            _ = endGroups([pid])
            throw SockscopeError(error)
        }
        var status: Int32?
        do {
            try loop.watchExit(of: pid) { status = $0 }
            try loop.run { status != nil }
        } catch {
            _ = endGroups([pid])
            throw error
        }
        return status ?? 0
    }
}
