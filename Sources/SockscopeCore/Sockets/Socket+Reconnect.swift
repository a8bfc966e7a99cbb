import CShim
import Glibc
import SystemPackage

extension Socket {
    /// Starts a new connection to `address` under this socket's descriptor number, as a
    /// client that must ask again does (an HTTP proxy's 407 answered on a new connection,
    /// as ncat does): `socket()` a fresh one, `dup3(2)` it onto this number (which closes
    /// the old connection: the kernel sends its FIN, and epoll forgets the old file), the
    /// options set and the address bound before given to it again, then a non-blocking
    /// `connect()`. A loop that watched the number must register it anew: the stage
    /// driver asks `takeReplacedFile()` after each step and renews its registration.
    /// - Returns: true when the connect completed at once; false while it is in progress
    ///   (wait for writability, then `finishConnect(to:)`).
    package func reconnect(to address: SocketAddress) throws(SocketCallError) -> Bool {
        let fresh = try Self.open(family, type, tracer: tracer)
        let result = cshim_dup3_cloexec(fresh, fd)
        let error = Errno.current
        Glibc.close(fresh)
        guard result >= 0 else {
            tracer.record("dup3(fd \(fresh), fd \(fd)) → \(error.nameAndText)")
            throw SocketCallError(.socket, error)
        }
        tracer.record("socket(\(family.name), \(type.name)) → dup3 onto fd \(fd): a new connection under the same number")
        replacedFile = true
        let options = settings
        settings = []
        for option in options { try set(option) }
        if let bound = boundAddress { try bind(to: bound) }
        pendingDestination = address
        return try startConnect(to: address)
    }
}
