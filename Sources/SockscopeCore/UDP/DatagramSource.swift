import Glibc
import SystemPackage

/// Cuts a byte stream (stdin) into datagrams, as it arrives, so that lines typed at
/// a terminal go out at once.
package struct DatagramSource {
    package enum Cutting: Sendable, Equatable {
        /// All of the input as one datagram (read up to one byte past the largest
        /// possible datagram, so an oversized input fails with EMSGSIZE, not by
        /// exhausting memory).
        case whole
        /// One datagram per line, the newline kept, so the datagrams joined back
        /// together are the input again; a last line without a newline is sent too.
        case lines
        /// One datagram per `n` bytes; the last may be shorter.
        case size(Int)
    }

    /// The most bytes read for `.whole`: more than any datagram can hold.
    package static let wholeLimit = 65_536 + 1

    package let fd: Int32
    package let cutting: Cutting

    package init(fd: Int32, cutting: Cutting) {
        self.fd = fd
        self.cutting = cutting
    }

    /// Reads to the end of the input, handing over datagrams in groups as they are
    /// complete (each group: the datagrams cut from one read).
    package func forEachGroup(_ body: ([ArraySlice<UInt8>]) throws(SockscopeError) -> Void) throws(SockscopeError) {
        var pending = ByteQueue()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let result: Int?
            do {
                // Wait through the event loop, so Ctrl-C ends a quiet input at once.
                _ = try EventLoop.wait(for: FileDescriptor(rawValue: fd), .readable, deadline: nil)
                result = try SystemCall.read(fd, into: chunk)
            } catch let error as SocketCallError {
                throw SockscopeError(error)
            } catch {
                throw SockscopeError(SocketCallError(.read, error as? Errno ?? .ioError))
            }
            guard let count = result else { continue }
            if count == 0 { break }
            pending += UnsafeRawBufferPointer(rebasing: chunk[0..<count])
            switch cutting {
            case .whole:
                if pending.count >= Self.wholeLimit {
                    try body([pending.waiting])
                    return
                }
            case .lines:
                guard let last = pending.lastIndex(of: 0x0a) else {
                    // A line longer than any datagram can never be sent: say so now, not
                    // after reading (and holding) an endless line.
                    if pending.count >= Self.wholeLimit {
                        throw SockscopeError(
                            "a line of more than \(Self.wholeLimit - 1) bytes cannot be one datagram: EMSGSIZE (Message too long)",
                            explanation: "a UDP payload is at most 65,507 bytes over IPv4 (65,527 over IPv6); use --size to cut it", status: .usage)
                    }
                    continue
                }
                var lines: [ArraySlice<UInt8>] = []
                var start = 0
                while let newline = pending.firstIndex(of: 0x0a, from: start), newline <= last {
                    lines.append(pending.bytes(start..<(newline + 1)))  // keep the newline
                    start = newline + 1
                }
                try body(lines)
                pending.removeFirst(last + 1)
            case .size(let size):
                let whole = pending.count / size * size
                guard whole > 0 else { continue }
                try body(stride(from: 0, to: whole, by: size).map { pending.bytes($0..<($0 + size)) })
                pending.removeFirst(whole)
            }
        }
        if cutting == .whole || !pending.isEmpty {
            try body([pending.waiting])
        }
    }
}
