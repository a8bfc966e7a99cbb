import Glibc
import SystemPackage

/// Temporary directories for test data: each under one directory per test process,
/// in $TMPDIR or /tmp, which is removed with everything in it when the process exits
/// (atexit). A full run writes gigabytes of random test files; left behind, runs on
/// one machine filled its disk.
enum TemporaryDirectory {
    static func make() throws -> String {
        guard let root = root else { throw Errno(rawValue: errno) }
        var template = Array("\(root)/XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw Errno(rawValue: errno)
        }
        return String(cString: result)
    }

    /// This process's directory, made on first use; its removal is registered then,
    /// and TMPDIR points into it, so what the programs the tests start make with
    /// mktemp or Python's tempfile goes with it too.
    static let root: String? = {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/sockscope-test-\(getpid())-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else { return nil }
        let path = String(cString: made)
        removalPath = strdup(path)
        setenv("TMPDIR", path, 1)
        atexit {
            guard let path = removalPath else { return }
            // rm -rf (it does not follow symbolic links), waited for.
            var argv: [UnsafeMutablePointer<CChar>?] = [strdup("rm"), strdup("-rf"), strdup("--"), path, nil]
            var child = pid_t()
            if posix_spawn(&child, "/bin/rm", nil, nil, &argv, environ) == 0 {
                var status: Int32 = 0
                _ = waitpid(child, &status, 0)
            }
        }
        return path
    }()
}

/// The directory atexit removes (a C string: the handler cannot capture).
nonisolated(unsafe) private var removalPath: UnsafeMutablePointer<CChar>?

func readFile(_ path: String) throws -> [UInt8] {
    let fd = try FileDescriptor.open(FilePath(path), .readOnly)
    defer { try? fd.close() }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
        if count == 0 { return bytes }
        bytes += chunk[0..<count]
    }
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .truncate], permissions: .ownerReadWrite)
    defer { try? fd.close() }
    _ = try bytes.withUnsafeBytes { try fd.writeAll($0) }
}

/// Random bytes from the kernel (/dev/urandom), for binary-safety tests.
func randomBytes(_ count: Int) -> [UInt8] {
    guard let fd = try? FileDescriptor.open("/dev/urandom", .readOnly) else { return [] }
    defer { try? fd.close() }
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    bytes.withUnsafeMutableBytes { buffer in
        while filled < count {
            guard let got = try? fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])), got > 0 else { return }
            filled += got
        }
    }
    return bytes
}

/// Writes `count` random bytes to a new file and returns its path.
func randomFile(megabytes: Int, in directory: String) throws -> String {
    let path = directory + "/random-\(megabytes)M.bin"
    try writeFile(path, randomBytes(megabytes << 20))
    return path
}

/// The file's SHA-256 as `sha256sum` computes it (a tool we did not write).
func sha256(_ path: String) async throws -> String {
    let outcome = try await run(Paths.sha256sum, [path])
    return String(outcome.stdoutText.prefix(64))
}

/// A port that was free a moment ago, for peers such as nc that cannot pick their own and
/// for tests that need a closed port. It comes from below the kernel's ephemeral range
/// (32768–60999) and from none of the ranges ProbeTests scans, so the port-0 listeners and client sockets of tests running in
/// parallel cannot be given it in the meantime.
func freePort() throws -> UInt16 {
    for _ in 0..<200 {
        let port = UInt16.random(in: 14_000...19_999)
        if canBind(port, type: SOCK_STREAM), canBind(port, type: SOCK_DGRAM) { return port }
    }
    throw Errno.addressInUse
}

/// Whether `bind(2)` to 127.0.0.1:`port` succeeds now, for a socket of `type`.
private func canBind(_ port: UInt16, type: __socket_type) -> Bool {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    address.sin_port = port.bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
