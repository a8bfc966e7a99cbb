import Glibc
import SockscopeCore
import Synchronization
import SystemPackage

/// Writes `--diagram` and `--plot`. The files are created when the command starts, so a
/// path that cannot be written fails before any capture (as `tcpdump -w` does), and
/// filled once the conversation is over; one with nothing to draw is removed, not left
/// empty.
final class PictureFiles: Sendable {
    private struct File: Sendable {
        var path: String
        var kind: Kind
        var descriptor: FileDescriptor
    }

    enum Kind: Sendable { case diagram, plot }

    /// The files not yet written (a lock: a tap's recorder may be shared with its thread).
    private let open = Mutex<[File]>([])

    init(_ options: PictureOptions.Values) throws(SockscopeError) {
        for (path, kind) in [(options.diagram, Kind.diagram), (options.plot, .plot)] {
            guard let path else { continue }
            do {
                let descriptor = try FileDescriptor.open(
                    FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
                open.withLock { $0.append(File(path: path, kind: kind, descriptor: descriptor)) }
            } catch {
                discard()
                throw SockscopeError("cannot create \(path): \((error as? Errno)?.nameAndText ?? "\(error)")", status: .cannotCreate)
            }
        }
    }

    deinit { discard() }

    /// Draws the recording into each file and says so on stderr.
    /// - Throws: exit 1 when the conversation was never seen (the files are removed),
    ///   74 when a write fails (ENOSPC, EIO).
    func write(_ recording: ConversationRecording, what: String) throws(SockscopeError) {
        let pending = open.withLock { files in
            defer { files = [] }
            return files
        }
        guard !pending.isEmpty else { return }
        guard !recording.isEmpty else {
            open.withLock { $0 = pending }
            discard()
            throw SockscopeError("nothing to draw: \(what) was not seen; \(pending.map(\.path).joined(separator: " and ")) not written", status: .nothingFound)
        }
        for file in pending {
            let svg = file.kind == .diagram ? LadderDiagram(recording: recording).svg : TimeSequencePlot(recording: recording).svg
            do {
                try SystemCall.writeAll(file.descriptor.rawValue, Array(svg.utf8))
                try file.descriptor.close()
            } catch {
                try? file.descriptor.close()
                throw SockscopeError("cannot write \(file.path): \(error)", status: .ioError)
            }
            let drawn = file.kind == .diagram ? "sequence diagram" : "time-sequence graph"
            Diagnostics.line("sockscope: \(drawn) of \(what) (\(counted(recording.segments.count + recording.omitted, "segment"))) written to \(file.path)")
        }
    }

    /// Closes and removes the files not written.
    func discard() {
        let pending = open.withLock { files in
            defer { files = [] }
            return files
        }
        for file in pending {
            try? file.descriptor.close()
            unlink(file.path)
        }
    }
}
