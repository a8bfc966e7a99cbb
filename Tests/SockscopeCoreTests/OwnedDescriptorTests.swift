import Foundation
import Glibc
import SockscopeCore
import SystemPackage
import Testing

/// Descriptors that are not sockets are owned by `OwnedDescriptor`: closed exactly once,
/// when the handle goes or when asked. Checked through /proc/self/fd by the file a
/// descriptor points at (a number alone could be reused by a test running beside it).
@Suite("Owned descriptors")
struct OwnedDescriptorTests {
    /// A file of its own for each test, so /proc/self/fd can tell whether it is open.
    private static func scratchFile(_ name: String, contents: String = "") throws -> String {
        let path = NSTemporaryDirectory() + "sockscope-owned-\(getpid())-\(name)"
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// How many of this process's descriptors point at `path`.
    private static func openCount(of path: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path }.count
    }

    @Test("a handle closes its descriptor when it goes away, and close() closes it once")
    func closesOnce() throws {
        let path = try Self.scratchFile("handle")
        defer { unlink(path) }
        do {
            let handle = try #require(OwnedDescriptor.open(path, O_RDONLY))
            #expect(Self.openCount(of: path) == 1)
            #expect(handle.descriptor.rawValue == handle.rawValue && handle.rawValue >= 0)
            withExtendedLifetime(handle) {}
        }
        #expect(Self.openCount(of: path) == 0, "the handle went away and its descriptor stayed open")
        let handle = try #require(OwnedDescriptor.open(path, O_RDONLY))
        #expect(fcntl(handle.rawValue, F_GETFD) & FD_CLOEXEC != 0, "opened without close-on-exec: children would inherit it")
        handle.close()
        #expect(Self.openCount(of: path) == 0)
        #expect(handle.rawValue == -1)
        handle.close()  // a second close does nothing (it must not close a reused number)
    }

    @Test("open reports a missing file as nil with errno, opening nothing")
    func missingFile() {
        #expect(OwnedDescriptor.open("/nonexistent/sockscope-owned", O_RDONLY) == nil)
        #expect(errno == ENOENT)
    }

    @Test("reading a target list (-iL) leaves no descriptor open, whether it ends or fails")
    func targetListClosed() throws {
        let good = try Self.scratchFile("targets", contents: "127.0.0.1 # a comment\n127.0.0.2,127.0.0.3\n")
        let bad = try Self.scratchFile("bad-targets", contents: "127.0.0.1\nnot/a/range/at/all\n")
        defer {
            unlink(good)
            unlink(bad)
        }
        var items: [String] = []
        for _ in 0..<20 {
            items.removeAll()
            try TargetSpace.Builder.items(ofFile: good) { items.append($0) }
            #expect(throws: SockscopeError.self) {
                try TargetSpace.Builder.items(ofFile: bad) { item throws(SockscopeError) in
                    if item.contains("/") { throw .usage("bad item \(item)") }
                }
            }
        }
        #expect(items == ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
        #expect(Self.openCount(of: good) == 0 && Self.openCount(of: bad) == 0, "a target list stayed open")
    }
}
