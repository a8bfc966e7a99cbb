import CShim
import Glibc
import SystemPackage

/// A socket that owns its file descriptor: created non-blocking and close-on-exec,
/// closed when the value goes away.
///
/// Every call is narrated to the socket's `SocketTracer` the way `-v` shows it
/// (`connect(fd 3, 127.0.0.1:8080) → ECONNREFUSED (Connection refused)`), and every
/// failure is thrown as a `SocketCallError` carrying the errno.
package final class Socket {
    /// The owned descriptor (swift-system), nil after `close()`.
    private var owned: FileDescriptor?
    /// The descriptor, borrowed (for the loop and for system calls); -1 after `close()`.
    package var descriptor: FileDescriptor { owned ?? FileDescriptor(rawValue: -1) }
    /// The descriptor's number for system calls, or -1 after `close()`.
    package var fd: Int32 { owned?.rawValue ?? -1 }
    package let family: AddressFamily
    package let type: SocketType
    let tracer: SocketTracer
    /// Where the socket is about to connect (set just before connect(), for the tap).
    package internal(set) var pendingDestination: SocketAddress?
    /// The options set and the address bound, in order: what `reconnect(to:)` gives a
    /// new connection under the same number.
    var settings: [SocketOption] = []
    var boundAddress: SocketAddress?
    /// Set by `reconnect(to:)`: the number names a new file, which a loop watching it
    /// must register anew (`takeReplacedFile()`).
    var replacedFile = false

    /// Whether the number was given a new file since last asked (see `reconnect(to:)`).
    package func takeReplacedFile() -> Bool {
        defer { replacedFile = false }
        return replacedFile
    }

    /// Creates a socket: `socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)`.
    package init(family: AddressFamily, type: SocketType, tracer: SocketTracer = .silent) throws(SocketCallError) {
        let fd = try Self.open(family, type, tracer: tracer)
        self.owned = FileDescriptor(rawValue: fd)
        self.family = family
        self.type = type
        self.tracer = tracer
        tracer.record("socket(\(family.name), \(type.name)) → fd \(fd)")
    }

    /// `socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)`: a new descriptor; a failure traced and thrown.
    static func open(_ family: AddressFamily, _ type: SocketType, tracer: SocketTracer) throws(SocketCallError) -> Int32 {
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = Glibc.socket(family.rawValue, type.rawValue | flags, 0)
        guard fd >= 0 else {
            let error = Errno.current
            tracer.record("socket(\(family.name), \(type.name)) → \(error.nameAndText)")
            throw SocketCallError(.socket, error)
        }
        return fd
    }

    /// Takes ownership of a descriptor returned by `accept`.
    init(adopting fd: Int32, family: AddressFamily, type: SocketType, tracer: SocketTracer) {
        self.owned = FileDescriptor(rawValue: fd)
        self.family = family
        self.type = type
        self.tracer = tracer
    }

    deinit {
        try? owned?.close()
    }

    // MARK: Setting up

    /// `setsockopt`. Options that do not apply to this socket (TCP_NODELAY on UDP) are skipped.
    package func set(_ option: SocketOption) throws(SocketCallError) {
        if option.isTCPOnly && (type != .stream || family == .unix) { return }
        if let error = option.apply(to: fd, family: family) {
            let failure = Errno(rawValue: error)
            tracer.record("setsockopt(fd \(fd), \(option)) → \(failure.nameAndText)")
            throw SocketCallError(.setsockopt, failure)
        }
        settings.append(option)
        tracer.record("setsockopt(fd \(fd), \(option)) → ok")
    }

    /// `bind`: gives the socket its local address.
    package func bind(to address: SocketAddress) throws(SocketCallError) {
        let result = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        try check(result, .bind, "bind(fd \(fd), \(address))", address: address)
        boundAddress = address
    }

    /// `listen`: marks a stream socket as accepting connections; `backlog` bounds the
    /// queue of connections that completed the handshake but were not yet accepted.
    package func listen(backlog: Int32) throws(SocketCallError) {
        let result = Glibc.listen(fd, backlog)
        try check(result, .listen, "listen(fd \(fd), \(backlog))", address: nil)
    }

    /// `accept4`: the next completed connection, or nil when none is waiting (EAGAIN).
    package func accept() throws(SocketCallError) -> (socket: Socket, peer: SocketAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let newFD = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { cshim_accept4(fd, $0, &length, flags) }
        }
        if newFD < 0 {
            let error = Errno.current
            if error == .resourceTemporarilyUnavailable || error == .interrupted || error == .connectionAbort { return nil }
            tracer.record("accept(fd \(fd)) → \(error.nameAndText)")
            throw SocketCallError(.accept, error)
        }
        // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d: say what they are.
        let peer = (SocketAddress(storage: storage, length: length) ?? .unix(.unnamed)).unmapped
        tracer.record("accept(fd \(fd)) → fd \(newFD) ← \(peer)")
        return (Socket(adopting: newFD, family: family, type: type, tracer: tracer), peer)
    }

    /// Starts a non-blocking `connect`. Returns true when it completed at once,
    /// false when it is in progress (EINPROGRESS): wait for writability, then
    /// read the result with `pendingError()`.
    package func startConnect(to address: SocketAddress) throws(SocketCallError) -> Bool {
        callLog?.begin(fd: fd, "connect(fd \(fd), \(address))", local: localAddress, remote: address)
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if result == 0 {
            callLog?.end(fd: fd, local: localAddress)
            tracer.record("connect(fd \(fd), \(address)) → ok")
            return true
        }
        let error = Errno.current
        if error == .nowInProgress || error == .interrupted { return false }
        callLog?.end(fd: fd)
        tracer.record("connect(fd \(fd), \(address)) → \(error.nameAndText)")
        throw SocketCallError(.connect, error, address: address)
    }

    /// `connect` with a deadline: starts the connection and waits up to `timeout`
    /// (forever when nil) for the handshake to finish, then reads SO_ERROR. The wait
    /// goes through the event loop, so SIGINT or SIGTERM ends it (EINTR).
    package func connect(to address: SocketAddress, timeout: Duration?) throws(SocketCallError) {
        if try startConnect(to: address) { return }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        guard try EventLoop.wait(for: descriptor, .writable, deadline: deadline) else {
            let waited = SockscopeError.seconds(timeout ?? .zero)
            callLog?.end(fd: fd)
            tracer.record("connect(fd \(fd), \(address)) → no answer within \(waited): ETIMEDOUT")
            throw SocketCallError(.connect, .timedOut, address: address, waited: timeout)
        }
        try finishConnect(to: address)
    }

    /// The outcome of a non-blocking connect once the socket is writable: SO_ERROR read
    /// (and cleared), traced, and thrown as the connect() that failed — the one place a
    /// connect's result is read, whoever waited for it (connect, forward, the probers).
    package func finishConnect(to address: SocketAddress) throws(SocketCallError) {
        callLog?.end(fd: fd, local: localAddress)
        if let error = pendingError() {
            tracer.record("connect(fd \(fd), \(address)) → \(error.nameAndText)")
            throw SocketCallError(.connect, error, address: address)
        }
        tracer.record("connect(fd \(fd), \(address)) → ok")
    }

    /// Reads and clears SO_ERROR: the result of a non-blocking connect, or an
    /// asynchronous error (an ICMP error on a connected UDP socket).
    package func pendingError() -> Errno? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return Errno.current }
        return value == 0 ? nil : Errno(rawValue: value)
    }

    /// `ioctl(SIOCOUTQ)`: bytes written that the peer has not acknowledged yet (0 once
    /// all of them sit in the peer's kernel); nil when the call fails.
    package var unacknowledgedBytes: Int? {
        let queued = cshim_unacknowledged_bytes(fd)
        return queued < 0 ? nil : Int(queued)
    }

    /// `getsockname`: the local address the kernel gave this socket.
    package var localAddress: SocketAddress? { address(using: getsockname) }

    /// `getpeername`: the connected peer's address.
    package var remoteAddress: SocketAddress? { address(using: getpeername) }

    private func address(using call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, &length) }
        }
        return result == 0 ? SocketAddress(storage: storage, length: length) : nil
    }

    /// Narrates getsockname and getpeername, as `-v` shows both ends of a connection.
    package func traceEndpoints() {
        guard tracer.isActive else { return }
        let local = localAddress.map { "\($0.unmapped)" } ?? "?"
        let remote = remoteAddress.map { "\($0.unmapped)" } ?? "?"
        tracer.record("getsockname(fd \(fd)) → \(local)   getpeername(fd \(fd)) → \(remote)")
    }

    // MARK: Moving bytes

    /// One non-blocking `send` (MSG_NOSIGNAL: a closed peer gives EPIPE, never SIGPIPE).
    /// Returns the bytes written (possibly fewer than given), or nil on EAGAIN.
    package func send(_ bytes: UnsafeRawBufferPointer) throws(SocketCallError) -> Int? {
        do {
            return try SystemCall.nonBlocking { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
        } catch {
            throw SocketCallError(.send, error, address: remoteAddress)
        }
    }

    /// Sends every byte, waiting for buffer space as needed (Python's `sendall`).
    package func sendAll(_ bytes: UnsafeRawBufferPointer) throws(SocketCallError) {
        try SystemCall.writeEverything(bytes, to: fd) { raw throws(SocketCallError) in try send(raw) }
    }

    /// One non-blocking `recv`. Returns the byte count (0 means the peer closed its
    /// sending side: end of stream), or nil on EAGAIN.
    package func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SocketCallError) -> Int? {
        do {
            return try SystemCall.nonBlocking { Glibc.recv(fd, buffer.baseAddress, buffer.count, 0) }
        } catch {
            throw SocketCallError(.recv, error, address: remoteAddress)
        }
    }

    // MARK: Datagrams

    /// One received datagram: where it came from, how many bytes arrived on the wire
    /// and how many fit in the buffer (fewer when MSG_TRUNC cut it).
    package struct Datagram: Sendable {
        package var source: SocketAddress?
        package var keptBytes: Int
        package var arrivedBytes: Int
        package var isTruncated: Bool { arrivedBytes > keptBytes }
    }

    /// One non-blocking `recvmsg` with MSG_TRUNC, so a datagram longer than the buffer
    /// reports its real size; with `peek` (MSG_PEEK) the datagram stays queued. Returns
    /// nil on EAGAIN.
    package func receiveDatagram(into buffer: UnsafeMutableRawBufferPointer, peek: Bool = false) throws(SocketCallError) -> Datagram? {
        var storage = sockaddr_storage()
        var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        var nameLength = socklen_t(0)
        let received: Int?
        do {
            received = try SystemCall.nonBlocking {
                withUnsafeMutablePointer(to: &storage) { name in
                    withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var message = msghdr()
                        message.msg_name = UnsafeMutableRawPointer(name)
                        message.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        let count = recvmsg(fd, &message, Int32(MSG_TRUNC) | (peek ? Int32(MSG_PEEK) : 0))
                        nameLength = message.msg_namelen
                        return count
                    }
                }
            }
        } catch {
            throw SocketCallError(.recvfrom, error, address: remoteAddress)
        }
        guard let count = received else { return nil }
        let source = nameLength > 0 ? SocketAddress(storage: storage, length: nameLength) : nil
        return Datagram(source: source, keptBytes: min(count, buffer.count), arrivedBytes: count)
    }

    /// Sends one datagram, to `destination` (`sendto`) or to the connected peer.
    /// Waits for buffer space rather than dropping it. A datagram is all or nothing.
    package func sendDatagram(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress? = nil) throws(SocketCallError) {
        while true {
            let sent: Int?
            do {
                sent = try SystemCall.nonBlocking {
                    if let destination {
                        return destination.withSockaddr { Glibc.sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) }
                    }
                    return Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
                }
            } catch  where error == .noBufferSpace {
                sent = nil
            } catch {
                throw SocketCallError(destination == nil ? .send : .sendto, error, address: destination ?? remoteAddress)
            }
            if sent != nil { return }
            // EAGAIN, or ENOBUFS (which readiness does not signal): look again after a short wait.
            _ = try EventLoop.wait(for: descriptor, .writable, deadline: .now + .milliseconds(10))
        }
    }

    /// Sends `bytes` as one datagram (see the buffer-pointer variant).
    package func sendDatagram(_ bytes: [UInt8], to destination: SocketAddress? = nil) throws(SocketCallError) {
        let result: Result<Void, SocketCallError> = bytes.withUnsafeBytes { raw in
            do throws(SocketCallError) {
                try sendDatagram(raw, to: destination)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    // MARK: Ending

    /// The log a tap names calls from (`SocketTracer.calls`): TCP sockets only.
    private var callLog: SocketCallLog? {
        guard let calls = tracer.calls, type == .stream, family != .unix else { return nil }
        return calls
    }

    /// `shutdown(SHUT_WR)`: sends FIN (TCP); the peer's `recv` returns 0 once it has
    /// read everything, while this side can still receive. A Unix stream socket has no
    /// FIN: the kernel marks the peer's receive side shut down (RCV_SHUTDOWN) directly.
    package func shutdownWrite() {
        callLog?.begin(fd: fd, "shutdown(fd \(fd), SHUT_WR)", local: localAddress, remote: remoteAddress)
        let result = Glibc.shutdown(fd, Int32(SHUT_WR))
        callLog?.end(fd: fd)
        if result == 0 {
            tracer.record("shutdown(fd \(fd), SHUT_WR) → ok (\(family == .unix ? "end of stream: the peer reads EOF; Unix sockets send no FIN" : "FIN sent"))")
        } else {
            tracer.record("shutdown(fd \(fd), SHUT_WR) → \(Errno.current.nameAndText)")
        }
    }

    /// `close`. Safe to call twice.
    package func close() {
        guard let descriptor = owned else { return }
        if let callLog {
            callLog.end(fd: fd)  // a connect nobody finished
            callLog.begin(fd: fd, "close(fd \(fd))", local: localAddress, remote: remoteAddress)
        }
        owned = nil
        try? descriptor.close()  // Linux releases the descriptor even when close reports an error
        callLog?.end(fd: descriptor.rawValue)
        tracer.record("close(fd \(descriptor.rawValue))")
    }

    private func check(_ result: Int32, _ call: SocketCall, _ text: @autoclosure () -> String, address: SocketAddress?) throws(SocketCallError) {
        if result == 0 {
            tracer.record("\(text()) → ok")
            return
        }
        let error = Errno.current
        tracer.record("\(text()) → \(error.nameAndText)")
        throw SocketCallError(call, error, address: address)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    package var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
