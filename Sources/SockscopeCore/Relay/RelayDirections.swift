/// Which ways a relay moves bytes (ncat's `--send-only` and `--recv-only`).
package enum RelayDirections: Sendable, Equatable {
    /// Input to the peer and the peer to output; the session ends when the peer closes.
    case both
    /// Input to the peer only: what the peer sends is read and dropped, and the
    /// session ends when the input has been sent (ncat `--send-only`).
    case sendOnly
    /// The peer to output only: input is never read, and the session ends when the
    /// peer closes (ncat `--recv-only`).
    case receiveOnly

    package var sends: Bool { self != .receiveOnly }
    package var receives: Bool { self != .sendOnly }
}

/// Turns bare line feeds into CR LF as bytes go out (ncat's `-C/--crlf`), remembering
/// across chunks whether the last byte was a CR, so an existing CR LF split between two
/// reads is not doubled.
package struct LineEndingConverter: Sendable {
    private var previousWasCarriageReturn = false

    package init() {}

    /// Converts the first `count` bytes of `buffer` in place and returns the new count.
    /// The buffer must have room for twice `count` (every byte a line feed).
    package mutating func convert(_ buffer: UnsafeMutableRawBufferPointer, count: Int) -> Int {
        var added = 0
        var previous = previousWasCarriageReturn
        for index in 0..<count {
            if buffer[index] == 0x0a && !previous { added += 1 }
            previous = buffer[index] == 0x0d
        }
        let result = count + added
        // Back to front, so no byte is overwritten before it is moved.
        var target = result
        for index in stride(from: count - 1, through: 0, by: -1) {
            let byte = buffer[index]
            target -= 1
            buffer[target] = byte
            let before = index > 0 ? buffer[index - 1] == 0x0d : previousWasCarriageReturn
            if byte == 0x0a && !before {
                target -= 1
                buffer[target] = 0x0d
            }
        }
        previousWasCarriageReturn = previous
        return result
    }

    /// Converts an array of bytes (one datagram, one chunk of stdin).
    package mutating func convert(_ bytes: [UInt8]) -> [UInt8] {
        var storage = bytes + [UInt8](repeating: 0, count: bytes.count)
        let count = storage.withUnsafeMutableBytes { convert($0, count: bytes.count) }
        storage.removeLast(storage.count - count)
        return storage
    }
}
