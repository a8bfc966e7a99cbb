import Glibc
import SystemPackage

/// Temporary directories for test data, under $TMPDIR or /tmp.
enum TemporaryDirectory {
    static func make() throws -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/sockscope-test-XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw Errno(rawValue: errno)
        }
        return String(cString: result)
    }
}

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

/// A port that was free a moment ago (for peers such as nc that cannot pick their own).
func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw Errno(rawValue: errno) }
    return UInt16(bigEndian: address.sin_port)
}
