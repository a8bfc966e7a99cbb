import ArgumentParser
import Glibc
import SockscopeCore
import SystemPackage

/// `--hexdump` and `--output`: what went each way, as a hex dump on stderr (offsets
/// counted per direction, `>` sent, `<` received) and as raw bytes in a file.
final class TrafficLog {
    private let hexdump: Bool
    /// The --output file (owned; closed when the log goes away).
    private let file: FileDescriptor?
    private var offsets: [StreamRelay.Direction: Int] = [.sent: 0, .received: 0]

    init(hexdump: Bool, outputPath: String?) throws(SockscopeError) {
        self.hexdump = hexdump
        if let outputPath {
            do {
                file = try FileDescriptor.open(
                    FilePath(outputPath), .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
            } catch {
                throw SockscopeError("cannot create \(outputPath): \((error as? Errno)?.nameAndText ?? "\(error)")", status: .cannotCreate)
            }
        } else {
            file = nil
        }
    }

    deinit { try? file?.close() }

    var isActive: Bool { hexdump || file != nil }

    /// Throws the first write error the --output file met, so that a full disk is an error, not a short file.
    func finish() throws(SockscopeError) {
        if let failure { throw SockscopeError(failure) }
    }

    /// The first failed write to the --output file (ENOSPC, EIO): reported by `finish`.
    private var failure: SocketCallError?

    func record(_ direction: StreamRelay.Direction, _ bytes: UnsafeRawBufferPointer) {
        if let file, failure == nil {
            do { try SystemCall.writeAll(file.rawValue, bytes) } catch { failure = error }
        }
        guard hexdump else { return }
        let start = offsets[direction] ?? 0
        offsets[direction] = start + bytes.count
        let text = HexDump.lines(bytes, mark: direction == .sent ? ">" : "<", start: start)
        Diagnostics.raw(text)
    }
}

/// `--hexdump` and `--output`, shared by connect and listen.
struct TrafficOptions: ParsableArguments {
    @Flag(name: .customLong("hexdump"), help: "Show the traffic both ways on stderr as a hex dump (> sent, < received).")
    var hexdump = false

    @Option(
        name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Also write the traffic, both ways, raw to this file.", valueName: "file"),
        completion: .file())
    var output: String?
}

extension TrafficOptions.Values {
    func log() throws(SockscopeError) -> TrafficLog? {
        guard hexdump || output != nil else { return nil }
        return try TrafficLog(hexdump: hexdump, outputPath: output)
    }
}
