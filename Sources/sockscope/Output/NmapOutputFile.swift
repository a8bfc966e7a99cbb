import Glibc
import SockscopeCore
import SystemPackage

/// Where one of nmap's formats goes (`-oX`, `-oG`): a file, created or truncated when the
/// scan starts, or standard output for `-`.
final class NmapOutputFile {
    /// The file (nil: standard output).
    private let file: OwnedDescriptor?
    private let path: String

    /// - Parameter offset: a resumed scan's: the file is kept, cut back to this length
    ///   (what the windows done had written) and continued.
    /// - Throws: exit 73 when the file cannot be created, 64 when a resumed scan's file
    ///   is shorter than it was (it was replaced or cut meanwhile).
    init(path: String, option: String, continuingAt offset: Int64? = nil) throws(SockscopeError) {
        self.path = path
        if path == "-" {
            file = nil
            return
        }
        guard let opened = OwnedDescriptor.open(path, O_WRONLY | O_CREAT | (offset == nil ? O_TRUNC : 0), mode: 0o644) else {
            throw SockscopeError("cannot create \(path) (\(option)): \(Errno.current.nameAndText)", status: .cannotCreate)
        }
        file = opened
        guard let offset else { return }
        var status = stat()
        guard fstat(opened.rawValue, &status) == 0, Int64(status.st_size) >= offset else {
            throw .usage("cannot continue \(path) (\(option)): it holds \(status.st_size) bytes, fewer than the \(offset) the scan had written")
        }
        guard ftruncate(opened.rawValue, off_t(offset)) == 0, lseek(opened.rawValue, 0, SEEK_END) >= 0 else {
            throw SockscopeError("cannot continue \(path) (\(option)): \(Errno.current.nameAndText)", status: .ioError)
        }
    }

    /// Hosts written so far (a resumed scan's count carries on).
    var hosts = 0
    /// A resumed scan's file, continued: its head is already there.
    private(set) var isContinued = false
    /// A resumed scan's time before this run (for the elapsed times nmap's formats end with).
    private(set) var before: Duration = .zero

    /// One of nmap's formats for a scan: `continuing` a resumed scan's file where the
    /// windows done had left it (standard output starts afresh), its hosts counted on.
    convenience init(path: String, option: String, continuing: ScanCheckpoint.Output?, before: Duration) throws(SockscopeError) {
        let resumed = path == "-" ? nil : continuing
        try self.init(path: path, option: option, continuingAt: resumed?.offset)
        self.before = before
        if let resumed {
            hosts = resumed.hosts
            isContinued = true
        }
    }

    /// Where the file stands, for a resumed scan (nil on standard output); written to
    /// disk first.
    func checkpoint() throws(SockscopeError) -> ScanCheckpoint.Output? {
        guard let length else { return nil }
        try sync()
        return ScanCheckpoint.Output(path: path, offset: length, hosts: hosts)
    }

    /// How many bytes the file holds now (nil for standard output).
    var length: Int64? {
        guard let file else { return nil }
        let offset = lseek(file.rawValue, 0, SEEK_CUR)
        return offset < 0 ? nil : Int64(offset)
    }

    /// `fsync(2)`: what was written survives a crash or a power cut (a resumed scan
    /// counts on it). Standard output that is not a regular file needs none.
    func sync() throws(SockscopeError) {
        guard fsync(rawDescriptor) == 0 || file == nil else {
            throw SockscopeError("cannot write \(path): \(Errno.current.nameAndText)", status: .ioError)
        }
    }

    /// Writes all of `text`, or fails with exit 74 (a full disk loses no line unsaid).
    func write(_ text: String) throws(SockscopeError) {
        do { try SystemCall.writeAll(rawDescriptor, Array(text.utf8)) } catch {
            throw SockscopeError("cannot write \(path == "-" ? "stdout" : path): \(error.errno.nameAndText)", status: .ioError)
        }
    }

    func close() { file?.close() }

    /// The file's descriptor (1 for standard output).
    var rawDescriptor: Int32 { file?.descriptor.rawValue ?? 1 }

    /// `Sun Dec  6 03:27:07 2026`, as nmap writes times (ctime, local time).
    static func ctime(_ seconds: Int) -> String {
        var value = time_t(seconds)
        var buffer = [CChar](repeating: 0, count: 32)
        guard ctime_r(&value, &buffer) != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `0.05`: the seconds since `start`, in hundredths, as nmap's summary gives them.
    static func seconds(since start: ContinuousClock.Instant, before: Duration = .zero) -> String {
        let elapsed = (ContinuousClock.now - start + before).components
        let hundredths = Int(elapsed.seconds) * 100 + Int(elapsed.attoseconds / 10_000_000_000_000_000)
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    /// Each target of a window that has results, with its results: a host of nmap's output.
    static func hosts(_ results: [ProbeResult], targets: [TargetList.Target]) -> [(TargetList.Target, [ProbeResult])] {
        var byHost: [IPAddress: [ProbeResult]] = [:]
        for result in results { byHost[result.target, default: []].append(result) }
        return targets.compactMap { target in byHost.removeValue(forKey: target.address).map { (target, $0) } }
    }
}
