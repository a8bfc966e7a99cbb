import CShim
import Glibc
import SystemPackage

/// Receives datagrams in batches (recvmmsg): one system call for up to 64.
///
/// Each datagram keeps its boundary, its real size on the wire (MSG_TRUNC) and
/// its source, even when the buffer was too small for it.
package final class DatagramBatchReceiver {
    /// A datagram of the last batch.
    package struct Received {
        package var source: SocketAddress?
        /// The bytes kept (at most the buffer size).
        package var payload: UnsafeRawBufferPointer
        /// How many bytes the datagram had on the wire.
        package var arrivedBytes: Int
        package var isTruncated: Bool { arrivedBytes > payload.count }
    }

    package let bufferSize: Int
    private let capacity: Int
    private let storage: UnsafeMutableRawBufferPointer
    private var datagrams: [cshim_datagram]

    /// - Parameters:
    ///   - bufferSize: the most bytes kept of each datagram (a larger one is truncated).
    ///   - batch: datagrams per system call (1 to 64).
    package init(bufferSize: Int, batch: Int = 64) {
        self.bufferSize = max(bufferSize, 0)
        capacity = min(max(batch, 1), 64)
        storage = .allocate(byteCount: max(self.bufferSize, 1) * capacity, alignment: 16)
        datagrams = Array(repeating: cshim_datagram(), count: capacity)
    }

    deinit { storage.deallocate() }

    /// Receives what is waiting, without blocking, and hands each datagram to `body`.
    /// Returns how many arrived (0 when none was waiting).
    /// - Throws: the errno of recvmmsg (ECONNREFUSED on a connected socket whose
    ///   peer's host answered with ICMP port-unreachable).
    package func receive(on fd: Int32, _ body: (Received) throws -> Void) throws -> Int {
        let count = datagrams.withUnsafeMutableBufferPointer {
            cshim_receive_batch(fd, storage.baseAddress, max(bufferSize, 1), Int32(capacity), $0.baseAddress)
        }
        if count < 0 {
            let error = Errno(rawValue: errno)
            if error == .resourceTemporarilyUnavailable || error == .interrupted { return 0 }
            throw SocketCallError(.recvfrom, error)
        }
        for index in 0..<Int(count) {
            let info = datagrams[index]
            let kept = min(info.length, bufferSize)
            let start = index * max(bufferSize, 1)
            var source: SocketAddress?
            if info.source_length > 0 {
                var address = sockaddr_storage()
                withUnsafeBytes(of: info.source) { raw in
                    withUnsafeMutableBytes(of: &address) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<min(raw.count, $0.count)])) }
                }
                source = SocketAddress(storage: address, length: socklen_t(info.source_length))
            }
            try body(Received(source: source, payload: UnsafeRawBufferPointer(rebasing: storage[start..<(start + kept)]), arrivedBytes: info.length))
        }
        return Int(count)
    }
}

/// Sends many datagrams with few system calls (sendmmsg), waiting for buffer
/// space rather than dropping anything on our side.
package enum DatagramBatchSender {
    /// Sends each of `datagrams` (slices of one buffer) as its own datagram.
    /// - Throws: `SocketCallError` with the errno (EMSGSIZE, ECONNREFUSED, EACCES, …).
    package static func send(_ datagrams: [ArraySlice<UInt8>], on socket: Socket, to destination: SocketAddress?) throws(SocketCallError) {
        var index = 0
        while index < datagrams.count {
            let batch = datagrams[index..<min(index + 64, datagrams.count)]
            let bytes = batch.flatMap { $0 }
            let lengths = batch.map(\.count)
            let sent: Int32 = bytes.withUnsafeBytes { base in
                lengths.withUnsafeBufferPointer { lengthPointer in
                    if let destination {
                        return destination.withSockaddr { address, length in
                            cshim_send_batch(socket.fd, base.baseAddress, lengthPointer.baseAddress, Int32(batch.count), address, length)
                        }
                    }
                    return cshim_send_batch(socket.fd, base.baseAddress, lengthPointer.baseAddress, Int32(batch.count), nil, 0)
                }
            }
            if sent > 0 {
                index += Int(sent)
                continue
            }
            let error = Errno(rawValue: errno)
            if sent == 0 || error == .resourceTemporarilyUnavailable || error == .noBufferSpace || error == .interrupted {
                _ = try EventLoop.wait(for: socket.descriptor, .writable, deadline: .now + .milliseconds(10))
                continue
            }
            throw SocketCallError(destination == nil ? .send : .sendto, error, address: destination ?? socket.remoteAddress)
        }
    }
}
