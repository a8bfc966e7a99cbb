import CShim
import Glibc
import SystemPackage

/// Sockets closed the lingering way (RFC 9112 §9.6, what HTTP servers do): a FIN now,
/// then what the client still sends is read and dropped until it closes, fails, or
/// `limit` passes, and only then close(2). Closing with unread bytes in the receive
/// queue would send an RST instead — and a client still writing its request (a refused
/// proxy client, a client whose program has exited) could lose the answer it was sent.
final class LingeringCloses {
    private var sockets: [FileDescriptor: Socket] = [:]
    let limit: Duration

    init(limit: Duration) {
        self.limit = limit
    }

    /// Whether none is lingering.
    var isEmpty: Bool { sockets.isEmpty }

    /// Sends the FIN and drains `socket` on `loop` until it can be closed.
    func close(_ socket: Socket, loop: EventLoop) {
        let descriptor = socket.descriptor
        socket.shutdownWrite()
        _ = cshim_set_status_flags(descriptor.rawValue, cshim_get_status_flags(descriptor.rawValue) | O_NONBLOCK)
        sockets[descriptor] = socket
        loop.schedule(at: .now + limit) { [self] in finish(socket, loop: loop) }
        do {
            try loop.register(descriptor, .readable) { [self] _ in
                let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
                defer { scratch.deallocate() }
                while true {
                    let count: Int?
                    do { count = try socket.receive(into: scratch) } catch { count = 0 }
                    guard let count else { return }  // drained for now
                    if count == 0 { break }
                }
                finish(socket, loop: loop)
            }
        } catch {
            finish(socket, loop: loop)
        }
    }

    /// Closes every socket still lingering (the server is ending).
    func closeAll(loop: EventLoop) {
        for socket in Array(sockets.values) { finish(socket, loop: loop) }
    }

    private func finish(_ socket: Socket, loop: EventLoop) {
        let descriptor = socket.descriptor
        guard sockets[descriptor] === socket else { return }
        loop.forget(descriptor)
        sockets[descriptor] = nil
        socket.close()
    }
}
