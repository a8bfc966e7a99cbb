/// Length-prefixed (or newline-delimited) messages over a byte stream — the usual
/// answer to TCP's "sticky packets": writes coalesce and split in transit, so a
/// receiver needs the message boundaries spelled out in the stream itself.
package enum FrameFormat: String, Sendable, CaseIterable {
    /// A 4-byte big-endian length, then the message (`struct.pack('>I', n)`).
    case u32be
    /// A 2-byte big-endian length, then the message (`struct.pack('>H', n)`).
    case u16be
    /// The message, then a newline.
    case line

    /// The largest message this format can describe.
    package var maximumLength: Int {
        switch self {
        case .u32be: Int(UInt32.max)
        case .u16be: Int(UInt16.max)
        case .line: Int.max
        }
    }

    /// The bytes that carry `message`.
    package func encode(_ message: ArraySlice<UInt8>) throws(SockscopeError) -> [UInt8] {
        guard message.count <= maximumLength else {
            throw .usage("a \(message.count)-byte message does not fit a \(rawValue) frame (at most \(maximumLength) bytes)")
        }
        switch self {
        case .u32be:
            let n = UInt32(message.count)
            return [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + message
        case .u16be:
            let n = UInt16(message.count)
            return [UInt8(n >> 8), UInt8(n & 0xff)] + message
        case .line:
            return Array(message) + [0x0a]
        }
    }
}

/// Reassembles messages from a byte stream however it was split or coalesced.
/// Never allocates for a message before its bytes have arrived, and refuses a
/// header announcing more than `maximumFrame`.
package struct FrameDecoder: Sendable {
    package let format: FrameFormat
    package let maximumFrame: Int
    private var buffer: ByteQueue = []

    package init(format: FrameFormat, maximumFrame: Int) {
        self.format = format
        self.maximumFrame = maximumFrame
    }

    /// Bytes received but not yet part of a whole message.
    package var pendingBytes: Int { buffer.count }

    /// Adds received bytes and returns every message they complete.
    /// - Throws: `SockscopeError` when a frame announces more than `maximumFrame` bytes.
    package mutating func feed(_ bytes: some Collection<UInt8>) throws(SockscopeError) -> [[UInt8]] {
        buffer += bytes
        var messages: [[UInt8]] = []
        var start = 0
        while true {
            let available = buffer.count - start
            switch format {
            case .line:
                guard let newline = buffer.firstIndex(of: 0x0a, from: start) else {
                    if available > maximumFrame { throw tooLong(available, complete: false) }
                    buffer.removeFirst(start)
                    return messages
                }
                // A line is held to the limit however it arrived, whole or in pieces.
                if newline - start > maximumFrame { throw tooLong(newline - start, complete: true) }
                messages.append(Array(buffer.bytes(start..<newline)))
                start = newline + 1
            case .u32be, .u16be:
                let headerLength = format == .u32be ? 4 : 2
                guard available >= headerLength else {
                    buffer.removeFirst(start)
                    return messages
                }
                var length = 0
                for index in 0..<headerLength { length = length << 8 | Int(buffer[start + index]) }
                if length > maximumFrame { throw tooLong(length, complete: true) }
                guard available >= headerLength + length else {
                    buffer.removeFirst(start)
                    return messages
                }
                messages.append(Array(buffer.bytes((start + headerLength)..<(start + headerLength + length))))
                start += headerLength + length
            }
        }
    }

    private func tooLong(_ length: Int, complete: Bool) -> SockscopeError {
        let what =
            format == .line
            ? (complete ? "has sent a \(length)-byte line" : "has sent \(length) bytes without a newline")
            : "announces a \(length)-byte message"
        return SockscopeError(
            "malformed \(format.rawValue) frame: the peer \(what), over the limit of \(maximumFrame) bytes",
            explanation: "the connection was closed without reading or allocating it", status: .ioError)
    }
}
