import Glibc
import SockscopeCore

/// Prints received datagrams: one line each with time, source, size and payload
/// (text, or a hex dump), or the payloads alone (`--raw`), or JSON Lines. Output is
/// collected and written in large pieces, so fast streams cost few system calls.
final class DatagramPrinter {
    enum Format {
        case text, hexdump, raw, json
    }

    private let format: Format
    private let style: Style
    private var pending: [UInt8] = []

    init(format: Format, style: Style) {
        self.format = format
        self.style = style
        pending.reserveCapacity(1 << 16)
    }

    deinit { flush() }

    func print(_ datagram: DatagramBatchReceiver.Received) {
        let source = datagram.source.map { "\($0)" } ?? "?"
        switch format {
        case .raw:
            pending.append(contentsOf: datagram.payload)
        case .json:
            let source = JSONEndpoint(datagram.source)
            let record = DatagramRecord(
                sourceAddress: source?.address, sourcePort: source?.port, bytes: datagram.payload.count, bytesArrived: datagram.arrivedBytes,
                truncated: datagram.isTruncated, text: String(validating: datagram.payload, as: UTF8.self), hex: HexDump.hex(datagram.payload))
            pending.append(contentsOf: JSONLine.text(record).utf8)
        case .text, .hexdump:
            var header = style.dim(Timestamp.clock()) + "  " + style.cyan(source) + "  " + size(datagram)
            if format == .text, !datagram.payload.isEmpty { header += "  " + HexDump.escaped(datagram.payload) }
            pending.append(contentsOf: (header + "\n").utf8)
            if format == .hexdump { pending.append(contentsOf: HexDump.lines(datagram.payload, mark: " ").utf8) }
        }
        if pending.count >= 1 << 16 { flush() }
    }

    private func size(_ datagram: DatagramBatchReceiver.Received) -> String {
        if datagram.isTruncated {
            return style.yellow("truncated: \(counted(datagram.arrivedBytes, "byte")) arrived, \(datagram.payload.count) kept")
        }
        return datagram.payload.isEmpty ? "0 bytes (empty datagram)" : counted(datagram.payload.count, "byte")
    }

    /// Writes out what has been collected.
    func flush() {
        guard !pending.isEmpty else { return }
        Diagnostics.output(bytes: pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// Local wall-clock time with milliseconds: `14:03:27.512`.
}
